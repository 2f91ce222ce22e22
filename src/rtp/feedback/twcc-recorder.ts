// Receive side of transport-wide congestion control (draft-holmer-rmcat-transport-wide-cc-
// extensions-01 sections 2 and 3): the arrival time of every packet carrying the transport-wide
// sequence number extension is recorded, and feedback covering everything since the previous
// feedback is built (with src/rtp/twcc.ts) every `intervalMs`, or sooner once `maxPending`
// packets wait. Bounded: the span of sequence numbers waiting is capped, older ones are dropped.
// A packet arriving after its sequence number was reported missing is reported again in the
// next feedback (with the ones after it); one older than the window is counted late and ignored.
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
  /** Arrival times (us) indexed by extended sequence modulo maxSpan, valid where extOf matches. */
  private readonly arrivals: Float64Array;
  private readonly extOf: Float64Array;
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
    this.arrivals = new Float64Array(this.maxSpan);
    this.extOf = new Float64Array(this.maxSpan).fill(-1);
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
      // Reported missing already: while its slot still holds the recent past, report again
      // from it (the sender turns "lost" into "late"); beyond that, ignore it.
      if (ext <= this.end - this.maxSpan) {
        this.stats.late++;
        return;
      }
      if (this.extOf[ext % this.maxSpan] === ext) {
        this.stats.duplicates++;
        return;
      }
      this.base = ext;
    }
    if (ext >= this.base + this.maxSpan) {
      // Slide the window: whatever falls out is forgotten unreported.
      const newBase = ext - this.maxSpan + 1;
      this.stats.evicted += Math.min(newBase, this.end) - this.base;
      this.base = newBase;
      if (this.end < newBase) this.end = newBase;
    }
    const i = ext % this.maxSpan;
    if (this.extOf[i] === ext) {
      this.stats.duplicates++;
      return;
    }
    this.extOf[i] = ext;
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
    // Slots keep their arrivals after being reported, so that a late packet can be reported
    // again with its neighbours (record() moves the base back to it).
    for (let s = this.base; s < this.end; s++) {
      const i = s % this.maxSpan;
      list.push({ sequence: s & 0xffff, arrivalUs: this.extOf[i] === s ? this.arrivals[i]! : undefined });
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
