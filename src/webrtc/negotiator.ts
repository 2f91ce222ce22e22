// The offer/answer side of an RTCPeerConnection (webrtc-pc 4.4.1.5 "set the session description",
// 4.4.1.6 createOffer/createAnswer, 4.8.2 addIceCandidate, JSEP RFC 8829 5): the pending and
// current descriptions, the signaling state with rollback (implicit rollback for glare), the ICE
// role (offerer controls, RFC 8445 6.1.1), the DTLS role from a=setup (RFC 8842 5.3), ICE
// restarts (RFC 8445 9) and the candidates added to descriptions after they were made.
import { monotonicNow } from "../clock.js";
import type { Peer } from "../peer/peer.js";
import { cryptoRandom } from "../random.js";
import { generateIceCredentials, newSessionId } from "../sdp/index.js";
import type { RTCIceCandidateInit } from "./candidate.js";
import type { RTCCertificate } from "./certificate.js";
import {
  implicitLocalType,
  nextSignalingState,
  RTCSessionDescription,
  type RTCSessionDescriptionInit,
  type RTCSignalingState,
} from "./description.js";
import { domError, invalidState, RTCError } from "./errors.js";
import type { MediaController } from "./media-negotiation.js";
import {
  buildAnswer,
  buildOffer,
  type LocalState,
  type RemoteInfo,
  readRemote,
  withCandidates,
} from "./negotiation.js";

/** What we advertise in a=max-message-size and can send in one message (Chrome's value). */
export const LOCAL_MAX_MESSAGE_SIZE = 262144;

/** A remote description's transport parameters; `parsed` (its whole parse tree) only while an offer waits for our answer. */
type RemoteDesc = Omit<RemoteInfo, "parsed"> & { parsed?: RemoteInfo["parsed"] };

interface Desc {
  type: "offer" | "pranswer" | "answer";
  sdp: string;
  /** The parsed remote description (remote ones only). */
  remote?: RemoteDesc;
}

/** An audio or video m-line (RFC 8866 5.14) in a description. */
const MEDIA_SECTION = /^m=(?:audio|video) /m;

/**
 * Whether the media controller has anything to do with these descriptions: it has transceivers,
 * or one of them has audio/video sections (a remote offer's create transceivers). A data-only
 * negotiation skips it (each call parses the descriptions again: ~80 KB of garbage per pair).
 */
function mediaInvolved(media: MediaController | undefined, ...sdps: string[]): media is MediaController {
  if (!media) return false;
  if (media.hasTransceivers) return true;
  for (const sdp of sdps) if (MEDIA_SECTION.test(sdp)) return true;
  return false;
}

/**
 * A remote description becoming the current one: its parse tree (2-3 KB, needed only to build an
 * answer to it) is let go, so a connection does not keep it for its whole life.
 */
function settled(d: Desc | null): Desc | null {
  if (d?.remote?.parsed) {
    const { parsed: _, ...rest } = d.remote;
    d.remote = rest;
  }
  return d;
}

/** What the negotiator needs from its connection. */
export interface NegotiatorHost {
  readonly peer: Peer;
  readonly certificate: RTCCertificate;
  /** Data channels exist (an offer then has a data section). */
  hasChannels(): boolean;
  /** The first setLocalDescription starts gathering (the driver binds sockets). */
  startGathering(): void;
  /** Schedules a drain of the Peer core after API calls. */
  kick(): void;
  /** Fires signalingstatechange on the connection. */
  signalingStateChanged(): void;
  /** The connection's transceivers (m-lines of offers, answers to media sections). */
  readonly media?: MediaController;
}

export class Negotiator {
  signalingState: RTCSignalingState = "stable";
  /** The ICE role once decided (undefined before the first offer either way). */
  iceControlling: boolean | undefined;
  dataNegotiated = false;
  dataMid = "0";
  restartPending = false;
  canTrickle: boolean | null = null;
  private readonly host: NegotiatorHost;
  private readonly sessionId: string;
  private pendingLocal: Desc | null = null;
  private currentLocal: Desc | null = null;
  private pendingRemote: Desc | null = null;
  private currentRemote: Desc | null = null;
  private lastOffer = "";
  private lastAnswer = "";
  /** Local candidate lines gathered for the current ICE generation (for localDescription). */
  private localCandidates: string[] = [];
  private localGatheringDone = false;
  private remoteCandidates: string[] = [];
  private remoteEnd = false;

  constructor(host: NegotiatorHost) {
    this.host = host;
    this.sessionId = newSessionId(cryptoRandom());
  }

  // ---- descriptions as the attributes show them ---------------------------------------------

  describe(which: "local" | "currentLocal" | "pendingLocal" | "remote" | "currentRemote" | "pendingRemote") {
    switch (which) {
      case "local":
        return this.describeLocal(this.pendingLocal ?? this.currentLocal);
      case "currentLocal":
        return this.describeLocal(this.currentLocal);
      case "pendingLocal":
        return this.describeLocal(this.pendingLocal);
      case "remote":
        return this.describeRemote(this.pendingRemote ?? this.currentRemote);
      case "currentRemote":
        return this.describeRemote(this.currentRemote);
      case "pendingRemote":
        return this.describeRemote(this.pendingRemote);
    }
  }

  private describeLocal(d: Desc | null): RTCSessionDescription | null {
    if (!d) return null;
    const sdp =
      this.localCandidates.length === 0 && !this.localGatheringDone
        ? d.sdp
        : withCandidates(d.sdp, this.localCandidates, this.localGatheringDone, this.dataMid);
    return new RTCSessionDescription({ type: d.type, sdp });
  }

  private describeRemote(d: Desc | null): RTCSessionDescription | null {
    if (!d) return null;
    const extra = this.remoteCandidates;
    const sdp = extra.length > 0 || this.remoteEnd ? withCandidates(d.sdp, extra, this.remoteEnd, this.dataMid) : d.sdp;
    return new RTCSessionDescription({ type: d.type, sdp });
  }

  /** The remote description's transport parameters (pending first). */
  get remote(): RemoteDesc | undefined {
    return (this.pendingRemote ?? this.currentRemote)?.remote;
  }

  get hasLocalDescription(): boolean {
    return this.currentLocal !== null || this.pendingLocal !== null;
  }

  /** The m-line index of the data section: its place in the remote offer's sections, else 0 (ours). */
  dataMLineIndex(): number {
    const remote = (this.currentRemote ?? this.pendingRemote)?.remote;
    return Math.max(remote ? remote.mids.indexOf(this.dataMid) : -1, 0);
  }

  /** A local candidate was announced (icecandidate): later reads of localDescription include it. */
  addLocalCandidate(line: string): void {
    this.localCandidates.push(line);
  }

  localGatheringComplete(): void {
    this.localGatheringDone = true;
  }

  // ---- offer / answer -----------------------------------------------------------------------

  createOffer(iceRestart: boolean): RTCSessionDescriptionInit {
    if (iceRestart) this.restartPending = true;
    if (this.restartPending) this.restartLocalIce();
    const sdp = buildOffer(this.localState("actpass"));
    this.lastOffer = sdp;
    return { type: "offer", sdp };
  }

  createAnswer(): RTCSessionDescriptionInit {
    if (this.signalingState !== "have-remote-offer" && this.signalingState !== "have-local-pranswer") {
      throw invalidState(`createAnswer in signaling state '${this.signalingState}'`);
    }
    const sdp = buildAnswer(this.offerToAnswer(), this.localState(this.answerSetup()));
    this.lastAnswer = sdp;
    return { type: "answer", sdp };
  }

  /** We answer setup:active (the DTLS client, as browsers do) unless the offerer took active. */
  /** The pending remote offer with its parse tree (what an answer is built from). */
  private offerToAnswer(): RemoteInfo {
    const r = this.pendingRemote?.remote;
    if (!r?.parsed) throw invalidState("no remote offer to answer");
    return r as RemoteInfo;
  }

  private answerSetup(): "active" | "passive" {
    return this.pendingRemote?.remote?.setup === "active" ? "passive" : "active";
  }

  private localState(setup: "actpass" | "active" | "passive"): LocalState {
    const h = this.host;
    const previous = (this.pendingLocal ?? this.currentLocal)?.sdp;
    const includeData = h.hasChannels() || this.dataNegotiated || this.remote?.hasData === true;
    let sections: LocalState["sections"];
    if (h.media?.hasTransceivers && setup === "actpass") {
      const data = includeData
        ? { kind: "application" as const, mid: this.dataMid, maxMessageSize: LOCAL_MAX_MESSAGE_SIZE }
        : undefined;
      sections = h.media.offerSections(previous, data);
      const app = sections.find((s) => s.kind === "application");
      if (app) this.dataMid = app.mid;
    }
    return {
      sections,
      media: h.media?.answerPolicy(),
      sessionId: this.sessionId,
      previous: (this.pendingLocal ?? this.currentLocal)?.sdp,
      ufrag: h.peer.localUfrag,
      pwd: h.peer.localPwd,
      fingerprints: h.certificate.getFingerprints(),
      setup,
      includeData: h.hasChannels() || this.dataNegotiated || this.remote?.hasData === true,
      dataMid: this.dataMid,
      candidates: this.localCandidates,
      endOfCandidates: this.localGatheringDone,
      maxMessageSize: LOCAL_MAX_MESSAGE_SIZE,
    };
  }

  private restartLocalIce(): void {
    if (!this.restartPending) return;
    this.restartPending = false;
    if (!this.hasLocalDescription) return;
    const { ufrag, pwd } = generateIceCredentials(cryptoRandom());
    this.host.peer.restartIce(ufrag, pwd, monotonicNow());
    this.localCandidates = [];
    this.localGatheringDone = false;
    this.host.kick();
  }

  setLocal(description: RTCSessionDescriptionInit | undefined): void {
    const h = this.host;
    const type = description?.type ?? implicitLocalType(this.signalingState);
    if (type === "rollback") {
      this.rollback();
      return;
    }
    let sdp = description?.sdp ?? "";
    if (!sdp) {
      if (type === "offer") {
        if (!this.lastOffer || this.signalingState === "have-local-offer") {
          if (this.restartPending) this.restartLocalIce();
          this.lastOffer = buildOffer(this.localState("actpass"));
        }
        sdp = this.lastOffer;
      } else {
        if (this.signalingState !== "have-remote-offer" && this.signalingState !== "have-local-pranswer") {
          throw invalidState(`setLocalDescription(${type}) in signaling state '${this.signalingState}'`);
        }
        if (!this.lastAnswer) this.lastAnswer = buildAnswer(this.offerToAnswer(), this.localState(this.answerSetup()));
        sdp = this.lastAnswer;
      }
    }
    const next = nextSignalingState(this.signalingState, "local", type);
    if (next === undefined) {
      throw invalidState(`setLocalDescription(${type}) is not allowed in signaling state '${this.signalingState}'`);
    }
    const now = monotonicNow();
    const desc: Desc = { type, sdp };
    if (type === "offer") {
      this.pendingLocal = desc;
      this.decideIceRole(true);
      if (mediaInvolved(h.media, sdp)) h.media.applyLocalOffer(sdp);
    } else if (type === "pranswer") {
      this.pendingLocal = desc;
    } else {
      this.currentLocal = desc;
      this.currentRemote = settled(this.pendingRemote ?? this.currentRemote);
      this.pendingLocal = null;
      this.pendingRemote = null;
      this.lastOffer = "";
      this.lastAnswer = "";
      const remote = this.currentRemote?.remote;
      if (remote) {
        this.decideIceRole(remote.iceLite);
        // Our answer said active (client) unless the offerer took active.
        h.peer.setDtlsParameters(remote.setup === "active" ? "server" : "client", remote.fingerprints, now);
        if (remote.hasData) this.dataNegotiated = true;
        if (this.currentRemote && mediaInvolved(h.media, sdp, this.currentRemote.sdp))
          h.media.applyAnswer(sdp, this.currentRemote.sdp, true);
      }
    }
    if (type === "answer" || type === "pranswer") {
      const remote = this.currentRemote?.remote ?? this.pendingRemote?.remote;
      if (remote?.hasData) this.dataMid = remote.dataMid;
    }
    h.startGathering();
    h.kick();
    this.setSignalingState(next);
  }

  setRemote(description: RTCSessionDescriptionInit): void {
    const h = this.host;
    const type = description.type;
    if (type === "rollback") {
      this.rollback();
      return;
    }
    // Glare: a remote offer while we have one of ours rolls ours back (webrtc-pc 4.4.1.5).
    if (type === "offer" && this.signalingState === "have-local-offer") this.rollback();
    const next = nextSignalingState(this.signalingState, "remote", type);
    if (next === undefined) {
      throw invalidState(`setRemoteDescription(${type}) is not allowed in signaling state '${this.signalingState}'`);
    }
    const sdp = String(description.sdp ?? "");
    const parsed = readRemote(sdp, type);
    if (!parsed.ok) {
      if (parsed.syntax) {
        throw new RTCError(
          { errorDetail: "sdp-syntax-error", sdpLineNumber: parsed.line ?? null },
          `Failed to parse SessionDescription: ${parsed.reason}`,
        );
      }
      throw domError("InvalidAccessError", `Invalid remote description: ${parsed.reason}`);
    }
    const remote = parsed.info;
    const now = monotonicNow();
    const previous = this.remote;
    const desc: Desc = { type, sdp, remote };
    if (previous && previous.ufrag !== remote.ufrag) {
      // The peer restarted ICE (RFC 8445 9): we restart too, and forget its old candidates.
      this.remoteCandidates = [];
      this.remoteEnd = false;
      if (type === "offer") {
        this.restartPending = true;
        this.restartLocalIce();
      }
    }
    // The answerer is controlled, except against an ICE-lite offerer (RFC 8445 6.1.1).
    if (type === "offer") this.decideIceRole(remote.iceLite);
    h.peer.setRemoteIce(remote.ufrag, remote.pwd, remote.iceLite, now);
    h.peer.setRemoteMaxMessageSize(remote.maxMessageSize);
    if (type === "offer" && mediaInvolved(h.media, sdp)) h.media.applyRemoteOffer(sdp);
    if (type === "offer" || type === "pranswer") {
      this.pendingRemote = desc;
    } else {
      this.currentRemote = settled(desc);
      this.currentLocal = this.pendingLocal ?? this.currentLocal;
      this.pendingLocal = null;
      this.pendingRemote = null;
      this.lastOffer = "";
      this.lastAnswer = "";
      if (remote.hasData) this.dataNegotiated = true;
      if (this.currentLocal && mediaInvolved(h.media, this.currentLocal.sdp, sdp))
        h.media.applyAnswer(this.currentLocal.sdp, sdp, false);
    }
    if (remote.hasData && type !== "pranswer") this.dataMid = remote.dataMid;
    if (type !== "offer") {
      // We offered actpass: the answer decides (active -> they are the client).
      h.peer.setDtlsParameters(remote.setup === "active" ? "server" : "client", remote.fingerprints, now);
    }
    for (const c of remote.candidates) h.peer.addRemoteCandidate(c, now);
    if (remote.endOfCandidates) h.peer.addRemoteCandidate(null, now);
    this.canTrickle = remote.trickle;
    h.kick();
    this.setSignalingState(next);
  }

  private decideIceRole(controlling: boolean): void {
    if (this.iceControlling !== undefined) return;
    this.iceControlling = controlling;
    this.host.peer.setIceControlling(controlling);
  }

  private rollback(): void {
    const next = nextSignalingState(this.signalingState, "local", "rollback");
    if (next === undefined) {
      throw invalidState(`rollback is not allowed in signaling state '${this.signalingState}'`);
    }
    this.pendingLocal = null;
    this.pendingRemote = null;
    this.lastOffer = "";
    this.lastAnswer = "";
    this.host.media?.rollback();
    if (this.currentLocal === null && this.currentRemote === null) this.iceControlling = undefined;
    this.setSignalingState(next);
  }

  private setSignalingState(next: RTCSignalingState): void {
    if (next === this.signalingState) return;
    this.signalingState = next;
    this.host.signalingStateChanged();
  }

  /** addIceCandidate's checks (webrtc-pc 4.4.1.7) and hand-over to the ICE agent. */
  addIceCandidate(c: RTCIceCandidateInit | undefined): void {
    const h = this.host;
    const remote = this.remote;
    if (!remote) throw invalidState("addIceCandidate before setRemoteDescription");
    const now = monotonicNow();
    if (!c?.candidate) {
      if (c?.usernameFragment && c.usernameFragment !== remote.ufrag) {
        throw domError("OperationError", "usernameFragment does not match the remote description");
      }
      this.remoteEnd = true;
      h.peer.addRemoteCandidate(null, now);
      h.kick();
      return;
    }
    const hasMid = c.sdpMid !== undefined && c.sdpMid !== null;
    if (hasMid ? !remote.mids.includes(c.sdpMid!) : (c.sdpMLineIndex ?? 0) >= remote.mids.length) {
      throw domError("OperationError", `No media section for sdpMid ${String(c.sdpMid)} / index ${c.sdpMLineIndex}`);
    }
    if (c.usernameFragment && c.usernameFragment !== remote.ufrag) {
      throw domError("OperationError", "usernameFragment does not match the remote description");
    }
    let line = String(c.candidate).trim();
    if (line.startsWith("a=")) line = line.slice(2);
    if (!h.peer.addRemoteCandidate(line, now)) throw domError("OperationError", `Invalid candidate: ${line}`);
    this.remoteCandidates.push(line);
    h.kick();
  }

  /** negotiationneeded is due: an ICE restart was asked for, or channels exist with no data section. */
  negotiationNeeded(): boolean {
    return (
      this.restartPending ||
      (this.host.hasChannels() && !this.dataNegotiated) ||
      (this.host.media?.hasTransceivers === true && this.host.media.needsNegotiation(this.currentLocal?.sdp))
    );
  }

  close(): void {
    this.signalingState = "closed";
  }
}
