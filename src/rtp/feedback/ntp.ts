// NTP timestamps for RTCP (RFC 3550 section 4): a 64-bit fixed-point count of seconds since
// 1900, and its middle 32 bits ("compact" form, 1/65536 s) used by LSR/DLSR (6.4.1) and by XR
// RRT/DLRR (RFC 3611 4.4, 4.5), and a record of the ones we sent so that an echoed LSR or LRR
// that names none of them (stale or bogus) is not turned into an RTT. Cores never read a clock: NTP time is `now + ntpOffsetMs`,
// the offset chosen by the driver (see ntpOffsetFor) or a test.

/** Milliseconds between the NTP epoch (1900) and the Unix epoch (1970). */
export const NTP_UNIX_OFFSET_MS = 2_208_988_800_000;

export interface NtpTimestamp {
  seconds: number;
  fraction: number;
}

/** The 64-bit NTP timestamp (as two 32-bit halves) of a time in ms since 1900. */
export function ntpFromMs(ntpMs: number): NtpTimestamp {
  const secs = Math.floor(ntpMs / 1000);
  const fraction = Math.floor(((ntpMs - secs * 1000) / 1000) * 0x1_0000_0000);
  return { seconds: secs >>> 0, fraction: Math.min(fraction, 0xffffffff) >>> 0 };
}

/** The compact (middle 32 bits) NTP time of a time in ms since 1900. */
export function compactNtpFromMs(ntpMs: number): number {
  const units = Math.floor((ntpMs * 65536) / 1000);
  return (units % 0x1_0000_0000) >>> 0;
}

/** Milliseconds since 1900 of a 64-bit NTP timestamp (modulo the 2036 era). */
export function msFromNtp(seconds: number, fraction: number): number {
  return seconds * 1000 + (fraction / 0x1_0000_0000) * 1000;
}

/** A duration in compact NTP units (1/65536 s) from milliseconds, clamped to 32 bits. */
export function compactFromMs(ms: number): number {
  const v = Math.round((Math.max(0, ms) * 65536) / 1000);
  return Math.min(v, 0xffffffff);
}

/**
 * The offset a driver passes to the feedback chain so that `now + offset` is wall-clock NTP ms:
 * `wallClockMs` from Date.now() and `monotonicMs` from the same moment's monotonic clock.
 */
export function ntpOffsetFor(wallClockMs: number, monotonicMs: number): number {
  return wallClockMs + NTP_UNIX_OFFSET_MS - monotonicMs;
}

/** The compact NTP times of the last few SRs (or RRTs) we sent. */
export class SentNtpTimes {
  private readonly times: number[];
  private next: number;
  constructor(capacity = 16) {
    this.times = new Array<number>(capacity).fill(-1);
    this.next = 0;
  }
  add(compact: number): void {
    this.times[this.next] = compact >>> 0;
    this.next = (this.next + 1) % this.times.length;
  }
  has(compact: number): boolean {
    return compact !== 0 && this.times.includes(compact >>> 0);
  }
}
