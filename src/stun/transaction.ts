// A sans-IO STUN client transaction over UDP (RFC 8489 section 6.2.1): the request is sent at
// once and retransmitted after RTO, 2*RTO, 4*RTO... up to Rc sends in all; if no response comes
// within Rm*RTO after the last send the transaction times out. With the defaults (RTO 500 ms,
// Rc 7, Rm 16) sends happen at 0, 500, 1500, 3500, 7500, 15500, 31500 ms and it fails at 39500 ms.
// Response matching (6.3.3) is by transaction id; authenticating the response is the caller's job.
import { bytesEqual } from "../bytes/index.js";
import { StunClass } from "./constants.js";
import type { StunMessage } from "./message.js";

export interface StunTransactionOptions {
  /** Initial retransmission timeout in ms (default 500). */
  rto?: number;
  /** Total number of sends (default 7). */
  rc?: number;
  /** Final wait after the last send, in multiples of the initial RTO (default 16). */
  rm?: number;
  /** Upper bound for the doubled RTO, in ms (default none). */
  maxRto?: number;
}

export type StunTransactionEvent =
  | { type: "success"; response: StunMessage; rtt: number; retransmitted: boolean }
  | { type: "error"; response: StunMessage; code: number | undefined; rtt: number }
  | { type: "timeout" };

export type StunTransactionState = "pending" | "succeeded" | "failed" | "timed-out" | "cancelled";

export class StunClientTransaction {
  readonly request: Uint8Array;
  readonly transactionId: Uint8Array;
  state: StunTransactionState;
  /** How many times the request has been handed out by pollTransmit. */
  sends: number;
  /** Time of the most recent send. */
  lastSent: number;
  private readonly rto: number;
  private readonly rc: number;
  private readonly rm: number;
  private readonly maxRto: number;
  private currentRto: number;
  private due: boolean;
  private deadline: number;
  private event: StunTransactionEvent | undefined;

  constructor(request: Uint8Array, now: number, opts: StunTransactionOptions = {}) {
    this.request = request;
    this.transactionId = request.subarray(8, 20);
    this.state = "pending";
    this.sends = 0;
    this.lastSent = now;
    this.rto = opts.rto ?? 500;
    this.rc = opts.rc ?? 7;
    this.rm = opts.rm ?? 16;
    this.maxRto = opts.maxRto ?? Number.POSITIVE_INFINITY;
    this.currentRto = this.rto;
    this.due = true;
    this.deadline = now;
    this.event = undefined;
  }

  /** The request bytes when a (re)transmission is due; the caller sends them. */
  pollTransmit(now?: number): Uint8Array | undefined {
    if (!this.due || this.state !== "pending") return undefined;
    this.due = false;
    if (now !== undefined) this.lastSent = now;
    else this.lastSent = this.deadline;
    this.sends++;
    if (this.sends < this.rc) {
      this.deadline = this.lastSent + this.currentRto;
      this.currentRto = Math.min(this.currentRto * 2, this.maxRto);
    } else {
      this.deadline = this.lastSent + this.rm * this.rto;
    }
    return this.request;
  }

  nextTimeout(): number | undefined {
    if (this.state !== "pending" || this.due) return undefined;
    return this.deadline;
  }

  handleTimeout(now: number): void {
    if (this.state !== "pending" || this.due || now < this.deadline) return;
    if (this.sends >= this.rc) {
      this.state = "timed-out";
      this.event = { type: "timeout" };
    } else {
      this.due = true;
      this.deadline = now;
    }
  }

  /** True if `msg` is a response to this transaction (same id, response class). */
  matches(msg: StunMessage): boolean {
    return (
      (msg.cls === StunClass.SuccessResponse || msg.cls === StunClass.ErrorResponse) &&
      bytesEqual(msg.transactionId, this.transactionId)
    );
  }

  /**
   * Feeds a response. Returns true if it belonged to this transaction and completed it.
   * Authenticate it (MESSAGE-INTEGRITY, FINGERPRINT) before calling this.
   */
  handleResponse(msg: StunMessage, now: number): boolean {
    if (this.state !== "pending" || !this.matches(msg)) return false;
    const rtt = Math.max(0, now - this.lastSent);
    if (msg.cls === StunClass.SuccessResponse) {
      this.state = "succeeded";
      this.event = { type: "success", response: msg, rtt, retransmitted: this.sends > 1 };
    } else {
      this.state = "failed";
      this.event = { type: "error", response: msg, code: msg.errorCode()?.code, rtt };
    }
    return true;
  }

  /** Stops retransmitting without an event. */
  cancel(): void {
    if (this.state === "pending") this.state = "cancelled";
  }

  /** The outcome, once (success, error or timeout). */
  pollEvent(): StunTransactionEvent | undefined {
    const e = this.event;
    this.event = undefined;
    return e;
  }
}
