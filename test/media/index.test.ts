// petrel/media (src/media/index.ts): one entry for codecs and containers, with each codec helper
// defined once, so the containers and the RTP payload formats agree on key frames and Opus timing.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as media from "../../src/media/index.js";

type Exports = Record<string, unknown>;
const all: Exports = await import("../../src/media/index.js");
const codecs: Exports = await import("../../src/media/codecs/index.js");
const containers: Exports = await import("../../src/media/containers/index.js");

test("petrel/media exports both the codecs and the containers", () => {
  for (const name of Object.keys(codecs)) assert.equal(all[name], codecs[name], name);
  for (const name of Object.keys(containers)) assert.equal(all[name], containers[name], name);
  for (const name of ["RtpPacketizer", "Vp8Payloader", "IvfReader", "WebmWriter", "splitAnnexB", "isVp9Keyframe"])
    assert.equal(typeof all[name], "function", name);
});

test("containers and codecs share one key frame and Opus helper", () => {
  const vp8Key = Uint8Array.of(0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a);
  assert.equal(media.isVideoKeyframe("VP8", vp8Key), true);
  assert.equal(media.isVideoKeyframe("VP8", Uint8Array.of(0x11, 0x02, 0x00)), false);
  const av1Key = Uint8Array.of(0x12, 0x00, 0x0a, 0x01, 0x00, 0x32, 0x01, 0x00);
  assert.equal(media.isVideoKeyframe("AV1", av1Key), media.isAv1Keyframe(av1Key));
  assert.equal(media.isVideoKeyframe("AV1", av1Key), true);
  // Opus TOC config 3 (SILK 60 ms), code 1 (two frames): 2 x 2880 samples.
  assert.equal(media.opusFrameSamples(0x18), 2880);
  assert.equal(media.opusPacketSamples(Uint8Array.of(0x19, 0, 0)), 5760);
  assert.equal(media.OPUS_CLOCK_RATE, 48000);
});
