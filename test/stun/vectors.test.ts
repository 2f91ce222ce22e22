// RFC 5769 test vectors: the sample request (2.1), IPv4 and IPv6 responses (2.2, 2.3) and the
// request with long-term authentication (2.4); plus the same messages rebuilt with StunBuilder
// (RFC 8489 zero padding, so MESSAGE-INTEGRITY and FINGERPRINT differ from the vectors).
import assert from "node:assert/strict";
import { test } from "node:test";
import { fromHex, toHex } from "../../src/bytes/index.js";
import {
  Attr,
  longTermKey,
  parseStun,
  StunBuilder,
  StunClass,
  StunMethod,
  shortTermKey,
  verifyFingerprint,
  verifyIntegrity,
} from "../../src/stun/index.js";

const hex = (s: string): Uint8Array => fromHex(s)!;

const REQUEST = hex(`
000100582112a442b7e7a701bc34d686fa87dfae
802200105354554e207465737420636c69656e74
002400046e0001ff
80290008932ff9b151263b36
000600096576746a3a68367659202020
000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2
80280004e57a3bcf`);

const RESPONSE_V4 = hex(`
0101003c2112a442b7e7a701bc34d686fa87dfae
8022000b7465737420766563746f7220
002000080001a147e112a643
000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7
80280004c07d4c96`);

const RESPONSE_V6 = hex(`
010100482112a442b7e7a701bc34d686fa87dfae
8022000b7465737420766563746f7220
002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9
00080014a382954e4be67bf11784c97c8292c275bfe3ed41
80280004c8fb0b4c`);

const REQUEST_LTC = hex(`
000100602112a44278ad3433c6ad72c029da412e
00060012e3839ee38388e383aae38383e382afe382b90000
0015001c662f2f3439396b39353464364f4c33346f4c39465354767936347341
0014000b6578616d706c652e6f726700
00080014f67024656dd64a3e02b8e0712e85c9a28ca89666`);

const PASSWORD = "VOkJxbRl1RmTxUk/WvJxBt";

test("RFC 5769 2.1 sample request: attributes, MESSAGE-INTEGRITY and FINGERPRINT", () => {
  const r = parseStun(REQUEST);
  assert.ok(r.ok, r.ok ? "" : r.reason);
  const m = r.msg;
  assert.equal(m.method, StunMethod.Binding);
  assert.equal(m.cls, StunClass.Request);
  assert.equal(toHex(m.transactionId), "b7e7a701bc34d686fa87dfae");
  assert.equal(m.getString(Attr.Software), "STUN test client");
  assert.equal(m.getU32(Attr.Priority), 0x6e0001ff);
  assert.equal(toHex(m.get(Attr.IceControlled)!), "932ff9b151263b36");
  assert.equal(m.getString(Attr.Username), "evtj:h6vY");
  assert.equal(m.unknownRequired, undefined);
  assert.ok(verifyIntegrity(m, shortTermKey(PASSWORD)));
  assert.ok(!verifyIntegrity(m, shortTermKey("wrong")));
  assert.ok(verifyFingerprint(m));
});

test("RFC 5769 2.2 IPv4 response: XOR-MAPPED-ADDRESS 192.0.2.1:32853", () => {
  const r = parseStun(RESPONSE_V4);
  assert.ok(r.ok);
  assert.equal(r.msg.cls, StunClass.SuccessResponse);
  assert.equal(r.msg.getString(Attr.Software), "test vector");
  assert.deepEqual(r.msg.getAddress(Attr.XorMappedAddress), { address: "192.0.2.1", port: 32853 });
  assert.ok(verifyIntegrity(r.msg, shortTermKey(PASSWORD)));
  assert.ok(verifyFingerprint(r.msg));
});

test("RFC 5769 2.3 IPv6 response: XOR-MAPPED-ADDRESS 2001:db8:1234:5678:11:2233:4455:6677 port 32853", () => {
  const r = parseStun(RESPONSE_V6);
  assert.ok(r.ok);
  assert.deepEqual(r.msg.getAddress(Attr.XorMappedAddress), {
    address: "2001:db8:1234:5678:11:2233:4455:6677",
    port: 32853,
  });
  assert.ok(verifyIntegrity(r.msg, shortTermKey(PASSWORD)));
  assert.ok(verifyFingerprint(r.msg));
});

test("RFC 5769 2.4 request with long-term authentication (SASLprep'd password TheMatrIX)", () => {
  const r = parseStun(REQUEST_LTC);
  assert.ok(r.ok);
  const m = r.msg;
  const username = "\u30de\u30c8\u30ea\u30c3\u30af\u30b9";
  assert.equal(m.getString(Attr.Username), username);
  assert.equal(m.getString(Attr.Nonce), "f//499k954d6OL34oL9FSTvy64sA");
  assert.equal(m.getString(Attr.Realm), "example.org");
  assert.equal(m.fingerprintOffset, -1);
  assert.ok(verifyIntegrity(m, longTermKey(username, "example.org", "TheMatrIX")));
  assert.ok(!verifyIntegrity(m, longTermKey(username, "example.org", "TheMatrix")));
});

test("StunBuilder reproduces the RFC 5769 request byte for byte up to the padding", () => {
  const tid = hex("b7e7a701bc34d686fa87dfae");
  const built = new StunBuilder(StunMethod.Binding, StunClass.Request, tid)
    .addString(Attr.Software, "STUN test client")
    .addU32(Attr.Priority, 0x6e0001ff)
    .addU64(Attr.IceControlled, 0x932ff9b1, 0x51263b36)
    .addString(Attr.Username, "evtj:h6vY")
    .finish({ integrity: shortTermKey(PASSWORD), fingerprint: true });
  assert.equal(built.length, REQUEST.length);
  // Everything before USERNAME's padding is identical; RFC 8489 pads with zeros, RFC 5769 with spaces.
  const pad = 20 + 20 + 8 + 12 + 4 + 9;
  assert.equal(toHex(built.subarray(0, pad)), toHex(REQUEST.subarray(0, pad)));
  const r = parseStun(built);
  assert.ok(r.ok);
  assert.ok(verifyIntegrity(r.msg, shortTermKey(PASSWORD)));
  assert.ok(verifyFingerprint(r.msg));
  // The whole message equals the vector re-padded with zeros (as RFC 8489 requires), whose
  // MESSAGE-INTEGRITY and FINGERPRINT are therefore different from RFC 5769's.
  assert.equal(
    toHex(built.subarray(pad)),
    "000000" + "000800147907c2d2edbfea480e4c76d82962d5c3742af9e3" + "80280004e352928d",
  );
});

test("StunBuilder writes IPv4 and IPv6 XOR-MAPPED-ADDRESS exactly as the RFC 5769 responses", () => {
  const tid = hex("b7e7a701bc34d686fa87dfae");
  const v4 = new StunBuilder(StunMethod.Binding, StunClass.SuccessResponse, tid)
    .addAddress(Attr.XorMappedAddress, { address: "192.0.2.1", port: 32853 })
    .finish();
  assert.equal(toHex(v4.subarray(20)), "002000080001a147e112a643");
  const v6 = new StunBuilder(StunMethod.Binding, StunClass.SuccessResponse, tid)
    .addAddress(Attr.XorMappedAddress, { address: "2001:db8:1234:5678:11:2233:4455:6677", port: 32853 })
    .finish();
  assert.equal(toHex(v6.subarray(20)), "002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9");
});
