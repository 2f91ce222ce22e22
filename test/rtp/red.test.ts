// RFC 2198 RED payloads (src/rtp/red.ts): hand-built vectors (Chrome's Opus shape: one redundant
// block at offset 960 plus the primary), round trips, malformed input, and a fuzz that never throws.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SeededRandom } from "../../src/random.js";
import { encodeRed, parseRed, parseRedFmtp, sizeRed, writeRed } from "../../src/rtp/red.js";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("RED payloads (RFC 2198 3)", () => {
  it("parses Chrome's shape: one redundant Opus frame 960 ticks back, then the primary", () => {
    // F=1 PT=111 | offset 960 (0b00001111000000) | length 3 ; F=0 PT=111 ; red data ; primary data
    const p = hex("ef 0f 00 03  6f  fc aa bb  fc 11 22 33 44");
    const r = parseRed(p);
    assert.ok(r);
    assert.equal(r.redundant.length, 1);
    assert.deepEqual(r.redundant[0]!.payloadType, 111);
    assert.equal(r.redundant[0]!.timestampOffset, 960);
    assert.deepEqual([...r.redundant[0]!.data], [0xfc, 0xaa, 0xbb]);
    assert.equal(r.primary.payloadType, 111);
    assert.equal(r.primary.timestampOffset, 0);
    assert.deepEqual([...r.primary.data], [0xfc, 0x11, 0x22, 0x33, 0x44]);
    // Views, not copies.
    assert.equal(r.primary.data.buffer, p.buffer);
  });

  it("the RFC 2198 example header: PT 0 offset 0x3fff length 0x3ff parses to its fields", () => {
    const data = Buffer.alloc(0x3ff, 7);
    const p = Buffer.concat([hex("80 ff ff ff 05"), data, hex("aa")]);
    const r = parseRed(p)!;
    assert.equal(r.redundant[0]!.payloadType, 0);
    assert.equal(r.redundant[0]!.timestampOffset, 0x3fff);
    assert.equal(r.redundant[0]!.data.length, 0x3ff);
    assert.equal(r.primary.payloadType, 5);
    assert.deepEqual([...r.primary.data], [0xaa]);
  });

  it("a primary alone (Chrome's first packet) is one header byte", () => {
    const r = parseRed(hex("6f fc 01 02"))!;
    assert.equal(r.redundant.length, 0);
    assert.deepEqual([...r.primary.data], [0xfc, 1, 2]);
    assert.deepEqual([...encodeRed([], 111, hex("fc 01 02"))], [0x6f, 0xfc, 1, 2]);
  });

  it("round trips two redundant blocks", () => {
    const blocks = [
      { payloadType: 111, timestampOffset: 1920, data: hex("01 02") },
      { payloadType: 111, timestampOffset: 960, data: hex("03") },
    ];
    const primary = hex("04 05 06");
    const out = Buffer.alloc(sizeRed(blocks, primary) + 2, 0xee);
    assert.equal(writeRed(blocks, 111, primary, out, 1), 1 + sizeRed(blocks, primary));
    const r = parseRed(out.subarray(1, out.length - 1))!;
    assert.deepEqual(
      r.redundant.map((b) => [b.payloadType, b.timestampOffset, [...b.data]]),
      [
        [111, 1920, [1, 2]],
        [111, 960, [3]],
      ],
    );
    assert.deepEqual([...r.primary.data], [4, 5, 6]);
  });

  it("malformed payloads are undefined", () => {
    for (const h of ["", "ef", "ef 0f 00", "ef 0f 00 03 6f fc aa", "ef 0f 00 03", `${"80 00 00 00 ".repeat(17)}00`]) {
      assert.equal(parseRed(hex(h)), undefined, h);
    }
  });

  it("writing refuses offsets, lengths and payload types that do not fit", () => {
    const big = { payloadType: 111, timestampOffset: 0x4000, data: hex("00") };
    assert.throws(() => encodeRed([big], 111, hex("00")), { code: "ERR_RED_OFFSET" });
    const long = { payloadType: 111, timestampOffset: 960, data: Buffer.alloc(1024) };
    assert.throws(() => encodeRed([long], 111, hex("00")), { code: "ERR_RED_LENGTH" });
    assert.throws(() => encodeRed([], 128, hex("00")), { code: "ERR_RED_PAYLOAD_TYPE" });
  });

  it("fmtp payload type lists", () => {
    assert.deepEqual(parseRedFmtp("111/111"), [111, 111]);
    assert.deepEqual(parseRedFmtp("0"), [0]);
    for (const bad of [undefined, "", "111/", "a/b", "111/128", "minptime=10"])
      assert.equal(parseRedFmtp(bad), undefined);
  });

  it("fuzz: random and mutated payloads never throw; parsed blocks stay inside the payload", () => {
    for (const seed of [1, 2, 3]) {
      const rnd = new SeededRandom(seed);
      const good = encodeRed([{ payloadType: 111, timestampOffset: 960, data: rnd.bytes(40) }], 111, rnd.bytes(50));
      for (let i = 0; i < 3000; i++) {
        let p: Uint8Array;
        if (i % 2) p = rnd.bytes(rnd.u32() % 64);
        else {
          p = Buffer.from(good);
          p[rnd.u32() % p.length] = rnd.u32() & 0xff;
          p = p.subarray(0, rnd.u32() % (p.length + 1));
        }
        const r = parseRed(p);
        if (!r) continue;
        let total = r.primary.data.length + 1;
        for (const b of r.redundant) total += b.data.length + 4;
        assert.equal(total, p.length, `seed ${seed} case ${i}`);
      }
    }
  });
});
