// CRC32c (Castagnoli) for the SCTP common header checksum: RFC 9260 section 6.8 and Appendix A.
// Table-driven, slicing-by-8 (eight 256-entry tables, 8 bytes per step). The checksum field
// carries the final value in little-endian byte order (the reflected CRC as RFC 9260 Appendix A
// describes it), which is what writeChecksum/readChecksum do.

const POLY = 0x82f63b78; // reflected Castagnoli polynomial

const T = new Int32Array(256 * 8);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  T[n] = c;
}
for (let n = 0; n < 256; n++) {
  let c = T[n]!;
  for (let t = 1; t < 8; t++) {
    c = T[c & 0xff]! ^ (c >>> 8);
    T[t * 256 + n] = c;
  }
}

/** CRC32c of b[start, end) as an unsigned 32-bit number. */
export function crc32c(b: Uint8Array, start = 0, end = b.length): number {
  let crc = -1;
  let i = start;
  const fast = end - ((end - i) & 7);
  while (i < fast) {
    const lo = crc ^ (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24));
    crc =
      T[1792 + (lo & 0xff)]! ^
      T[1536 + ((lo >>> 8) & 0xff)]! ^
      T[1280 + ((lo >>> 16) & 0xff)]! ^
      T[1024 + (lo >>> 24)]! ^
      T[768 + b[i + 4]!]! ^
      T[512 + b[i + 5]!]! ^
      T[256 + b[i + 6]!]! ^
      T[b[i + 7]!]!;
    i += 8;
  }
  while (i < end) crc = T[(crc ^ b[i++]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** CRC32c of an SCTP packet computed as if its checksum field (bytes 8..11) were zero. */
export function sctpChecksum(p: Uint8Array): number {
  const s0 = p[8]!;
  const s1 = p[9]!;
  const s2 = p[10]!;
  const s3 = p[11]!;
  p[8] = 0;
  p[9] = 0;
  p[10] = 0;
  p[11] = 0;
  const c = crc32c(p, 0, p.length);
  p[8] = s0;
  p[9] = s1;
  p[10] = s2;
  p[11] = s3;
  return c;
}

/** Reads the checksum field of an SCTP packet. */
export function readChecksum(p: Uint8Array): number {
  return (p[8]! | (p[9]! << 8) | (p[10]! << 16) | (p[11]! << 24)) >>> 0;
}

/** Writes `crc` into the checksum field of an SCTP packet. */
export function writeChecksum(p: Uint8Array, crc: number): void {
  p[8] = crc;
  p[9] = crc >>> 8;
  p[10] = crc >>> 16;
  p[11] = crc >>> 24;
}
