// STUN codec behaviour beyond the RFC 5769 vectors: malformed input rejected with a reason,
// isStunMessage, attributes after MESSAGE-INTEGRITY ignored, unknown comprehension-required
// attributes and the 420 response, MESSAGE-INTEGRITY-SHA256, long-term SHA-256 keys, and
// round trips of the ICE and TURN attributes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fromHex, toHex } from "../../src/bytes/index.js";
import { SeededRandom } from "../../src/random.js";
import {
  Attr,
  buildErrorResponse,
  buildUnknownAttributesResponse,
  isStunMessage,
  longTermKey,
  PasswordAlgorithm,
  parseStun,
  StunBuilder,
  StunClass,
  StunMethod,
  shortTermKey,
  userhash,
  verifyFingerprint,
  verifyIntegrity,
  verifyIntegritySha256,
} from "../../src/stun/index.js";

const tid = fromHex("0102030405060708090a0b0c")!;

function sample(): Uint8Array {
  return Uint8Array.from(
    new StunBuilder(StunMethod.Binding, StunClass.Request, tid)
      .addString(Attr.Username, "abc:def")
      .addU32(Attr.Priority, 12345)
      .finish({ integrity: shortTermKey("pw"), fingerprint: true }),
  );
}

test("malformed messages are rejected with a reason, never an exception", () => {
  const good = sample();
  assert.ok(parseStun(good).ok);
  const cases: [string, Uint8Array][] = [
    ["too-short", good.subarray(0, 19)],
    ["not-stun", Uint8Array.from(good, (v, i) => (i === 0 ? v | 0x80 : v))],
    ["bad-cookie", Uint8Array.from(good, (v, i) => (i === 5 ? v ^ 1 : v))],
    ["bad-length", good.subarray(0, good.length - 4)], // header says more than there is
    ["bad-length", Uint8Array.from(good, (v, i) => (i === 3 ? v + 1 : v))], // not a multiple of 4
  ];
  for (const [reason, bytes] of cases) {
    const r = parseStun(bytes);
    assert.equal(r.ok, false, reason);
    if (!r.ok) assert.equal(r.reason, reason);
    assert.equal(isStunMessage(bytes), false, reason);
  }
  // An attribute whose length runs past the end.
  const overflow = Uint8Array.from(good);
  overflow[22] = 0x01; // USERNAME length 0x0107
  const r1 = parseStun(overflow);
  assert.deepEqual(r1, { ok: false, reason: "attribute-overflow" });
  const afterFp = new StunBuilder(StunMethod.Binding, StunClass.Request, tid).finish({ fingerprint: true });
  const withTail = Uint8Array.from([...afterFp, 0x80, 0x22, 0, 0]);
  withTail[3] += 4;
  assert.deepEqual(parseStun(withTail), { ok: false, reason: "attribute-after-fingerprint" });
});

test("an unpadded last attribute is bad-padding; attributes ending exactly at the end are fine", () => {
  const head = sample().subarray(0, 20);
  // SOFTWARE of 5 bytes sent without its 3 padding bytes: header length 9 matches the datagram.
  const unpadded = new Uint8Array(20 + 9);
  unpadded.set(head);
  unpadded[2] = 0;
  unpadded[3] = 9;
  unpadded.set([0x80, 0x22, 0x00, 0x05, 0x41, 0x42, 0x43, 0x44, 0x45], 20);
  assert.deepEqual(parseStun(unpadded), { ok: false, reason: "bad-padding" });
  assert.equal(isStunMessage(unpadded), false);
  // The same attribute with its padding parses, and its value has 5 bytes.
  const padded = new Uint8Array(20 + 12);
  padded.set(unpadded);
  padded[3] = 12;
  const r = parseStun(padded);
  assert.ok(r.ok);
  assert.equal(r.msg.getString(Attr.Software), "ABCDE");
  // Truncated attribute header: 4 bytes of body that hold half a TLV header after a full one.
  const trunc = new Uint8Array(20 + 8);
  trunc.set(head);
  trunc[2] = 0;
  trunc[3] = 8;
  trunc.set([0x80, 0x22, 0x00, 0x00, 0x80, 0x22, 0x00, 0x01], 20);
  assert.deepEqual(parseStun(trunc), { ok: false, reason: "attribute-overflow" });
});

test("isStunMessage accepts valid messages and rejects DTLS/RTP-looking bytes", () => {
  assert.ok(isStunMessage(sample()));
  const dtls = Uint8Array.from([22, 254, 253, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(isStunMessage(dtls), false);
  const rtp = new Uint8Array(40);
  rtp[0] = 0x80;
  assert.equal(isStunMessage(rtp), false);
});

test("attributes after MESSAGE-INTEGRITY are ignored; FINGERPRINT still found", () => {
  const b = new StunBuilder(StunMethod.Binding, StunClass.Request, tid).addString(Attr.Username, "u:v");
  const msg = b.finish({ integrity: shortTermKey("k") });
  // Append a PRIORITY after MI, then a FINGERPRINT by hand.
  const extended = new Uint8Array(msg.length + 8);
  extended.set(msg);
  extended.set([0x00, 0x24, 0x00, 0x04, 0, 0, 0, 7], msg.length);
  extended[3] = extended.length - 20;
  const r = parseStun(extended);
  assert.ok(r.ok);
  assert.equal(r.msg.has(Attr.Priority), false);
  assert.equal(r.msg.getString(Attr.Username), "u:v");
  assert.ok(r.msg.integrityOffset > 0);
});

test("unknown comprehension-required attributes are reported and answered with 420", () => {
  const msg = new StunBuilder(StunMethod.Binding, StunClass.Request, tid)
    .add(0x7777, Uint8Array.of(1, 2, 3))
    .add(0xc057, Uint8Array.of(0, 1, 0, 0)) // GOOG-NETWORK-INFO: comprehension-optional, kept raw
    .addString(Attr.Username, "a:b")
    .finish({ fingerprint: true });
  const r = parseStun(msg);
  assert.ok(r.ok);
  assert.deepEqual(r.msg.unknownRequired, [0x7777]);
  assert.equal(toHex(r.msg.get(0xc057)!), "00010000");
  const resp = buildUnknownAttributesResponse(r.msg, { integrity: shortTermKey("p"), fingerprint: true });
  assert.ok(resp);
  const rr = parseStun(resp);
  assert.ok(rr.ok);
  assert.equal(rr.msg.cls, StunClass.ErrorResponse);
  assert.equal(rr.msg.method, StunMethod.Binding);
  assert.deepEqual(rr.msg.errorCode(), { code: 420, reason: "Unknown Attribute" });
  assert.deepEqual(rr.msg.unknownAttributes(), [0x7777]);
  assert.equal(toHex(rr.msg.transactionId), toHex(tid));
  assert.ok(verifyIntegrity(rr.msg, shortTermKey("p")));
  assert.ok(verifyFingerprint(rr.msg));
  const ok = parseStun(sample());
  assert.ok(ok.ok);
  assert.equal(buildUnknownAttributesResponse(ok.msg), undefined);
});

test("MESSAGE-INTEGRITY-SHA256 with a long-term SHA-256 key, after MESSAGE-INTEGRITY", () => {
  const key = longTermKey("user", "realm", "pass", PasswordAlgorithm.SHA256);
  assert.equal(key.bytes.length, 32);
  const md5 = longTermKey("user", "realm", "pass");
  assert.equal(toHex(md5.bytes), "8493fbc53ba582fb4c044c456bdc40eb"); // MD5("user:realm:pass")
  const msg = new StunBuilder(StunMethod.Allocate, StunClass.Request, tid)
    .addString(Attr.Username, "user")
    .addString(Attr.Realm, "realm")
    .addString(Attr.Nonce, "n0nce")
    .addPasswordAlgorithm(PasswordAlgorithm.SHA256)
    .finish({ integrity: md5, integritySha256: key, fingerprint: true });
  const r = parseStun(msg);
  assert.ok(r.ok);
  assert.ok(verifyIntegrity(r.msg, md5));
  assert.ok(verifyIntegritySha256(r.msg, key));
  assert.ok(!verifyIntegritySha256(r.msg, md5));
  assert.ok(verifyFingerprint(r.msg));
  assert.equal(r.msg.passwordAlgorithm()?.algorithm, PasswordAlgorithm.SHA256);
  assert.equal(r.msg.passwordAlgorithm()?.parameters.length, 0);
  assert.equal(userhash("user", "realm").length, 32);
});

test("ICE and TURN attributes round-trip", () => {
  const token = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
  const data = Uint8Array.of(9, 8, 7);
  const msg = new StunBuilder(StunMethod.Allocate, StunClass.SuccessResponse, tid)
    .addAddress(Attr.XorRelayedAddress, { address: "203.0.113.9", port: 49152 })
    .addAddress(Attr.XorPeerAddress, { address: "2001:db8::1", port: 5000 })
    .addAddress(Attr.MappedAddress, { address: "198.51.100.2", port: 1 })
    .addAddress(Attr.AlternateServer, { address: "::ffff:1.2.3.4", port: 3478 })
    .addU32(Attr.Lifetime, 600)
    .addU32(Attr.ChannelNumber, 0x40000000)
    .addU32(Attr.RequestedTransport, 17 << 24)
    .add(Attr.RequestedAddressFamily, Uint8Array.of(2, 0, 0, 0))
    .add(Attr.EvenPort, Uint8Array.of(0x80))
    .addFlag(Attr.DontFragment)
    .add(Attr.ReservationToken, token)
    .add(Attr.Data, data)
    .addFlag(Attr.UseCandidate)
    .addU64(Attr.IceControlling, 0xffffffff, 1)
    .addPasswordAlgorithms([PasswordAlgorithm.MD5, PasswordAlgorithm.SHA256])
    .finish({ fingerprint: true });
  const r = parseStun(msg);
  assert.ok(r.ok);
  const m = r.msg;
  assert.equal(m.method, StunMethod.Allocate);
  assert.deepEqual(m.getAddress(Attr.XorRelayedAddress), { address: "203.0.113.9", port: 49152 });
  assert.deepEqual(m.getAddress(Attr.XorPeerAddress), { address: "2001:db8::1", port: 5000 });
  assert.deepEqual(m.getAddress(Attr.MappedAddress), { address: "198.51.100.2", port: 1 });
  assert.deepEqual(m.getAddress(Attr.AlternateServer), { address: "::ffff:102:304", port: 3478 });
  assert.equal(m.getU32(Attr.Lifetime), 600);
  assert.equal(m.getU32(Attr.ChannelNumber), 0x40000000);
  assert.equal(m.get(Attr.EvenPort)![0], 0x80);
  assert.ok(m.has(Attr.DontFragment));
  assert.ok(m.has(Attr.UseCandidate));
  assert.deepEqual([...m.get(Attr.ReservationToken)!], [...token]);
  assert.deepEqual([...m.get(Attr.Data)!], [...data]);
  assert.equal(toHex(m.get(Attr.IceControlling)!), "ffffffff00000001");
  assert.deepEqual(
    m.passwordAlgorithms()!.map((p) => p.algorithm),
    [1, 2],
  );
  assert.equal(m.unknownRequired, undefined);
  assert.ok(verifyFingerprint(m));
  const bad = Uint8Array.from(msg);
  bad[bad.length - 1] ^= 1;
  const rb = parseStun(bad);
  assert.ok(rb.ok);
  assert.equal(verifyFingerprint(rb.msg), false);
});

test("error responses carry ERROR-CODE with class and number", () => {
  const req = parseStun(sample());
  assert.ok(req.ok);
  for (const code of [300, 400, 401, 438, 487, 500, 699]) {
    const r = parseStun(buildErrorResponse(req.msg, code, "why", { software: "petrel" }));
    assert.ok(r.ok);
    assert.deepEqual(r.msg.errorCode(), { code, reason: "why" });
    assert.equal(r.msg.getString(Attr.Software), "petrel");
  }
  assert.throws(() => buildErrorResponse(req.msg, 200, "no"), { code: "STUN_BAD_ERROR_CODE" });
});

test("builder grows past its initial capacity and flags misuse", () => {
  const rnd = new SeededRandom(1);
  const big = rnd.bytes(3000);
  const msg = new StunBuilder(StunMethod.Send, StunClass.Indication, tid, 64).add(Attr.Data, big).finish();
  const r = parseStun(msg);
  assert.ok(r.ok);
  assert.equal(r.msg.cls, StunClass.Indication);
  assert.deepEqual(Buffer.from(r.msg.get(Attr.Data)!), Buffer.from(big));
  assert.throws(() => new StunBuilder(1, 0, new Uint8Array(11)), { code: "STUN_BAD_TRANSACTION_ID" });
  const b = new StunBuilder(1, 0, tid);
  b.finish();
  assert.throws(() => b.addFlag(Attr.UseCandidate), { code: "STUN_FINISHED" });
});

test("typed TURN attributes (RFC 8656 section 18) round-trip", () => {
  const msg = new StunBuilder(StunMethod.Allocate, StunClass.ErrorResponse, tid)
    .addChannelNumber(0x4001)
    .addRequestedTransport()
    .addEvenPort(true)
    .addAddressFamily(Attr.RequestedAddressFamily, 6)
    .addAddressFamily(Attr.AdditionalAddressFamily, 6)
    .addAddressErrorCode(6, 440, "Address Family not Supported")
    .addIcmp(3, 4, 1280)
    .finish({ fingerprint: true });
  const r = parseStun(msg);
  assert.ok(r.ok);
  const m = r.msg;
  assert.equal(m.channelNumber(), 0x4001);
  assert.equal(m.requestedTransport(), 17);
  assert.deepEqual(m.evenPort(), { reserve: true });
  assert.equal(m.addressFamily(), 6);
  assert.equal(m.addressFamily(Attr.AdditionalAddressFamily), 6);
  assert.deepEqual(m.addressErrorCode(), { family: 6, code: 440, reason: "Address Family not Supported" });
  assert.deepEqual(m.icmp(), { type: 3, code: 4, data: 1280 });
  assert.equal(toHex(m.get(Attr.RequestedTransport)!), "11000000");
  assert.equal(toHex(m.get(Attr.ChannelNumber)!), "40010000");
  assert.equal(toHex(m.get(Attr.Icmp)!), "0000060400000500");
  assert.equal(m.unknownRequired, undefined);
  const none = parseStun(new StunBuilder(1, 0, tid).finish());
  assert.ok(none.ok);
  assert.equal(none.msg.channelNumber(), undefined);
  assert.equal(none.msg.icmp(), undefined);
  assert.equal(none.msg.evenPort(), undefined);
});
