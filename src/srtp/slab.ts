// Output memory for SRTP packets: packets are carved from a shared 32 KiB slab (like Node's
// Buffer pool), each placed so that its payload starts on an 8-byte boundary. The slab keeps a
// BigInt64Array over the same memory, so the AES-CM keystream is XORed 8 bytes at a time without
// creating typed-array views per packet (V8 compiles BigInt64Array XOR to 64-bit integer ops).
// A slab stays alive while any packet cut from it does, as with Node's pool.

const SLAB_SIZE = 32 * 1024;

export class PacketSlab {
  /** A Buffer over the whole slab, so packets cut from it are Buffers. */
  bytes: Buffer;
  words: BigInt64Array;
  private used: number;

  constructor() {
    const ab = new ArrayBuffer(SLAB_SIZE);
    this.bytes = Buffer.from(ab);
    this.words = new BigInt64Array(ab);
    this.used = 0;
  }

  /**
   * Reserves n bytes and returns their offset in `this.bytes`, chosen so that offset + align is
   * a multiple of 8. May switch to a new slab: read `bytes` and `words` after calling.
   */
  take(n: number, align: number): number {
    const skew = (8 - (align & 7)) & 7;
    let o = ((this.used + 7) & ~7) + skew;
    if (o + n > this.bytes.length) {
      const ab = new ArrayBuffer(Math.max(SLAB_SIZE, (n + skew + 7) & ~7));
      this.bytes = Buffer.from(ab);
      this.words = new BigInt64Array(ab);
      o = skew;
    }
    this.used = o + n;
    return o;
  }

  /** Gives back the space of the last take() (when the packet was rejected). */
  rewind(offset: number): void {
    if (offset < this.used) this.used = offset;
  }
}
