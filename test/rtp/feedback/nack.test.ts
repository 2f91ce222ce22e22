// NACK generation (RFC 4585 6.2.1): reorder tolerance, retries spaced by RTT, give-up by count and
// age, overflow to a keyframe request, bounds under huge gaps, wrap-around; the send history
// (bounded by count and age, once per RTT per packet); keyframe request rate limiting.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SeededRandom } from "../../../src/random.js";
import { KeyframeRequester, NackGenerator, SendHistory } from "../../../src/rtp/feedback/index.js";

/** Feeds packets and collects whatever is due at each step (as a chain would). */
function feed(g: NackGenerator, seqs: number[], start: number, step: number, rtt = 100): number[] {
  const out: number[] = [];
  let now = start;
  for (const s of seqs) {
    g.onPacket(s, now);
    const due = g.nextTimeout();
    if (due !== undefined && due <= now) out.push(...g.collect(now, rtt));
    now += step;
  }
  return out;
}

test("in-order packets produce nothing", () => {
  const g = new NackGenerator();
  assert.deepEqual(feed(g, [1, 2, 3, 4, 5], 0, 10), []);
  assert.equal(g.nextTimeout(), undefined);
  assert.equal(g.size, 0);
});

test("reordering within tolerance produces no NACK, and the hole closes", () => {
  const g = new NackGenerator({ reorderTolerance: 3, reorderDelayMs: 50 });
  // 5 arrives three packets late (within tolerance), all within 50 ms.
  assert.deepEqual(feed(g, [1, 2, 3, 4, 6, 7, 8, 5, 9, 10], 0, 1), []);
  assert.equal(g.size, 0);
  assert.equal(g.stats.recovered, 1);
  assert.equal(g.stats.requested, 0);
});

test("a hole beyond tolerance is NACKed at once, then once per RTT until given up", () => {
  const g = new NackGenerator({ reorderTolerance: 3, maxRetries: 3, maxAgeMs: 10_000 });
  const first = feed(g, [1, 2, 3, 4, 6, 7, 8, 9], 0, 1);
  assert.deepEqual(first, [5], "NACK when 4 later packets arrived");
  // Not again before an RTT.
  assert.deepEqual(g.collect(50, 100), []);
  const due = g.nextTimeout()!;
  assert.equal(due, 107);
  assert.deepEqual(g.collect(107, 100), [5]);
  assert.deepEqual(g.collect(207, 100), [5]);
  assert.deepEqual(g.collect(307, 100), [], "three tries, then given up");
  assert.equal(g.stats.givenUp, 1);
  assert.equal(g.size, 0);
  assert.equal(g.stats.requested, 3);
  assert.equal(g.nextTimeout(), undefined);
});

test("a burst: the whole gap goes in one NACK once its first hole is due", () => {
  const g = new NackGenerator({ reorderTolerance: 3 });
  assert.deepEqual(feed(g, [1, 10, 11, 12], 0, 1), [2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(g.stats.requested, 8);
  // A small gap (within tolerance) waits; it is not swept into the earlier burst's NACK.
  const h = new NackGenerator({ reorderTolerance: 3 });
  assert.deepEqual(feed(h, [1, 10, 12, 13], 0, 1), [2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(h.size, 9, "11 still tracked, not requested");
  assert.deepEqual(feed(h, [14, 15], 4, 1), [11]);
});

test("a hole within tolerance is NACKed after the reorder delay when the stream stalls", () => {
  const g = new NackGenerator({ reorderTolerance: 3, reorderDelayMs: 40 });
  feed(g, [10, 11, 13], 0, 5);
  assert.equal(g.nextTimeout(), 10 + 40);
  assert.deepEqual(g.collect(49, 100), []);
  assert.deepEqual(g.collect(50, 100), [12]);
});

test("holes are given up by age too", () => {
  const g = new NackGenerator({ reorderTolerance: 0, maxAgeMs: 250, maxRetries: 100 });
  const sent = feed(g, [1, 3], 0, 0);
  for (let t = 0; g.nextTimeout() !== undefined && t < 5000; ) {
    t = Math.max(t, g.nextTimeout()!);
    sent.push(...g.collect(t, 100));
  }
  assert.deepEqual(sent, [2, 2, 2], "at 0, 100 and 200 ms; given up at 250");
  assert.equal(g.stats.givenUp, 1);
  assert.equal(g.stats.requested, 3);
});

test("NACK across the sequence number wrap", () => {
  const g = new NackGenerator({ reorderTolerance: 0 });
  assert.deepEqual(feed(g, [65533, 65534, 1, 2], 0, 1), [65535, 0]);
});

test("a gap bigger than the list asks for a keyframe and clears", () => {
  const g = new NackGenerator({ maxEntries: 100, reorderTolerance: 0 });
  feed(g, [1, 2, 4], 0, 1);
  assert.equal(g.size, 1);
  assert.equal(g.onPacket(4 + 101, 10), true);
  assert.equal(g.size, 0);
  assert.equal(g.stats.overflows, 1);
  assert.equal(g.onPacket(106, 11), false);
});

test("the list stays bounded under random huge gaps", () => {
  const rng = new SeededRandom(3);
  const g = new NackGenerator({ maxEntries: 1000 });
  let seq = 0;
  for (let i = 0; i < 5000; i++) {
    seq = (seq + 1 + (rng.float() < 0.1 ? rng.int(30000) : 0)) & 0xffff;
    g.onPacket(seq, i);
    assert.ok(g.size <= 1000, `size ${g.size} at ${i}`);
    if (i % 50 === 0) g.collect(i, 100);
  }
  assert.ok(g.stats.overflows > 0);
});

test("send history: lookup, once per RTT, expiry by age, bounded by count", () => {
  const h = new SendHistory({ maxPackets: 8, maxAgeMs: 1000 });
  for (let s = 0; s < 20; s++) h.add((65530 + s) & 0xffff, Uint8Array.of(s), s);
  assert.equal(h.size, 8);
  assert.equal(h.take(65530, 20, 50), "unknown", "evicted by count");
  const p = h.take((65530 + 19) & 0xffff, 20, 50);
  assert.deepEqual(p, Uint8Array.of(19));
  assert.equal(h.take((65530 + 19) & 0xffff, 40, 50), "too-soon");
  assert.deepEqual(h.take((65530 + 19) & 0xffff, 70, 50), Uint8Array.of(19));
  assert.equal(h.take((65530 + 12) & 0xffff, 2000, 50), "expired");
  assert.equal(h.take(30000, 20, 50), "unknown");
  assert.equal(new SendHistory().take(1, 0, 0), "unknown");
});

test("keyframe requester: one per interval or RTT, FIR numbers count up per source", () => {
  const k = new KeyframeRequester(300);
  assert.equal(k.request(1, "pli", 0, 100), true);
  assert.equal(k.request(1, "pli", 299, 100), false);
  assert.equal(k.request(2, "pli", 299, 100), true, "another source has its own limit");
  assert.equal(k.request(1, "fir", 300, 100), 0);
  assert.equal(k.request(1, "fir", 600, 100), 1);
  assert.equal(k.request(1, "fir", 900, 500), false, "the RTT is longer than the interval");
  assert.equal(k.request(1, "fir", 1100, 500), 2);
  assert.deepEqual(k.stats, { pliSent: 2, firSent: 3, suppressed: 2 });
});

test("a retransmission fills a hole but never moves the highest sequence number", () => {
  const g = new NackGenerator({ reorderTolerance: 0 });
  feed(g, [1, 2, 4], 0, 1);
  g.onRecovered(3);
  assert.equal(g.size, 0);
  assert.equal(g.stats.recovered, 1);
  g.onRecovered(900); // bogus OSN far ahead: no new holes
  assert.equal(g.size, 0);
  assert.deepEqual(feed(g, [5, 6], 10, 1), []);
});
