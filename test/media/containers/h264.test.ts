// H.264 Annex B (ITU-T H.264 Annex B, 7.4.1.2.3): splitting on start codes, grouping NAL units
// into access units, reading ffmpeg's libx264 stream, byte-exact writing and size bounds.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nalType, splitAnnexB } from "../../../src/media/codecs/h264.js";
import { type H264AccessUnit, H264AnnexBReader, H264AnnexBWriter } from "../../../src/media/containers/h264-annexb.js";
import { MemorySink } from "../../../src/media/containers/io.js";
import { collect, fixture } from "./helpers.js";

const SPS = Uint8Array.of(0x67, 0x42, 0xc0, 0x1e, 0xda, 0x01);
const PPS = Uint8Array.of(0x68, 0xce, 0x3c, 0x80);
const AUD = Uint8Array.of(0x09, 0xf0);
const idr = (firstMbZero: boolean, fill: number): Uint8Array =>
  Uint8Array.of(0x65, firstMbZero ? 0x88 : 0x40, fill, 0, 0, 3, 1, fill);
const slice = (firstMbZero: boolean, fill: number): Uint8Array =>
  Uint8Array.of(0x41, firstMbZero ? 0x9a : 0x20, fill, fill);

function annexB(nalus: Uint8Array[], short: boolean[] = []): Uint8Array {
  const parts: number[] = [];
  nalus.forEach((n, i) => {
    parts.push(...(short[i] ? [0, 0, 1] : [0, 0, 0, 1]), ...n);
  });
  return Uint8Array.from(parts);
}

describe("H.264 Annex B", () => {
  it("splits on 3- and 4-byte start codes, dropping trailing zeros", () => {
    const b = Uint8Array.of(0, 0, 0, 1, 0x67, 1, 2, 0, 0, 0, 1, 0x68, 5, 0, 0, 0, 0, 1, 0x65, 9, 9, 0, 0);
    const n = splitAnnexB(b);
    assert.deepEqual(
      n.map((x) => [...x]),
      [
        [0x67, 1, 2],
        [0x68, 5],
        [0x65, 9, 9],
      ],
    );
    assert.deepEqual(splitAnnexB(Uint8Array.of(1, 2, 3)), []);
  });

  it("groups NAL units into access units at AUD/SPS/first_mb_in_slice = 0", () => {
    const stream = annexB(
      [
        AUD,
        SPS,
        PPS,
        idr(true, 1),
        idr(false, 2), // second slice of the same picture
        slice(true, 3),
        slice(false, 4),
        AUD,
        slice(true, 5),
        slice(true, 6),
      ],
      [false, true, true, false, true],
    );
    for (const chunk of [1, 2, 5, 1000]) {
      const r = collect<never, H264AccessUnit>(new H264AnnexBReader({ frameRate: 25 }), stream, chunk);
      assert.equal(r.error, undefined);
      assert.ok(r.ended);
      assert.deepEqual(
        r.frames.map((f) => f.nalus.map(nalType)),
        [[9, 7, 8, 5, 5], [1, 1], [9, 1], [1]],
        `chunk ${chunk}`,
      );
      assert.deepEqual(
        r.frames.map((f) => [f.timestamp, f.keyframe, f.duration]),
        [
          [0, true, 3600],
          [3600, false, 3600],
          [7200, false, 3600],
          [10800, false, 3600],
        ],
      );
      assert.deepEqual([...r.frames[0]!.nalus[3]!], [...idr(true, 1)], "emulation prevention bytes kept");
    }
  });

  it("reads ffmpeg's libx264 stream: 10 access units, IDR at 0 and 5", () => {
    const r = collect<never, H264AccessUnit>(new H264AnnexBReader({ frameRate: 10 }), fixture("testsrc.h264"), 333);
    assert.equal(r.error, undefined);
    assert.equal(r.frames.length, 10);
    assert.deepEqual(
      r.frames.map((f, i) => (f.keyframe ? i : -1)).filter((i) => i >= 0),
      [0, 5],
    );
    assert.equal(r.frames[9]!.timestamp, 81000);
    // The whole stream is the concatenation of the access units' NAL units.
    const all = splitAnnexB(fixture("testsrc.h264"));
    assert.equal(
      r.frames.reduce((n, f) => n + f.nalus.length, 0),
      all.length,
    );
  });

  it("writes what it reads, byte for byte through a round trip", async () => {
    const src = fixture("testsrc.h264");
    const r = collect<never, H264AccessUnit>(new H264AnnexBReader(), src);
    const sink = new MemorySink();
    const w = new H264AnnexBWriter(sink);
    for (const f of r.frames) await w.writeFrame(f);
    await w.writeNalus([AUD]);
    await w.close();
    const again = collect<never, H264AccessUnit>(new H264AnnexBReader(), sink.bytes());
    assert.equal(again.frames.length, r.frames.length + 1);
    for (let i = 0; i < r.frames.length; i++) assert.deepEqual(again.frames[i]!.data, r.frames[i]!.data);
  });

  it("bounds access units", () => {
    const big = annexB([SPS, idr(true, 1), slice(true, 2)]);
    assert.equal(collect(new H264AnnexBReader({ maxAccessUnitSize: 8 }), big).error?.reason, "access-unit-too-large");
    const many = annexB(Array.from({ length: 20 }, () => SPS));
    assert.equal(
      collect(new H264AnnexBReader({ maxNalusPerAccessUnit: 10 }), many).error?.reason,
      "too-many-nal-units",
    );
    const noStart = new H264AnnexBReader();
    const c = collect<never, H264AccessUnit>(noStart, Uint8Array.of(1, 2, 3, 4, 5));
    assert.ok(c.ended);
    assert.equal(c.frames.length, 0);
    assert.equal(noStart.skippedBytes, 5);
  });
});
