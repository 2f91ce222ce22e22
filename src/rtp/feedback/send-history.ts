// The retransmission history of one sent RTP stream (RFC 4585 6.2.1 answered with RFC 4588
// retransmissions): a ring of the last `maxPackets` packets sent, looked up by sequence number,
// each usable for `maxAgeMs` after it was first sent, and resent at most once per RTT so that
// a flood of NACKs (or duplicate NACKs for one loss) cannot multiply the outgoing traffic.
import { SequenceUnwrapper } from "./sequence.js";

export interface SendHistoryOptions {
  /** Packets kept (default 600). */
  maxPackets?: number;
  /** How long a packet may be resent after it was sent (default 1000 ms). */
  maxAgeMs?: number;
}

/** Why a requested packet was not resent. */
export type ResendRefusal = "unknown" | "expired" | "too-soon";

interface Slot {
  ext: number;
  data: Uint8Array | undefined;
  sentAt: number;
  resentAt: number;
}

export class SendHistory {
  private readonly maxPackets: number;
  private readonly maxAge: number;
  private readonly slots: Slot[];
  private readonly unwrapper: SequenceUnwrapper;

  constructor(options: SendHistoryOptions = {}) {
    this.maxPackets = Math.max(1, options.maxPackets ?? 600);
    this.maxAge = options.maxAgeMs ?? 1000;
    this.slots = [];
    for (let i = 0; i < this.maxPackets; i++) {
      this.slots.push({ ext: -1, data: undefined, sentAt: 0, resentAt: Number.NEGATIVE_INFINITY });
    }
    this.unwrapper = new SequenceUnwrapper();
  }

  /** Keeps a sent packet (the history holds `data` by reference: do not reuse the buffer). */
  add(seq: number, data: Uint8Array, now: number): void {
    const ext = this.unwrapper.unwrap(seq);
    const s = this.slots[ext % this.maxPackets]!;
    s.ext = ext;
    s.data = data;
    s.sentAt = now;
    s.resentAt = Number.NEGATIVE_INFINITY;
  }

  /**
   * The packet with sequence number `seq` if it may be resent now (then marked resent at `now`),
   * else the reason it may not.
   */
  take(seq: number, now: number, rtt: number): Uint8Array | ResendRefusal {
    const ext = this.unwrapper.peek(seq);
    if (ext === undefined) return "unknown";
    const s = this.slots[ext % this.maxPackets]!;
    if (s.ext !== ext || s.data === undefined) return "unknown";
    if (now - s.sentAt > this.maxAge) return "expired";
    if (now - s.resentAt < rtt) return "too-soon";
    s.resentAt = now;
    return s.data;
  }

  /** Packets currently held (for tests and stats; O(maxPackets)). */
  get size(): number {
    let n = 0;
    for (const s of this.slots) if (s.data !== undefined) n++;
    return n;
  }
}
