// Known-answer and unit tests for the DTLS building blocks: the TLS 1.2 PRF (the SHA-256 vector
// posted to the IETF TLS list, msg03416), AES-GCM and ChaCha20-Poly1305 record protection against
// a published GCM vector and node:crypto directly, the replay window, handshake reassembly, flight
// packing, certificates and fingerprints.
import assert from "node:assert/strict";
import { createCipheriv, createHash, X509Certificate } from "node:crypto";
import { test } from "node:test";
import { fromHex, toHex } from "../../src/bytes/index.js";
import {
  certificateFromPem,
  certificateToPem,
  generateCertificate,
  generateCertificateAsync,
} from "../../src/dtls/certificate.js";
import { checkFingerprints, fingerprint } from "../../src/dtls/fingerprint.js";
import { packFlight, type RecordSealer } from "../../src/dtls/flight.js";
import { generateKeyShare, prepareKeyShares, spareKeyShareCount } from "../../src/dtls/keyexchange.js";
import { buildMessage, readFragment } from "../../src/dtls/messages.js";
import { exportKeyingMaterial, prf } from "../../src/dtls/prf.js";
import { Reassembler } from "../../src/dtls/reassembly.js";
import { plainRecord, RecordCipher, type RecordHeader, ReplayWindow, readRecordHeader } from "../../src/dtls/record.js";
import { GROUP_X25519, suiteById } from "../../src/dtls/suites.js";
import { CryptoRandom, SeededRandom } from "../../src/random.js";

const hex = (s: string): Uint8Array => fromHex(s)!;

test("TLS 1.2 PRF with SHA-256: the IETF TLS list vector", () => {
  const out = prf(
    "sha256",
    hex("9bbe436ba940f017b17652849a71db35"),
    "test label",
    hex("a0ba9f936cda311827a6f796ffd5198c"),
    100,
  );
  assert.equal(
    toHex(out),
    "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66",
  );
});

test("exporter: no context differs from an empty context (RFC 5705 4)", () => {
  const m = new Uint8Array(48).fill(7);
  const cr = new Uint8Array(32).fill(1);
  const sr = new Uint8Array(32).fill(2);
  const a = exportKeyingMaterial("sha256", m, cr, sr, "EXTRACTOR-dtls_srtp", undefined, 60);
  const b = exportKeyingMaterial("sha256", m, cr, sr, "EXTRACTOR-dtls_srtp", new Uint8Array(0), 60);
  assert.notEqual(toHex(a), toHex(b));
  const seed = new Uint8Array(64);
  seed.set(cr);
  seed.set(sr, 32);
  assert.equal(toHex(a), toHex(prf("sha256", m, "EXTRACTOR-dtls_srtp", seed, 60)));
  // The key schedule's own labels are refused, and so are lengths outside 1..65535.
  for (const label of ["master secret", "key expansion", "client finished"])
    assert.throws(() => exportKeyingMaterial("sha256", m, cr, sr, label, undefined, 16), { code: "INVALID_ARGUMENT" });
  for (const n of [0, 65536, 1.5])
    assert.throws(() => exportKeyingMaterial("sha256", m, cr, sr, "EXTRACTOR-x", undefined, n), {
      code: "INVALID_ARGUMENT",
    });
});

function header(rec: Uint8Array): RecordHeader {
  const h = { type: 0, version: 0, epoch: 0, sequence: 0, length: 0 };
  assert.ok(readRecordHeader(rec, 0, rec.length, h));
  return h;
}

test("AES-128-GCM record: ciphertext matches the GCM test case 2 keystream, tag matches node:crypto", () => {
  const suite = suiteById(0xc02b)!;
  const c = new RecordCipher(suite, new Uint8Array(16), new Uint8Array(4));
  const rec = c.seal(23, 0, 0, new Uint8Array(16));
  assert.equal(rec.length, 13 + 8 + 16 + 16);
  // Nonce = salt 0 || epoch 0 || seq 0 = 0^96: McGrew & Viega test case 2's ciphertext.
  assert.equal(toHex(rec.subarray(21, 37)), "0388dace60b6a392f328c2b971b2fe78");
  const aad = hex("0000000000000000 17 fefd 0010");
  const direct = createCipheriv("aes-128-gcm", Buffer.alloc(16), Buffer.alloc(12));
  direct.setAAD(aad);
  direct.update(Buffer.alloc(16));
  direct.final();
  assert.equal(toHex(rec.subarray(37)), toHex(direct.getAuthTag()));
  assert.equal(toHex(c.open(rec, 0, header(rec))!), "00".repeat(16));
});

test("AES-256-GCM and ChaCha20-Poly1305 records round-trip and match node:crypto", () => {
  const key = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  const plain = new TextEncoder().encode("record layer payload");
  // ChaCha20-Poly1305: nonce = iv XOR (0^32 || epoch || seq) (RFC 7905 2).
  const iv = hex("a0a1a2a3a4a5a6a7a8a9aaab");
  const chacha = new RecordCipher(suiteById(0xcca9)!, key, iv);
  const rec = chacha.seal(23, 1, 0x0102030405, plain);
  assert.equal(rec.length, 13 + plain.length + 16);
  const nonce = Buffer.from(iv);
  const seq = hex("0001 000102030405");
  for (let i = 0; i < 8; i++) nonce[4 + i]! ^= seq[i]!;
  const d = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
  d.setAAD(Buffer.concat([seq, hex("17fefd"), hex(plain.length.toString(16).padStart(4, "0"))]), {
    plaintextLength: plain.length,
  });
  const ct = Buffer.concat([d.update(plain), d.final(), d.getAuthTag()]);
  assert.equal(toHex(rec.subarray(13)), toHex(ct));
  assert.equal(Buffer.from(chacha.open(rec, 0, header(rec))!).toString(), "record layer payload");
  const gcm = new RecordCipher(suiteById(0xc02c)!, key, hex("01020304"));
  const rec2 = gcm.seal(22, 1, 7, plain);
  assert.equal(toHex(rec2.subarray(13, 21)), "0001000000000007", "explicit nonce = epoch||seq");
  assert.equal(Buffer.from(gcm.open(rec2, 0, header(rec2))!).toString(), "record layer payload");
  rec2[30]! ^= 0x80;
  assert.equal(gcm.open(rec2, 0, header(rec2)), undefined);
});

test("replay window: 64 wide, out of order accepted once, old rejected", () => {
  const w = new ReplayWindow();
  const accept = (s: number): boolean => {
    if (w.isReplay(s)) return false;
    w.mark(s);
    return true;
  };
  assert.ok(accept(0));
  assert.ok(!accept(0));
  assert.ok(accept(5));
  assert.ok(accept(3));
  assert.ok(!accept(3));
  assert.ok(accept(100));
  assert.ok(!accept(36), "100 - 64 = 36 is outside the window");
  assert.ok(accept(37));
  assert.ok(!accept(37));
  assert.ok(accept(68), "bit 32 of the window");
  assert.ok(!accept(68));
  assert.ok(accept(2 ** 40), "48-bit sequence numbers");
  assert.ok(accept(2 ** 40 - 1));
  assert.ok(!accept(2 ** 40 - 1));
  assert.ok(accept(2 ** 40 + 40));
  assert.ok(!accept(2 ** 40), "still seen after a shift of 40");
  assert.ok(accept(2 ** 40 + 2));
});

test("reassembly: out of order, overlapping, duplicated fragments; bounds", () => {
  const body = new SeededRandom(1).bytes(3000);
  const msg = buildMessage(11, 0, body);
  const frags: Uint8Array[] = [];
  for (const [off, len] of [
    [2000, 1000],
    [0, 700],
    [500, 1000],
    [0, 700],
    [1400, 700],
  ]) {
    const f = new Uint8Array(12 + len!);
    f.set(msg.subarray(0, 6));
    f.set([0, off! >> 8, off! & 255, 0, len! >> 8, len! & 255], 6);
    f.set(body.subarray(off!, off! + len!), 12);
    frags.push(f);
  }
  const r = new Reassembler(0);
  for (const [i, f] of frags.entries()) {
    assert.equal(r.add(readFragment(f, 0, f.length)!, 0), "ok");
    if (i < frags.length - 1) assert.equal(r.poll(), undefined, `complete too early at ${i}`);
  }
  const m = r.poll()!;
  assert.equal(m.messageSeq, 0);
  assert.equal(toHex(m.raw), toHex(msg));
  assert.equal(r.add(readFragment(frags[0]!, 0, frags[0]!.length)!, 0), "old");
  // Too far ahead, too big, inconsistent: dropped.
  const far = buildMessage(1, 50, new Uint8Array(4));
  assert.equal(r.add(readFragment(far, 0, far.length)!, 0), "dropped");
  const big = hex("01 100000 0001 000000 000000");
  assert.equal(r.add(readFragment(big, 0, big.length)!, 0), "dropped");
  // A fragment whose offset + length passes the message length does not parse.
  assert.equal(readFragment(hex("01 000004 0001 000003 000002 aabb"), 0, 14), undefined);
});

test("packFlight fragments messages to fit the MTU and keeps their content", () => {
  const big = buildMessage(11, 1, new SeededRandom(2).bytes(2500));
  const small = buildMessage(14, 2, new Uint8Array(0));
  let seq = 0;
  const sealer: RecordSealer = {
    sealRecord: (type, _epoch, fragment) => plainRecord(type, seq++, fragment),
    overhead: () => 0,
  };
  for (const mtu of [200, 500, 1200]) {
    const datagrams = packFlight(
      [
        { kind: "handshake", epoch: 0, message: big },
        { kind: "handshake", epoch: 0, message: small },
        { kind: "ccs", epoch: 0 },
      ],
      mtu,
      sealer,
    );
    const r = new Reassembler(1);
    for (const d of datagrams) {
      assert.ok(d.length <= mtu, `datagram ${d.length} > ${mtu}`);
      const h = { type: 0, version: 0, epoch: 0, sequence: 0, length: 0 };
      for (let o = 0; readRecordHeader(d, o, d.length, h); o += 13 + h.length) {
        if (h.type === 22) r.add(readFragment(d, o + 13, o + 13 + h.length)!, 0);
      }
    }
    assert.equal(toHex(r.poll()!.raw), toHex(big), `mtu ${mtu}`);
    assert.equal(toHex(r.poll()!.raw), toHex(small));
    assert.equal(datagrams.at(-1)!.at(-14), 20, "CCS record last");
  }
});

test("generateCertificate: valid self-signed ECDSA P-256 X.509 with SDP fingerprints", () => {
  const now = Date.UTC(2030, 0, 15, 12, 0, 0);
  const cert = generateCertificate({ now, expires: 10 * 24 * 3600 * 1000 });
  const x = new X509Certificate(cert.der);
  assert.equal(x.subject, "CN=WebRTC");
  assert.equal(x.issuer, "CN=WebRTC");
  assert.ok(x.verify(x.publicKey), "self-signature verifies");
  assert.equal(x.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
  assert.equal(Date.parse(x.validFrom), now - 24 * 3600 * 1000);
  assert.equal(Date.parse(x.validTo), now + 10 * 24 * 3600 * 1000);
  assert.equal(cert.expires, now + 10 * 24 * 3600 * 1000);
  assert.ok(x.checkPrivateKey(cert.privateKey));
  assert.ok(/^[0-7]/.test(x.serialNumber), "positive serial");
  const [fp] = cert.fingerprints();
  assert.equal(fp!.algorithm, "sha-256");
  assert.equal(fp!.value, x.fingerprint256);
  assert.match(fp!.value, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.equal(fingerprint(cert.der, "sha-1").value, x.fingerprint);
  assert.throws(() => fingerprint(cert.der, "md5"), { code: "UNSUPPORTED" });
  assert.equal(checkFingerprints(cert.der, [{ algorithm: "sha-256", value: fp!.value.toLowerCase() }]), "match");
  assert.equal(checkFingerprints(cert.der, [{ algorithm: "md5", value: "00" }]), "unsupported");
  const other = createHash("sha256").update("x").digest("hex");
  assert.equal(checkFingerprints(cert.der, [{ algorithm: "sha-256", value: other }]), "mismatch");
  const late = generateCertificate({ now: Date.UTC(2049, 11, 1), expires: 365 * 24 * 3600 * 1000 });
  assert.equal(Date.parse(new X509Certificate(late.der).validTo), Date.UTC(2050, 11, 1), "GeneralizedTime from 2050");
});

test("generateCertificateAsync: the same certificate made on the thread pool (ECDSA and RSA)", async () => {
  const now = Date.UTC(2031, 5, 1);
  const [a, b, rsa] = await Promise.all([
    generateCertificateAsync({ now, expires: 5 * 24 * 3600 * 1000 }),
    generateCertificateAsync({ now }),
    generateCertificateAsync({ keyType: "rsa" }),
  ]);
  for (const [cert, curve] of [
    [a, "prime256v1"],
    [b, "prime256v1"],
    [rsa, undefined],
  ] as const) {
    const x = new X509Certificate(cert.der);
    assert.ok(x.verify(x.publicKey), "self-signature verifies");
    assert.ok(x.checkPrivateKey(cert.privateKey));
    assert.equal(x.publicKey.asymmetricKeyDetails?.namedCurve, curve);
    assert.equal(cert.fingerprints()[0]!.value, x.fingerprint256);
  }
  assert.equal(Date.parse(new X509Certificate(a.der).validTo), now + 5 * 24 * 3600 * 1000);
  assert.equal(a.expires, now + 5 * 24 * 3600 * 1000);
  assert.equal(b.expires, now + 30 * 24 * 3600 * 1000, "default lifetime 30 days");
  assert.notEqual(toHex(a.der), toHex(b.der), "a key pair per certificate");
});

test("certificateToPem / certificateFromPem round trip", () => {
  const cert = generateCertificate();
  const pem = certificateToPem(cert);
  assert.match(pem.cert, /^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n$/);
  const back = certificateFromPem(pem.key, pem.cert);
  assert.equal(toHex(back.der), toHex(cert.der));
  assert.equal(back.expires, cert.expires);
  assert.deepEqual(back.fingerprints(), cert.fingerprints());
  assert.ok(new X509Certificate(pem.cert).checkPrivateKey(back.privateKey));
});

/** Waits (on the event loop, no deadline of its own) until `n` spare key shares are ready. */
async function sparesReady(n: number): Promise<void> {
  while (spareKeyShareCount() < n) await new Promise((r) => setTimeout(r, 2));
}

test("X25519 key shares made ahead on the thread pool: each used once, and they agree", {
  timeout: 20_000,
}, async () => {
  prepareKeyShares(4);
  await sparesReady(4);
  assert.equal(spareKeyShareCount(), 4);
  prepareKeyShares(4);
  assert.equal(spareKeyShareCount(), 4, "topping up to 4 makes none when 4 are ready");
  const random = new CryptoRandom();
  // Four from the spares (each taken once: the count goes down by one per share), two made on
  // the spot once they are gone: all distinct and working.
  const shares: ReturnType<typeof generateKeyShare>[] = [];
  for (let i = 0; i < 6; i++) {
    shares.push(generateKeyShare(GROUP_X25519, random));
    assert.equal(spareKeyShareCount(), Math.max(0, 3 - i), `after share ${i + 1}`);
  }
  const publics = new Set(shares.map((k) => toHex(k.publicKey)));
  assert.equal(publics.size, 6, "no key pair handed out twice");
  for (let i = 0; i + 1 < shares.length; i += 2) {
    const a = shares[i]!;
    const b = shares[i + 1]!;
    assert.equal(a.publicKey.length, 32);
    const s1 = a.computeSecret(b.publicKey);
    const s2 = b.computeSecret(a.publicKey);
    assert.ok(s1 && s2);
    assert.equal(toHex(s1), toHex(s2), "both sides derive the same secret");
  }
  // Seeded randomness never takes a spare: the same seed gives the same key.
  prepareKeyShares(2);
  await sparesReady(2);
  const k1 = generateKeyShare(GROUP_X25519, new SeededRandom(7));
  const k2 = generateKeyShare(GROUP_X25519, new SeededRandom(7));
  assert.equal(toHex(k1.publicKey), toHex(k2.publicKey));
  assert.equal(spareKeyShareCount(), 2, "the spares are still there");
  assert.ok(!publics.has(toHex(k1.publicKey)));
});
