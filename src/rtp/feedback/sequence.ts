// Sequence-number arithmetic shared by the feedback stages: 16-bit RTP and transport-wide
// sequence numbers extended to a monotonic count of cycles (RFC 3550 A.1 "extended highest
// sequence number"), with wrap-around detected by the shortest distance modulo 2^16.

/**
 * Extends a 16-bit sequence number to the extended value closest to `reference` (an extended
 * number seen before). Works across wrap-around in both directions.
 */
export function extendSequence(seq: number, reference: number): number {
  const delta = (((seq & 0xffff) - (reference & 0xffff) + 0x8000) & 0xffff) - 0x8000;
  return reference + delta;
}

/** Tracks the highest extended sequence number of a stream and extends new ones against it. */
export class SequenceUnwrapper {
  private highest: number;
  private started: boolean;
  constructor() {
    this.highest = 0;
    this.started = false;
  }
  /** The extended value of `seq`; advances the highest seen when it is newer. */
  unwrap(seq: number): number {
    if (!this.started) {
      this.started = true;
      // Start one cycle in so that packets a little older than the first stay positive.
      this.highest = 0x10000 + (seq & 0xffff);
      return this.highest;
    }
    const ext = extendSequence(seq, this.highest);
    if (ext > this.highest) this.highest = ext;
    return ext;
  }
  /** The extended value of `seq` without recording it (undefined before the first packet). */
  peek(seq: number): number | undefined {
    return this.started ? extendSequence(seq, this.highest) : undefined;
  }
}
