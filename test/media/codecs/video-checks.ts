// Shared checks every video codec must pass: round trips across MTUs and frame sizes (tiny,
// exactly at the budget, one byte over, multi-packet, huge), marker on the last packet only,
// payloads within the budget; a lost packet drops its frame and the frames after it until the
// next key frame (with a keyframe-needed event); reordering with jitter loses nothing; random
// loss over seeds never yields a damaged frame.
import assert from "node:assert/strict";
import type { CodecDepayloader, CodecPayloader } from "../../../src/media/codecs/index.js";
import { RtpDepacketizer, RtpPacketizer } from "../../../src/media/codecs/index.js";
import type { Random } from "../../../src/random.js";
import { SeededRandom } from "../../../src/random.js";
import { assertBytes, run } from "./harness.js";

export interface VideoCodecUnderTest {
  name: string;
  payloader: () => CodecPayloader;
  depayloader: () => CodecDepayloader;
  /** A frame whose encoded size is about `size` bytes. */
  frame: (rnd: Random, size: number, key: boolean) => Uint8Array;
  /** What the depacketizer should hand back for `frame` (default: the same bytes). */
  expected?: (frame: Uint8Array) => Uint8Array;
  /** Payload bytes the format adds to a one-packet frame of `size` bytes (to aim exactly at the budget). */
  overhead: (size: number) => number;
}

function makePair(c: VideoCodecUnderTest, maxPayloadSize: number, rnd: Random) {
  const tx = new RtpPacketizer({
    payloader: c.payloader(),
    payloadType: 96,
    ssrc: 0x1234,
    maxPayloadSize,
    random: rnd,
  });
  const rx = new RtpDepacketizer(c.depayloader(), { startDelayMs: 100 });
  return { tx, rx };
}

export function checkRoundTrips(c: VideoCodecUnderTest): void {
  for (const mtu of [64, 300, 1100]) {
    const rnd = new SeededRandom(mtu);
    const exact = mtu - c.overhead(mtu);
    // "Huge": as many packets as the default 1024-packet ring can hold for this budget (200 KB at 1100).
    const sizes = [1, 10, exact, exact + 1, 3 * mtu + 7, Math.min(200_000, 900 * (mtu - 8))];
    const { tx, rx } = makePair(c, mtu, rnd);
    const frames = sizes.map((s, i) => ({ data: c.frame(rnd, s, i === 0), ticks: i * 3000 }));
    const r = run(tx, rx, frames, rnd);
    for (let i = 0; i < frames.length; i++) {
      const packets = r.sent[i]!;
      for (let k = 0; k < packets.length; k++) {
        assert.ok(packets[k]!.payload.length <= mtu, `${c.name} mtu ${mtu}: payload ${packets[k]!.payload.length}`);
        assert.equal(packets[k]!.marker, k === packets.length - 1, `${c.name}: marker on the last packet only`);
        assert.equal(packets[k]!.timestamp, packets[0]!.timestamp);
      }
      if (sizes[i] === exact && frames[i]!.data.length === exact)
        assert.equal(packets.length, 1, `${c.name} mtu ${mtu}: a frame of exactly the budget fits one packet`);
    }
    assert.equal(r.frames.length, frames.length, `${c.name} mtu ${mtu}: ${r.frames.length} frames`);
    for (let i = 0; i < frames.length; i++) {
      const want = c.expected ? c.expected(frames[i]!.data) : frames[i]!.data;
      assertBytes(r.frames[i]!.data, want, `${c.name} mtu ${mtu} frame ${i} (size ${sizes[i]})`);
      assert.equal(r.frames[i]!.keyframe, i === 0, `${c.name} keyframe flag of frame ${i}`);
      assert.equal(r.frames[i]!.timestamp, r.sent[i]![0]!.timestamp);
      assert.equal(r.frames[i]!.packets, r.sent[i]!.length);
    }
  }
}

export function checkLossRecovery(c: VideoCodecUnderTest): void {
  const rnd = new SeededRandom(77);
  const { tx, rx } = makePair(c, 500, rnd);
  // Key frames at 0 and 10; frame 3 loses its second packet.
  const frames = Array.from({ length: 15 }, (_, i) => ({ data: c.frame(rnd, 1500, i % 10 === 0), ticks: i * 3000 }));
  let frame3Packets = 0;
  const r = run(tx, rx, frames, rnd, {
    drop: (_i, f) => f === 3 && ++frame3Packets === 2,
  });
  const got = r.frames.map((f) => (f.timestamp - r.sent[0]![0]!.timestamp) / 3000);
  assert.deepEqual(got, [0, 1, 2, 10, 11, 12, 13, 14], `${c.name}: frames emitted`);
  const kinds = r.events.map((e) => (e.type === "dropped" ? `${e.type}:${e.reason}` : e.type));
  const firstDrop = kinds.indexOf("dropped:incomplete");
  assert.ok(firstDrop > 0, `${c.name}: the broken frame is reported (${kinds.join(" ")})`);
  assert.ok(kinds.includes("keyframe-needed"), `${c.name}: keyframe requested`);
  assert.equal(kinds.filter((k) => k === "keyframe-needed").length, 1, `${c.name}: requested once`);
  assert.equal(kinds.filter((k) => k === "dropped:waiting-for-keyframe").length, 6, `${c.name}: frames 4-9 held back`);
  assert.equal(rx.waitingForKeyframe, false);
  assert.ok(r.frames[3]!.keyframe);
}

export function checkReordering(c: VideoCodecUnderTest): void {
  for (const seed of [1, 2, 3, 4, 5]) {
    const rnd = new SeededRandom(seed);
    const { tx, rx } = makePair(c, 400, rnd);
    const frames = Array.from({ length: 40 }, (_, i) => ({
      data: c.frame(rnd, 1 + rnd.int(3000), i % 20 === 0),
      ticks: i * 3000,
    }));
    const r = run(tx, rx, frames, rnd, { jitterMs: 60, duplicate: 0.05 });
    assert.equal(r.frames.length, frames.length, `${c.name} seed ${seed}: ${r.frames.length} frames`);
    for (let i = 0; i < frames.length; i++) {
      const want = c.expected ? c.expected(frames[i]!.data) : frames[i]!.data;
      assertBytes(r.frames[i]!.data, want, `${c.name} seed ${seed} frame ${i}`);
    }
    assert.equal(rx.stats.framesDropped, 0, `${c.name} seed ${seed}`);
    assert.ok(rx.stats.duplicates > 0 || rx.stats.late > 0, `${c.name} seed ${seed}: duplicates seen`);
  }
}

export function checkRandomLoss(c: VideoCodecUnderTest): void {
  for (const seed of [11, 12, 13, 14]) {
    const rnd = new SeededRandom(seed);
    const { tx, rx } = makePair(c, 300, rnd);
    const frames = Array.from({ length: 80 }, (_, i) => ({
      data: c.frame(rnd, 1 + rnd.int(2000), i % 8 === 0),
      ticks: i * 3000,
    }));
    const r = run(tx, rx, frames, rnd, { loss: 0.03, jitterMs: 20 });
    const ts0 = r.sent[0]![0]!.timestamp;
    let prev = -1;
    let afterGap = false;
    for (const f of r.frames) {
      const i = ((f.timestamp - ts0) >>> 0) / 3000;
      assert.ok(i > prev, `${c.name} seed ${seed}: order`);
      if (i !== prev + 1) afterGap = true;
      if (afterGap) assert.ok(f.keyframe, `${c.name} seed ${seed}: frame ${i} after a gap must be a key frame`);
      afterGap = false;
      const want = c.expected ? c.expected(frames[i]!.data) : frames[i]!.data;
      assertBytes(f.data, want, `${c.name} seed ${seed} frame ${i}`);
      prev = i;
    }
    assert.ok(r.frames.length > 10 && r.frames.length < 80, `${c.name} seed ${seed}: ${r.frames.length} frames`);
    assert.ok(rx.stats.keyframeRequests > 0, `${c.name} seed ${seed}`);
  }
}

export function checkAll(c: VideoCodecUnderTest, t: (name: string, fn: () => void) => unknown): void {
  t(`${c.name}: round trips across MTUs and frame sizes`, () => checkRoundTrips(c));
  t(`${c.name}: lost packet drops frames until the next key frame`, () => checkLossRecovery(c));
  t(`${c.name}: reordering and duplicates lose nothing (5 seeds)`, () => checkReordering(c));
  t(`${c.name}: random loss never yields a damaged frame (4 seeds)`, () => checkRandomLoss(c));
}
