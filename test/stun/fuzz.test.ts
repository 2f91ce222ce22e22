// Fuzzing the STUN decoder: ~300,000 random and mutated messages (bit flips, truncations,
// length-field edits, attribute-length edits of valid messages) must never make parseStun,
// the accessors or the integrity checks throw. Deterministic from fixed seeds.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SeededRandom } from "../../src/random.js";
import {
  Attr,
  isStunMessage,
  parseStun,
  StunBuilder,
  StunMethod,
  shortTermKey,
  verifyFingerprint,
  verifyIntegrity,
  verifyIntegritySha256,
} from "../../src/stun/index.js";

const key = shortTermKey("fuzzpassword");

function seeds(rnd: SeededRandom): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < 8; i++) {
    const b = new StunBuilder(StunMethod.Binding, (i % 4) as 0 | 1 | 2 | 3, rnd.bytes(12))
      .addString(Attr.Username, "a".repeat(i + 1))
      .addAddress(
        Attr.XorMappedAddress,
        i % 2 ? { address: "2001:db8::7", port: 9 } : { address: "10.1.2.3", port: 99 },
      )
      .addU32(Attr.Priority, rnd.u32())
      .addU64(Attr.IceControlling, rnd.u32(), rnd.u32())
      .addErrorCode(400 + i, "x".repeat(i))
      .addUnknownAttributes([1, 2, 3].slice(0, i % 4))
      .addPasswordAlgorithms([1, 2])
      .add(Attr.PasswordAlgorithm, Uint8Array.of(0, 1, 0, 4, 1, 2, 3, 4))
      .add(0x7fff, rnd.bytes(i));
    out.push(
      Uint8Array.from(b.finish({ integrity: key, integritySha256: i % 2 ? key : undefined, fingerprint: true })),
    );
  }
  return out;
}

function exercise(bytes: Uint8Array): number {
  isStunMessage(bytes);
  const r = parseStun(bytes);
  if (!r.ok) return 0;
  const m = r.msg;
  m.getString(Attr.Username);
  m.getAddress(Attr.XorMappedAddress);
  m.getAddress(Attr.MappedAddress);
  m.getU32(Attr.Priority);
  m.errorCode();
  m.unknownAttributes();
  m.passwordAlgorithms();
  m.passwordAlgorithm();
  m.attributes();
  m.channelNumber();
  m.requestedTransport();
  m.evenPort();
  m.addressFamily();
  m.addressErrorCode();
  m.icmp();
  verifyFingerprint(m);
  // HMAC is the slow part; check it on a sample so the test stays fast.
  if ((bytes[bytes.length - 1]! & 15) === 0) {
    verifyIntegrity(m, key);
    verifyIntegritySha256(m, key);
  }
  return 1;
}

test("300,000 random and mutated datagrams: no exception from the decoder", () => {
  for (const seed of [1, 2, 3]) {
    const rnd = new SeededRandom(seed);
    const base = seeds(rnd);
    let parsed = 0;
    for (let i = 0; i < 100_000; i++) {
      const kind = i % 5;
      let bytes: Uint8Array;
      const src = base[rnd.int(base.length)]!;
      if (kind === 0) {
        // Random bytes with a STUN-looking header half of the time.
        bytes = rnd.bytes(rnd.int(120));
        if (bytes.length >= 20 && rnd.float() < 0.5) {
          bytes[0]! &= 0x3f;
          bytes.set([0x21, 0x12, 0xa4, 0x42], 4);
          const len = bytes.length - 20;
          bytes[2] = len >> 8;
          bytes[3] = len & 0xfc;
        }
      } else if (kind === 1) {
        bytes = Uint8Array.from(src);
        const flips = 1 + rnd.int(4);
        for (let f = 0; f < flips; f++) bytes[rnd.int(bytes.length)]! ^= 1 << rnd.int(8);
      } else if (kind === 2) {
        bytes = src.slice(0, rnd.int(src.length + 1));
        if (bytes.length >= 4 && rnd.float() < 0.5) {
          const len = Math.max(0, bytes.length - 20);
          bytes[2] = len >> 8;
          bytes[3] = len;
        }
      } else if (kind === 3) {
        bytes = Uint8Array.from(src);
        const len = rnd.int(0x10000);
        bytes[2] = len >> 8;
        bytes[3] = len;
      } else {
        // Edit one attribute's length field in a valid message.
        bytes = Uint8Array.from(src);
        const offsets: number[] = [];
        for (let o = 20; o + 4 <= bytes.length; ) {
          offsets.push(o);
          o += 4 + ((((bytes[o + 2]! << 8) | bytes[o + 3]!) + 3) & ~3);
        }
        const o = offsets[rnd.int(offsets.length)]!;
        const v = rnd.float() < 0.5 ? rnd.int(0x10000) : ((bytes[o + 2]! << 8) | bytes[o + 3]!) + rnd.int(9) - 4;
        bytes[o + 2] = (v >> 8) & 0xff;
        bytes[o + 3] = v & 0xff;
      }
      try {
        parsed += exercise(bytes);
      } catch (e) {
        assert.fail(
          `seed ${seed} case ${i} kind ${kind}: ${(e as Error).stack}\n${Buffer.from(bytes).toString("hex")}`,
        );
      }
    }
    assert.ok(parsed > 10_000, `seed ${seed}: only ${parsed} parsed; the mutations are too destructive`);
  }
});
