// MediaStream and MediaStreamTrack (W3C Media Capture and Streams, sections 4.2 and 4.3) for Node:
// no capture devices, so a track's media comes from a TrackHub: a local track is fed by
// petrel/nonstandard sources (encoded frames or RTP), a remote track by its RTCRtpReceiver; sinks
// and senders subscribe to the hub. Events: ended, mute, unmute (track); addtrack, removetrack
// (stream), dispatched as tasks (queueMicrotask would race user code; setImmediate is the task).
import { randomUUID } from "node:crypto";
import type { EncodedFrame, ReceivedFrame } from "../media/frame.js";
import type { RtpPacket } from "../rtp/packet.js";
import { defineEventHandlers } from "./events.js";

export type MediaKind = "audio" | "video";

/** An RTP packet a local RTP-fed track sends (our SSRC replaces the source's). */
export interface OutgoingRtp {
  payloadType?: number;
  sequenceNumber: number;
  timestamp: number;
  marker?: boolean;
  /** Contributing sources (RFC 3550 5.1), e.g. the streams a mixer combined; at most 15. */
  csrcs?: readonly number[];
  /** The audio level to send in the ssrc-audio-level extension (RFC 6464: -dBov, 0 loudest - 127 silence). */
  audioLevel?: number;
  payload: Uint8Array;
}

/** What flows through a track: frames, raw RTP (remote tracks), and keyframe requests (upstream). */
export interface TrackListener {
  frame?(frame: EncodedFrame | ReceivedFrame): void;
  rtp?(packet: RtpPacket): void;
  /** RTP written into an RTP-fed local track, for senders. */
  rtpOut?(packet: OutgoingRtp): void;
  /** A sender's remote asked for a keyframe (local tracks: the source should send one). */
  keyframeRequest?(): void;
  /** The track ended or was stopped. */
  ended?(): void;
  /** The bitrate senders of the track aim for changed (bits/s; undefined = no limit known). */
  targetBitrate?(bps: number | undefined): void;
}

/** The shared media source behind a track and its clones. Internal to Petrel (not a W3C type). */
export class TrackHub {
  readonly kind: MediaKind;
  /** The codec the source produces (local tracks), e.g. "video/VP8"; undefined = whatever is negotiated. */
  readonly codec: string | undefined;
  /** Fed with RTP packets (writeRtp) rather than frames. */
  readonly rtpSource: boolean;
  private readonly listeners = new Set<TrackListener>();
  ended = false;
  /** Called when the first RTP listener subscribes (true) or the last one leaves (false). */
  onRtpDemand: ((on: boolean) => void) | undefined = undefined;
  private rtpListeners = 0;
  constructor(kind: MediaKind, codec?: string, rtpSource = false) {
    this.kind = kind;
    this.codec = codec;
    this.rtpSource = rtpSource;
  }
  subscribe(l: TrackListener): () => void {
    this.listeners.add(l);
    if (l.rtp && ++this.rtpListeners === 1) this.onRtpDemand?.(true);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.listeners.delete(l);
      if (l.rtp && --this.rtpListeners === 0) this.onRtpDemand?.(false);
    };
  }
  get size(): number {
    return this.listeners.size;
  }
  pushFrame(frame: EncodedFrame | ReceivedFrame): void {
    if (this.ended) return;
    for (const l of this.listeners) l.frame?.(frame);
  }
  pushRtp(packet: RtpPacket): void {
    if (this.ended) return;
    for (const l of this.listeners) l.rtp?.(packet);
  }
  pushOutgoingRtp(packet: OutgoingRtp): void {
    if (this.ended) return;
    for (const l of this.listeners) l.rtpOut?.(packet);
  }
  requestKeyframe(): void {
    for (const l of this.listeners) l.keyframeRequest?.();
  }
  /** The lowest target of the senders of this track (maxBitrate, b=AS/TIAS, REMB), bits/s. */
  targetBitrate: number | undefined = undefined;
  /** Each sender's target (undefined: that sender knows no limit). */
  private readonly targets = new Map<object, number | undefined>();
  /** A sender's target bitrate; the track's is the minimum over its senders' known targets. */
  setTargetBitrate(sender: object, bps: number | undefined): void {
    this.targets.set(sender, bps);
    this.updateTarget();
  }
  /** The sender no longer sends this track (replaceTrack, stop, close). */
  removeTarget(sender: object): void {
    if (this.targets.delete(sender)) this.updateTarget();
  }
  private updateTarget(): void {
    let low: number | undefined;
    for (const v of this.targets.values()) if (v !== undefined && (low === undefined || v < low)) low = v;
    if (low === this.targetBitrate) return;
    this.targetBitrate = low;
    for (const l of this.listeners) l.targetBitrate?.(low);
  }
  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const l of [...this.listeners]) l.ended?.();
  }
}

const HUB = Symbol("petrel.trackHub");

/** The hub of a track (for petrel/nonstandard and the RTP objects). */
export function trackHub(track: MediaStreamTrack): TrackHub {
  return track[HUB];
}

export interface MediaTrackSettings {
  deviceId?: string;
  groupId?: string;
}

export class MediaStreamTrack extends EventTarget {
  readonly kind: MediaKind;
  readonly id: string;
  readonly label: string;
  contentHint: string;
  private _enabled: boolean;
  private _muted: boolean;
  private _readyState: "live" | "ended";
  readonly [HUB]: TrackHub;
  private unsubscribe: (() => void) | undefined;
  declare onended: ((ev: Event) => void) | null;
  declare onmute: ((ev: Event) => void) | null;
  declare onunmute: ((ev: Event) => void) | null;

  /** Petrel-internal: tracks come from petrel/nonstandard sources or from RTCRtpReceiver. */
  constructor(hub: TrackHub, init: { id?: string; label?: string; muted?: boolean } = {}) {
    super();
    this.kind = hub.kind;
    this.id = init.id ?? randomUUID();
    this.label = init.label ?? "";
    this.contentHint = "";
    this._enabled = true;
    this._muted = init.muted ?? false;
    this._readyState = hub.ended ? "ended" : "live";
    this[HUB] = hub;
    this.unsubscribe = hub.subscribe({ ended: () => this.endFromSource() });
  }

  get enabled(): boolean {
    return this._enabled;
  }
  /** A disabled track sends nothing and delivers nothing to sinks (Petrel has no black frames). */
  set enabled(v: boolean) {
    this._enabled = Boolean(v);
  }
  get muted(): boolean {
    return this._muted;
  }
  get readyState(): "live" | "ended" {
    return this._readyState;
  }

  /** Stops this track (not its clones): no `ended` event, as the spec says for stop(). */
  stop(): void {
    if (this._readyState === "ended") return;
    this._readyState = "ended";
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** A new track on the same source, with its own id, enabled flag and state. */
  clone(): MediaStreamTrack {
    const t = new MediaStreamTrack(this[HUB], { label: this.label, muted: this._muted });
    t._enabled = this._enabled;
    if (this._readyState === "ended") t.stop();
    return t;
  }

  getSettings(): MediaTrackSettings {
    return {};
  }
  getConstraints(): Record<string, never> {
    return {};
  }
  getCapabilities(): Record<string, never> {
    return {};
  }
  async applyConstraints(): Promise<void> {}

  /** Petrel-internal: the remote side started or stopped sending (mute/unmute, 4.3.1.1). */
  setMuted(muted: boolean): void {
    if (this._muted === muted || this._readyState === "ended") return;
    this._muted = muted;
    queueTask(() => this.dispatchEvent(new Event(muted ? "mute" : "unmute")));
  }

  private endFromSource(): void {
    if (this._readyState === "ended") return;
    this._readyState = "ended";
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    queueTask(() => this.dispatchEvent(new Event("ended")));
  }
}
defineEventHandlers(MediaStreamTrack.prototype, ["ended", "mute", "unmute"]);

export class MediaStreamTrackEvent extends Event {
  readonly track: MediaStreamTrack;
  constructor(type: string, init: EventInit & { track: MediaStreamTrack }) {
    super(type, init);
    this.track = init.track;
  }
}

export class MediaStream extends EventTarget {
  readonly id: string;
  private readonly tracks = new Map<string, MediaStreamTrack>();
  declare onaddtrack: ((ev: MediaStreamTrackEvent) => void) | null;
  declare onremovetrack: ((ev: MediaStreamTrackEvent) => void) | null;

  constructor(init?: MediaStream | MediaStreamTrack[], id?: string) {
    super();
    this.id = id ?? randomUUID();
    const list = init instanceof MediaStream ? init.getTracks() : (init ?? []);
    for (const t of list) this.tracks.set(t.id, t);
  }

  get active(): boolean {
    for (const t of this.tracks.values()) if (t.readyState === "live") return true;
    return false;
  }
  getTracks(): MediaStreamTrack[] {
    return [...this.tracks.values()];
  }
  getAudioTracks(): MediaStreamTrack[] {
    return this.getTracks().filter((t) => t.kind === "audio");
  }
  getVideoTracks(): MediaStreamTrack[] {
    return this.getTracks().filter((t) => t.kind === "video");
  }
  getTrackById(id: string): MediaStreamTrack | null {
    return this.tracks.get(id) ?? null;
  }
  /** User calls fire no event (4.2.4); addtrack/removetrack are for remote changes. */
  addTrack(track: MediaStreamTrack): void {
    this.tracks.set(track.id, track);
  }
  removeTrack(track: MediaStreamTrack): void {
    this.tracks.delete(track.id);
  }
  clone(): MediaStream {
    return new MediaStream(this.getTracks().map((t) => t.clone()));
  }

  /** Petrel-internal: a remote description added or removed a track of this stream. */
  addRemoteTrack(track: MediaStreamTrack): void {
    if (this.tracks.has(track.id)) return;
    this.tracks.set(track.id, track);
    queueTask(() => this.dispatchEvent(new MediaStreamTrackEvent("addtrack", { track })));
  }
  removeRemoteTrack(track: MediaStreamTrack): void {
    if (!this.tracks.delete(track.id)) return;
    queueTask(() => this.dispatchEvent(new MediaStreamTrackEvent("removetrack", { track })));
  }
}
defineEventHandlers(MediaStream.prototype, ["addtrack", "removetrack"]);

/** Events fire as tasks, after the current JavaScript finishes. */
function queueTask(fn: () => void): void {
  setImmediate(fn);
}
