// Message-level behaviour: a 16 MiB message, 100,000 tiny messages, I-DATA interleaving (a big
// message in flight does not hold back another stream's small ones), round-robin fairness,
// stream reset (RFC 6525) with sequence numbers restarting, and API misuse errors.
import assert from "node:assert/strict";
import { test } from "node:test";
import { establish, makePair } from "./pair.js";

const LINK = { latency: 10, mtu: 1200 };

test("a 16 MiB message arrives intact (one copy on reassembly)", () => {
  for (const iData of [true, false]) {
    const big = Buffer.allocUnsafe(16 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32BE(i, i);
    const p = makePair(
      1,
      { ...LINK, loss: 0.01 },
      { a: { maxMessageSize: 1 << 25, iData }, b: { maxMessageSize: 1 << 25 } },
    );
    establish(p);
    p.a.send(3, 53, big, undefined, p.net.now);
    p.kick();
    p.net.run({ until: () => p.eventsB.some((e) => e.type === "message"), maxSteps: 2_000_000 });
    const m = p.eventsB.find((e) => e.type === "message");
    assert.ok(m?.type === "message");
    assert.equal(m.data.length, big.length);
    assert.ok(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.length).equals(big), `iData=${iData}`);
  }
});

test("a message larger than the receiver's limit aborts the association", () => {
  const p = makePair(2, LINK, { a: { maxMessageSize: 1 << 20 }, b: { maxMessageSize: 65536 } });
  establish(p);
  p.a.send(0, 53, new Uint8Array(100000), undefined, p.net.now);
  p.kick();
  p.net.run({ until: () => p.b.state === "closed", maxSteps: 10000 });
  const c = p.eventsB.find((e) => e.type === "closed");
  assert.ok(c?.type === "closed" && c.reason === "protocol-error");
  p.net.advance(100);
  assert.equal(p.a.state, "closed");
});

test("100,000 one-byte messages arrive in order", () => {
  let n = 0;
  let ok = true;
  const q = makePair(3, LINK, {
    keep: false,
    onB: (e) => {
      if (e.type !== "message") return;
      if (e.data.length !== 1 || e.data[0] !== (n & 255) || e.ppid !== 57) ok = false;
      n++;
    },
  });
  establish(q);
  for (let i = 0; i < 100000; i++) q.a.send(7, 57, Uint8Array.of(i & 255), undefined, q.net.now);
  q.kick();
  q.net.run({ until: () => n === 100000, maxSteps: 2_000_000 });
  assert.equal(n, 100000);
  assert.ok(ok, "contents and order");
});

test("with I-DATA a 1 MiB message in flight does not hold back another stream", () => {
  for (const iData of [true, false]) {
    const order: string[] = [];
    const p = makePair(4, LINK, {
      a: { maxMessageSize: 1 << 21, iData },
      b: { maxMessageSize: 1 << 21 },
      onB: (e) => {
        if (e.type === "message") order.push(e.streamId === 1 ? "big" : "small");
      },
    });
    establish(p);
    p.a.send(1, 53, new Uint8Array(1 << 20), undefined, p.net.now);
    p.kick();
    p.net.advance(15);
    for (let i = 0; i < 10; i++) p.a.send(2, 51, Buffer.from(`ping ${i}`), undefined, p.net.now);
    p.kick();
    p.net.run({ until: () => order.length === 11, maxSteps: 100000 });
    if (iData) {
      assert.equal(order.indexOf("big"), 10, `small messages overtook the big one: ${order.join(",")}`);
    } else {
      assert.equal(order[0], "big", "DATA cannot interleave: the big message completes first");
    }
  }
});

test("round robin: a stream with a deep queue does not starve another", () => {
  const p = makePair(5, LINK);
  establish(p);
  for (let i = 0; i < 2000; i++) p.a.send(1, 53, new Uint8Array(1000), undefined, p.net.now);
  p.a.send(2, 53, Uint8Array.of(1), undefined, p.net.now);
  p.kick();
  p.net.run({ until: () => p.eventsB.some((e) => e.type === "message" && e.streamId === 2), maxSteps: 100000 });
  const before = p.eventsB.filter((e) => e.type === "message" && e.streamId === 1).length;
  assert.ok(before < 20, `stream 2 waited for ${before} messages of stream 1`);
});

test("unordered messages are delivered as they arrive", () => {
  const p = makePair(6, { ...LINK, reorder: 0.3, reorderDelay: 30 });
  establish(p);
  for (let i = 0; i < 200; i++) p.a.send(1, 53, Uint8Array.of(i), { unordered: true }, p.net.now);
  p.kick();
  p.net.run({ until: () => p.eventsB.filter((e) => e.type === "message").length === 200, maxSteps: 100000 });
  const got = p.eventsB.flatMap((e) => (e.type === "message" ? [e.data[0]!] : []));
  assert.equal(new Set(got).size, 200);
  assert.ok(
    got.some((v, i) => i > 0 && v < got[i - 1]!),
    "some arrived out of order",
  );
  assert.ok(p.eventsB.every((e) => e.type !== "message" || e.unordered));
});

test("stream reset: queued data first, peer notified, sequence numbers restart", () => {
  for (const seed of [7, 8]) {
    const p = makePair(seed, { ...LINK, loss: 0.1 });
    establish(p);
    for (let i = 0; i < 50; i++) p.a.send(4, 53, Uint8Array.of(i), undefined, p.net.now);
    p.a.resetStreams([4], p.net.now);
    assert.throws(() => p.a.send(4, 53, Uint8Array.of(1), undefined, p.net.now), { code: "stream-resetting" });
    p.kick();
    p.net.run({ until: () => p.eventsA.some((e) => e.type === "reset-done"), maxSteps: 100000 });
    const msgs = p.eventsB.flatMap((e) => (e.type === "message" ? [e.data[0]!] : []));
    assert.deepEqual(msgs, [...Array(50).keys()], `seed ${seed}: all queued data before the reset`);
    const reset = p.eventsB.find((e) => e.type === "stream-reset");
    assert.ok(reset?.type === "stream-reset" && reset.streamIds.includes(4), `seed ${seed}`);
    // The stream can be used again, starting from sequence number 0 on both sides.
    for (let i = 0; i < 20; i++) p.a.send(4, 53, Uint8Array.of(100 + i), undefined, p.net.now);
    p.kick();
    p.net.run({ until: () => p.eventsB.filter((e) => e.type === "message").length === 70, maxSteps: 100000 });
    const after = p.eventsB.flatMap((e) => (e.type === "message" ? [e.data[0]!] : [])).slice(50);
    assert.deepEqual(
      after,
      [...Array(20).keys()].map((i) => 100 + i),
      `seed ${seed}`,
    );
  }
});

test("both sides reset the same stream (data channel close from both ends)", () => {
  const p = makePair(9, LINK);
  establish(p);
  p.a.send(6, 53, Uint8Array.of(1), undefined, p.net.now);
  p.b.send(6, 53, Uint8Array.of(2), undefined, p.net.now);
  p.a.resetStreams([6], p.net.now);
  p.b.resetStreams([6], p.net.now);
  p.kick();
  p.net.run({
    until: () => p.eventsA.some((e) => e.type === "reset-done") && p.eventsB.some((e) => e.type === "reset-done"),
    maxSteps: 10000,
  });
  assert.ok(p.eventsA.some((e) => e.type === "stream-reset"));
  assert.ok(p.eventsB.some((e) => e.type === "stream-reset"));
  assert.ok(p.eventsA.some((e) => e.type === "message"));
  assert.ok(p.eventsB.some((e) => e.type === "message"));
});

test("API misuse throws errors with stable codes", () => {
  const p = makePair(10, LINK, { a: { maxSendMessageSize: 1000 } });
  assert.throws(() => p.a.resetStreams([1], 0), { code: "invalid-state" });
  establish(p);
  assert.throws(() => p.a.send(70000, 53, Uint8Array.of(1), undefined, p.net.now), { code: "invalid-stream" });
  assert.throws(() => p.a.send(1, 53, new Uint8Array(1001), undefined, p.net.now), { code: "message-too-large" });
  assert.throws(() => p.a.send(1, 53, new Uint8Array(0), undefined, p.net.now), { code: "empty-message" });
  assert.throws(() => p.a.connect(p.net.now), { code: "invalid-state" });
  p.a.send(1, 53, new Uint8Array(1000), undefined, p.net.now);
  assert.equal(p.a.bufferedAmount(1), 1000);
  p.kick();
  assert.equal(p.a.bufferedAmount(1), 0);
  p.net.advance(50);
  const sent = p.eventsA.filter((e) => e.type === "sent").reduce((n, e) => n + (e.type === "sent" ? e.bytes : 0), 0);
  assert.equal(sent, 1000);
});

test("resetting 1,000 streams at once is split into requests that fit a packet", () => {
  const p = makePair(11, LINK);
  establish(p);
  const ids = Array.from({ length: 1000 }, (_, i) => i);
  for (const id of ids) p.a.send(id, 53, Uint8Array.of(id & 255), undefined, p.net.now);
  p.a.resetStreams(ids, p.net.now);
  p.kick();
  p.net.run({
    until: () =>
      p.eventsA.filter((e) => e.type === "reset-done").flatMap((e) => (e.type === "reset-done" ? e.streamIds : []))
        .length === 1000,
    maxSteps: 100000,
  });
  const done = p.eventsA.flatMap((e) => (e.type === "reset-done" ? e.streamIds : []));
  assert.deepEqual(
    [...done].sort((x, y) => x - y),
    ids,
  );
  const probes = p.a.stats.pmtu.probesSent + p.b.stats.pmtu.probesSent;
  assert.equal(p.net.stats.tooBig, probes, "nothing but path MTU probes over the link MTU");
  const resetAtB = p.eventsB.flatMap((e) => (e.type === "stream-reset" ? e.streamIds : []));
  assert.equal(new Set(resetAtB).size, 1000);
  assert.equal(p.eventsB.filter((e) => e.type === "message").length, 1000);
});

test("TSNs, SSNs and reset request numbers wrap around 2^32 / 2^16 under loss", async () => {
  const { SctpAssociation } = await import("../../src/sctp/index.js");
  const { SeededRandom } = await import("../../src/random.js");
  const { connectPair, Network } = await import("../sim/network.js");
  // A Random whose u32 right after the cookie secret and the tag (the initial TSN) sits just below 2^32.
  class NearWrap extends SeededRandom {
    private after: number | undefined;
    override bytes(n: number): Uint8Array {
      const b = super.bytes(n);
      this.after = 0;
      return b;
    }
    override u32(): number {
      if (this.after !== undefined && ++this.after === 2) {
        this.after = undefined;
        return 0xffffff00;
      }
      return super.u32();
    }
  }
  for (const iData of [true, false]) {
    const link = { latency: 10, mtu: 1200, loss: 0.05, reorder: 0.05, reorderDelay: 15 };
    const net = new Network({ seed: 9, defaultLink: link });
    const a = new SctpAssociation({ random: new NearWrap(1), iData });
    const b = new SctpAssociation({ random: new NearWrap(2), iData });
    const got: number[] = [];
    let resets = 0;
    const { kick } = connectPair(net, a, b, {
      link,
      onEventA: (e) => {
        if (e.type === "reset-done") resets++;
      },
      onEventB: (e) => {
        if (e.type === "message") got.push(Buffer.from(e.data.buffer, e.data.byteOffset, 4).readUInt32BE(0));
      },
    });
    a.connect(net.now);
    b.connect(net.now);
    kick();
    net.run({ until: () => a.state === "established" && b.state === "established", maxSteps: 10000 });
    assert.ok(a.sender.nextTsn > 0xfffff000, "starts near the wrap");
    const N = 70000; // also wraps the 16-bit SSN of stream 0
    for (let i = 0; i < N; i++) {
      const m = Buffer.alloc(i % 50 === 0 ? 3000 : 4);
      m.writeUInt32BE(i, 0);
      a.send(0, 53, m, undefined, net.now);
    }
    kick();
    net.run({ until: () => got.length === N, maxSteps: 5_000_000 });
    assert.equal(got.length, N);
    for (let i = 0; i < N; i++) if (got[i] !== i) assert.fail(`iData=${iData}: message ${i} out of order (${got[i]})`);
    assert.ok(a.sender.nextTsn < 0x10000000, "TSNs wrapped");
    // Reset request sequence numbers start at the initial TSN: two resets cross the wrap too.
    for (let r = 0; r < 2; r++) {
      a.resetStreams([0], net.now);
      kick();
      net.run({ until: () => resets === r + 1, maxSteps: 100000 });
    }
    assert.equal(resets, 2, `iData=${iData}: both resets done`);
  }
});
