// RTCRtpTransceiver, RTCRtpSender and RTCRtpReceiver (webrtc-pc sections 5.2, 5.3, 5.4) as thin
// handles over one transceiver of the sans-IO MediaSession (src/peer/media.ts): direction,
// currentDirection, mid and SSRCs live in the core; these objects hold its id, the track, the
// sender's stream ids and the codec preferences (JSEP inputs, RFC 8829 4.2.6). Capabilities list
// what src/sdp/media.ts negotiates and src/media/codecs can packetize. Audio senders have an
// RTCDTMFSender (src/webrtc/dtmf.ts); encodings[0].maxBitrate is enforced by the core's pacer
// (src/peer/media-pacer.ts); receivers list the SSRCs and CSRCs the core heard (5.3.4).
import type { EncodedFrame, ReceivedFrame } from "../media/frame.js";
import type { MediaSession, TransceiverState } from "../peer/media.js";
import { carriedMimeType } from "../peer/media-red.js";
import type { HeardSource } from "../peer/media-sources.js";
import type { RtpPacket } from "../rtp/packet.js";
import type { Direction } from "../sdp/attributes.js";
import {
  type CodecSpec,
  DEFAULT_AUDIO_CODECS,
  DEFAULT_EXTENSIONS,
  DEFAULT_VIDEO_CODECS,
  type NegotiatedCodec,
} from "../sdp/media.js";
import { DtmfListeners, RTCDTMFSender } from "./dtmf.js";
import { domError, invalidState, typeError } from "./errors.js";
import { type MediaKind, MediaStreamTrack, type OutgoingRtp, TrackHub, trackHub } from "./media-stream.js";

/** What the RTP objects need from their RTCPeerConnection. */
export interface MediaHost {
  readonly media: MediaSession;
  /** Monotonic ms for the core. */
  now(): number;
  /** Moves the core's output to the network soon (one drain per burst). */
  kick(): void;
  /** webrtc-pc 4.7.3: update the negotiation-needed flag. */
  updateNegotiationNeeded(): void;
  /**
   * Queues a task on the connection's event queue (src/webrtc/announcer.ts), ordered with its
   * other events and dropped once it is closed; without one, a guarded setImmediate.
   */
  queueTask?(fn: () => void): void;
  readonly isClosed: boolean;
  readonly cname: string;
}

export interface RTCRtpCodec {
  mimeType: string;
  clockRate: number;
  channels?: number;
  sdpFmtpLine?: string;
}
export interface RTCRtpCodecParameters extends RTCRtpCodec {
  payloadType: number;
}
export interface RTCRtpHeaderExtensionParameters {
  uri: string;
  id: number;
  encrypted: boolean;
}
export interface RTCRtpCapabilities {
  codecs: RTCRtpCodec[];
  headerExtensions: { uri: string }[];
}
export interface RTCRtpEncodingParameters {
  active: boolean;
  maxBitrate?: number;
  rid?: string;
}
export interface RTCRtpParameters {
  codecs: RTCRtpCodecParameters[];
  headerExtensions: RTCRtpHeaderExtensionParameters[];
  rtcp: { cname?: string; reducedSize?: boolean };
}
export interface RTCRtpSendParameters extends RTCRtpParameters {
  transactionId: string;
  encodings: RTCRtpEncodingParameters[];
}
export interface RTCRtpReceiveParameters extends RTCRtpParameters {}

/** webrtc-pc 5.3.4 RTCRtpContributingSource (and RTCRtpSynchronizationSource, the same fields). */
export interface RTCRtpContributingSource {
  /** When the last packet from the source arrived (ms, performance.timeOrigin + performance.now()). */
  timestamp: number;
  source: number;
  rtpTimestamp: number;
  /** 0..1 linear (RFC 6464 for SSRCs, RFC 6465 for CSRCs), when the packets carry a level. */
  audioLevel?: number;
}
export interface RTCRtpSynchronizationSource extends RTCRtpContributingSource {}

/** What we can send and receive (webrtc-pc 5.2 getCapabilities). */
export function rtpCapabilities(kind: string): RTCRtpCapabilities | null {
  if (kind !== "audio" && kind !== "video") return null;
  const codecs: RTCRtpCodec[] = (kind === "audio" ? DEFAULT_AUDIO_CODECS : DEFAULT_VIDEO_CODECS).map(toRtcCodec);
  if (kind === "video") codecs.push({ mimeType: "video/rtx", clockRate: 90000 });
  return { codecs, headerExtensions: DEFAULT_EXTENSIONS[kind].map((e) => ({ uri: e.uri })) };
}

function toRtcCodec(c: CodecSpec): RTCRtpCodec {
  const r: RTCRtpCodec = { mimeType: c.mimeType, clockRate: c.clockRate };
  if (c.channels !== undefined) r.channels = c.channels;
  if (c.sdpFmtpLine) r.sdpFmtpLine = c.sdpFmtpLine;
  return r;
}

function negotiatedCodecs(t: TransceiverState): RTCRtpCodecParameters[] {
  const out: RTCRtpCodecParameters[] = [];
  for (const c of t.negotiated?.codecs ?? []) {
    out.push(codecParameters(c));
    if (c.rtxPayloadType !== undefined) {
      out.push({
        payloadType: c.rtxPayloadType,
        mimeType: `${t.kind}/rtx`,
        clockRate: c.clockRate,
        sdpFmtpLine: `apt=${c.payloadType}`,
      });
    }
  }
  return out;
}

function codecParameters(c: NegotiatedCodec): RTCRtpCodecParameters {
  const r: RTCRtpCodecParameters = { payloadType: c.payloadType, mimeType: c.mimeType, clockRate: c.clockRate };
  if (c.channels !== undefined) r.channels = c.channels;
  if (c.sdpFmtpLine) r.sdpFmtpLine = c.sdpFmtpLine;
  return r;
}

function commonParameters(host: MediaHost, t: TransceiverState): RTCRtpParameters {
  const headerExtensions: RTCRtpHeaderExtensionParameters[] = [];
  for (const [uri, id] of t.negotiated?.extensions ?? []) headerExtensions.push({ uri, id, encrypted: false });
  return {
    codecs: negotiatedCodecs(t),
    headerExtensions,
    rtcp: { cname: host.cname, reducedSize: t.negotiated?.rtcpRsize ?? true },
  };
}

export class RTCRtpSender {
  private readonly host: MediaHost;
  private readonly id: number;
  readonly kind: MediaKind;
  private _track: MediaStreamTrack | null;
  /** Stream ids for a=msid (set by addTrack / setStreams). */
  streamIds: string[];
  private unsubscribe: (() => void) | undefined;
  private encodings: RTCRtpEncodingParameters[];
  private lastTransactionId: string | undefined;
  private transactions = 0;
  /** The transceiver is stopping or stopped ([[Stopping]]): set by detach(). */
  private stopping = false;
  private target: number | undefined = undefined;
  /** Frames dropped because the transceiver could not send yet (not negotiated, not connected). */
  framesNotSent = 0;
  /** webrtc-pc 7.1: an RTCDTMFSender for audio, null for video. */
  readonly dtmf: RTCDTMFSender | null;
  readonly transport: null = null;

  constructor(
    host: MediaHost,
    transceiverId: number,
    kind: MediaKind,
    track: MediaStreamTrack | null,
    streamIds: string[],
  ) {
    this.host = host;
    this.id = transceiverId;
    this.kind = kind;
    this._track = null;
    this.streamIds = streamIds;
    this.unsubscribe = undefined;
    this.encodings = [{ active: true }];
    this.lastTransactionId = undefined;
    // DTMF shares the sender's sequence numbers: an RTP-fed track brings its own, so none there.
    this.dtmf =
      kind === "audio"
        ? new RTCDTMFSender(host, transceiverId, () => this._track !== null && trackHub(this._track).rtpSource)
        : null;
    this.attach(track);
  }

  static getCapabilities(kind: string): RTCRtpCapabilities | null {
    return rtpCapabilities(kind);
  }

  get track(): MediaStreamTrack | null {
    return this._track;
  }

  /** Petrel-internal: the core's transceiver id. */
  get transceiverId(): number {
    return this.id;
  }

  /** Petrel-internal: encodings[0].active, read without getParameters() (which starts a transaction). */
  get isActive(): boolean {
    return this.encodings[0]?.active ?? true;
  }

  private attach(track: MediaStreamTrack | null): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this._track) trackHub(this._track).removeTarget(this);
    this._track = track;
    if (!track) return;
    const hub = trackHub(track);
    hub.setTargetBitrate(this, this.target);
    this.unsubscribe = hub.subscribe(
      hub.rtpSource ? { rtpOut: (p) => this.sendRtp(track, p) } : { frame: (f) => this.sendFrame(track, f) },
    );
  }

  private sendFrame(track: MediaStreamTrack, frame: EncodedFrame): void {
    if (this.host.isClosed || track.readyState !== "live" || !track.enabled || !this.encodings[0]?.active) return;
    const media = this.host.media;
    const t = media.transceiver(this.id);
    const codec = trackHub(track).codec;
    // RED (src/peer/media-red.ts) carries its primary codec's frames.
    const sending = () => (t.sendCodec ? carriedMimeType(t.sendCodec, t.negotiated).toLowerCase() : undefined);
    if (codec && t.sendCodec && sending() !== codec.toLowerCase()) {
      const match = t.negotiated?.codecs.find((c) => c.mimeType.toLowerCase() === codec.toLowerCase());
      if (match) media.setSendCodec(this.id, match.payloadType);
    }
    if (codec && sending() !== codec.toLowerCase()) {
      this.framesNotSent++;
      return;
    }
    if (media.sendFrame(this.id, frame, this.host.now())) this.host.kick();
    else this.framesNotSent++;
  }

  private sendRtp(track: MediaStreamTrack, p: OutgoingRtp): void {
    if (p.csrcs && p.csrcs.length > 15) throw typeError("an RTP packet carries at most 15 CSRCs");
    if (this.host.isClosed || track.readyState !== "live" || !track.enabled || !this.encodings[0]?.active) return;
    if (this.host.media.sendRtp(this.id, p, this.host.now())) this.host.kick();
    else this.framesNotSent++;
  }

  /** Petrel-internal: the remote asked for a keyframe of what we send. */
  keyframeRequested(): void {
    if (this._track) trackHub(this._track).requestKeyframe();
  }

  async replaceTrack(track: MediaStreamTrack | null): Promise<void> {
    if (this.host.isClosed) throw invalidState("the connection is closed");
    if (track && track.kind !== this.kind)
      throw typeError(`cannot replace a ${this.kind} track with a ${track.kind} track`);
    if (this.host.media.transceiver(this.id).stopped) throw invalidState("the transceiver is stopped");
    this.attach(track);
    if (track) this.keyframeRequested();
  }

  setStreams(...streams: { id: string }[]): void {
    if (this.host.isClosed) throw invalidState("the connection is closed");
    this.streamIds = streams.map((s) => s.id);
    this.host.updateNegotiationNeeded();
  }

  /**
   * webrtc-pc 5.2 getParameters: within one task every call returns the same transactionId
   * ([[LastReturnedParameters]]); a task queued by the first call clears it.
   */
  getParameters(): RTCRtpSendParameters {
    const t = this.host.media.transceiver(this.id);
    if (this.lastTransactionId === undefined) {
      const id = `${++this.transactions}`;
      this.lastTransactionId = id;
      setImmediate(() => {
        if (this.lastTransactionId === id) this.lastTransactionId = undefined;
      });
    }
    return {
      ...commonParameters(this.host, t),
      transactionId: this.lastTransactionId,
      encodings: this.encodings.map((e) => ({ ...e })),
    };
  }

  /**
   * webrtc-pc 5.2 setParameters: InvalidStateError when stopping or stopped or no getParameters()
   * result is current (never called, its task has ended, or a setParameters already used it);
   * InvalidModificationError when the transactionId is not the current one or the number of
   * encodings changed. Once validation passes, [[LastReturnedParameters]] is cleared.
   */
  async setParameters(p: RTCRtpSendParameters): Promise<void> {
    if (this.stopping || this.host.media.transceiver(this.id).stopped) {
      throw invalidState("the transceiver is stopped");
    }
    if (this.lastTransactionId === undefined) {
      throw domError("InvalidStateError", "no current getParameters() result (call it in the same task)");
    }
    if (p?.transactionId !== this.lastTransactionId) {
      throw domError("InvalidModificationError", "transactionId does not match the last getParameters()");
    }
    if (!Array.isArray(p.encodings) || p.encodings.length !== this.encodings.length) {
      throw domError("InvalidModificationError", "the number of encodings cannot change");
    }
    for (const e of p.encodings) {
      if (e.maxBitrate !== undefined && !(Number.isFinite(e.maxBitrate) && e.maxBitrate >= 0)) {
        throw typeError("maxBitrate must be a non-negative number");
      }
    }
    this.lastTransactionId = undefined;
    this.setEncodings(p.encodings);
  }

  /** Petrel-internal: encodings from setParameters or addTransceiver's sendEncodings (the first only: no simulcast). */
  setEncodings(list: readonly { active?: boolean; maxBitrate?: number }[]): void {
    this.encodings = list.slice(0, 1).map((e) => {
      const r: RTCRtpEncodingParameters = { active: e.active !== false };
      if (e.maxBitrate !== undefined) r.maxBitrate = e.maxBitrate;
      return r;
    });
    if (this.encodings.length === 0) this.encodings = [{ active: true }];
    // The media core enforces maxBitrate (src/peer/media-pacer.ts).
    const media = this.host.media;
    media.pacer.setMaxBitrate(media.transceiver(this.id), this.encodings[0]!.maxBitrate, this.host.now());
    this.host.kick();
  }

  /** Petrel-internal: the core's target bitrate for this sender changed; the track's source hears it. */
  targetBitrateChanged(bps: number | undefined): void {
    this.target = bps;
    if (this._track) trackHub(this._track).setTargetBitrate(this, bps);
  }

  /** Petrel-internal: the transceiver stopped (its target no longer counts for the track). */
  detach(): void {
    this.stopping = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this._track) trackHub(this._track).removeTarget(this);
  }
}

export class RTCRtpReceiver {
  private readonly host: MediaHost;
  private readonly id: number;
  readonly track: MediaStreamTrack;
  private readonly hub: TrackHub;
  readonly transport: null = null;
  jitterBufferTarget: number | null = null;
  /** Petrel-internal: listeners of received telephone events (petrel/nonstandard onDtmf). */
  readonly dtmfListeners: DtmfListeners;

  constructor(host: MediaHost, transceiverId: number, kind: MediaKind, trackId?: string) {
    this.host = host;
    this.dtmfListeners = new DtmfListeners((fn) => runTask(host, fn));
    this.id = transceiverId;
    this.hub = new TrackHub(kind);
    this.track = new MediaStreamTrack(this.hub, { id: trackId, label: `remote ${kind}`, muted: true });
    this.hub.onRtpDemand = (on) => {
      this.host.media.transceiver(this.id).rawRtp = on;
    };
    // A keyframe request on the remote track (a sender forwarding it got PLI/FIR, or a recorder
    // starting) goes upstream as PLI/FIR to the remote sender (rate limited by the feedback chain).
    this.hub.subscribe({
      keyframeRequest: () => {
        if (this.host.isClosed) return;
        this.host.media.requestKeyframe(this.id, this.host.now());
        this.host.kick();
      },
    });
  }

  static getCapabilities(kind: string): RTCRtpCapabilities | null {
    return rtpCapabilities(kind);
  }

  getParameters(): RTCRtpReceiveParameters {
    return commonParameters(this.host, this.host.media.transceiver(this.id));
  }

  /** The SSRCs heard in the last 10 s (webrtc-pc 5.3.4), newest first, with RFC 6464 audio levels. */
  getSynchronizationSources(): RTCRtpSynchronizationSource[] {
    return this.host.media.sources.synchronizationSources(this.id, this.host.now()).map(toRtcSource);
  }

  /** The CSRCs of the packets heard in the last 10 s (a mixer's inputs), newest first. */
  getContributingSources(): RTCRtpContributingSource[] {
    return this.host.media.sources.contributingSources(this.id, this.host.now()).map(toRtcSource);
  }

  /** Petrel-internal: a frame assembled from a remote stream. */
  deliverFrame(_ssrc: number, frame: ReceivedFrame): void {
    if (this.track.muted) this.track.setMuted(false);
    if (this.track.readyState === "live" && this.track.enabled) this.hub.pushFrame(frame);
  }

  /** Petrel-internal: a received RTP packet (when raw RTP is enabled). */
  deliverRtp(packet: RtpPacket): void {
    if (this.track.readyState === "live" && this.track.enabled) this.hub.pushRtp(packet);
  }

  /** Petrel-internal: the transceiver stopped or the remote removed the track. */
  end(): void {
    this.hub.end();
  }
}

/** A source as the core heard it (core ms) -> the W3C dictionary (performance.timeOrigin based). */
function toRtcSource(s: HeardSource): RTCRtpContributingSource {
  const r: RTCRtpContributingSource = {
    timestamp: performance.timeOrigin + s.at,
    source: s.source,
    rtpTimestamp: s.rtpTimestamp,
  };
  if (s.audioLevel !== undefined) r.audioLevel = s.audioLevel;
  return r;
}

const DIRECTIONS: readonly string[] = ["sendrecv", "sendonly", "recvonly", "inactive"];

export class RTCRtpTransceiver {
  private readonly host: MediaHost;
  private readonly id: number;
  readonly sender: RTCRtpSender;
  readonly receiver: RTCRtpReceiver;
  /** setCodecPreferences (RFC 8829 4.2.6); empty = defaults. */
  codecPreferences: CodecSpec[];
  private stopping: boolean;

  constructor(host: MediaHost, state: TransceiverState, track: MediaStreamTrack | null, streamIds: string[]) {
    this.host = host;
    this.id = state.id;
    this.sender = new RTCRtpSender(host, state.id, state.kind, track, streamIds);
    this.receiver = new RTCRtpReceiver(host, state.id, state.kind);
    this.codecPreferences = [];
    this.stopping = false;
  }

  private get state(): TransceiverState {
    return this.host.media.transceiver(this.id);
  }
  /** Petrel-internal: the core's transceiver id. */
  get transceiverId(): number {
    return this.id;
  }
  get kind(): MediaKind {
    return this.state.kind;
  }

  /** Null until a description applied gives the transceiver its mid (webrtc-pc 5.4). */
  get mid(): string | null {
    return this.state.mid ?? null;
  }

  get direction(): Direction | "stopped" {
    return this.stopping || this.state.stopped ? "stopped" : this.state.direction;
  }
  set direction(v: Direction | "stopped") {
    if (!DIRECTIONS.includes(v)) throw typeError(`bad direction "${v}"`);
    if (this.stopping || this.state.stopped) throw invalidState("the transceiver is stopped");
    if (this.host.isClosed) throw invalidState("the connection is closed");
    if (this.state.direction === v) return;
    this.state.direction = v as Direction;
    this.host.updateNegotiationNeeded();
  }

  get currentDirection(): Direction | "stopped" | null {
    const s = this.state;
    if (s.stopped) return "stopped";
    return s.currentDirection ?? null;
  }

  /** True once stop() was called or a negotiation rejected the m-line (legacy attribute). */
  get stopped(): boolean {
    return this.state.stopped;
  }

  /** webrtc-pc 5.4 stop(): stop sending and receiving now; the m-line is rejected in the next offer. */
  stop(): void {
    if (this.host.isClosed) throw invalidState("the connection is closed");
    if (this.stopping || this.state.stopped) return;
    this.stopping = true;
    this.sender.detach();
    this.receiver.end();
    this.host.media.stopTransceiver(this.id, this.host.now());
    this.host.kick();
    this.host.updateNegotiationNeeded();
  }

  /** Petrel-internal: the remote rejected the m-line or it was stopped by negotiation. */
  markStopped(): void {
    if (this.state.stopped) return;
    this.stopping = true;
    this.sender.detach();
    this.receiver.end();
    this.host.media.stopTransceiver(this.id, this.host.now());
  }

  /**
   * webrtc-pc 5.4 setCodecPreferences: InvalidModificationError for a codec not in
   * getCapabilities(), or a list of only RTX, RED, FEC (ulpfec, flexfec) or CN codecs. RED
   * without its primary (Opus, which its fmtp names) is dropped from the preferences, so the
   * offer never lists a RED format whose fmtp points at a format that is not offered.
   */
  setCodecPreferences(codecs: RTCRtpCodec[]): void {
    if (!Array.isArray(codecs)) throw typeError("codecs must be an array");
    if (codecs.length === 0) {
      this.codecPreferences = [];
      return;
    }
    const caps = rtpCapabilities(this.kind)!.codecs;
    const picked: CodecSpec[] = [];
    let media = false;
    for (const c of codecs) {
      const known = caps.find(
        (k) =>
          k.mimeType.toLowerCase() === String(c.mimeType).toLowerCase() &&
          k.clockRate === c.clockRate &&
          (k.channels ?? 1) === (c.channels ?? 1) &&
          (k.sdpFmtpLine ?? "") === (c.sdpFmtpLine ?? ""),
      );
      if (!known) throw domError("InvalidModificationError", `codec ${c.mimeType} is not in getCapabilities()`);
      if (!isAuxiliaryCodec(known.mimeType)) media = true;
      if (known.mimeType.toLowerCase().endsWith("/rtx")) continue;
      const def = (this.kind === "audio" ? DEFAULT_AUDIO_CODECS : DEFAULT_VIDEO_CODECS).find(
        (d) => d.mimeType === known.mimeType && (d.sdpFmtpLine ?? "") === (known.sdpFmtpLine ?? ""),
      );
      picked.push({ ...known, payloadType: def?.payloadType });
    }
    if (!media) throw domError("InvalidModificationError", "only RTX, RED, FEC or CN codecs given");
    const hasOpus = picked.some((c) => c.mimeType.toLowerCase() === "audio/opus");
    this.codecPreferences = hasOpus ? picked : picked.filter((c) => c.mimeType.toLowerCase() !== "audio/red");
  }
}

/** Codecs that carry or protect another codec's media, or comfort noise (webrtc-pc setCodecPreferences). */
function isAuxiliaryCodec(mimeType: string): boolean {
  const sub = mimeType.slice(mimeType.indexOf("/") + 1).toLowerCase();
  return (
    sub === "rtx" || sub === "red" || sub === "ulpfec" || sub === "flexfec-03" || sub === "flexfec" || sub === "cn"
  );
}

/** A task on the connection's queue (MediaHost.queueTask), else a setImmediate skipped once closed. */
export function runTask(host: MediaHost, fn: () => void): void {
  if (host.queueTask) host.queueTask(fn);
  else
    setImmediate(() => {
      if (!host.isClosed) fn();
    });
}
