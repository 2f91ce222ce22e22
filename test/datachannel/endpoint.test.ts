// Data channels over the simulator: DCEP open/ack, negotiated channels, message types, closing
// with queued data, 1,000 channels from both sides, bufferedAmount, max-message-size, partial
// reliability, and DCEP wire format.
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeOpen, encodeOpen } from "../../src/datachannel/dcep.js";
import { DataChannelEndpoint, type DataChannelEvent } from "../../src/datachannel/index.js";
import { SeededRandom } from "../../src/random.js";
import { connectPair, type LinkConfig, Network } from "../sim/network.js";

const LINK: LinkConfig = { latency: 10, mtu: 1200 };

function dcPair(seed: number, link: LinkConfig = LINK, maxMessageSize?: number) {
  const net = new Network({ seed, defaultLink: link });
  const mk = (role: "client" | "server", n: number) =>
    new DataChannelEndpoint({
      dtlsRole: role,
      ...(maxMessageSize ? { maxMessageSize } : {}),
      sctp: { random: new SeededRandom(seed * 10 + n) },
    });
  const a = mk("client", 1);
  const b = mk("server", 2);
  const ea: DataChannelEvent[] = [];
  const eb: DataChannelEvent[] = [];
  const { kick } = connectPair(net, a, b, { link, onEventA: (e) => ea.push(e), onEventB: (e) => eb.push(e) });
  const connect = () => {
    a.connect(net.now);
    b.connect(net.now);
    kick();
    net.run({
      until: () => ea.some((e) => e.type === "connected") && eb.some((e) => e.type === "connected"),
      maxSteps: 10000,
    });
  };
  const settle = (ms = 200) => {
    kick();
    net.advance(ms);
  };
  return { net, a, b, ea, eb, kick, connect, settle };
}

const text = (d: Uint8Array) => Buffer.from(d).toString();

test("DCEP DATA_CHANNEL_OPEN wire format (RFC 8832 5.1)", () => {
  const b = encodeOpen({
    ordered: false,
    maxRetransmits: 3,
    maxPacketLifeTime: undefined,
    priority: 256,
    label: "chat",
    protocol: "x",
  });
  assert.equal(Buffer.from(b).toString("hex"), `038101000000000300040001${Buffer.from("chatx").toString("hex")}`);
  const o = decodeOpen(b);
  assert.deepEqual(o, {
    ordered: false,
    maxRetransmits: 3,
    maxPacketLifeTime: undefined,
    priority: 256,
    label: "chat",
    protocol: "x",
  });
  const timed = decodeOpen(
    encodeOpen({
      ordered: true,
      maxRetransmits: undefined,
      maxPacketLifeTime: 500,
      priority: 512,
      label: "",
      protocol: "",
    }),
  );
  assert.equal(timed?.maxPacketLifeTime, 500);
  assert.equal(timed?.ordered, true);
  assert.equal(decodeOpen(Uint8Array.of(3, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), undefined, "unknown channel type");
  assert.equal(decodeOpen(b.subarray(0, 14)), undefined, "truncated label");
});

test("in-band channel: open request, ack, messages of every type both ways", () => {
  const p = dcPair(1);
  // Created before the association is up: opens when it is.
  const ch = p.a.createChannel("chat", { protocol: "proto", ordered: false, maxRetransmits: 5, priority: 512 });
  assert.equal(p.a.info(ch)?.id, 0, "DTLS client uses even ids");
  assert.equal(p.a.state(ch), "connecting");
  p.connect();
  p.settle();
  const req = p.eb.find((e) => e.type === "channel-open-request");
  assert.ok(req?.type === "channel-open-request");
  assert.deepEqual(
    {
      id: req.id,
      label: req.label,
      protocol: req.protocol,
      ordered: req.ordered,
      maxRetransmits: req.maxRetransmits,
      priority: req.priority,
    },
    { id: 0, label: "chat", protocol: "proto", ordered: false, maxRetransmits: 5, priority: 512 },
  );
  assert.ok(p.ea.some((e) => e.type === "open" && e.channel === ch));
  assert.ok(p.eb.some((e) => e.type === "open" && e.channel === req.channel));
  p.a.send(ch, "héllo");
  p.a.send(ch, Uint8Array.of(1, 2, 3));
  p.a.send(ch, "");
  p.a.send(ch, new Uint8Array(0));
  p.b.send(req.channel, "back");
  p.settle();
  const mb = p.eb.filter((e) => e.type === "message");
  assert.equal(mb.length, 4);
  const byKind = mb.map((e) => (e.type === "message" ? `${e.binary ? "b" : "s"}:${e.data.length}` : ""));
  assert.deepEqual(new Set(byKind), new Set(["s:6", "b:3", "s:0", "b:0"]));
  const s = mb.find((e) => e.type === "message" && !e.binary && e.data.length > 0);
  assert.ok(s?.type === "message" && text(s.data) === "héllo");
  const ma = p.ea.find((e) => e.type === "message");
  assert.ok(ma?.type === "message" && text(ma.data) === "back" && ma.channel === ch && !ma.binary);
  // The server side picks odd ids.
  const ch2 = p.b.createChannel("from-server");
  assert.equal(p.b.info(ch2)?.id, 1);
});

test("negotiated channels use the agreed id and no DCEP", () => {
  const p = dcPair(2);
  const ca = p.a.createChannel("neg", { negotiated: true, id: 7 });
  const cb = p.b.createChannel("neg", { negotiated: true, id: 7 });
  assert.throws(() => p.a.createChannel("dup", { negotiated: true, id: 7 }), { code: "id-in-use" });
  assert.throws(() => p.a.createChannel("bad", { negotiated: true }), { code: "invalid-id" });
  p.connect();
  p.a.send(ca, "x");
  p.b.send(cb, "y");
  p.settle();
  assert.ok(!p.eb.some((e) => e.type === "channel-open-request"));
  assert.ok(p.eb.some((e) => e.type === "message" && e.channel === cb && text(e.data) === "x"));
  assert.ok(p.ea.some((e) => e.type === "message" && e.channel === ca && text(e.data) === "y"));
});

test("close delivers queued data first, then both sides close; the id is free again", () => {
  for (const seed of [3, 4]) {
    const p = dcPair(seed, { ...LINK, loss: 0.1 });
    p.connect();
    const ch = p.a.createChannel("c");
    for (let i = 0; i < 100; i++) p.a.send(ch, `m${i}`);
    p.a.close(ch);
    assert.equal(p.a.state(ch), "closing");
    assert.throws(() => p.a.send(ch, "late"), { code: "invalid-state" });
    p.kick();
    p.net.run({
      until: () => p.ea.some((e) => e.type === "closed") && p.eb.some((e) => e.type === "closed"),
      maxSteps: 100000,
    });
    const got = p.eb.flatMap((e) => (e.type === "message" ? [text(e.data)] : []));
    assert.deepEqual(
      got,
      [...Array(100).keys()].map((i) => `m${i}`),
      `seed ${seed}`,
    );
    const closingB = p.eb.findIndex((e) => e.type === "closing");
    const lastMsg = p.eb.map((e) => e.type).lastIndexOf("message");
    assert.ok(closingB > lastMsg, `seed ${seed}: closing after the last message`);
    assert.equal(p.a.state(ch), undefined, "closed channels are forgotten");
    assert.deepEqual(p.a.openChannels(), []);
    assert.deepEqual(p.b.openChannels(), []);
  }
});

test("1,000 channels opened and closed from both sides; ids never collide", () => {
  const p = dcPair(5, { ...LINK, loss: 0.02, jitter: 2 });
  p.connect();
  const mine = { a: [] as number[], b: [] as number[] };
  const remoteKeys = { a: new Map<number, number>(), b: new Map<number, number>() };
  p.ea.length = 0;
  p.eb.length = 0;
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 100; i++) {
      mine.a.push(p.a.createChannel(`a${round}-${i}`));
      mine.b.push(p.b.createChannel(`b${round}-${i}`));
    }
    p.settle(300);
    for (const e of p.ea) if (e.type === "channel-open-request") remoteKeys.a.set(e.id, e.channel);
    for (const e of p.eb) if (e.type === "channel-open-request") remoteKeys.b.set(e.id, e.channel);
    const idsA = p.a.openChannels().map((k) => p.a.info(k)!.id!);
    const idsB = p.b.openChannels().map((k) => p.b.info(k)!.id!);
    assert.equal(new Set(idsA).size, idsA.length, "a: distinct ids");
    assert.equal(new Set(idsB).size, idsB.length, "b: distinct ids");
    assert.deepEqual(new Set(idsA), new Set(idsB), "both sides see the same set of channels");
    // Every channel carries one message each way, then half are closed by each side.
    for (const k of p.a.openChannels()) p.a.send(k, `from a on ${p.a.info(k)!.id}`);
    for (const k of p.b.openChannels()) p.b.send(k, `from b on ${p.b.info(k)!.id}`);
    p.settle(300);
    for (const k of p.a.openChannels()) if (p.a.info(k)!.id! % 4 < 2) p.a.close(k);
    for (const k of p.b.openChannels()) if (p.b.info(k)!.id! % 4 >= 2) p.b.close(k);
    p.settle(2000);
    assert.deepEqual(p.a.openChannels(), [], `round ${round}: a closed everything`);
    assert.deepEqual(p.b.openChannels(), [], `round ${round}: b closed everything`);
  }
  const msgsA = p.ea.filter((e) => e.type === "message");
  const msgsB = p.eb.filter((e) => e.type === "message");
  assert.equal(msgsA.length, 1000);
  assert.equal(msgsB.length, 1000);
  for (const e of msgsB)
    if (e.type === "message") assert.ok(text(e.data).endsWith(` on ${e.id}`), "message on its own channel");
  assert.equal(p.ea.filter((e) => e.type === "closed").length, 1000);
  assert.equal(p.eb.filter((e) => e.type === "closed").length, 1000);
});

test("100,000 empty messages", () => {
  const p = dcPair(6);
  p.connect();
  const ch = p.a.createChannel("empty");
  let n = 0;
  let bad = 0;
  p.settle();
  for (let i = 0; i < 100000; i++) p.a.send(ch, i & 1 ? "" : new Uint8Array(0));
  p.kick();
  p.net.run({
    until: () => {
      for (let e = p.eb.pop(); e; e = p.eb.pop()) {
        if (e.type !== "message") continue;
        if (e.data.length !== 0) bad++;
        n++;
      }
      return n === 100000;
    },
    maxSteps: 1_000_000,
  });
  assert.equal(n, 100000);
  assert.equal(bad, 0);
});

test("max-message-size: 64 KiB when absent, unlimited when 0, our own limit advertised", () => {
  const p = dcPair(7, LINK, 1 << 25);
  p.connect();
  const ch = p.a.createChannel("big");
  p.settle();
  assert.equal(p.a.maxMessageSize, 65536);
  assert.throws(() => p.a.send(ch, new Uint8Array(65537)), { code: "message-too-large" });
  p.a.setRemoteMaxMessageSize(0);
  const big = new Uint8Array(16 * 1024 * 1024).fill(5);
  p.a.send(ch, big);
  p.kick();
  p.net.run({ until: () => p.eb.some((e) => e.type === "message"), maxSteps: 1_000_000 });
  const m = p.eb.find((e) => e.type === "message");
  assert.ok(m?.type === "message" && m.data.length === big.length && m.data[12345] === 5);
});

test("bufferedAmount counts queued bytes and buffered-amount-low fires when it drops to the threshold", () => {
  const p = dcPair(8);
  p.connect();
  const ch = p.a.createChannel("flow");
  p.settle();
  p.a.setBufferedAmountLowThreshold(ch, 100_000);
  for (let i = 0; i < 100; i++) p.a.send(ch, new Uint8Array(10_000));
  p.a.send(ch, "");
  assert.equal(p.a.bufferedAmount(ch), 1_000_000);
  p.kick();
  assert.ok(p.a.bufferedAmount(ch) < 1_000_000, "some left at once");
  p.net.run({ until: () => p.a.bufferedAmount(ch) === 0, maxSteps: 100000 });
  p.settle(100);
  const lows = p.ea.filter((e) => e.type === "buffered-amount-low");
  assert.equal(lows.length, 1);
});

test("partially reliable unordered channel at 30% loss loses messages but never stalls", () => {
  const p = dcPair(9, { ...LINK, loss: 0.3 });
  p.connect();
  const lossy = p.a.createChannel("lossy", { ordered: false, maxRetransmits: 0 });
  const reliable = p.a.createChannel("reliable");
  p.net.run({ until: () => p.eb.filter((e) => e.type === "open").length === 2, maxSteps: 100000 });
  for (let i = 0; i < 300; i++) {
    p.a.send(lossy, `l${i}`);
    p.a.send(reliable, `r${i}`);
    p.settle(30);
  }
  p.net.run({
    until: () => p.eb.filter((e) => e.type === "message" && text(e.data).startsWith("r")).length === 300,
    maxSteps: 1_000_000,
  });
  p.settle(3000);
  const got = p.eb.flatMap((e) => (e.type === "message" ? [text(e.data)] : []));
  const r = got.filter((s) => s.startsWith("r"));
  const l = got.filter((s) => s.startsWith("l"));
  assert.deepEqual(
    r,
    [...Array(300).keys()].map((i) => `r${i}`),
  );
  assert.ok(l.length < 300 && l.length > 100, `lossy got ${l.length}`);
  assert.equal(new Set(l).size, l.length);
});

test("channels created before the DTLS role is known get ids when it is", () => {
  const e = new DataChannelEndpoint({ sctp: { random: new SeededRandom(1) } });
  const k = e.createChannel("early");
  assert.equal(e.info(k)?.id, null);
  assert.throws(() => e.connect(0), { code: "invalid-state" });
  e.setDtlsRole("server");
  assert.equal(e.info(k)?.id, 1);
});

test("deprecated partial PPIDs are assembled", () => {
  const p = dcPair(10);
  p.connect();
  const ch = p.a.createChannel("old");
  p.settle();
  p.a.association.send(0, 52, Buffer.from("abc"), undefined, p.net.now);
  p.a.association.send(0, 52, Buffer.from("def"), undefined, p.net.now);
  p.a.association.send(0, 53, Buffer.from("g"), undefined, p.net.now);
  p.settle();
  const m = p.eb.find((e) => e.type === "message");
  assert.ok(m?.type === "message" && text(m.data) === "abcdefg" && m.binary);
  void ch;
});

test("the association closing closes every channel", () => {
  const p = dcPair(11);
  p.connect();
  const k1 = p.a.createChannel("x");
  const k2 = p.a.createChannel("y");
  p.settle();
  p.a.abort("bye");
  p.settle();
  assert.equal(p.a.state(k1), undefined);
  assert.equal(p.a.state(k2), undefined);
  assert.equal(p.eb.filter((e) => e.type === "closed").length, 2);
  const d = p.eb.find((e) => e.type === "disconnected");
  assert.ok(d?.type === "disconnected" && d.reason === "peer-abort");
});

test("stream counts from INIT limit channel ids", () => {
  const net = new Network({ seed: 12, defaultLink: LINK });
  const a = new DataChannelEndpoint({ dtlsRole: "client", sctp: { random: new SeededRandom(1) } });
  const b = new DataChannelEndpoint({
    dtlsRole: "server",
    sctp: { random: new SeededRandom(2), outboundStreams: 8, inboundStreams: 8 },
  });
  const ea: DataChannelEvent[] = [];
  const { kick } = connectPair(net, a, b, { link: LINK, onEventA: (e) => ea.push(e) });
  const tooHigh = a.createChannel("neg", { negotiated: true, id: 10 });
  a.connect(0);
  b.connect(0);
  kick();
  net.run({ until: () => ea.some((e) => e.type === "connected"), maxSteps: 1000 });
  assert.equal(a.association.outboundStreams, 8);
  const err = ea.find((e) => e.type === "error");
  assert.ok(err?.type === "error" && err.channel === tooHigh && err.code === "invalid-id");
  assert.equal(a.state(tooHigh), undefined);
  // In-band channels take the free even ids below 8, then there are none left.
  const keys = [0, 1, 2, 3, 4].map((i) => a.createChannel(`c${i}`));
  assert.deepEqual(
    keys.slice(0, 4).map((k) => a.info(k)?.id),
    [0, 2, 4, 6],
  );
  assert.equal(a.state(keys[4]!), undefined, "no fifth even id below 8");
  for (let e = a.pollEvent(); e; e = a.pollEvent()) ea.push(e);
  assert.ok(ea.some((e) => e.type === "error" && e.code === "no-stream-id"));
});

test("a peer without RE-CONFIG: closing still ends the channel locally", () => {
  const p = dcPair(13);
  p.connect();
  const ch = p.a.createChannel("c");
  p.settle();
  // Pretend the peer never announced stream reconfiguration.
  (p.a.association as unknown as { peerSupportsReconfig: boolean }).peerSupportsReconfig = false;
  p.a.close(ch);
  p.settle();
  assert.equal(p.a.state(ch), undefined);
  assert.ok(p.ea.some((e) => e.type === "closed" && e.channel === ch));
});

/** Chunk types of an SCTP packet (RFC 9260 3.2), and the PPID and first byte of each DATA / I-DATA chunk. */
function chunkTypes(p: Uint8Array): string[] {
  const out: string[] = [];
  for (let o = 12; o + 4 <= p.length; ) {
    const type = p[o]!;
    const len = (p[o + 2]! << 8) | p[o + 3]!;
    // DATA (0): PPID at 12, payload at 16; I-DATA (64, RFC 8260 2.1), first fragment: at 16 and 20.
    const at = type === 0 ? 12 : 16;
    out.push(
      type === 0 || type === 64 ? `DATA(ppid ${Buffer.from(p).readUInt32BE(o + at)}, ${p[o + at + 4]})` : String(type),
    );
    o += (len + 3) & ~3;
  }
  return out;
}

test("set-up in four packets: only the DTLS server sends INIT, DCEP OPEN rides with the COOKIE ECHO", () => {
  for (const seed of [1, 2, 3]) {
    const mk = (role: "client" | "server", n: number) =>
      new DataChannelEndpoint({ dtlsRole: role, sctp: { random: new SeededRandom(seed * 10 + n) } });
    const server = mk("server", 1);
    const client = mk("client", 2);
    const ch = server.createChannel("chat", {}, 0);
    server.connect(0);
    const wire: string[] = [];
    const events = { server: [] as DataChannelEvent[], client: [] as DataChannelEvent[] };
    const move = (from: DataChannelEndpoint, to: DataChannelEndpoint, name: string): number => {
      let n = 0;
      for (let p = from.pollTransmit(); p; p = from.pollTransmit()) {
        wire.push(`${name}: ${chunkTypes(p).join(" ")}`);
        to.handleDatagram(p, 1);
        n++;
      }
      for (const [ep, list] of [
        [server, events.server],
        [client, events.client],
      ] as const)
        for (let e = ep.pollEvent(); e; e = ep.pollEvent()) list.push(e);
      return n;
    };
    for (let i = 0; i < 10; i++) if (move(server, client, "server") + move(client, server, "client") === 0) break;
    assert.deepEqual(
      wire,
      [
        "server: 1", // INIT
        "client: 2", // INIT ACK
        "server: 10 DATA(ppid 50, 3)", // COOKIE ECHO + DATA_CHANNEL_OPEN
        "client: 11 3 DATA(ppid 50, 2)", // COOKIE ACK + SACK + DATA_CHANNEL_ACK
      ],
      `seed ${seed}`,
    );
    assert.ok(
      events.server.some((e) => e.type === "open" && e.channel === ch),
      `seed ${seed}: the opener's channel is open`,
    );
    assert.ok(
      events.client.some((e) => e.type === "channel-open-request" && e.label === "chat"),
      `seed ${seed}: the peer has the channel`,
    );
    assert.equal(server.association.state, "established");
    assert.equal(client.association.state, "established");
  }
});
