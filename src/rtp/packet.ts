// RTP packets (RFC 3550 section 5.1): parse in place into a view object (the payload and the
// extension block are subarrays of the input, nothing is copied) and serialise from plain
// fields. CSRC lists, the header extension block (RFC 3550 5.3.1, elements per RFC 8285 in
// extensions.ts) and padding (RFC 3550 5.1 P bit) are handled both ways.
import { EMPTY, readU16, readU32, writeU16, writeU32 } from "../bytes/index.js";
import { rtpError } from "./errors.js";
import {
  extensionsBodySize,
  findExtension,
  fitsOneByte,
  listExtensions,
  ONE_BYTE_PROFILE,
  type RtpHeaderExtension,
  TWO_BYTE_PROFILE,
  walkExtensions,
  writeExtensionsBody,
} from "./extensions.js";

const NO_CSRCS: readonly number[] = Object.freeze([]);

/** A parsed RTP packet: fields plus views into the parsed bytes. */
export interface RtpPacket {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs: readonly number[];
  /** The extension block's 16-bit profile (0xBEDE, 0x100X, ...) or -1 when X is clear. */
  extensionProfile: number;
  /** The extension block body without its 4-byte header (a view; empty when none). */
  extensionData: Uint8Array;
  payload: Uint8Array;
  /** Padding bytes at the end, including the final count byte (0 when P is clear). */
  paddingLength: number;
  /** Bytes before the payload: 12 + CSRCs + extension block. */
  headerLength: number;
}

/** What serialiseRtp takes. A parsed RtpPacket is accepted as is (its raw extension block is kept). */
export interface RtpPacketInit {
  marker?: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs?: readonly number[];
  /** Extension elements, encoded in the one-byte form when they fit, else the two-byte form. */
  extensions?: readonly RtpHeaderExtension[];
  /** Force the two-byte form (RFC 8285 4.3) even when the elements fit in one byte. */
  twoByteExtensions?: boolean;
  /** A raw extension block (used when `extensions` is absent); profile -1 or absent means none. */
  extensionProfile?: number;
  extensionData?: Uint8Array;
  payload: Uint8Array;
  /** Padding bytes to append, including the count byte: 0 or 1-255. */
  paddingLength?: number;
}

/** Parses an RTP packet without copying. Returns undefined for anything malformed. */
export function parseRtp(b: Uint8Array): RtpPacket | undefined {
  const n = b.length;
  if (n < 12) return undefined;
  const b0 = b[0]!;
  if (b0 >>> 6 !== 2) return undefined;
  const cc = b0 & 0x0f;
  let o = 12 + cc * 4;
  if (o > n) return undefined;
  let csrcs = NO_CSRCS;
  if (cc > 0) {
    const list: number[] = new Array(cc);
    for (let i = 0; i < cc; i++) list[i] = readU32(b, 12 + i * 4);
    csrcs = list;
  }
  let extensionProfile = -1;
  let extensionData = EMPTY;
  if (b0 & 0x10) {
    if (o + 4 > n) return undefined;
    extensionProfile = readU16(b, o);
    const len = readU16(b, o + 2) * 4;
    if (o + 4 + len > n) return undefined;
    extensionData = b.subarray(o + 4, o + 4 + len);
    o += 4 + len;
  }
  let end = n;
  let paddingLength = 0;
  if (b0 & 0x20) {
    paddingLength = b[n - 1]!;
    if (paddingLength === 0 || o + paddingLength > n) return undefined;
    end = n - paddingLength;
  }
  return {
    marker: (b[1]! & 0x80) !== 0,
    payloadType: b[1]! & 0x7f,
    sequenceNumber: readU16(b, 2),
    timestamp: readU32(b, 4),
    ssrc: readU32(b, 8),
    csrcs,
    extensionProfile,
    extensionData,
    payload: b.subarray(o, end),
    paddingLength,
    headerLength: o,
  };
}

/** The data of header extension element `id` of a parsed packet (a view), or undefined. */
export function getRtpExtension(p: RtpPacket, id: number): Uint8Array | undefined {
  if (p.extensionProfile < 0) return undefined;
  return findExtension(p.extensionProfile, p.extensionData, id);
}

/** All RFC 8285 elements of a parsed packet (views). */
export function getRtpExtensions(p: RtpPacket): RtpHeaderExtension[] {
  if (p.extensionProfile < 0) return [];
  return listExtensions(p.extensionProfile, p.extensionData);
}

interface ExtensionLayout {
  profile: number;
  body: number;
  oneByte: boolean;
}

/** One scratch layout, filled per call (serialisation is synchronous): no object per packet. */
const LAYOUT: ExtensionLayout = { profile: -1, body: 0, oneByte: false };

function extensionLayout(p: RtpPacketInit): ExtensionLayout {
  const x = LAYOUT;
  if (p.extensions !== undefined && p.extensions.length > 0) {
    const oneByte = !p.twoByteExtensions && fitsOneByte(p.extensions);
    x.profile = oneByte ? ONE_BYTE_PROFILE : TWO_BYTE_PROFILE;
    x.body = extensionsBodySize(p.extensions, oneByte);
    x.oneByte = oneByte;
    return x;
  }
  if (p.extensions === undefined && p.extensionProfile !== undefined && p.extensionProfile >= 0) {
    const len = p.extensionData?.length ?? 0;
    if (len & 3) throw rtpError("ERR_RTP_EXTENSION", "raw extension data must be a multiple of 4 bytes");
    x.profile = p.extensionProfile;
    x.body = len;
    x.oneByte = false;
    return x;
  }
  x.profile = -1;
  x.body = 0;
  x.oneByte = false;
  return x;
}

/** Serialised size in bytes. */
export function sizeRtp(p: RtpPacketInit): number {
  return sizeWithLayout(p, extensionLayout(p));
}

function sizeWithLayout(p: RtpPacketInit, x: ExtensionLayout): number {
  const csrcs = p.csrcs?.length ?? 0;
  return 12 + csrcs * 4 + (x.profile >= 0 ? 4 + x.body : 0) + p.payload.length + (p.paddingLength ?? 0);
}

/** Writes the packet at `offset`; returns the offset after it. Throws RtpError on misuse. */
export function writeRtp(p: RtpPacketInit, out: Uint8Array, offset: number): number {
  return writeWithLayout(p, extensionLayout(p), out, offset);
}

function writeWithLayout(p: RtpPacketInit, x: ExtensionLayout, out: Uint8Array, offset: number): number {
  const csrcs = p.csrcs ?? NO_CSRCS;
  if (csrcs.length > 15) throw rtpError("ERR_RTP_CSRC", "at most 15 CSRCs");
  const pad = p.paddingLength ?? 0;
  if (pad < 0 || pad > 255 || !Number.isInteger(pad)) throw rtpError("ERR_RTP_PADDING", "padding must be 0-255");
  if (p.payloadType < 0 || p.payloadType > 127) throw rtpError("ERR_RTP_PT", "payload type must be 0-127");
  let o = offset;
  out[o] = 0x80 | (pad > 0 ? 0x20 : 0) | (x.profile >= 0 ? 0x10 : 0) | csrcs.length;
  out[o + 1] = (p.marker ? 0x80 : 0) | p.payloadType;
  writeU16(out, o + 2, p.sequenceNumber & 0xffff);
  writeU32(out, o + 4, p.timestamp >>> 0);
  writeU32(out, o + 8, p.ssrc >>> 0);
  o += 12;
  for (const c of csrcs) o = writeU32(out, o, c >>> 0);
  if (x.profile >= 0) {
    writeU16(out, o, x.profile);
    writeU16(out, o + 2, x.body >>> 2);
    o += 4;
    if (p.extensions !== undefined && p.extensions.length > 0) {
      o = writeExtensionsBody(p.extensions, x.oneByte, out, o);
    } else if (p.extensionData) {
      out.set(p.extensionData, o);
      o += p.extensionData.length;
    }
  }
  out.set(p.payload, o);
  o += p.payload.length;
  if (pad > 0) {
    out.fill(0, o, o + pad - 1);
    out[o + pad - 1] = pad;
    o += pad;
  }
  return o;
}

/** Serialises into a new buffer. */
export function serializeRtp(p: RtpPacketInit): Uint8Array {
  const x = extensionLayout(p);
  const out = Buffer.allocUnsafe(sizeWithLayout(p, x));
  writeWithLayout(p, x, out, 0);
  return out;
}

/**
 * Overwrites, in a serialised packet, the data of an existing header extension element with
 * data of the same length (for example the transport-wide sequence number stamped just before
 * sending). Returns false when the packet has no such element or its length differs.
 */
export function setRtpExtensionInPlace(packet: Uint8Array, id: number, data: Uint8Array): boolean {
  const n = packet.length;
  if (n < 12 || packet[0]! >>> 6 !== 2 || (packet[0]! & 0x10) === 0) return false;
  const o = 12 + (packet[0]! & 0x0f) * 4;
  if (o + 4 > n) return false;
  const len = readU16(packet, o + 2) * 4;
  if (o + 4 + len > n) return false;
  const body = packet.subarray(o + 4, o + 4 + len);
  let done = false;
  walkExtensions(readU16(packet, o), body, (eid, start, end) => {
    if (eid !== id) return false;
    if (end - start === data.length) {
      body.set(data, start);
      done = true;
    }
    return true;
  });
  return done;
}

/** Whether a datagram looks like RTCP rather than RTP (RFC 5761 4: PT 192-223 in the second byte). */
export function isRtcpPacket(b: Uint8Array): boolean {
  return b.length >= 4 && b[0]! >>> 6 === 2 && b[1]! >= 192 && b[1]! <= 223;
}
