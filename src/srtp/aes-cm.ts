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

/** Counter-mode keystream under one session key and salt, for any (SSRC, index). */
export class AesCmKeystream {
  private readonly ecb: Cipher;
  /** IV = salt * 2^16, then SSRC and index XORed in (RFC 3711 4.1.1). */
  private readonly iv: Uint8Array;
  private readonly ivWords: Int32Array;
  private readonly salt: Uint8Array;
  private counters: Uint8Array;
  private counterWords: Int32Array;
  /** counterTail[j]: the platform-endian word holding block counter j in bytes 14 and 15. */
  private counterTail: Int32Array;

  constructor(key: Uint8Array, salt: Uint8Array) {
    this.ecb = createCipheriv(`aes-${key.length * 8}-ecb`, key, null);
    this.ecb.setAutoPadding(false);
    this.salt = Uint8Array.from(salt);
    this.iv = new Uint8Array(16);
    this.ivWords = new Int32Array(this.iv.buffer);
    this.counters = new Uint8Array(0);
    this.counterWords = new Int32Array(0);
    this.counterTail = new Int32Array(0);
    this.grow(96);
  }

  private grow(blocks: number): void {
    let n = Math.max(this.counterTail.length, 1);
    while (n < blocks) n *= 2;
    n = Math.min(n, MAX_BLOCKS);
    this.counters = new Uint8Array(n * 16);
    this.counterWords = new Int32Array(this.counters.buffer);
    this.counterTail = new Int32Array(n);
    const tmp = new Uint8Array(4);
    const tmpWord = new Int32Array(tmp.buffer);
    for (let j = 0; j < n; j++) {
      tmp[2] = j >>> 8;
      tmp[3] = j;
      this.counterTail[j] = tmpWord[0]!;
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
    if (blocks > this.counterTail.length) {
      if (blocks > MAX_BLOCKS) throw new RangeError("SRTP payload longer than the AES-CM counter space");
      this.grow(blocks);
    }
    const iv = this.iv;
    const s = this.salt;
    iv.set(s);
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
    const tail = this.counterTail;
    for (let j = 0, k = 0; j < blocks; j++, k += 4) {
      c[k] = w0;
      c[k + 1] = w1;
      c[k + 2] = w2;
      c[k + 3] = w3 | tail[j]!;
    }
    const ks = this.ecb.update(this.counters.subarray(0, blocks << 4));
    xorInto(buf, start, n, ks);
  }
}

/** buf[start, start+n) ^= ks[0, n), by 32-bit words when both are 4-byte aligned. */
export function xorInto(buf: Uint8Array, start: number, n: number, ks: Uint8Array): void {
  let i = 0;
  const at = buf.byteOffset + start;
  if (n >= 64 && (at & 3) === 0 && (ks.byteOffset & 3) === 0) {
    const words = n >>> 2;
    const a = new Int32Array(buf.buffer, at, words);
    const b = new Int32Array(ks.buffer, ks.byteOffset, words);
    for (let k = 0; k < words; k++) a[k] ^= b[k]!;
    i = words << 2;
  }
  for (; i < n; i++) buf[start + i]! ^= ks[i]!;
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
