// Codec names from SDP to payloaders/depayloaders: case-insensitive mime types, H.264's
// packetization-mode from fmtp (absent means mode 0, RFC 6184 8.1), unsupported names refused.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Av1Payloader,
  createDepayloader,
  createPayloader,
  G711Depayloader,
  H264Payloader,
  isSupportedCodec,
  OpusPayloader,
  parseFmtp,
  Vp8Depayloader,
  Vp9Payloader,
} from "../../../src/media/codecs/index.js";

test("codec registry", () => {
  assert.ok(createPayloader("audio/opus") instanceof OpusPayloader);
  assert.ok(createPayloader("video/vp9") instanceof Vp9Payloader);
  assert.ok(createPayloader("AV1") instanceof Av1Payloader);
  assert.ok(createDepayloader("video/VP8") instanceof Vp8Depayloader);
  assert.ok(createDepayloader("audio/PCMA") instanceof G711Depayloader);
  const h1 = createPayloader("video/H264", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
  assert.ok(h1 instanceof H264Payloader);
  assert.equal((h1 as H264Payloader).packetizationMode, 1);
  assert.equal((createPayloader("video/H264", "profile-level-id=42e01f") as H264Payloader).packetizationMode, 0);
  assert.equal(createPayloader("audio/PCMU").clockRate, 8000);
  assert.equal(createDepayloader("audio/opus").clockRate, 48000);
  assert.equal(createDepayloader("video/AV1").video, true);
  assert.ok(isSupportedCodec("video/h264"));
  assert.ok(!isSupportedCodec("audio/G722"));
  assert.throws(() => createPayloader("audio/G722"), { code: "ERR_CODEC_UNSUPPORTED" });
  assert.throws(() => createDepayloader("video/rtx"), { code: "ERR_CODEC_UNSUPPORTED" });
  assert.deepEqual(
    [...parseFmtp(" minptime=10; useinbandfec=1;bad;=x")],
    [
      ["minptime", "10"],
      ["useinbandfec", "1"],
    ],
  );
});
