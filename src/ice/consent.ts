// Consent freshness for the selected pair (RFC 7675 sections 5.1-5.2): a Binding request every
// interval randomised over 0.8-1.2 of the mean; consent expires when no authenticated response came
// for the consent timeout (30 s). Browser-like liveness on top: a request unanswered for the
// disconnected timeout (2.5 s) reports "disconnected", and checks are then sent every second so the
// return of responses is noticed quickly. Pure bookkeeping: the agent sends the requests.
import type { Random } from "../random.js";

/** While disconnected, consent checks are sent this often (ms). */
const DISCONNECTED_INTERVAL = 1000;

export class ConsentMonitor {
  /** Time of the last authenticated response on the selected pair. */
  lastResponse = 0;
  /** Time the oldest unanswered consent request was sent. */
  outstandingSince: number | undefined = undefined;
  nextAt: number | undefined = undefined;
  disconnected = false;
  lost = false;
  private readonly interval: number;
  private readonly disconnectedTimeout: number;
  private readonly timeout: number;
  private readonly random: Random;

  constructor(interval: number, disconnectedTimeout: number, timeout: number, random: Random) {
    this.interval = interval;
    this.disconnectedTimeout = disconnectedTimeout;
    this.timeout = timeout;
    this.random = random;
  }

  private jitter(ms: number): number {
    return ms * (0.8 + 0.4 * this.random.float());
  }

  /** A new pair was selected: consent is fresh. */
  start(now: number): void {
    this.lastResponse = now;
    this.outstandingSince = undefined;
    this.disconnected = false;
    this.lost = false;
    this.nextAt = now + this.jitter(this.interval);
  }

  stop(): void {
    this.nextAt = undefined;
    this.outstandingSince = undefined;
  }

  /** An authenticated response arrived on the selected pair. */
  answered(now: number): void {
    this.lastResponse = now;
    this.outstandingSince = undefined;
    if (this.disconnected) {
      this.disconnected = false;
      this.nextAt = now + this.jitter(this.interval);
    }
  }

  /**
   * Advances to `now`: may set `disconnected` or `lost`. Returns true when a consent request
   * should be sent now.
   */
  poll(now: number): boolean {
    if (this.lost || this.nextAt === undefined) return false;
    if (now >= this.lastResponse + this.timeout) {
      this.lost = true;
      this.stop();
      return false;
    }
    if (
      this.outstandingSince !== undefined &&
      !this.disconnected &&
      now >= this.outstandingSince + this.disconnectedTimeout
    ) {
      this.disconnected = true;
      this.nextAt = Math.min(this.nextAt, now + this.jitter(DISCONNECTED_INTERVAL));
    }
    if (now < this.nextAt) return false;
    if (this.outstandingSince === undefined) this.outstandingSince = now;
    this.nextAt = now + this.jitter(this.disconnected ? DISCONNECTED_INTERVAL : this.interval);
    return true;
  }

  /** The earliest time poll() has something to do. */
  deadline(): number | undefined {
    if (this.lost || this.nextAt === undefined) return undefined;
    let t = Math.min(this.nextAt, this.lastResponse + this.timeout);
    if (this.outstandingSince !== undefined && !this.disconnected) {
      t = Math.min(t, this.outstandingSince + this.disconnectedTimeout);
    }
    return t;
  }
}
