// Keyframe requests for received video streams: Picture Loss Indication (RFC 4585 6.3.1) and
// Full Intra Request (RFC 5104 3.5.1, 4.3.1, with its per-SSRC command sequence number), rate
// limited per media SSRC so that a depacketizer reporting many broken frames, or a NACK list
// overflowing repeatedly, costs one request per interval (at least `minIntervalMs`, or the RTT
// when that is longer, since the keyframe cannot arrive sooner).

export type KeyframeMethod = "pli" | "fir";

export interface KeyframeRequestStats {
  pliSent: number;
  firSent: number;
  /** Requests swallowed by the rate limit. */
  suppressed: number;
}

interface SourceState {
  lastAt: number;
  firSequence: number;
}

export class KeyframeRequester {
  private readonly minInterval: number;
  private readonly sources: Map<number, SourceState>;
  readonly stats: KeyframeRequestStats;

  constructor(minIntervalMs = 300) {
    this.minInterval = minIntervalMs;
    this.sources = new Map();
    this.stats = { pliSent: 0, firSent: 0, suppressed: 0 };
  }

  /**
   * Whether a request for `ssrc` may go out now; when it may, records it. For FIR, returns the
   * command sequence number to put in the FCI entry (a number), for PLI true; false when rate
   * limited.
   */
  request(ssrc: number, method: KeyframeMethod, now: number, rtt: number): number | boolean {
    let s = this.sources.get(ssrc);
    if (s === undefined) {
      s = { lastAt: Number.NEGATIVE_INFINITY, firSequence: 0 };
      this.sources.set(ssrc, s);
    }
    if (now - s.lastAt < Math.max(this.minInterval, rtt)) {
      this.stats.suppressed++;
      return false;
    }
    s.lastAt = now;
    if (method === "pli") {
      this.stats.pliSent++;
      return true;
    }
    this.stats.firSent++;
    const seq = s.firSequence;
    s.firSequence = (seq + 1) & 0xff;
    return seq;
  }

  /** Forgets a source (its stream ended). */
  remove(ssrc: number): void {
    this.sources.delete(ssrc);
  }
}
