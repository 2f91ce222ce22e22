// INIT and INIT ACK chunk values and their parameters: RFC 9260 sections 3.3.2 and 3.3.3
// (fixed fields, State Cookie, Unrecognized Parameter, the "upper two bits" rule of 3.2.1),
// RFC 5061 4.2.7 (Supported Extensions), RFC 3758 3.1 (Forward-TSN-Supported), RFC 9653 4
// (Zero Checksum Acceptable, error detection method 1 = DTLS). What Chrome (dcSCTP) and Firefox
// (usrsctp) also send - Random, Chunk List, HMAC-ALGO (RFC 4895), Adaptation Layer Indication,
// ECN capable, Supported Address Types - is recognised and ignored.
import { readU16, readU32, writeU16, writeU32 } from "../bytes/index.js";
import { CT_FORWARD_TSN, CT_I_DATA, CT_I_FORWARD_TSN, CT_PAD, CT_RECONFIG, pad4, tlv } from "./chunks.js";

export const P_HEARTBEAT_INFO = 1;
export const P_IPV4 = 5;
export const P_IPV6 = 6;
export const P_STATE_COOKIE = 7;
export const P_UNRECOGNIZED = 8;
export const P_COOKIE_PRESERVATIVE = 9;
export const P_HOSTNAME = 11;
export const P_SUPPORTED_ADDRESS_TYPES = 12;
export const P_ECN_CAPABLE = 0x8000;
export const P_ZERO_CHECKSUM = 0x8001;
export const P_RANDOM = 0x8002;
export const P_CHUNK_LIST = 0x8003;
export const P_HMAC_ALGO = 0x8004;
export const P_PAD = 0x8005;
export const P_SUPPORTED_EXTENSIONS = 0x8008;
export const P_FORWARD_TSN_SUPPORTED = 0xc000;
export const P_ADAPTATION_LAYER = 0xc006;

/** Error detection method "SCTP over DTLS" (RFC 9653 section 10). */
export const EDMID_DTLS = 1;

const KNOWN = new Set([
  P_IPV4,
  P_IPV6,
  P_STATE_COOKIE,
  P_UNRECOGNIZED,
  P_COOKIE_PRESERVATIVE,
  P_HOSTNAME,
  P_SUPPORTED_ADDRESS_TYPES,
  P_ECN_CAPABLE,
  P_ZERO_CHECKSUM,
  P_RANDOM,
  P_CHUNK_LIST,
  P_HMAC_ALGO,
  P_PAD,
  P_SUPPORTED_EXTENSIONS,
  P_FORWARD_TSN_SUPPORTED,
  P_ADAPTATION_LAYER,
]);

export interface InitInfo {
  initiateTag: number;
  arwnd: number;
  outboundStreams: number;
  inboundStreams: number;
  initialTsn: number;
  forwardTsn: boolean;
  reconfig: boolean;
  iData: boolean;
  iForwardTsn: boolean;
  /** Whether the peer announced it accepts a zero checksum (method 1, DTLS). */
  zeroChecksum: boolean;
  /** Whether the peer listed the PAD chunk (RFC 4820) among its supported extensions. */
  pad: boolean;
  /** INIT ACK only. */
  cookie: Uint8Array | undefined;
  /** Parameters to report back in an Unrecognized Parameter (type 8) list. */
  unrecognized: Uint8Array[];
}

/** Our capabilities, written into INIT / INIT ACK. */
export interface LocalCaps {
  iData: boolean;
  zeroChecksum: boolean;
}

/** Parses an INIT / INIT ACK value; undefined if malformed (RFC 9260 3.3.2: zero fields are invalid). */
export function parseInit(v: Uint8Array): InitInfo | undefined {
  if (v.length < 16) return undefined;
  const info: InitInfo = {
    initiateTag: readU32(v, 0),
    arwnd: readU32(v, 4),
    outboundStreams: readU16(v, 8),
    inboundStreams: readU16(v, 10),
    initialTsn: readU32(v, 12),
    forwardTsn: false,
    reconfig: false,
    iData: false,
    iForwardTsn: false,
    zeroChecksum: false,
    pad: false,
    cookie: undefined,
    unrecognized: [],
  };
  if (info.initiateTag === 0 || info.outboundStreams === 0 || info.inboundStreams === 0) return undefined;
  let o = 16;
  while (o + 4 <= v.length) {
    const type = readU16(v, o);
    const len = readU16(v, o + 2);
    if (len < 4 || o + len > v.length) return undefined;
    const val = v.subarray(o + 4, o + len);
    switch (type) {
      case P_STATE_COOKIE:
        info.cookie = val;
        break;
      case P_SUPPORTED_EXTENSIONS:
        for (let i = 0; i < val.length; i++) {
          const t = val[i]!;
          if (t === CT_FORWARD_TSN) info.forwardTsn = true;
          else if (t === CT_RECONFIG) info.reconfig = true;
          else if (t === CT_I_DATA) info.iData = true;
          else if (t === CT_I_FORWARD_TSN) info.iForwardTsn = true;
          else if (t === CT_PAD) info.pad = true;
        }
        break;
      case P_FORWARD_TSN_SUPPORTED:
        info.forwardTsn = true;
        break;
      case P_ZERO_CHECKSUM:
        if (val.length >= 4 && readU32(val, 0) === EDMID_DTLS) info.zeroChecksum = true;
        break;
      default:
        if (!KNOWN.has(type)) {
          // RFC 9260 3.2.1: the upper two bits say whether to go on and whether to report.
          if (type & 0x4000) info.unrecognized.push(v.subarray(o, o + len));
          if ((type & 0x8000) === 0) return info;
        }
    }
    o += pad4(len);
  }
  return info;
}

/** Writes the value of an INIT (cookie undefined) or INIT ACK (with cookie). */
export function writeInit(
  f: { initiateTag: number; arwnd: number; outboundStreams: number; inboundStreams: number; initialTsn: number },
  caps: LocalCaps,
  cookie: Uint8Array | undefined,
  unrecognized: Uint8Array[] = [],
): Uint8Array {
  const params: Uint8Array[] = [];
  const ext = [CT_FORWARD_TSN, CT_RECONFIG, CT_PAD];
  if (caps.iData) ext.push(CT_I_DATA, CT_I_FORWARD_TSN);
  params.push(tlv(P_SUPPORTED_EXTENSIONS, Uint8Array.from(ext)));
  params.push(tlv(P_FORWARD_TSN_SUPPORTED, new Uint8Array(0)));
  if (caps.zeroChecksum) {
    const z = new Uint8Array(4);
    writeU32(z, 0, EDMID_DTLS);
    params.push(tlv(P_ZERO_CHECKSUM, z));
  }
  if (cookie) params.push(tlv(P_STATE_COOKIE, cookie));
  for (const u of unrecognized) params.push(tlv(P_UNRECOGNIZED, u));
  let n = 16;
  for (const p of params) n += pad4(p.length);
  const out = new Uint8Array(n);
  writeU32(out, 0, f.initiateTag);
  writeU32(out, 4, f.arwnd);
  writeU16(out, 8, f.outboundStreams);
  writeU16(out, 10, f.inboundStreams);
  writeU32(out, 12, f.initialTsn);
  let o = 16;
  for (const p of params) {
    out.set(p, o);
    o += pad4(p.length);
  }
  // The final parameter's padding is not counted in the chunk length (RFC 9260 3.2); the caller
  // passes the returned value (without trailing pad) to chunk(), which pads again.
  const last = params[params.length - 1]!;
  return out.subarray(0, n - (pad4(last.length) - last.length));
}
