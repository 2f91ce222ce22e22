// RTCCertificate (webrtc-pc 4.9): a handle on a DTLS certificate and its private key, with
// expires and getFingerprints(), and RTCPeerConnection.generateCertificate()'s algorithm checks
// (ECDSA P-256 is generated; RSASSA-PKCS1-v1_5 requests are refused with NotSupportedError), and
// the spare certificates a connection without one takes (made ahead on libuv's thread pool, as are
// the X25519 key pairs of its DTLS handshake).
import type { KeyObject } from "node:crypto";
import {
  generateCertificate as generateDtlsCertificate,
  generateCertificateAsync as generateDtlsCertificateAsync,
} from "../dtls/certificate.js";
import { prepareKeyShares } from "../dtls/keyexchange.js";
import { domError } from "./errors.js";

export interface RTCDtlsFingerprint {
  algorithm: string;
  value: string;
}

/** What the DTLS layer needs from a certificate (src/dtls generateCertificate's result). */
export interface CertificateMaterial {
  privateKey: KeyObject;
  der: Uint8Array;
  expires: number;
  fingerprints(): RTCDtlsFingerprint[];
}

const token = Symbol("RTCCertificate");
const DAY = 86_400_000;

export class RTCCertificate {
  /** @internal */
  readonly material: CertificateMaterial;
  constructor(t: symbol, material: CertificateMaterial) {
    if (t !== token) throw new TypeError("Illegal constructor");
    this.material = material;
  }
  /** Wall-clock ms since the epoch after which the certificate is not used. */
  get expires(): number {
    return this.material.expires;
  }
  getFingerprints(): RTCDtlsFingerprint[] {
    return this.material.fingerprints().map((f) => ({ algorithm: f.algorithm, value: f.value }));
  }
}

/** Wraps DTLS certificate material as an RTCCertificate (for tests and the nonstandard API). */
export function wrapCertificate(material: CertificateMaterial): RTCCertificate {
  return new RTCCertificate(token, material);
}

/**
 * RTCPeerConnection.generateCertificate(keygenAlgorithm): accepts "ECDSA" / {name: "ECDSA",
 * namedCurve: "P-256"} and an optional `expires` (ms, at most 365 days, default 30 days).
 */
export async function generateCertificate(keygenAlgorithm: unknown): Promise<RTCCertificate> {
  let name: string;
  let namedCurve: string | undefined;
  let expires = 30 * DAY;
  if (typeof keygenAlgorithm === "string") {
    name = keygenAlgorithm;
  } else if (keygenAlgorithm && typeof keygenAlgorithm === "object") {
    const a = keygenAlgorithm as { name?: unknown; namedCurve?: unknown; expires?: unknown };
    if (typeof a.name !== "string") throw new TypeError("keygenAlgorithm.name is required");
    name = a.name;
    if (a.namedCurve !== undefined) namedCurve = String(a.namedCurve);
    if (a.expires !== undefined) {
      const e = Number(a.expires);
      if (!Number.isFinite(e) || e < 0) throw new TypeError("expires must be a non-negative number");
      expires = Math.min(e, 365 * DAY);
    }
  } else {
    throw new TypeError("keygenAlgorithm must be a string or an object");
  }
  if (name.toUpperCase() !== "ECDSA" || (namedCurve !== undefined && namedCurve !== "P-256")) {
    throw domError("NotSupportedError", `Unsupported certificate algorithm ${name} ${namedCurve ?? ""}`.trim());
  }
  return wrapCertificate(await generateDtlsCertificateAsync({ expires }));
}

/** A fresh ECDSA P-256 certificate, synchronously (what a connection without one uses). */
export function generateCertificateNow(expires = 30 * DAY): RTCCertificate {
  return wrapCertificate(generateDtlsCertificate({ expires }));
}

/**
 * Spare certificates for connections created without one. Like a browser, every connection gets
 * its own certificate (never shared); they are made ahead, in the background (key pair and
 * signature on the thread pool), so that `new RTCPeerConnection()` does not spend 0.25 ms of the
 * event loop on them. A spare older than SPARE_MAX_AGE is thrown away, not used.
 */
const SPARES = 2;
const SPARE_MAX_AGE = 3_600_000;
const spares: { certificate: RTCCertificate; made: number }[] = [];
let sparesPending = 0;

function refillSpares(): void {
  while (spares.length + sparesPending < SPARES) {
    sparesPending++;
    generateDtlsCertificateAsync({ expires: 30 * DAY }).then(
      (material) => {
        sparesPending--;
        material.fingerprints(); // the SHA-256 is computed now, off the connection's critical path
        spares.push({ certificate: wrapCertificate(material), made: Date.now() });
      },
      () => {
        // The thread pool could not make one: the next connection makes its own.
        sparesPending--;
      },
    );
  }
}

/** A new connection's certificate: a spare when one is ready, else one made now; then refills. */
export function takeCertificate(): RTCCertificate {
  const now = Date.now();
  let spare = spares.shift();
  while (spare && now - spare.made > SPARE_MAX_AGE) spare = spares.shift();
  const certificate = spare?.certificate ?? generateCertificateNow();
  refillSpares();
  // And the ephemeral X25519 key pairs of the DTLS handshakes to come (one per handshake).
  prepareKeyShares(SPARES);
  return certificate;
}
