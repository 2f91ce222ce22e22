// RTP packets: hand-built packets shaped like Chrome's (one-byte extensions abs-send-time,
// transport-wide-cc and mid on video; audio level with padding on audio), two-byte extensions
// (RFC 8285 4.3), CSRCs, parse/serialise round trips, extension value helpers, malformed input.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fromHex, toHex } from "../../src/bytes/index.js";
import {
  absSendTimeFromMs,
  absSendTimeToMs,
  decodeAbsSendTime,
  decodeAudioLevel,
  decodeStringExtension,
  decodeTransportSequence,
  encodeAbsSendTime,
  encodeAudioLevel,
  encodeStringExtension,
  encodeTransportSequence,
  getRtpExtension,
  getRtpExtensions,
  isRtcpPacket,
  parseRtp,
  serializeRtp,
  setRtpExtensionInPlace,
  sizeRtp,
  TWO_BYTE_PROFILE,
  writeRtp,
} from "../../src/rtp/index.js";

const h = (s: string): Uint8Array => fromHex(s)!;

// Video: V=2 X=1, M=1 PT=96, seq 0x1234, ts 12345678, SSRC 0x2bd2a3f1; extensions (one-byte):
// id 2 abs-send-time 1a2b3c, id 3 transport-wide seq 42, id 4 mid "0", one padding byte.
const VIDEO = "90e01234 00bc614e 2bd2a3f1" + " bede0003 221a2b3c 31002a40 30000000" + " 90800102 03040506 0708";
// Audio: V=2 P=1 X=1, PT=111, seq 65535, ts 0xdeadbeef, SSRC 0x01020304; id 1 audio level
// (voice, -10 dBov); payload fcfffe; 4 bytes of padding.
const AUDIO = "b06fffff deadbeef 01020304" + " bede0001 108a0000" + " fcfffe" + " 00000004";
// Two-byte form (profile 0x1000): id 17 "abc", id 4 empty; CC=2.
const TWO_BYTE = "92600001 00000064 0000000a" + " 00000b01 00000b02" + " 10000002 11036162 63040000" + " 01";

test("parses a Chrome-like video packet with one-byte extensions", () => {
  const b = h(VIDEO);
  const p = parseRtp(b)!;
  assert.ok(p);
  assert.equal(p.marker, true);
  assert.equal(p.payloadType, 96);
  assert.equal(p.sequenceNumber, 0x1234);
  assert.equal(p.timestamp, 12345678);
  assert.equal(p.ssrc, 0x2bd2a3f1);
  assert.deepEqual(p.csrcs, []);
  assert.equal(p.extensionProfile, 0xbede);
  assert.equal(p.headerLength, 28);
  assert.equal(toHex(p.payload), "90800102030405060708");
  assert.equal(p.payload.buffer, b.buffer, "payload is a view");
  assert.equal(decodeAbsSendTime(getRtpExtension(p, 2)!), 0x1a2b3c);
  assert.equal(decodeTransportSequence(getRtpExtension(p, 3)!), 42);
  assert.equal(decodeStringExtension(getRtpExtension(p, 4)!), "0");
  assert.equal(getRtpExtension(p, 5), undefined);
  assert.deepEqual(
    getRtpExtensions(p).map((x) => [x.id, toHex(x.data)]),
    [
      [2, "1a2b3c"],
      [3, "002a"],
      [4, "30"],
    ],
  );
  assert.equal(toHex(serializeRtp(p)), toHex(b), "raw round trip");
  // Building the same packet from elements gives the same bytes.
  const built = serializeRtp({
    marker: true,
    payloadType: 96,
    sequenceNumber: 0x1234,
    timestamp: 12345678,
    ssrc: 0x2bd2a3f1,
    extensions: [
      { id: 2, data: h("1a2b3c") },
      { id: 3, data: encodeTransportSequence(42) },
      { id: 4, data: encodeStringExtension("0") },
    ],
    payload: h("90800102030405060708"),
  });
  assert.equal(toHex(built), toHex(b));
});

test("parses an audio packet with audio level and padding", () => {
  const b = h(AUDIO);
  const p = parseRtp(b)!;
  assert.equal(p.marker, false);
  assert.equal(p.payloadType, 111);
  assert.equal(p.sequenceNumber, 65535);
  assert.equal(p.timestamp, 0xdeadbeef);
  assert.equal(p.paddingLength, 4);
  assert.equal(toHex(p.payload), "fcfffe");
  assert.deepEqual(decodeAudioLevel(getRtpExtension(p, 1)!), { level: 10, voice: true });
  assert.equal(toHex(serializeRtp(p)), toHex(b));
  const built = serializeRtp({
    payloadType: 111,
    sequenceNumber: 65535,
    timestamp: 0xdeadbeef,
    ssrc: 0x01020304,
    extensions: [{ id: 1, data: encodeAudioLevel(10, true) }],
    payload: h("fcfffe"),
    paddingLength: 4,
  });
  assert.equal(toHex(built), toHex(b));
});

test("two-byte header extensions and CSRCs", () => {
  const b = h(TWO_BYTE);
  const p = parseRtp(b)!;
  assert.deepEqual(p.csrcs, [0xb01, 0xb02]);
  assert.equal(p.extensionProfile, TWO_BYTE_PROFILE);
  assert.equal(decodeStringExtension(getRtpExtension(p, 17)!), "abc");
  assert.equal(getRtpExtension(p, 4)!.length, 0);
  assert.equal(toHex(p.payload), "01");
  const built = serializeRtp({
    payloadType: 96,
    sequenceNumber: 1,
    timestamp: 100,
    ssrc: 10,
    csrcs: [0xb01, 0xb02],
    extensions: [
      { id: 17, data: encodeStringExtension("abc") },
      { id: 4, data: new Uint8Array(0) },
    ],
    payload: h("01"),
  });
  assert.equal(toHex(built), toHex(b));
  // Forcing the two-byte form for elements that would fit one byte.
  const forced = parseRtp(
    serializeRtp({
      payloadType: 0,
      sequenceNumber: 0,
      timestamp: 0,
      ssrc: 0,
      extensions: [{ id: 3, data: Uint8Array.of(1, 2) }],
      twoByteExtensions: true,
      payload: new Uint8Array(0),
    }),
  )!;
  assert.equal(forced.extensionProfile, 0x1000);
  assert.equal(toHex(getRtpExtension(forced, 3)!), "0102");
  // A 17-byte element needs the two-byte form automatically.
  const long = parseRtp(
    serializeRtp({
      payloadType: 0,
      sequenceNumber: 0,
      timestamp: 0,
      ssrc: 0,
      extensions: [{ id: 3, data: new Uint8Array(17).fill(7) }],
      payload: new Uint8Array(0),
    }),
  )!;
  assert.equal(long.extensionProfile, 0x1000);
  assert.equal(getRtpExtension(long, 3)!.length, 17);
});

test("one-byte extension parsing: padding bytes skipped, ID 15 stops, truncated element is ignored", () => {
  const p = parseRtp(h("90000000 00000000 00000000 bede0002 00001001 f0200102"))!;
  assert.equal(toHex(getRtpExtension(p, 1)!), "01");
  assert.equal(getRtpExtension(p, 2), undefined, "after ID 15 nothing is read");
  const q = parseRtp(h("90000000 00000000 00000000 bede0001 10013300"))!;
  assert.equal(toHex(getRtpExtension(q, 1)!), "01");
  assert.equal(getRtpExtension(q, 3), undefined, "element longer than the block");
});

test("writeRtp at an offset and sizeRtp", () => {
  const init = { payloadType: 8, sequenceNumber: 7, timestamp: 9, ssrc: 11, payload: Uint8Array.of(1, 2, 3) };
  const out = new Uint8Array(5 + sizeRtp(init));
  assert.equal(writeRtp(init, out, 5), out.length);
  assert.deepEqual(parseRtp(out.subarray(5))!.payload, Uint8Array.of(1, 2, 3));
  assert.throws(() => serializeRtp({ ...init, payloadType: 128 }), { code: "ERR_RTP_PT" });
  assert.throws(() => serializeRtp({ ...init, csrcs: new Array(16).fill(1) }), { code: "ERR_RTP_CSRC" });
  assert.throws(() => serializeRtp({ ...init, paddingLength: 256 }), { code: "ERR_RTP_PADDING" });
  assert.throws(
    () => serializeRtp({ ...init, extensions: [{ id: 0, data: Uint8Array.of(1) }], twoByteExtensions: true }),
    {
      code: "ERR_RTP_EXTENSION",
    },
  );
});

test("malformed RTP is rejected without throwing", () => {
  for (const bad of [
    "",
    "80",
    "800000000000000000000000".slice(0, 22),
    "40000000 00000000 00000000", // version 1
    "81000000 00000000 00000000", // CSRC past the end
    "90000000 00000000 00000000 bede", // extension header truncated
    "90000000 00000000 00000000 bede0002 10010000", // extension length past the end
    "a0000000 00000000 00000000 00", // padding count 0
    "a0000000 00000000 00000000 0005", // padding longer than the packet body
  ]) {
    assert.equal(parseRtp(h(bad)), undefined, bad);
  }
  assert.ok(parseRtp(h("a0000000 00000000 00000000 01")), "padding of one byte is only the count");
});

test("extension value helpers", () => {
  assert.equal(absSendTimeFromMs(0), 0);
  assert.equal(absSendTimeFromMs(1000), 1 << 18);
  assert.equal(absSendTimeFromMs(64000), 0, "wraps every 64 s");
  assert.equal(absSendTimeToMs(1 << 18), 1000);
  assert.ok(Math.abs(absSendTimeToMs(decodeAbsSendTime(encodeAbsSendTime(12345.678))!) - 12345.678) < 0.004);
  assert.equal(decodeAbsSendTime(Uint8Array.of(1, 2)), undefined);
  assert.equal(decodeTransportSequence(encodeTransportSequence(65535)), 65535);
  assert.equal(decodeTransportSequence(encodeTransportSequence(65536)), 0);
  assert.deepEqual(decodeAudioLevel(encodeAudioLevel(127, false)), { level: 127, voice: false });
  assert.deepEqual(decodeAudioLevel(encodeAudioLevel(200, true)), { level: 127, voice: true });
  assert.equal(decodeAudioLevel(new Uint8Array(0)), undefined);
  assert.equal(decodeStringExtension(Uint8Array.of(0x68, 0x69, 0, 0)), "hi");
  assert.equal(decodeStringExtension(encodeStringExtension("é-rid")), "é-rid");
  assert.throws(() => encodeStringExtension(""), { code: "ERR_RTP_EXTENSION" });
});

test("isRtcpPacket distinguishes RTCP from RTP by payload type range (RFC 5761)", () => {
  assert.equal(isRtcpPacket(h("80c80006")), true);
  assert.equal(isRtcpPacket(h("81cd0003")), true);
  assert.equal(isRtcpPacket(h(VIDEO)), false);
  assert.equal(isRtcpPacket(h("806f0000")), false);
  assert.equal(isRtcpPacket(h("80")), false);
});

test("setRtpExtensionInPlace stamps an existing element of the same length", () => {
  const b = Uint8Array.from(h(VIDEO));
  assert.equal(setRtpExtensionInPlace(b, 3, encodeTransportSequence(0xbeef)), true);
  assert.equal(decodeTransportSequence(getRtpExtension(parseRtp(b)!, 3)!), 0xbeef);
  assert.equal(setRtpExtensionInPlace(b, 3, Uint8Array.of(1)), false, "length differs");
  assert.equal(setRtpExtensionInPlace(b, 9, Uint8Array.of(1, 2)), false, "absent");
  assert.equal(setRtpExtensionInPlace(h("80000000 00000000 00000000"), 3, Uint8Array.of(1, 2)), false);
  const two = Uint8Array.from(h(TWO_BYTE));
  assert.equal(setRtpExtensionInPlace(two, 17, encodeStringExtension("xyz")), true);
  assert.equal(decodeStringExtension(getRtpExtension(parseRtp(two)!, 17)!), "xyz");
});
