// The per-stream send queues of an association and the order they are served in: round robin
// between streams with something to send (RFC 8260 1: by whole message with DATA, whose fragments
// need consecutive TSNs; by fragment with I-DATA), bufferedAmount per stream, messages whose
// lifetime ran out before any of them was sent (RFC 3758 3.5 A1), and the "sent" notifications
// (bytes leaving the buffer for the first time), coalesced per stream per packet.
import type { SenderStats } from "./sender.js";

export class OutMessage {
  seq = 0;
  offset = 0;
  nextFsn = 0;
  firstTsn = 0;
  lastTsn = 0;
  abandoned = false;
  constructor(
    readonly sid: number,
    readonly ppid: number,
    readonly data: Uint8Array,
    readonly unordered: boolean,
    readonly maxRetransmits: number,
    readonly expiresAt: number,
  ) {}
}

export class OutStream {
  readonly queue: OutMessage[] = [];
  qhead = 0;
  /** Bytes queued and not yet put on the wire once (bufferedAmount). */
  buffered = 0;
  nextSsn = 0;
  nextMid = 0;
  nextUMid = 0;
  inRing = false;
  resetting = false;
  constructor(readonly id: number) {}
}

/** What the queue tells its owner. */
export interface SenderSink {
  onSent(streamId: number, bytes: number): void;
}

export class SendQueue {
  /** Payload bytes queued on all streams and not yet sent once. */
  totalBuffered = 0;
  /** With DATA: the stream whose message is being fragmented (it must finish first). */
  current: OutStream | undefined = undefined;
  private readonly streams = new Map<number, OutStream>();
  private ring: OutStream[] = [];
  private ringHead = 0;
  private sentSid = -1;
  private sentBytes = 0;

  constructor(
    private readonly sink: SenderSink,
    private readonly stats: SenderStats,
  ) {}

  stream(sid: number): OutStream {
    let s = this.streams.get(sid);
    if (!s) {
      s = new OutStream(sid);
      this.streams.set(sid, s);
    }
    return s;
  }

  /** Queues a message; false (and nothing queued) if its stream is being reset. */
  enqueue(m: OutMessage): boolean {
    const s = this.stream(m.sid);
    if (s.resetting) return false;
    s.queue.push(m);
    s.buffered += m.data.length;
    this.totalBuffered += m.data.length;
    if (!s.inRing) {
      s.inRing = true;
      this.ring.push(s);
    }
    return true;
  }

  bufferedAmount(sid: number): number {
    return this.streams.get(sid)?.buffered ?? 0;
  }

  /** Whether every message queued on the stream has been given TSNs. */
  streamDrained(sid: number): boolean {
    const s = this.streams.get(sid);
    return !s || (s.qhead === s.queue.length && this.current !== s);
  }

  isResetting(sid: number): boolean {
    return this.streams.get(sid)?.resetting ?? false;
  }

  /** Whether some stream has messages waiting. */
  hasWork(): boolean {
    return this.current !== undefined || this.ringHead < this.ring.length;
  }

  /** The stream to take the next chunk from, dropping messages that expired unsent. */
  next(now: number): OutStream | undefined {
    if (this.current) return this.current;
    while (this.ringHead < this.ring.length) {
      const s = this.ring[this.ringHead]!;
      if (s.qhead === s.queue.length) {
        this.dropFromRing();
        continue;
      }
      const m = s.queue[s.qhead]!;
      if (m.offset === 0 && m.expiresAt <= now) {
        // Expired before any of it was sent: drop it quietly (RFC 3758 3.5 A1).
        this.popMessage(s);
        this.countSent(s, m.data.length);
        this.stats.abandonedMessages++;
        continue;
      }
      return s;
    }
    return undefined;
  }

  private dropFromRing(): void {
    const s = this.ring[this.ringHead]!;
    s.inRing = false;
    s.queue.length = 0;
    s.qhead = 0;
    this.ringHead++;
    this.compactRing();
  }

  private compactRing(): void {
    if (this.ringHead > 64 && this.ringHead * 2 > this.ring.length) {
      this.ring = this.ring.slice(this.ringHead);
      this.ringHead = 0;
    }
  }

  private popMessage(s: OutStream): void {
    s.queue[s.qhead] = undefined as unknown as OutMessage;
    s.qhead++;
    if (s.qhead > 64 && s.qhead * 2 > s.queue.length) {
      s.queue.splice(0, s.qhead);
      s.qhead = 0;
    }
  }

  countSent(s: OutStream, n: number): void {
    s.buffered -= n;
    this.totalBuffered -= n;
    if (this.sentSid !== s.id) {
      this.flushSent();
      this.sentSid = s.id;
    }
    this.sentBytes += n;
  }

  flushSent(): void {
    if (this.sentBytes > 0) this.sink.onSent(this.sentSid, this.sentBytes);
    this.sentBytes = 0;
    this.sentSid = -1;
  }

  /** After a chunk of the stream's head message got its TSN: move on in the round robin. */
  afterChunk(s: OutStream, ended: boolean, iData: boolean): void {
    if (ended) {
      this.popMessage(s);
      this.current = undefined;
      // Round robin: the stream goes to the back of the ring (or leaves it when empty).
      this.rotate(s);
    } else if (iData) this.rotate(s);
    else this.current = s;
  }

  /** An abandoned message leaves the queue (with what was never sent of it). */
  dropHead(m: OutMessage): void {
    const s = this.stream(m.sid);
    if (s.queue[s.qhead] !== m) return;
    this.countSent(s, m.data.length - m.offset);
    this.flushSent();
    m.offset = m.data.length;
    this.popMessage(s);
    if (this.current === s) this.current = undefined;
  }

  private rotate(s: OutStream): void {
    // s is at the ring head (nextStream returned it) unless it was `current`.
    if (this.ring[this.ringHead] === s) {
      this.ringHead++;
      if (s.qhead < s.queue.length) this.ring.push(s);
      else {
        s.inRing = false;
        s.queue.length = 0;
        s.qhead = 0;
      }
      this.compactRing();
    }
  }
}
