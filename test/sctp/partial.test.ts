// Partial reliability (RFC 3758, RFC 8260 I-FORWARD-TSN) at 30% loss: messages with
// maxRetransmits=0 or a lifetime get lost but never block later ones or reliable streams, and
// FORWARD TSN moves the receiver's cumulative TSN on so that nothing stays held.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { SendOptions } from "../../src/sctp/index.js";
import { establish, makePair } from "./pair.js";
import { checkMessage, messageBytes } from "./transfer.js";

const STREAMS: { id: number; opts: SendOptions | undefined; name: string }[] = [
  { id: 1, opts: { maxRetransmits: 0 }, name: "ordered rtx=0" },
  { id: 2, opts: { maxRetransmits: 0, unordered: true }, name: "unordered rtx=0" },
  { id: 3, opts: { maxLifetime: 150 }, name: "ordered lifetime=150ms" },
  { id: 4, opts: { maxRetransmits: 2, unordered: true }, name: "unordered rtx=2" },
  { id: 5, opts: undefined, name: "reliable" },
];

function sizeFor(seq: number): number {
  return seq % 5 === 0 ? 3000 : 200 + (seq % 7) * 50; // some multi-fragment messages
}

for (const iData of [true, false]) {
  test(`partial reliability at 30% loss (${iData ? "I-DATA" : "DATA"})`, () => {
    for (const seed of [1, 2, 3]) {
      const why = `seed ${seed} ${iData ? "I-DATA" : "DATA"}`;
      const received = new Map<number, number[]>();
      const p = makePair(
        seed,
        { latency: 20, jitter: 2, mtu: 1200, loss: 0.3 },
        {
          a: { iData },
          keep: false,
          onB: (e) => {
            if (e.type !== "message") return;
            const seq = Buffer.from(e.data.buffer, e.data.byteOffset, 8).readUInt32BE(4);
            checkMessage(e.streamId, seq, e.data, sizeFor(seq), why);
            let l = received.get(e.streamId);
            if (!l) received.set(e.streamId, (l = []));
            l.push(seq);
          },
        },
      );
      establish(p);
      assert.equal(p.a.iData, iData, why);
      const N = 400;
      for (let seq = 0; seq < N; seq++) {
        for (const s of STREAMS) p.a.send(s.id, 53, messageBytes(s.id, seq, sizeFor(seq)), s.opts, p.net.now);
        p.kick();
        p.net.advance(100);
      }
      p.net.run({
        until: () => (received.get(5)?.length ?? 0) === N && !p.a.sender.hasOutstanding(),
        untilTime: p.net.now + 600_000,
        maxSteps: 2_000_000,
      });
      p.net.advance(2000);
      const rel = received.get(5) ?? [];
      assert.deepEqual(rel, [...Array(N).keys()], `${why}: reliable stream complete and in order`);
      for (const s of STREAMS.slice(0, 4)) {
        const got = received.get(s.id) ?? [];
        assert.ok(got.length < N, `${why}: ${s.name} lost some (${got.length}/${N})`);
        // Lifetime-limited messages also expire while queued behind retransmissions at this loss rate.
        const least = s.opts?.maxLifetime ? 0 : N / 3;
        assert.ok(got.length > least, `${why}: ${s.name} got enough (${got.length}/${N})`);
        assert.equal(new Set(got).size, got.length, `${why}: ${s.name} no duplicates`);
        if (!s.opts?.unordered)
          for (let i = 1; i < got.length; i++) assert.ok(got[i]! > got[i - 1]!, `${why}: ${s.name} in order`);
        if (!s.opts?.maxLifetime)
          assert.ok(
            got.some((x) => x >= N - 20),
            `${why}: ${s.name} still delivering at the end`,
          );
      }
      // FORWARD TSN moved the receiver on: it acknowledges everything we assigned.
      assert.equal(p.b.cumulativeTsn, (p.a.sender.nextTsn - 1) >>> 0, `${why}: receiver caught up`);
      assert.equal(p.b.heldBytes, 0, `${why}: nothing held`);
      assert.ok(p.a.sender.stats.abandonedMessages > 0, why);
    }
  });
}

test("a lifetime that expires before sending drops the message without sending it", () => {
  const p = makePair(9, { latency: 10, mtu: 1200 });
  establish(p);
  const before = p.a.sender.stats.dataChunksSent;
  p.a.send(1, 53, new Uint8Array(100), { maxLifetime: 5 }, p.net.now);
  // Time passes before the association gets a chance to transmit.
  p.a.handleTimeout(p.net.now + 10);
  while (p.a.pollTransmit());
  assert.equal(p.a.sender.stats.dataChunksSent, before);
  assert.equal(p.a.bufferedAmount(1), 0);
});

test("abandoned messages on 300 streams at once: FORWARD TSNs split to fit, every stream moves on", async () => {
  const { DropFilter } = await import("./pair.js");
  const { SctpAssociation } = await import("../../src/sctp/index.js");
  const { SeededRandom } = await import("../../src/random.js");
  const { connectPair, Network } = await import("../sim/network.js");
  for (const iData of [false, true]) {
    const link = { latency: 10, mtu: 1200 };
    const net = new Network({ seed: 5, defaultLink: link });
    const a = new SctpAssociation({ random: new SeededRandom(1), iData });
    const b = new SctpAssociation({ random: new SeededRandom(2), iData });
    let dropData = false;
    const fa = new DropFilter(a, (p) => dropData && (p[12] === 0 || p[12] === 64 || p.length > 100));
    const got: string[] = [];
    const { kick } = connectPair(net, fa, b, {
      link,
      onEventB: (e) => {
        if (e.type === "message") got.push(`${e.streamId}:${e.data[0]}`);
      },
    });
    a.connect(net.now);
    b.connect(net.now);
    kick();
    net.run({ until: () => a.state === "established" && b.state === "established", maxSteps: 1000 });
    dropData = true;
    for (let s = 0; s < 300; s++) a.send(s, 53, Uint8Array.of(1), { maxRetransmits: 0 }, net.now);
    kick();
    net.advance(50);
    dropData = false;
    net.run({
      until: () => b.cumulativeTsn === (a.sender.nextTsn - 1) >>> 0,
      untilTime: net.now + 60000,
      maxSteps: 100000,
    });
    assert.equal(b.cumulativeTsn, (a.sender.nextTsn - 1) >>> 0, `iData=${iData}: the receiver caught up`);
    const probes = a.stats.pmtu.probesSent + b.stats.pmtu.probesSent;
    // (the filter above may drop a probe before it reaches the link)
    assert.ok(net.stats.tooBig <= probes, `iData=${iData}: nothing but path MTU probes over the MTU`);
    // Ordered messages after the skipped ones are delivered on every stream.
    for (let s = 0; s < 300; s++) a.send(s, 53, Uint8Array.of(2), undefined, net.now);
    kick();
    net.run({
      until: () => got.filter((g) => g.endsWith(":2")).length === 300,
      untilTime: net.now + 60000,
      maxSteps: 100000,
    });
    assert.equal(got.filter((g) => g.endsWith(":2")).length, 300, `iData=${iData}: later messages flow`);
    assert.equal(b.heldBytes, 0);
  }
});
