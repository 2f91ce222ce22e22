// The sending half of an association: fragmentation to the packet size (RFC 9260 6.9) of what the
// send queue (send-queue.ts: per-stream queues, round robin) hands out, TSN assignment, DATA and
// I-DATA chunk writing, the outstanding-chunk list with SACK processing (6.2.1 cumulative and gap
// acks, 6.3.2 T3-rtx rules R1-R3, 7.2.4 miss indications and fast retransmit), retransmission on
// T3 expiry (6.3.3), the peer's receive window (6.1 rules A/B), Max.Burst (6.1 D), and abandonment
// of partially reliable messages with FORWARD TSN / I-FORWARD-TSN (RFC 3758 3.5, RFC 8260 2.3).
// The association owns one Sender and asks it to fill packets.
import { writeU16, writeU32 } from "../bytes/index.js";
import {
  CT_DATA,
  CT_I_DATA,
  DATA_HEADER,
  FLAG_B,
  FLAG_E,
  FLAG_U,
  type ForwardEntry,
  IDATA_HEADER,
  type SackInfo,
} from "./chunks.js";
import { CongestionControl, type RtoEstimator } from "./congestion.js";
import { type OutMessage, type OutStream, type SenderSink, SendQueue } from "./send-queue.js";
import { tsnLe, tsnLt } from "./tsn.js";

/** Stream entries in one FORWARD TSN / I-FORWARD-TSN (8 bytes each at most: fits any packet). */
const MAX_FORWARD_ENTRIES = 100;

class OutChunk {
  tsn = 0;
  msg: OutMessage | undefined = undefined;
  data: Uint8Array | undefined = undefined;
  flags = 0;
  fsn = 0;
  seq = 0;
  sentAt = 0;
  transmits = 0;
  acked = false;
  abandoned = false;
  inFlight = false;
  rtxQueued = false;
  fastRetransmitted = false;
  missCount = 0;
}

/** What the sender tells its owner. */
export type { SenderSink };

export interface SenderStats {
  dataChunksSent: number;
  retransmissions: number;
  fastRetransmissions: number;
  t3Expiries: number;
  abandonedMessages: number;
  /** Duplicate TSNs the peer reported in SACKs (spurious retransmissions or duplicated packets). */
  peerDuplicates: number;
}

export class Sender {
  iData = false;
  prSupported = false;
  cumAck: number;
  nextTsn: number;
  advancedAckPoint: number;
  fwdTsnNeeded = false;
  flightSize = 0;
  peerRwnd: number;
  /** T3-rtx deadline, undefined when stopped. */
  t3: number | undefined = undefined;
  readonly cc: CongestionControl;
  readonly rto: RtoEstimator;
  readonly stats: SenderStats = {
    dataChunksSent: 0,
    retransmissions: 0,
    fastRetransmissions: 0,
    t3Expiries: 0,
    abandonedMessages: 0,
    peerDuplicates: 0,
  };
  /** The per-stream send queues and their round-robin order. */
  readonly queue: SendQueue;
  /**
   * Packets of new data that may still go out before the next SACK or other input (Max.Burst,
   * RFC 9260 6.1 D: "strictly limiting the number of packets emitted by the output routine").
   */
  private burst: number;

  private out: OutChunk[] = [];
  private outHead = 0;
  private rtx: OutChunk[] = [];
  private rtxHead = 0;
  private fastRtxBurst = false;
  private readonly pool: OutChunk[] = [];

  constructor(
    readonly sink: SenderSink,
    initialTsn: number,
    peerRwnd: number,
    readonly mtu: number,
    rto: RtoEstimator,
    /** Max.Burst in packets; 0 disables the limit. */
    readonly maxBurst = 4,
  ) {
    this.burst = maxBurst > 0 ? maxBurst : Number.POSITIVE_INFINITY;
    this.cumAck = (initialTsn - 1) >>> 0;
    this.nextTsn = initialTsn;
    this.advancedAckPoint = this.cumAck;
    this.peerRwnd = peerRwnd;
    this.rto = rto;
    this.cc = new CongestionControl(mtu, peerRwnd);
    this.queue = new SendQueue(sink, this.stats);
  }

  /** Payload bytes queued on all streams and not yet sent once. */
  get totalBuffered(): number {
    return this.queue.totalBuffered;
  }

  /** Queues a message; false (and nothing queued) if its stream is being reset. */
  enqueue(m: OutMessage): boolean {
    return this.queue.enqueue(m);
  }

  bufferedAmount(sid: number): number {
    return this.queue.bufferedAmount(sid);
  }

  /** Whether every message queued on the stream has been given TSNs. */
  streamDrained(sid: number): boolean {
    return this.queue.streamDrained(sid);
  }

  setResetting(sid: number, on: boolean): void {
    this.queue.stream(sid).resetting = on;
  }

  isResetting(sid: number): boolean {
    return this.queue.isResetting(sid);
  }

  /** After a successful outgoing reset: the stream's sequence numbers restart at 0. */
  resetSequence(sid: number): void {
    const s = this.queue.stream(sid);
    s.nextSsn = 0;
    s.nextMid = 0;
    s.nextUMid = 0;
  }

  /** Nothing queued, nothing outstanding. */
  idle(): boolean {
    return this.queue.totalBuffered === 0 && this.outHead === this.out.length && this.queue.current === undefined;
  }

  hasOutstanding(): boolean {
    return this.outHead < this.out.length;
  }

  /** A SACK arrived: it clocks out up to Max.Burst more packets (credit accumulates within a batch). */
  grantBurst(): void {
    if (this.maxBurst > 0) this.burst = Math.min(this.burst + this.maxBurst, this.maxBurst * 16);
  }

  /** Any other input (an API call, a timer): at least Max.Burst packets may go out. */
  refreshBurst(): void {
    if (this.maxBurst > 0 && this.burst < this.maxBurst) this.burst = this.maxBurst;
  }

  /** Whether fill() could put anything in a packet now. */
  wantsToSend(): boolean {
    if (this.rtxHead < this.rtx.length) return true;
    if (!this.queue.hasWork() || this.burst <= 0) return false;
    return this.flightSize < this.cc.cwnd && (this.flightSize === 0 || this.flightSize < this.peerRwnd);
  }

  // ---------- building packets ----------

  /** Writes retransmissions and new DATA / I-DATA chunks into buf[off, limit). Returns the new offset. */
  fill(buf: Uint8Array, off: number, limit: number, now: number): number {
    const hdr = this.iData ? IDATA_HEADER : DATA_HEADER;
    const cc = this.cc;
    // Retransmissions first (RFC 9260 6.1 / 7.2.4).
    while (this.rtxHead < this.rtx.length) {
      const c = this.rtx[this.rtxHead]!;
      if (!c.rtxQueued || c.acked || c.abandoned) {
        c.rtxQueued = false;
        this.rtxHead++;
        continue;
      }
      const m = c.msg!;
      if (m.abandoned || this.shouldAbandon(m, c, now)) {
        c.rtxQueued = false;
        this.rtxHead++;
        if (!m.abandoned) this.abandon(m);
        continue;
      }
      if (this.flightSize >= cc.cwnd && !this.fastRtxBurst) break;
      const len = c.data!.length;
      if (off + ((hdr + len + 3) & ~3) > limit) break;
      off = this.writeChunk(buf, off, c);
      c.rtxQueued = false;
      c.transmits++;
      c.sentAt = now;
      c.inFlight = true;
      c.missCount = 0;
      this.flightSize += len;
      this.stats.retransmissions++;
      this.rtxHead++;
      if (this.t3 === undefined) this.t3 = now + this.rto.rto;
    }
    this.fastRtxBurst = false;
    if (this.rtxHead === this.rtx.length && this.rtxHead > 0) {
      this.rtx.length = 0;
      this.rtxHead = 0;
    }
    // New data.
    const maxFrag = this.mtu - 12 - hdr;
    const before = off;
    while (off + hdr < limit && this.burst > 0) {
      if (this.flightSize >= cc.cwnd) break;
      const s = this.queue.next(now);
      if (!s) break;
      const m = s.queue[s.qhead]!;
      const remaining = m.data.length - m.offset;
      const room = Math.min(limit - off - hdr, maxFrag);
      let n = remaining;
      if (n > room) {
        // Split only if a useful piece fits here; otherwise leave it for the next packet.
        if (room < 256 && off > 16) break;
        n = room & ~3;
        if (n <= 0) break;
      }
      if (this.flightSize > 0 && this.flightSize + n > this.peerRwnd) break;
      off = this.newChunk(buf, off, s, m, n, now);
    }
    if (off !== before) this.burst--;
    this.queue.flushSent();
    return off;
  }

  private newChunk(buf: Uint8Array, off: number, s: OutStream, m: OutMessage, n: number, now: number): number {
    const c = this.pool.pop() ?? new OutChunk();
    const tsn = this.nextTsn;
    this.nextTsn = (tsn + 1) >>> 0;
    let flags = m.unordered ? FLAG_U : 0;
    if (m.offset === 0) {
      flags |= FLAG_B;
      m.firstTsn = tsn;
      if (this.iData) m.seq = m.unordered ? s.nextUMid++ >>> 0 : s.nextMid++ >>> 0;
      else if (!m.unordered) {
        m.seq = s.nextSsn;
        s.nextSsn = (s.nextSsn + 1) & 0xffff;
      }
    }
    const start = m.offset;
    m.offset += n;
    m.lastTsn = tsn;
    if (m.offset === m.data.length) flags |= FLAG_E;
    c.tsn = tsn;
    c.msg = m;
    c.data = start === 0 && n === m.data.length ? m.data : m.data.subarray(start, start + n);
    c.flags = flags;
    c.fsn = m.nextFsn++;
    c.seq = m.seq;
    c.sentAt = now;
    c.transmits = 1;
    c.acked = false;
    c.abandoned = false;
    c.inFlight = true;
    c.rtxQueued = false;
    c.fastRetransmitted = false;
    c.missCount = 0;
    this.out.push(c);
    this.flightSize += n;
    this.stats.dataChunksSent++;
    if (this.t3 === undefined) this.t3 = now + this.rto.rto;
    this.queue.countSent(s, n);
    this.queue.afterChunk(s, (flags & FLAG_E) !== 0, this.iData);
    return this.writeChunk(buf, off, c);
  }

  private writeChunk(buf: Uint8Array, off: number, c: OutChunk): number {
    const data = c.data!;
    const m = c.msg!;
    const n = data.length;
    if (this.iData) {
      buf[off] = CT_I_DATA;
      buf[off + 1] = c.flags;
      writeU16(buf, off + 2, IDATA_HEADER + n);
      writeU32(buf, off + 4, c.tsn);
      writeU16(buf, off + 8, m.sid);
      buf[off + 10] = 0;
      buf[off + 11] = 0;
      writeU32(buf, off + 12, c.seq);
      writeU32(buf, off + 16, c.flags & FLAG_B ? m.ppid : c.fsn);
      off += IDATA_HEADER;
    } else {
      buf[off] = CT_DATA;
      buf[off + 1] = c.flags;
      writeU16(buf, off + 2, DATA_HEADER + n);
      writeU32(buf, off + 4, c.tsn);
      writeU16(buf, off + 8, m.sid);
      writeU16(buf, off + 10, c.seq);
      writeU32(buf, off + 12, m.ppid);
      off += DATA_HEADER;
    }
    buf.set(data, off);
    off += n;
    const end = (off + 3) & ~3;
    while (off < end) buf[off++] = 0;
    return off;
  }

  // ---------- partial reliability ----------

  private shouldAbandon(m: OutMessage, c: OutChunk, now: number): boolean {
    if (!this.prSupported) return false;
    if (m.expiresAt <= now) return true;
    return m.maxRetransmits >= 0 && c.transmits > m.maxRetransmits;
  }

  /** Abandons a message (RFC 3758 3.5): its chunks leave the flight; unsent parts are dropped. */
  abandon(m: OutMessage): void {
    m.abandoned = true;
    this.stats.abandonedMessages++;
    const base = (this.cumAck + 1) >>> 0;
    if (m.offset > 0 && tsnLe(base, m.lastTsn)) {
      let i = this.outHead + Math.max(0, (m.firstTsn - base) | 0);
      const end = this.outHead + ((m.lastTsn - base) | 0);
      for (; i <= end && i < this.out.length; i++) {
        const c = this.out[i]!;
        if (c.msg !== m || c.acked || c.abandoned) continue;
        c.abandoned = true;
        if (c.inFlight) {
          c.inFlight = false;
          this.flightSize -= c.data!.length;
        }
      }
    }
    if (m.offset < m.data.length) {
      const partlySent = m.offset > 0;
      this.queue.dropHead(m);
      if (partlySent) {
        // A placeholder end fragment with its own TSN, never sent, so that a FORWARD TSN must pass
        // the whole message (and, with I-DATA, name it) even when every fragment that did go out
        // is acknowledged: the receiver then drops the fragments it holds.
        const c = this.pool.pop() ?? new OutChunk();
        c.tsn = this.nextTsn;
        this.nextTsn = (this.nextTsn + 1) >>> 0;
        c.msg = m;
        c.data = m.data.subarray(0, 0);
        c.flags = FLAG_E | (m.unordered ? FLAG_U : 0);
        c.seq = m.seq;
        c.acked = false;
        c.abandoned = true;
        c.inFlight = false;
        c.rtxQueued = false;
        c.transmits = 0;
        m.lastTsn = c.tsn;
        this.out.push(c);
      }
    }
    this.fwdTsnNeeded = true;
  }

  /** The FORWARD TSN to send now, if the ack point can move past abandoned chunks (RFC 3758 3.5 C2-C4). */
  forwardTsn(): { newCum: number; entries: ForwardEntry[] } | undefined {
    if (!this.prSupported) return undefined;
    if (tsnLt(this.advancedAckPoint, this.cumAck)) this.advancedAckPoint = this.cumAck;
    let i = this.outHead + ((this.advancedAckPoint - this.cumAck) | 0);
    while (i < this.out.length) {
      const c = this.out[i]!;
      if (!c.abandoned && !c.acked) break;
      this.advancedAckPoint = c.tsn;
      i++;
    }
    if (!tsnLt(this.cumAck, this.advancedAckPoint)) return undefined;
    // The new cumulative TSN never splits an abandoned message: a message with TSNs on both sides
    // of it (fragments interleave with I-DATA) waits for a later FORWARD TSN, so that the one that
    // names it also covers all of it (else a late fragment could rebuild a partial message the
    // receiver has just dropped). Likewise at most MAX_FORWARD_ENTRIES streams per chunk.
    let newCum = this.advancedAckPoint;
    let byKey = new Map<number, ForwardEntry>();
    for (let again = true; again; ) {
      again = false;
      byKey = new Map();
      for (let j = this.outHead; j < this.out.length; j++) {
        const c = this.out[j]!;
        if (tsnLt(newCum, c.tsn)) break;
        if (!c.abandoned) continue;
        const m = c.msg!;
        const unnamed = !this.iData && m.unordered; // FORWARD TSN names ordered streams only
        const key = m.sid * 2 + (m.unordered ? 1 : 0);
        const prev = unnamed ? undefined : byKey.get(key);
        if (tsnLt(newCum, m.lastTsn) || (!unnamed && !prev && byKey.size >= MAX_FORWARD_ENTRIES)) {
          newCum = (m.firstTsn - 1) >>> 0;
          again = true;
          break;
        }
        if (unnamed) continue;
        const newer = !prev || (this.iData ? tsnLt(prev.seq, m.seq) : ((m.seq - prev.seq) << 16) >> 16 > 0);
        if (newer) byKey.set(key, { sid: m.sid, unordered: m.unordered, seq: m.seq });
      }
      if (!tsnLt(this.cumAck, newCum)) return undefined;
    }
    return { newCum, entries: [...byKey.values()] };
  }

  // ---------- acknowledgements ----------

  /**
   * Processes a SACK. Returns true when it acknowledged something new (the association resets its
   * error counter then).
   */
  onSack(sack: SackInfo, now: number): boolean {
    this.grantBurst();
    this.stats.peerDuplicates += sack.dups;
    const cum = sack.cumTsn;
    if (tsnLt(cum, this.cumAck)) return false; // stale (RFC 9260 6.2.1 D i)
    if (tsnLe(this.nextTsn, cum)) return false; // acks something never sent: ignore
    let newlyAcked = 0;
    let rttSample = -1;
    const flightBefore = this.flightSize;
    const cumAdvanced = tsnLt(this.cumAck, cum);
    while (this.outHead < this.out.length && tsnLe(this.out[this.outHead]!.tsn, cum)) {
      const c = this.out[this.outHead]!;
      if (!c.acked && !c.abandoned) {
        newlyAcked += c.data!.length;
        if (c.transmits === 1) rttSample = now - c.sentAt;
      }
      if (c.inFlight) this.flightSize -= c.data!.length;
      if (c.rtxQueued) {
        // Still referenced by the retransmission queue, which will skip it: not reusable.
        c.acked = true;
      } else {
        c.msg = undefined;
        c.data = undefined;
        this.pool.push(c);
      }
      this.out[this.outHead] = undefined as unknown as OutChunk;
      this.outHead++;
    }
    this.cumAck = cum;
    if (this.outHead > 1024 && this.outHead * 2 > this.out.length) {
      this.out = this.out.slice(this.outHead);
      this.outHead = 0;
    }
    // Gap ack blocks.
    let htna = -1; // index of the highest newly acked chunk
    const gaps = sack.gaps;
    for (let g = 0; g < gaps.length; g += 2) {
      const from = this.outHead + gaps[g]! - 1;
      const to = Math.min(this.outHead + gaps[g + 1]! - 1, this.out.length - 1);
      for (let i = from; i <= to; i++) {
        const c = this.out[i]!;
        if (c.acked) continue;
        c.acked = true;
        if (c.inFlight) {
          c.inFlight = false;
          this.flightSize -= c.data!.length;
        }
        if (!c.abandoned) {
          newlyAcked += c.data!.length;
          if (c.transmits === 1) rttSample = now - c.sentAt;
        }
        htna = i;
      }
    }
    if (rttSample >= 0) this.rto.measure(rttSample);
    // Fast recovery ends when the recovery point is acked (RFC 9260 7.2.4).
    if (this.cc.inFastRecovery && tsnLe(this.cc.recoveryPoint, cum)) this.cc.inFastRecovery = false;
    if (cumAdvanced) this.cc.onCumAdvance(newlyAcked, flightBefore + this.cc.mtu >= this.cc.cwnd);
    // Miss indications (7.2.4): chunks below the highest newly acked TSN that are still missing.
    if (htna >= 0) {
      let marked = false;
      for (let i = this.outHead; i < htna; i++) {
        const c = this.out[i]!;
        if (c.acked || c.abandoned || c.fastRetransmitted || !c.inFlight) continue;
        if (++c.missCount >= 3) {
          c.fastRetransmitted = true;
          c.inFlight = false;
          this.flightSize -= c.data!.length;
          this.queueRtx(c);
          this.stats.fastRetransmissions++;
          marked = true;
        }
      }
      if (marked) {
        this.cc.onFastRetransmit(((this.nextTsn - 1) >>> 0) as number);
        this.fastRtxBurst = true;
      }
    }
    this.peerRwnd = sack.arwnd;
    // T3 rules R2 / R3.
    const forwardPending = this.prSupported && (tsnLt(this.cumAck, this.advancedAckPoint) || this.frontAbandoned());
    if (this.outHead === this.out.length || this.allAckedOrAbandoned()) {
      // Keep T3 running while a FORWARD TSN is unacknowledged (RFC 3758 3.5 C3) so a lost one is resent.
      this.t3 = forwardPending ? (this.t3 ?? now + this.rto.rto) : undefined;
      this.cc.onIdle();
    } else if (cumAdvanced) this.t3 = now + this.rto.rto;
    if (forwardPending) this.fwdTsnNeeded = true;
    return newlyAcked > 0;
  }

  /** Whether the first chunk after the cumulative ack point is abandoned (a FORWARD TSN can move on). */
  private frontAbandoned(): boolean {
    return this.outHead < this.out.length && this.out[this.outHead]!.abandoned;
  }

  private allAckedOrAbandoned(): boolean {
    // Cheap check: flight empty and nothing waiting for retransmission.
    if (this.flightSize > 0 || this.rtxHead < this.rtx.length) return false;
    for (let i = this.outHead; i < this.out.length; i++) {
      const c = this.out[i]!;
      if (!c.acked && !c.abandoned) return false;
    }
    return true;
  }

  private queueRtx(c: OutChunk): void {
    if (c.rtxQueued) return;
    c.rtxQueued = true;
    this.rtx.push(c);
  }

  /** T3-rtx expiry (RFC 9260 6.3.3): back off, collapse cwnd, mark everything outstanding. */
  onT3(now: number): void {
    this.t3 = undefined;
    this.stats.t3Expiries++;
    this.rto.backoff();
    this.cc.onTimeout();
    // Rebuild the retransmission queue in TSN order.
    for (let i = this.rtxHead; i < this.rtx.length; i++) this.rtx[i]!.rtxQueued = false;
    this.rtx.length = 0;
    this.rtxHead = 0;
    for (let i = this.outHead; i < this.out.length; i++) {
      const c = this.out[i]!;
      if (c.acked || c.abandoned) continue;
      if (c.inFlight) {
        c.inFlight = false;
        this.flightSize -= c.data!.length;
      }
      c.missCount = 0;
      c.fastRetransmitted = false;
      const m = c.msg!;
      if (this.shouldAbandon(m, c, now)) {
        if (!m.abandoned) this.abandon(m);
        continue;
      }
      this.queueRtx(c);
    }
    if (this.flightSize < 0) this.flightSize = 0;
    if (this.prSupported && (tsnLt(this.cumAck, this.advancedAckPoint) || this.frontAbandoned()))
      this.fwdTsnNeeded = true;
  }

  /** Abandons outstanding and queued messages whose lifetime ran out (checked on timer ticks). */
  expire(now: number): void {
    if (!this.prSupported) return;
    for (let i = this.outHead; i < this.out.length; i++) {
      const c = this.out[i]!;
      const m = c.msg!;
      if (!c.acked && !c.abandoned && !m.abandoned && m.expiresAt <= now) this.abandon(m);
    }
  }
}
