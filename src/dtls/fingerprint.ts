// Certificate fingerprints in the SDP form of RFC 8122 5 (a=fingerprint: hash-func and
// upper-case colon-separated hex), and checking a certificate against a list of them
// (RFC 8842 5: any one matching fingerprint authenticates the certificate).
import { createHash } from "node:crypto";
import { constantTimeEqual, fromHex } from "../bytes/index.js";
import { DtlsError } from "./errors.js";

export interface Fingerprint {
  /** "sha-256", "sha-1", "sha-384", "sha-512" (case-insensitive on input). */
  algorithm: string;
  /** Colon-separated hex; either case on input, upper case on output. */
  value: string;
}

const HASHES: Record<string, string> = {
  "sha-1": "sha1",
  "sha-224": "sha224",
  "sha-256": "sha256",
  "sha-384": "sha384",
  "sha-512": "sha512",
};

export function isSupportedFingerprintAlgorithm(algorithm: string): boolean {
  return HASHES[algorithm.toLowerCase()] !== undefined;
}

/** The fingerprint of a DER certificate with the given SDP hash name. */
export function fingerprint(der: Uint8Array, algorithm = "sha-256"): Fingerprint {
  const h = HASHES[algorithm.toLowerCase()];
  if (!h) throw new DtlsError("UNSUPPORTED", `unsupported fingerprint algorithm ${algorithm}`);
  const hex = createHash(h).update(der).digest("hex").toUpperCase();
  return { algorithm: algorithm.toLowerCase(), value: hex.match(/../g)!.join(":") };
}

export type FingerprintCheck = "match" | "mismatch" | "unsupported";

/**
 * Checks `der` against the fingerprints: "match" when any supported one matches, "mismatch" when
 * at least one is supported but none matches, "unsupported" when none uses a known hash.
 */
export function checkFingerprints(der: Uint8Array, expected: readonly Fingerprint[]): FingerprintCheck {
  let supported = false;
  for (const fp of expected) {
    const h = HASHES[fp.algorithm.toLowerCase()];
    if (!h) continue;
    supported = true;
    const want = fromHex(fp.value);
    if (!want) continue;
    const got = createHash(h).update(der).digest();
    if (constantTimeEqual(got, want)) return "match";
  }
  return supported ? "mismatch" : "unsupported";
}
