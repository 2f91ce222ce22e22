// Receive side of transport-wide congestion control (draft-holmer-rmcat-transport-wide-cc-
// extensions-01 sections 2 and 3): the arrival time of every packet carrying the transport-wide
// sequence number extension is recorded, and feedback covering everything since the previous
// feedback is built (with src/rtp/twcc.ts) every `intervalMs`, or sooner once `maxPending`
// packets wait. Bounded: the span of sequence numbers waiting is capped, older ones are dropped.
// Packets arriving after their sequence number was reported are counted as late and ignored.
import { buildTwccFeedback, type TransportFeedback, type TwccArrival } from "../twcc.js";
import { SequenceUnwrapper } from "./sequence.js";

export interface TwccRecorderOptions {
  /** Feedback interval in ms (default 100). */
  intervalMs?: number;
  /** Send feedback early once this many packets wait (default 200). */
  maxPending?: number;
  /** The widest span of sequence numbers kept waiting (default 4096). */
  maxSpan?: number;
}

export interface TwccRecorderStats {
  recorded: number;
  late: number;
  duplicates: number;
  feedbackSent: number;
  /** Sequence numbers dropped from the window without being reported. */
  evicted: number;
}

export class TwccRecorder {
  private readonly interval: number;
  private readonly maxPending: number;
  private readonly maxSpan: number;
  private readonly unwrapper: SequenceUnwrapper;
  /** Arrival times (us) indexed by extended sequence modulo maxSpan; NaN when not received. */
  private readonly arrivals: Float64Array;
  /** The first extended sequence number not yet reported, and one past the highest received. */
  private base: number;
  private end: number;
  private pending: number;
  private started: boolean;
  private feedbackCount: number;
  private lastFeedbackAt: number;
  readonly stats: TwccRecorderStats;

  constructor(options: TwccRecorderOptions = {}) {
    this.interval = options.intervalMs ?? 100;
    this.maxPending = options.maxPending ?? 200;
    this.maxSpan = options.maxSpan ?? 4096;
    this.unwrapper = new SequenceUnwrapper();
    this.arrivals = new Float64Array(this.maxSpan).fill(Number.NaN);
    this.base = 0;
    this.end = 0;
    this.pending = 0;
    this.started = false;
    this.feedbackCount = 0;
    this.lastFeedbackAt = Number.NEGATIVE_INFINITY;
    this.stats = { recorded: 0, late: 0, duplicates: 0, feedbackSent: 0, evicted: 0 };
  }

  /** Records the arrival of transport-wide sequence number `seq` at `now` (ms). */
  record(seq: number, now: number): void {
    const ext = this.unwrapper.unwrap(seq);
    if (!this.started) {
      this.started = true;
      this.base = ext;
      this.end = ext;
      this.lastFeedbackAt = now;
    }
    if (ext < this.base) {
      this.stats.late++;
      return;
    }
    if (ext >= this.base + this.maxSpan) {
      // Slide the window: whatever falls out is forgotten unreported.
      const newBase = ext - this.maxSpan + 1;
      for (let s = this.base; s < Math.min(newBase, this.end); s++) {
        const i = s % this.maxSpan;
        if (!Number.isNaN(this.arrivals[i]!)) this.pending--;
        this.arrivals[i] = Number.NaN;
      }
      this.stats.evicted += newBase - this.base;
      this.base = newBase;
      if (this.end < newBase) this.end = newBase;
    }
    const i = ext % this.maxSpan;
    if (ext < this.end && !Number.isNaN(this.arrivals[i]!)) {
      this.stats.duplicates++;
      return;
    }
    this.arrivals[i] = now * 1000;
    this.pending++;
    this.stats.recorded++;
    if (ext >= this.end) this.end = ext + 1;
  }

  /** When feedback is next due (undefined: nothing waiting). */
  nextTimeout(): number | undefined {
    if (this.pending === 0) return undefined;
    if (this.pending >= this.maxPending) return this.lastFeedbackAt;
    return this.lastFeedbackAt + this.interval;
  }

  /** Feedback messages due at `now` (empty when none). */
  poll(now: number, senderSsrc: number, mediaSsrc: number): TransportFeedback[] {
    if (this.pending === 0) return [];
    if (this.pending < this.maxPending && now < this.lastFeedbackAt + this.interval) return [];
    return this.flush(now, senderSsrc, mediaSsrc);
  }

  /** Builds feedback for everything waiting, whatever the time. */
  flush(now: number, senderSsrc: number, mediaSsrc: number): TransportFeedback[] {
    if (this.pending === 0) return [];
    const list: TwccArrival[] = [];
    // Skip leading losses: feedback starts at a received packet (buildTwccFeedback skips them too,
    // but the base must not stay behind them for ever).
    for (let s = this.base; s < this.end; s++) {
      const i = s % this.maxSpan;
      const t = this.arrivals[i]!;
      list.push({ sequence: s & 0xffff, arrivalUs: Number.isNaN(t) ? undefined : t });
      this.arrivals[i] = Number.NaN;
    }
    this.base = this.end;
    this.pending = 0;
    this.lastFeedbackAt = now;
    const out = buildTwccFeedback({ senderSsrc, mediaSsrc, feedbackCount: this.feedbackCount, packets: list });
    this.feedbackCount = (this.feedbackCount + out.length) & 0xff;
    this.stats.feedbackSent += out.length;
    return out;
  }
}
