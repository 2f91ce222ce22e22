// The Data Channel Establishment Protocol (RFC 8832): DATA_CHANNEL_OPEN (5.1) and
// DATA_CHANNEL_ACK (5.2) messages, carried with PPID 50, and the PPIDs of RFC 8831 8 used for
// user data (string 51, binary 53, empty string 56, empty binary 57, deprecated partial 52 / 54).
import { readU16, readU32, writeU16, writeU32 } from "../bytes/index.js";

export const PPID_DCEP = 50;
export const PPID_STRING = 51;
export const PPID_BINARY_PARTIAL = 52;
export const PPID_BINARY = 53;
export const PPID_STRING_PARTIAL = 54;
export const PPID_STRING_EMPTY = 56;
export const PPID_BINARY_EMPTY = 57;

export const DCEP_ACK = 0x02;
export const DCEP_OPEN = 0x03;

/** Channel types (RFC 8832 5.1). */
export const CHANNEL_RELIABLE = 0x00;
export const CHANNEL_PARTIAL_RELIABLE_REXMIT = 0x01;
export const CHANNEL_PARTIAL_RELIABLE_TIMED = 0x02;
export const CHANNEL_UNORDERED_BIT = 0x80;

export interface DcepOpen {
  ordered: boolean;
  /** Set for the rexmit policy. */
  maxRetransmits: number | undefined;
  /** Set for the timed policy (ms). */
  maxPacketLifeTime: number | undefined;
  priority: number;
  label: string;
  protocol: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: false });

export function encodeOpen(o: DcepOpen): Uint8Array {
  const label = enc.encode(o.label);
  const protocol = enc.encode(o.protocol);
  const out = new Uint8Array(12 + label.length + protocol.length);
  let type = CHANNEL_RELIABLE;
  let param = 0;
  if (o.maxRetransmits !== undefined) {
    type = CHANNEL_PARTIAL_RELIABLE_REXMIT;
    param = o.maxRetransmits;
  } else if (o.maxPacketLifeTime !== undefined) {
    type = CHANNEL_PARTIAL_RELIABLE_TIMED;
    param = o.maxPacketLifeTime;
  }
  if (!o.ordered) type |= CHANNEL_UNORDERED_BIT;
  out[0] = DCEP_OPEN;
  out[1] = type;
  writeU16(out, 2, o.priority);
  writeU32(out, 4, param);
  writeU16(out, 8, label.length);
  writeU16(out, 10, protocol.length);
  out.set(label, 12);
  out.set(protocol, 12 + label.length);
  return out;
}

/** Parses a DATA_CHANNEL_OPEN; undefined if malformed or an unknown channel type. */
export function decodeOpen(b: Uint8Array): DcepOpen | undefined {
  if (b.length < 12 || b[0] !== DCEP_OPEN) return undefined;
  const type = b[1]!;
  const labelLen = readU16(b, 8);
  const protocolLen = readU16(b, 10);
  if (12 + labelLen + protocolLen > b.length) return undefined;
  const policy = type & 0x7f;
  if (policy > CHANNEL_PARTIAL_RELIABLE_TIMED) return undefined;
  const param = readU32(b, 4);
  return {
    ordered: (type & CHANNEL_UNORDERED_BIT) === 0,
    maxRetransmits: policy === CHANNEL_PARTIAL_RELIABLE_REXMIT ? param : undefined,
    maxPacketLifeTime: policy === CHANNEL_PARTIAL_RELIABLE_TIMED ? param : undefined,
    priority: readU16(b, 2),
    label: dec.decode(b.subarray(12, 12 + labelLen)),
    protocol: dec.decode(b.subarray(12 + labelLen, 12 + labelLen + protocolLen)),
  };
}

export const ACK_MESSAGE: Uint8Array = Uint8Array.of(DCEP_ACK);
