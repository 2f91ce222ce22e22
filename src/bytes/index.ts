// Byte helpers for hot paths and parsers: big-endian reads and writes by index arithmetic,
// a bounds-checked Reader that records failure instead of throwing, a growable Writer for
// cold paths (handshakes, SDP-sized things), hex, and constant-time comparison.
// See ARCHITECTURE.md "Bytes" for why index arithmetic rather than DataView or readUInt32BE.
import { timingSafeEqual } from "node:crypto";

export function readU16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}
export function readU24(b: Uint8Array, o: number): number {
  return (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
}
export function readU32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}
/** A 48-bit big-endian unsigned integer as a JS number (exact). */
export function readU48(b: Uint8Array, o: number): number {
  return readU16(b, o) * 0x1_0000_0000 + readU32(b, o + 2);
}
export function writeU16(b: Uint8Array, o: number, v: number): number {
  b[o] = v >>> 8;
  b[o + 1] = v;
  return o + 2;
}
export function writeU24(b: Uint8Array, o: number, v: number): number {
  b[o] = v >>> 16;
  b[o + 1] = v >>> 8;
  b[o + 2] = v;
  return o + 3;
}
export function writeU32(b: Uint8Array, o: number, v: number): number {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
  return o + 4;
}
/** Writes a non-negative integer below 2^48 as 6 big-endian bytes. */
export function writeU48(b: Uint8Array, o: number, v: number): number {
  const hi = Math.floor(v / 0x1_0000_0000);
  writeU16(b, o, hi);
  return writeU32(b, o + 2, v - hi * 0x1_0000_0000);
}

// Little-endian forms, for file formats (IVF, Ogg, OpusHead); network protocols are big-endian.
export function readU16LE(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
export function readU32LE(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}
export function writeU16LE(b: Uint8Array, o: number, v: number): number {
  b[o] = v;
  b[o + 1] = v >>> 8;
  return o + 2;
}
export function writeU32LE(b: Uint8Array, o: number, v: number): number {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
  return o + 4;
}

/**
 * A bounds-checked cursor. Reads past the end return 0 (or an empty view) and set `failed`;
 * a parser checks `failed` once at the end instead of catching exceptions.
 */
export class Reader {
  readonly bytes: Uint8Array;
  offset: number;
  readonly end: number;
  failed: boolean;
  constructor(bytes: Uint8Array, offset = 0, end = bytes.length) {
    this.bytes = bytes;
    this.offset = offset;
    this.end = Math.min(end, bytes.length);
    this.failed = offset > this.end;
  }
  get remaining(): number {
    return this.end - this.offset;
  }
  private take(n: number): number {
    const o = this.offset;
    if (n < 0 || o + n > this.end) {
      this.failed = true;
      this.offset = this.end;
      return -1;
    }
    this.offset = o + n;
    return o;
  }
  u8(): number {
    const o = this.take(1);
    return o < 0 ? 0 : this.bytes[o]!;
  }
  u16(): number {
    const o = this.take(2);
    return o < 0 ? 0 : readU16(this.bytes, o);
  }
  u24(): number {
    const o = this.take(3);
    return o < 0 ? 0 : readU24(this.bytes, o);
  }
  u32(): number {
    const o = this.take(4);
    return o < 0 ? 0 : readU32(this.bytes, o);
  }
  u48(): number {
    const o = this.take(6);
    return o < 0 ? 0 : readU48(this.bytes, o);
  }
  /** A view (no copy) of the next n bytes. */
  view(n: number): Uint8Array {
    const o = this.take(n);
    return o < 0 ? EMPTY : this.bytes.subarray(o, o + n);
  }
  /** A view of a vector whose length prefix is `lenBytes` (1, 2 or 3) bytes long. */
  vector(lenBytes: 1 | 2 | 3): Uint8Array {
    const n = lenBytes === 1 ? this.u8() : lenBytes === 2 ? this.u16() : this.u24();
    return this.view(n);
  }
  skip(n: number): void {
    this.take(n);
  }
}

export const EMPTY: Uint8Array = new Uint8Array(0);

/** The parts one after the other in a new array. For cold paths (a hot path writes in place). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A growable writer for cold paths (handshake messages, certificates). */
export class Writer {
  buf: Uint8Array;
  length: number;
  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
    this.length = 0;
  }
  /** Grows the buffer for n more bytes and returns their offset (call before reading this.buf). */
  private ensure(n: number): number {
    const need = this.length + n;
    if (need > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < need) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
    const o = this.length;
    this.length = need;
    return o;
  }
  u8(v: number): this {
    const o = this.ensure(1);
    this.buf[o] = v;
    return this;
  }
  u16(v: number): this {
    const o = this.ensure(2);
    writeU16(this.buf, o, v);
    return this;
  }
  u24(v: number): this {
    const o = this.ensure(3);
    writeU24(this.buf, o, v);
    return this;
  }
  u32(v: number): this {
    const o = this.ensure(4);
    writeU32(this.buf, o, v);
    return this;
  }
  u48(v: number): this {
    const o = this.ensure(6);
    writeU48(this.buf, o, v);
    return this;
  }
  bytes(b: Uint8Array): this {
    const o = this.ensure(b.length);
    this.buf.set(b, o);
    return this;
  }
  /** Writes `b` preceded by its length in `lenBytes` bytes. */
  vector(lenBytes: 1 | 2 | 3, b: Uint8Array): this {
    if (lenBytes === 1) this.u8(b.length);
    else if (lenBytes === 2) this.u16(b.length);
    else this.u24(b.length);
    return this.bytes(b);
  }
  /** Reserves a length field; call the returned function after writing the body to fill it in. */
  lengthPrefix(lenBytes: 1 | 2 | 3): () => void {
    const at = this.ensure(lenBytes);
    return () => {
      const n = this.length - at - lenBytes;
      if (lenBytes === 1) this.buf[at] = n;
      else if (lenBytes === 2) writeU16(this.buf, at, n);
      else writeU24(this.buf, at, n);
    };
  }
  /** A view of what was written (shares memory with the writer). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
  /** A copy of what was written, as a Buffer the caller owns. */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}

const HEX = "0123456789abcdef";
export function toHex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += HEX[b[i]! >> 4]! + HEX[b[i]! & 15]!;
  return s;
}
/** Parses hex, ignoring whitespace and ':' separators. Returns undefined on odd length or bad digits. */
export function fromHex(s: string): Uint8Array | undefined {
  const clean = s.replace(/[\s:]/g, "");
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) return undefined;
  return Uint8Array.from(Buffer.from(clean, "hex"));
}

/** Constant-time equality for MACs and fingerprints (length is not secret). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
