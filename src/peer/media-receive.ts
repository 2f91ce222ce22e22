// Incoming RTP demultiplexing for one BUNDLE transport (RFC 8843 9.2): a packet belongs to the
// transceiver named by its MID header extension (RFC 8843 15 / RFC 7941 sdes:mid), else to the one
// its SSRC was bound to (announced by a=ssrc, or learned from an earlier MID), else to the only
// transceiver whose negotiated payload types include its payload type; otherwise it is dropped.
// Each bound SSRC gets a depacketizer (src/media/codecs) for the codec of its payload type.

import type { DepacketizerStats, RtpDepacketizer } from "../media/codecs/depacketizer.js";
import { decodeStringExtension, getRtpExtension, type RtpPacket } from "../rtp/index.js";
import type { NegotiatedCodec, NegotiatedMedia } from "../sdp/media.js";
import { depacketizerFor } from "./media-red.js";

/** What the demuxer knows of one transceiver. */
export interface DemuxTarget {
  id: number;
  negotiated: NegotiatedMedia | undefined;
  /** We receive on it (negotiated direction sendrecv or recvonly, not stopped). */
  receiving: boolean;
}

export interface ReceiveStreamState {
  ssrc: number;
  targetId: number;
  payloadType: number;
  codec: NegotiatedCodec | undefined;
  depacketizer: RtpDepacketizer | undefined;
  packets: number;
  bytes: number;
  lastPacketAt: number;
  /** The latest RTCP sender report's NTP time (ms since 1900) and RTP timestamp (RFC 3550 6.4.1). */
  srNtpMs: number | undefined;
  srRtpTimestamp: number;
}

export interface DemuxDrops {
  /** No MID, SSRC or payload type binding found. */
  unroutable: number;
  /** A MID that names no receiving transceiver. */
  unknownMid: number;
  /** The payload type is not negotiated on the transceiver. */
  unknownPayloadType: number;
  /** More remote SSRCs than maxStreams. */
  tooManyStreams: number;
}

export interface ReceiveStreamStats {
  ssrc: number;
  transceiver: number;
  payloadType: number;
  packets: number;
  bytes: number;
  depacketizer: DepacketizerStats | undefined;
}

/** Most remote SSRCs tracked per transport. */
export const MAX_RECEIVE_STREAMS = 64;

export class RtpDemuxer {
  /** SSRC -> its stream (bound to a transceiver). */
  readonly streams = new Map<number, ReceiveStreamState>();
  readonly drops: DemuxDrops = { unroutable: 0, unknownMid: 0, unknownPayloadType: 0, tooManyStreams: 0 };
  private targets: DemuxTarget[] = [];
  /** Header extension ids carrying the MID. */
  private midIds = new Set<number>();
  /** SSRCs announced by the remote description -> transceiver id. */
  private announced = new Map<number, number>();

  /** Re-reads the transceivers after a negotiation. */
  configure(targets: DemuxTarget[]): void {
    this.targets = targets;
    this.midIds.clear();
    this.announced.clear();
    for (const t of targets) {
      const n = t.negotiated;
      if (!n) continue;
      const id = n.extensions.get("urn:ietf:params:rtp-hdrext:sdes:mid");
      if (id !== undefined) this.midIds.add(id);
      for (const s of n.remoteSources) this.announced.set(s.ssrc, t.id);
    }
    // Streams of transceivers that no longer receive are forgotten.
    for (const [ssrc, s] of this.streams) {
      const t = this.target(s.targetId);
      if (!t?.receiving) this.streams.delete(ssrc);
    }
  }

  /** Whether this SSRC is an RTX SSRC the remote announced (a=ssrc-group:FID). */
  isAnnouncedRtx(ssrc: number): boolean {
    for (const t of this.targets)
      for (const s of t.negotiated?.remoteSources ?? []) if (s.rtxSsrc === ssrc) return true;
    return false;
  }

  private target(id: number): DemuxTarget | undefined {
    for (const t of this.targets) if (t.id === id) return t;
    return undefined;
  }

  /** The target a media packet (RTX already unwrapped) belongs to, binding its SSRC; undefined = dropped. */
  route(p: RtpPacket, size: number, now: number): ReceiveStreamState | undefined {
    let targetId: number | undefined;
    if (this.midIds.size > 0 && p.extensionProfile >= 0) {
      for (const id of this.midIds) {
        const data = getRtpExtension(p, id);
        if (data === undefined) continue;
        const mid = decodeStringExtension(data);
        const t = this.targets.find((x) => x.negotiated?.mid === mid);
        if (!t?.receiving) {
          this.drops.unknownMid++;
          return undefined;
        }
        targetId = t.id;
        break;
      }
    }
    let s = this.streams.get(p.ssrc);
    if (targetId === undefined) targetId = s?.targetId ?? this.announced.get(p.ssrc);
    if (targetId === undefined) {
      let only: DemuxTarget | undefined;
      for (const t of this.targets) {
        if (!t.receiving || !t.negotiated?.codecs.some((c) => c.payloadType === p.payloadType)) continue;
        if (only) {
          only = undefined;
          break;
        }
        only = t;
      }
      if (!only) {
        this.drops.unroutable++;
        return undefined;
      }
      targetId = only.id;
    }
    const t = this.target(targetId);
    if (!t?.receiving || !t.negotiated) {
      this.drops.unroutable++;
      return undefined;
    }
    const codec = t.negotiated.codecs.find((c) => c.payloadType === p.payloadType);
    if (!codec) {
      this.drops.unknownPayloadType++;
      return undefined;
    }
    if (s === undefined || s.targetId !== targetId) {
      if (s === undefined && this.streams.size >= MAX_RECEIVE_STREAMS) {
        this.drops.tooManyStreams++;
        return undefined;
      }
      s = {
        ssrc: p.ssrc,
        targetId,
        payloadType: -1,
        codec: undefined,
        depacketizer: undefined,
        packets: 0,
        bytes: 0,
        lastPacketAt: now,
        srNtpMs: undefined,
        srRtpTimestamp: 0,
      };
      this.streams.set(p.ssrc, s);
    }
    // Telephone events share the audio stream (RFC 4733 2.6.2) without replacing its codec.
    if (s.payloadType !== p.payloadType && codec.mimeType.toLowerCase() !== "audio/telephone-event") {
      s.payloadType = p.payloadType;
      // RED (src/peer/media-red.ts) unwraps into its primary codec's depacketizer.
      s.depacketizer = depacketizerFor(codec, t.negotiated, s.depacketizer, s.codec);
      s.codec = codec;
    }
    s.packets++;
    s.bytes += size;
    s.lastPacketAt = now;
    return s;
  }

  /** Each stream's counters (src/peer/media.ts stats().receive). */
  stats(): ReceiveStreamStats[] {
    return [...this.streams.values()].map((s) => ({
      ssrc: s.ssrc,
      transceiver: s.targetId,
      payloadType: s.payloadType,
      packets: s.packets,
      bytes: s.bytes,
      depacketizer: s.depacketizer ? { ...s.depacketizer.stats } : undefined,
    }));
  }

  /** Removes the streams of one transceiver (stopped). */
  forget(targetId: number): void {
    for (const [ssrc, s] of this.streams) if (s.targetId === targetId) this.streams.delete(ssrc);
  }
}
