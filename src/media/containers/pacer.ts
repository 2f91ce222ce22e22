// Playback pacing as a sans-IO helper: frames read from a file carry media timestamps; the pacer
// maps them onto the caller's clock and says when the next one is due (nextDeadline) and which
// are due now (poll). No timers inside: the caller arms its one timer at nextDeadline(). The queue
// is bounded (push() returns false when full: stop reading until poll() makes room).
// No RFC: it implements nothing on the wire.
import { ContainerError } from "./types.js";

export interface PacerOptions {
  /** Items held at most. Default 256. */
  capacity?: number;
  /** Items due more than this many ms ago are dropped (counted) instead of delivered. Default: never. */
  maxLateness?: number;
  /** Media ms per wall ms. Default 1. */
  rate?: number;
}

export interface PacerStats {
  delivered: number;
  /** Dropped for lateness. */
  late: number;
}

/** Media time in ms of a timestamp in a clock, relative to that stream's first timestamp. */
export function mediaTimeMs(timestamp: number, clockRate: number, firstTimestamp = 0): number {
  return ((timestamp - firstTimestamp) * 1000) / clockRate;
}

export class PlaybackPacer<T> {
  private items: T[];
  private times: number[];
  private head: number;
  private readonly capacity: number;
  private readonly maxLateness: number;
  private readonly rate: number;
  private anchorWall: number | undefined;
  private anchorMedia: number;
  private paused: boolean;
  private pausedAt: number;
  readonly stats: PacerStats;
  constructor(opts: PacerOptions = {}) {
    this.capacity = opts.capacity ?? 256;
    this.maxLateness = opts.maxLateness ?? Number.POSITIVE_INFINITY;
    this.rate = opts.rate ?? 1;
    if (!(this.capacity >= 1) || !(this.rate > 0)) throw new ContainerError("bad-options", "capacity >= 1, rate > 0");
    this.items = [];
    this.times = [];
    this.head = 0;
    this.anchorWall = undefined;
    this.anchorMedia = 0;
    this.paused = false;
    this.pausedAt = 0;
    this.stats = { delivered: 0, late: 0 };
  }
  get length(): number {
    return this.items.length - this.head;
  }
  /** Free places in the queue. */
  get room(): number {
    return this.capacity - this.length;
  }
  /**
   * Anchors media time `media` (default: the earliest queued item, or 0) to wall time `now`.
   * Call once to begin, and again to seek.
   */
  start(now: number, media?: number): void {
    this.anchorWall = now;
    this.anchorMedia = media ?? (this.length > 0 ? this.times[this.head]! : 0);
    this.paused = false;
  }
  /** The media time playing at `now` (undefined before start). */
  position(now: number): number | undefined {
    if (this.anchorWall === undefined) return undefined;
    if (this.paused) return this.pausedAt;
    return this.anchorMedia + (now - this.anchorWall) * this.rate;
  }
  pause(now: number): void {
    if (this.paused || this.anchorWall === undefined) return;
    this.pausedAt = this.position(now)!;
    this.paused = true;
  }
  resume(now: number): void {
    if (!this.paused) return;
    this.start(now, this.pausedAt);
  }
  /** Drops everything queued (e.g. before a seek). */
  clear(): void {
    this.items = [];
    this.times = [];
    this.head = 0;
  }
  /** Queues an item due at media time `media` (ms). False when the queue is full. */
  push(item: T, media: number): boolean {
    if (this.length >= this.capacity) return false;
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    // Keep media order; input is nearly sorted (interleaved tracks), so insert from the back.
    let i = this.items.length;
    while (i > this.head && this.times[i - 1]! > media) i--;
    this.items.splice(i, 0, item);
    this.times.splice(i, 0, media);
    return true;
  }
  /** Wall time (caller's clock, ms) at which the next item is due; undefined if none or not playing. */
  nextDeadline(): number | undefined {
    if (this.length === 0 || this.anchorWall === undefined || this.paused) return undefined;
    return this.anchorWall + (this.times[this.head]! - this.anchorMedia) / this.rate;
  }
  /** The next item due at `now`, or undefined. Call until undefined after each wake-up. */
  poll(now: number): T | undefined {
    for (;;) {
      const due = this.nextDeadline();
      if (due === undefined || due > now) return undefined;
      const item = this.items[this.head]!;
      this.items[this.head] = undefined as T;
      this.head++;
      if (this.head === this.items.length) this.clear();
      if (now - due > this.maxLateness) {
        this.stats.late++;
        continue;
      }
      this.stats.delivered++;
      return item;
    }
  }
}
