// Reception statistics for one remote RTP source (RFC 3550): sequence number validation and
// extension (appendix A.1, without probation: SRTP authenticates packets, as in WebRTC), the
// report block figures (A.3: cumulative lost, fraction lost since the previous report, extended
// highest sequence number), interarrival jitter (6.4.1, A.8) and LSR/DLSR from the last sender
// report received (6.4.1). Retransmissions recovered through RTX are counted apart and do not
// hide losses from the sender (its congestion control wants loss before repair).
import type { ReportBlock, SenderReport } from "../rtcp.js";
import { ntpCompact } from "../rtcp.js";
import { compactFromMs } from "./ntp.js";

const RTP_SEQ_MOD = 0x10000;
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;

/** What `update` made of a packet's sequence number. */
export type SequenceVerdict = "in-order" | "reordered" | "restart" | "bad";

export interface InboundCounters {
  ssrc: number;
  packetsReceived: number;
  /** Cumulative lost as reported (expected - received; may be negative with duplicates). */
  packetsLost: number;
  /** Interarrival jitter in seconds. */
  jitter: number;
  payloadBytesReceived: number;
  headerBytesReceived: number;
  /** Packets recovered through RTX (not in packetsReceived). */
  retransmittedPacketsReceived: number;
  extendedHighestSequence: number;
  /** `now` of the last packet, or undefined. */
  lastPacketReceivedAt: number | undefined;
}

export class ReceptionStatistics {
  readonly ssrc: number;
  readonly clockRate: number;
  private started: boolean;
  private maxSeq: number;
  private cycles: number;
  private baseSeq: number;
  private badSeq: number;
  private received: number;
  private expectedPrior: number;
  private receivedPrior: number;
  /** Jitter estimate in RTP timestamp units (float; A.8 keeps it scaled by 16, same thing). */
  private jitterUnits: number;
  private haveTransit: boolean;
  private lastArrivalUnits: number;
  private lastRtpTimestamp: number;
  private payloadBytes: number;
  private headerBytes: number;
  private retransmitted: number;
  private lastPacketAt: number | undefined;
  /** Compact NTP of the last SR received (LSR) and when it arrived. */
  private lastSr: number;
  private lastSrArrival: number;

  constructor(ssrc: number, clockRate: number) {
    this.ssrc = ssrc >>> 0;
    this.clockRate = clockRate;
    this.started = false;
    this.maxSeq = 0;
    this.cycles = 0;
    this.baseSeq = 0;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.received = 0;
    this.expectedPrior = 0;
    this.receivedPrior = 0;
    this.jitterUnits = 0;
    this.haveTransit = false;
    this.lastArrivalUnits = 0;
    this.lastRtpTimestamp = 0;
    this.payloadBytes = 0;
    this.headerBytes = 0;
    this.retransmitted = 0;
    this.lastPacketAt = undefined;
    this.lastSr = 0;
    this.lastSrArrival = 0;
  }

  private initSeq(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.cycles = 0;
    this.received = 0;
    this.receivedPrior = 0;
    this.expectedPrior = 0;
  }

  /** RFC 3550 A.1 update_seq (probation 0). */
  private updateSeq(seq: number): SequenceVerdict {
    if (!this.started) {
      this.started = true;
      this.initSeq(seq);
      // A.1 sets max_seq = seq - 1 before counting the first packet; base is seq.
      this.received++;
      return "in-order";
    }
    const udelta = (seq - this.maxSeq) & 0xffff;
    if (udelta < MAX_DROPOUT) {
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD;
      this.maxSeq = seq;
      this.received++;
      return "in-order";
    }
    if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // A very large jump: a restart if the next packet follows this one, else ignore it.
      if (seq === this.badSeq) {
        this.initSeq(seq);
        this.received++;
        return "restart";
      }
      this.badSeq = (seq + 1) & 0xffff;
      return "bad";
    }
    // Duplicate or reordered packet.
    this.received++;
    return "reordered";
  }

  /**
   * Accounts for one packet of this source. `retransmission` marks a packet recovered from RTX:
   * it is counted apart and leaves sequence, loss and jitter figures alone.
   */
  update(
    seq: number,
    rtpTimestamp: number,
    now: number,
    payloadBytes: number,
    headerBytes: number,
    retransmission = false,
  ): SequenceVerdict {
    this.lastPacketAt = now;
    if (retransmission) {
      this.retransmitted++;
      this.payloadBytes += payloadBytes;
      this.headerBytes += headerBytes;
      return "reordered";
    }
    const verdict = this.updateSeq(seq & 0xffff);
    if (verdict === "bad") return verdict;
    this.payloadBytes += payloadBytes;
    this.headerBytes += headerBytes;
    // A.8: D(i-1,i) = (Rj - Ri) - (Sj - Si); J += (|D| - J) / 16. Timestamps wrap at 2^32.
    const arrival = (now * this.clockRate) / 1000;
    if (this.haveTransit && verdict !== "restart") {
      const tsDelta = (rtpTimestamp - this.lastRtpTimestamp) | 0;
      const d = Math.abs(arrival - this.lastArrivalUnits - tsDelta);
      this.jitterUnits += (d - this.jitterUnits) / 16;
    }
    this.haveTransit = true;
    this.lastArrivalUnits = arrival;
    this.lastRtpTimestamp = rtpTimestamp >>> 0;
    return verdict;
  }

  /** Records a sender report from this source (for LSR/DLSR). */
  handleSenderReport(sr: SenderReport, now: number): void {
    this.lastSr = ntpCompact(sr.ntpSeconds, sr.ntpFraction);
    this.lastSrArrival = now;
  }

  get extendedHighestSequence(): number {
    return this.cycles + this.maxSeq;
  }
  get hasReceived(): boolean {
    return this.started;
  }

  /** Cumulative packets lost (A.3), before clamping to 24 bits. */
  get cumulativeLost(): number {
    if (!this.started) return 0;
    const expected = this.extendedHighestSequence - this.baseSeq + 1;
    return expected - this.received;
  }

  /** Interarrival jitter in RTP timestamp units, as the report block carries it. */
  get jitter(): number {
    return Math.floor(this.jitterUnits);
  }

  /**
   * The report block for this source (A.3); advances the "since the previous report" state, so
   * call it once per report sent.
   */
  reportBlock(now: number): ReportBlock {
    const expected = this.started ? this.extendedHighestSequence - this.baseSeq + 1 : 0;
    const lost = expected - this.received;
    const expectedInterval = expected - this.expectedPrior;
    this.expectedPrior = expected;
    const receivedInterval = this.received - this.receivedPrior;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fraction =
      expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
    return {
      ssrc: this.ssrc,
      fractionLost: Math.min(255, fraction),
      packetsLost: Math.max(-0x800000, Math.min(0x7fffff, lost)),
      highestSequence: this.extendedHighestSequence >>> 0,
      jitter: this.jitter >>> 0,
      lastSr: this.lastSr,
      delaySinceLastSr: this.lastSr === 0 ? 0 : compactFromMs(now - this.lastSrArrival),
    };
  }

  counters(): InboundCounters {
    return {
      ssrc: this.ssrc,
      packetsReceived: this.received,
      packetsLost: this.cumulativeLost,
      jitter: this.jitterUnits / this.clockRate,
      payloadBytesReceived: this.payloadBytes,
      headerBytesReceived: this.headerBytes,
      retransmittedPacketsReceived: this.retransmitted,
      extendedHighestSequence: this.extendedHighestSequence,
      lastPacketReceivedAt: this.lastPacketAt,
    };
  }
}
