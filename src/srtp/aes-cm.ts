// AES Counter Mode keystream for SRTP and SRTCP (RFC 3711 section 4.1.1) and the HMAC-SHA1
// transform (RFC 3711 section 4.2, 3.3 and 3.4: authenticated portion || ROC for SRTP,
// authenticated portion with E flag and SRTCP index for SRTCP).
//
// Speed: one long-lived `aes-128-ecb` cipher (no per-packet cipher setup) encrypts all of a
// packet's counter blocks in one update(); the counter blocks are written as four 32-bit words
// each into a reusable scratch buffer, and the keystream is XORed in 32-bit words when both
// buffers are aligned. See ARCHITECTURE.md "Crypto" and bench/srtp.ts.
import { type Cipher, createCipheriv, createHmac } from "node:crypto";

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
  constructor(ssrc: number) {
    this.ssrc = ssrc;
    this.first = -1;
    this.count = 0;
    this.stride = 0;
    this.data = EMPTY_BYTES;
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
    this.grow(BATCH_PACKETS * (BATCH_MAX_STRIDE >>> 4));
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
   */
  xor(buf: Uint8Array, start: number, end: number, ssrc: number, roc: number, seq: number): void {
    const n = end - start;
    if (n <= 0) return;
    const blocks = (n + 15) >>> 4;
    if (blocks > MAX_BLOCKS) throw new RangeError("SRTP payload longer than the AES-CM counter space");
    if (this.batching && n <= BATCH_MAX_STRIDE) {
      const index = roc * 0x10000 + seq;
      let b = this.batches.get(ssrc);
      if (b !== undefined && index >= b.first && index < b.first + b.count && n <= b.stride) {
        xorInto(buf, start, n, b.data, (index - b.first) * b.stride);
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
        xorInto(buf, start, n, b.data, 0);
        return;
      }
    }
    if (blocks > this.counterWords.length >>> 2) this.grow(blocks);
    this.writeCounters(0, blocks, ssrc, roc, seq);
    const ks = this.ecb.update(this.counters.subarray(0, blocks << 4));
    xorInto(buf, start, n, ks, 0);
  }

  private fillBatch(b: Batch, ssrc: number, first: number, stride: number): void {
    const per = stride >>> 4;
    let index = first;
    for (let k = 0; k < BATCH_PACKETS; k++, index++) {
      const roc = Math.floor(index / 0x10000);
      this.writeCounters(k * per, per, ssrc, roc >>> 0, index & 0xffff);
    }
    b.data = this.ecb.update(this.counters.subarray(0, BATCH_PACKETS * stride));
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

/** buf[start, start+n) ^= ks[from, from+n), by 32-bit words when both are 4-byte aligned. */
export function xorInto(buf: Uint8Array, start: number, n: number, ks: Uint8Array, from: number): void {
  let i = 0;
  const at = buf.byteOffset + start;
  const kat = ks.byteOffset + from;
  if (n >= 64 && (at & 3) === 0 && (kat & 3) === 0) {
    const words = n >>> 2;
    const a = new Int32Array(buf.buffer, at, words);
    const b = new Int32Array(ks.buffer, kat, words);
    for (let k = 0; k < words; k++) a[k] ^= b[k]!;
    i = words << 2;
  }
  for (; i < n; i++) buf[start + i]! ^= ks[from + i]!;
}

/** HMAC-SHA1 over `data[0, end)` followed by a 32-bit big-endian trailer word (SRTP: the ROC). */
export class HmacSha1 {
  private readonly key: Uint8Array;
  private readonly word: Uint8Array;
  constructor(key: Uint8Array) {
    this.key = Uint8Array.from(key);
    this.word = new Uint8Array(4);
  }
  /** The full 20-byte MAC of data[0, end) || word (word omitted when `withWord` is false). */
  mac(data: Uint8Array, end: number, word: number, withWord: boolean): Uint8Array {
    const h = createHmac("sha1", this.key);
    h.update(data.subarray(0, end));
    if (withWord) {
      const w = this.word;
      w[0] = word >>> 24;
      w[1] = word >>> 16;
      w[2] = word >>> 8;
      w[3] = word;
      h.update(w);
    }
    return h.digest();
  }
}

/** Compares the first `n` bytes of a MAC with a received tag without an early exit. */
export function tagMatches(mac: Uint8Array, data: Uint8Array, at: number, n: number): boolean {
  let diff = 0;
  for (let i = 0; i < n; i++) diff |= mac[i]! ^ data[at + i]!;
  return diff === 0;
}
