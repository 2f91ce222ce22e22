// Audio redundancy (RFC 2198) in the media session. Receive: a RED packet is unwrapped and its
// primary block goes to the primary codec's depacketizer with the packet's sequence number and
// timestamp; a redundant block is used only to fill a gap (its frame's packet never arrived), as
// the packet that many sequence numbers back (one audio frame per packet, RFC 7587 4.2) at
// timestamp - offset, so the depacketizer delivers it first and in order; a late original is then
// a duplicate, never delivered twice. Send: each Opus frame goes out as RED with the previous frame
// as one redundant block (distance 1) when it fits the payload budget (RFC 2198 3, RFC 8854).
// Statistics follow webrtc-stats: fecPacketsReceived (RED packets carrying redundancy),
// fecPacketsDiscarded (redundant blocks not needed), plus redRecoveredFrames.
import { type DepacketizerStats, RtpDepacketizer, type RtpPacketLike } from "../media/codecs/depacketizer.js";
import { createDepayloader, createPayloader, isSupportedCodec, RtpPacketizer } from "../media/codecs/index.js";
import type { Random } from "../random.js";
import type { RtpPacketInit } from "../rtp/index.js";
import {
  parseRed,
  parseRedFmtp,
  RED_MAX_BLOCK_LENGTH,
  RED_MAX_TIMESTAMP_OFFSET,
  type RedBlockInit,
  sizeRed,
  writeRed,
} from "../rtp/red.js";
import type { NegotiatedCodec, NegotiatedMedia } from "../sdp/media.js";

const isRed = (c: NegotiatedCodec): boolean => c.mimeType.toLowerCase() === "audio/red";

/** The codec a RED codec carries (the first payload type its fmtp names), when negotiated and supported. */
export function redPrimaryCodec(
  red: NegotiatedCodec,
  negotiated: NegotiatedMedia | undefined,
): NegotiatedCodec | undefined {
  const pt = parseRedFmtp(red.sdpFmtpLine)?.[0];
  const c = negotiated?.codecs.find((x) => x.payloadType === pt);
  return c && !isRed(c) && isSupportedCodec(c.mimeType) ? c : undefined;
}

/** Whether we can send (and receive) with this negotiated codec: a supported one, or RED over one. */
export function isUsableCodec(c: NegotiatedCodec, negotiated: NegotiatedMedia | undefined): boolean {
  return isRed(c) ? redPrimaryCodec(c, negotiated) !== undefined : isSupportedCodec(c.mimeType);
}

/** The codec of the frames a send codec carries: RED's primary codec, else the codec itself. */
export function carriedMimeType(c: NegotiatedCodec, negotiated: NegotiatedMedia | undefined): string {
  return (isRed(c) ? redPrimaryCodec(c, negotiated)?.mimeType : undefined) ?? c.mimeType;
}

// ---- receive ----

/** RED counters added to a RED stream's depacketizer statistics. */
export interface RedReceiveStats {
  /** RED packets received (RTP packets with the RED payload type). */
  redPackets: number;
  /** RED packets carrying at least one redundant block (webrtc-stats fecPacketsReceived). */
  fecPacketsReceived: number;
  /** Redundant blocks not used: their frame had arrived or could not be placed (fecPacketsDiscarded). */
  fecPacketsDiscarded: number;
  /** Frames delivered from a redundant block because their own packet was lost. */
  redRecoveredFrames: number;
  /** RED payloads that did not parse, or whose primary is not the negotiated codec. */
  redMalformed: number;
}

/** The sequence numbers (and timestamps) seen recently, to tell whether a redundant block is needed. */
const SEEN = 256;
/** Delivered frames remembered (timestamp, sequence number), so no frame is delivered twice. */
const DELIVERED = 32;
/** How far back a redundant block looks for the last frame seen before its place. */
const LOOK_BACK = 16;

/**
 * A depacketizer for a stream negotiated with RED: RED packets are unwrapped, packets of the
 * primary codec itself (a sender may switch) pass through. Bounded: a fixed ring of seen packets.
 */
export class RedDepacketizer extends RtpDepacketizer {
  readonly redPayloadType: number;
  readonly primaryPayloadType: number;
  declare readonly stats: DepacketizerStats & RedReceiveStats;
  private readonly seenSeq = new Int32Array(SEEN).fill(-1);
  private readonly seenTs = new Uint32Array(SEEN);
  /** Whether a sequence number's entry in the seen ring carried a frame (not padding). */
  private readonly seenFrame = new Uint8Array(SEEN);
  /** The latest frames handed to the depacketizer: timestamp and the sequence number used. */
  private readonly deliveredTs = new Uint32Array(DELIVERED);
  private readonly deliveredSeq = new Int32Array(DELIVERED).fill(-1);
  private deliveredAt = 0;

  constructor(redPayloadType: number, primary: NegotiatedCodec) {
    super(createDepayloader(primary.mimeType), { mimeType: primary.mimeType });
    this.redPayloadType = redPayloadType;
    this.primaryPayloadType = primary.payloadType;
    const s = this.stats;
    s.redPackets = 0;
    s.fecPacketsReceived = 0;
    s.fecPacketsDiscarded = 0;
    s.redRecoveredFrames = 0;
    s.redMalformed = 0;
  }

  override push(p: RtpPacketLike & { payloadType?: number }, now: number): void {
    const s = this.stats;
    // Plain packets of the primary codec, and padding-only packets (empty: senders probe with
    // them on the RED payload type), take their sequence number as they are.
    if (p.payloadType !== this.redPayloadType || p.payload.length === 0) {
      if (p.payloadType === this.redPayloadType) s.redPackets++;
      if (p.payload.length === 0) {
        this.note(p.sequenceNumber, p.timestamp, false);
        super.push(p, now);
        return;
      }
      this.pushFrame(p, now);
      return;
    }
    s.redPackets++;
    const red = parseRed(p.payload);
    if (!red || red.primary.payloadType !== this.primaryPayloadType) {
      s.redMalformed++;
      return;
    }
    const k = red.redundant.length;
    if (k > 0) s.fecPacketsReceived++;
    for (let j = 0; j < k; j++) {
      const b = red.redundant[j]!;
      const seq = (p.sequenceNumber - (k - j)) & 0xffff;
      const ts = (p.timestamp - b.timestampOffset) >>> 0;
      if (!this.needed(b.payloadType, b.timestampOffset, b.data.length, seq, ts)) {
        s.fecPacketsDiscarded++;
        continue;
      }
      const late = s.late + s.duplicates;
      super.push({ sequenceNumber: seq, timestamp: ts, marker: false, payload: b.data }, now);
      this.note(seq, ts, true);
      if (s.late + s.duplicates === late) {
        s.redRecoveredFrames++;
        this.delivered(ts, seq);
      } else s.fecPacketsDiscarded++;
    }
    this.pushFrame(
      { sequenceNumber: p.sequenceNumber, timestamp: p.timestamp, marker: p.marker, payload: red.primary.data },
      now,
    );
  }

  /**
   * A frame of its own packet. The original of a frame already delivered (from redundancy, placed
   * at another sequence number when frameless packets were lost too) is not delivered again.
   */
  private pushFrame(p: RtpPacketLike, now: number): void {
    const s = this.stats;
    const d = this.deliveredIndex(p.timestamp);
    if (d >= 0 && this.deliveredSeq[d] !== p.sequenceNumber) {
      s.duplicates++;
      return;
    }
    this.note(p.sequenceNumber, p.timestamp, true);
    const late = s.late + s.duplicates;
    super.push(p, now);
    if (d < 0 && s.late + s.duplicates === late) this.delivered(p.timestamp, p.sequenceNumber);
  }

  /** The ring index of a delivered frame with this timestamp, or -1. */
  private deliveredIndex(ts: number): number {
    for (let i = 0; i < DELIVERED; i++) if (this.deliveredSeq[i]! >= 0 && this.deliveredTs[i] === ts) return i;
    return -1;
  }

  private delivered(ts: number, seq: number): void {
    this.deliveredTs[this.deliveredAt] = ts;
    this.deliveredSeq[this.deliveredAt] = seq;
    this.deliveredAt = (this.deliveredAt + 1) & (DELIVERED - 1);
  }

  private note(seq: number, ts: number, frame: boolean): void {
    const i = seq & (SEEN - 1);
    this.seenSeq[i] = seq;
    this.seenTs[i] = ts;
    this.seenFrame[i] = frame ? 1 : 0;
  }

  /**
   * A redundant block fills a gap (as NetEq, by timestamp) when its packet was not seen, it is of
   * the primary codec, no frame of its timestamp was delivered, and its timestamp is newer (serial
   * comparison) than the last frame seen before its place: sequence numbers without a frame
   * (padding, telephone events) may lie between frames, so the place is only a guess.
   */
  private needed(pt: number, offset: number, length: number, seq: number, ts: number): boolean {
    if (pt !== this.primaryPayloadType || offset === 0 || length === 0) return false;
    if (this.seenSeq[seq & (SEEN - 1)] === seq) return false;
    if (this.deliveredIndex(ts) >= 0) return false;
    for (let k = 1; k <= LOOK_BACK; k++) {
      const before = (seq - k) & 0xffff;
      const i = before & (SEEN - 1);
      if (this.seenSeq[i] !== before || this.seenFrame[i] === 0) continue;
      return ((ts - this.seenTs[i]!) | 0) > 0;
    }
    return true;
  }
}

/**
 * The depacketizer a receive stream uses after its payload type changed to `codec`: RED gets (or
 * keeps) a RedDepacketizer, which also takes its primary codec's plain packets; other codecs keep
 * the current one when the codec is the same, else a new one (undefined when unsupported).
 */
export function depacketizerFor(
  codec: NegotiatedCodec,
  negotiated: NegotiatedMedia | undefined,
  current: RtpDepacketizer | undefined,
  currentCodec: NegotiatedCodec | undefined,
): RtpDepacketizer | undefined {
  if (isRed(codec)) {
    if (current instanceof RedDepacketizer && current.redPayloadType === codec.payloadType) return current;
    const primary = redPrimaryCodec(codec, negotiated);
    return primary ? new RedDepacketizer(codec.payloadType, primary) : undefined;
  }
  if (current instanceof RedDepacketizer && current.primaryPayloadType === codec.payloadType) return current;
  if (current && currentCodec?.mimeType.toLowerCase() === codec.mimeType.toLowerCase()) return current;
  return isSupportedCodec(codec.mimeType)
    ? new RtpDepacketizer(createDepayloader(codec.mimeType), { mimeType: codec.mimeType })
    : undefined;
}

// ---- send ----

const NO_BLOCKS: readonly RedBlockInit[] = [];

export interface SendPacketizerOptions {
  ssrc: number;
  random: Random;
  sequenceNumber: number | undefined;
  timestampOffset: number | undefined;
  maxPayloadSize: number;
}

/**
 * A packetizer for RED over one audio codec: every frame is one RED packet with the previous
 * frame as a redundant block (distance 1) when the offset fits 14 bits, the block 10 bits, and
 * both the payload budget; else the primary alone (1-byte header).
 */
export class RedPacketizer extends RtpPacketizer {
  readonly primaryPayloadType: number;
  /** Redundant packets sent, and frames sent without redundancy (first, or over budget). */
  redundantBlocksSent = 0;
  private readonly prev = new Uint8Array(RED_MAX_BLOCK_LENGTH);
  private prevLength = -1;
  private prevTicks = 0;
  private readonly block: RedBlockInit[];

  constructor(redPayloadType: number, primary: NegotiatedCodec, opts: SendPacketizerOptions) {
    super({ ...opts, payloader: createPayloader(primary.mimeType, primary.sdpFmtpLine), payloadType: redPayloadType });
    this.primaryPayloadType = primary.payloadType;
    this.block = [{ payloadType: primary.payloadType, timestampOffset: 0, data: this.prev.subarray(0, 0) }];
  }

  /** The payload bytes the next frame of `length` bytes takes: headers, previous frame and primary. */
  payloadBytes(length: number): number {
    return this.prevLength > 0 && 5 + this.prevLength + length <= this.maxPayloadSize
      ? 5 + this.prevLength + length
      : 1 + length;
  }

  override packetize(frame: Uint8Array, ticks: number, marker = false): RtpPacketInit[] {
    const max = this.maxPayloadSize;
    this.maxPayloadSize = max - 1; // the primary's header byte
    let out: RtpPacketInit[];
    try {
      out = super.packetize(frame, ticks, marker);
    } finally {
      this.maxPayloadSize = max;
    }
    if (out.length !== 1) return out; // audio payloaders give one payload per frame
    const pkt = out[0]!;
    const primary = pkt.payload;
    const offset = Math.round(ticks) - this.prevTicks;
    const withPrev =
      this.prevLength > 0 &&
      offset > 0 &&
      offset <= RED_MAX_TIMESTAMP_OFFSET &&
      5 + this.prevLength + primary.length <= max;
    // One reused block (distance 1): no per-packet objects.
    const block = this.block[0]!;
    block.timestampOffset = offset;
    block.data = this.prev.subarray(0, this.prevLength);
    const redundant = withPrev ? this.block : NO_BLOCKS;
    const size = sizeRed(redundant, primary);
    const payload = Buffer.allocUnsafe(size);
    writeRed(redundant, this.primaryPayloadType, primary, payload, 0);
    if (withPrev) this.redundantBlocksSent++;
    this.bytes += size - primary.length;
    pkt.payload = payload;
    // Keep this frame for the next packet (copied: the caller may reuse its buffer).
    if (primary.length <= RED_MAX_BLOCK_LENGTH) {
      this.prev.set(primary);
      this.prevLength = primary.length;
      this.prevTicks = Math.round(ticks);
    } else this.prevLength = -1;
    return out;
  }
}

/** The packetizer for a send codec: RED over its primary codec, or the codec's own. */
export function createSendPacketizer(
  codec: NegotiatedCodec,
  negotiated: NegotiatedMedia | undefined,
  opts: SendPacketizerOptions,
): RtpPacketizer {
  if (isRed(codec)) {
    const primary = redPrimaryCodec(codec, negotiated);
    if (primary) return new RedPacketizer(codec.payloadType, primary, opts);
  }
  return new RtpPacketizer({
    ...opts,
    payloader: createPayloader(codec.mimeType, codec.sdpFmtpLine),
    payloadType: codec.payloadType,
  });
}
