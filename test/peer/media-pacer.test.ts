// maxBitrate enforcement on the simulator (virtual time): A's VP8 sender is fed a 2 Mb/s source
// (30 fps, a keyframe each second, keyframes on request); with maxBitrate 500 kb/s every 1 s
// window on the wire (SRTP + RTCP included) stays under 550 kb/s, with and without loss (RTX
// retransmissions count against the limit); B assembles only whole frames, exactly as sent, in
// order, starting at a keyframe and resuming at keyframes; lifting the limit restores ~2 Mb/s.
// b=AS / b=TIAS of the remote description (RFC 3890) limit too (the lower wins); the target
// bitrate event follows min(limit, REMB). MediaPacer unit checks: bucket, queue bound, 0 b/s.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ReceivedFrame } from "../../src/media/frame.js";
import type { MediaEvent } from "../../src/peer/media.js";
import { MediaPacer } from "../../src/peer/media-pacer.js";
import { type MediaPair, makeMediaPair } from "./media-pair.js";

/** A synthetic VP8 frame: byte 0 bit 0 clear = keyframe; bytes 1-4 carry the index. */
function vp8Frame(index: number, size: number, keyframe: boolean): Uint8Array {
  const d = new Uint8Array(size);
  d[0] = keyframe ? 0x10 : 0x11;
  d[1] = index >>> 24;
  d[2] = (index >>> 16) & 0xff;
  d[3] = (index >>> 8) & 0xff;
  d[4] = index & 0xff;
  for (let i = 5; i < size; i++) d[i] = (i * 7 + index) & 0xff;
  return d;
}

interface Run {
  sent: Map<number, Uint8Array>;
  wire: [number, number][];
}

/** Wraps A's pollTransmit to log (time, bytes) of every datagram A sends. */
function tapWire(p: MediaPair): [number, number][] {
  const log: [number, number][] = [];
  const orig = p.a.pollTransmit.bind(p.a);
  p.a.pollTransmit = () => {
    const d = orig();
    if (d) log.push([p.net.now, d.length]);
    return d;
  };
  return log;
}

/** Plays `seconds` of a 2 Mb/s, 30 fps source from A's video (keyframe every 30 frames or on request). */
function play(p: MediaPair, run: Run, first: number, seconds: number): number {
  const start = p.net.now;
  let seenEvents = 0;
  let keyNext = false;
  const n = seconds * 30;
  for (let i = 0; i < n; i++) {
    p.net.run({ untilTime: start + (i * 1000) / 30, maxSteps: 200_000 });
    for (; seenEvents < p.eventsA.length; seenEvents++) {
      const e = p.eventsA[seenEvents]!;
      if (e.type === "keyframe-request" && e.transceiver === p.ids.aVideo) keyNext = true;
    }
    const index = first + i;
    const key = keyNext || index % 30 === 0;
    keyNext = false;
    // 2 Mb/s at 30 fps: ~8.3 KB per frame; keyframes 3x.
    const data = vp8Frame(index, key ? 20_000 : 7_700, key);
    run.sent.set(index, data);
    assert.ok(p.a.sendFrame(p.ids.aVideo, { data, timestamp: index * 3000, keyframe: key }, p.net.now));
    p.kick();
  }
  p.net.run({ untilTime: start + seconds * 1000, maxSteps: 200_000 });
  return first + n;
}

/** Most bytes A sent in any 1 s window within [from, to). */
function maxWindowBytes(wire: [number, number][], from: number, to: number): number {
  let best = 0;
  for (let t = from; t + 1000 <= to; t += 50) {
    let sum = 0;
    for (const [at, n] of wire) if (at >= t && at < t + 1000) sum += n;
    best = Math.max(best, sum);
  }
  return best;
}

function framesB(events: MediaEvent[], transceiver: number): ReceivedFrame[] {
  return events.flatMap((e) => (e.type === "frame" && e.transceiver === transceiver ? [e.frame] : []));
}

describe("maxBitrate enforcement (media pacer)", () => {
  for (const [seed, loss] of [
    [1, 0],
    [2, 0],
    [3, 0.03],
  ] as const) {
    it(`2 Mb/s source, maxBitrate 500 kb/s: <= 550 kb/s per 1 s window, whole frames, lifted -> ~2 Mb/s (seed ${seed}, loss ${loss})`, () => {
      const p = makeMediaPair(seed, { link: { latency: 20, loss } });
      const wire = tapWire(p);
      const run: Run = { sent: new Map(), wire };
      const av = p.a.transceiver(p.ids.aVideo);
      p.a.pacer.setMaxBitrate(av, 500_000, p.net.now);
      const t0 = p.net.now;
      const next = play(p, run, 0, 6);
      const t1 = p.net.now;
      const limited = maxWindowBytes(wire, t0, t1);
      assert.ok(limited * 8 <= 550_000, `seed ${seed}: ${limited * 8} b/s in a 1 s window`);
      assert.ok(limited * 8 >= 400_000, `seed ${seed}: the limit is used (${limited * 8} b/s)`);
      const stats = p.a.pacer.stats(p.ids.aVideo)!;
      assert.ok(stats.framesDropped > 0, `seed ${seed}: frames were dropped`);
      if (loss > 0) {
        const out = p.a.stats().feedback!.outbound.find((o) => o.ssrc === av.ssrc)!;
        assert.ok(out.retransmittedPacketsSent > 0, `seed ${seed}: RTX went through the pacer`);
      }

      // Frames B assembled: whole, byte for byte as sent, in order, from a keyframe.
      const got = framesB(p.eventsB, p.ids.bVideo);
      assert.ok(got.length >= 6, `seed ${seed}: ${got.length} frames`);
      let last = -1;
      for (const f of got) {
        const index = (f.data[1]! << 24) | (f.data[2]! << 16) | (f.data[3]! << 8) | f.data[4]!;
        assert.ok(index > last, `seed ${seed}: frame ${index} after ${last}`);
        assert.deepEqual(Buffer.from(f.data), Buffer.from(run.sent.get(index)!), `seed ${seed}: frame ${index} whole`);
        last = index;
      }
      assert.ok(got[0]!.keyframe, `seed ${seed}: first frame is a keyframe`);

      // Lifting the limit restores the source's rate.
      p.a.pacer.setMaxBitrate(av, undefined, p.net.now);
      const t2 = p.net.now;
      play(p, run, next, 3);
      const free = maxWindowBytes(wire, t2 + 500, p.net.now);
      assert.ok(free * 8 >= 1_800_000, `seed ${seed}: ${free * 8} b/s after lifting the limit`);
    });
  }

  it("b=AS / b=TIAS from the remote description limit (the lower); target-bitrate events", () => {
    const p = makeMediaPair(4, {
      editAnswer: (s) => s.replace(/(m=video[^\n]*\n(?:c=[^\n]*\n)?)/, "$1b=AS:800\r\nb=TIAS:300000\r\n"),
    });
    assert.equal(p.a.pacer.limit(p.ids.aVideo), 300_000);
    assert.equal(p.a.pacer.target(p.ids.aVideo), 300_000);
    assert.equal(p.a.pacer.limit(p.ids.aAudio), undefined);
    const av = p.a.transceiver(p.ids.aVideo);
    p.a.pacer.setMaxBitrate(av, 1_000_000, p.net.now);
    assert.equal(p.a.pacer.limit(p.ids.aVideo), 300_000, "the lower of maxBitrate and b=");
    p.a.pacer.setMaxBitrate(av, 200_000, p.net.now);
    assert.equal(p.a.pacer.limit(p.ids.aVideo), 200_000);
    p.kick();
    const tb = p.eventsA.flatMap((e) => (e.type === "target-bitrate" ? [e.bitrate] : []));
    assert.deepEqual(tb.slice(-1), [200_000]);
  });

  it("MediaPacer: REMB lowers the target only; bucket burst; queue bound; 0 b/s never schedules", () => {
    const pacer = new MediaPacer();
    const t = { id: 1, kind: "video" as const, ssrc: 100, rtxSsrc: 101 };
    pacer.setMaxBitrate(t, 800_000, 0);
    pacer.handleRemb([100], 300_000, 0);
    assert.equal(pacer.limit(1), 800_000);
    assert.equal(pacer.target(1), 300_000);
    pacer.handleRemb([100], 2_000_000, 0);
    assert.equal(pacer.target(1), 800_000);
    const events = [];
    for (let e = pacer.pollEvent(); e; e = pacer.pollEvent()) events.push(e);
    assert.deepEqual(
      events.map((e) => (e.type === "target-bitrate" ? e.bitrate : e.type)),
      [800_000, 300_000, 800_000],
    );
    // 800 kb/s = 100 bytes/ms; the bucket starts empty: a 1000-byte packet leaves at 10 ms.
    assert.ok(pacer.admitFrame(t, 1000, true, 0));
    assert.equal(pacer.enqueue(100, new Uint8Array(1000), false, 0), true);
    assert.equal(pacer.pollPacket(0), undefined);
    assert.equal(pacer.nextTimeout(), 10);
    assert.equal(pacer.pollPacket(10)?.bytes.length, 1000);
    // RTX of the stream is paced with it.
    assert.equal(pacer.enqueue(101, new Uint8Array(500), true, 10), true);
    assert.equal(pacer.pollPacket(15)?.resend, true);
    // Queue bound: 500 ms of the rate (50 KB); a frame that does not fit is dropped and (video)
    // delta frames are dropped until a keyframe, which is requested.
    for (let i = 0; i < 50; i++) pacer.enqueue(100, new Uint8Array(1000), false, 15);
    assert.equal(pacer.admitFrame(t, 5000, false, 15), false);
    assert.equal(pacer.admitFrame(t, 10, false, 15), false, "delta frames wait for a keyframe");
    assert.deepEqual(pacer.pollEvent(), { type: "keyframe-request", transceiver: 1 });
    assert.equal(pacer.stats(1)!.framesDropped, 2);
    assert.equal(pacer.pollEvent(), undefined, "one request per episode");
    assert.equal(pacer.admitFrame(t, 10, true, 15), false, "a keyframe that does not fit yet");
    // Draining 50 KB at 100 bytes/ms takes ~500 ms after the first 2 KB burst.
    let left = 0;
    let now = 1000;
    while (left < 50) {
      if (pacer.pollPacket(now)) left++;
      else now = pacer.nextTimeout()!;
    }
    assert.ok(now >= 1470 && now <= 1490, `drained at ${now}`);
    assert.equal(pacer.nextTimeout(), undefined);
    assert.equal(pacer.admitFrame(t, 10, true, now), true, "a keyframe that fits");
    assert.equal(pacer.admitFrame(t, 10, false, 15), true);
    // Unpaced streams pass straight through.
    assert.equal(pacer.enqueue(999, new Uint8Array(10), false, 0), false);
    // 0 b/s: nothing leaves and no deadline is set.
    const z = new MediaPacer();
    z.setMaxBitrate({ id: 2, kind: "audio", ssrc: 5, rtxSsrc: undefined }, 0, 0);
    z.enqueue(5, new Uint8Array(100), false, 0);
    assert.equal(z.nextTimeout(), undefined);
  });
});
