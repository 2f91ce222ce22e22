// The State Cookie of INIT ACK (RFC 9260 5.1.3): everything needed to build the association
// when the COOKIE ECHO comes back, so that no state is kept before it. Signed with HMAC-SHA256
// under a per-association secret, with a creation time for the lifetime check of 5.1.5.
import { createHmac } from "node:crypto";
import { constantTimeEqual, readU16, readU32, writeU16, writeU32 } from "../bytes/index.js";
import type { InitInfo } from "./params.js";

export interface CookieState {
  myTag: number;
  peerTag: number;
  myInitialTsn: number;
  peerInitialTsn: number;
  peerArwnd: number;
  peerOutboundStreams: number;
  peerInboundStreams: number;
  peerForwardTsn: boolean;
  peerReconfig: boolean;
  peerIData: boolean;
  peerZeroChecksum: boolean;
  /** The peer listed PAD (RFC 4820) among its supported extensions. */
  peerPad: boolean;
  /** Creation time (ms, the core's clock). */
  created: number;
}

const BODY = 36;
const MAC = 32;
export const COOKIE_LENGTH = BODY + MAC;

export function makeCookie(s: CookieState, secret: Uint8Array): Uint8Array {
  const c = Buffer.alloc(COOKIE_LENGTH);
  c[0] = 1;
  c[1] =
    (s.peerForwardTsn ? 1 : 0) |
    (s.peerReconfig ? 2 : 0) |
    (s.peerIData ? 4 : 0) |
    (s.peerZeroChecksum ? 8 : 0) |
    (s.peerPad ? 16 : 0);
  writeU16(c, 2, s.peerOutboundStreams);
  writeU16(c, 4, s.peerInboundStreams);
  writeU32(c, 8, s.myTag);
  writeU32(c, 12, s.peerTag);
  writeU32(c, 16, s.myInitialTsn);
  writeU32(c, 20, s.peerInitialTsn);
  writeU32(c, 24, s.peerArwnd);
  c.writeDoubleBE(s.created, 28);
  createHmac("sha256", secret).update(c.subarray(0, BODY)).digest().copy(c, BODY);
  return c;
}

/** Verifies and decodes a cookie; undefined when it is forged or malformed. Expiry is the caller's. */
export function openCookie(c: Uint8Array, secret: Uint8Array): CookieState | undefined {
  if (c.length !== COOKIE_LENGTH || c[0] !== 1) return undefined;
  const mac = createHmac("sha256", secret).update(c.subarray(0, BODY)).digest();
  if (!constantTimeEqual(mac, c.subarray(BODY))) return undefined;
  const flags = c[1]!;
  return {
    myTag: readU32(c, 8),
    peerTag: readU32(c, 12),
    myInitialTsn: readU32(c, 16),
    peerInitialTsn: readU32(c, 20),
    peerArwnd: readU32(c, 24),
    peerOutboundStreams: readU16(c, 2),
    peerInboundStreams: readU16(c, 4),
    peerForwardTsn: (flags & 1) !== 0,
    peerReconfig: (flags & 2) !== 0,
    peerIData: (flags & 4) !== 0,
    peerZeroChecksum: (flags & 8) !== 0,
    peerPad: (flags & 16) !== 0,
    created: Buffer.from(c.buffer, c.byteOffset, c.byteLength).readDoubleBE(28),
  };
}

/** The cookie state for an INIT we answer (our tag and initial TSN, the peer's parameters). */
export function cookieFromInit(info: InitInfo, myTag: number, myInitialTsn: number, now: number): CookieState {
  return {
    myTag,
    peerTag: info.initiateTag,
    myInitialTsn,
    peerInitialTsn: info.initialTsn,
    peerArwnd: info.arwnd,
    peerOutboundStreams: info.outboundStreams,
    peerInboundStreams: info.inboundStreams,
    peerForwardTsn: info.forwardTsn,
    peerReconfig: info.reconfig,
    peerIData: info.iData,
    peerZeroChecksum: info.zeroChecksum,
    peerPad: info.pad,
    created: now,
  };
}

/** The peer's INIT parameters as recorded in a cookie. */
export function initInfoFromCookie(c: CookieState): InitInfo {
  return {
    initiateTag: c.peerTag,
    arwnd: c.peerArwnd,
    outboundStreams: c.peerOutboundStreams,
    inboundStreams: c.peerInboundStreams,
    initialTsn: c.peerInitialTsn,
    forwardTsn: c.peerForwardTsn,
    reconfig: c.peerReconfig,
    iData: c.peerIData,
    iForwardTsn: c.peerIData,
    zeroChecksum: c.peerZeroChecksum,
    pad: c.peerPad,
    cookie: undefined,
    unrecognized: [],
  };
}
