// The output queues the stages of one feedback chain share: RTCP packets waiting to be sent
// (serialised by the chain, feedback as reduced-size packets per RFC 5506 or prefixed with a
// report, RFC 4585 3.1), RTP retransmissions, and events for the layer above. Every queue is
// bounded: past its cap the oldest entry is dropped and counted, so that a flood of NACKs or
// keyframe requests can never grow memory (ARCHITECTURE.md "Errors and bounds").
import type { RtcpPacket } from "../rtcp.js";
import type { DeliveryEstimate } from "./bandwidth.js";
import type { KeyframeMethod } from "./keyframe.js";

export type FeedbackEvent =
  /** The remote asked for a keyframe of one of our send streams (PLI, or a new FIR command). */
  | { type: "keyframe-request"; ssrc: number; method: KeyframeMethod }
  /** The remote's Receiver Estimated Maximum Bitrate (bits/s) for the listed SSRCs. */
  | { type: "remb"; bitrate: number; ssrcs: number[] }
  /** A new estimate after transport-wide feedback (delivered rate, loss, delay trend). */
  | { type: "bandwidth"; estimate: DeliveryEstimate }
  /** A sender report from a remote source (for lip sync: NTP ms and RTP time of one instant). */
  | {
      type: "sender-report";
      ssrc: number;
      ntpMs: number;
      rtpTimestamp: number;
      packetCount: number;
      octetCount: number;
    }
  | { type: "bye"; ssrc: number; reason: string | undefined };

export interface OutputDrops {
  rtcp: number;
  rtp: number;
  events: number;
}

/** A bounded FIFO (a ring that drops its oldest entry when full). */
class Fifo<T> {
  private readonly items: (T | undefined)[];
  private head: number;
  private count: number;
  constructor(capacity: number) {
    this.items = new Array(capacity).fill(undefined);
    this.head = 0;
    this.count = 0;
  }
  /** Adds an item; returns false when the oldest had to be dropped for it. */
  push(item: T): boolean {
    const cap = this.items.length;
    let kept = true;
    if (this.count === cap) {
      this.head = (this.head + 1) % cap;
      this.count--;
      kept = false;
    }
    this.items[(this.head + this.count) % cap] = item;
    this.count++;
    return kept;
  }
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.count--;
    return item;
  }
  get length(): number {
    return this.count;
  }
}

export class FeedbackOutput {
  /** Feedback messages (NACK, PLI, FIR, TWCC) waiting to be framed and sent. */
  readonly feedback: Fifo<RtcpPacket>;
  /** Framed RTCP datagrams ready for pollRtcp. */
  readonly rtcp: Fifo<Uint8Array>;
  readonly rtp: Fifo<Uint8Array>;
  readonly events: Fifo<FeedbackEvent>;
  readonly drops: OutputDrops;

  constructor(capacity = 256) {
    this.feedback = new Fifo(capacity);
    this.rtcp = new Fifo(capacity);
    this.rtp = new Fifo(capacity * 2);
    this.events = new Fifo(capacity);
    this.drops = { rtcp: 0, rtp: 0, events: 0 };
  }
  queueFeedback(p: RtcpPacket): void {
    if (!this.feedback.push(p)) this.drops.rtcp++;
  }
  queueRtcp(b: Uint8Array): void {
    if (!this.rtcp.push(b)) this.drops.rtcp++;
  }
  queueRtp(b: Uint8Array): void {
    if (!this.rtp.push(b)) this.drops.rtp++;
  }
  queueEvent(e: FeedbackEvent): void {
    if (!this.events.push(e)) this.drops.events++;
  }
}
