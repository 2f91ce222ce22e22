// Inbound handshake reassembly (RFC 6347 4.2.3): fragments of any size, in any order, duplicated
// or overlapping, are put back together per message_seq and released strictly in sequence.
// Bounded: only a small window of future messages, a maximum message size and a total byte cap.
import { buildMessage, type HandshakeFragment } from "./messages.js";

/** How many messages past the next expected one we buffer. */
const WINDOW = 10;
/** Largest handshake message accepted (certificate chains for WebRTC are a few KB). */
export const MAX_MESSAGE_LENGTH = 64 * 1024;
/** Total bytes buffered across all pending messages. */
const MAX_BUFFERED = 160 * 1024;

export interface HandshakeMessage {
  msgType: number;
  messageSeq: number;
  body: Uint8Array;
  /** The epoch of the record that completed it (Finished must arrive protected). */
  epoch: number;
  /** The message with an unfragmented header, as it enters the transcript. */
  raw: Uint8Array;
}

interface Pending {
  msgType: number;
  body: Uint8Array;
  /** Sorted, merged [start, end) ranges received. */
  ranges: number[];
  epoch: number;
}

export type FragmentResult = "ok" | "old" | "dropped";

export class Reassembler {
  /** The message_seq the handshake expects next. */
  next: number;
  private readonly pending = new Map<number, Pending>();
  private buffered = 0;

  constructor(next = 0) {
    this.next = next;
  }

  reset(next: number): void {
    this.next = next;
    this.pending.clear();
    this.buffered = 0;
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Adds a fragment. "old" means the peer retransmitted something already processed. */
  add(f: HandshakeFragment, epoch: number): FragmentResult {
    if (f.messageSeq < this.next) return "old";
    if (f.messageSeq >= this.next + WINDOW || f.length > MAX_MESSAGE_LENGTH) return "dropped";
    let p = this.pending.get(f.messageSeq);
    if (!p) {
      if (this.buffered + f.length > MAX_BUFFERED) return "dropped";
      p = { msgType: f.msgType, body: new Uint8Array(f.length), ranges: [], epoch };
      this.pending.set(f.messageSeq, p);
      this.buffered += f.length;
    } else if (p.msgType !== f.msgType || p.body.length !== f.length) return "dropped";
    if (f.fragmentLength > 0) {
      p.body.set(f.body, f.fragmentOffset);
      addRange(p.ranges, f.fragmentOffset, f.fragmentOffset + f.fragmentLength);
    }
    p.epoch = Math.max(p.epoch, epoch);
    return "ok";
  }

  /** The next complete message in sequence, if any; advances `next`. */
  poll(): HandshakeMessage | undefined {
    const p = this.pending.get(this.next);
    if (!p) return undefined;
    const len = p.body.length;
    const complete = len === 0 || (p.ranges.length === 2 && p.ranges[0] === 0 && p.ranges[1] === len);
    if (!complete) return undefined;
    this.pending.delete(this.next);
    this.buffered -= len;
    const messageSeq = this.next++;
    return {
      msgType: p.msgType,
      messageSeq,
      body: p.body,
      epoch: p.epoch,
      raw: buildMessage(p.msgType, messageSeq, p.body),
    };
  }
}

/** Inserts [s, e) into a sorted list of disjoint ranges, merging neighbours. */
function addRange(r: number[], s: number, e: number): void {
  const out: number[] = [];
  let i = 0;
  while (i < r.length && r[i + 1]! < s) {
    out.push(r[i]!, r[i + 1]!);
    i += 2;
  }
  let ns = s;
  let ne = e;
  while (i < r.length && r[i]! <= ne) {
    ns = Math.min(ns, r[i]!);
    ne = Math.max(ne, r[i + 1]!);
    i += 2;
  }
  out.push(ns, ne);
  while (i < r.length) {
    out.push(r[i]!, r[i + 1]!);
    i += 2;
  }
  r.length = 0;
  for (const v of out) r.push(v);
}
