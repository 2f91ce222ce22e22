// NACK generation for one received RTP stream (RFC 4585 sections 3.4 and 6.2.1): sequence
// numbers missing from the stream are tracked in a bounded list; a hole is reported once it is
// more than `reorderTolerance` packets behind the highest received (or has been missing for
// `reorderDelayMs`), so that ordinary reordering costs no NACK; the other holes of the same gap
// (one burst) ride along in that NACK. Each entry is re-requested at
// most once per RTT, and dropped after `maxRetries` requests or `maxAgeMs`. When a gap would
// overflow the list, the list is cleared and the caller is told to ask for a keyframe instead
// (RFC 4585 6.3.1: a PLI repairs what NACKs no longer can).
import { SequenceUnwrapper } from "./sequence.js";

export interface NackOptions {
  /** Packets a hole may trail the highest received before it is NACKed (default 3). */
  reorderTolerance?: number;
  /** A hole is NACKed after this long even within the tolerance (default 50 ms). */
  reorderDelayMs?: number;
  /** Requests per lost packet before giving up (default 10). */
  maxRetries?: number;
  /** A lost packet older than this is given up (default 1500 ms). */
  maxAgeMs?: number;
  /** The most holes tracked; a bigger loss clears the list and asks for a keyframe (default 1000). */
  maxEntries?: number;
  /** Floor of the spacing between two requests for the same packet (default 20 ms). */
  minRetryIntervalMs?: number;
}

export interface NackStats {
  /** Sequence numbers requested (each retry counts). */
  requested: number;
  /** Holes filled after being tracked. */
  recovered: number;
  /** Holes given up after maxRetries or maxAgeMs. */
  givenUp: number;
  /** Times the list was cleared for a keyframe request. */
  overflows: number;
}

interface Entry {
  /** Which gap revealed it: holes of one gap are one burst of loss. */
  gap: number;
  detectedAt: number;
  sentAt: number;
  retries: number;
}

export class NackGenerator {
  private readonly tolerance: number;
  private readonly reorderDelay: number;
  private readonly maxRetries: number;
  private readonly maxAge: number;
  private readonly maxEntries: number;
  private readonly minInterval: number;
  private readonly unwrapper: SequenceUnwrapper;
  /** Missing extended sequence numbers in ascending order (Map keeps insertion order). */
  private readonly missing: Map<number, Entry>;
  private highest: number;
  private started: boolean;
  /** Earliest time collect() may have something to do (a hint; spurious wake-ups are harmless). */
  private deadline: number;
  /** The lowest hole not yet requested (a lower bound: removals do not raise it). */
  private lowestUnsent: number;
  private gaps: number;
  readonly stats: NackStats;

  constructor(options: NackOptions = {}) {
    this.tolerance = options.reorderTolerance ?? 3;
    this.reorderDelay = options.reorderDelayMs ?? 50;
    this.maxRetries = options.maxRetries ?? 10;
    this.maxAge = options.maxAgeMs ?? 1500;
    this.maxEntries = options.maxEntries ?? 1000;
    this.minInterval = options.minRetryIntervalMs ?? 20;
    this.unwrapper = new SequenceUnwrapper();
    this.missing = new Map();
    this.highest = 0;
    this.started = false;
    this.deadline = Number.POSITIVE_INFINITY;
    this.lowestUnsent = Number.POSITIVE_INFINITY;
    this.gaps = 0;
    this.stats = { requested: 0, recovered: 0, givenUp: 0, overflows: 0 };
  }

  /** Holes currently tracked. */
  get size(): number {
    return this.missing.size;
  }

  /** Forgets everything (stream restart). */
  reset(): void {
    this.missing.clear();
    this.started = false;
    this.deadline = Number.POSITIVE_INFINITY;
    this.lowestUnsent = Number.POSITIVE_INFINITY;
  }

  /**
   * Accounts for a received (or recovered) packet. Returns true when the gap it reveals is too
   * big to repair with NACKs: the list was cleared and a keyframe should be requested.
   */
  onPacket(seq: number, now: number): boolean {
    if (!this.started) {
      this.started = true;
      this.highest = this.unwrapper.unwrap(seq);
      return false;
    }
    const ext = this.unwrapper.unwrap(seq);
    if (ext <= this.highest) {
      if (this.missing.delete(ext)) this.stats.recovered++;
      return false;
    }
    const gap = ext - this.highest - 1;
    const prev = this.highest;
    this.highest = ext;
    if (gap > 0) {
      if (gap + this.missing.size > this.maxEntries) {
        this.missing.clear();
        this.stats.overflows++;
        this.lowestUnsent = Number.POSITIVE_INFINITY;
        this.deadline = Number.POSITIVE_INFINITY;
        return true;
      }
      const id = this.gaps++;
      for (let s = prev + 1; s < ext; s++) this.missing.set(s, { gap: id, detectedAt: now, sentAt: -1, retries: 0 });
      if (prev + 1 < this.lowestUnsent) this.lowestUnsent = prev + 1;
      this.deadline = Math.min(this.deadline, now + this.reorderDelay);
    }
    // A hole now far enough behind the highest is due at once.
    if (this.lowestUnsent < this.highest - this.tolerance) this.deadline = Math.min(this.deadline, now);
    return false;
  }

  /**
   * Accounts for a retransmitted packet: it can only fill a hole, never move the highest
   * sequence number (an RTX packet naming a future OSN is bogus).
   */
  onRecovered(seq: number): void {
    const ext = this.unwrapper.peek(seq);
    if (ext !== undefined && this.missing.delete(ext)) this.stats.recovered++;
  }

  /** When collect() next may have sequence numbers to request (undefined: nothing tracked). */
  nextTimeout(): number | undefined {
    return this.missing.size === 0 || this.deadline === Number.POSITIVE_INFINITY ? undefined : this.deadline;
  }

  /**
   * The 16-bit sequence numbers to request now, ascending; gives up on exhausted entries. `rtt`
   * spaces the retries of one packet.
   */
  collect(now: number, rtt: number): number[] {
    const out: number[] = [];
    const interval = Math.max(this.minInterval, rtt);
    let next = Number.POSITIVE_INFINITY;
    let lowestUnsent = Number.POSITIVE_INFINITY;
    const limit = this.highest - this.tolerance;
    // Once the first hole of a gap is due, the rest of that gap (a burst lost together, not
    // reordered) goes in the same NACK rather than one NACK per later packet.
    let dueGap = -1;
    for (const [seq, e] of this.missing) {
      if (now - e.detectedAt >= this.maxAge || e.retries >= this.maxRetries) {
        this.missing.delete(seq);
        this.stats.givenUp++;
        continue;
      }
      let due: number;
      if (e.sentAt < 0) due = seq < limit || e.gap === dueGap ? now : e.detectedAt + this.reorderDelay;
      else due = e.sentAt + interval;
      if (due <= now) {
        out.push(seq & 0xffff);
        e.sentAt = now;
        e.retries++;
        this.stats.requested++;
        due = now + interval;
        dueGap = e.gap;
      } else if (e.sentAt < 0 && seq < lowestUnsent) {
        lowestUnsent = seq;
      }
      // Wake up again for the give-up too, so that the list drains without traffic.
      const giveUp = e.retries >= this.maxRetries ? due : e.detectedAt + this.maxAge;
      if (Math.min(due, giveUp) < next) next = Math.min(due, giveUp);
    }
    this.deadline = next;
    this.lowestUnsent = lowestUnsent;
    return out;
  }
}
