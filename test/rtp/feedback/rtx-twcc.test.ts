// RTX wrapping and unwrapping (RFC 4588 4), the TWCC arrival recorder (draft-holmer-rmcat-
// transport-wide-cc-extensions-01) round-tripping through the src/rtp serialiser and parser,
// and the send-side delivery estimator.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SeededRandom } from "../../../src/random.js";
import { DeliveryEstimator, TwccRecorder, unwrapRtx, wrapRtx } from "../../../src/rtp/feedback/index.js";
import {
  buildTwccFeedback,
  getRtpExtension,
  parseRtcp,
  parseRtp,
  serializeRtcp,
  serializeRtp,
  type TransportFeedback,
  twccArrivals,
} from "../../../src/rtp/index.js";

test("RTX wrap keeps the header, drops padding, prefixes the OSN; unwrap restores the original", () => {
  const payload = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
  const original = serializeRtp({
    marker: true,
    payloadType: 96,
    sequenceNumber: 0xabcd,
    timestamp: 0x12345678,
    ssrc: 0x11111111,
    csrcs: [7, 8],
    extensions: [
      { id: 3, data: Uint8Array.of(1, 2) },
      { id: 4, data: new TextEncoder().encode("mid0") },
    ],
    payload,
    paddingLength: 5,
  });
  const p = parseRtp(original)!;
  const rtx = wrapRtx(original, p, 0x22222222, 0x0102, 97);
  const r = parseRtp(rtx)!;
  assert.equal(r.payloadType, 97);
  assert.equal(r.sequenceNumber, 0x0102);
  assert.equal(r.ssrc, 0x22222222);
  assert.equal(r.marker, true);
  assert.equal(r.timestamp, 0x12345678);
  assert.deepEqual(r.csrcs, [7, 8]);
  assert.equal(r.paddingLength, 0);
  assert.deepEqual([...getRtpExtension(r, 4)!], [...new TextEncoder().encode("mid0")]);
  assert.deepEqual([...r.payload.subarray(0, 2)], [0xab, 0xcd]);
  const u = unwrapRtx(r, 0x11111111, 96)!;
  assert.equal(u.sequenceNumber, 0xabcd);
  assert.equal(u.ssrc, 0x11111111);
  assert.equal(u.payloadType, 96);
  assert.deepEqual([...u.payload], [...payload]);
  // An RTX packet without an OSN (padding probe) is not a retransmission.
  const probe = parseRtp(
    serializeRtp({ payloadType: 97, sequenceNumber: 1, timestamp: 0, ssrc: 2, payload: Uint8Array.of(1) }),
  )!;
  assert.equal(unwrapRtx(probe, 1, 96), undefined);
});

function roundTrip(fbs: TransportFeedback[]): Map<number, number | undefined> {
  const out = new Map<number, number | undefined>();
  for (const fb of fbs) {
    const parsed = parseRtcp(serializeRtcp([fb]));
    assert.ok(parsed && parsed.length === 1 && parsed[0]!.type === "twcc");
    for (const a of twccArrivals(parsed[0] as TransportFeedback)) {
      // A later report of a sequence number wins only if it says received.
      if (a.arrivalUs !== undefined || !out.has(a.sequence)) out.set(a.sequence, a.arrivalUs);
    }
  }
  return out;
}

test("TWCC recorder: every recorded arrival comes back through the parser within a tick", () => {
  for (const seed of [1, 2, 3]) {
    const rng = new SeededRandom(seed);
    const rec = new TwccRecorder({ intervalMs: 100, maxPending: 1000 });
    const arrivals = new Map<number, number>();
    const fbs: TransportFeedback[] = [];
    let now = 1000;
    let seq = 65000; // crosses the wrap
    for (let i = 0; i < 2000; i++) {
      now += rng.float() * 3;
      const s = seq & 0xffff;
      seq++;
      if (rng.float() < 0.1) continue; // lost
      rec.record(s, now);
      arrivals.set(s, now * 1000);
      if ((rec.nextTimeout() ?? Infinity) <= now) fbs.push(...rec.poll(now, 5, 6));
    }
    fbs.push(...rec.flush(now, 5, 6));
    const got = roundTrip(fbs);
    for (const [s, us] of arrivals) {
      const back = got.get(s);
      assert.ok(back !== undefined, `seed ${seed}: ${s} not reported received`);
      // Quantised to 250 us ticks without drift, modulo the 24-bit reference time.
      assert.ok(Math.abs(back - us) <= 125.001, `seed ${seed}: ${s} ${back} vs ${us}`);
    }
    for (const [s, us] of got) if (us === undefined) assert.ok(!arrivals.has(s), `seed ${seed}: ${s} reported lost`);
    assert.equal(rec.stats.recorded, arrivals.size);
    assert.ok(fbs.length >= 20, `seed ${seed}: ${fbs.length} feedback messages`);
    assert.equal(fbs[1]!.feedbackCount, (fbs[0]!.feedbackCount + 1) & 0xff);
  }
});

test("TWCC recorder: early feedback when many wait, duplicates, late re-report, window slide", () => {
  const rec = new TwccRecorder({ intervalMs: 100, maxPending: 10, maxSpan: 64 });
  for (let s = 0; s < 9; s++) rec.record(s, s);
  assert.equal(rec.nextTimeout(), 0 + 100);
  rec.record(9, 9);
  assert.equal(rec.nextTimeout(), 0, "due at once");
  rec.record(9, 9.5);
  assert.equal(rec.stats.duplicates, 1);
  const first = rec.poll(10, 1, 2);
  assert.equal(first.length, 1);
  assert.equal(first[0]!.packets.length, 10);
  // 11 arrives, 10 is missing; feedback reports 10 lost... then 10 arrives late.
  rec.record(12, 20);
  rec.record(11, 21);
  const second = rec.flush(22, 1, 2);
  // 10 leads the range missing: the feedback starts at 11 (12 came first: a negative delta).
  assert.equal(second[0]!.baseSequence, 11);
  assert.deepEqual(
    second[0]!.packets.map((p) => [p.sequence, p.status]),
    [
      [11, 1],
      [12, 2],
    ],
  );
  rec.record(10, 30);
  const third = rec.flush(31, 1, 2);
  assert.equal(third[0]!.baseSequence, 10, "reported again from the late packet");
  // A duplicate of a packet already reported does not rewind anything.
  rec.record(11, 32);
  assert.equal(rec.stats.duplicates, 2);
  assert.equal(rec.nextTimeout(), undefined);
  assert.deepEqual(
    third[0]!.packets.map((p) => p.status !== 0),
    [true, true, true],
  );
  // A jump wider than the window forgets what falls out.
  rec.record(13, 40);
  rec.record(13 + 200, 41);
  assert.ok(rec.stats.evicted > 0);
  const fb = rec.flush(42, 1, 2);
  const n = fb.reduce((k, f) => k + f.packets.length, 0);
  assert.ok(n <= 64, `${n} entries after the slide`);
});

test("delivery estimator: delivered rate, loss fraction, lost by omission, late turns lost into delivered", () => {
  const est = new DeliveryEstimator({ windowMs: 1000 });
  for (let s = 0; s < 10; s++) est.onSent(100 + s, 1000, s * 10);
  const arrivals = [];
  for (let s = 0; s < 10; s++)
    arrivals.push({ sequence: 100 + s, arrivalUs: s === 4 ? undefined : 50_000 + s * 10_000 });
  for (const fb of buildTwccFeedback({ senderSsrc: 1, mediaSsrc: 2, feedbackCount: 0, packets: arrivals })) {
    est.handleFeedback(fb);
  }
  let e = est.estimate();
  // 9 deliveries over 90 ms; the first one's bytes open the window: 8 * 8000 bits / 0.09 s.
  assert.ok(Math.abs(e.deliveredBitrate! - (8 * 8000) / 0.09) < 1, `${e.deliveredBitrate}`);
  assert.equal(e.lossFraction, 0.1);
  assert.equal(e.delayIncreaseMs, 0);
  assert.deepEqual(est.stats, { feedbackReceived: 1, packetsDelivered: 9, packetsLost: 1, unknown: 0 });
  // 110 and 111 are never reported (skipped); 112 is: they count as lost.
  for (let s = 10; s < 13; s++) est.onSent(100 + s, 1000, s * 10);
  est.handleFeedback(
    buildTwccFeedback({
      senderSsrc: 1,
      mediaSsrc: 2,
      feedbackCount: 1,
      packets: [{ sequence: 112, arrivalUs: 200_000 }],
    })[0]!,
  );
  assert.equal(est.stats.packetsLost, 3);
  // 104 was late: now reported received.
  est.handleFeedback(
    buildTwccFeedback({
      senderSsrc: 1,
      mediaSsrc: 2,
      feedbackCount: 2,
      packets: [{ sequence: 104, arrivalUs: 210_000 }],
    })[0]!,
  );
  assert.equal(est.stats.packetsLost, 2);
  assert.equal(est.stats.packetsDelivered, 11);
  // Feedback for packets never sent is counted, not trusted.
  est.handleFeedback(
    buildTwccFeedback({
      senderSsrc: 1,
      mediaSsrc: 2,
      feedbackCount: 3,
      packets: [{ sequence: 40000, arrivalUs: 1 }],
    })[0]!,
  );
  assert.equal(est.stats.unknown, 1);
  e = est.estimate();
  assert.ok(e.delayIncreaseMs > 0, "104 arrived 170 ms later than its neighbours");
});
