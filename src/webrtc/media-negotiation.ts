// The media half of an RTCPeerConnection: addTrack / removeTrack / addTransceiver (webrtc-pc 5.1),
// the transceivers' m-lines in offers (RFC 8829 5.2.1/5.2.2: existing mids keep their places, new
// ones are appended) and how we answer offered ones (5.3.1), applying descriptions (webrtc-pc
// 4.4.1.5: associating remote m-lines with transceivers, processing the addition and removal of
// remote tracks, the `track` event with its streams), negotiated parameters handed to the media
// core (src/peer/media.ts), and the core's events routed to senders and receivers.
import type { MediaEvent, MediaSession } from "../peer/media.js";
import type { Direction } from "../sdp/attributes.js";
import {
  bundleGroup,
  type DataSectionConfig,
  findDirection,
  getAttribute,
  type LocalSectionConfig,
  type MediaAnswerPolicy,
  type MediaSectionConfig,
  negotiateMedia,
  parseMsid,
  parseSdp,
  reverseDirection,
  type SdpMedia,
  type SessionDescription,
} from "../sdp/index.js";
import { invalidState, typeError } from "./errors.js";
import { MediaStream, type MediaStreamTrack } from "./media-stream.js";
import { type MediaHost, type RTCRtpReceiver, type RTCRtpSender, RTCRtpTransceiver } from "./rtp-transceiver.js";

export interface RTCRtpTransceiverInit {
  direction?: Direction;
  streams?: MediaStream[];
  sendEncodings?: { active?: boolean; maxBitrate?: number; rid?: string }[];
}

export class RTCTrackEvent extends Event {
  readonly receiver: RTCRtpReceiver;
  readonly track: MediaStreamTrack;
  readonly streams: readonly MediaStream[];
  readonly transceiver: RTCRtpTransceiver;
  constructor(
    type: string,
    init: EventInit & {
      receiver: RTCRtpReceiver;
      track: MediaStreamTrack;
      streams?: MediaStream[];
      transceiver: RTCRtpTransceiver;
    },
  ) {
    super(type, init);
    this.receiver = init.receiver;
    this.track = init.track;
    this.streams = Object.freeze([...(init.streams ?? [])]);
    this.transceiver = init.transceiver;
  }
}

export interface MediaControllerHost extends MediaHost {
  /** Queues the `track` event as a task on the connection. */
  fireTrack(ev: RTCTrackEvent): void;
}

interface Entry {
  transceiver: RTCRtpTransceiver;
  /** Created by addTrack (may be reused by a remote offer's m-line, webrtc-pc 4.4.1.5). */
  byAddTrack: boolean;
  /** The sender has had a track at some point (addTrack reuse rule). */
  senderHadTrack: boolean;
  /** The remote side sends on it (fired `track`). */
  remoteSending: boolean;
  /** The mid this transceiver was offered with in our last offer (set on setLocalDescription). */
  offeredMid: string | undefined;
  /** Directions as last negotiated, for negotiationneeded. */
  negotiatedDirection: Direction | undefined;
  /** m-line index in the current descriptions. */
  mline: number;
  /** The pending description (not yet answered) gave it its mid; rollback takes the mid back. */
  pendingMid: boolean;
  /** Created by a pending remote offer: rollback removes it (webrtc-pc 4.4.1.5 rollback). */
  pendingCreated: boolean;
}

const parse = (sdp: string): SessionDescription | undefined => {
  const r = parseSdp(sdp);
  return r.ok ? r.sdp : undefined;
};

const isMedia = (m: SdpMedia) => m.kind === "audio" || m.kind === "video";

export class MediaController {
  private readonly host: MediaControllerHost;
  private readonly entries: Entry[] = [];
  private readonly remoteStreams = new Map<string, MediaStream>();

  constructor(host: MediaControllerHost) {
    this.host = host;
  }

  private get media(): MediaSession {
    return this.host.media;
  }

  // ---- the API ----

  getTransceivers(): RTCRtpTransceiver[] {
    return this.entries.map((e) => e.transceiver);
  }
  getSenders(): RTCRtpSender[] {
    return this.entries.filter((e) => !e.transceiver.stopped).map((e) => e.transceiver.sender);
  }
  getReceivers(): RTCRtpReceiver[] {
    return this.entries.filter((e) => !e.transceiver.stopped).map((e) => e.transceiver.receiver);
  }
  get hasTransceivers(): boolean {
    return this.entries.length > 0;
  }

  /** webrtc-pc 5.1 addTrack. */
  addTrack(track: MediaStreamTrack, streams: MediaStream[]): RTCRtpSender {
    if (this.host.isClosed) throw invalidState("The RTCPeerConnection is closed");
    for (const e of this.entries) {
      if (e.transceiver.sender.track === track) throw domInvalidAccess("the track already has a sender");
    }
    const ids = streams.map((s) => s.id);
    // Reuse a transceiver whose sender never had a track, of the same kind, not stopped.
    const reuse = this.entries.find(
      (e) =>
        !e.senderHadTrack &&
        !e.transceiver.stopped &&
        e.transceiver.direction !== "stopped" &&
        e.transceiver.kind === track.kind &&
        !e.byAddTrack,
    );
    if (reuse) {
      const t = reuse.transceiver;
      void t.sender.replaceTrack(track);
      t.sender.streamIds = ids;
      reuse.senderHadTrack = true;
      if (t.direction === "recvonly") t.direction = "sendrecv";
      else if (t.direction === "inactive") t.direction = "sendonly";
      this.host.updateNegotiationNeeded();
      return t.sender;
    }
    const entry = this.create(track.kind, "sendrecv", track, ids, true);
    this.host.updateNegotiationNeeded();
    return entry.transceiver.sender;
  }

  /** webrtc-pc 5.1 removeTrack. */
  removeTrack(sender: RTCRtpSender): void {
    if (this.host.isClosed) throw invalidState("The RTCPeerConnection is closed");
    const e = this.entries.find((x) => x.transceiver.sender === sender);
    if (!e) throw domInvalidAccess("the sender was not created by this connection");
    if (e.transceiver.stopped || sender.track === null) return;
    void sender.replaceTrack(null);
    const t = e.transceiver;
    if (t.direction === "sendrecv") t.direction = "recvonly";
    else if (t.direction === "sendonly") t.direction = "inactive";
    this.host.updateNegotiationNeeded();
  }

  /** webrtc-pc 5.1 addTransceiver. */
  addTransceiver(trackOrKind: MediaStreamTrack | string, init: RTCRtpTransceiverInit = {}): RTCRtpTransceiver {
    if (this.host.isClosed) throw invalidState("The RTCPeerConnection is closed");
    const track = typeof trackOrKind === "string" ? null : trackOrKind;
    const kind = typeof trackOrKind === "string" ? trackOrKind : trackOrKind.kind;
    if (kind !== "audio" && kind !== "video") throw typeError(`kind must be "audio" or "video", not "${kind}"`);
    const direction = init.direction ?? "sendrecv";
    if (!["sendrecv", "sendonly", "recvonly", "inactive"].includes(direction))
      throw typeError(`bad direction ${direction}`);
    for (const enc of init.sendEncodings ?? []) {
      if (enc.maxBitrate !== undefined && !(Number.isFinite(enc.maxBitrate) && enc.maxBitrate >= 0))
        throw typeError("maxBitrate must be a non-negative number");
    }
    const e = this.create(
      kind,
      direction,
      track,
      (init.streams ?? []).map((s) => s.id),
      false,
    );
    if (init.sendEncodings?.length) e.transceiver.sender.setEncodings(init.sendEncodings);
    this.host.updateNegotiationNeeded();
    return e.transceiver;
  }

  private create(
    kind: "audio" | "video",
    direction: Direction,
    track: MediaStreamTrack | null,
    streamIds: string[],
    byAddTrack: boolean,
  ): Entry {
    const state = this.media.addTransceiver(kind, direction);
    const transceiver = new RTCRtpTransceiver(this.host, state, track, streamIds);
    const e: Entry = {
      transceiver,
      byAddTrack,
      senderHadTrack: track !== null,
      remoteSending: false,
      offeredMid: undefined,
      negotiatedDirection: undefined,
      mline: -1,
      pendingMid: false,
      pendingCreated: false,
    };
    this.entries.push(e);
    return e;
  }

  // ---- offers and answers ----

  private sectionConfig(e: Entry, mid: string): MediaSectionConfig {
    const t = e.transceiver;
    const s = this.media.transceiver(t.transceiverId);
    const track = t.sender.track;
    return {
      kind: t.kind,
      mid,
      direction: t.direction === "stopped" ? "inactive" : t.direction,
      stopped: t.stopped || t.direction === "stopped",
      codecs: t.codecPreferences.length ? t.codecPreferences : undefined,
      sender: {
        streamIds: t.sender.streamIds,
        trackId: track?.id ?? `${s.ssrc}`,
        ssrc: s.ssrc,
        rtxSsrc: s.rtxSsrc,
        cname: this.host.cname,
      },
    };
  }

  /**
   * The m-lines of a new offer: the previous description's in their places (RFC 8829 5.2.2),
   * then new transceivers, then the data section if it is new. Remembers which transceiver got
   * which mid (applied by applyLocalOffer).
   */
  offerSections(previousLocal: string | undefined, data: DataSectionConfig | undefined): LocalSectionConfig[] {
    const prev = previousLocal ? parse(previousLocal) : undefined;
    const used = new Set<string>();
    const out: LocalSectionConfig[] = [];
    let dataPlaced = false;
    for (const m of prev?.media ?? []) {
      const mid = getAttribute(m.attributes, "mid");
      if (mid === undefined) continue;
      used.add(mid);
      if (m.kind === "application") {
        if (data) {
          out.push({ ...data, mid });
          dataPlaced = true;
        }
        continue;
      }
      const e = this.entries.find((x) => this.midOf(x) === mid);
      if (e) {
        e.offeredMid = mid;
        out.push(this.sectionConfig(e, mid));
      } else {
        out.push({ kind: m.kind === "audio" ? "audio" : "video", mid, direction: "inactive", stopped: true });
      }
    }
    let next = 0;
    const freeMid = (): string => {
      while (used.has(String(next))) next++;
      used.add(String(next));
      return String(next);
    };
    for (const e of this.entries) {
      if (this.midOf(e) !== undefined || e.transceiver.stopped) continue;
      const mid = freeMid();
      e.offeredMid = mid;
      out.push(this.sectionConfig(e, mid));
    }
    // A data section that is not negotiated yet follows the media sections (Chrome's order when
    // tracks are added before the first channel), with a free mid if a media section took its own.
    if (data && !dataPlaced) out.push(used.has(data.mid) ? { ...data, mid: freeMid() } : data);
    return out;
  }

  private midOf(e: Entry): string | undefined {
    return this.media.transceiver(e.transceiver.transceiverId).mid;
  }

  /** setLocalDescription(offer): transceivers take the mids they were offered with. */
  applyLocalOffer(sdp: string): void {
    const s = parse(sdp);
    if (!s) return;
    for (const e of this.entries) {
      if (e.offeredMid === undefined) continue;
      const m = s.media.find((x) => getAttribute(x.attributes, "mid") === e.offeredMid);
      const state = this.media.transceiver(e.transceiver.transceiverId);
      if (m && isMedia(m) && state.mid === undefined) {
        state.mid = e.offeredMid;
        e.pendingMid = true;
      }
    }
  }

  /**
   * setRemoteDescription(offer), webrtc-pc 4.4.1.5: each offered audio/video m-line is associated
   * with a transceiver (by mid; else one made by addTrack of its kind with no mid; else a new
   * recvonly one), and remote tracks are processed.
   */
  applyRemoteOffer(sdp: string): void {
    const s = parse(sdp);
    if (!s) return;
    const bundle = bundleGroup(s);
    s.media.forEach((m, index) => {
      if (!isMedia(m)) return;
      const mid = getAttribute(m.attributes, "mid");
      if (mid === undefined) return;
      let e = this.entries.find((x) => this.midOf(x) === mid);
      const rejected =
        m.port === 0 && !(bundle?.includes(mid) && getAttribute(m.attributes, "bundle-only") !== undefined);
      if (!e && rejected) return;
      if (!e) {
        e = this.entries.find(
          (x) => this.midOf(x) === undefined && x.byAddTrack && !x.transceiver.stopped && x.transceiver.kind === m.kind,
        );
        if (!e) {
          e = this.create(m.kind as "audio" | "video", "recvonly", null, [], false);
          e.pendingCreated = true;
        }
        this.media.transceiver(e.transceiver.transceiverId).mid = mid;
        e.pendingMid = true;
      }
      e.mline = index;
      if (rejected) {
        e.transceiver.markStopped();
        return;
      }
      const remoteDir = findDirection(m.attributes) ?? findDirection(s.attributes) ?? "sendrecv";
      this.processRemoteTracks(e, m, reverseDirection(remoteDir));
    });
  }

  /** How createAnswer answers each offered audio/video m-line. */
  answerPolicy(): MediaAnswerPolicy {
    return (_info, mid) => {
      const e = this.entries.find((x) => mid !== undefined && this.midOf(x) === mid);
      if (!e || e.transceiver.stopped) return undefined;
      const config = this.sectionConfig(e, mid!);
      return {
        direction: config.direction,
        codecs: config.codecs,
        sender: e.transceiver.sender.track ? config.sender : undefined,
      };
    };
  }

  /**
   * A completed offer/answer (our answer set locally, or their answer set remotely): negotiated
   * parameters to the media core, rejected m-lines stop their transceivers, and (for a remote
   * answer) remote tracks are processed.
   */
  applyAnswer(localSdp: string, remoteSdp: string, localIsAnswer: boolean): void {
    const local = parse(localSdp);
    const remote = parse(remoteSdp);
    if (!local || !remote) return;
    const now = this.host.now();
    for (const e of this.entries) {
      e.pendingMid = false;
      e.pendingCreated = false;
      const mid = this.midOf(e);
      if (mid === undefined) continue;
      const lm = local.media.find((x) => getAttribute(x.attributes, "mid") === mid);
      const rm = remote.media.find((x) => getAttribute(x.attributes, "mid") === mid);
      if (!lm || !rm || !isMedia(lm)) continue;
      const answer = localIsAnswer ? lm : rm;
      if (answer.port === 0) {
        e.transceiver.markStopped();
        continue;
      }
      const n = negotiateMedia(lm, rm, localIsAnswer);
      this.media.applyNegotiation(e.transceiver.transceiverId, n, now);
      e.negotiatedDirection = e.transceiver.direction === "stopped" ? undefined : e.transceiver.direction;
      if (!localIsAnswer) this.processRemoteTracks(e, rm, n.direction);
      else if (!(n.direction === "sendrecv" || n.direction === "recvonly")) this.stopRemoteTrack(e);
    }
    this.host.kick();
  }

  /**
   * Rollback of a pending offer (webrtc-pc 4.4.1.5): transceivers it created go away, and those
   * it gave a mid lose it again (their remote track, if one was announced, is removed).
   */
  rollback(): void {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i]!;
      if (!e.pendingMid && !e.pendingCreated) continue;
      this.stopRemoteTrack(e);
      if (e.pendingCreated) {
        e.transceiver.markStopped();
        this.entries.splice(i, 1);
        continue;
      }
      this.media.transceiver(e.transceiver.transceiverId).mid = undefined;
      e.pendingMid = false;
    }
  }

  /** webrtc-pc 4.4.1.5 "process the addition/removal of a remote track", from our direction. */
  private processRemoteTracks(e: Entry, m: SdpMedia, ourDirection: Direction): void {
    const receiving = ourDirection === "sendrecv" || ourDirection === "recvonly";
    const t = e.transceiver;
    if (!receiving) {
      this.stopRemoteTrack(e);
      return;
    }
    if (e.remoteSending) return;
    e.remoteSending = true;
    const ids = new Set<string>();
    for (const a of m.attributes) {
      if (a.key !== "msid" || !a.value) continue;
      const x = parseMsid(a.value);
      if (x && x.streamId !== "-") ids.add(x.streamId);
    }
    const streams: MediaStream[] = [];
    for (const id of ids) {
      let s = this.remoteStreams.get(id);
      if (!s) {
        s = new MediaStream([], id);
        this.remoteStreams.set(id, s);
      }
      s.addTrack(t.receiver.track);
      streams.push(s);
    }
    this.host.fireTrack(
      new RTCTrackEvent("track", { receiver: t.receiver, track: t.receiver.track, streams, transceiver: t }),
    );
  }

  private stopRemoteTrack(e: Entry): void {
    if (!e.remoteSending) return;
    e.remoteSending = false;
    const track = e.transceiver.receiver.track;
    for (const s of this.remoteStreams.values()) s.removeRemoteTrack(track);
    track.setMuted(true);
  }

  /** webrtc-pc 4.7.3 "check if negotiation is needed", for transceivers. */
  needsNegotiation(currentLocal: string | undefined): boolean {
    const local = currentLocal ? parse(currentLocal) : undefined;
    for (const e of this.entries) {
      const t = e.transceiver;
      const mid = this.midOf(e);
      if (t.stopped || t.direction === "stopped") {
        const m = mid !== undefined ? local?.media.find((x) => getAttribute(x.attributes, "mid") === mid) : undefined;
        if (m && m.port !== 0) return true;
        continue;
      }
      if (mid === undefined) return true;
      if (e.negotiatedDirection !== undefined && e.negotiatedDirection !== t.direction) return true;
    }
    return false;
  }

  /** Routes one media core event to the W3C objects. */
  handleEvent(ev: MediaEvent): void {
    const e = this.entries.find((x) => x.transceiver.transceiverId === ev.transceiver);
    if (!e) return;
    const t = e.transceiver;
    switch (ev.type) {
      case "frame":
        t.receiver.deliverFrame(ev.ssrc, ev.frame);
        break;
      case "rtp":
        t.receiver.deliverRtp(ev.packet);
        break;
      case "keyframe-request":
        t.sender.keyframeRequested();
        break;
      case "bye":
        t.receiver.track.setMuted(true);
        break;
      case "remote-stream":
        break;
      case "target-bitrate":
        t.sender.targetBitrateChanged(ev.bitrate);
        break;
      case "tonechange":
        t.sender.dtmf?.toneChanged(ev.tone);
        break;
      case "dtmf":
        t.receiver.dtmfListeners.emit({ tone: ev.tone, event: ev.event, ssrc: ev.ssrc, rtpTimestamp: ev.rtpTimestamp });
        break;
    }
  }

  /** close(): every transceiver stops; remote tracks end. */
  close(): void {
    for (const e of this.entries) {
      e.transceiver.sender.detach();
      e.transceiver.receiver.end();
    }
  }
}

function domInvalidAccess(message: string): DOMException {
  return new DOMException(message, "InvalidAccessError");
}
