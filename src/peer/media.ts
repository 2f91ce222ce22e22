// The sans-IO media session of one BUNDLE transport: transceivers (their SSRCs, direction and
// negotiated parameters, RFC 8829 5.7/5.8), SRTP and SRTCP (RFC 3711; AES-GCM RFC 7714) keyed
// from the DTLS-SRTP exporter (RFC 5764 4.2) with the profile DTLS selected, incoming RTP demuxed
// by MID, SSRC, then payload type (RFC 8843 9.2, src/peer/media-receive.ts), RTCP through one
// RtpFeedbackChain (RFC 3550 reports, RFC 4585 NACK/PLI, RFC 4588 RTX, TWCC), outgoing frames
// packetized (src/media/codecs) with the MID, abs-send-time and transport-wide sequence number
// header extensions (RFC 8285), frames out as events (with the sender's wallclock from its latest
// RTCP sender report, RFC 3550 6.4.1), and PLI when a depacketizer needs a keyframe.
// Datagrams in and out are SRTP/SRTCP (first byte 128-191, RFC 7983); the Peer moves them over ICE.
import { readU32 } from "../bytes/index.js";
import type { DepacketizerStats } from "../media/codecs/depacketizer.js";
import { createPayloader, isSupportedCodec, RtpPacketizer } from "../media/codecs/index.js";
import type { EncodedFrame, ReceivedFrame } from "../media/frame.js";
import type { Random } from "../random.js";
import { type FeedbackStats, RtpFeedbackChain } from "../rtp/feedback/index.js";
import {
  encodeAbsSendTime,
  encodeAudioLevel,
  encodeStringExtension,
  isRtcpPacket,
  parseRtp,
  type RtpHeaderExtension,
  type RtpPacket,
  type RtpPacketInit,
  serializeRtp,
} from "../rtp/index.js";
import type { Direction } from "../sdp/attributes.js";
import { EXT_URI, type NegotiatedCodec, type NegotiatedMedia } from "../sdp/media.js";
import {
  type SrtpProfile,
  SrtpSession,
  type SrtpStats,
  srtpKeyingMaterialLength,
  srtpKeysFromExporter,
  srtpProfileFromId,
} from "../srtp/index.js";
import { PeerError } from "./errors.js";
import { type DtmfEvent, MediaDtmf } from "./media-dtmf.js";
import { MediaPacer } from "./media-pacer.js";
import { type DemuxDrops, RtpDemuxer } from "./media-receive.js";
import { SourceTracker } from "./media-sources.js";

export type MediaKind = "audio" | "video";

export interface MediaSessionOptions {
  random: Random;
  /** RTCP CNAME (RFC 7022: random per connection). */
  cname: string;
  /** NTP ms = now + ntpOffsetMs (see ntpOffsetFor in petrel/rtp/feedback). Default 0. */
  ntpOffsetMs?: number;
  /** Largest RTP payload (default 1100). */
  maxPayloadSize?: number;
}

export type MediaEvent =
  /** A frame assembled from a remote stream. */
  | { type: "frame"; transceiver: number; ssrc: number; frame: ReceivedFrame }
  /** A received media packet (RTX unwrapped, after SRTP), for transceivers with raw RTP enabled. */
  | { type: "rtp"; transceiver: number; packet: RtpPacket }
  /** The first packet of a remote stream on a transceiver. */
  | { type: "remote-stream"; transceiver: number; ssrc: number }
  /** The remote asked for a keyframe of what we send (PLI or FIR). */
  | { type: "keyframe-request"; transceiver: number }
  | { type: "bye"; transceiver: number; ssrc: number }
  /** DTMF (src/peer/media-dtmf.ts): the sender's tonechange, a received telephone event. */
  | DtmfEvent
  /** The bitrate an encoder should aim for (src/peer/media-pacer.ts): min(limit, REMB). */
  | { type: "target-bitrate"; transceiver: number; bitrate: number | undefined };

export interface TransceiverState {
  readonly id: number;
  readonly kind: MediaKind;
  mid: string | undefined;
  direction: Direction;
  /** The negotiated direction (undefined before the first negotiation). */
  currentDirection: Direction | undefined;
  stopped: boolean;
  /** Our SSRC (and RTX SSRC for video), fixed for the transceiver's life. */
  readonly ssrc: number;
  readonly rtxSsrc: number | undefined;
  negotiated: NegotiatedMedia | undefined;
  /** Emit `rtp` events for received packets. */
  rawRtp: boolean;
  /** The codec frames are sent with (first negotiated, or setSendCodec). */
  sendCodec: NegotiatedCodec | undefined;
  packetizer: RtpPacketizer | undefined;
  /** Frames and bytes handed to sendFrame. */
  framesSent: number;
  keyframesSent: number;
}

export interface MediaSessionStats {
  srtp: { send: SrtpStats | undefined; receive: SrtpStats | undefined; profile: SrtpProfile | undefined };
  feedback: FeedbackStats | undefined;
  demux: DemuxDrops;
  receive: {
    ssrc: number;
    transceiver: number;
    payloadType: number;
    packets: number;
    bytes: number;
    depacketizer: DepacketizerStats | undefined;
  }[];
  dropped: { beforeKeys: number; srtp: number; srtcp: number; queue: number; malformed: number };
}

/** A short-term persistent RTCP CNAME (RFC 7022 4.1): 96 random bits, base64 (16 characters). */
export function randomCname(random: Random): string {
  return Buffer.from(random.bytes(12)).toString("base64");
}

/** Bounds of the output queues. */
const MAX_TRANSMITS = 1024;
const MAX_EVENTS = 1024;

/** PLI unless only FIR was negotiated (RFC 4585 6.3.1, RFC 5104 4.3.1). */
function keyframeMethod(c: NegotiatedCodec | undefined): "pli" | "fir" {
  return c && !c.feedback.includes("nack pli") && c.feedback.includes("ccm fir") ? "fir" : "pli";
}

const sends = (d: Direction | undefined) => d === "sendrecv" || d === "sendonly";
const receives = (d: Direction | undefined) => d === "sendrecv" || d === "recvonly";

export class MediaSession {
  private readonly random: Random;
  readonly cname: string;
  private readonly ntpOffset: number;
  private readonly maxPayloadSize: number;
  private readonly transceivers: TransceiverState[] = [];
  private readonly demux = new RtpDemuxer();
  private chain: RtpFeedbackChain | undefined;
  /** What the chain was built with, and the streams added to it. */
  private chainKey = "";
  private readonly chainSend = new Map<number, string>();
  private readonly chainReceive = new Set<number>();
  private tx: SrtpSession | undefined;
  private rx: SrtpSession | undefined;
  private profile: SrtpProfile | undefined;
  private readonly out: Uint8Array[] = [];
  private readonly events: MediaEvent[] = [];
  private readonly usedSsrcs = new Set<number>();
  private nextId = 1;
  private closed = false;
  readonly dropped = { beforeKeys: 0, srtp: 0, srtcp: 0, queue: 0, malformed: 0 };
  /** DTMF playout and telephone-event receipt (RFC 4733). */
  readonly dtmf = new MediaDtmf((id) => this.transceivers.find((t) => t.id === id));
  /** SSRCs and CSRCs heard per transceiver, with audio levels (webrtc-pc 5.3.4). */
  readonly sources = new SourceTracker();
  /** maxBitrate and b=TIAS/AS enforcement per sender (token bucket, bounded queue). */
  readonly pacer = new MediaPacer();

  constructor(opts: MediaSessionOptions) {
    this.random = opts.random;
    this.cname = opts.cname;
    this.ntpOffset = opts.ntpOffsetMs ?? 0;
    this.maxPayloadSize = opts.maxPayloadSize ?? 1100;
  }

  // ---- transceivers ----

  addTransceiver(kind: MediaKind, direction: Direction = "sendrecv"): TransceiverState {
    if (kind !== "audio" && kind !== "video")
      throw new PeerError("ERR_INVALID_ARGUMENT", `unknown media kind "${kind}"`);
    const t: TransceiverState = {
      id: this.nextId++,
      kind,
      mid: undefined,
      direction,
      currentDirection: undefined,
      stopped: false,
      ssrc: this.newSsrc(),
      rtxSsrc: kind === "video" ? this.newSsrc() : undefined,
      negotiated: undefined,
      rawRtp: false,
      sendCodec: undefined,
      packetizer: undefined,
      framesSent: 0,
      keyframesSent: 0,
    };
    this.transceivers.push(t);
    return t;
  }

  transceiver(id: number): TransceiverState {
    const t = this.transceivers.find((x) => x.id === id);
    if (!t) throw new PeerError("ERR_INVALID_STATE", `no transceiver ${id}`);
    return t;
  }

  list(): readonly TransceiverState[] {
    return this.transceivers;
  }

  /** Marks a transceiver stopped: it neither sends nor receives (RFC 8829 4.2.1). */
  stopTransceiver(id: number, now: number): void {
    const t = this.transceiver(id);
    if (t.stopped) return;
    t.stopped = true;
    t.currentDirection = undefined;
    this.pacer.forget(t.id);
    this.demux.forget(t.id);
    this.refresh();
    this.pump(now);
  }

  /** Applies what an offer/answer negotiated for a transceiver (or undefined: rejected). */
  applyNegotiation(id: number, negotiated: NegotiatedMedia | undefined, now: number): void {
    const t = this.transceiver(id);
    t.negotiated = negotiated;
    if (!negotiated) t.currentDirection = "inactive";
    else {
      t.mid = negotiated.mid ?? t.mid;
      t.currentDirection = negotiated.direction;
      const usable = negotiated.codecs.filter((c) => isSupportedCodec(c.mimeType));
      if (!t.sendCodec || !usable.some((c) => c.payloadType === t.sendCodec!.payloadType)) t.sendCodec = usable[0];
      this.pacer.setRemoteLimit(t, negotiated.remoteMaxBitrate, now);
    }
    this.refresh();
    this.pump(now);
  }

  /**
   * Brings the feedback chain, packetizers and demuxer in line with every transceiver. The chain
   * is (re)built when the payload types or the TWCC extension id it was built with change (one
   * RTCP session per BUNDLE transport, RFC 8843 9.3); streams are added once.
   */
  private refresh(): void {
    const rtx: Record<number, number> = {};
    const rates: Record<number, number> = {};
    let twcc: number | undefined;
    let rsize = true;
    for (const t of this.transceivers) {
      const n = t.negotiated;
      if (!n || t.stopped) continue;
      for (const c of n.codecs) {
        rates[c.payloadType] = c.clockRate;
        if (c.rtxPayloadType !== undefined) rtx[c.rtxPayloadType] = c.payloadType;
      }
      twcc ??= n.extensions.get(EXT_URI.transportWideCc);
      rsize &&= n.rtcpRsize;
    }
    const key = JSON.stringify([rtx, rates, twcc, rsize]);
    if (!this.chain || key !== this.chainKey) {
      const first = this.transceivers[0];
      this.chain = new RtpFeedbackChain({
        localSsrc: first ? first.ssrc : this.newSsrc(),
        cname: this.cname,
        random: this.random,
        ntpOffsetMs: this.ntpOffset,
        kind: this.transceivers.some((t) => t.kind === "video") ? "video" : "audio",
        reducedSize: rsize,
        transportCcExtensionId: twcc,
        rtxPayloadTypes: rtx,
        payloadClockRates: rates,
      });
      this.chainKey = key;
      this.chainReceive.clear();
      this.chainSend.clear();
    }
    const chain = this.chain;
    for (const t of this.transceivers) {
      const n = t.negotiated;
      const c = t.sendCodec;
      if (n && c && !t.stopped && sends(t.currentDirection)) {
        const rtxPt = c.rtxPayloadType;
        const sendKey = `${c.payloadType}/${rtxPt}`;
        if (this.chainSend.get(t.ssrc) !== sendKey) {
          chain.removeSendStream(t.ssrc);
          chain.addSendStream({
            ssrc: t.ssrc,
            clockRate: c.clockRate,
            rtx:
              rtxPt !== undefined && t.rtxSsrc !== undefined
                ? { ssrc: t.rtxSsrc, payloadTypes: new Map([[c.payloadType, rtxPt]]) }
                : undefined,
            nack: t.kind === "video",
          });
          this.chainSend.set(t.ssrc, sendKey);
        }
        if (!t.packetizer || t.packetizer.payloadType !== c.payloadType) {
          // One SSRC, one sequence space (RFC 3550 5.1): a new codec continues the old numbers,
          // or the remote's SRTP index estimate (RFC 3711 3.3.1) drops the packets as replays.
          const prev = t.packetizer;
          t.packetizer = new RtpPacketizer({
            payloader: createPayloader(c.mimeType, c.sdpFmtpLine),
            payloadType: c.payloadType,
            ssrc: t.ssrc,
            random: this.random,
            sequenceNumber: prev?.sequenceNumber,
            timestampOffset: prev?.timestampOffset,
            maxPayloadSize: this.maxPayloadSize,
          });
        }
      } else if (this.chainSend.delete(t.ssrc)) {
        // Not sending now (recvonly/inactive): the packetizer stays, so sending again later goes on
        // from the same sequence number and timestamp offset instead of new random ones.
        chain.removeSendStream(t.ssrc);
      }
      if (n && !t.stopped && receives(t.currentDirection)) {
        const codec = n.codecs[0];
        for (const src of n.remoteSources) {
          if (this.chainReceive.has(src.ssrc)) continue;
          this.chainReceive.add(src.ssrc);
          chain.addReceiveStream({
            ssrc: src.ssrc,
            clockRate: codec?.clockRate ?? 90000,
            kind: t.kind,
            rtxSsrc: src.rtxSsrc,
            nack: codec?.feedback.includes("nack") ?? false,
            keyframeMethod: keyframeMethod(codec),
          });
        }
      }
    }
    this.demux.configure(
      this.transceivers.map((t) => ({
        id: t.id,
        negotiated: t.negotiated,
        receiving: !t.stopped && receives(t.currentDirection),
      })),
    );
  }

  /** Chooses the codec frames are sent with (a negotiated payload type). */
  setSendCodec(id: number, payloadType: number): void {
    const t = this.transceiver(id);
    const c = t.negotiated?.codecs.find((x) => x.payloadType === payloadType);
    if (!c || !isSupportedCodec(c.mimeType))
      throw new PeerError("ERR_INVALID_ARGUMENT", `payload type ${payloadType} not negotiated`);
    t.sendCodec = c;
    this.refresh();
  }

  private newSsrc(): number {
    let s: number;
    do s = this.random.u32() >>> 0;
    while (s === 0 || this.usedSsrcs.has(s));
    this.usedSsrcs.add(s);
    return s;
  }

  // ---- keys ----

  /** Keys SRTP from the DTLS exporter output for `profile` (RFC 5764 4.2). */
  start(profile: SrtpProfile, keyingMaterial: Uint8Array, isClient: boolean, now: number): void {
    const keys = srtpKeysFromExporter(profile, keyingMaterial, isClient);
    this.tx = new SrtpSession({ profile, ...keys.local });
    this.rx = new SrtpSession({ profile, ...keys.remote });
    this.profile = profile;
    this.pump(now);
  }

  /**
   * Keys SRTP once DTLS connected, from its exporter with the profile use_srtp agreed (RFC 5764
   * 4.2); nothing when no profile was agreed (a data-only peer).
   */
  startFromDtls(
    dtls: { srtpProfile?(): number | undefined; exportKeyingMaterial?(label: string, length: number): Uint8Array },
    isClient: boolean,
    now: number,
  ): void {
    const id = dtls.srtpProfile?.();
    if (id === undefined || !dtls.exportKeyingMaterial) return;
    const profile = srtpProfileFromId(id);
    if (!profile) return;
    this.start(
      profile,
      dtls.exportKeyingMaterial("EXTRACTOR-dtls_srtp", srtpKeyingMaterialLength(profile)),
      isClient,
      now,
    );
  }

  get started(): boolean {
    return this.tx !== undefined;
  }

  // ---- the wire ----

  /** An SRTP or SRTCP datagram from the transport. Never throws. */
  handleDatagram(data: Uint8Array, now: number): void {
    if (this.closed) return;
    const rx = this.rx;
    if (!rx) {
      this.dropped.beforeKeys++;
      return;
    }
    if (isRtcpPacket(data)) {
      const r = rx.unprotectRtcp(data);
      if (!r.ok) {
        this.dropped.srtcp++;
        return;
      }
      this.chain?.handleRtcp(r.packet, now);
      this.pump(now);
      return;
    }
    const r = rx.unprotectRtp(data);
    if (!r.ok) {
      this.dropped.srtp++;
      return;
    }
    const chain = this.chain;
    const raw = parseRtp(r.packet);
    if (!chain || !raw) {
      this.dropped.malformed++;
      return;
    }
    // The chain unwraps RTX (RFC 4588 4) and keeps reception statistics for reports and NACKs.
    const p = chain.handleParsedRtp(raw, r.packet.length, now);
    if (p) this.deliver(p, r.packet.length, now);
    this.pump(now);
  }

  private deliver(p: RtpPacket, size: number, now: number): void {
    const s = this.demux.route(p, size, now);
    if (!s) return;
    if (s.packets === 1) this.queueEvent({ type: "remote-stream", transceiver: s.targetId, ssrc: s.ssrc });
    const t = this.transceiver(s.targetId);
    if (t.rawRtp) this.queueEvent({ type: "rtp", transceiver: t.id, packet: p });
    if (this.dtmf.receive(t, p)) return;
    this.sources.onPacket(t, p, now);
    const d = s.depacketizer;
    if (!d) return;
    d.push(p, now);
    this.drainDepacketizer(s.ssrc, t, now);
  }

  private drainDepacketizer(ssrc: number, t: TransceiverState, now: number): void {
    const s = this.demux.streams.get(ssrc);
    const d = s?.depacketizer;
    if (!d) return;
    for (let ev = d.pollEvent(); ev; ev = d.pollEvent()) {
      if (ev.type === "frame") {
        // The sender's wallclock of the frame from its latest sender report (RFC 3550 6.4.1): the
        // RTP timestamp difference is signed 32-bit, in the codec's clock.
        if (s.srNtpMs !== undefined && s.codec) {
          ev.frame.senderTime = s.srNtpMs + (((ev.frame.timestamp - s.srRtpTimestamp) | 0) * 1000) / s.codec.clockRate;
        }
        this.queueEvent({ type: "frame", transceiver: t.id, ssrc, frame: ev.frame });
      } else if (ev.type === "keyframe-needed") {
        this.chain?.requestKeyframe(ssrc, now, keyframeMethod(s.codec));
      }
    }
  }

  handleTimeout(now: number): void {
    if (this.closed) return;
    this.chain?.handleTimeout(now);
    this.dtmf.handleTimeout(now);
    for (const s of this.demux.streams.values()) {
      const d = s.depacketizer;
      if (!d) continue;
      const due = d.nextTimeout();
      if (due !== undefined && due <= now) {
        d.handleTimeout(now);
        this.drainDepacketizer(s.ssrc, this.transceiver(s.targetId), now);
      }
    }
    this.pump(now);
  }

  nextTimeout(): number | undefined {
    if (this.closed) return undefined;
    let t = this.tx ? this.chain?.nextTimeout() : undefined;
    for (const d of [this.dtmf.nextTimeout(), this.tx ? this.pacer.nextTimeout() : undefined]) {
      if (d !== undefined && (t === undefined || d < t)) t = d;
    }
    for (const s of this.demux.streams.values()) {
      const d = s.depacketizer?.nextTimeout();
      if (d !== undefined && (t === undefined || d < t)) t = d;
    }
    return t;
  }

  /** The next SRTP/SRTCP datagram to send over the transport. */
  pollTransmit(): Uint8Array | undefined {
    return this.out.shift();
  }

  pollEvent(): MediaEvent | undefined {
    for (let e = this.pacer.pollEvent(); e; e = this.pacer.pollEvent()) this.queueEvent(e);
    return this.events.shift();
  }

  // ---- sending ----

  /**
   * Packetizes and sends one encoded frame on a transceiver. `frame.timestamp` is media time in
   * the codec's clock since the track began (the packetizer adds its random offset). Returns false
   * (nothing sent) when the transceiver is not sending yet (not negotiated, no keys, or direction).
   */
  sendFrame(id: number, frame: EncodedFrame, now: number): boolean {
    const t = this.transceiver(id);
    const pk = t.packetizer;
    if (this.closed || !this.tx || !pk || t.stopped || !sends(t.currentDirection)) return false;
    // Over the sender's bitrate limit: the frame is dropped whole, before it takes sequence numbers.
    if (!this.pacer.admitFrame(t, frame.data.length, frame.keyframe, now)) {
      this.pump(now);
      return true;
    }
    const packets = pk.packetize(frame.data, frame.timestamp);
    this.dtmf.noteFrame(t.id, frame.timestamp, now);
    const ext = this.extensionsFor(t, now);
    for (const p of packets) this.sendPacket(p, ext, now);
    t.framesSent++;
    if (frame.keyframe) t.keyframesSent++;
    this.pump(now);
    return true;
  }

  /**
   * Sends an RTP packet as it is (forwarding): our SSRC replaces the packet's, and its payload
   * type unless that is a negotiated one; sequence numbers and timestamps are the caller's. Returns false when not sending.
   */
  sendRtp(
    id: number,
    packet: Omit<RtpPacketInit, "ssrc" | "payloadType"> & { payloadType?: number; audioLevel?: number },
    now: number,
  ): boolean {
    const t = this.transceiver(id);
    if (this.closed || !this.tx || !t.sendCodec || t.stopped || !sends(t.currentDirection)) return false;
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
      payloadType: negotiated ? pt : t.sendCodec.payloadType,
      sequenceNumber: packet.sequenceNumber,
      timestamp: packet.timestamp,
      ssrc: t.ssrc,
      csrcs: packet.csrcs,
      payload: packet.payload,
      extensions: ext,
    };
    this.sendPacket(out, ext, now);
    this.pump(now);
    return true;
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

  private sendPacket(p: RtpPacketInit, ext: RtpHeaderExtension[], now: number): void {
    const bytes = serializeRtp(p.extensions === ext || ext.length === 0 ? p : { ...p, extensions: ext });
    if (this.pacer.enqueue(p.ssrc, bytes, false, now)) return;
    this.chain?.handleOutgoingRtp(bytes, now);
    const wire = this.tx!.protectRtp(bytes);
    if (wire) this.queueTransmit(wire);
  }

  /** Asks the remote sender on a transceiver for a keyframe (PLI, RFC 4585 6.3.1). */
  requestKeyframe(id: number, now: number): void {
    const t = this.transceiver(id);
    for (const s of this.demux.streams.values()) if (s.targetId === t.id) this.chain?.requestKeyframe(s.ssrc, now);
    this.pump(now);
  }

  /** Sends RTCP BYE (RFC 3550 6.6) and stops. */
  close(now: number): void {
    if (this.closed) return;
    this.chain?.close(now);
    this.pump(now);
    this.closed = true;
  }

  // ---- the one loop ----

  private pump(now: number): void {
    for (let d = this.dtmf.pollPacket(); d; d = this.dtmf.pollPacket()) {
      const t = this.transceiver(d.transceiver);
      const pk = t.packetizer;
      if (!this.tx || !pk || t.stopped || !sends(t.currentDirection)) continue;
      const p = { ...d, ssrc: t.ssrc, sequenceNumber: pk.sequenceNumber, timestamp: pk.rtpTimestamp(d.ticks) };
      pk.sequenceNumber = (pk.sequenceNumber + 1) & 0xffff;
      this.sendPacket(p, this.extensionsFor(t, now), now);
    }
    for (let e = this.dtmf.pollEvent(); e; e = this.dtmf.pollEvent()) this.queueEvent(e);
    const chain = this.chain;
    if (!chain) return;
    if (this.tx) {
      for (let r = chain.pollRtp(); r; r = chain.pollRtp()) {
        if (this.pacer.enqueue(readU32(r, 8), r, true, now)) continue; // RTX counts against the limit
        const w = this.tx.protectRtp(r);
        if (w) this.queueTransmit(w);
      }
      for (let q = this.pacer.pollPacket(now); q; q = this.pacer.pollPacket(now)) {
        if (!q.resend) chain.handleOutgoingRtp(q.bytes, now);
        const w = this.tx.protectRtp(q.bytes);
        if (w) this.queueTransmit(w);
      }
      for (let c = chain.pollRtcp(); c; c = chain.pollRtcp()) {
        const w = this.tx.protectRtcp(c);
        if (w) this.queueTransmit(w);
      }
    }
    for (let e = chain.pollEvent(); e; e = chain.pollEvent()) {
      if (e.type === "keyframe-request") {
        const t = this.transceivers.find((x) => x.ssrc === e.ssrc);
        if (t) this.queueEvent({ type: "keyframe-request", transceiver: t.id });
      } else if (e.type === "bye") {
        const s = this.demux.streams.get(e.ssrc);
        if (s) this.queueEvent({ type: "bye", transceiver: s.targetId, ssrc: e.ssrc });
      } else if (e.type === "remb") this.pacer.handleRemb(e.ssrcs, e.bitrate, now);
      else if (e.type === "sender-report") {
        const s = this.demux.streams.get(e.ssrc);
        if (s) {
          s.srNtpMs = e.ntpMs;
          s.srRtpTimestamp = e.rtpTimestamp;
        }
      }
    }
    void now;
  }

  private queueTransmit(d: Uint8Array): void {
    if (this.out.length >= MAX_TRANSMITS) {
      this.out.shift();
      this.dropped.queue++;
    }
    this.out.push(d);
  }

  private queueEvent(e: MediaEvent): void {
    if (this.events.length >= MAX_EVENTS) {
      this.events.shift();
      this.dropped.queue++;
    }
    this.events.push(e);
  }

  stats(): MediaSessionStats {
    return {
      srtp: { send: this.tx?.stats, receive: this.rx?.stats, profile: this.profile },
      feedback: this.chain?.stats(),
      demux: { ...this.demux.drops },
      receive: [...this.demux.streams.values()].map((s) => ({
        ssrc: s.ssrc,
        transceiver: s.targetId,
        payloadType: s.payloadType,
        packets: s.packets,
        bytes: s.bytes,
        depacketizer: s.depacketizer ? { ...s.depacketizer.stats } : undefined,
      })),
      dropped: { ...this.dropped },
    };
  }
}
