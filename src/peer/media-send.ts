// The send side of the media session: per-sender packetizers (src/media/codecs) whose sequence
// numbers and timestamp offset carry on across codec changes and pauses (one SSRC, one sequence
// space, RFC 3550 5.1; else the remote's SRTP index estimate, RFC 3711 3.3.1, drops the packets as
// replays), frames and forwarded packets with the MID, abs-send-time and transport-wide sequence
// number header extensions (RFC 8285, RFC 8843 15), RFC 4733 telephone events in the media's
// sequence space, the pacer (src/peer/media-pacer.ts) and SRTP protection (RFC 3711) on the way out.
// abs-send-time is the time a packet leaves: a paced packet's is rewritten in place when the pacer
// releases it (where the feedback chain stamps the transport-wide sequence number).
import { readU32 } from "../bytes/index.js";
import type { EncodedFrame } from "../media/frame.js";
import type { Random } from "../random.js";
import type { RtpFeedbackChain } from "../rtp/feedback/index.js";
import {
  absSendTimeFromMs,
  encodeAbsSendTime,
  encodeAudioLevel,
  encodeStringExtension,
  type RtpHeaderExtension,
  type RtpPacketInit,
  serializeRtp,
  setRtpExtensionInPlace,
} from "../rtp/index.js";
import { EXT_URI, type NegotiatedCodec } from "../sdp/media.js";
import type { SrtpSession } from "../srtp/index.js";
import type { DtmfPacket, MediaDtmf } from "./media-dtmf.js";
import { MediaPacer } from "./media-pacer.js";
import { createSendPacketizer, RedPacketizer } from "./media-red.js";
import { sends, type TransceiverState } from "./media-types.js";

/** Per-packet bytes beyond the payload, for frame admission: RTP header 12, extensions, SRTP tag 16. */
const PACKET_OVERHEAD_ESTIMATE = 48;

/** An RTP packet to forward: the session sets the SSRC, and the payload type unless negotiated. */
export type ForwardedRtp = Omit<RtpPacketInit, "ssrc" | "payloadType"> & { payloadType?: number; audioLevel?: number };

export class MediaSendPath {
  private readonly random: Random;
  private readonly maxPayloadSize: number;
  private readonly ntpOffset: number;
  private readonly transmit: (datagram: Uint8Array) => void;
  /** The SRTP context of what we send (undefined until keyed). */
  tx: SrtpSession | undefined = undefined;
  /** The transport's feedback chain (set by the session whenever it is rebuilt). */
  chain: RtpFeedbackChain | undefined = undefined;
  private pacerOrUndefined: MediaPacer | undefined = undefined;
  /** abs-send-time rewritten into a paced packet as it leaves (3 bytes, reused). */
  private readonly absScratch = new Uint8Array(3);

  constructor(random: Random, maxPayloadSize: number, ntpOffset: number, transmit: (datagram: Uint8Array) => void) {
    this.random = random;
    this.maxPayloadSize = maxPayloadSize;
    this.ntpOffset = ntpOffset;
    this.transmit = transmit;
  }

  /** The pacer, made on first use (a data-only connection never needs one). */
  get pacer(): MediaPacer {
    this.pacerOrUndefined ??= new MediaPacer();
    return this.pacerOrUndefined;
  }

  /** The pacer if one was made (for the paths that have nothing to do without one). */
  get pacerIfAny(): MediaPacer | undefined {
    return this.pacerOrUndefined;
  }

  /** Whether the transceiver sends now: keyed, negotiated to send, not stopped. */
  canSend(t: TransceiverState): boolean {
    return this.tx !== undefined && t.packetizer !== undefined && !t.stopped && sends(t.currentDirection);
  }

  /**
   * A packetizer for the transceiver's send codec. A new codec continues the old sequence numbers
   * and timestamp offset; a sender that stops sending (recvonly/inactive) keeps its packetizer, so
   * sending again later goes on from the same numbers instead of new random ones.
   */
  updatePacketizer(t: TransceiverState, c: NegotiatedCodec): void {
    if (t.packetizer && t.packetizer.payloadType === c.payloadType) return;
    const prev = t.packetizer;
    // RED over Opus (src/peer/media-red.ts) when that is the send codec.
    t.packetizer = createSendPacketizer(c, t.negotiated, {
      ssrc: t.ssrc,
      random: this.random,
      sequenceNumber: prev?.sequenceNumber,
      timestampOffset: prev?.timestampOffset,
      maxPayloadSize: this.maxPayloadSize,
    });
  }

  /** Packetizes and sends a frame (the caller checked canSend). */
  sendFrame(t: TransceiverState, frame: EncodedFrame, dtmf: MediaDtmf, now: number): void {
    // Over the sender's bitrate limit: the frame is dropped whole, before it takes sequence numbers.
    if (!this.pacer.admitFrame(t, this.expectedBytes(t, frame.data.length), frame.keyframe, now)) return;
    const packets = t.packetizer!.packetize(frame.data, frame.timestamp);
    dtmf.noteFrame(t.id, frame.timestamp, now);
    const ext = this.extensionsFor(t, now);
    for (const p of packets) this.sendPacket(t, p, ext, now, true);
    t.framesSent++;
    if (frame.keyframe) t.keyframesSent++;
  }

  /**
   * The bytes a frame will take in the pacer's queue: the payload (RED adds its headers and the
   * previous frame) plus an RTP header, extensions and SRTP tag estimate per packet.
   */
  private expectedBytes(t: TransceiverState, length: number): number {
    const p = t.packetizer!;
    const payload = p instanceof RedPacketizer ? p.payloadBytes(length) : length;
    return payload + PACKET_OVERHEAD_ESTIMATE * Math.max(1, Math.ceil(payload / this.maxPayloadSize));
  }

  /**
   * Sends an RTP packet as it is (forwarding): our SSRC replaces the packet's, and its payload type
   * unless that is a negotiated one; sequence numbers and timestamps are the caller's.
   */
  sendRtp(t: TransceiverState, packet: ForwardedRtp, now: number): void {
    const pt = packet.payloadType;
    const negotiated = pt !== undefined && t.negotiated?.codecs.some((c) => c.payloadType === pt);
    const ext = this.extensionsFor(t, now);
    const lvl = t.negotiated?.extensions.get(EXT_URI.audioLevel);
    const level = packet.audioLevel; // RFC 6464 -dBov, V set below silence
    if (level !== undefined && lvl !== undefined) ext.push({ id: lvl, data: encodeAudioLevel(level, level < 127) });
    // One object with the fields sent (no spread of a parsed packet: its raw extension block, from
    // the session it came in on, must not go out, and the spreads cost ~8% of a relay's CPU).
    const out: RtpPacketInit = {
      marker: packet.marker === true,
      payloadType: negotiated ? pt : t.sendCodec!.payloadType,
      sequenceNumber: packet.sequenceNumber,
      timestamp: packet.timestamp,
      ssrc: t.ssrc,
      csrcs: packet.csrcs,
      payload: packet.payload,
      extensions: ext,
    };
    this.sendPacket(t, out, ext, now, false);
  }

  /** A telephone-event packet (RFC 4733) in the transceiver's sequence and timestamp space. */
  sendDtmf(t: TransceiverState, d: DtmfPacket, now: number): void {
    const pk = t.packetizer;
    if (!this.canSend(t) || !pk) return;
    const p = { ...d, ssrc: t.ssrc, sequenceNumber: pk.sequenceNumber, timestamp: pk.rtpTimestamp(d.ticks) };
    pk.sequenceNumber = (pk.sequenceNumber + 1) & 0xffff;
    this.sendPacket(t, p, this.extensionsFor(t, now), now, false);
  }

  private extensionsFor(t: TransceiverState, now: number): RtpHeaderExtension[] {
    const ext: RtpHeaderExtension[] = [];
    const n = t.negotiated;
    if (!n) return ext;
    const mid = n.extensions.get(EXT_URI.mid);
    if (mid !== undefined && t.mid !== undefined) ext.push({ id: mid, data: encodeStringExtension(t.mid) });
    const abs = n.extensions.get(EXT_URI.absSendTime);
    if (abs !== undefined) ext.push({ id: abs, data: encodeAbsSendTime(now + this.ntpOffset) });
    const twcc = n.extensions.get(EXT_URI.transportWideCc);
    // Stamped in place by the feedback chain (handleOutgoingRtp).
    if (twcc !== undefined) ext.push({ id: twcc, data: new Uint8Array(2) });
    return ext;
  }

  /** `admitted`: a packet of a frame the pacer's frame check let in (forwarded RTP and DTMF are not). */
  private sendPacket(
    t: TransceiverState,
    p: RtpPacketInit,
    ext: RtpHeaderExtension[],
    now: number,
    admitted: boolean,
  ): void {
    const bytes = serializeRtp(p.extensions === ext || ext.length === 0 ? p : { ...p, extensions: ext });
    const abs = t.negotiated?.extensions.get(EXT_URI.absSendTime) ?? 0;
    if (this.pacer.enqueue(p.ssrc, bytes, false, now, admitted, abs)) return;
    this.chain?.handleOutgoingRtp(bytes, now);
    const wire = this.tx!.protectRtp(bytes);
    if (wire) this.transmit(wire);
  }

  /** Rewrites a queued packet's abs-send-time (RFC 8285 element, 24-bit 6.18 s) to `now`. */
  private stampAbsSendTime(bytes: Uint8Array, id: number, now: number): void {
    const v = absSendTimeFromMs(now + this.ntpOffset);
    const s = this.absScratch;
    s[0] = v >>> 16;
    s[1] = (v >>> 8) & 0xff;
    s[2] = v & 0xff;
    setRtpExtensionInPlace(bytes, id, s);
  }

  /** Sends what the chain (RTX retransmissions, RTCP) and the pacer have ready. */
  flush(chain: RtpFeedbackChain, now: number): void {
    const tx = this.tx;
    if (!tx) return;
    const pacer = this.pacerOrUndefined;
    for (let r = chain.pollRtp(); r; r = chain.pollRtp()) {
      if (pacer?.enqueue(readU32(r, 8), r, true, now)) continue; // RTX counts against the limit
      const w = tx.protectRtp(r);
      if (w) this.transmit(w);
    }
    if (pacer) {
      for (let q = pacer.pollPacket(now); q; q = pacer.pollPacket(now)) {
        if (!q.resend) {
          if (q.absSendTimeId > 0) this.stampAbsSendTime(q.bytes, q.absSendTimeId, now);
          chain.handleOutgoingRtp(q.bytes, now);
        }
        const w = tx.protectRtp(q.bytes);
        if (w) this.transmit(w);
      }
    }
    for (let c = chain.pollRtcp(); c; c = chain.pollRtcp()) {
      const w = tx.protectRtcp(c);
      if (w) this.transmit(w);
    }
  }
}
