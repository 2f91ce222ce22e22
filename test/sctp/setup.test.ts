// Association set-up and tear-down on the simulator: lost INIT and COOKIE ECHO, INIT collision,
// one passive side, shutdown after queued data, ABORT, dead peer and retransmission limit.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SeededRandom } from "../../src/random.js";
import { sctpChecksum, writeChecksum } from "../../src/sctp/crc32c.js";
import { SctpAssociation, type SctpEvent, type SctpOptions } from "../../src/sctp/index.js";
import { connectPair, Network } from "../sim/network.js";
import { DropFilter, establish, firstChunk, makePair } from "./pair.js";

const LINK = { latency: 10, mtu: 1200 };
const CT_INIT = 1;
const CT_COOKIE_ECHO = 10;

function filteredPair(
  seed: number,
  dropA: (p: Uint8Array) => boolean,
  dropB: (p: Uint8Array) => boolean,
  opts: SctpOptions = {},
) {
  const net = new Network({ seed, defaultLink: LINK });
  const a = new SctpAssociation({ random: new SeededRandom(seed * 7 + 1), ...opts });
  const b = new SctpAssociation({ random: new SeededRandom(seed * 7 + 2), ...opts });
  const fa = new DropFilter<SctpEvent>(a, dropA);
  const fb = new DropFilter<SctpEvent>(b, dropB);
  const eventsA: SctpEvent[] = [];
  const eventsB: SctpEvent[] = [];
  const { kick } = connectPair(net, fa, fb, {
    link: LINK,
    onEventA: (e) => eventsA.push(e),
    onEventB: (e) => eventsB.push(e),
  });
  return { net, a, b, fa, fb, eventsA, eventsB, kick };
}

function once(pred: (p: Uint8Array) => boolean): (p: Uint8Array) => boolean {
  let done = false;
  return (p) => {
    if (!done && pred(p)) {
      done = true;
      return true;
    }
    return false;
  };
}

test("both sides connect at once (INIT collision) and exchange data", () => {
  for (const seed of [1, 2, 3]) {
    const p = makePair(seed, LINK);
    establish(p);
    assert.equal(p.a.state, "established", `seed ${seed}`);
    assert.equal(p.b.state, "established", `seed ${seed}`);
    assert.equal(p.eventsA.filter((e) => e.type === "established").length, 1, `seed ${seed}`);
    assert.equal(p.eventsB.filter((e) => e.type === "established").length, 1, `seed ${seed}`);
    p.a.send(1, 51, Buffer.from("hello"), undefined, p.net.now);
    p.b.send(2, 51, Buffer.from("world"), undefined, p.net.now);
    p.kick();
    p.net.advance(100);
    const ma = p.eventsA.find((e) => e.type === "message");
    const mb = p.eventsB.find((e) => e.type === "message");
    assert.ok(ma?.type === "message" && Buffer.from(ma.data).toString() === "world", `seed ${seed}`);
    assert.ok(
      mb?.type === "message" && Buffer.from(mb.data).toString() === "hello" && mb.streamId === 1,
      `seed ${seed}`,
    );
  }
});

test("one side connects, the other only listens", () => {
  const p = makePair(4, LINK);
  p.a.connect(p.net.now);
  p.kick();
  p.net.run({ until: () => p.a.state === "established" && p.b.state === "established", maxSteps: 1000 });
  assert.equal(p.b.state, "established");
  // Latency 10 ms each way: INIT, INIT ACK, COOKIE ECHO, COOKIE ACK.
  assert.ok(p.net.now <= 40, `took ${p.net.now} ms`);
});

test("a lost INIT is retransmitted after T1", () => {
  const f = filteredPair(
    5,
    once((p) => firstChunk(p) === CT_INIT),
    () => false,
  );
  f.a.connect(f.net.now);
  f.kick();
  f.net.run({ until: () => f.a.state === "established" && f.b.state === "established", maxSteps: 1000 });
  assert.equal(f.fa.dropped, 1);
  assert.equal(f.b.state, "established");
  assert.ok(f.net.now >= 1000, "established only after the initial RTO");
});

test("a lost COOKIE ECHO is retransmitted; lost INITs on both sides in a collision", () => {
  const f = filteredPair(
    6,
    once((p) => firstChunk(p) === CT_COOKIE_ECHO),
    once((p) => firstChunk(p) === CT_INIT),
  );
  f.a.connect(f.net.now);
  f.b.connect(f.net.now);
  f.kick();
  f.net.run({ until: () => f.a.state === "established" && f.b.state === "established", maxSteps: 1000 });
  assert.equal(f.a.state, "established");
  assert.equal(f.b.state, "established");
  assert.equal(f.fa.dropped + f.fb.dropped, 2);
  f.a.send(0, 53, Uint8Array.of(1, 2, 3), undefined, f.net.now);
  f.kick();
  f.net.advance(100);
  assert.ok(f.eventsB.some((e) => e.type === "message"));
});

test("no answer to INIT: closed with retransmission-limit", () => {
  const f = filteredPair(
    7,
    (p) => firstChunk(p) === CT_INIT,
    () => false,
  );
  f.a.connect(f.net.now);
  f.kick();
  f.net.run({ maxSteps: 1000 });
  assert.equal(f.a.state, "closed");
  const closed = f.eventsA.find((e) => e.type === "closed");
  assert.ok(closed?.type === "closed" && closed.reason === "retransmission-limit");
});

test("shutdown delivers queued data first, then both sides close", () => {
  const p = makePair(8, { ...LINK, loss: 0.1 });
  establish(p);
  for (let i = 0; i < 200; i++) p.a.send(i % 3, 53, new Uint8Array(2000).fill(i), undefined, p.net.now);
  p.a.shutdown(p.net.now);
  assert.throws(() => p.a.send(0, 53, Uint8Array.of(1), undefined, p.net.now), { code: "invalid-state" });
  p.kick();
  p.net.run({ maxSteps: 200000 });
  assert.equal(p.eventsB.filter((e) => e.type === "message").length, 200);
  assert.equal(p.a.state, "closed");
  assert.equal(p.b.state, "closed");
  const ca = p.eventsA.find((e) => e.type === "closed");
  const cb = p.eventsB.find((e) => e.type === "closed");
  assert.ok(ca?.type === "closed" && ca.reason === "shutdown");
  assert.ok(cb?.type === "closed" && cb.reason === "shutdown");
});

test("a peer that closed answers with ABORT, so the other side learns at once", () => {
  const p = makePair(17, LINK, { a: { maxRetransmissions: 2, rtoMax: 1000 } });
  establish(p);
  // a gives up on b (its packets to b are lost)...
  p.net.setLink("10.0.0.1", "10.0.0.2", { ...LINK, loss: 1 });
  p.a.send(0, 53, Uint8Array.of(1), undefined, p.net.now);
  p.kick();
  p.net.run({ until: () => p.a.state === "closed", untilTime: 60000, maxSteps: 10000 });
  assert.equal(p.a.state, "closed");
  assert.equal(p.b.state, "established");
  // ...b still thinks it is up and sends: a answers with an ABORT (T bit) and b closes at once.
  p.net.setLink("10.0.0.1", "10.0.0.2", LINK);
  const t = p.net.now;
  p.b.send(0, 53, Uint8Array.of(2), undefined, p.net.now);
  p.kick();
  p.net.run({ until: () => p.b.state === "closed", untilTime: p.net.now + 1000, maxSteps: 1000 });
  const cb = p.eventsB.find((e) => e.type === "closed");
  assert.ok(cb?.type === "closed" && cb.reason === "peer-abort", JSON.stringify(cb));
  assert.ok(p.net.now - t <= 30, "one round trip");
});

test("abort reaches the peer with its reason", () => {
  const p = makePair(9, LINK);
  establish(p);
  p.a.abort("going away");
  p.kick();
  p.net.run({ maxSteps: 1000 });
  const ca = p.eventsA.find((e) => e.type === "closed");
  const cb = p.eventsB.find((e) => e.type === "closed");
  assert.ok(ca?.type === "closed" && ca.reason === "user-abort");
  assert.ok(
    cb?.type === "closed" && cb.reason === "peer-abort" && cb.cause?.includes("going away"),
    JSON.stringify(cb),
  );
  assert.equal(cb.causeCode, 12, "User-Initiated Abort");
  assert.equal(p.b.state, "closed");
});

test("a silent peer is detected by heartbeats (dead-peer)", () => {
  const p = makePair(10, LINK, { a: { heartbeatInterval: 1000, rtoMax: 2000, maxRetransmissions: 3 } });
  establish(p);
  // The link goes dark in both directions.
  p.net.setLink("10.0.0.1", "10.0.0.2", { ...LINK, loss: 1 });
  p.net.setLink("10.0.0.2", "10.0.0.1", { ...LINK, loss: 1 });
  p.net.run({ until: () => p.a.state === "closed", untilTime: 120000, maxSteps: 10000 });
  const ca = p.eventsA.find((e) => e.type === "closed");
  assert.ok(ca?.type === "closed" && ca.reason === "dead-peer", JSON.stringify(ca));
});

test("heartbeats keep an idle association open", () => {
  const p = makePair(11, LINK, { a: { heartbeatInterval: 1000 }, b: { heartbeatInterval: 1000 } });
  establish(p);
  p.net.advance(60000);
  assert.equal(p.a.state, "established");
  assert.equal(p.b.state, "established");
});

test("data that cannot be delivered ends in retransmission-limit", () => {
  const p = makePair(12, LINK, { a: { rtoMax: 2000, maxRetransmissions: 4 } });
  establish(p);
  p.net.setLink("10.0.0.1", "10.0.0.2", { ...LINK, loss: 1 });
  p.a.send(0, 53, new Uint8Array(100), undefined, p.net.now);
  p.kick();
  p.net.run({ until: () => p.a.state === "closed", untilTime: 120000, maxSteps: 10000 });
  const ca = p.eventsA.find((e) => e.type === "closed");
  assert.ok(ca?.type === "closed" && ca.reason === "retransmission-limit", JSON.stringify(ca));
});

test("CRC32c is used when zero checksum is not negotiated, and corrupt packets are dropped", () => {
  const p = makePair(13, LINK, { a: { zeroChecksum: false } });
  establish(p);
  assert.equal(p.a.zeroChecksumInUse, false);
  assert.equal(p.b.zeroChecksumInUse, false);
  p.a.send(0, 53, new Uint8Array(500).fill(9), undefined, p.net.now);
  const pkt = p.a.pollTransmit()!;
  assert.notEqual(pkt[8]! | pkt[9]! | pkt[10]! | pkt[11]!, 0);
  const bad = Uint8Array.from(pkt);
  bad[100]! ^= 1;
  p.b.handleDatagram(bad, p.net.now);
  assert.equal(p.b.stats.dropped.checksum, 1);
  p.b.handleDatagram(pkt, p.net.now);
  const m = p.b.pollEvent();
  assert.ok(m?.type === "message" && m.data.length === 500);
});

test("zero checksum is negotiated when both sides offer it", () => {
  const p = makePair(14, LINK);
  establish(p);
  assert.equal(p.a.zeroChecksumInUse, true);
  p.a.send(0, 53, new Uint8Array(10), undefined, p.net.now);
  const pkt = p.a.pollTransmit()!;
  assert.equal(pkt[8]! | pkt[9]! | pkt[10]! | pkt[11]!, 0);
});

test("garbage and mutated packets never throw", () => {
  const p = makePair(15, LINK, { a: { zeroChecksum: false }, b: { zeroChecksum: false } });
  establish(p);
  const rnd = new SeededRandom(99);
  p.a.send(0, 53, new Uint8Array(3000).fill(1), { unordered: true }, p.net.now);
  const pkts: Uint8Array[] = [];
  for (let x = p.a.pollTransmit(); x; x = p.a.pollTransmit()) pkts.push(x);
  for (let i = 0; i < 20000; i++) {
    const base = pkts[i % pkts.length]!;
    const m = Uint8Array.from(base.subarray(0, 12 + rnd.int(base.length)));
    for (let k = 0; k < 1 + rnd.int(4); k++) m[12 + rnd.int(Math.max(1, m.length - 12))] = rnd.int(256);
    // Half of them with a valid checksum so that they reach the chunk parsers.
    if (i & 1) writeChecksum(m, sctpChecksum(m));
    p.b.handleDatagram(m, p.net.now);
    while (p.b.pollEvent());
    while (p.b.pollTransmit());
  }
  for (let i = 0; i < 2000; i++) p.b.handleDatagram(rnd.bytes(rnd.int(64)), p.net.now);
  assert.ok((p.b.stats.dropped.checksum ?? 0) > 0);
  assert.ok(p.b.stats.dataChunksReceived > 100, "mutated DATA chunks reached the receiver");
});

test("a lost SHUTDOWN COMPLETE: the out-of-the-blue SHUTDOWN ACK is answered and both close cleanly", () => {
  // a sends SHUTDOWN; b answers SHUTDOWN ACK; a's SHUTDOWN COMPLETE is lost once.
  const f = filteredPair(
    16,
    once((p) => firstChunk(p) === 14),
    () => false,
  );
  f.a.connect(f.net.now);
  f.kick();
  f.net.run({ until: () => f.a.state === "established" && f.b.state === "established", maxSteps: 1000 });
  f.a.send(0, 53, new Uint8Array(5000), undefined, f.net.now);
  f.a.shutdown(f.net.now);
  f.kick();
  f.net.run({ until: () => f.a.state === "closed" && f.b.state === "closed", maxSteps: 10000 });
  assert.equal(f.fa.dropped, 1);
  const ca = f.eventsA.find((e) => e.type === "closed");
  const cb = f.eventsB.find((e) => e.type === "closed");
  assert.ok(ca?.type === "closed" && ca.reason === "shutdown");
  assert.ok(cb?.type === "closed" && cb.reason === "shutdown", JSON.stringify(cb));
  assert.ok(f.eventsB.some((e) => e.type === "message"));
});

test("set-up and a transfer survive 40% loss in both directions (collision, retransmitted INIT/COOKIE)", () => {
  for (let seed = 20; seed < 30; seed++) {
    const opts = { rtoMax: 4000, maxInitRetransmits: 20 };
    const p = makePair(seed, { ...LINK, loss: 0.4 }, { a: opts, b: opts });
    p.a.connect(p.net.now);
    if (seed & 1) p.b.connect(p.net.now);
    p.kick();
    p.net.run({
      until: () => p.a.state === "established" && p.b.state === "established",
      untilTime: 120000,
      maxSteps: 100000,
    });
    assert.equal(p.a.state, "established", `seed ${seed}`);
    assert.equal(p.b.state, "established", `seed ${seed}`);
    for (let i = 0; i < 20; i++) p.a.send(1, 53, Uint8Array.of(i), undefined, p.net.now);
    p.kick();
    p.net.run({
      until: () => p.eventsB.filter((e) => e.type === "message").length === 20,
      untilTime: p.net.now + 300000,
      maxSteps: 100000,
    });
    const got = p.eventsB.flatMap((e) => (e.type === "message" ? [e.data[0]!] : []));
    assert.deepEqual(got, [...Array(20).keys()], `seed ${seed}`);
  }
});

test("a stale cookie gets a Stale Cookie error and the initiator starts over (RFC 9260 5.2.6)", () => {
  let now = 0;
  const f = filteredPair(
    18,
    (p) => firstChunk(p) === CT_COOKIE_ECHO && now < 8_000,
    () => false,
    {
      cookieLifetime: 5_000,
    },
  );
  f.a.connect(f.net.now);
  f.kick();
  f.net.run({
    until: () => {
      now = f.net.now;
      return f.a.state === "established" && f.b.state === "established";
    },
    untilTime: 600_000,
    maxSteps: 10000,
  });
  assert.equal(f.a.state, "established");
  assert.equal(f.b.state, "established");
  assert.ok((f.b.stats.dropped["stale-cookie"] ?? 0) >= 1, "b saw a stale cookie");
  assert.ok(f.net.now > 8_000);
});

test("every COOKIE ACK lost: the peer's heartbeat tells the initiator it is established", () => {
  const f = filteredPair(
    19,
    () => false,
    (p) => firstChunk(p) === 11,
    { heartbeatInterval: 2000 },
  );
  f.a.connect(f.net.now);
  f.kick();
  f.net.run({ until: () => f.a.state === "established", untilTime: 60_000, maxSteps: 10000 });
  assert.equal(f.b.state, "established");
  assert.equal(f.a.state, "established");
  assert.ok(f.fb.dropped >= 1);
});
