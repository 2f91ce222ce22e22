// The DtlsEndpoint's public types: options, states, events and statistics (see endpoint.ts), and
// turning the options into the handshake's configuration (cipher suites by id or name).
import type { Random } from "../random.js";
import type { DtlsCertificate } from "./certificate.js";
import { DtlsError } from "./errors.js";
import type { Fingerprint } from "./fingerprint.js";
import type { HandshakeConfig } from "./handshake.js";
import {
  CIPHER_SUITES,
  type CipherSuite,
  DEFAULT_SRTP_PROFILES,
  SUPPORTED_GROUPS,
  suiteById,
  suiteByName,
} from "./suites.js";

export type DtlsRole = "client" | "server";
export type DtlsState = "new" | "connecting" | "connected" | "closed" | "failed";

export type DtlsEvent =
  | { type: "state"; state: DtlsState }
  | { type: "connected"; srtpProfile?: number }
  | { type: "data"; data: Uint8Array }
  | { type: "closed" }
  | { type: "failed"; reason: string; alert?: number }
  /** The peer's certificate arrived while no remote fingerprints are set: call setRemoteFingerprints or abort. */
  | { type: "peerCertificate"; der: Uint8Array };

export interface DtlsEndpointOptions {
  role: DtlsRole;
  certificate: DtlsCertificate;
  /** The peer's fingerprints (SDP a=fingerprint); may also be set later with setRemoteFingerprints. */
  remoteFingerprints?: Fingerprint[];
  random?: Random;
  /** Largest datagram we send (default 1200). */
  mtu?: number;
  /** use_srtp profiles in preference order (default GCM then AES-CM); [] to omit use_srtp. */
  srtpProfiles?: readonly number[];
  /** Cipher suites by id or name, in preference order (default: all supported). */
  cipherSuites?: readonly (number | string)[];
  /** ECDHE groups in preference order (default X25519, P-256). */
  groups?: readonly number[];
  /** Server: answer ClientHellos without a valid cookie with a HelloVerifyRequest (default true). */
  cookies?: boolean;
  /** Server: HMAC key for cookies (default: 32 random bytes). */
  cookieSecret?: Uint8Array;
  /** Server: bytes identifying the client (e.g. its address) bound into the cookie. */
  clientId?: Uint8Array;
  /** Initial retransmission timeout in ms (default 400; doubles up to 60 s, RFC 6347 4.2.4.1). */
  retransmitTimeout?: number;
  /** Retransmissions of one flight before the handshake fails (default 6: about 51 s at 400 ms). */
  maxRetransmits?: number;
}

export interface DtlsStats {
  datagramsSent: number;
  datagramsReceived: number;
  /** Datagram bytes handed out by pollTransmit / given to handleDatagram (RTCTransportStats). */
  bytesSent: number;
  bytesReceived: number;
  recordsSent: number;
  recordsReceived: number;
  retransmissions: number;
  helloVerifyRequests: number;
  dropped: {
    replay: number;
    badMac: number;
    garbage: number;
    epoch: number;
    state: number;
    handshake: number;
  };
}

/** The handshake configuration for these options; throws DtlsError UNSUPPORTED for an unknown suite. */
export function handshakeConfig(opts: DtlsEndpointOptions, random: Random): HandshakeConfig {
  const suites: CipherSuite[] = [];
  for (const s of opts.cipherSuites ?? CIPHER_SUITES.map((c) => c.id)) {
    const suite = typeof s === "number" ? suiteById(s) : suiteByName(s);
    if (!suite) throw new DtlsError("UNSUPPORTED", `unsupported cipher suite ${String(s)}`);
    suites.push(suite);
  }
  return {
    certificate: opts.certificate,
    random,
    cipherSuites: suites,
    groups: opts.groups ?? SUPPORTED_GROUPS,
    srtpProfiles: opts.srtpProfiles ?? DEFAULT_SRTP_PROFILES,
  };
}
