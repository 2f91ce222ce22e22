// The sans-IO media session of one BUNDLE transport: transceivers (their SSRCs, direction and
// negotiated parameters, RFC 8829 5.7/5.8), SRTP and SRTCP (RFC 3711; AES-GCM RFC 7714) keyed
// from the DTLS-SRTP exporter (RFC 5764 4.2) with the profile DTLS selected, incoming RTP demuxed
// by MID, SSRC, then payload type (RFC 8843 9.2, src/peer/media-receive.ts), RTCP through one
// RtpFeedbackChain (RFC 3550 reports, RFC 4585 NACK/PLI, RFC 4588 RTX, TWCC; kept in line with the
// transceivers by src/peer/media-chain.ts), outgoing frames and forwarded packets through
// src/peer/media-send.ts, frames out as events (with the sender's wallclock from its latest RTCP
// sender report, RFC 3550 6.4.1), and PLI when a depacketizer needs a keyframe.
// Datagrams in and out are SRTP/SRTCP (first byte 128-191, RFC 7983); the Peer moves them over ICE.
// The DTMF, source-tracking, pacer and demux state is made on first use: a data-only connection's
// session holds none of it.
import type { EncodedFrame } from "../media/frame.js";
import type { Random } from "../random.js";
import type { RtpFeedbackChain } from "../rtp/feedback/index.js";
import { isRtcpPacket, parseRtp, type RtpPacket } from "../rtp/index.js";
import type { Direction } from "../sdp/attributes.js";
import type { NegotiatedCodec, NegotiatedMedia } from "../sdp/media.js";
import {
  type SrtpProfile,
  SrtpSession,
  srtpKeyingMaterialLength,
  srtpKeysFromExporter,
  srtpProfileFromId,
} from "../srtp/index.js";
import { PeerError } from "./errors.js";
import { MediaFeedbackStreams } from "./media-chain.js";
import { MediaDtmf } from "./media-dtmf.js";
import type { MediaPacer } from "./media-pacer.js";
import { RtpDemuxer } from "./media-receive.js";
import { isUsableCodec } from "./media-red.js";
import { type ForwardedRtp, MediaSendPath } from "./media-send.js";
import { SourceTracker } from "./media-sources.js";
import {
  keyframeMethod,
  type MediaEvent,
  type MediaKind,
  type MediaSessionOptions,
  type MediaSessionStats,
  newTransceiverState,
  receives,
  sends,
  type TransceiverState,
} from "./media-types.js";

export type { ForwardedRtp } from "./media-send.js";
export type {
  MediaEvent,
  MediaKind,
  MediaSessionOptions,
  MediaSessionStats,
  TransceiverState,
} from "./media-types.js";
export { randomCname } from "./media-types.js";

/** Bounds of the output queues. */
const MAX_TRANSMITS = 1024;
const MAX_EVENTS = 1024;

/** The codec sent by default: the first usable one negotiated. */
function firstUsable(n: NegotiatedMedia | undefined): NegotiatedCodec | undefined {
  return n?.codecs.find((c) => isUsableCodec(c, n));
}

export class MediaSession {
  private readonly random: Random;
  readonly cname: string;
  private readonly ntpOffset: number;
  private readonly transceivers: TransceiverState[] = [];
  /** Made by the first refresh (a transceiver negotiated or stopped). */
  private demux: RtpDemuxer | undefined = undefined;
  private feedback: MediaFeedbackStreams | undefined = undefined;
  private chain: RtpFeedbackChain | undefined = undefined;
  private readonly send: MediaSendPath;
  private rx: SrtpSession | undefined = undefined;
  private profile: SrtpProfile | undefined = undefined;
  private readonly out: Uint8Array[] = [];
  private readonly events: MediaEvent[] = [];
  private usedSsrcs: Set<number> | undefined = undefined;
  private nextId = 1;
  private closed = false;
  readonly dropped = { beforeKeys: 0, srtp: 0, srtcp: 0, queue: 0, malformed: 0 };
  private dtmfOrUndefined: MediaDtmf | undefined = undefined;
  private sourcesOrUndefined: SourceTracker | undefined = undefined;

  constructor(opts: MediaSessionOptions) {
    this.random = opts.random;
    this.cname = opts.cname;
    this.ntpOffset = opts.ntpOffsetMs ?? 0;
    this.send = new MediaSendPath(opts.random, opts.maxPayloadSize ?? 1100, this.ntpOffset, (d) =>
      this.queueTransmit(d),
    );
  }

  /** DTMF playout and telephone-event receipt (RFC 4733). */
  get dtmf(): MediaDtmf {
    this.dtmfOrUndefined ??= new MediaDtmf((id) => this.transceivers.find((t) => t.id === id));
    return this.dtmfOrUndefined;
  }

  /** SSRCs and CSRCs heard per transceiver, with audio levels (webrtc-pc 5.3.4). */
  get sources(): SourceTracker {
    this.sourcesOrUndefined ??= new SourceTracker();
    return this.sourcesOrUndefined;
  }

  /** maxBitrate and b=TIAS/AS enforcement per sender (token bucket, bounded queue). */
  get pacer(): MediaPacer {
    return this.send.pacer;
  }

  // ---- transceivers ----

  addTransceiver(kind: MediaKind, direction: Direction = "sendrecv"): TransceiverState {
    if (kind !== "audio" && kind !== "video")
      throw new PeerError("ERR_INVALID_ARGUMENT", `unknown media kind "${kind}"`);
    const id = this.nextId++;
    const ssrc = this.newSsrc();
    const t = newTransceiverState(id, kind, direction, ssrc, kind === "video" ? this.newSsrc() : undefined);
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
    this.send.pacerIfAny?.forget(t.id);
    this.sourcesOrUndefined?.forget(t.id);
    this.dtmfOrUndefined?.forget(t.id);
    this.demux?.forget(t.id);
    this.refresh();
    this.pump(now);
  }

  /** Applies what an offer/answer negotiated for a transceiver (or undefined: rejected). */
  applyNegotiation(id: number, negotiated: NegotiatedMedia | undefined, now: number): void {
    const t = this.transceiver(id);
    // The send codec follows the negotiated order (e.g. RED put first by a renegotiation) unless
    // one other than the previous first was chosen (setSendCodec).
    const wasDefault = t.sendCodec !== undefined && t.sendCodec === firstUsable(t.negotiated);
    t.negotiated = negotiated;
    if (!negotiated) t.currentDirection = "inactive";
    else {
      t.mid = negotiated.mid ?? t.mid;
      t.currentDirection = negotiated.direction;
      const usable = negotiated.codecs.filter((c) => isUsableCodec(c, negotiated));
      if (wasDefault || !t.sendCodec || !usable.some((c) => c.payloadType === t.sendCodec!.payloadType))
        t.sendCodec = usable[0];
      this.pacer.setRemoteLimit(t, negotiated.remoteMaxBitrate, now);
    }
    this.refresh();
    this.pump(now);
  }

  /** Brings the feedback chain (src/peer/media-chain.ts), packetizers and demuxer in line with every transceiver. */
  private refresh(): void {
    this.feedback ??= new MediaFeedbackStreams(this.random, this.cname, this.ntpOffset);
    const fb = this.feedback;
    const chain = fb.update(this.transceivers, () => this.newSsrc());
    this.chain = chain;
    this.send.chain = chain;
    for (const t of this.transceivers) {
      const n = t.negotiated;
      const c = t.sendCodec;
      if (n && c && !t.stopped && sends(t.currentDirection)) {
        fb.addSend(chain, t, c);
        this.send.updatePacketizer(t, c);
      } else fb.removeSend(chain, t);
      if (n && !t.stopped && receives(t.currentDirection)) fb.addReceive(chain, t);
    }
    this.demux ??= new RtpDemuxer();
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
    if (!c || !isUsableCodec(c, t.negotiated))
      throw new PeerError("ERR_INVALID_ARGUMENT", `payload type ${payloadType} not negotiated`);
    t.sendCodec = c;
    this.refresh();
  }

  private newSsrc(): number {
    this.usedSsrcs ??= new Set();
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
    this.send.tx = new SrtpSession({ profile, ...keys.local });
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
    return this.send.tx !== undefined;
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
    // A chain exists only after a refresh, which made the demuxer.
    const s = this.demux!.route(p, size, now);
    if (!s) return;
    if (s.packets === 1) this.queueEvent({ type: "remote-stream", transceiver: s.targetId, ssrc: s.ssrc });
    const t = this.transceiver(s.targetId);
    if (t.rawRtp) this.queueEvent({ type: "rtp", transceiver: t.id, packet: p });
    if (this.dtmf.receive(t, p, now)) return;
    this.sources.onPacket(t, p, now);
    const d = s.depacketizer;
    if (!d) return;
    d.push(p, now);
    this.drainDepacketizer(s.ssrc, t, now);
  }

  private drainDepacketizer(ssrc: number, t: TransceiverState, now: number): void {
    const s = this.demux?.streams.get(ssrc);
    const d = s?.depacketizer;
    if (!d) return;
    for (let ev = d.pollEvent(); ev; ev = d.pollEvent()) {
      if (ev.type === "frame") {
        // The sender's wallclock of the frame from its latest sender report (RFC 3550 6.4.1): the
        // RTP timestamp difference is signed 32-bit, in the codec's clock.
        if (s.srNtpMs !== undefined && s.codec && s.codec.clockRate > 0) {
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
    this.dtmfOrUndefined?.handleTimeout(now);
    if (this.demux) {
      for (const s of this.demux.streams.values()) {
        const d = s.depacketizer;
        if (!d) continue;
        const due = d.nextTimeout();
        if (due !== undefined && due <= now) {
          d.handleTimeout(now);
          this.drainDepacketizer(s.ssrc, this.transceiver(s.targetId), now);
        }
      }
    }
    this.pump(now);
  }

  /** The earliest deadline of the chain, DTMF playout, the pacer and the depacketizers (allocation-free). */
  nextTimeout(): number | undefined {
    if (this.closed) return undefined;
    const keyed = this.send.tx !== undefined;
    let t = keyed ? this.chain?.nextTimeout() : undefined;
    let d = this.dtmfOrUndefined?.nextTimeout();
    if (d !== undefined && (t === undefined || d < t)) t = d;
    d = keyed ? this.send.pacerIfAny?.nextTimeout() : undefined;
    if (d !== undefined && (t === undefined || d < t)) t = d;
    if (this.demux) {
      for (const s of this.demux.streams.values()) {
        d = s.depacketizer?.nextTimeout();
        if (d !== undefined && (t === undefined || d < t)) t = d;
      }
    }
    return t;
  }

  /** The next SRTP/SRTCP datagram to send over the transport. */
  pollTransmit(): Uint8Array | undefined {
    return this.out.shift();
  }

  pollEvent(): MediaEvent | undefined {
    const pacer = this.send.pacerIfAny;
    if (pacer) for (let e = pacer.pollEvent(); e; e = pacer.pollEvent()) this.queueEvent(e);
    return this.events.shift();
  }

  // ---- sending (src/peer/media-send.ts) ----

  /**
   * Packetizes and sends one encoded frame on a transceiver. `frame.timestamp` is media time in
   * the codec's clock since the track began (the packetizer adds its random offset). Returns false
   * (nothing sent) when the transceiver is not sending yet (not negotiated, no keys, or direction).
   */
  sendFrame(id: number, frame: EncodedFrame, now: number): boolean {
    const t = this.transceiver(id);
    if (this.closed || !this.send.canSend(t)) return false;
    this.send.sendFrame(t, frame, this.dtmf, now);
    this.pump(now);
    return true;
  }

  /**
   * Sends an RTP packet as it is (forwarding): our SSRC replaces the packet's, and its payload
   * type unless that is a negotiated one; sequence numbers and timestamps are the caller's. Returns false when not sending.
   */
  sendRtp(id: number, packet: ForwardedRtp, now: number): boolean {
    const t = this.transceiver(id);
    if (this.closed || !this.send.tx || !t.sendCodec || t.stopped || !sends(t.currentDirection)) return false;
    this.send.sendRtp(t, packet, now);
    this.pump(now);
    return true;
  }

  /** Asks the remote sender on a transceiver for a keyframe (PLI, or FIR if only that was negotiated). */
  requestKeyframe(id: number, now: number): void {
    const t = this.transceiver(id);
    const chain = this.chain;
    if (this.demux && chain) {
      for (const s of this.demux.streams.values()) {
        if (s.targetId === t.id) chain.requestKeyframe(s.ssrc, now, keyframeMethod(s.codec));
      }
    }
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
    const dtmf = this.dtmfOrUndefined;
    if (dtmf) {
      for (let d = dtmf.pollPacket(); d; d = dtmf.pollPacket())
        this.send.sendDtmf(this.transceiver(d.transceiver), d, now);
      for (let e = dtmf.pollEvent(); e; e = dtmf.pollEvent()) this.queueEvent(e);
    }
    const chain = this.chain;
    if (!chain) return;
    this.send.flush(chain, now);
    for (let e = chain.pollEvent(); e; e = chain.pollEvent()) {
      if (e.type === "keyframe-request") {
        const t = this.transceivers.find((x) => x.ssrc === e.ssrc);
        if (t) this.queueEvent({ type: "keyframe-request", transceiver: t.id });
      } else if (e.type === "bye") {
        const s = this.demux?.streams.get(e.ssrc);
        if (s) this.queueEvent({ type: "bye", transceiver: s.targetId, ssrc: e.ssrc });
      } else if (e.type === "remb") this.send.pacerIfAny?.handleRemb(e.ssrcs, e.bitrate, now);
      else if (e.type === "sender-report") {
        const s = this.demux?.streams.get(e.ssrc);
        if (s) {
          s.srNtpMs = e.ntpMs;
          s.srRtpTimestamp = e.rtpTimestamp;
        }
      }
    }
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
    const demux = this.demux;
    return {
      srtp: { send: this.send.tx?.stats, receive: this.rx?.stats, profile: this.profile },
      feedback: this.chain?.stats(),
      demux: demux ? { ...demux.drops } : { unroutable: 0, unknownMid: 0, unknownPayloadType: 0, tooManyStreams: 0 },
      receive: demux ? demux.stats() : [],
      dropped: { ...this.dropped },
    };
  }
}
