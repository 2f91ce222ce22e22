// AV1 RTP payload format: leb128 (AV1 spec 4.10.5), aggregation header bytes (Z, Y, W, N),
// temporal delimiters / padding / tile lists dropped, OBU extension headers kept, W = 0 for
// more than three elements, fragmentation with Z/Y, exact fit at the budget, and the shared
// video checks.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fromHex, toHex } from "../../../src/bytes/index.js";
import {
  Av1Depayloader,
  Av1Payloader,
  isAv1Keyframe,
  PKT_MALFORMED,
  PKT_NOT_START,
  PKT_START,
  parseObus,
  readLeb128,
  sizeLeb128,
  writeLeb128,
} from "../../../src/media/codecs/index.js";
import { SeededRandom } from "../../../src/random.js";
import { assertBytes, av1TemporalUnit, concat, obu } from "./harness.js";
import { checkAll } from "./video-checks.js";

const hx = (s: string): Uint8Array => fromHex(s)!;

test("leb128", () => {
  const cases: [number, string][] = [
    [0, "00"],
    [1, "01"],
    [127, "7f"],
    [128, "8001"],
    [300, "ac02"],
    [16383, "ff7f"],
    [16384, "808001"],
    [0xffffffff, "ffffffff0f"],
  ];
  for (const [v, h] of cases) {
    const out = new Uint8Array(sizeLeb128(v));
    assert.equal(writeLeb128(v, out, 0), out.length);
    assert.equal(toHex(out), h);
    assert.equal(readLeb128(hx(h), 0), v);
  }
  assert.equal(readLeb128(hx("8080"), 0), -1);
  assert.equal(readLeb128(hx("ffffffffff01"), 0), -1); // over 2^32
  assert.equal(readLeb128(hx("808080808080808001"), 0), -1); // 9 bytes
  assert.equal(readLeb128(hx("8000"), 0), 0); // non-minimal but valid
});

test("one packet: N, W = 2, TD dropped, obu_size removed and restored", () => {
  const tu = hx("1200 0a03 000102 3204 10aabbcc");
  assert.equal(isAv1Keyframe(tu), true);
  const [p, ...rest] = new Av1Payloader().payload(tu, 1100);
  assert.equal(rest.length, 0);
  assert.equal(toHex(p!), "28 04 08000102 30 10aabbcc".replace(/ /g, ""));
  const d = new Av1Depayloader();
  assert.equal(d.inspect(p!), PKT_START);
  const f = d.assemble([p!], 1)!;
  assertBytes(f.data, tu);
  assert.equal(f.keyframe, true);
  // Inter frame: no N.
  const inter = hx("1200 3203 30aabb");
  const [q] = new Av1Payloader().payload(inter, 1100);
  assert.equal(toHex(q!), "10 30 30aabb".replace(/ /g, ""));
  assert.equal(d.inspect(q!), 0);
  assert.equal(d.assemble([q!], 1)!.keyframe, false);
});

test("padding and tile lists dropped; extension headers kept; W = 0 beyond three elements", () => {
  const ext = obu(6, hx("30 0102"), 0x28);
  const tu = concat([
    hx("1200"),
    obu(5, hx("01")),
    obu(15, hx("000000")),
    obu(8, hx("01")),
    ext,
    obu(5, hx("02")),
    obu(5, hx("03")),
  ]);
  const [p] = new Av1Payloader().payload(tu, 1100);
  assert.equal(p![0], 0x00, "W = 0, no N");
  const back = new Av1Depayloader().assemble([p!], 1)!;
  assertBytes(back.data, concat([hx("1200"), obu(5, hx("01")), ext, obu(5, hx("02")), obu(5, hx("03"))]));
  const obus = parseObus(back.data)!;
  assert.deepEqual(
    obus.map((o) => o.type),
    [2, 5, 6, 5, 5],
  );
  assert.equal(obus[2]!.header.length, 2);
});

test("fragmentation: Z and Y across packets, exact fit at the budget", () => {
  const rnd = new SeededRandom(9);
  const frame = rnd.bytes(2500);
  frame[0] = 0x30;
  const tu = concat([hx("1200"), obu(6, frame)]);
  const packets = new Av1Payloader().payload(tu, 1000);
  assert.deepEqual(
    packets.map((p) => p[0]! & 0xc0),
    [0x40, 0xc0, 0x80],
  );
  for (const p of packets) assert.ok(p.length <= 1000);
  const d = new Av1Depayloader();
  assert.deepEqual(
    packets.map((p) => d.inspect(p)),
    [0, PKT_NOT_START, PKT_NOT_START],
  );
  assertBytes(d.assemble(packets, 3)!.data, tu);
  assert.equal(d.assemble(packets.slice(0, 2), 2), undefined, "ends inside an OBU");
  assert.equal(d.assemble([packets[0]!, packets[2]!], 2)?.data.length !== tu.length, true);
  // One element of exactly budget - 1 bytes (the aggregation header) fits one packet (W = 1).
  const fit = rnd.bytes(1000 - 1 - 1);
  fit[0] = 0x30;
  assert.equal(new Av1Payloader().payload(concat([hx("1200"), obu(6, fit)]), 1000).length, 1);
  const over = rnd.bytes(1000 - 1);
  over[0] = 0x30;
  assert.equal(new Av1Payloader().payload(concat([hx("1200"), obu(6, over)]), 1000).length, 2);
});

test("malformed AV1 payloads are refused", () => {
  const d = new Av1Depayloader();
  for (const bad of ["", "10", "0005aa", "2003aa", "30", "0080", "20 01aa"])
    assert.equal(d.inspect(hx(bad)), PKT_MALFORMED, bad);
  assert.equal(d.assemble([hx("10 b0")], 1), undefined, "forbidden bit");
  assert.equal(d.assemble([hx("90 30aa")], 1), undefined, "continuation first");
  assert.equal(d.assemble([hx("50 30aa"), hx("10 30bb")], 2), undefined, "Y then Z = 0");
  assert.equal(d.assemble([hx("10 3a05aa")], 1), undefined, "obu_size past the element");
  assert.throws(() => new Av1Payloader().payload(hx("1203"), 100), { code: "ERR_CODEC_AV1" });
  assert.throws(() => new Av1Payloader().payload(hx("1200"), 100), { code: "ERR_CODEC_EMPTY_FRAME" });
});

checkAll(
  {
    name: "AV1",
    payloader: () => new Av1Payloader(),
    depayloader: () => new Av1Depayloader(),
    frame: (rnd, size, key) => av1TemporalUnit(rnd, size, key),
    overhead: () => 0,
  },
  test,
);
