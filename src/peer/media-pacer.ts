// Per-sender rate limiting for the media session, sans-IO: a token bucket over RTP bytes (header +
// payload, before SRTP) for each sending stream with a limit, the lower of the sender's
// encodings[0].maxBitrate (webrtc-pc 5.2 RTCRtpEncodingParameters) and the remote description's
// b=TIAS / b=AS for the m-line (RFC 3890 6.2, RFC 8866 5.8: what the remote wants to receive).
// The bucket holds about 20 ms of the rate (at least one full packet); packets wait in a bounded
// FIFO and leave when the bucket has room, retransmissions (RFC 4588 RTX) included. A frame
// that would overflow the queue is dropped whole before it is packetized (no sequence numbers
// spent, so the receiver sees no loss); for video every following delta frame is dropped too,
// until a keyframe, which is asked for at once (a keyframe-needed event). Every other packet
// (forwarded RTP, DTMF, RTX) meets the same byte bound (500 ms of the rate) at the tail and is
// dropped and counted when it would exceed it (a forwarded video drop asks for a keyframe once per
// episode). Once queued, a stream stays in order: when its limit is lifted, new packets still go
// behind the queued ones until the queue is empty. The target bitrate an
// encoder should aim for (min of the limit and the remote's REMB estimate, when it sends REMB)
// is reported as an event whenever it changes.

/** What the pacer needs of a transceiver (src/peer/media.ts TransceiverState). */
export interface PacedTransceiver {
  readonly id: number;
  readonly kind: "audio" | "video";
  readonly ssrc: number;
  readonly rtxSsrc: number | undefined;
}

export type PacerEvent =
  /** Frames were dropped: the source should send a keyframe (video). */
  | { type: "keyframe-request"; transceiver: number }
  /** The bitrate an encoder should aim for changed (undefined: no limit known). */
  | { type: "target-bitrate"; transceiver: number; bitrate: number | undefined };

export interface PacedPacket {
  bytes: Uint8Array;
  /** A retransmission from the feedback chain (already recorded there). */
  resend: boolean;
  /** The abs-send-time extension id to restamp when the packet leaves (0: none). */
  absSendTimeId: number;
}

export interface PacerStats {
  framesDropped: number;
  packetsQueued: number;
  retransmissionsDropped: number;
  /** Forwarded RTP and other packets not admitted as a frame, dropped at the tail of a full queue. */
  packetsDropped: number;
}

/** The bucket holds this much time at the rate... */
export const PACER_BURST_MS = 20;
/** ...but at least this many bytes (one full packet). */
export const PACER_MIN_BURST = 1500;
/** The queue holds at most this much time at the rate... */
export const PACER_QUEUE_MS = 500;
/** ...and never less than this many bytes. */
export const PACER_MIN_QUEUE = 16_000;
/** Hard cap on queued packets per stream. */
const MAX_QUEUED_PACKETS = 1024;

interface Bucket {
  t: PacedTransceiver;
  maxBitrate: number | undefined;
  remoteLimit: number | undefined;
  remb: number | undefined;
  /** The enforced limit in bits/s (undefined: none). */
  limit: number | undefined;
  target: number | undefined;
  tokens: number;
  refilledAt: number;
  queue: PacedPacket[];
  head: number;
  queuedBytes: number;
  dropUntilKeyframe: boolean;
  /** Dropping packets at the tail (a keyframe was asked for once in this episode). */
  tailDropping: boolean;
  stats: PacerStats;
}

const min = (a: number | undefined, b: number | undefined) =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b);

export class MediaPacer {
  /** By transceiver id. */
  private readonly buckets = new Map<number, Bucket>();
  /** The same buckets in a list, for the round robin without allocating per packet. */
  private list: Bucket[] = [];
  /** SSRC (media and RTX) -> transceiver id. */
  private readonly bySsrc = new Map<number, number>();
  private readonly events: PacerEvent[] = [];
  private rr = 0;

  private bucket(t: PacedTransceiver, now: number): Bucket {
    let b = this.buckets.get(t.id);
    if (!b) {
      b = {
        t,
        maxBitrate: undefined,
        remoteLimit: undefined,
        remb: undefined,
        limit: undefined,
        target: undefined,
        tokens: 0,
        refilledAt: now,
        queue: [],
        head: 0,
        queuedBytes: 0,
        dropUntilKeyframe: false,
        tailDropping: false,
        stats: { framesDropped: 0, packetsQueued: 0, retransmissionsDropped: 0, packetsDropped: 0 },
      };
      this.buckets.set(t.id, b);
      this.list.push(b);
      this.bySsrc.set(t.ssrc, t.id);
      if (t.rtxSsrc !== undefined) this.bySsrc.set(t.rtxSsrc, t.id);
    }
    return b;
  }

  /** The sender's encodings[0].maxBitrate (bits/s; undefined = none). */
  setMaxBitrate(t: PacedTransceiver, bps: number | undefined, now: number): void {
    const b = this.bucket(t, now);
    b.maxBitrate = bps;
    this.update(b, now);
  }

  /**
   * The remote description's b=TIAS/b=AS for this m-line (bits/s; undefined = none), set on each
   * negotiation of a sending transceiver (which also makes its REMB count).
   */
  setRemoteLimit(t: PacedTransceiver, bps: number | undefined, now: number): void {
    const b = this.bucket(t, now);
    b.remoteLimit = bps;
    this.update(b, now);
  }

  /** A REMB (draft-alvestrand-rmcat-remb) naming these media SSRCs. */
  handleRemb(ssrcs: readonly number[], bps: number, now: number): void {
    for (const s of ssrcs) {
      const id = this.bySsrc.get(s);
      const b = id !== undefined ? this.buckets.get(id) : undefined;
      if (!b || b.t.ssrc !== s) continue;
      b.remb = bps;
      this.update(b, now);
    }
  }

  private update(b: Bucket, now: number): void {
    this.refill(b, now);
    const limit = min(b.maxBitrate, b.remoteLimit);
    if (limit !== b.limit) {
      b.limit = limit;
      if (limit !== undefined) b.tokens = Math.min(b.tokens, this.capacity(limit));
    }
    const target = min(limit, b.remb);
    if (target !== b.target) {
      b.target = target;
      this.events.push({ type: "target-bitrate", transceiver: b.t.id, bitrate: target });
    }
  }

  /** The enforced limit of a transceiver in bits/s. */
  limit(id: number): number | undefined {
    return this.buckets.get(id)?.limit;
  }

  /** The target bitrate (min of the limit and REMB). */
  target(id: number): number | undefined {
    return this.buckets.get(id)?.target;
  }

  /** Bytes of the stream's packets waiting in the queue (0 when not paced). */
  queuedBytes(id: number): number {
    return this.buckets.get(id)?.queuedBytes ?? 0;
  }

  stats(id: number): PacerStats | undefined {
    const b = this.buckets.get(id);
    return b ? { ...b.stats } : undefined;
  }

  private capacity(limit: number): number {
    return Math.max((limit / 8) * (PACER_BURST_MS / 1000), PACER_MIN_BURST);
  }

  private queueCap(limit: number): number {
    return Math.max((limit / 8) * (PACER_QUEUE_MS / 1000), PACER_MIN_QUEUE);
  }

  private refill(b: Bucket, now: number): void {
    if (now <= b.refilledAt) return;
    if (b.limit !== undefined) {
      b.tokens = Math.min(this.capacity(b.limit), b.tokens + ((now - b.refilledAt) * b.limit) / 8000);
    }
    b.refilledAt = now;
  }

  /**
   * Whether a frame of about `bytes` (payload plus headers) may be packetized now. False: drop it
   * whole; video then drops delta frames until a keyframe and asks for one.
   */
  admitFrame(t: PacedTransceiver, bytes: number, keyframe: boolean, now: number): boolean {
    const b = this.buckets.get(t.id);
    if (!b || b.limit === undefined) {
      if (b) b.dropUntilKeyframe = false;
      return true;
    }
    this.refill(b, now);
    if (b.dropUntilKeyframe && !keyframe) {
      b.stats.framesDropped++;
      return false;
    }
    const fits = b.queuedBytes === 0 || b.queuedBytes + bytes <= this.queueCap(b.limit);
    if (fits) {
      b.dropUntilKeyframe = false;
      return true;
    }
    b.stats.framesDropped++;
    if (t.kind === "video") {
      b.dropUntilKeyframe = true;
      this.events.push({ type: "keyframe-request", transceiver: t.id });
    }
    return false;
  }

  /**
   * Takes an outgoing RTP packet of `ssrc` when its stream is paced or still has packets queued
   * (true: it leaves through pollPacket, or it was dropped); false: send it now. `admitted`: a
   * packet of a frame admitFrame let in (the frame check already bounded its bytes); anything
   * else (forwarded RTP, DTMF, RTX) is dropped at the tail when the queue would exceed 500 ms of
   * the rate. `absSendTimeId`: the abs-send-time extension to restamp when it leaves (0: none).
   */
  enqueue(ssrc: number, bytes: Uint8Array, resend: boolean, now: number, admitted = false, absSendTimeId = 0): boolean {
    const id = this.bySsrc.get(ssrc);
    const b = id !== undefined ? this.buckets.get(id) : undefined;
    if (!b) return false;
    const pending = b.queue.length - b.head;
    // No limit: straight out, unless packets are still queued (they go first, in order).
    if (b.limit === undefined && pending === 0) return false;
    this.refill(b, now);
    const full =
      pending >= MAX_QUEUED_PACKETS ||
      (!admitted &&
        b.limit !== undefined &&
        b.queuedBytes > 0 &&
        b.queuedBytes + bytes.length > this.queueCap(b.limit));
    if (full) {
      if (resend) b.stats.retransmissionsDropped++;
      else if (admitted)
        b.stats.framesDropped++; // only with tiny packets: the frame check bounds bytes
      else {
        b.stats.packetsDropped++;
        if (!b.tailDropping && b.t.kind === "video")
          this.events.push({ type: "keyframe-request", transceiver: b.t.id });
        b.tailDropping = true;
      }
      return true;
    }
    if (!admitted && !resend) b.tailDropping = false;
    b.queue.push({ bytes, resend, absSendTimeId });
    b.queuedBytes += bytes.length;
    b.stats.packetsQueued++;
    return true;
  }

  /** The next packet allowed out at `now` (round robin over the streams). */
  pollPacket(now: number): PacedPacket | undefined {
    const list = this.list;
    const n = list.length;
    if (n === 0) return undefined;
    for (let i = 0; i < n; i++) {
      const b = list[(this.rr + i) % n]!;
      if (b.head >= b.queue.length) continue;
      this.refill(b, now);
      const p = b.queue[b.head]!;
      if (b.limit !== undefined && b.tokens < p.bytes.length) continue;
      if (b.limit !== undefined) b.tokens -= p.bytes.length;
      b.queue[b.head++] = undefined as unknown as PacedPacket;
      b.queuedBytes -= p.bytes.length;
      if (b.head >= b.queue.length) {
        b.queue.length = 0;
        b.head = 0;
      } else if (b.head > 256) {
        b.queue.splice(0, b.head);
        b.head = 0;
      }
      this.rr = (this.rr + i + 1) % n;
      return p;
    }
    return undefined;
  }

  /** When the next queued packet may leave. */
  nextTimeout(): number | undefined {
    let due: number | undefined;
    for (const b of this.buckets.values()) {
      if (b.head >= b.queue.length || b.limit === 0) continue; // 0 b/s: nothing leaves
      const size = b.queue[b.head]!.bytes.length;
      // Rounded up to whole ms so that the bucket surely holds `size` by then, and always later
      // than the last refill (a deficit lost to float rounding must not make a deadline that is
      // due now forever while nothing can leave: fractional `now`s).
      const at =
        b.limit === undefined || b.tokens >= size
          ? b.refilledAt
          : Math.max(Math.ceil(b.refilledAt + ((size - b.tokens) * 8000) / b.limit), Math.floor(b.refilledAt) + 1);
      if (due === undefined || at < due) due = at;
    }
    return due;
  }

  pollEvent(): PacerEvent | undefined {
    return this.events.shift();
  }

  /** A stopped transceiver: its queue is dropped. */
  forget(id: number): void {
    const b = this.buckets.get(id);
    if (!b) return;
    this.buckets.delete(id);
    this.list = this.list.filter((x) => x !== b);
    this.rr = 0;
    this.bySsrc.delete(b.t.ssrc);
    if (b.t.rtxSsrc !== undefined) this.bySsrc.delete(b.t.rtxSsrc);
  }
}
