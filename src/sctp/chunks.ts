// SCTP chunk types, flags and the encoders/decoders of the control chunks: RFC 9260 section 3
// (common header, chunk layout, DATA, SACK, HEARTBEAT, ABORT, SHUTDOWN*, ERROR, COOKIE*),
// RFC 3758 section 3.2 (FORWARD TSN), RFC 8260 sections 2.1 and 2.3 (I-DATA, I-FORWARD-TSN) and
// RFC 6525 section 4 (RE-CONFIG parameters). DATA and I-DATA are written by the association's
// packet builder directly (hot path); everything here is a cold path that allocates freely.
import { readU16, readU32, writeU16, writeU32 } from "../bytes/index.js";

export const CT_DATA = 0;
export const CT_INIT = 1;
export const CT_INIT_ACK = 2;
export const CT_SACK = 3;
export const CT_HEARTBEAT = 4;
export const CT_HEARTBEAT_ACK = 5;
export const CT_ABORT = 6;
export const CT_SHUTDOWN = 7;
export const CT_SHUTDOWN_ACK = 8;
export const CT_ERROR = 9;
export const CT_COOKIE_ECHO = 10;
export const CT_COOKIE_ACK = 11;
export const CT_SHUTDOWN_COMPLETE = 14;
export const CT_AUTH = 15;
export const CT_I_DATA = 64;
export const CT_ASCONF_ACK = 128;
export const CT_RECONFIG = 130;
export const CT_PAD = 132;
export const CT_FORWARD_TSN = 192;
export const CT_ASCONF = 193;
export const CT_I_FORWARD_TSN = 194;

/** DATA / I-DATA flags (RFC 9260 3.3.1, RFC 7053 I bit). */
export const FLAG_E = 1;
export const FLAG_B = 2;
export const FLAG_U = 4;
export const FLAG_I = 8;
/** ABORT / SHUTDOWN COMPLETE: the verification tag is the sender's own (reflected) tag. */
export const FLAG_T = 1;

/** Error cause codes (RFC 9260 3.3.10). */
export const CAUSE_INVALID_STREAM = 1;
export const CAUSE_MISSING_PARAM = 2;
export const CAUSE_STALE_COOKIE = 3;
export const CAUSE_OUT_OF_RESOURCE = 4;
export const CAUSE_UNRECOGNIZED_CHUNK = 6;
export const CAUSE_INVALID_PARAM = 7;
export const CAUSE_UNRECOGNIZED_PARAMS = 8;
export const CAUSE_NO_USER_DATA = 9;
export const CAUSE_USER_ABORT = 12;
export const CAUSE_PROTOCOL_VIOLATION = 13;

/** RE-CONFIG parameter types (RFC 6525 4.1-4.6) and results (4.4). */
export const RP_OUTGOING_RESET = 13;
export const RP_INCOMING_RESET = 14;
export const RP_TSN_RESET = 15;
export const RP_RESPONSE = 16;
export const RP_ADD_OUTGOING = 17;
export const RP_ADD_INCOMING = 18;
export const RESULT_NOTHING_TO_DO = 0;
export const RESULT_PERFORMED = 1;
export const RESULT_DENIED = 2;
export const RESULT_WRONG_SSN = 3;
export const RESULT_IN_PROGRESS_ALREADY = 4;
export const RESULT_BAD_SEQUENCE = 5;
export const RESULT_IN_PROGRESS = 6;

export const COMMON_HEADER = 12;
export const DATA_HEADER = 16;
export const IDATA_HEADER = 20;

export function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** Builds one chunk: type, flags, value (length covers header + value, padding added). */
export function chunk(type: number, flags: number, value: Uint8Array | undefined): Uint8Array {
  const len = 4 + (value ? value.length : 0);
  const out = new Uint8Array(pad4(len));
  out[0] = type;
  out[1] = flags;
  writeU16(out, 2, len);
  if (value) out.set(value, 4);
  return out;
}

/** Concatenates parameters / causes (each already padded as needed except the last). */
export function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += pad4(p.length);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += pad4(p.length);
  }
  return out;
}

/** A TLV parameter or error cause (type, length, value), unpadded. */
export function tlv(type: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + value.length);
  writeU16(out, 0, type);
  writeU16(out, 2, 4 + value.length);
  out.set(value, 4);
  return out;
}

export interface Tlv {
  type: number;
  value: Uint8Array;
  /** The whole TLV including its header (for reflecting unrecognized parameters). */
  raw: Uint8Array;
}

/** Walks TLVs in b[start,end); returns undefined if a length is malformed. */
export function parseTlvs(b: Uint8Array, start: number, end: number): Tlv[] | undefined {
  const out: Tlv[] = [];
  let o = start;
  while (o + 4 <= end) {
    const type = readU16(b, o);
    const len = readU16(b, o + 2);
    if (len < 4 || o + len > end) return undefined;
    out.push({ type, value: b.subarray(o + 4, o + len), raw: b.subarray(o, o + len) });
    o += pad4(len);
  }
  return out;
}

// --- SACK (RFC 9260 3.3.4) ---

export interface SackInfo {
  cumTsn: number;
  arwnd: number;
  /** Gap ack blocks as [start, end] offsets from cumTsn, flattened. */
  gaps: number[];
  dups: number;
}

export function parseSack(value: Uint8Array, out: SackInfo): boolean {
  if (value.length < 12) return false;
  const ngaps = readU16(value, 8);
  const ndups = readU16(value, 10);
  if (value.length < 12 + ngaps * 4 + ndups * 4) return false;
  out.cumTsn = readU32(value, 0);
  out.arwnd = readU32(value, 4);
  out.gaps.length = 0;
  for (let i = 0; i < ngaps; i++) {
    const s = readU16(value, 12 + i * 4);
    const e = readU16(value, 14 + i * 4);
    if (s === 0 || e < s) return false;
    out.gaps.push(s, e);
  }
  out.dups = ndups;
  return true;
}

// --- FORWARD TSN (RFC 3758 3.2) and I-FORWARD-TSN (RFC 8260 2.3) ---

export interface ForwardEntry {
  sid: number;
  unordered: boolean;
  /** SSN (FORWARD TSN) or MID (I-FORWARD-TSN). */
  seq: number;
}

export function writeForwardTsn(newCum: number, entries: ForwardEntry[], idata: boolean): Uint8Array {
  const each = idata ? 8 : 4;
  const v = new Uint8Array(4 + entries.length * each);
  writeU32(v, 0, newCum);
  let o = 4;
  for (const e of entries) {
    writeU16(v, o, e.sid);
    if (idata) {
      writeU16(v, o + 2, e.unordered ? 1 : 0);
      writeU32(v, o + 4, e.seq);
    } else writeU16(v, o + 2, e.seq);
    o += each;
  }
  return chunk(idata ? CT_I_FORWARD_TSN : CT_FORWARD_TSN, 0, v);
}

export function parseForwardTsn(
  value: Uint8Array,
  idata: boolean,
): { newCum: number; entries: ForwardEntry[] } | undefined {
  if (value.length < 4) return undefined;
  const each = idata ? 8 : 4;
  const n = Math.floor((value.length - 4) / each);
  const entries: ForwardEntry[] = [];
  for (let i = 0; i < n; i++) {
    const o = 4 + i * each;
    if (idata)
      entries.push({ sid: readU16(value, o), unordered: (value[o + 3]! & 1) === 1, seq: readU32(value, o + 4) });
    else entries.push({ sid: readU16(value, o), unordered: false, seq: readU16(value, o + 2) });
  }
  return { newCum: readU32(value, 0), entries };
}

// --- RE-CONFIG (RFC 6525 4.1, 4.4) ---

export function writeOutgoingResetRequest(
  reqSn: number,
  respSn: number,
  lastTsn: number,
  streams: number[],
): Uint8Array {
  const v = new Uint8Array(12 + streams.length * 2);
  writeU32(v, 0, reqSn);
  writeU32(v, 4, respSn);
  writeU32(v, 8, lastTsn);
  for (let i = 0; i < streams.length; i++) writeU16(v, 12 + i * 2, streams[i]!);
  return tlv(RP_OUTGOING_RESET, v);
}

export function writeReconfigResponse(respSn: number, result: number): Uint8Array {
  const v = new Uint8Array(8);
  writeU32(v, 0, respSn);
  writeU32(v, 4, result);
  return tlv(RP_RESPONSE, v);
}

// --- Error causes ---

const UTF8 = new TextEncoder();

export function userAbortCause(reason: string): Uint8Array {
  return tlv(CAUSE_USER_ABORT, UTF8.encode(reason));
}

export function protocolViolationCause(info: string): Uint8Array {
  return tlv(CAUSE_PROTOCOL_VIOLATION, UTF8.encode(info));
}

const CAUSE_NAMES: Record<number, string> = {
  1: "invalid-stream-identifier",
  2: "missing-mandatory-parameter",
  3: "stale-cookie",
  4: "out-of-resource",
  5: "unresolvable-address",
  6: "unrecognized-chunk-type",
  7: "invalid-mandatory-parameter",
  8: "unrecognized-parameters",
  9: "no-user-data",
  10: "cookie-received-while-shutting-down",
  11: "restart-with-new-addresses",
  12: "user-initiated-abort",
  13: "protocol-violation",
};

/** A readable description of the causes in an ABORT or ERROR chunk value. */
export function describeCauses(value: Uint8Array): string {
  const tlvs = parseTlvs(value, 0, value.length);
  if (!tlvs || tlvs.length === 0) return "";
  return tlvs
    .map((t) => {
      const name = CAUSE_NAMES[t.type] ?? `cause-${t.type}`;
      if (t.type === CAUSE_USER_ABORT || t.type === CAUSE_PROTOCOL_VIOLATION) {
        const text = new TextDecoder().decode(t.value);
        return text ? `${name}: ${text}` : name;
      }
      return name;
    })
    .join("; ");
}
