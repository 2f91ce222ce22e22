// Send side of transport-wide congestion control (draft-holmer-rmcat-transport-wide-cc-
// extensions-01 section 3): the size and send time of each packet stamped with a transport-wide
// sequence number are kept in a bounded ring; feedback marks them delivered (with the receiver's
// arrival time) or lost, and gives a simple estimate: the rate delivered to the receiver over the
// last `windowMs` of arrival time, and the loss fraction of the latest feedback. Sequence numbers
// skipped between two feedback messages count as lost, so every packet is accounted for once.
// This is a measurement, not a controller: a full GCC (delay-gradient trendline, AIMD, probing)
// is out of scope here.
import { type TransportFeedback, twccArrivals } from "../twcc.js";
import { extendSequence } from "./sequence.js";

export interface DeliveryEstimatorOptions {
  /** Sent packets remembered for feedback (default 8192). */
  maxTracked?: number;
  /** Arrival-time window of the delivered-rate estimate (default 1000 ms). */
  windowMs?: number;
}

export interface DeliveryStats {
  feedbackReceived: number;
  packetsDelivered: number;
  packetsLost: number;
  /** Feedback entries naming packets not in the ring (too old, never sent, duplicates). */
  unknown: number;
}

export interface DeliveryEstimate {
  /** Bits per second delivered over the window, undefined until the window has two arrivals. */
  deliveredBitrate: number | undefined;
  /** Lost / reported in the latest feedback, 0-1. */
  lossFraction: number;
  /** Queueing delay trend: latest (arrival - send) minus the smallest seen in the window, ms. */
  delayIncreaseMs: number;
}

const NOT_REPORTED = 0;
const DELIVERED = 1;
const LOST = 2;

export class DeliveryEstimator {
  private readonly size: number;
  private readonly windowUs: number;
  private readonly extSeq: Float64Array;
  private readonly bytes: Uint32Array;
  private readonly sentAt: Float64Array;
  private readonly state: Uint8Array;
  private highestSent: number;
  private started: boolean;
  /** One past the highest extended sequence number any feedback covered. */
  private reportedEnd: number;
  /** Recent deliveries: arrival (us), size, one-way delay (ms, offset unknown) - a bounded FIFO. */
  private readonly dArrival: Float64Array;
  private readonly dBytes: Uint32Array;
  private readonly dDelay: Float64Array;
  private dHead: number;
  private dCount: number;
  private lastLossFraction: number;
  readonly stats: DeliveryStats;

  constructor(options: DeliveryEstimatorOptions = {}) {
    this.size = options.maxTracked ?? 8192;
    this.windowUs = (options.windowMs ?? 1000) * 1000;
    this.extSeq = new Float64Array(this.size).fill(-1);
    this.bytes = new Uint32Array(this.size);
    this.sentAt = new Float64Array(this.size);
    this.state = new Uint8Array(this.size);
    this.highestSent = 0;
    this.started = false;
    this.reportedEnd = 0;
    this.dArrival = new Float64Array(this.size);
    this.dBytes = new Uint32Array(this.size);
    this.dDelay = new Float64Array(this.size);
    this.dHead = 0;
    this.dCount = 0;
    this.lastLossFraction = 0;
    this.stats = { feedbackReceived: 0, packetsDelivered: 0, packetsLost: 0, unknown: 0 };
  }

  /** Records a packet sent with transport-wide sequence number `seq` and `bytes` on the wire. */
  onSent(seq: number, bytes: number, now: number): void {
    let ext: number;
    if (!this.started) {
      this.started = true;
      ext = 0x10000 + (seq & 0xffff);
      this.reportedEnd = ext;
    } else {
      ext = extendSequence(seq, this.highestSent);
    }
    if (ext > this.highestSent) this.highestSent = ext;
    const i = ext % this.size;
    this.extSeq[i] = ext;
    this.bytes[i] = bytes;
    this.sentAt[i] = now;
    this.state[i] = NOT_REPORTED;
  }

  private markLost(ext: number): boolean {
    const i = ext % this.size;
    if (this.extSeq[i] !== ext || this.state[i] !== NOT_REPORTED) return false;
    this.state[i] = LOST;
    this.stats.packetsLost++;
    return true;
  }

  /** Applies one feedback message. */
  handleFeedback(fb: TransportFeedback): void {
    if (!this.started) {
      this.stats.unknown += fb.packets.length;
      return;
    }
    this.stats.feedbackReceived++;
    const base = extendSequence(fb.baseSequence, this.highestSent);
    // Sequence numbers between the previous feedback and this one were never reported: lost.
    if (base > this.reportedEnd && base - this.reportedEnd <= this.size) {
      for (let s = this.reportedEnd; s < base; s++) this.markLost(s);
    }
    let lost = 0;
    let reported = 0;
    let k = 0;
    for (const a of twccArrivals(fb)) {
      const ext = base + k++;
      const i = ext % this.size;
      if (this.extSeq[i] !== ext) {
        this.stats.unknown++;
        continue;
      }
      reported++;
      if (a.arrivalUs === undefined) {
        if (this.markLost(ext)) lost++;
        continue;
      }
      if (this.state[i] === DELIVERED) continue;
      // A packet reported lost before and delivered now was only late.
      if (this.state[i] === LOST) this.stats.packetsLost--;
      this.state[i] = DELIVERED;
      this.stats.packetsDelivered++;
      this.pushDelivery(a.arrivalUs, this.bytes[i]!, a.arrivalUs / 1000 - this.sentAt[i]!);
    }
    const end = base + fb.packets.length;
    if (end > this.reportedEnd) this.reportedEnd = end;
    this.lastLossFraction = reported === 0 ? 0 : lost / reported;
  }

  private pushDelivery(arrivalUs: number, bytes: number, delayMs: number): void {
    const i = (this.dHead + this.dCount) % this.size;
    this.dArrival[i] = arrivalUs;
    this.dBytes[i] = bytes;
    this.dDelay[i] = delayMs;
    if (this.dCount < this.size) this.dCount++;
    else this.dHead = (this.dHead + 1) % this.size;
  }

  /** The current estimate. */
  estimate(): DeliveryEstimate {
    // Evict deliveries that arrived before the window (by the latest arrival pushed).
    let latest = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < this.dCount; k++) {
      const t = this.dArrival[(this.dHead + k) % this.size]!;
      if (t > latest) latest = t;
    }
    while (this.dCount > 0 && this.dArrival[this.dHead]! < latest - this.windowUs) {
      this.dHead = (this.dHead + 1) % this.size;
      this.dCount--;
    }
    let bytes = 0;
    let earliest = Number.POSITIVE_INFINITY;
    let minDelay = Number.POSITIVE_INFINITY;
    let lastDelay = 0;
    for (let k = 0; k < this.dCount; k++) {
      const i = (this.dHead + k) % this.size;
      bytes += this.dBytes[i]!;
      if (this.dArrival[i]! < earliest) earliest = this.dArrival[i]!;
      if (this.dDelay[i]! < minDelay) minDelay = this.dDelay[i]!;
      lastDelay = this.dDelay[i]!;
    }
    const spanUs = latest - earliest;
    const first = this.dCount > 0 ? this.dBytes[this.dHead]! : 0;
    return {
      deliveredBitrate: this.dCount >= 2 && spanUs > 0 ? ((bytes - first) * 8 * 1e6) / spanUs : undefined,
      lossFraction: this.lastLossFraction,
      delayIncreaseMs: this.dCount > 0 ? lastDelay - minDelay : 0,
    };
  }
}
