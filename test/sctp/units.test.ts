// Unit tests: CRC32c vectors, TSN bookkeeping, INIT parameters as Chrome (dcSCTP) and Firefox
// (usrsctp) send them, the upper-two-bits rule, cookies, SACK parsing, FORWARD TSN encoding.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fromHex } from "../../src/bytes/index.js";
import { parseForwardTsn, parseSack, type SackInfo, writeForwardTsn } from "../../src/sctp/chunks.js";
import { makeCookie, openCookie } from "../../src/sctp/cookie.js";
import { crc32c, readChecksum, sctpChecksum } from "../../src/sctp/crc32c.js";
import { parseInit, writeInit } from "../../src/sctp/params.js";
import { ADD_DUPLICATE, ADD_NEW, ADD_TOO_FAR, ReceivedTsns, tsnLt } from "../../src/sctp/tsn.js";

test("CRC32c test vectors (RFC 3720 B.4) and slicing matches bytewise", () => {
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
  assert.equal(crc32c(Buffer.from("123456789")), 0xe3069283);
  // Any offset and length agree with a one-byte-at-a-time reference.
  const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 255);
  const ref = (b: Uint8Array, s: number, e: number) => {
    let c = -1;
    for (let i = s; i < e; i++) {
      c ^= b[i]!;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    }
    return ~c >>> 0;
  };
  for (const [s, e] of [
    [0, 300],
    [3, 17],
    [1, 299],
    [5, 5],
    [7, 8],
  ] as const)
    assert.equal(crc32c(data, s, e), ref(data, s, e));
});

test("SCTP packet checksum: computed with the field zeroed, stored little-endian", () => {
  // A COOKIE ACK packet (ports 5000 -> 5000, tag 0x01020304) with its CRC32c.
  const p = fromHex("13881388 01020304 00000000 0b000004")!;
  const c = sctpChecksum(p);
  p[8] = c;
  p[9] = c >>> 8;
  p[10] = c >>> 16;
  p[11] = c >>> 24;
  assert.equal(readChecksum(p), c);
  assert.equal(sctpChecksum(p), c, "the stored field does not affect the result");
  assert.equal(crc32c(Uint8Array.from([...p.subarray(0, 8), 0, 0, 0, 0, ...p.subarray(12)])), c);
});

test("TSN tracker: in order, gaps, duplicates, merging, forward, bounds", () => {
  const t = new ReceivedTsns(0xfffffffe); // wraps around 2^32
  assert.equal(t.add(0xfffffffe, 100), ADD_NEW);
  assert.equal(t.cum, 0xfffffffe);
  assert.equal(t.add(1, 10), ADD_NEW); // gap at 0xffffffff, 0
  assert.equal(t.add(3, 10), ADD_NEW);
  assert.deepEqual(t.ranges, [1, 1, 3, 3]);
  assert.equal(t.aheadBytes, 20);
  assert.equal(t.add(2, 10), ADD_NEW);
  assert.deepEqual(t.ranges, [1, 3]);
  assert.equal(t.add(2, 10), ADD_DUPLICATE);
  assert.equal(t.add(0xfffffffe, 10), ADD_DUPLICATE);
  assert.deepEqual(t.dups, [2, 0xfffffffe]);
  assert.equal(t.add(0xffffffff, 5), ADD_NEW);
  assert.equal(t.add(0, 5), ADD_NEW);
  assert.equal(t.cum, 3);
  assert.deepEqual(t.ranges, []);
  assert.equal(t.aheadBytes, 0);
  assert.equal(t.add(3 + 70000, 1), ADD_TOO_FAR);
  t.add(10, 7);
  t.add(20, 7);
  assert.ok(t.forward(15));
  assert.equal(t.cum, 15);
  assert.deepEqual(t.ranges, [20, 20]);
  assert.equal(t.aheadBytes, 7);
  assert.ok(!t.forward(12), "a FORWARD TSN behind cum does nothing");
  assert.ok(t.forward(19));
  assert.equal(t.cum, 20, "the range right after the new cum is absorbed");
  assert.equal(t.aheadBytes, 0);
  assert.ok(tsnLt(0xffffff00, 5));
});

test("TSN tracker caps the number of out-of-order ranges", () => {
  const t = new ReceivedTsns(1);
  let refused = 0;
  for (let i = 0; i < 600; i++) if (t.add(3 + i * 2, 1) === ADD_TOO_FAR) refused++;
  assert.equal(t.ranges.length, 512);
  assert.equal(refused, 600 - 256);
});

// An INIT as Chrome's dcSCTP sends it: Supported Extensions (RE-CONFIG, FORWARD-TSN, I-DATA,
// I-FORWARD-TSN), Forward-TSN-Supported, Zero Checksum Acceptable (EDMID 1).
const CHROME_INIT = fromHex(`
  11223344 00500000 ffff ffff 01020304
  8008 0008 82c040c2
  c000 0004
  8001 0008 00000001`)!;
// An INIT as Firefox's usrsctp sends it: ECN, Forward-TSN-Supported, Supported Extensions
// (including ASCONF and AUTH-related types), Random, Chunk List, HMAC-ALGO, Supported Address Types.
const FIREFOX_INIT = fromHex(`
  55667788 00020000 0800 0800 aabbccdd
  8000 0004
  c000 0004
  8008 0009 82c0c180 0f000000
  8002 0024 ${"11".repeat(32)}
  8003 0006 c180 0000
  8004 0006 0001 0000
  000c 0006 0005 0000`)!;

test("INIT parameters from Chrome (dcSCTP) and Firefox (usrsctp) are understood", () => {
  const c = parseInit(CHROME_INIT)!;
  assert.equal(c.initiateTag, 0x11223344);
  assert.equal(c.arwnd, 0x500000);
  assert.equal(c.outboundStreams, 65535);
  assert.equal(c.initialTsn, 0x01020304);
  assert.ok(c.forwardTsn && c.reconfig && c.iData && c.iForwardTsn && c.zeroChecksum);
  assert.deepEqual(c.unrecognized, []);
  const f = parseInit(FIREFOX_INIT)!;
  assert.equal(f.outboundStreams, 2048);
  assert.ok(f.forwardTsn && f.reconfig);
  assert.ok(!f.iData && !f.zeroChecksum);
  assert.deepEqual(f.unrecognized, []);
});

test("unknown INIT parameters follow the upper-two-bits rule (RFC 9260 3.2.1)", () => {
  const mk = (type: number) =>
    fromHex(`11223344 00010000 0001 0001 00000001 ${type.toString(16).padStart(4, "0")} 0008 00000000 c000 0004`)!;
  const skipReport = parseInit(mk(0xc123))!;
  assert.equal(skipReport.unrecognized.length, 1);
  assert.ok(skipReport.forwardTsn, "processing went on");
  const skipSilent = parseInit(mk(0x8123))!;
  assert.equal(skipSilent.unrecognized.length, 0);
  assert.ok(skipSilent.forwardTsn);
  const stopReport = parseInit(mk(0x4123))!;
  assert.equal(stopReport.unrecognized.length, 1);
  assert.ok(!stopReport.forwardTsn, "processing stopped");
  const stop = parseInit(mk(0x0123))!;
  assert.ok(!stop.forwardTsn);
  assert.equal(parseInit(fromHex("00000000 00010000 0001 0001 00000001")!), undefined, "zero initiate tag");
  assert.equal(parseInit(fromHex("11223344 00010000 0001 0001 00000001 c000 0010")!), undefined, "bad length");
});

test("our INIT round-trips and advertises what browsers look for", () => {
  const v = writeInit(
    { initiateTag: 7, arwnd: 1 << 20, outboundStreams: 65535, inboundStreams: 65535, initialTsn: 99 },
    { iData: true, zeroChecksum: true },
    undefined,
  );
  const i = parseInit(v)!;
  assert.ok(i.forwardTsn && i.reconfig && i.iData && i.iForwardTsn && i.zeroChecksum);
  assert.equal(i.initiateTag, 7);
  const withCookie = parseInit(
    writeInit(
      { initiateTag: 7, arwnd: 1, outboundStreams: 1, inboundStreams: 1, initialTsn: 1 },
      { iData: false, zeroChecksum: false },
      Uint8Array.of(1, 2, 3),
    ),
  )!;
  assert.deepEqual([...withCookie.cookie!], [1, 2, 3]);
  assert.ok(!withCookie.iData && !withCookie.zeroChecksum);
});

test("cookies: authentic ones open, tampered ones do not", () => {
  const secret = new Uint8Array(32).fill(4);
  const state = {
    myTag: 1,
    peerTag: 2,
    myInitialTsn: 3,
    peerInitialTsn: 4,
    peerArwnd: 5,
    peerOutboundStreams: 6,
    peerInboundStreams: 7,
    peerForwardTsn: true,
    peerReconfig: false,
    peerIData: true,
    peerZeroChecksum: false,
    peerPad: true,
    created: 1234.5,
  };
  const c = makeCookie(state, secret);
  assert.deepEqual(openCookie(c, secret), state);
  for (let i = 0; i < c.length; i++) {
    const bad = Uint8Array.from(c);
    bad[i]! ^= 1;
    assert.equal(openCookie(bad, secret), undefined, `byte ${i}`);
  }
  assert.equal(openCookie(c, new Uint8Array(32)), undefined);
});

test("SACK parsing and FORWARD TSN round trips", () => {
  const s: SackInfo = { cumTsn: 0, arwnd: 0, gaps: [], dups: 0 };
  assert.ok(parseSack(fromHex("00000064 00010000 0002 0001 0002 0003 0005 0005 00000063")!, s));
  assert.deepEqual(s, { cumTsn: 100, arwnd: 65536, gaps: [2, 3, 5, 5], dups: 1 });
  assert.ok(!parseSack(fromHex("00000064 00010000 0002 0000 0002 0003")!, s), "truncated");
  assert.ok(!parseSack(fromHex("00000064 00010000 0001 0000 0003 0002")!, s), "end before start");
  const f = writeForwardTsn(500, [{ sid: 3, unordered: false, seq: 9 }], false);
  assert.deepEqual(parseForwardTsn(f.subarray(4), false), {
    newCum: 500,
    entries: [{ sid: 3, unordered: false, seq: 9 }],
  });
  const fi = writeForwardTsn(501, [{ sid: 4, unordered: true, seq: 70000 }], true);
  assert.equal(fi[0], 194);
  assert.deepEqual(parseForwardTsn(fi.subarray(4), true), {
    newCum: 501,
    entries: [{ sid: 4, unordered: true, seq: 70000 }],
  });
});

// Captured from Chromium 156 (dcSCTP) talking to Petrel: its INIT, and its INIT ACK to ours.
const CHROME_INIT_PACKET = fromHex(
  "13881388000000006c4ac1c10100001eb10b8a3600500000ffffffff1ad16157c00000048008000682c00000",
)!;
const CHROME_INIT_ACK_PACKET = fromHex(
  "13881388279ee8f3a752188e02000052b10b8a3600500000ffffffff1ad16157000700346463534354503030279ee8f3b10b8a368c65c9fa1ad161570020000000000000000000000101010000000001ffffffffc00000048008000682c00000",
)!;

test("real Chromium INIT and INIT ACK: checksums, parameters, and our answer", async () => {
  for (const p of [CHROME_INIT_PACKET, CHROME_INIT_ACK_PACKET]) assert.equal(sctpChecksum(p), readChecksum(p));
  const init = parseInit(CHROME_INIT_PACKET.subarray(16))!;
  assert.equal(init.initiateTag, 0xb10b8a36);
  assert.equal(init.arwnd, 5 * 1024 * 1024);
  assert.equal(init.outboundStreams, 65535);
  assert.ok(init.forwardTsn && init.reconfig);
  assert.ok(!init.iData && !init.zeroChecksum, "this build offers neither I-DATA nor zero checksum");
  const ack = parseInit(CHROME_INIT_ACK_PACKET.subarray(16))!;
  assert.equal(ack.cookie?.length, 0x34 - 4);
  const { SctpAssociation } = await import("../../src/sctp/index.js");
  const { SeededRandom } = await import("../../src/random.js");
  const ours = new SctpAssociation({ random: new SeededRandom(1) });
  ours.handleDatagram(Uint8Array.from(CHROME_INIT_PACKET), 0);
  const reply = ours.pollTransmit()!;
  assert.equal(reply[12], 2, "an INIT ACK");
  assert.equal(Buffer.from(reply).readUInt32BE(4), 0xb10b8a36, "tagged with Chromium's initiate tag");
  assert.equal(sctpChecksum(reply), readChecksum(reply), "with a real CRC32c");
  assert.equal(ours.state, "closed", "no state kept before COOKIE ECHO");
});
