import assert from "node:assert/strict";
import { test } from "node:test";
import { canonicalIP, formatIP, parseIP, parseIPv4, parseIPv6 } from "../../src/address.js";
import {
  concatBytes,
  constantTimeEqual,
  fromHex,
  Reader,
  readU16LE,
  readU32,
  readU32LE,
  readU48,
  toHex,
  Writer,
  writeU16LE,
  writeU32LE,
  writeU48,
} from "../../src/bytes/index.js";
import { SeededRandom } from "../../src/random.js";

test("Reader reads big-endian fields and fails instead of throwing past the end", () => {
  const r = new Reader(Uint8Array.from([1, 2, 3, 4, 5, 6, 7]));
  assert.equal(r.u8(), 1);
  assert.equal(r.u16(), 0x0203);
  assert.equal(r.u32(), 0x04050607);
  assert.equal(r.failed, false);
  assert.equal(r.u8(), 0);
  assert.equal(r.failed, true);
  const v = new Reader(Uint8Array.from([3, 9, 9])).vector(1);
  assert.equal(v.length, 0);
});

test("Writer grows, fills length prefixes, and round-trips 48-bit numbers", () => {
  const w = new Writer(2);
  const done = w.lengthPrefix(2);
  w.u8(0xff).u32(0xdeadbeef).u48(0x123456789abc);
  done();
  const b = w.finish();
  assert.equal(toHex(b), "000bffdeadbeef123456789abc");
  assert.equal(readU32(b, 3), 0xdeadbeef);
  assert.equal(readU48(b, 7), 0x123456789abc);
  const x = new Uint8Array(6);
  writeU48(x, 0, 2 ** 48 - 1);
  assert.equal(readU48(x, 0), 2 ** 48 - 1);
});

test("hex and constant-time comparison", () => {
  assert.deepEqual(fromHex("01:ab CD"), Uint8Array.from([1, 0xab, 0xcd]));
  assert.equal(fromHex("abc"), undefined);
  assert.equal(fromHex("zz"), undefined);
  assert.equal(constantTimeEqual(Uint8Array.from([1, 2]), Uint8Array.from([1, 2])), true);
  assert.equal(constantTimeEqual(Uint8Array.from([1, 2]), Uint8Array.from([1, 3])), false);
  assert.equal(constantTimeEqual(Uint8Array.from([1]), Uint8Array.from([1, 3])), false);
});

test("IP addresses parse and format canonically", () => {
  assert.deepEqual(parseIPv4("192.168.1.20"), Uint8Array.from([192, 168, 1, 20]));
  assert.equal(parseIPv4("256.1.1.1"), undefined);
  assert.equal(parseIPv4("1.2.3"), undefined);
  assert.equal(canonicalIP("2001:0db8:0000:0000:0000:0000:0000:0001"), "2001:db8::1");
  assert.equal(canonicalIP("::1"), "::1");
  assert.equal(canonicalIP("::"), "::");
  assert.equal(canonicalIP("fe80::1%eth0"), "fe80::1");
  assert.equal(canonicalIP("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");
  assert.equal(canonicalIP("::ffff:1.2.3.4"), "::ffff:102:304");
  assert.equal(parseIPv6("1::2::3"), undefined);
  assert.equal(parseIPv6("1:2:3:4:5:6:7"), undefined);
  assert.equal(parseIPv6("12345::"), undefined);
  const b = parseIP("2001:db8:a::b")!;
  assert.equal(formatIP(b), "2001:db8:a::b");
});

test("SeededRandom is reproducible and roughly uniform", () => {
  const a = new SeededRandom(42);
  const b = new SeededRandom(42);
  const xs = Array.from({ length: 10 }, () => a.u32());
  assert.deepEqual(
    xs,
    Array.from({ length: 10 }, () => b.u32()),
  );
  assert.notDeepEqual(
    xs,
    Array.from({ length: 10 }, () => new SeededRandom(43).u32()),
  );
  const r = new SeededRandom(7);
  let sum = 0;
  for (let i = 0; i < 100_000; i++) sum += r.float();
  assert.ok(Math.abs(sum / 100_000 - 0.5) < 0.01);
});

test("little-endian reads and writes, and concatBytes", () => {
  const b = new Uint8Array(6);
  assert.equal(writeU16LE(b, 0, 0xbeef), 2);
  assert.equal(writeU32LE(b, 2, 0xfedcba98), 6);
  assert.equal(toHex(b), "efbe98badcfe");
  assert.equal(readU16LE(b, 0), 0xbeef);
  assert.equal(readU32LE(b, 2), 0xfedcba98, "unsigned above 2^31");
  assert.equal(toHex(concatBytes([Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3)])), "010203");
  assert.equal(concatBytes([]).length, 0);
});
