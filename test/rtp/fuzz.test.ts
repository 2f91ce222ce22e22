// Malformed input never throws: about 100,000 mutations (bit flips, byte overwrites,
// truncations, extensions, splices) of valid RTP and RTCP packets through parseRtp, the
// extension walkers and parseRtcp. Whatever parses must re-serialise (or be refused with an
// RtpError code) and parse again to the same structure.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fromHex, toHex } from "../../src/bytes/index.js";
import { SeededRandom } from "../../src/random.js";
import { getRtpExtensions, parseRtcp, parseRtp, serializeRtcp, serializeRtp } from "../../src/rtp/index.js";

const h = (s: string): Uint8Array => fromHex(s)!;

const RTP_SEEDS = [
  h("90e01234 00bc614e 2bd2a3f1 bede0003 221a2b3c 31002a40 30000000 90800102 03040506 0708"),
  h("b06fffff deadbeef 01020304 bede0001 108a0000 fcfffe 00000004"),
  h("92600001 00000064 0000000a 00000b01 00000b02 10000002 11036162 63040000 01"),
];
const RTCP_SEEDS = [
  h(
    "81c8000c 2bd2a3f1 e8a1b2c3 40000000 00bc614e 00000064 00012c00 11223344 19fffffe 0001ffff 00000020 b2c34000 00010000" +
      "81ca0006 2bd2a3f1 0110 6162636465666768696a6b6c6d6e6f70 0000",
  ),
  h("81c90007 2bd2a3f1 11223344 00000005 00010010 00000000 00000000 00000000 81cb0002 2bd2a3f1 03627965"),
  h("81cd0003 2bd2a3f1 11223344 00640005 81ce0002 2bd2a3f1 11223344 84ce0004 2bd2a3f1 00000000 11223344 07000000"),
  h("8fce0005 2bd2a3f1 00000000 52454d42 010bd090 11223344 83cc0003 2bd2a3f1 74657374 01020304"),
  h("80cf0008 2bd2a3f1 04000002 e8a1b2c3 40000000 05000003 11223344 b2c34000 00008000"),
  h("8fcd0006 01020304 05060708 00640003 00000105 d20004ff fc000000"),
  h("8fcd0007 00000001 00000002 0000000a 00000000 200a0101 01010101 01010101"),
  h("8fcd0006 00000001 00000002 0000000e 00000000 ac010102 03040000"),
];

function mutate(r: SeededRandom, base: Uint8Array): Uint8Array {
  let b = Uint8Array.from(base);
  const ops = 1 + r.int(4);
  for (let k = 0; k < ops; k++) {
    const op = r.int(6);
    if (op === 0 && b.length) b[r.int(b.length)]! ^= 1 << r.int(8);
    else if (op === 1 && b.length) b[r.int(b.length)] = r.int(256);
    else if (op === 2) b = b.subarray(0, r.int(b.length + 1));
    else if (op === 3) {
      const extra = r.bytes(r.int(12));
      const n = new Uint8Array(b.length + extra.length);
      n.set(b);
      n.set(extra, b.length);
      b = n;
    } else if (op === 4 && b.length > 4) {
      // Rewrite a length-ish 16-bit field near the start.
      const at = r.int(Math.min(b.length - 1, 32));
      b[at] = r.int(256);
      b[at + 1] = r.int(256);
    } else if (op === 5) {
      // Keep the version bits valid so mutations reach deeper code.
      if (b.length) b[0] = 0x80 | (b[0]! & 0x3f);
    }
  }
  return b;
}

/** Structure with byte arrays as hex, so Buffer and Uint8Array views compare equal. */
function norm(v: unknown): unknown {
  if (v instanceof Uint8Array) return toHex(v);
  if (Array.isArray(v)) return v.map(norm);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]));
  return v;
}

function sameRtp(a: ReturnType<typeof parseRtp>, b: ReturnType<typeof parseRtp>): void {
  assert.ok(a && b);
  assert.equal(a.sequenceNumber, b.sequenceNumber);
  assert.equal(a.ssrc, b.ssrc);
  assert.deepEqual([...a.payload], [...b.payload]);
  assert.deepEqual([...a.extensionData], [...b.extensionData]);
  assert.deepEqual(a.csrcs, b.csrcs);
}

test("RTP parser and extension walkers survive 50,000 mutations", () => {
  const r = new SeededRandom(2024);
  let parsed = 0;
  for (let i = 0; i < 50_000; i++) {
    const m = mutate(r, RTP_SEEDS[i % RTP_SEEDS.length]!);
    const p = parseRtp(m);
    if (!p) continue;
    parsed++;
    getRtpExtensions(p);
    let again: Uint8Array;
    try {
      again = serializeRtp(p);
    } catch (e) {
      assert.equal(typeof (e as { code?: unknown }).code, "string", `iteration ${i}: ${String(e)}`);
      continue;
    }
    assert.equal(again.length, m.length, `iteration ${i}`);
    sameRtp(parseRtp(again), p);
  }
  assert.ok(parsed > 5000, `enough mutations parse to exercise the writer (${parsed})`);
});

test("RTCP parser survives 50,000 mutations; what parses re-serialises to the same structure", () => {
  const r = new SeededRandom(7);
  let parsed = 0;
  for (let i = 0; i < 50_000; i++) {
    const m = mutate(r, RTCP_SEEDS[i % RTCP_SEEDS.length]!);
    const packets = parseRtcp(m);
    if (!packets) continue;
    parsed++;
    let again: Uint8Array;
    try {
      again = serializeRtcp(packets);
    } catch (e) {
      assert.equal(typeof (e as { code?: unknown }).code, "string", `iteration ${i}: ${String(e)}`);
      continue;
    }
    const back = parseRtcp(again);
    assert.ok(back, `iteration ${i}: re-serialised packet parses`);
    assert.deepEqual(norm(back), norm(packets), `iteration ${i}`);
  }
  assert.ok(parsed > 5000, `enough mutations parse (${parsed})`);
});
