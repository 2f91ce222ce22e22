// Opus (RFC 7587) and G.711 (RFC 3551): TOC durations (RFC 6716 3.1), mu-law/A-law code values
// and round trips over every 16-bit sample, one frame per packet with 48 kHz / 8 kHz timestamps,
// loss and reordering (audio frames are independent: the others still come out, in order).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  alawToLinear,
  decodeG711,
  encodeG711,
  G711Depayloader,
  G711Payloader,
  linearToAlaw,
  linearToMulaw,
  mulawToLinear,
  OpusDepayloader,
  OpusPayloader,
  opusFrameCount,
  opusPacketSamples,
  RtpDepacketizer,
  RtpPacketizer,
  splitG711Frames,
} from "../../../src/media/codecs/index.js";
import { SeededRandom } from "../../../src/random.js";
import { assertBytes, run } from "./harness.js";

test("G.711 code values (ITU-T G.711 tables)", () => {
  assert.equal(linearToMulaw(0), 0xff);
  assert.equal(mulawToLinear(0xff), 0);
  assert.equal(mulawToLinear(0x7f), 0);
  assert.equal(mulawToLinear(0x00), -32124);
  assert.equal(mulawToLinear(0x80), 32124);
  assert.equal(linearToMulaw(32767), 0x80);
  assert.equal(linearToMulaw(-32768), 0x00);
  assert.equal(linearToAlaw(0), 0xd5);
  assert.equal(alawToLinear(0xd5), 8);
  assert.equal(alawToLinear(0x55), -8);
  assert.equal(alawToLinear(0xaa), 32256);
  assert.equal(alawToLinear(0x2a), -32256);
  assert.equal(linearToAlaw(32767), 0xaa);
  assert.equal(linearToAlaw(-32768), 0x2a);
});

test("G.711: decode then encode is the identity on codes; error within the segment step", () => {
  for (let c = 0; c < 256; c++) {
    assert.equal(linearToAlaw(alawToLinear(c)), c, `A-law ${c}`);
    if (c !== 0x7f) assert.equal(linearToMulaw(mulawToLinear(c)), c, `mu-law ${c}`);
  }
  const all = new Int16Array(65536);
  for (let i = 0; i < 65536; i++) all[i] = i - 32768;
  for (const law of ["pcmu", "pcma"] as const) {
    const back = decodeG711(law, encodeG711(law, all));
    let prev = -Infinity;
    for (let i = 0; i < 65536; i++) {
      const s = all[i]!;
      const err = Math.abs(back[i]! - s);
      const mag = Math.min(Math.abs(s), 32124);
      // Quantisation step doubles per segment: at most mag/16 + the first segment's step.
      const bound = law === "pcmu" ? mag / 16 + 8 + (Math.abs(s) > 32124 ? 700 : 0) : mag / 16 + 16;
      assert.ok(err <= bound, `${law} ${s} -> ${back[i]} (err ${err} > ${bound})`);
      assert.ok(back[i]! >= prev, `${law} not monotonic at ${s}`);
      prev = back[i]!;
    }
  }
});

test("G.711 frames: 20 ms of 8 kHz samples per packet, timestamps step by 160", () => {
  const samples = new Uint8Array(8000);
  for (let i = 0; i < samples.length; i++) samples[i] = linearToMulaw(Math.round(8000 * Math.sin(i / 10)));
  const frames = splitG711Frames(samples);
  assert.equal(frames.length, 50);
  const tx = new RtpPacketizer({ payloader: new G711Payloader(), payloadType: 0, ssrc: 7, timestampOffset: 1000 });
  const rx = new RtpDepacketizer(new G711Depayloader());
  const rnd = new SeededRandom(1);
  const r = run(
    tx,
    rx,
    frames.map((data, i) => ({ data, ticks: i * 160 })),
    rnd,
    { intervalMs: 20 },
  );
  assert.equal(r.sent.length, 50);
  assert.equal(r.sent[3]![0]!.timestamp, 1000 + 3 * 160);
  assert.equal(r.sent[3]![0]!.marker, false);
  assert.equal(r.frames.length, 50);
  assertBytes(r.frames[7]!.data, frames[7]!);
  assert.equal(r.frames[7]!.timestamp, 1000 + 7 * 160);
  assert.throws(() => tx.packetize(samples, 0), { code: "ERR_CODEC_FRAME_TOO_LARGE" });
  assert.throws(() => tx.packetize(new Uint8Array(0), 0), { code: "ERR_CODEC_EMPTY_FRAME" });
});

test("Opus TOC: frames and durations (RFC 6716 3.1)", () => {
  assert.equal(opusPacketSamples(Uint8Array.of(0x78)), 960); // config 15 hybrid 20 ms, code 0
  assert.equal(opusPacketSamples(Uint8Array.of(0xfc)), 960); // config 31 CELT 20 ms
  assert.equal(opusPacketSamples(Uint8Array.of(0x01)), 960); // config 0 SILK 10 ms, code 1: 2 frames
  assert.equal(opusPacketSamples(Uint8Array.of(0x1b, 0x03)), 0); // 3 x 60 ms is over 120 ms
  assert.equal(opusPacketSamples(Uint8Array.of(0x1b, 0x02)), 5760); // 2 x 60 ms
  assert.equal(opusPacketSamples(Uint8Array.of(0x83, 0x06)), 6 * 120); // CELT 2.5 ms x 6
  assert.equal(opusFrameCount(Uint8Array.of(0x03)), 0);
  assert.equal(opusFrameCount(new Uint8Array(0)), 0);
  assert.equal(opusFrameCount(Uint8Array.of(0x02)), 2);
});

test("Opus: one packet per frame, 48 kHz timestamps, loss and reordering over seeds", () => {
  for (const seed of [1, 2, 3, 4]) {
    const rnd = new SeededRandom(seed);
    const tx = new RtpPacketizer({ payloader: new OpusPayloader(), payloadType: 111, ssrc: 9, random: rnd });
    const rx = new RtpDepacketizer(new OpusDepayloader(), { startDelayMs: 60 });
    const frames = Array.from({ length: 200 }, (_, i) => ({ data: rnd.bytes(1 + rnd.int(300)), ticks: i * 960 }));
    frames[0]!.data[0] = 0xfc;
    const lost = new Set<number>();
    const r = run(tx, rx, frames, rnd, {
      intervalMs: 20,
      jitterMs: 50,
      drop: (i) => {
        const l = i % 17 === 5;
        if (l) lost.add(i);
        return l;
      },
    });
    assert.equal(r.frames.length, 200 - lost.size, `seed ${seed}`);
    const ts0 = r.sent[0]![0]!.timestamp;
    let prev = -1;
    for (const f of r.frames) {
      const i = ((f.timestamp - ts0) >>> 0) / 960;
      assert.ok(Number.isInteger(i) && i > prev, `seed ${seed}: out of order ${i} after ${prev}`);
      assert.ok(!lost.has(i), `seed ${seed}: lost frame ${i} emitted`);
      assertBytes(f.data, frames[i]!.data, `seed ${seed} frame ${i}`);
      prev = i;
    }
    assert.equal(rx.stats.keyframeRequests, 0);
  }
  const tx = new RtpPacketizer({ payloader: new OpusPayloader(), payloadType: 111, ssrc: 9, maxPayloadSize: 100 });
  assert.throws(() => tx.packetize(new Uint8Array(101), 0), { code: "ERR_CODEC_FRAME_TOO_LARGE" });
  const [p] = tx.packetize(new Uint8Array(10), 0, true);
  assert.equal(p!.marker, true);
});
