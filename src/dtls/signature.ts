// Signature schemes for ServerKeyExchange and CertificateVerify (RFC 5246 7.4.1.4.1 pairs, named
// as in RFC 8446 4.2.3): which ones we offer and accept, choosing one for our key from the
// peer's list, and signing / verifying with node:crypto. ECDSA signatures are DER (RFC 8422 5.4).
import { constants, type KeyObject, sign, verify } from "node:crypto";

export const ECDSA_SECP256R1_SHA256 = 0x0403;
export const ECDSA_SECP384R1_SHA384 = 0x0503;
export const ECDSA_SECP521R1_SHA512 = 0x0603;
export const RSA_PKCS1_SHA256 = 0x0401;
export const RSA_PKCS1_SHA384 = 0x0501;
export const RSA_PKCS1_SHA512 = 0x0601;
export const RSA_PSS_RSAE_SHA256 = 0x0804;
export const RSA_PSS_RSAE_SHA384 = 0x0805;
export const RSA_PSS_RSAE_SHA512 = 0x0806;

/** What we accept from peers, in preference order (signature_algorithms, CertificateRequest). */
export const SIGNATURE_SCHEMES: readonly number[] = [
  ECDSA_SECP256R1_SHA256,
  RSA_PSS_RSAE_SHA256,
  RSA_PKCS1_SHA256,
  ECDSA_SECP384R1_SHA384,
  RSA_PSS_RSAE_SHA384,
  RSA_PKCS1_SHA384,
  ECDSA_SECP521R1_SHA512,
  RSA_PSS_RSAE_SHA512,
  RSA_PKCS1_SHA512,
];

interface SchemeInfo {
  kind: "ecdsa" | "rsa-pkcs1" | "rsa-pss";
  hash: string;
}

function info(scheme: number): SchemeInfo | undefined {
  const hashByte = scheme >> 8;
  const sig = scheme & 0xff;
  const hash = hashByte === 4 ? "sha256" : hashByte === 5 ? "sha384" : hashByte === 6 ? "sha512" : undefined;
  if (sig === 3 && hash) return { kind: "ecdsa", hash };
  if (sig === 1 && hash) return { kind: "rsa-pkcs1", hash };
  if (scheme >= RSA_PSS_RSAE_SHA256 && scheme <= RSA_PSS_RSAE_SHA512) {
    return { kind: "rsa-pss", hash: ["sha256", "sha384", "sha512"][scheme - RSA_PSS_RSAE_SHA256]! };
  }
  return undefined;
}

export function keyKind(key: KeyObject): "ecdsa" | "rsa" | undefined {
  const t = key.asymmetricKeyType;
  if (t === "ec") return "ecdsa";
  if (t === "rsa") return "rsa";
  return undefined;
}

function schemeFitsKey(scheme: number, key: KeyObject): boolean {
  const i = info(scheme);
  if (!i) return false;
  const k = keyKind(key);
  return k === "ecdsa" ? i.kind === "ecdsa" : k === "rsa" ? i.kind !== "ecdsa" : false;
}

/**
 * Picks the scheme to sign with for `key`, given the peer's list (undefined: the peer sent none,
 * RFC 5246 7.4.1.4.1 defaults; we then use SHA-256, which every DTLS 1.2 peer supports).
 */
export function chooseSignatureScheme(key: KeyObject, peer: readonly number[] | undefined): number | undefined {
  const kind = keyKind(key);
  const ours =
    kind === "ecdsa"
      ? [ECDSA_SECP256R1_SHA256, ECDSA_SECP384R1_SHA384, ECDSA_SECP521R1_SHA512]
      : [RSA_PKCS1_SHA256, RSA_PSS_RSAE_SHA256, RSA_PKCS1_SHA384, RSA_PKCS1_SHA512];
  if (!kind) return undefined;
  if (!peer) return ours[0];
  for (const s of ours) if (peer.includes(s)) return s;
  return undefined;
}

export function signWith(scheme: number, key: KeyObject, data: Uint8Array): Uint8Array {
  const i = info(scheme);
  if (!i) throw new Error(`unsupported signature scheme 0x${scheme.toString(16)}`);
  if (i.kind === "ecdsa") return sign(i.hash, data, { key, dsaEncoding: "der" });
  if (i.kind === "rsa-pss") {
    return sign(i.hash, data, {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    });
  }
  return sign(i.hash, data, key);
}

/** Verifies a signature; false for unknown schemes, schemes that do not fit the key, or bad input. */
export function verifyWith(scheme: number, key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  const i = info(scheme);
  if (!i || !SIGNATURE_SCHEMES.includes(scheme) || !schemeFitsKey(scheme, key)) return false;
  try {
    if (i.kind === "ecdsa") return verify(i.hash, data, { key, dsaEncoding: "der" }, signature);
    if (i.kind === "rsa-pss") {
      return verify(
        i.hash,
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
        signature,
      );
    }
    return verify(i.hash, data, key, signature);
  } catch {
    return false; // malformed signature encodings throw in node:crypto
  }
}
