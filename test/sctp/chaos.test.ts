// Randomised workloads on a bad link: reliable ordered, unordered and partially reliable streams,
// stream resets in the middle of traffic, both directions, DATA and I-DATA. Invariants: reliable
// streams deliver every message exactly once and in order (per reset epoch), nothing is
// delivered twice, nothing stays held, no exception escapes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SeededRandom } from "../../src/random.js";
import type { SctpAssociation, SendOptions } from "../../src/sctp/index.js";
import { establish, makePair, type Pair } from "./pair.js";

interface Side {
  sent: Map<number, number>; // stream -> next message number (reliable streams)
  got: Map<number, number>; // stream -> next expected (reliable streams)
  seen: Set<string>; // every delivered message id, to catch duplicates
}

function run(seed: number, iData: boolean): void {
  const why = `seed ${seed} ${iData ? "I-DATA" : "DATA"}`;
  const rnd = new SeededRandom(seed);
  const sides: Record<"a" | "b", Side> = {
    a: { sent: new Map(), got: new Map(), seen: new Set() },
    b: { sent: new Map(), got: new Map(), seen: new Set() },
  };
  // Streams 0-3 reliable ordered, 4-5 unordered reliable, 6-7 partially reliable.
  const optsFor = (s: number): SendOptions | undefined =>
    s < 4
      ? undefined
      : s < 6
        ? { unordered: true }
        : s === 6
          ? { maxRetransmits: 1 }
          : { maxLifetime: 300, unordered: true };
  const resetting = { a: new Set<number>(), b: new Set<number>() };
  const onMessage = (to: Side, e: { streamId: number; data: Uint8Array }) => {
    const text = Buffer.from(e.data.subarray(0, 40)).toString().split(":")[0]!;
    assert.ok(!to.seen.has(text), `${why}: duplicate ${text}`);
    to.seen.add(text);
    const [, streamStr, epochStr, nStr] = text.split("/");
    const s = Number(streamStr);
    if (s < 4) {
      const key = s * 1000 + Number(epochStr);
      const want = to.got.get(key) ?? 0;
      assert.equal(Number(nStr), want, `${why}: stream ${s} epoch ${epochStr} order`);
      to.got.set(key, want + 1);
    }
  };
  const p: Pair = makePair(
    seed,
    { latency: 15, jitter: 3, mtu: 1200, loss: 0.1, duplicate: 0.05, reorder: 0.05, reorderDelay: 20 },
    {
      a: { iData, maxMessageSize: 1 << 20 },
      b: { iData, maxMessageSize: 1 << 20 },
      keep: false,
      onA: (e) => {
        if (e.type === "message") onMessage(sides.a, e);
        else if (e.type === "reset-done") for (const id of e.streamIds) resetting.a.delete(id);
        else if (e.type === "closed") assert.fail(`${why}: a closed ${e.reason}`);
      },
      onB: (e) => {
        if (e.type === "message") onMessage(sides.b, e);
        else if (e.type === "reset-done") for (const id of e.streamIds) resetting.b.delete(id);
        else if (e.type === "closed") assert.fail(`${why}: b closed ${e.reason}`);
      },
    },
  );
  establish(p);
  const epochs = { a: new Map<number, number>(), b: new Map<number, number>() };
  const sendFrom = (name: "a" | "b", assoc: SctpAssociation) => {
    const s = rnd.int(8);
    if (resetting[name].has(s)) return;
    const epoch = epochs[name].get(s) ?? 0;
    const key = s * 1000 + epoch;
    const n = sides[name].sent.get(key) ?? 0;
    sides[name].sent.set(key, n + 1);
    const head = Buffer.from(`${name}/${s}/${epoch}/${n}:`);
    const size = rnd.float() < 0.1 ? 5000 + rnd.int(60000) : rnd.int(1500);
    const body = Buffer.alloc(head.length + size, 0x61);
    head.copy(body);
    assoc.send(s, 53, body, optsFor(s), p.net.now);
  };
  for (let step = 0; step < 400; step++) {
    for (let k = rnd.int(4); k > 0; k--) sendFrom("a", p.a);
    for (let k = rnd.int(3); k > 0; k--) sendFrom("b", p.b);
    if (rnd.float() < 0.03) {
      // Reset a reliable ordered stream: a new epoch starts at message 0 after it.
      const name = rnd.float() < 0.5 ? "a" : "b";
      const s = rnd.int(4);
      if (!resetting[name].has(s)) {
        resetting[name].add(s);
        (name === "a" ? p.a : p.b).resetStreams([s], p.net.now);
        epochs[name].set(s, (epochs[name].get(s) ?? 0) + 1);
      }
    }
    p.kick();
    p.net.advance(10 + rnd.int(20));
  }
  const done = () =>
    !p.a.sender.hasOutstanding() &&
    !p.b.sender.hasOutstanding() &&
    p.a.sender.totalBuffered === 0 &&
    p.b.sender.totalBuffered === 0 &&
    resetting.a.size === 0 &&
    resetting.b.size === 0;
  p.net.run({ until: done, untilTime: p.net.now + 600_000, maxSteps: 5_000_000 });
  assert.ok(done(), `${why}: everything acknowledged`);
  p.net.advance(1000);
  for (const [from, to] of [
    ["a", "b"],
    ["b", "a"],
  ] as const) {
    for (const [key, n] of sides[from].sent) {
      if (Math.floor(key / 1000) < 4)
        assert.equal(
          sides[to].got.get(key) ?? 0,
          n,
          `${why}: ${from}->${to} stream ${Math.floor(key / 1000)} epoch ${key % 1000}`,
        );
    }
  }
  // Unordered reliable streams: everything arrived.
  for (const [from, to] of [
    ["a", "b"],
    ["b", "a"],
  ] as const) {
    for (const [key, n] of sides[from].sent) {
      const s = Math.floor(key / 1000);
      if (s === 4 || s === 5)
        for (let i = 0; i < n; i++)
          assert.ok(sides[to].seen.has(`${from}/${s}/${key % 1000}/${i}`), `${why}: unordered ${from}/${s}/${i}`);
    }
  }
  assert.equal(p.a.heldBytes, 0, `${why}: a holds nothing`);
  assert.equal(p.b.heldBytes, 0, `${why}: b holds nothing`);
}

test("chaos: mixed streams, resets, both directions, bad link (I-DATA and DATA)", () => {
  for (let seed = 1; seed <= 10; seed++) {
    run(seed, true);
    run(seed, false);
  }
});
