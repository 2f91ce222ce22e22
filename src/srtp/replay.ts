// Replay protection for SRTP and SRTCP (RFC 3711 section 3.3.2): a sliding window of the most
// recent packet indices, kept as a circular bitmap so that a check and an update cost O(1) for
// in-order traffic. Indices are plain numbers (48-bit SRTP indices are exact in a double).
import { SrtpError } from "./profiles.js";

export const REPLAY_OK = 0;
export const REPLAY_DUPLICATE = 1;
export const REPLAY_TOO_OLD = 2;
export type ReplayVerdict = typeof REPLAY_OK | typeof REPLAY_DUPLICATE | typeof REPLAY_TOO_OLD;

export class ReplayWindow {
  /** Window size in packets (a power of two, at least 64). */
  readonly size: number;
  private readonly mask: number;
  private readonly bits: Uint32Array;
  /** The highest index accepted so far, or -1 before the first. */
  private top: number;

  constructor(size = 1024) {
    if (!Number.isInteger(size) || size < 64 || size > 1 << 20 || (size & (size - 1)) !== 0) {
      throw new SrtpError("ERR_SRTP_REPLAY_WINDOW", `replay window must be a power of two in [64, 2^20], got ${size}`);
    }
    this.size = size;
    this.mask = size - 1;
    this.bits = new Uint32Array(size >>> 5);
    this.top = -1;
  }

  get highest(): number {
    return this.top;
  }

  /** Whether a packet with this index may be accepted (call before authenticating or after). */
  check(index: number): ReplayVerdict {
    if (index > this.top) return REPLAY_OK;
    if (this.top - index >= this.size) return REPLAY_TOO_OLD;
    const pos = index & this.mask;
    return (this.bits[pos >>> 5]! >>> (pos & 31)) & 1 ? REPLAY_DUPLICATE : REPLAY_OK;
  }

  /** Records an index as received. Only call after the packet authenticated. */
  accept(index: number): void {
    if (index > this.top) {
      const advance = index - this.top;
      if (this.top < 0 || advance >= this.size) {
        this.bits.fill(0);
      } else {
        // Clear the slots of the indices skipped over (top+1 .. index).
        for (let i = this.top + 1; i <= index; i++) {
          const p = i & this.mask;
          this.bits[p >>> 5]! &= ~(1 << (p & 31));
        }
      }
      this.top = index;
    } else if (this.top - index >= this.size) {
      return;
    }
    const pos = index & this.mask;
    this.bits[pos >>> 5]! |= 1 << (pos & 31);
  }
}
