// AV1 over RTP (AV1 RTP payload format, aomediacodec.github.io/av1-rtp-spec): the aggregation
// header (section 4.4: Z, Y, W, N), OBU elements with leb128 lengths (4.3, AV1 spec 4.10.5),
// OBUs carried without obu_size and with temporal delimiters, tile lists and padding dropped
// (5), fragmentation of OBUs over packets (Z/Y), N = first packet of a new coded video sequence
// (key frame). Frames in and out are temporal units in the low-overhead bitstream format (AV1
// spec section 5: every OBU with obu_has_size_field), starting with a temporal delimiter.
import { codecError } from "./errors.js";
import {
  type AssembledFrame,
  type CodecDepayloader,
  type CodecPayloader,
  PKT_MALFORMED,
  PKT_NOT_START,
  PKT_START,
} from "./payload.js";

export const AV1_CLOCK_RATE = 90000;
export const OBU_SEQUENCE_HEADER = 1;
export const OBU_TEMPORAL_DELIMITER = 2;
export const OBU_FRAME_HEADER = 3;
export const OBU_TILE_GROUP = 4;
export const OBU_METADATA = 5;
export const OBU_FRAME = 6;
export const OBU_REDUNDANT_FRAME_HEADER = 7;
export const OBU_TILE_LIST = 8;
export const OBU_PADDING = 15;

/** Byte count of the last successful readLeb128. */
let lebBytes = 0;

/** Reads an unsigned leb128 (at most 8 bytes, value below 2^32) at `o`; -1 when malformed. */
export function readLeb128(b: Uint8Array, o: number): number {
  let v = 0;
  for (let i = 0; i < 8; i++) {
    if (o + i >= b.length) return -1;
    const x = b[o + i]!;
    v += (x & 0x7f) * 2 ** (7 * i);
    if ((x & 0x80) === 0) {
      lebBytes = i + 1;
      return v > 0xffffffff ? -1 : v;
    }
  }
  return -1;
}

/** Bytes the leb128 encoding of `v` takes. */
export function sizeLeb128(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Writes `v` as leb128 at `o`; returns the offset after it. */
export function writeLeb128(v: number, out: Uint8Array, o: number): number {
  while (v >= 0x80) {
    out[o++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  out[o++] = v;
  return o;
}

/** One OBU of a temporal unit. */
export interface Obu {
  type: number;
  /** The OBU header (1 or 2 bytes with the extension), as in the stream. */
  header: Uint8Array;
  /** The OBU payload (without obu_size). */
  payload: Uint8Array;
}

/** Splits a low-overhead format temporal unit into OBUs (views). Undefined when malformed. */
export function parseObus(b: Uint8Array): Obu[] | undefined {
  const out: Obu[] = [];
  let o = 0;
  while (o < b.length) {
    const h = b[o]!;
    if (h & 0x80) return undefined;
    const hl = h & 0x04 ? 2 : 1;
    if (o + hl > b.length) return undefined;
    let p = o + hl;
    let size: number;
    if (h & 0x02) {
      size = readLeb128(b, p);
      if (size < 0) return undefined;
      p += lebBytes;
    } else size = b.length - p;
    if (p + size > b.length) return undefined;
    out.push({ type: (h >>> 3) & 0x0f, header: b.subarray(o, o + hl), payload: b.subarray(p, p + size) });
    o = p + size;
  }
  return out;
}

/** Whether a temporal unit holds a key frame (a sequence header and a KEY_FRAME frame header). */
function keyframeOf(obus: readonly Obu[]): boolean {
  let reduced = -1;
  for (const obu of obus) {
    if (obu.type === OBU_SEQUENCE_HEADER && obu.payload.length > 0) reduced = (obu.payload[0]! >>> 3) & 1;
    else if ((obu.type === OBU_FRAME || obu.type === OBU_FRAME_HEADER) && reduced >= 0) {
      if (reduced === 1) return true;
      if (obu.payload.length === 0) return false;
      const b = obu.payload[0]!;
      // show_existing_frame (1 bit) then frame_type (2 bits): KEY_FRAME = 0.
      return (b & 0x80) === 0 && (b & 0x60) === 0;
    }
  }
  return false;
}

/** Whether a low-overhead temporal unit is a key frame (AV1 spec 5.9.2 frame_type of a new sequence). */
export function isAv1Keyframe(temporalUnit: Uint8Array): boolean {
  const obus = parseObus(temporalUnit);
  return obus !== undefined && keyframeOf(obus);
}

/** Takes temporal units in the low-overhead bitstream format. */
export class Av1Payloader implements CodecPayloader {
  readonly clockRate = AV1_CLOCK_RATE;
  readonly video = true;

  payload(frame: Uint8Array, maxPayloadSize: number): Uint8Array[] {
    const obus = parseObus(frame);
    if (obus === undefined) throw codecError("ERR_CODEC_AV1", "malformed AV1 temporal unit");
    if (maxPayloadSize < 4) throw codecError("ERR_CODEC_MTU", "maxPayloadSize too small for AV1");
    const elements: Uint8Array[] = [];
    for (const obu of obus) {
      if (obu.type === OBU_TEMPORAL_DELIMITER || obu.type === OBU_TILE_LIST || obu.type === OBU_PADDING) continue;
      const e = new Uint8Array(obu.header.length + obu.payload.length);
      e.set(obu.header, 0);
      e[0] = e[0]! & ~0x02; // no obu_size inside RTP
      e.set(obu.payload, obu.header.length);
      elements.push(e);
    }
    if (elements.length === 0) throw codecError("ERR_CODEC_EMPTY_FRAME", "no OBUs to send in the temporal unit");
    const key = keyframeOf(obus);
    const out: Uint8Array[] = [];
    let pieces: Uint8Array[] = [];
    let used = 1;
    let z = false;
    const close = (y: boolean): void => {
      out.push(writePacket(pieces, z, y, key && out.length === 0));
      pieces = [];
      used = 1;
      z = y;
    };
    for (const e of elements) {
      let off = 0;
      while (off < e.length) {
        const space = maxPayloadSize - used;
        const left = e.length - off;
        let take = Math.min(left, space - 1);
        while (take > 0 && sizeLeb128(take) + take > space) take--;
        if (take < left && pieces.length < 3 && Math.min(left, space) > take) {
          // As the packet's last element (W = 1-3) it needs no length field: fill the packet.
          const bare = Math.min(left, space);
          pieces.push(e.subarray(off, off + bare));
          off += bare;
          close(off < e.length);
          continue;
        }
        if (take <= 0) {
          close(false);
          continue;
        }
        pieces.push(e.subarray(off, off + take));
        used += sizeLeb128(take) + take;
        off += take;
        if (off < e.length) close(true);
      }
    }
    if (pieces.length > 0) close(false);
    return out;
  }
}

function writePacket(pieces: readonly Uint8Array[], z: boolean, y: boolean, n: boolean): Uint8Array {
  const count = pieces.length;
  const w = count <= 3 ? count : 0;
  let size = 1;
  for (let i = 0; i < count; i++) {
    const len = pieces[i]!.length;
    size += len + (w !== 0 && i === count - 1 ? 0 : sizeLeb128(len));
  }
  const out = new Uint8Array(size);
  out[0] = (z ? 0x80 : 0) | (y ? 0x40 : 0) | (w << 4) | (n ? 0x08 : 0);
  let o = 1;
  for (let i = 0; i < count; i++) {
    const piece = pieces[i]!;
    if (!(w !== 0 && i === count - 1)) o = writeLeb128(piece.length, out, o);
    out.set(piece, o);
    o += piece.length;
  }
  return out;
}

/**
 * Walks the OBU elements of one RTP payload (W = 0: every element has a length; W = 1-3: that
 * many elements, the last without one). False when the lengths do not add up; `visit` may then
 * have seen some elements already.
 */
function walkElements(
  p: Uint8Array,
  visit: ((e: Uint8Array, index: number, last: boolean) => void) | undefined,
): boolean {
  const n = p.length;
  const w = (p[0]! >>> 4) & 3;
  let o = 1;
  let idx = 0;
  while (o < n) {
    let len: number;
    if (w === 0 || idx < w - 1) {
      len = readLeb128(p, o);
      if (len < 0) return false;
      o += lebBytes;
    } else len = n - o;
    if (o + len > n) return false;
    if (visit) visit(p.subarray(o, o + len), idx, o + len === n);
    o += len;
    idx++;
    if (w !== 0 && idx === w) break;
  }
  return o === n && idx > 0 && (w === 0 || idx === w);
}

const TEMPORAL_DELIMITER = new Uint8Array([0x12, 0x00]);

export class Av1Depayloader implements CodecDepayloader {
  readonly clockRate = AV1_CLOCK_RATE;
  readonly video = true;

  inspect(p: Uint8Array): number {
    if (p.length < 2 || !walkElements(p, undefined)) return PKT_MALFORMED;
    const h = p[0]!;
    if (h & 0x80) return PKT_NOT_START;
    return h & 0x08 ? PKT_START : 0;
  }

  assemble(payloads: readonly Uint8Array[], count: number): AssembledFrame | undefined {
    // Whole OBUs (each as its list of fragments).
    const obus: Uint8Array[][] = [];
    let pending: Uint8Array[] | undefined;
    let ok = true;
    for (let i = 0; i < count && ok; i++) {
      const p = payloads[i]!;
      if (p.length < 2) return undefined;
      const h = p[0]!;
      const z = (h & 0x80) !== 0;
      const y = (h & 0x40) !== 0;
      if (z !== (pending !== undefined)) return undefined;
      const walked = walkElements(p, (e, idx, last) => {
        let parts: Uint8Array[];
        if (idx === 0 && pending !== undefined) {
          parts = pending;
          parts.push(e);
          pending = undefined;
        } else parts = [e];
        if (last && y) pending = parts;
        else obus.push(parts);
      });
      if (!walked) ok = false;
    }
    if (!ok || pending !== undefined) return undefined;
    // Re-emit each OBU with obu_size, after one temporal delimiter.
    const views: Obu[] = [];
    let size = TEMPORAL_DELIMITER.length;
    for (const parts of obus) {
      let whole: Uint8Array;
      if (parts.length === 1) whole = parts[0]!;
      else {
        let len = 0;
        for (const x of parts) len += x.length;
        whole = new Uint8Array(len);
        let o = 0;
        for (const x of parts) {
          whole.set(x, o);
          o += x.length;
        }
      }
      if (whole.length === 0) continue;
      const parsed = parseObus(whole);
      if (parsed === undefined || parsed.length !== 1) return undefined;
      const obu = parsed[0]!;
      if (obu.type === OBU_TEMPORAL_DELIMITER || obu.type === OBU_TILE_LIST) continue;
      views.push(obu);
      size += obu.header.length + sizeLeb128(obu.payload.length) + obu.payload.length;
    }
    if (views.length === 0) return undefined;
    const data = new Uint8Array(size);
    data.set(TEMPORAL_DELIMITER, 0);
    let o = TEMPORAL_DELIMITER.length;
    for (const obu of views) {
      data.set(obu.header, o);
      data[o] = data[o]! | 0x02;
      o = writeLeb128(obu.payload.length, data, o + obu.header.length);
      data.set(obu.payload, o);
      o += obu.payload.length;
    }
    const n = (payloads[0]![0]! & 0x08) !== 0;
    return { data, keyframe: n || keyframeOf(views) };
  }
}
