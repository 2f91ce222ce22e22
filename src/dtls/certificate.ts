// Self-signed X.509 certificates for DTLS in WebRTC (RFC 8827 6.5: keys are authenticated by
// the SDP fingerprint, not by a CA): a minimal DER writer (X.690) for an X.509 v3 certificate
// (RFC 5280 4.1) signed with ECDSA P-256 / SHA-256 (RFC 5758 3.2), or RSA for tests and old peers,
// and reading a peer's certificate with node:crypto's X509Certificate.
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  generateKeyPairSync,
  type KeyObject,
  sign,
  X509Certificate,
} from "node:crypto";
import { concatBytes } from "../bytes/index.js";
import type { Random } from "../random.js";
import { cryptoRandom } from "../random.js";
import { type Fingerprint, fingerprint } from "./fingerprint.js";

export interface DtlsCertificate {
  privateKey: KeyObject;
  /** The certificate in DER. */
  der: Uint8Array;
}

export interface GeneratedCertificate extends DtlsCertificate {
  /** Expiry as milliseconds since the Unix epoch (RTCCertificate.expires). */
  expires: number;
  /** sha-256 (and others) fingerprints in SDP form. */
  fingerprints(): Fingerprint[];
}

export interface GenerateCertificateOptions {
  /** Lifetime in ms from now; default 30 days. */
  expires?: number;
  /** "ecdsa" (P-256, default) or "rsa" (2048-bit, RSASSA-PKCS1-v1_5 / SHA-256). */
  keyType?: "ecdsa" | "rsa";
  commonName?: string;
  /** Wall-clock "now" in ms (default Date.now()). */
  now?: number;
  /** Randomness for the serial number. */
  random?: Random;
}

const DAY = 24 * 3600 * 1000;

// ---- A minimal DER writer ----

function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  if (n < 0x100) return [0x81, n];
  if (n < 0x10000) return [0x82, n >> 8, n & 255];
  return [0x83, n >> 16, (n >> 8) & 255, n & 255];
}

function tlv(tag: number, content: Uint8Array): Uint8Array {
  const len = derLength(content.length);
  const out = new Uint8Array(1 + len.length + content.length);
  out[0] = tag;
  out.set(len, 1);
  out.set(content, 1 + len.length);
  return out;
}

const seq = (...parts: Uint8Array[]): Uint8Array => tlv(0x30, concatBytes(parts));
const set = (...parts: Uint8Array[]): Uint8Array => tlv(0x31, concatBytes(parts));
const NULL = Uint8Array.of(0x05, 0x00);

/** Encodes a dotted OID (X.690 8.19). */
export function derOid(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map(Number);
  const bytes: number[] = [arcs[0]! * 40 + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const chunk: number[] = [arc & 0x7f];
    let v = Math.floor(arc / 128);
    while (v > 0) {
      chunk.unshift((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    bytes.push(...chunk);
  }
  return tlv(0x06, Uint8Array.from(bytes));
}

function derTime(ms: number): Uint8Array {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const p2 = (n: number): string => String(n).padStart(2, "0");
  const rest = `${p2(d.getUTCMonth() + 1)}${p2(d.getUTCDate())}${p2(d.getUTCHours())}${p2(d.getUTCMinutes())}${p2(d.getUTCSeconds())}Z`;
  // UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5).
  if (y >= 1950 && y < 2050) return tlv(0x17, UTF8.encode(p2(y % 100) + rest));
  return tlv(0x18, UTF8.encode(String(y).padStart(4, "0") + rest));
}

const UTF8 = new TextEncoder();
const CN_OID = derOid("2.5.4.3");
/** The last Name built: every certificate of a process uses the same common name ("WebRTC"). */
let lastName: { cn: string; der: Uint8Array } | undefined;

function derName(cn: string): Uint8Array {
  if (lastName?.cn !== cn) lastName = { cn, der: seq(set(seq(CN_OID, tlv(0x0c, UTF8.encode(cn))))) };
  return lastName.der;
}

const ECDSA_SHA256 = seq(derOid("1.2.840.10045.4.3.2"));
const RSA_SHA256 = seq(derOid("1.2.840.113549.1.1.11"), NULL);

/** SubjectPublicKeyInfo header of an uncompressed P-256 point (RFC 5480 2): id-ecPublicKey, prime256v1. */
const P256_SPKI_PREFIX = Buffer.from("3059301306072a8648ce3d020106082a8648ce3d030107034200", "hex");

/**
 * The SPKI of a P-256 key built from its JWK coordinates: a DER export costs about 0.1 ms in
 * Node 20 (OpenSSL's encoder), a JWK export 5 us. Other curves take the DER export.
 */
function p256Spki(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: "jwk" });
  if (jwk.crv !== "P-256" || !jwk.x || !jwk.y) {
    return new Uint8Array(createPublicKey(key).export({ type: "spki", format: "der" }));
  }
  const out = new Uint8Array(P256_SPKI_PREFIX.length + 65);
  out.set(P256_SPKI_PREFIX, 0);
  out[P256_SPKI_PREFIX.length] = 4;
  const x = Buffer.from(jwk.x, "base64url");
  const y = Buffer.from(jwk.y, "base64url");
  if (x.length !== 32 || y.length !== 32) {
    return new Uint8Array(createPublicKey(key).export({ type: "spki", format: "der" }));
  }
  out.set(x, P256_SPKI_PREFIX.length + 1);
  out.set(y, P256_SPKI_PREFIX.length + 33);
  return out;
}

interface CertificateFields {
  notBefore: number;
  notAfter: number;
  commonName: string;
  serial: Uint8Array;
}

/** Builds and self-signs a certificate for `privateKey` (EC P-256 or RSA). */
export function buildSelfSignedCertificate(privateKey: KeyObject, opts: CertificateFields): Uint8Array {
  const { tbs, algorithm } = tbsCertificate(privateKey, opts);
  return signedCertificate(tbs, algorithm, sign("sha256", tbs, signOptions(privateKey)));
}

function signOptions(privateKey: KeyObject): KeyObject | { key: KeyObject; dsaEncoding: "der" } {
  return privateKey.asymmetricKeyType === "ec" ? { key: privateKey, dsaEncoding: "der" } : privateKey;
}

/** The certificate around its signed part (RFC 5280 4.1.1): tbsCertificate, algorithm, signature. */
function signedCertificate(tbs: Uint8Array, algorithm: Uint8Array, signature: Uint8Array): Uint8Array {
  const bitString = new Uint8Array(signature.length + 1);
  bitString[0] = 0;
  bitString.set(signature, 1);
  return seq(tbs, algorithm, tlv(0x03, bitString));
}

/** The TBSCertificate (RFC 5280 4.1.2) for `privateKey`'s public key, and its signature algorithm. */
function tbsCertificate(privateKey: KeyObject, opts: CertificateFields): { tbs: Uint8Array; algorithm: Uint8Array } {
  const isEc = privateKey.asymmetricKeyType === "ec";
  const algorithm = isEc ? ECDSA_SHA256 : RSA_SHA256;
  const spki = isEc
    ? p256Spki(privateKey)
    : new Uint8Array(createPublicKey(privateKey).export({ type: "spki", format: "der" }));
  const serial = Uint8Array.from(opts.serial);
  serial[0] = (serial[0]! & 0x7f) | 0x40; // positive and minimally encoded
  const name = derName(opts.commonName);
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Uint8Array.of(2))), // version v3
    tlv(0x02, serial),
    algorithm,
    name,
    seq(derTime(opts.notBefore), derTime(opts.notAfter)),
    name,
    spki,
  );
  return { tbs, algorithm };
}

function certificateFields(opts: GenerateCertificateOptions): CertificateFields {
  const now = opts.now ?? Date.now();
  const lifetime = opts.expires ?? 30 * DAY;
  return {
    notBefore: Math.floor((now - DAY) / 1000) * 1000,
    notAfter: Math.floor((now + lifetime) / 1000) * 1000,
    commonName: opts.commonName ?? "WebRTC",
    serial: (opts.random ?? cryptoRandom()).bytes(16),
  };
}

/** RTCPeerConnection.generateCertificate's engine: an ECDSA P-256 self-signed certificate. */
export function generateCertificate(opts: GenerateCertificateOptions = {}): GeneratedCertificate {
  const { privateKey } =
    (opts.keyType ?? "ecdsa") === "ecdsa"
      ? generateKeyPairSync("ec", { namedCurve: "prime256v1" })
      : generateKeyPairSync("rsa", { modulusLength: 2048 });
  const fields = certificateFields(opts);
  return certificateFrom(privateKey, buildSelfSignedCertificate(privateKey, fields), fields.notAfter);
}

/**
 * generateCertificate's asynchronous form: the key pair and the signature are made on libuv's
 * thread pool (node:crypto's callback APIs), so the event loop only builds the DER (tens of us
 * instead of about 0.25 ms for a P-256 certificate made synchronously).
 */
export function generateCertificateAsync(opts: GenerateCertificateOptions = {}): Promise<GeneratedCertificate> {
  const fields = certificateFields(opts);
  return new Promise<KeyObject>((resolve, reject) => {
    const done = (err: Error | null, _pub: KeyObject, priv: KeyObject): void => (err ? reject(err) : resolve(priv));
    if ((opts.keyType ?? "ecdsa") === "ecdsa") generateKeyPair("ec", { namedCurve: "prime256v1" }, done);
    else generateKeyPair("rsa", { modulusLength: 2048 }, done);
  }).then(
    (privateKey) =>
      new Promise<GeneratedCertificate>((resolve, reject) => {
        const { tbs, algorithm } = tbsCertificate(privateKey, fields);
        sign("sha256", tbs, signOptions(privateKey), (err, signature) => {
          if (err) reject(err);
          else resolve(certificateFrom(privateKey, signedCertificate(tbs, algorithm, signature), fields.notAfter));
        });
      }),
  );
}

/** Wraps an existing key and DER certificate (e.g. loaded from PEM files). */
export function certificateFrom(privateKey: KeyObject, der: Uint8Array, expires?: number): GeneratedCertificate {
  let exp = expires;
  if (exp === undefined) {
    const parsed = readCertificate(der);
    exp = parsed ? Date.parse(parsed.validTo) : Number.NaN;
  }
  // Computed once (a SHA-256 and its hex text), handed out as copies.
  let sha256: Fingerprint | undefined;
  return {
    privateKey,
    der,
    expires: exp,
    fingerprints: () => {
      sha256 ??= fingerprint(der, "sha-256");
      return [{ algorithm: sha256.algorithm, value: sha256.value }];
    },
  };
}

/** The key (PKCS#8) and certificate as PEM text, e.g. to keep a certificate across restarts. */
export function certificateToPem(cert: DtlsCertificate): { key: string; cert: string } {
  const key = cert.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  const b64 = Buffer.from(cert.der).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return { key, cert: `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n` };
}

/** Loads a PEM key and certificate (as used by the openssl interop test and the Node API). */
export function certificateFromPem(keyPem: string, certPem: string): GeneratedCertificate {
  const privateKey = createPrivateKey(keyPem);
  const x = new X509Certificate(certPem);
  return certificateFrom(privateKey, new Uint8Array(x.raw), Date.parse(x.validTo));
}

/** One DER element at `at`: where its content starts and ends; undefined when it overruns `end`. */
function derElement(der: Uint8Array, at: number, end: number): { tag: number; start: number; end: number } | undefined {
  if (at + 2 > end) return undefined;
  const tag = der[at]!;
  let len = der[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || start + n > end) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i]!;
    start += n;
  }
  return start + len > end ? undefined : { tag, start, end: start + len };
}

/**
 * The SubjectPublicKeyInfo of a DER certificate (RFC 5280 4.1: the 7th field of tbsCertificate,
 * counting the optional [0] version), found without building an X509Certificate (0.1-0.2 ms).
 */
function certificateSpki(der: Uint8Array): Uint8Array | undefined {
  const cert = derElement(der, 0, der.length);
  if (cert?.tag !== 0x30) return undefined;
  const tbs = derElement(der, cert.start, cert.end);
  if (tbs?.tag !== 0x30) return undefined;
  let at = tbs.start;
  let field = derElement(der, at, tbs.end);
  if (field?.tag === 0xa0) {
    at = field.end;
    field = derElement(der, at, tbs.end);
  }
  // serial, signature, issuer, validity, subject, then subjectPublicKeyInfo
  for (let i = 0; i < 5; i++) {
    if (!field) return undefined;
    at = field.end;
    field = derElement(der, at, tbs.end);
  }
  return field?.tag === 0x30 ? der.subarray(at, field.end) : undefined;
}

/** The public key of a peer's DER certificate; undefined when the certificate or its key is malformed. */
export function readPeerPublicKey(der: Uint8Array): KeyObject | undefined {
  try {
    const spki = certificateSpki(der);
    if (!spki) return new X509Certificate(der).publicKey;
    const n = P256_SPKI_PREFIX.length;
    if (spki.length === n + 65 && spki[n] === 4 && P256_SPKI_PREFIX.equals(spki.subarray(0, n))) {
      // P-256 (what WebRTC stacks use): imported as JWK, 2x faster than DER in Node 20.
      const x = Buffer.from(spki.subarray(n + 1, n + 33)).toString("base64url");
      const y = Buffer.from(spki.subarray(n + 33, n + 65)).toString("base64url");
      return createPublicKey({ key: { kty: "EC", crv: "P-256", x, y }, format: "jwk" });
    }
    return createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  } catch {
    return undefined; // node:crypto reports malformed DER (certificate or SPKI) only by throwing
  }
}

/** Parses a peer's DER certificate; undefined when it is not a valid X.509 certificate. */
export function readCertificate(der: Uint8Array): X509Certificate | undefined {
  try {
    return new X509Certificate(der);
  } catch {
    return undefined; // node:crypto reports malformed DER only by throwing
  }
}
