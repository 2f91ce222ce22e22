// TSN serial-number arithmetic (RFC 9260 1.6, RFC 1982 with SERIAL_BITS = 32) and the receiver's
// TSN bookkeeping (RFC 9260 6.2, 6.7): the cumulative TSN, a bounded, sorted list of out-of-order
// ranges that becomes the SACK's gap ack blocks, the duplicates to report, and per-TSN byte counts
// so that the advertised window shrinks while out-of-order data is held.

/** a - b as a signed 32-bit serial difference. */
export function tsnDiff(a: number, b: number): number {
  return (a - b) | 0;
}
export function tsnLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
export function tsnLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}
export function tsnAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** How far past the cumulative TSN a DATA chunk may be and still be kept. */
export const MAX_TSN_AHEAD = 65535;
/** Out-of-order ranges kept at most; a TSN that would open one more is dropped (and resent). */
export const MAX_RANGES = 256;
export const MAX_DUPS = 32;

export const ADD_NEW = 0;
export const ADD_DUPLICATE = 1;
export const ADD_TOO_FAR = 2;

export class ReceivedTsns {
  /** The cumulative TSN: every TSN up to it has been received (or skipped by FORWARD TSN). */
  cum: number;
  /** Sorted disjoint ranges above cum+1, flattened [start, end, ...] (absolute TSNs). */
  readonly ranges: number[] = [];
  /** Payload bytes held in each range (parallel to ranges: one entry per range). */
  private readonly rangeBytes: number[] = [];
  readonly dups: number[] = [];
  /** Payload bytes of TSNs held above cum (they shrink the advertised window). */
  aheadBytes = 0;

  constructor(initialTsn: number) {
    this.cum = (initialTsn - 1) >>> 0;
  }

  /** Highest TSN received (cum when there is no gap). */
  get highest(): number {
    return this.ranges.length ? this.ranges[this.ranges.length - 1]! : this.cum;
  }

  hasGaps(): boolean {
    return this.ranges.length > 0;
  }

  /** Whether `tsn` is already received (at or below cum, or inside a range). */
  has(tsn: number): boolean {
    if (tsnLe(tsn, this.cum)) return true;
    const r = this.ranges;
    for (let i = r.length - 2; i >= 0; i -= 2) {
      if (tsnLt(tsn, r[i]!)) continue;
      return tsnLe(tsn, r[i + 1]!);
    }
    return false;
  }

  /** Records a received TSN carrying `bytes` of payload. */
  add(tsn: number, bytes: number): number {
    const d = tsnDiff(tsn, this.cum);
    if (d <= 0) {
      this.dup(tsn);
      return ADD_DUPLICATE;
    }
    if (d > MAX_TSN_AHEAD) return ADD_TOO_FAR;
    const r = this.ranges;
    const rb = this.rangeBytes;
    if (d === 1) {
      this.cum = tsn;
      if (r.length && r[0] === (tsn + 1) >>> 0) this.absorbFirstRange();
      return ADD_NEW;
    }
    // Out of order: find the range it belongs to, scanning from the end (the usual place).
    let i = r.length - 2;
    while (i >= 0 && tsnLt(tsn, r[i]!)) i -= 2;
    // Now r[i] <= tsn (or i < 0) and every range after i starts above tsn.
    if (i >= 0 && tsnLe(tsn, r[i + 1]!)) {
      this.dup(tsn);
      return ADD_DUPLICATE;
    }
    const joinsPrev = i >= 0 && r[i + 1] === (tsn - 1) >>> 0;
    const joinsNext = i + 2 < r.length && r[i + 2] === (tsn + 1) >>> 0;
    const k = i >> 1; // index of range i in rangeBytes
    if (joinsPrev && joinsNext) {
      r[i + 1] = r[i + 3]!;
      r.splice(i + 2, 2);
      rb[k] = rb[k]! + bytes + rb[k + 1]!;
      rb.splice(k + 1, 1);
    } else if (joinsPrev) {
      r[i + 1] = tsn;
      rb[k] = rb[k]! + bytes;
    } else if (joinsNext) {
      r[i + 2] = tsn;
      rb[k + 1] = rb[k + 1]! + bytes;
    } else {
      if (r.length >= MAX_RANGES * 2) return ADD_TOO_FAR;
      r.splice(i + 2, 0, tsn, tsn);
      rb.splice(k + 1, 0, bytes);
    }
    this.aheadBytes += bytes;
    return ADD_NEW;
  }

  /** FORWARD TSN: everything up to newCum counts as received. Returns false if it is not ahead. */
  forward(newCum: number): boolean {
    if (tsnLe(newCum, this.cum)) return false;
    const r = this.ranges;
    const rb = this.rangeBytes;
    // Ranges that start at or below newCum are released whole: one that reaches past newCum
    // continues the new cumulative TSN, so all of it is in sequence now.
    let end = newCum;
    while (r.length && tsnLe(r[0]!, (end + 1) >>> 0)) {
      if (tsnLt(end, r[1]!)) end = r[1]!;
      this.aheadBytes -= rb[0]!;
      r.splice(0, 2);
      rb.splice(0, 1);
    }
    this.cum = end;
    return true;
  }

  private absorbFirstRange(): void {
    const r = this.ranges;
    this.aheadBytes -= this.rangeBytes[0]!;
    this.cum = r[1]!;
    r.splice(0, 2);
    this.rangeBytes.splice(0, 1);
  }

  private dup(tsn: number): void {
    if (this.dups.length < MAX_DUPS) this.dups.push(tsn);
  }
}
