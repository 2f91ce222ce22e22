// The Ogg bitstream (RFC 3533): the page CRC (CRC-32, polynomial 0x04c11db7, MSB first, initial 0,
// no final xor; section 6), page headers (capture pattern, version, header type flags, 64-bit
// granule position, serial, sequence, CRC, segment table; section 6), lacing (section 5), a
// streaming page reader that resynchronises on the capture pattern, and a page serialiser.
import { readU32LE, writeU32LE } from "../../bytes/index.js";
import { ByteQueue } from "./byte-queue.js";

export const OGG_FLAG_CONTINUED = 0x01;
export const OGG_FLAG_BOS = 0x02;
export const OGG_FLAG_EOS = 0x04;
export const OGG_HEADER_SIZE = 27;
export const OGG_MAX_PAGE_SIZE = OGG_HEADER_SIZE + 255 + 255 * 255;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let k = 0; k < 8; k++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    t[i] = r >>> 0;
  }
  return t;
})();

/** Continues an Ogg CRC over b[start, end). Start with crc = 0. */
export function oggCrc(crc: number, b: Uint8Array, start = 0, end = b.length): number {
  for (let i = start; i < end; i++) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b[i]!) & 0xff]!) >>> 0;
  return crc;
}

/** The CRC of a whole page with its checksum field (bytes 22..25) taken as zero. */
export function oggPageCrc(page: Uint8Array): number {
  let c = oggCrc(0, page, 0, 22);
  c = oggCrc(c, ZERO4);
  return oggCrc(c, page, 26, page.length);
}
const ZERO4 = new Uint8Array(4);

export interface OggPage {
  flags: number;
  /** The granule position; -1 when no packet ends on this page. Other negatives are clamped to -1. */
  granule: number;
  serial: number;
  sequence: number;
  /** The lacing values. */
  segments: Uint8Array;
  /** The page body (a view, valid until the next poll). */
  body: Uint8Array;
}

function readGranule(b: Uint8Array, o: number): number {
  const lo = readU32LE(b, o);
  const hi = readU32LE(b, o + 4);
  if (hi >= 0x80000000) return -1; // -1 (no packet ends here) or another negative value
  if (hi >= 0x200000) return Number.MAX_SAFE_INTEGER; // beyond 2^53: keep it finite
  return hi * 0x1_0000_0000 + lo;
}

/** Reads one page at b[0]; undefined if incomplete; a reason if it is not a valid page. */
export function parseOggPage(b: Uint8Array): { page: OggPage; size: number } | { reason: string } | undefined {
  if (b.length < OGG_HEADER_SIZE) return undefined;
  if (b[0] !== 0x4f || b[1] !== 0x67 || b[2] !== 0x67 || b[3] !== 0x53) return { reason: "bad-capture" };
  if (b[4] !== 0) return { reason: "bad-version" };
  const n = b[26]!;
  if (b.length < OGG_HEADER_SIZE + n) return undefined;
  let bodyLen = 0;
  for (let i = 0; i < n; i++) bodyLen += b[OGG_HEADER_SIZE + i]!;
  const size = OGG_HEADER_SIZE + n + bodyLen;
  if (b.length < size) return undefined;
  const pageBytes = b.subarray(0, size);
  if (oggPageCrc(pageBytes) !== readU32LE(b, 22)) return { reason: "crc-mismatch" };
  return {
    page: {
      flags: b[5]!,
      granule: readGranule(b, 6),
      serial: readU32LE(b, 14),
      sequence: readU32LE(b, 18),
      segments: b.subarray(OGG_HEADER_SIZE, OGG_HEADER_SIZE + n),
      body: b.subarray(OGG_HEADER_SIZE + n, size),
    },
    size,
  };
}

export interface OggPageWrite {
  flags: number;
  granule: number;
  serial: number;
  sequence: number;
  segments: ArrayLike<number>;
  /** The body pieces in order; their total must equal the sum of the lacing values. */
  body: Uint8Array[];
}

/** Serialises a page with its CRC into a new buffer. */
export function writeOggPage(p: OggPageWrite): Uint8Array {
  const n = p.segments.length;
  let bodyLen = 0;
  for (const part of p.body) bodyLen += part.length;
  const out = new Uint8Array(OGG_HEADER_SIZE + n + bodyLen);
  out[0] = 0x4f;
  out[1] = 0x67;
  out[2] = 0x67;
  out[3] = 0x53;
  out[4] = 0;
  out[5] = p.flags;
  if (p.granule < 0) {
    writeU32LE(out, 6, 0xffffffff);
    writeU32LE(out, 10, 0xffffffff);
  } else {
    writeU32LE(out, 6, p.granule >>> 0);
    writeU32LE(out, 10, Math.floor(p.granule / 0x1_0000_0000));
  }
  writeU32LE(out, 14, p.serial);
  writeU32LE(out, 18, p.sequence);
  writeU32LE(out, 22, 0);
  out[26] = n;
  for (let i = 0; i < n; i++) out[OGG_HEADER_SIZE + i] = p.segments[i]!;
  let o = OGG_HEADER_SIZE + n;
  for (const part of p.body) {
    out.set(part, o);
    o += part.length;
  }
  writeU32LE(out, 22, oggPageCrc(out));
  return out;
}

export interface OggPageReaderStats {
  /** Bytes skipped while looking for a capture pattern (garbage or corrupt pages). */
  skippedBytes: number;
  /** Pages whose CRC did not match (skipped). */
  crcErrors: number;
}

/**
 * A streaming page reader. Corrupt pages and garbage are skipped (counted in stats) by searching
 * for the next "OggS", as RFC 3533 section 6 intends the capture pattern for.
 */
export class OggPageReader {
  private readonly queue: ByteQueue;
  private finished: boolean;
  private pendingConsume: number;
  overflow: boolean;
  readonly stats: OggPageReaderStats;
  constructor() {
    this.queue = new ByteQueue(4 * OGG_MAX_PAGE_SIZE);
    this.finished = false;
    this.pendingConsume = 0;
    this.overflow = false;
    this.stats = { skippedBytes: 0, crcErrors: 0 };
  }
  get offset(): number {
    return this.queue.consumed;
  }
  push(chunk: Uint8Array): void {
    this.release();
    if (!this.queue.push(chunk)) this.overflow = true;
  }
  finish(): void {
    this.finished = true;
  }
  /** True when input has ended and no complete page is left. */
  get ended(): boolean {
    return this.finished;
  }
  private release(): void {
    if (this.pendingConsume > 0) {
      this.queue.consume(this.pendingConsume);
      this.pendingConsume = 0;
    }
  }
  /** The next valid page (views valid until the next poll or push), or undefined. */
  poll(): OggPage | undefined {
    this.release();
    for (;;) {
      const b = this.queue.view();
      if (b.length < 4) {
        if (this.finished && b.length > 0) {
          this.stats.skippedBytes += b.length;
          this.queue.consume(b.length);
        }
        return undefined;
      }
      const r = parseOggPage(b);
      if (r === undefined && !this.finished) return undefined;
      if (r === undefined || "reason" in r) {
        // An incomplete page at the end of input is as bad as a corrupt one: look further on.
        if (r?.reason === "crc-mismatch") this.stats.crcErrors++;
        // Resynchronise on the next capture pattern.
        let i = 1;
        while (i + 3 < b.length && !(b[i] === 0x4f && b[i + 1] === 0x67 && b[i + 2] === 0x67 && b[i + 3] === 0x53)) i++;
        if (i + 3 >= b.length) i = Math.max(1, b.length - 3);
        this.stats.skippedBytes += i;
        this.queue.consume(i);
        continue;
      }
      this.pendingConsume = r.size;
      return r.page;
    }
  }
}
