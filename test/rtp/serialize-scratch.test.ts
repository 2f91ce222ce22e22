// The serialiser's per-call scratch (one extension layout shared by sizeRtp, writeRtp and
// serializeRtp) and the ASCII fast paths of encode/decodeStringExtension: results must not depend on
// what was serialised before, and must equal the general (TextEncoder/TextDecoder) coding.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decodeStringExtension,
  encodeStringExtension,
  parseRtp,
  type RtpPacketInit,
  serializeRtp,
  sizeRtp,
  writeRtp,
} from "../../src/rtp/index.js";

const payload = Uint8Array.from({ length: 40 }, (_, i) => i);
const oneByte: RtpPacketInit = {
  payloadType: 96,
  sequenceNumber: 1,
  timestamp: 2,
  ssrc: 3,
  payload,
  extensions: [{ id: 4, data: encodeStringExtension("0") }],
};
const twoByte: RtpPacketInit = {
  payloadType: 97,
  sequenceNumber: 4,
  timestamp: 5,
  ssrc: 6,
  payload,
  extensions: [{ id: 20, data: new Uint8Array(20).fill(9) }],
};
const raw: RtpPacketInit = {
  payloadType: 98,
  sequenceNumber: 7,
  timestamp: 8,
  ssrc: 9,
  payload,
  extensionProfile: 0x1234,
  extensionData: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]),
};
const none: RtpPacketInit = { payloadType: 99, sequenceNumber: 10, timestamp: 11, ssrc: 12, payload };

test("serialised packets do not depend on the packet serialised before", () => {
  const alone = [oneByte, twoByte, raw, none].map((p) => Buffer.from(serializeRtp(p)).toString("hex"));
  const orders = [
    [3, 2, 1, 0],
    [1, 0, 3, 2],
    [2, 3, 0, 1],
  ];
  for (const order of orders) {
    for (const i of order) {
      const p = [oneByte, twoByte, raw, none][i]!;
      assert.equal(Buffer.from(serializeRtp(p)).toString("hex"), alone[i], `packet ${i} after order ${order}`);
      assert.equal(sizeRtp(p), alone[i]!.length / 2);
      const out = new Uint8Array(sizeRtp(p) + 3);
      assert.equal(writeRtp(p, out, 3), out.length);
      assert.equal(Buffer.from(out.subarray(3)).toString("hex"), alone[i]);
    }
  }
  const parsed = parseRtp(serializeRtp(twoByte))!;
  assert.equal(parsed.extensionProfile >>> 4, 0x100, "two-byte profile");
  assert.equal(parseRtp(serializeRtp(oneByte))!.extensionProfile, 0xbede);
  assert.equal(parseRtp(serializeRtp(raw))!.extensionProfile, 0x1234);
  assert.equal(parseRtp(serializeRtp(none))!.extensionProfile, -1);
});

test("encodeStringExtension: ASCII fast path equals UTF-8; other text and long values too", () => {
  const enc = new TextEncoder();
  for (const s of ["0", "1", "video", "abcdefghijklmnop", "abcdefghijklmnopq", "é-rid", "a\u007f", "mid\u0080", "ü"]) {
    assert.deepEqual(Buffer.from(encodeStringExtension(s)), Buffer.from(enc.encode(s)), s);
  }
  assert.throws(() => encodeStringExtension(""), { code: "ERR_RTP_EXTENSION" });
  assert.throws(() => encodeStringExtension("x".repeat(256)), { code: "ERR_RTP_EXTENSION" });
});

test("decodeStringExtension: ASCII fast path equals UTF-8 decoding; trailing NULs dropped", () => {
  const dec = new TextDecoder();
  for (const s of ["0", "video", "abcdefghijklmnop", "abcdefghijklmnopq", "é-rid", "a\u007f", "ü", ""]) {
    const bytes = new TextEncoder().encode(s);
    assert.equal(decodeStringExtension(bytes), dec.decode(bytes), s);
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes);
    assert.equal(decodeStringExtension(padded), s, `${s} with NUL padding`);
  }
  assert.equal(
    decodeStringExtension(Uint8Array.of(0x31, 0xff)),
    dec.decode(Uint8Array.of(0x31, 0xff)),
    "invalid UTF-8",
  );
});
