// RTP header extensions (RFC 8285): the one-byte (0xBEDE) and two-byte (0x100X) forms, read
// lazily from the extension block of a parsed packet and written from a list of elements.
// Also the generic RFC 3550 section 5.3.1 extension block (any other profile) is kept raw.
import { rtpError } from "./errors.js";

export const ONE_BYTE_PROFILE = 0xbede;
/** Two-byte header profile: 0x100 in the upper 12 bits, "appbits" in the lower 4. */
export const TWO_BYTE_PROFILE = 0x1000;

export interface RtpHeaderExtension {
  /** Local identifier negotiated with a=extmap: 1-14 (one-byte form) or 1-255 (two-byte form). */
  id: number;
  data: Uint8Array;
}

export function isOneByteProfile(profile: number): boolean {
  return profile === ONE_BYTE_PROFILE;
}
export function isTwoByteProfile(profile: number): boolean {
  return (profile & 0xfff0) === TWO_BYTE_PROFILE;
}

/**
 * Calls `visit(id, start, end)` for each element of an RFC 8285 extension block; stops early when
 * visit returns true. Returns false when the block is malformed (an element runs past the end),
 * after visiting the elements before the fault. Padding (ID 0) is skipped; ID 15 in the one-byte
 * form stops the walk (RFC 8285 4.2).
 */
export function walkExtensions(
  profile: number,
  data: Uint8Array,
  visit: (id: number, start: number, end: number) => boolean | undefined,
): boolean {
  const n = data.length;
  let o = 0;
  if (profile === ONE_BYTE_PROFILE) {
    while (o < n) {
      const b = data[o]!;
      const id = b >>> 4;
      if (id === 0) {
        o++;
        continue;
      }
      if (id === 15) return true;
      const len = (b & 15) + 1;
      if (o + 1 + len > n) return false;
      if (visit(id, o + 1, o + 1 + len)) return true;
      o += 1 + len;
    }
    return true;
  }
  if (isTwoByteProfile(profile)) {
    while (o < n) {
      const id = data[o]!;
      if (id === 0) {
        o++;
        continue;
      }
      if (o + 2 > n) return false;
      const len = data[o + 1]!;
      if (o + 2 + len > n) return false;
      if (visit(id, o + 2, o + 2 + len)) return true;
      o += 2 + len;
    }
    return true;
  }
  return true;
}

/** The data of extension element `id` (a view), or undefined. */
export function findExtension(profile: number, data: Uint8Array, id: number): Uint8Array | undefined {
  let found: Uint8Array | undefined;
  walkExtensions(profile, data, (eid, s, e) => {
    if (eid !== id) return false;
    found = data.subarray(s, e);
    return true;
  });
  return found;
}

/** All elements of an extension block (views), in order. Malformed trailing bytes are ignored. */
export function listExtensions(profile: number, data: Uint8Array): RtpHeaderExtension[] {
  const out: RtpHeaderExtension[] = [];
  walkExtensions(profile, data, (id, s, e) => {
    out.push({ id, data: data.subarray(s, e) });
    return false;
  });
  return out;
}

/** Whether elements fit the one-byte form (ids 1-14, 1-16 bytes each). */
export function fitsOneByte(exts: readonly RtpHeaderExtension[]): boolean {
  for (const x of exts) if (x.id < 1 || x.id > 14 || x.data.length < 1 || x.data.length > 16) return false;
  return true;
}

/** Bytes of the extension block body (without its 4-byte header), padded to 32 bits. */
export function extensionsBodySize(exts: readonly RtpHeaderExtension[], oneByte: boolean): number {
  let n = 0;
  for (const x of exts) n += (oneByte ? 1 : 2) + x.data.length;
  return (n + 3) & ~3;
}

/** Writes the elements (body only) at `o`; returns the end offset after zero padding. */
export function writeExtensionsBody(
  exts: readonly RtpHeaderExtension[],
  oneByte: boolean,
  out: Uint8Array,
  o: number,
): number {
  const start = o;
  for (const x of exts) {
    const len = x.data.length;
    if (oneByte) {
      if (x.id < 1 || x.id > 14 || len < 1 || len > 16)
        throw rtpError("ERR_RTP_EXTENSION", `bad one-byte extension ${x.id}`);
      out[o++] = (x.id << 4) | (len - 1);
    } else {
      if (x.id < 1 || x.id > 255 || len > 255) throw rtpError("ERR_RTP_EXTENSION", `bad two-byte extension ${x.id}`);
      out[o++] = x.id;
      out[o++] = len;
    }
    out.set(x.data, o);
    o += len;
  }
  while ((o - start) & 3) out[o++] = 0;
  return o;
}
