// IVF: reading ffmpeg's VP8/VP9/AV1 files, writer round trips (seekable and live sinks, custom
// timebase), misuse codes, malformed files, and key frame detection from each codec's headers.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isAv1Keyframe } from "../../../src/media/codecs/av1.js";
import { isVp8Keyframe } from "../../../src/media/codecs/vp8.js";
import { isVp9Keyframe } from "../../../src/media/codecs/vp9.js";
import { callbackSink, MemorySink } from "../../../src/media/containers/io.js";
import { type IvfFrame, type IvfHeader, IvfReader, IvfWriter } from "../../../src/media/containers/ivf.js";
import { bytesOf, collect, fixture } from "./helpers.js";

describe("IVF", () => {
  for (const [name, codec] of [
    ["vp8.ivf", "VP8"],
    ["vp9.ivf", "VP9"],
    ["av1.ivf", "AV1"],
  ] as const) {
    it(`reads ffmpeg's ${name}: header, 10 frames at 10 fps, keyframes 0 and 5`, () => {
      for (const chunk of [1, 13, 65536]) {
        const r = collect<IvfHeader, IvfFrame>(new IvfReader(), fixture(name), chunk);
        assert.equal(r.error, undefined, `chunk ${chunk}`);
        assert.ok(r.ended);
        assert.equal(r.header?.codec, codec);
        assert.equal(r.header?.width, 64);
        assert.equal(r.header?.height, 48);
        assert.equal(r.header?.frameCount, 10);
        assert.equal(r.frames.length, 10);
        assert.deepEqual(
          r.frames.map((f) => f.timestamp),
          [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => i * 9000),
        );
        assert.deepEqual(
          r.frames.map((f, i) => (f.keyframe ? i : -1)).filter((i) => i >= 0),
          [0, 5],
          `keyframes for ${name}`,
        );
      }
    });
  }

  it("round-trips frames through the writer (seekable sink patches the length)", async () => {
    const sink = new MemorySink();
    const w = new IvfWriter(sink, { codec: "VP8", width: 320, height: 240 });
    const frames = Array.from({ length: 20 }, (_, i) => ({
      data: bytesOf(1 + i * 37, i + 1),
      timestamp: 123_456 + i * 3000,
      keyframe: i % 10 === 0,
    }));
    for (const f of frames) await w.writeFrame(f);
    await w.close();
    assert.ok(sink.closed);
    const r = collect<IvfHeader, IvfFrame>(new IvfReader(), sink.bytes(), 7);
    assert.equal(r.error, undefined);
    assert.equal(r.header?.frameCount, 20 * 3000, "20 frames of 3000 ticks");
    assert.equal(r.header?.timebaseDen, 90000);
    assert.equal(r.frames.length, 20);
    for (let i = 0; i < 20; i++) {
      assert.deepEqual(r.frames[i]!.data, frames[i]!.data);
      assert.equal(r.frames[i]!.timestamp, i * 3000, "rebased to the first frame");
    }
  });

  it("writes frame count 0 to a live (non-seekable) sink and converts to a custom timebase", async () => {
    const chunks: Uint8Array[] = [];
    const w = new IvfWriter(
      callbackSink(async (c) => {
        chunks.push(c);
      }),
      { codec: "AV1", width: 8, height: 8, timebase: { num: 1, den: 30 } },
    );
    for (let i = 0; i < 3; i++) await w.writeFrame({ data: Uint8Array.of(i), timestamp: i * 3000, keyframe: false });
    await w.close();
    const bytes = Buffer.concat(chunks);
    const r = collect<IvfHeader, IvfFrame>(new IvfReader(), bytes);
    assert.equal(r.header?.frameCount, 0);
    assert.equal(r.header?.fourcc, "AV01");
    assert.deepEqual(
      r.frames.map((f) => f.pts),
      [0, 1, 2],
    );
    assert.deepEqual(
      r.frames.map((f) => f.timestamp),
      [0, 3000, 6000],
    );
  });

  it("rejects misuse with stable codes", async () => {
    assert.throws(() => new IvfWriter(new MemorySink(), { codec: "H264" as "VP8", width: 1, height: 1 }), {
      code: "bad-codec",
    });
    assert.throws(() => new IvfWriter(new MemorySink(), { codec: "VP8", width: 70000, height: 1 }), {
      code: "bad-dimensions",
    });
    const w = new IvfWriter(new MemorySink(), { codec: "VP8", width: 1, height: 1 });
    await w.writeFrame({ data: Uint8Array.of(1), timestamp: 9000, keyframe: true });
    await assert.rejects(w.writeFrame({ data: Uint8Array.of(1), timestamp: 0, keyframe: true }), {
      code: "timestamp-backwards",
    });
    await w.close();
    await assert.rejects(w.writeFrame({ data: Uint8Array.of(1), timestamp: 0, keyframe: true }), { code: "closed" });
  });

  it("reports malformed files as errors", () => {
    const good = fixture("vp8.ivf");
    const badMagic = good.slice();
    badMagic[0] = 0x58;
    assert.equal(collect(new IvfReader(), badMagic).error?.reason, "bad-magic");
    assert.equal(collect(new IvfReader(), good.subarray(0, 20)).error?.reason, "truncated-header");
    assert.equal(collect(new IvfReader(), good.subarray(0, good.length - 5)).error?.reason, "truncated-frame");
    const huge = good.slice();
    huge[32 + 3] = 0x7f; // first frame size
    assert.equal(collect(new IvfReader(), huge).error?.reason, "frame-too-large");
    const noTimebase = good.slice();
    noTimebase.fill(0, 16, 24);
    assert.equal(collect(new IvfReader(), noTimebase).error?.reason, "bad-timebase");
  });

  it("detects keyframes from codec headers", () => {
    assert.equal(isVp8Keyframe(Uint8Array.of(0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a)), true);
    assert.equal(isVp8Keyframe(Uint8Array.of(0x11, 0x02, 0x00)), false);
    // VP9 profile 0: marker 10, profile 00, show_existing 0, frame_type 0 (key) / 1 (inter); a key
    // frame goes on with the sync code 49 83 42, color config and frame size.
    assert.equal(isVp9Keyframe(Uint8Array.of(0b1000_0010, 0x49, 0x83, 0x42, 0, 0, 0, 0, 0)), true);
    assert.equal(isVp9Keyframe(Uint8Array.of(0b1000_0010, 0x49, 0x83, 0x43, 0, 0, 0, 0, 0)), false, "bad sync code");
    assert.equal(isVp9Keyframe(Uint8Array.of(0b1000_0110)), false);
    assert.equal(isVp9Keyframe(Uint8Array.of(0b1000_1000)), false, "show_existing_frame");
    // AV1: a key frame starts a coded video sequence (AV1-ISOBMFF sync sample): a sequence header
    // OBU (payload byte 0: profile 0, not reduced_still_picture_header), then a frame with
    // show_existing_frame 0 and frame_type KEY_FRAME (0).
    assert.equal(isAv1Keyframe(Uint8Array.of(0x12, 0x00, 0x0a, 0x01, 0x00, 0x32, 0x01, 0b0000_0000)), true);
    assert.equal(isAv1Keyframe(Uint8Array.of(0x12, 0x00, 0x0a, 0x01, 0x00, 0x32, 0x01, 0b0010_0000)), false, "inter");
    assert.equal(isAv1Keyframe(Uint8Array.of(0x12, 0x00, 0x0a, 0x01, 0x00)), false, "sequence header alone");
    // Temporal delimiter then OBU_FRAME with show_existing 0, frame_type 1 (inter).
    assert.equal(isAv1Keyframe(Uint8Array.of(0x12, 0x00, 0x32, 0x01, 0b0010_0000)), false);
  });
});
