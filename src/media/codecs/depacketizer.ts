// RtpDepacketizer: frame assembly for one RTP stream (RFC 3550 5.1, with the frame boundaries of
// each payload format: marker bit on the last packet of a video frame, RFC 7741 4.1, RFC 9628 4.1,
// RFC 6184 5.1, AV1 RTP spec 7.1; every audio packet is a frame, RFC 7587 4.2 / RFC 3551 4.5).
// Packets may arrive reordered, duplicated or not at all. They wait in a fixed ring (bounded by
// `capacity`); frames come out in sequence order once all their packets are there. A gap that
// holds things back for `maxWaitMs` (or a packet that does not fit the ring) makes the frame it
// breaks be dropped and reported; for video the next frames are then held back until a keyframe,
// and a "keyframe-needed" event tells the feedback layer to send a PLI (RFC 4585 6.3.1).
// Sans-IO: `now` is passed in; handleTimeout/nextTimeout drive the wait.
import type { ReceivedFrame } from "../frame.js";
import { codecError } from "./errors.js";
import { type CodecDepayloader, PKT_END, PKT_NOT_START, PKT_START } from "./payload.js";

/** The RTP fields the depacketizer reads (a parsed RtpPacket is one). */
export interface RtpPacketLike {
  sequenceNumber: number;
  timestamp: number;
  marker: boolean;
  /** Kept as a view until its frame is assembled: do not reuse the bytes before then. */
  payload: Uint8Array;
}

export type DropReason = "incomplete" | "malformed" | "waiting-for-keyframe" | "too-large";

export type DepacketizerEvent =
  | { type: "frame"; frame: ReceivedFrame }
  | { type: "dropped"; reason: DropReason; timestamp: number; packets: number }
  | { type: "keyframe-needed" };

export interface RtpDepacketizerOptions {
  /** The codec, e.g. "video/VP8", copied into every frame (ReceivedFrame.mimeType). */
  mimeType?: string;
  /** Packets the reorder ring holds (a power of two, 16-32768; default 1024 video, 128 audio). */
  capacity?: number;
  /**
   * How long a hole (a missing packet with later packets already here) may hold frames back
   * before the frame it breaks is dropped (default 300 ms video, 100 ms audio). A frame whose
   * packets are still arriving in order is not timed.
   */
  maxWaitMs?: number;
  /**
   * Before the first frame, wait this long after the first packet so that packets reordered at
   * the very start are not lost (default 30 ms video, 0 audio).
   */
  startDelayMs?: number;
  /** Hold frames back after a loss until a keyframe (default: true for video). */
  requireKeyframe?: boolean;
  /** Larger frames are dropped (default 8 MiB). */
  maxFrameBytes?: number;
  /** Events not yet polled beyond this are dropped, oldest first (default 256). */
  maxQueuedEvents?: number;
}

export interface DepacketizerStats {
  packets: number;
  frames: number;
  keyframes: number;
  duplicates: number;
  /** Packets that arrived after their place had been emitted or given up. */
  late: number;
  /** Packets whose payload the codec rejected. */
  malformedPackets: number;
  /** Padding-only packets (empty payload): they take a sequence number but carry nothing. */
  paddingPackets: number;
  framesDropped: number;
  packetsDropped: number;
  eventsDropped: number;
  keyframeRequests: number;
}

const F_BAD = 8;
/** A padding-only packet (RFC 3550 5.1, empty payload, as senders use for bandwidth probing): no frame's. */
const F_PADDING = 16;

export class RtpDepacketizer {
  readonly depayloader: CodecDepayloader;
  readonly capacity: number;
  readonly maxWaitMs: number;
  readonly startDelayMs: number;
  readonly requireKeyframe: boolean;
  readonly maxFrameBytes: number;
  readonly maxQueuedEvents: number;
  readonly mimeType: string | undefined;
  readonly stats: DepacketizerStats;

  private readonly mask: number;
  private readonly present: Uint8Array;
  private readonly flags: Uint8Array;
  private readonly markers: Uint8Array;
  private readonly timestamps: Uint32Array;
  private readonly seqs: Float64Array;
  private readonly payloads: (Uint8Array | undefined)[];
  private readonly scratch: Uint8Array[];
  private readonly events: DepacketizerEvent[];
  /** Extended sequence number of the first packet not yet emitted or dropped (-1: none seen). */
  private next: number;
  private highest: number;
  /** [next, scan) are known present and none of them ends a frame. */
  private scan: number;
  private started: boolean;
  private prevKnown: boolean;
  private prevMarker: boolean;
  private prevTimestamp: number;
  private blockedSince: number;
  private firstArrival: number;
  /** The start delay has passed (or there is none). */
  private startPassed: boolean;
  private needKeyframe: boolean;
  private keyframeRequested: boolean;

  constructor(depayloader: CodecDepayloader, opts: RtpDepacketizerOptions = {}) {
    const video = depayloader.video;
    const capacity = opts.capacity ?? (video ? 1024 : 128);
    if (!Number.isInteger(capacity) || capacity < 16 || capacity > 32768 || (capacity & (capacity - 1)) !== 0)
      throw codecError("ERR_CODEC_OPTIONS", "capacity must be a power of two from 16 to 32768");
    this.depayloader = depayloader;
    this.capacity = capacity;
    this.maxWaitMs = opts.maxWaitMs ?? (video ? 300 : 100);
    this.startDelayMs = opts.startDelayMs ?? (video ? 30 : 0);
    this.requireKeyframe = opts.requireKeyframe ?? video;
    this.maxFrameBytes = opts.maxFrameBytes ?? 8 * 1024 * 1024;
    this.maxQueuedEvents = Math.max(1, opts.maxQueuedEvents ?? 256);
    this.mimeType = opts.mimeType;
    this.stats = {
      packets: 0,
      frames: 0,
      keyframes: 0,
      duplicates: 0,
      late: 0,
      malformedPackets: 0,
      paddingPackets: 0,
      framesDropped: 0,
      packetsDropped: 0,
      eventsDropped: 0,
      keyframeRequests: 0,
    };
    this.mask = capacity - 1;
    this.present = new Uint8Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.markers = new Uint8Array(capacity);
    this.timestamps = new Uint32Array(capacity);
    this.seqs = new Float64Array(capacity);
    this.payloads = new Array<Uint8Array | undefined>(capacity).fill(undefined);
    this.scratch = [];
    this.events = [];
    this.next = -1;
    this.highest = -1;
    this.scan = -1;
    this.started = false;
    this.prevKnown = false;
    this.prevMarker = false;
    this.prevTimestamp = 0;
    this.blockedSince = -1;
    this.firstArrival = -1;
    this.startPassed = this.startDelayMs <= 0;
    this.needKeyframe = this.requireKeyframe;
    this.keyframeRequested = false;
  }

  /** Whether frames are being held back until a keyframe arrives. */
  get waitingForKeyframe(): boolean {
    return this.needKeyframe;
  }

  /** Packets held in the ring. */
  get buffered(): number {
    let n = 0;
    if (this.next < 0) return 0;
    const end = Math.min(this.highest + 1, this.next + this.capacity);
    for (let s = this.next; s < end; s++) if (this.has(s)) n++;
    return n;
  }

  /** Takes one RTP packet (of this stream's SSRC and payload type). Never throws. */
  push(p: RtpPacketLike, now: number): void {
    this.stats.packets++;
    const seq = p.sequenceNumber & 0xffff;
    let ext: number;
    if (this.highest < 0) {
      ext = seq + 0x10000; // room below for packets reordered before the first one
      this.firstArrival = now;
      this.highest = ext;
      this.next = ext;
      this.scan = ext;
    } else {
      const diff = ((seq - (this.highest & 0xffff) + 0x8000) & 0xffff) - 0x8000;
      ext = this.highest + diff;
    }
    if (ext < this.next) {
      if (!this.started && this.highest - ext < this.capacity) {
        this.next = ext;
        this.scan = ext;
      } else {
        this.stats.late++;
        return;
      }
    }
    if (ext >= this.next + this.capacity) this.dropUpTo(ext - this.capacity + 1, "incomplete");
    if (ext > this.highest) this.highest = ext;
    const slot = ext & this.mask;
    if (this.present[slot] === 1 && this.seqs[slot] === ext) {
      this.stats.duplicates++;
      return;
    }
    let f: number;
    if (p.payload.length === 0) {
      this.stats.paddingPackets++;
      f = F_PADDING;
    } else f = this.depayloader.inspect(p.payload);
    if (f < 0) {
      this.stats.malformedPackets++;
      f = F_BAD;
    }
    this.present[slot] = 1;
    this.seqs[slot] = ext;
    this.flags[slot] = f;
    this.markers[slot] = p.marker ? 1 : 0;
    this.timestamps[slot] = p.timestamp >>> 0;
    this.payloads[slot] = p.payload;
    this.drain(now);
    this.handleTimeout(now);
  }

  /** Gives up on a gap that has held frames back for maxWaitMs. */
  handleTimeout(now: number): void {
    if (!this.startPassed && this.firstArrival >= 0) this.drain(now);
    if (this.blockedSince >= 0 && now - this.blockedSince >= this.maxWaitMs) {
      this.giveUp();
      this.drain(now);
    }
  }

  /** When handleTimeout should next be called (ms), or undefined. */
  nextTimeout(): number | undefined {
    const blocked = this.blockedSince >= 0 ? this.blockedSince + this.maxWaitMs : undefined;
    if (this.startPassed || this.firstArrival < 0) return blocked;
    const start = this.firstArrival + this.startDelayMs;
    return blocked === undefined || start < blocked ? start : blocked;
  }

  pollEvent(): DepacketizerEvent | undefined {
    return this.events.shift();
  }

  private has(s: number): boolean {
    const slot = s & this.mask;
    return this.present[slot] === 1 && this.seqs[slot] === s;
  }

  private drain(now: number): void {
    if (!this.startPassed) {
      if (now < this.firstArrival + this.startDelayMs) return;
      this.startPassed = true;
    }
    for (;;) {
      const first = this.next;
      if (first > this.highest) {
        this.blockedSince = -1;
        return;
      }
      if (!this.has(first)) {
        this.block(now);
        return;
      }
      const slot0 = first & this.mask;
      const f0 = this.flags[slot0]!;
      if (f0 === F_PADDING) {
        // Between frames: consumed without changing what the previous frame's end tells.
        this.present[slot0] = 0;
        this.payloads[slot0] = undefined;
        this.next = first + 1;
        this.scan = first + 1;
        continue;
      }
      const ts0 = this.timestamps[slot0]!;
      const isStart =
        (f0 & PKT_START) !== 0 ||
        ((f0 & PKT_NOT_START) === 0 && this.prevKnown && (this.prevMarker || this.prevTimestamp !== ts0));
      if (!isStart) {
        if (!this.started) {
          this.block(now);
          return;
        }
        // The rest of a frame whose first packets are gone: it can never be completed.
        this.dropUpTo(first + 1, "incomplete");
        continue;
      }
      let s = Math.max(this.scan, first);
      let end = -1;
      for (;;) {
        if (s > this.highest || !this.has(s)) break;
        const slot = s & this.mask;
        if ((this.flags[slot]! & PKT_END) !== 0 || this.markers[slot] === 1) {
          end = s;
          break;
        }
        if (!this.has(s + 1)) break;
        const n = (s + 1) & this.mask;
        if (this.timestamps[n] !== this.timestamps[slot]) {
          end = s;
          break;
        }
        s++;
      }
      if (end < 0) {
        this.scan = s;
        // Only a hole (a missing packet with later ones here) starts the wait: a frame whose
        // packets are still arriving in order (a paced key frame, say) may take as long as it needs.
        if (s <= this.highest && (!this.has(s) || s + 1 <= this.highest)) this.block(now);
        else this.blockedSince = -1;
        return;
      }
      this.emit(first, end, now);
    }
  }

  private block(now: number): void {
    if (this.blockedSince < 0) this.blockedSince = now;
  }

  /** Drops the blocked frame: everything up to the next packet that surely starts a frame. */
  private giveUp(): void {
    this.blockedSince = -1;
    let r = this.next + 1;
    for (; r <= this.highest; r++) {
      if (!this.has(r)) continue;
      const slot = r & this.mask;
      const f = this.flags[slot]!;
      if (f === F_PADDING) continue;
      if ((f & PKT_START) !== 0) break;
      if ((f & PKT_NOT_START) !== 0 || !this.has(r - 1)) continue;
      const p = (r - 1) & this.mask;
      if (this.markers[p] === 1 || this.timestamps[p] !== this.timestamps[slot]) break;
    }
    this.dropUpTo(r, "incomplete");
  }

  /** Drops every packet before extended sequence number `to` and moves the window there. */
  private dropUpTo(to: number, reason: DropReason): void {
    const from = this.next;
    const stop = Math.min(to, from + this.capacity, this.highest + 1);
    let groupTs = 0;
    let groupPackets = 0;
    let last = -1;
    for (let s = from; s < stop; s++) {
      if (!this.has(s)) continue;
      const slot = s & this.mask;
      const ts = this.timestamps[slot]!;
      if (groupPackets > 0 && ts !== groupTs) {
        this.noteDrop(reason, groupTs, groupPackets);
        groupPackets = 0;
      }
      groupTs = ts;
      groupPackets++;
      last = s;
      this.stats.packetsDropped++;
      this.prevMarker = this.markers[slot] === 1;
      this.prevTimestamp = ts;
      this.present[slot] = 0;
      this.payloads[slot] = undefined;
    }
    if (groupPackets > 0) this.noteDrop(reason, groupTs, groupPackets);
    this.prevKnown = last >= 0 && last === to - 1;
    this.next = to;
    this.scan = to;
    this.started = true;
    if (this.highest < to - 1) this.highest = to - 1;
    this.lost();
  }

  private noteDrop(reason: DropReason, timestamp: number, packets: number): void {
    const last = this.events[this.events.length - 1];
    if (last !== undefined && last.type === "dropped" && last.timestamp === timestamp && last.reason === reason) {
      last.packets += packets;
      return;
    }
    this.stats.framesDropped++;
    this.queue({ type: "dropped", reason, timestamp, packets });
  }

  private lost(): void {
    if (!this.requireKeyframe) return;
    this.needKeyframe = true;
    this.requestKeyframe();
  }

  private requestKeyframe(): void {
    if (this.keyframeRequested) return;
    this.keyframeRequested = true;
    this.stats.keyframeRequests++;
    this.queue({ type: "keyframe-needed" });
  }

  private queue(e: DepacketizerEvent): void {
    if (this.events.length >= this.maxQueuedEvents) {
      this.events.shift();
      this.stats.eventsDropped++;
    }
    this.events.push(e);
  }

  private emit(first: number, end: number, now: number): void {
    const scratch = this.scratch;
    scratch.length = 0;
    let bytes = 0;
    let bad = false;
    for (let s = first; s <= end; s++) {
      const slot = s & this.mask;
      const f = this.flags[slot];
      if (f !== F_PADDING) {
        const pl = this.payloads[slot]!;
        scratch.push(pl);
        bytes += pl.length;
        if (f === F_BAD) bad = true;
      }
      this.present[slot] = 0;
      this.payloads[slot] = undefined;
    }
    const count = scratch.length;
    const firstSlot = first & this.mask;
    const lastSlot = end & this.mask;
    const timestamp = this.timestamps[firstSlot]!;
    this.prevKnown = true;
    this.prevMarker = this.markers[lastSlot] === 1;
    this.prevTimestamp = this.timestamps[lastSlot]!;
    this.next = end + 1;
    this.scan = end + 1;
    this.started = true;
    this.blockedSince = -1;
    let reason: DropReason | undefined;
    let frame: ReturnType<CodecDepayloader["assemble"]>;
    if (bad) reason = "malformed";
    else if (bytes > this.maxFrameBytes) reason = "too-large";
    else {
      frame = this.depayloader.assemble(scratch, count);
      if (frame === undefined) reason = "malformed";
    }
    scratch.length = 0;
    if (reason !== undefined || frame === undefined) {
      this.stats.packetsDropped += count;
      this.noteDrop(reason ?? "malformed", timestamp, count);
      this.lost();
      return;
    }
    if (this.needKeyframe && !frame.keyframe) {
      this.stats.packetsDropped += count;
      this.noteDrop("waiting-for-keyframe", timestamp, count);
      this.requestKeyframe();
      return;
    }
    if (frame.keyframe) {
      this.needKeyframe = false;
      this.keyframeRequested = false;
      this.stats.keyframes++;
    }
    this.stats.frames++;
    const seqBase = first & 0xffff;
    this.queue({
      type: "frame",
      frame: {
        data: frame.data,
        timestamp,
        keyframe: frame.keyframe,
        firstSequenceNumber: seqBase,
        lastSequenceNumber: end & 0xffff,
        packets: count,
        completedAt: now,
        mimeType: this.mimeType,
        senderTime: undefined,
      },
    });
  }
}
