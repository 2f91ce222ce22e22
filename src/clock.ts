// The monotonic clock. Only drivers (src/net/) and the public API read it; cores are handed
// `now` (milliseconds, monotonic) as an argument and never read a clock themselves.
import { performance } from "node:perf_hooks";

/** Milliseconds on a monotonic clock (fractional). */
export function monotonicNow(): number {
  return performance.now();
}
