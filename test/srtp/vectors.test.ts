// Known-answer tests for SRTP: RFC 3711 appendix B.2 (AES-CM keystream) and B.3 (key
// derivation), the libsrtp reference SRTP/SRTCP packets for AES_CM_128_HMAC_SHA1_80, RFC 7714
// section 16 and 17 (AEAD_AES_128_GCM and AEAD_AES_256_GCM, RTP and RTCP), and the RFC 9335
// appendix A.2 GCM session keys (12-byte master salt through the AES-CM KDF).
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test } from "node:test";
import { fromHex, toHex } from "../../src/bytes/index.js";
import { HmacSha1 } from "../../src/srtp/hmac-sha1.js";
import { AesCmKeystream, deriveSessionKeys, SrtpSession, type SrtpSessionKeys, srtpPrf } from "../../src/srtp/index.js";

const h = (s: string): Uint8Array => fromHex(s)!;

test("RFC 3711 B.2: AES-CM keystream", () => {
  const ks = new AesCmKeystream(h("2B7E151628AED2A6ABF7158809CF4F3C"), h("F0F1F2F3F4F5F6F7F8F9FAFBFCFD"));
  const blocks = 0xff02;
  const buf = new Uint8Array(blocks * 16);
  ks.xor(buf, 0, buf.length, 0, 0, 0);
  const block = (j: number) => toHex(buf.subarray(j * 16, j * 16 + 16)).toUpperCase();
  assert.equal(block(0), "E03EAD0935C95E80E166B16DD92B4EB4");
  assert.equal(block(1), "D23513162B02D0F72A43A2FE4A5F97AB");
  assert.equal(block(2), "41E95B3BB0A2E8DD477901E4FCA894C0");
  assert.equal(block(0xfeff), "EC8CDF7398607CB0F2D21675EA9EA1E4");
  assert.equal(block(0xff00), "362B7C3C6773516318A077D7FC5073AE");
  assert.equal(block(0xff01), "6A2CC3787889374FBEB4C81B17BA6C44");
});

test("AES-CM keystream: unaligned buffers and odd lengths agree with the aligned path", () => {
  const ks = new AesCmKeystream(h("2B7E151628AED2A6ABF7158809CF4F3C"), h("F0F1F2F3F4F5F6F7F8F9FAFBFCFD"));
  const ref = new Uint8Array(1300);
  ks.xor(ref, 0, ref.length, 0x12345678, 7, 0xfffe);
  for (const [shift, len] of [
    [1, 1300],
    [3, 77],
    [2, 1201],
    [0, 5],
    [0, 64],
    [1, 65],
  ] as const) {
    const backing = new Uint8Array(len + shift + 8);
    const view = backing.subarray(shift, shift + len);
    ks.xor(view, 0, len, 0x12345678, 7, 0xfffe);
    assert.equal(toHex(view), toHex(ref.subarray(0, len)), `shift ${shift} len ${len}`);
  }
});

test("AES-CM keystream: batched keystream equals per-packet keystream for any index order and size", () => {
  const key = h("2B7E151628AED2A6ABF7158809CF4F3C");
  const salt = h("F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
  const batched = new AesCmKeystream(key, salt, true);
  const single = new AesCmKeystream(key, salt, false);
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  let index = 65530;
  for (let i = 0; i < 3000; i++) {
    const ssrc = rnd(3) * 0x01010101;
    const step = rnd(10);
    index += step < 6 ? 1 : step < 8 ? -rnd(20) : rnd(40);
    if (index < 0) index = 0;
    const len = rnd(10) < 8 ? rnd(1600) : rnd(5000);
    const a = new Uint8Array(len + 3);
    const b = new Uint8Array(len + 3);
    const roc = Math.floor(index / 65536);
    batched.xor(a, 3, len + 3, ssrc, roc, index & 0xffff);
    single.xor(b, 3, len + 3, ssrc, roc, index & 0xffff);
    assert.equal(toHex(a), toHex(b), `step ${i} index ${index} len ${len}`);
  }
});

test("RFC 3711 B.3: key derivation", () => {
  const key = h("E1F97A0D3E018BE0D64FA32C06DE4139");
  const salt = h("0EC675AD498AFEEBB6960B3AABE6");
  assert.equal(toHex(srtpPrf(key, salt, 0, 16)).toUpperCase(), "C61E7A93744F39EE10734AFE3FF7A087");
  assert.equal(toHex(srtpPrf(key, salt, 2, 14)).toUpperCase(), "30CBBC08863D8C85D49DB34A9AE1");
  assert.equal(
    toHex(srtpPrf(key, salt, 1, 94)).toUpperCase(),
    "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCE" +
      "E049646C43D9327AD175578EF72270986371C10C9A369AC2F94A8C5FBCDDDC25" +
      "6D6E919A48B610EF17C2041E474035766B68642C59BBFC2F34DB60DBDFB2",
  );
  const keys = deriveSessionKeys("AES_CM_128_HMAC_SHA1_80", key, salt);
  assert.equal(toHex(keys.rtpKey), "c61e7a93744f39ee10734afe3ff7a087");
  assert.equal(toHex(keys.rtpSalt), "30cbbc08863d8c85d49db34a9ae1");
  assert.equal(toHex(keys.rtpAuthKey), "cebe321f6ff7716b6fd4ab49af256a156d38baa4");
});

test("RFC 9335 A.2: GCM session keys from a 12-byte master salt", () => {
  const keys = deriveSessionKeys(
    "AEAD_AES_128_GCM",
    h("000102030405060708090a0b0c0d0e0f"),
    h("a0a1a2a3a4a5a6a7a8a9aaab"),
  );
  assert.equal(toHex(keys.rtpKey), "077c6143cb221bc355ff23d5f984a16e");
  assert.equal(toHex(keys.rtpSalt), "9af3e95364ebac9c99c5a7c4");
  assert.equal(toHex(keys.rtcpKey), "615dcd9042600666f6fd4d9e4fe4519f");
  assert.equal(toHex(keys.rtcpSalt), "fcca937b9112a500dac72269");
  assert.equal(keys.rtpAuthKey.length, 0);
});

const CM_KEY = h("e1f97a0d3e018be0d64fa32c06de4139");
const CM_SALT = h("0ec675ad498afeebb6960b3aabe6");
const CM_RTP = `800f1234decafbadcafebabe${"ab".repeat(16)}`;
const CM_SRTP = "800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402b78d6acc99ea179b8dbb";
const CM_RTCP = `81c8000bcafebabe${"ab".repeat(16)}`;
const CM_SRTCP = "81c8000bcafebabe7128035be487b9bdbef89041f977a5a880000001993e08cd54d6c1230798";

test("libsrtp reference packets: AES_CM_128_HMAC_SHA1_80 SRTP and SRTCP", () => {
  const tx = new SrtpSession({ profile: "AES_CM_128_HMAC_SHA1_80", masterKey: CM_KEY, masterSalt: CM_SALT });
  assert.equal(toHex(tx.protectRtp(h(CM_RTP))!), CM_SRTP);
  assert.equal(toHex(tx.protectRtcp(h(CM_RTCP))!), CM_SRTCP);
  const rx = new SrtpSession({ profile: "AES_CM_128_HMAC_SHA1_80", masterKey: CM_KEY, masterSalt: CM_SALT });
  const r = rx.unprotectRtp(h(CM_SRTP));
  assert.ok(r.ok);
  assert.equal(toHex(r.packet), CM_RTP);
  const c = rx.unprotectRtcp(h(CM_SRTCP));
  assert.ok(c.ok);
  assert.equal(toHex(c.packet), CM_RTCP);
});

// RFC 7714 sections 16 and 17: session keys given directly (no KDF).
const GCM_SALT = h("517569642070726f2071756f");
function gcmKeys(key: Uint8Array): SrtpSessionKeys {
  const empty = new Uint8Array(0);
  return { rtpKey: key, rtpSalt: GCM_SALT, rtpAuthKey: empty, rtcpKey: key, rtcpSalt: GCM_SALT, rtcpAuthKey: empty };
}
const GCM_RTP = "8040f17b8041f8d35501a0b247616c6c696120657374206f6d6e69732064697669736120696e207061727465732074726573";
const GCM_RTCP =
  "81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef";

const GCM_CASES = [
  {
    profile: "AEAD_AES_128_GCM" as const,
    key: h("000102030405060708090a0b0c0d0e0f"),
    srtp: "8040f17b8041f8d35501a0b2f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b36de3adf8833899d7f27beb16a9152cf765ee4390cce",
    srtcp:
      "81c8000d4d61727363e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1730d6fda4ce09b4686303ded0bb9275bc84aa45896cf4d2fc5abf87245d9eade800005d4",
  },
  {
    profile: "AEAD_AES_256_GCM" as const,
    key: h("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
    srtp: "8040f17b8041f8d35501a0b232b1de78a822fe12ef9f78fa332e33aab18012389a58e2f3b50b2a0276ffae0f1ba63799b87b7aa3db36dfffd6b0f9bb7878d7a76c13",
    srtcp:
      "81c8000d4d617273d50ae4d1f5ce5d304ba297e47d470c282c3ece5dbffe0a50a2eaa5c1110555be8415f658c61de0476f1b6fad1d1eb30c4446839f57ff6f6cb26ac3be800005d4",
  },
];

for (const c of GCM_CASES) {
  test(`RFC 7714 16: ${c.profile} SRTP protect and unprotect`, () => {
    const tx = new SrtpSession({ profile: c.profile, sessionKeys: gcmKeys(c.key) });
    assert.equal(toHex(tx.protectRtp(h(GCM_RTP))!), c.srtp);
    const rx = new SrtpSession({ profile: c.profile, sessionKeys: gcmKeys(c.key) });
    const r = rx.unprotectRtp(h(c.srtp));
    assert.ok(r.ok);
    assert.equal(toHex(r.packet), GCM_RTP);
  });

  test(`RFC 7714 17: ${c.profile} SRTCP unprotect and protect at index 0x5d4`, () => {
    const rx = new SrtpSession({ profile: c.profile, sessionKeys: gcmKeys(c.key) });
    const r = rx.unprotectRtcp(h(c.srtcp));
    assert.ok(r.ok, r.ok ? "" : r.reason);
    assert.equal(toHex(r.packet), GCM_RTCP);
    // Walk the sender to index 0x5d4 and check the exact bytes.
    const tx = new SrtpSession({ profile: c.profile, sessionKeys: gcmKeys(c.key) });
    let out: Uint8Array | undefined;
    for (let i = 1; i <= 0x5d4; i++) out = tx.protectRtcp(h(GCM_RTCP));
    assert.equal(toHex(out!), c.srtcp);
  });
}

test("HmacSha1 equals createHmac for random keys, lengths and offsets (and RFC 2202 case 2)", () => {
  const jefe = new HmacSha1(new TextEncoder().encode("Jefe"));
  const msg = new TextEncoder().encode("what do ya want for nothing?");
  assert.equal(toHex(jefe.mac(msg, 0, msg.length)), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  let seed = 99;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  for (let i = 0; i < 300; i++) {
    const key = Uint8Array.from({ length: [20, 0, 1, 64, 65, 100][i % 6]! }, () => rnd(256));
    const data = Uint8Array.from({ length: rnd(2000) }, () => rnd(256));
    const start = rnd(data.length + 1);
    const end = start + rnd(data.length - start + 1);
    const want = createHmac("sha1", key).update(data.subarray(start, end)).digest("hex");
    assert.equal(toHex(new HmacSha1(key).mac(data, start, end)), want, `case ${i}`);
  }
});
