// Retransmission timer and congestion control for the single path WebRTC uses:
// RTO calculation per RFC 9260 6.3.1 (SRTT/RTTVAR with alpha 1/8, beta 1/4, clamped to
// [RTO.Min, RTO.Max]) and backoff per 6.3.3; cwnd/ssthresh per 7.2.1 (initial window and slow
// start), 7.2.2 (congestion avoidance with partial_bytes_acked), 7.2.3 (on T3 expiry) and 7.2.4
// (fast retransmit entering fast recovery).

export class RtoEstimator {
  srtt = 0;
  rttvar = 0;
  rto: number;
  private measured = false;

  constructor(
    readonly initial: number,
    readonly min: number,
    readonly max: number,
  ) {
    this.rto = initial;
  }

  /** A new RTT sample (only from chunks sent once: Karn's rule is the caller's). */
  measure(r: number): void {
    if (r < 0) return;
    if (!this.measured) {
      this.srtt = r;
      this.rttvar = r / 2;
      this.measured = true;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    // G (clock granularity) is taken as 1 ms when RTTVAR rounds to nothing.
    this.rto = Math.min(this.max, Math.max(this.min, this.srtt + Math.max(4 * this.rttvar, 1)));
  }

  backoff(): void {
    this.rto = Math.min(this.max, this.rto * 2);
  }
}

export class CongestionControl {
  cwnd: number;
  ssthresh: number;
  partialBytesAcked = 0;
  inFastRecovery = false;
  /** The highest TSN outstanding when fast recovery began (exit when it is acked). */
  recoveryPoint = 0;

  /** The path MTU (set by path MTU discovery as it changes). */
  mtu: number;

  constructor(mtu: number, initialSsthresh: number) {
    this.mtu = mtu;
    // RFC 9260 7.2.1: min(4 * MTU, max(2 * MTU, 4404)).
    this.cwnd = Math.min(4 * mtu, Math.max(2 * mtu, 4404));
    this.ssthresh = initialSsthresh;
  }

  /** Called when the cumulative TSN advanced by `bytesAcked`; `fullyUsed` if flight was near cwnd. */
  onCumAdvance(bytesAcked: number, fullyUsed: boolean): void {
    if (this.inFastRecovery) return;
    if (this.cwnd <= this.ssthresh) {
      if (fullyUsed) this.cwnd += Math.min(bytesAcked, this.mtu);
      return;
    }
    this.partialBytesAcked += bytesAcked;
    if (this.partialBytesAcked >= this.cwnd && fullyUsed) {
      this.partialBytesAcked -= this.cwnd;
      this.cwnd += this.mtu;
    }
  }

  /** Nothing left in flight (7.2.2: partial_bytes_acked goes to 0). */
  onIdle(): void {
    this.partialBytesAcked = 0;
  }

  /** Fast retransmit (7.2.4): halve once per recovery. */
  onFastRetransmit(highestOutstanding: number): void {
    if (this.inFastRecovery) return;
    this.ssthresh = Math.max(this.cwnd >>> 1, 4 * this.mtu);
    this.cwnd = this.ssthresh;
    this.partialBytesAcked = 0;
    this.inFastRecovery = true;
    this.recoveryPoint = highestOutstanding;
  }

  /** T3-rtx expiry (7.2.3). */
  onTimeout(): void {
    this.ssthresh = Math.max(this.cwnd >>> 1, 4 * this.mtu);
    this.cwnd = this.mtu;
    this.partialBytesAcked = 0;
    this.inFastRecovery = false;
  }
}
