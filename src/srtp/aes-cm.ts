// AES Counter Mode keystream for SRTP and SRTCP (RFC 3711 section 4.1.1), and the constant-time
// tag comparison used with HMAC-SHA1 (hmac-sha1.ts).
//
// Speed: one long-lived `aes-128-ecb` cipher (no per-packet cipher setup) encrypts counter
// blocks, written as four 32-bit words each into a reusable scratch buffer; packets of a stream
// with consecutive indices share one update() per batch of 16; the keystream is XORed 8 bytes
// at a time through BigInt64Array views (slab.ts) when both sides are aligned.
// See ARCHITECTURE.md "Crypto" and bench/srtp.ts.
import { type Cipher, createCipheriv } from "node:crypto";
import { SrtpError } from "./profiles.js";

const MAX_BLOCKS = 0x10000; // the 16-bit block counter: 1 MiB of keystream per packet at most
/** Whether typed arrays are little-endian here (the counter words are built as native words). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Keystream precomputed for consecutive packet indices of one SSRC. */
class Batch {
  ssrc: number;
  /** 48-bit index of the first packet (roc * 2^16 + seq). */
  first: number;
  count: number;
  /** Bytes of keystream per packet (a multiple of 16). */
  stride: number;
  data: Uint8Array;
  /** 64-bit view of `data` when it is 8-byte aligned. */
  words: BigInt64Array | undefined;
  constructor(ssrc: number) {
    this.ssrc = ssrc;
    this.first = -1;
    this.count = 0;
    this.stride = 0;
    this.data = EMPTY_BYTES;
    this.words = undefined;
  }
}
const EMPTY_BYTES = new Uint8Array(0);

/** Packets per precomputed batch, the largest packet batched, and how many SSRCs keep one. */
const BATCH_PACKETS = 16;
const BATCH_MAX_STRIDE = 1520;
const BATCH_STREAMS = 32;

/**
 * Counter-mode keystream under one session key and salt, for any (SSRC, index). Packets of a
 * stream usually arrive (or are sent) with consecutive indices, so when a packet misses the
 * current batch, the keystream of the next BATCH_PACKETS indices is produced in one update():
 * the per-call cost of OpenSSL is paid once per batch instead of once per packet.
 */
export class AesCmKeystream {
  private readonly ecb: Cipher;
  /** IV = salt * 2^16, then SSRC and index XORed in (RFC 3711 4.1.1). */
  private readonly iv: Uint8Array;
  private readonly ivWords: Int32Array;
  private readonly salt: Uint8Array;
  private counters: Uint8Array;
  private counterWords: Int32Array;
  private readonly batches: Map<number, Batch>;
  private readonly batching: boolean;

  constructor(key: Uint8Array, salt: Uint8Array, batching = true) {
    this.ecb = createCipheriv(`aes-${key.length * 8}-ecb`, key, null);
    this.ecb.setAutoPadding(false);
    this.salt = Uint8Array.from(salt);
    this.iv = new Uint8Array(16);
    this.ivWords = new Int32Array(this.iv.buffer);
    this.counters = new Uint8Array(0);
    this.counterWords = new Int32Array(0);
    this.batches = new Map();
    this.batching = batching;
    this.grow(batching ? BATCH_PACKETS * (BATCH_MAX_STRIDE >>> 4) : 96);
  }

  /** Makes the counter scratch hold at least `blocks` blocks. */
  private grow(blocks: number): void {
    let n = Math.max(this.counterWords.length >>> 2, 64);
    while (n < blocks) n *= 2;
    this.counters = new Uint8Array(n * 16);
    this.counterWords = new Int32Array(this.counters.buffer);
  }

  /** Writes the counter blocks of packet (ssrc, roc, seq) at block `at` of the scratch. */
  private writeCounters(at: number, blocks: number, ssrc: number, roc: number, seq: number): void {
    const iv = this.iv;
    iv.set(this.salt);
    iv[4]! ^= ssrc >>> 24;
    iv[5]! ^= ssrc >>> 16;
    iv[6]! ^= ssrc >>> 8;
    iv[7]! ^= ssrc;
    iv[8]! ^= roc >>> 24;
    iv[9]! ^= roc >>> 16;
    iv[10]! ^= roc >>> 8;
    iv[11]! ^= roc;
    iv[12]! ^= seq >>> 8;
    iv[13]! ^= seq;
    iv[14] = 0;
    iv[15] = 0;
    const w = this.ivWords;
    const w0 = w[0]!;
    const w1 = w[1]!;
    const w2 = w[2]!;
    const w3 = w[3]!;
    const c = this.counterWords;
    // The block counter j goes in bytes 14 and 15 (big-endian) of the last word.
    for (let j = 0, k = at << 2; j < blocks; j++, k += 4) {
      c[k] = w0;
      c[k + 1] = w1;
      c[k + 2] = w2;
      c[k + 3] = w3 | (LITTLE_ENDIAN ? ((j & 0xff00) << 8) | ((j & 0xff) << 24) : j);
    }
  }

  /**
   * Encrypts (or decrypts) `buf[start, end)` in place with the keystream of packet index
   * `roc * 2^16 + seq` of stream `ssrc`. For SRTCP pass roc = index >>> 16, seq = index & 0xffff.
   * `bufWords`, when given, is a BigInt64Array over the same memory as `buf` with the same origin.
   */
  xor(
    buf: Uint8Array,
    start: number,
    end: number,
    ssrc: number,
    roc: number,
    seq: number,
    bufWords?: BigInt64Array,
  ): void {
    const n = end - start;
    if (n <= 0) return;
    const blocks = (n + 15) >>> 4;
    if (blocks > MAX_BLOCKS) throw new SrtpError("ERR_SRTP_TOO_LONG", "payload longer than the AES-CM counter space");
    if (this.batching && n <= BATCH_MAX_STRIDE) {
      const index = roc * 0x10000 + seq;
      let b = this.batches.get(ssrc);
      if (b !== undefined && index >= b.first && index < b.first + b.count && n <= b.stride) {
        xorInto(buf, bufWords, start, n, b.data, b.words, (index - b.first) * b.stride);
        return;
      }
      if (b === undefined) {
        if (this.batches.size >= BATCH_STREAMS) this.batches.delete(this.batches.keys().next().value!);
        b = new Batch(ssrc);
        this.batches.set(ssrc, b);
      }
      // Start a new batch, unless this is an old packet arriving late: keep the batch for the rest.
      if (index >= b.first) {
        const stride = Math.max(blocks << 4, index > b.first && b.stride > 0 ? b.stride : 0);
        this.fillBatch(b, ssrc, index, stride);
        xorInto(buf, bufWords, start, n, b.data, b.words, 0);
        return;
      }
    }
    if (blocks > this.counterWords.length >>> 2) this.grow(blocks);
    this.writeCounters(0, blocks, ssrc, roc, seq);
    const ks = this.ecb.update(this.counters.subarray(0, blocks << 4));
    xorInto(buf, bufWords, start, n, ks, wordsOf(ks), 0);
  }

  private fillBatch(b: Batch, ssrc: number, first: number, stride: number): void {
    const per = stride >>> 4;
    let index = first;
    for (let k = 0; k < BATCH_PACKETS; k++, index++) {
      const roc = Math.floor(index / 0x10000);
      this.writeCounters(k * per, per, ssrc, roc >>> 0, index & 0xffff);
    }
    b.data = this.ecb.update(this.counters.subarray(0, BATCH_PACKETS * stride));
    b.words = wordsOf(b.data);
    b.first = first;
    b.count = BATCH_PACKETS;
    b.stride = stride;
  }

  /** Forgets precomputed keystream of an SSRC (or all). */
  forget(ssrc?: number): void {
    if (ssrc === undefined) this.batches.clear();
    else this.batches.delete(ssrc);
  }
}

/** A BigInt64Array over `b` when it starts on an 8-byte boundary. */
function wordsOf(b: Uint8Array): BigInt64Array | undefined {
  return (b.byteOffset & 7) === 0 ? new BigInt64Array(b.buffer, b.byteOffset, b.length >>> 3) : undefined;
}

/**
 * dst[start, start+n) ^= src[from, from+n). With 64-bit views of both (same origins as the byte
 * arrays) and 8-byte aligned offsets, XORs 8 bytes at a time; else 4 at a time when aligned;
 * else byte by byte.
 */
export function xorInto(
  dst: Uint8Array,
  dstWords: BigInt64Array | undefined,
  start: number,
  n: number,
  src: Uint8Array,
  srcWords: BigInt64Array | undefined,
  from: number,
): void {
  let i = 0;
  if (dstWords !== undefined && srcWords !== undefined && ((start | from) & 7) === 0) {
    const words = n >>> 3;
    let a = start >>> 3;
    let b = from >>> 3;
    const pairs = a + (words & ~1);
    for (; a < pairs; a += 2, b += 2) {
      dstWords[a]! ^= srcWords[b]!;
      dstWords[a + 1]! ^= srcWords[b + 1]!;
    }
    if (words & 1) dstWords[a]! ^= srcWords[b]!;
    i = words << 3;
  } else {
    const at = dst.byteOffset + start;
    const kat = src.byteOffset + from;
    if (n >= 64 && (at & 3) === 0 && (kat & 3) === 0) {
      const words = n >>> 2;
      const a = new Int32Array(dst.buffer, at, words);
      const b = new Int32Array(src.buffer, kat, words);
      for (let k = 0; k < words; k++) a[k]! ^= b[k]!;
      i = words << 2;
    }
  }
  for (; i < n; i++) dst[start + i]! ^= src[from + i]!;
}

/** Compares the first `n` bytes of a MAC with a received tag without an early exit. */
export function tagMatches(mac: Uint8Array, data: Uint8Array, at: number, n: number): boolean {
  let diff = 0;
  for (let i = 0; i < n; i++) diff |= mac[i]! ^ data[at + i]!;
  return diff === 0;
}
