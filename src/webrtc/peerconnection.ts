// RTCPeerConnection (webrtc-pc section 4): the operations chain (4.4.1.2), offer/answer and the
// signaling state machine with rollback (4.4.1.5, JSEP RFC 8829 5), trickle ICE (addIceCandidate,
// icecandidate events), the aggregate states (4.3.2-4.3.4), negotiationneeded (4.7.3), close
// (4.4.1.9), createDataChannel (6.1) and the W3C events, queued as tasks in a browser's order and
// never fired from inside a core. State lives in the Peer core; this object is the user's handle.
import { lookup } from "node:dns/promises";
import { parseIP, type TransportAddress } from "../address.js";
import { monotonicNow } from "../clock.js";
import type { DtlsState, GatheringState, IceState, PeerEvent, SctpState } from "../peer/events.js";
import type { Peer } from "../peer/peer.js";
import { cryptoRandom } from "../random.js";
import { generateIceCredentials, newSessionId } from "../sdp/index.js";
import { RTCIceCandidate, type RTCIceCandidateInit } from "./candidate.js";
import { generateCertificate, generateCertificateNow, type RTCCertificate } from "./certificate.js";
import {
  copyConfiguration,
  type IceServerUrl,
  parseIceServers,
  type ResolvedConfiguration,
  type RTCConfiguration,
  resolveConfiguration,
  updateConfiguration,
} from "./configuration.js";
import {
  createDataChannel,
  type RTCDataChannel,
  type RTCDataChannelInit,
  validateDataChannelInit,
} from "./datachannel.js";
import {
  implicitLocalType,
  isSdpType,
  nextSignalingState,
  RTCSessionDescription,
  type RTCSessionDescriptionInit,
  type RTCSignalingState,
} from "./description.js";
import type { DriverFactory, PeerDriver } from "./driver.js";
import { domError, invalidState, RTCError, toWebError } from "./errors.js";
import {
  defineEventHandlers,
  RTCDataChannelEvent,
  RTCPeerConnectionIceErrorEvent,
  RTCPeerConnectionIceEvent,
} from "./events.js";
import {
  buildAnswer,
  buildOffer,
  type LocalState,
  type RemoteInfo,
  readRemote,
  withCandidates,
} from "./negotiation.js";
import { type CreatePeerOptions, createPeer, defaultDriverFactory } from "./stack.js";
import { buildStats, type RTCStatsReport } from "./stats.js";
import { createTransports, type RTCDtlsTransport, type RTCIceTransport, type RTCSctpTransport } from "./transports.js";

export type RTCIceConnectionState = IceState;
export type RTCIceGatheringState = GatheringState;
export type RTCPeerConnectionState = "new" | "connecting" | "connected" | "disconnected" | "failed" | "closed";

export interface RTCOfferOptions {
  iceRestart?: boolean;
}

interface Desc {
  type: "offer" | "pranswer" | "answer";
  sdp: string;
  /** The parsed remote description (remote ones only). */
  remote?: RemoteInfo;
}

/** Internal options (non-standard; see petrel/nonstandard): a driver running on the simulator. */
export interface PeerConnectionInternals {
  driverFactory?: DriverFactory;
  /** Include loopback addresses when gathering host candidates (default true). */
  includeLoopback?: boolean;
  /** Builds the Peer core (tests: a core with fake or simulated layers). */
  createPeer?: (o: CreatePeerOptions) => Peer;
}

const internals = Symbol.for("petrel.internals");
/** What we advertise in a=max-message-size and can send in one message (Chrome's value). */
const LOCAL_MAX_MESSAGE_SIZE = 262144;

export class RTCPeerConnection extends EventTarget {
  declare onnegotiationneeded: ((this: RTCPeerConnection, ev: Event) => unknown) | null;
  declare onicecandidate: ((this: RTCPeerConnection, ev: RTCPeerConnectionIceEvent<RTCIceCandidate>) => unknown) | null;
  declare onicecandidateerror: ((this: RTCPeerConnection, ev: RTCPeerConnectionIceErrorEvent) => unknown) | null;
  declare onsignalingstatechange: ((this: RTCPeerConnection, ev: Event) => unknown) | null;
  declare oniceconnectionstatechange: ((this: RTCPeerConnection, ev: Event) => unknown) | null;
  declare onicegatheringstatechange: ((this: RTCPeerConnection, ev: Event) => unknown) | null;
  declare onconnectionstatechange: ((this: RTCPeerConnection, ev: Event) => unknown) | null;
  declare ondatachannel: ((this: RTCPeerConnection, ev: RTCDataChannelEvent<RTCDataChannel>) => unknown) | null;
  declare ontrack: ((this: RTCPeerConnection, ev: Event) => unknown) | null;
  private config: ResolvedConfiguration;
  private readonly certificate: RTCCertificate;
  /** @internal */ readonly peer: Peer;
  private driver: PeerDriver | undefined;
  private readonly driverFactory: DriverFactory;
  private readonly includeLoopback: boolean;
  private isClosed = false;
  private _signalingState: RTCSignalingState = "stable";
  private _iceGatheringState: RTCIceGatheringState = "new";
  private _iceConnectionState: RTCIceConnectionState = "new";
  private _connectionState: RTCPeerConnectionState = "new";
  private dtlsAnnounced: DtlsState = "new";
  private pendingLocal: Desc | null = null;
  private currentLocal: Desc | null = null;
  private pendingRemote: Desc | null = null;
  private currentRemote: Desc | null = null;
  private lastOffer = "";
  private lastAnswer = "";
  private readonly sessionId: string;
  /** Local candidate lines gathered for the current ICE generation (for localDescription). */
  private localCandidates: string[] = [];
  private localGatheringDone = false;
  private remoteCandidates: { candidate: string; mid: string }[] = [];
  private remoteEnd = false;
  private iceControlling: boolean | undefined;
  private dataNegotiated = false;
  private dataMidValue = "0";
  private restartPending = false;
  private negotiationNeeded = false;
  private readonly ops: (() => void)[] = [];
  private readonly channels = new Map<number, RTCDataChannel>();
  private readonly queue: PeerEvent[] = [];
  private flushScheduled = false;
  private selectedPair: { local: string; remote: string } | null = null;
  private _canTrickle: boolean | null = null;
  private channelsOpened = 0;
  private channelsClosed = 0;
  private readonly iceTransport: RTCIceTransport;
  private readonly dtlsTransport: RTCDtlsTransport;

  constructor(configuration?: RTCConfiguration, options?: unknown) {
    super();
    this.config = resolveConfiguration(configuration, Date.now());
    const opts = ((options as Record<symbol, PeerConnectionInternals> | undefined)?.[internals] ??
      {}) as PeerConnectionInternals;
    this.driverFactory = opts.driverFactory ?? defaultDriverFactory;
    this.includeLoopback = opts.includeLoopback ?? true;
    this.certificate = this.config.certificates[0] ?? generateCertificateNow();
    if (this.config.certificates.length === 0) this.config.certificates = [this.certificate];
    this.sessionId = newSessionId(cryptoRandom());
    this.peer = (opts.createPeer ?? createPeer)({
      random: cryptoRandom(),
      certificate: this.certificate.material,
      stunServers: parseIceServers(this.config.iceServers),
      iceTransportPolicy: this.config.iceTransportPolicy,
      now: monotonicNow(),
    });
    this.stunReady = resolveStunHosts(parseIceServers(this.config.iceServers)).then((addrs) => {
      if (addrs.length > 0 && !this.isClosed) this.peer.ice.addStunServers(addrs);
    });
    const t = createTransports({
      iceRole: () =>
        this.iceControlling === undefined ? "unknown" : this.iceControlling ? "controlling" : "controlled",
      localCandidateLines: () => this.peer.ice.localCandidates(),
      remoteCandidateLines: () => this.peer.ice.remoteCandidates(),
      selectedPairLines: () => this.selectedPair,
      localIceParameters: () => ({ usernameFragment: this.peer.localUfrag, password: this.peer.localPwd }),
      remoteIceParameters: () => {
        const r = (this.currentRemote ?? this.pendingRemote)?.remote;
        return r ? { usernameFragment: r.ufrag, password: r.pwd } : null;
      },
      remoteCertificates: () => {
        const der = this.peer.dtls?.remoteCertificate();
        return der ? [der.slice().buffer as ArrayBuffer] : [];
      },
      maxMessageSize: () => this.maxMessageSize(),
      maxChannels: () => this.peer.maxChannels,
      dataMid: () => this.dataMidValue,
    });
    this.iceTransport = t.ice;
    this.dtlsTransport = t.dtls;
    this.sctpHandle = t.sctp;
  }

  private readonly sctpHandle: RTCSctpTransport;
  /** STUN server names resolved (DNS) before the ICE agent starts gathering. */
  private readonly stunReady: Promise<void>;

  static generateCertificate(keygenAlgorithm: unknown): Promise<RTCCertificate> {
    return generateCertificate(keygenAlgorithm);
  }

  // ---- attributes ---------------------------------------------------------------------------

  get signalingState(): RTCSignalingState {
    return this._signalingState;
  }
  get iceGatheringState(): RTCIceGatheringState {
    return this._iceGatheringState;
  }
  get iceConnectionState(): RTCIceConnectionState {
    return this._iceConnectionState;
  }
  get connectionState(): RTCPeerConnectionState {
    return this._connectionState;
  }
  get canTrickleIceCandidates(): boolean | null {
    return this._canTrickle;
  }
  get localDescription(): RTCSessionDescription | null {
    return this.describeLocal(this.pendingLocal ?? this.currentLocal);
  }
  get currentLocalDescription(): RTCSessionDescription | null {
    return this.describeLocal(this.currentLocal);
  }
  get pendingLocalDescription(): RTCSessionDescription | null {
    return this.describeLocal(this.pendingLocal);
  }
  get remoteDescription(): RTCSessionDescription | null {
    return this.describeRemote(this.pendingRemote ?? this.currentRemote);
  }
  get currentRemoteDescription(): RTCSessionDescription | null {
    return this.describeRemote(this.currentRemote);
  }
  get pendingRemoteDescription(): RTCSessionDescription | null {
    return this.describeRemote(this.pendingRemote);
  }
  get peerIdentity(): Promise<never> {
    return new Promise(() => {});
  }
  get idpLoginUrl(): null {
    return null;
  }

  private describeLocal(d: Desc | null): RTCSessionDescription | null {
    if (!d) return null;
    return new RTCSessionDescription({ type: d.type, sdp: this.localSdpWith(d) });
  }

  private localSdpWith(d: Desc): string {
    if (this.localCandidates.length === 0 && !this.localGatheringDone) return d.sdp;
    return withCandidates(d.sdp, this.localCandidates, this.localGatheringDone, this.dataMidValue);
  }

  private describeRemote(d: Desc | null): RTCSessionDescription | null {
    if (!d) return null;
    const extra = this.remoteCandidates.map((c) => c.candidate);
    const sdp =
      extra.length > 0 || this.remoteEnd ? withCandidates(d.sdp, extra, this.remoteEnd, this.dataMidValue) : d.sdp;
    return new RTCSessionDescription({ type: d.type, sdp });
  }

  // ---- configuration ------------------------------------------------------------------------

  getConfiguration(): RTCConfiguration {
    return copyConfiguration(this.config);
  }

  setConfiguration(configuration?: RTCConfiguration): void {
    if (this.isClosed) throw invalidState("The RTCPeerConnection is closed");
    const hadLocal = this.currentLocal !== null || this.pendingLocal !== null;
    this.config = updateConfiguration(this.config, configuration, Date.now(), hadLocal);
  }

  getTransceivers(): never[] {
    return [];
  }
  getSenders(): never[] {
    return [];
  }
  getReceivers(): never[] {
    return [];
  }
  addTrack(): never {
    throw domError("NotSupportedError", "Media is not supported yet: only data channels");
  }
  addTransceiver(): never {
    throw domError("NotSupportedError", "Media is not supported yet: only data channels");
  }
  removeTrack(): never {
    throw domError("NotSupportedError", "Media is not supported yet: only data channels");
  }

  // ---- the operations chain -----------------------------------------------------------------

  private chain<T>(op: () => T | Promise<T>): Promise<T> {
    if (this.isClosed) return Promise.reject(invalidState("The RTCPeerConnection is closed"));
    return new Promise<T>((resolve, reject) => {
      const run = (): void => {
        let p: Promise<T>;
        try {
          p = Promise.resolve(op());
        } catch (err) {
          p = Promise.reject(err);
        }
        p.then(
          (v) => this.settle(() => resolve(v)),
          (e) => this.settle(() => reject(toWebError(e))),
        );
      };
      this.ops.push(run);
      if (this.ops.length === 1) run();
    });
  }

  private settle(done: () => void): void {
    if (this.isClosed) return;
    done();
    this.ops.shift();
    const next = this.ops[0];
    if (next) next();
    else this.updateNegotiationNeeded();
  }

  // ---- offer / answer -----------------------------------------------------------------------

  createOffer(options?: RTCOfferOptions): Promise<RTCSessionDescriptionInit> {
    return this.chain(() => {
      if (this.isClosed) throw invalidState("closed");
      if (options?.iceRestart) this.restartPending = true;
      if (this.restartPending) this.restartLocalIce();
      const sdp = buildOffer(this.localState("actpass"));
      this.lastOffer = sdp;
      return { type: "offer", sdp };
    });
  }

  createAnswer(_options?: unknown): Promise<RTCSessionDescriptionInit> {
    return this.chain(() => {
      if (this.isClosed) throw invalidState("closed");
      if (this._signalingState !== "have-remote-offer" && this._signalingState !== "have-local-pranswer") {
        throw invalidState(`createAnswer in signaling state '${this._signalingState}'`);
      }
      const remote = this.pendingRemote!.remote!;
      // We answer with setup:active (the DTLS client) unless the offer insists on being it.
      const setup = remote.setup === "active" ? "passive" : "active";
      const sdp = buildAnswer(remote, this.localState(setup));
      this.lastAnswer = sdp;
      return { type: "answer", sdp };
    });
  }

  private localState(setup: "actpass" | "active" | "passive"): LocalState {
    const remote = (this.pendingRemote ?? this.currentRemote)?.remote;
    return {
      sessionId: this.sessionId,
      previous: (this.pendingLocal ?? this.currentLocal)?.sdp,
      ufrag: this.peer.localUfrag,
      pwd: this.peer.localPwd,
      fingerprints: this.certificate.getFingerprints(),
      setup,
      includeData: this.channels.size > 0 || this.dataNegotiated || remote?.hasData === true,
      dataMid: this.dataMidValue,
      candidates: this.localCandidates,
      endOfCandidates: this.localGatheringDone,
      maxMessageSize: LOCAL_MAX_MESSAGE_SIZE,
    };
  }

  private restartLocalIce(): void {
    if (!this.restartPending) return;
    this.restartPending = false;
    if (this.currentLocal === null && this.pendingLocal === null) return;
    const { ufrag, pwd } = generateIceCredentials(cryptoRandom());
    this.peer.restartIce(ufrag, pwd, monotonicNow());
    this.localCandidates = [];
    this.localGatheringDone = false;
    this.driver?.kick();
  }

  setLocalDescription(description?: RTCSessionDescriptionInit): Promise<void> {
    if (description !== undefined && description !== null && description.type !== undefined) {
      if (!isSdpType(description.type)) {
        return Promise.reject(new TypeError(`Invalid RTCSdpType ${String(description.type)}`));
      }
    }
    return this.chain(async () => {
      await this.stunReady;
      this.applyLocal(description);
    });
  }

  private applyLocal(description: RTCSessionDescriptionInit | undefined): void {
    if (this.isClosed) throw invalidState("closed");
    const type = description?.type ?? implicitLocalType(this._signalingState);
    if (type === "rollback") {
      this.rollback();
      return;
    }
    let sdp = description?.sdp ?? "";
    if (!sdp) {
      if (type === "offer") {
        if (!this.lastOffer || this._signalingState === "have-local-offer") {
          if (this.restartPending) this.restartLocalIce();
          this.lastOffer = buildOffer(this.localState("actpass"));
        }
        sdp = this.lastOffer;
      } else {
        if (this._signalingState !== "have-remote-offer" && this._signalingState !== "have-local-pranswer") {
          throw invalidState(`setLocalDescription(${type}) in signaling state '${this._signalingState}'`);
        }
        if (!this.lastAnswer) {
          const remote = this.pendingRemote!.remote!;
          this.lastAnswer = buildAnswer(remote, this.localState(remote.setup === "active" ? "passive" : "active"));
        }
        sdp = this.lastAnswer;
      }
    }
    const next = nextSignalingState(this._signalingState, "local", type);
    if (next === undefined) {
      throw invalidState(`setLocalDescription(${type}) is not allowed in signaling state '${this._signalingState}'`);
    }
    const now = monotonicNow();
    const desc: Desc = { type, sdp };
    if (type === "offer") {
      this.pendingLocal = desc;
      if (this.iceControlling === undefined) {
        this.iceControlling = true;
        this.peer.setIceControlling(true);
      }
    } else if (type === "pranswer") {
      this.pendingLocal = desc;
    } else {
      this.currentLocal = desc;
      this.currentRemote = this.pendingRemote ?? this.currentRemote;
      this.pendingLocal = null;
      this.pendingRemote = null;
      this.lastOffer = "";
      this.lastAnswer = "";
      const remote = this.currentRemote?.remote;
      if (remote) {
        if (this.iceControlling === undefined) {
          this.iceControlling = remote.iceLite;
          this.peer.setIceControlling(remote.iceLite);
        }
        // Our answer said active (client) unless the offerer took active.
        const role = remote.setup === "active" ? "server" : "client";
        this.peer.setDtlsParameters(role, remote.fingerprints, now);
        if (remote.hasData) this.dataNegotiated = true;
      }
    }
    if (type === "answer" || type === "pranswer") {
      const remote = this.currentRemote?.remote ?? this.pendingRemote?.remote;
      if (remote?.hasData) this.dataMidValue = remote.dataMid;
    }
    this.startGathering();
    this.driver?.kick();
    this.setSignalingState(next);
  }

  setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    if (!description || typeof description !== "object" || !isSdpType(description.type)) {
      return Promise.reject(new TypeError(`Invalid RTCSdpType ${String(description?.type)}`));
    }
    return this.chain(async () => {
      await this.stunReady;
      this.applyRemote(description);
    });
  }

  private applyRemote(description: RTCSessionDescriptionInit): void {
    if (this.isClosed) throw invalidState("closed");
    const type = description.type;
    if (type === "rollback") {
      this.rollback();
      return;
    }
    if (type === "offer" && this._signalingState === "have-local-offer") this.rollback();
    const next = nextSignalingState(this._signalingState, "remote", type);
    if (next === undefined) {
      throw invalidState(`setRemoteDescription(${type}) is not allowed in signaling state '${this._signalingState}'`);
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
    const previous = (this.pendingRemote ?? this.currentRemote)?.remote;
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
    if (type === "offer" && this.iceControlling === undefined) {
      // The answerer is controlled, except against an ICE-lite offerer (RFC 8445 6.1.1).
      this.iceControlling = remote.iceLite;
      this.peer.setIceControlling(remote.iceLite);
    }
    this.peer.setRemoteIce(remote.ufrag, remote.pwd, remote.iceLite, now);
    this.peer.setRemoteMaxMessageSize(remote.maxMessageSize);
    if (type === "offer") {
      this.pendingRemote = desc;
      if (remote.hasData) this.dataMidValue = remote.dataMid;
    } else if (type === "pranswer") {
      this.pendingRemote = desc;
    } else {
      this.currentRemote = desc;
      this.currentLocal = this.pendingLocal ?? this.currentLocal;
      this.pendingLocal = null;
      this.pendingRemote = null;
      this.lastOffer = "";
      this.lastAnswer = "";
      if (remote.hasData) this.dataNegotiated = true;
      if (remote.hasData) this.dataMidValue = remote.dataMid;
    }
    if (type !== "offer") {
      // We offered actpass: the answer decides (active -> they are the client).
      const role = remote.setup === "active" ? "server" : "client";
      this.peer.setDtlsParameters(role, remote.fingerprints, now);
    }
    for (const c of remote.candidates) this.peer.addRemoteCandidate(c, now);
    if (remote.endOfCandidates) this.peer.addRemoteCandidate(null, now);
    this._canTrickle = remote.trickle;
    this.driver?.kick();
    this.setSignalingState(next);
  }

  private rollback(): void {
    const next = nextSignalingState(this._signalingState, "local", "rollback");
    if (next === undefined) {
      throw invalidState(`rollback is not allowed in signaling state '${this._signalingState}'`);
    }
    this.pendingLocal = null;
    this.pendingRemote = null;
    this.lastOffer = "";
    this.lastAnswer = "";
    if (this.currentLocal === null && this.currentRemote === null) {
      this.iceControlling = undefined;
    }
    this.setSignalingState(next);
  }

  private setSignalingState(next: RTCSignalingState): void {
    if (next === this._signalingState) return;
    this._signalingState = next;
    this.dispatchEvent(new Event("signalingstatechange"));
  }

  addIceCandidate(candidate?: RTCIceCandidateInit | RTCIceCandidate | null): Promise<void> {
    let c: RTCIceCandidateInit | undefined;
    if (candidate !== undefined && candidate !== null) {
      c = candidate;
      const empty = c.candidate === undefined || c.candidate === null || c.candidate === "";
      if (!empty && (c.sdpMid === undefined || c.sdpMid === null) && (c.sdpMLineIndex ?? null) === null) {
        return Promise.reject(new TypeError("Candidate has neither sdpMid nor sdpMLineIndex"));
      }
    }
    return this.chain(() => {
      if (this.isClosed) throw invalidState("closed");
      const remote = (this.pendingRemote ?? this.currentRemote)?.remote;
      if (!remote) throw invalidState("addIceCandidate before setRemoteDescription");
      const now = monotonicNow();
      if (!c?.candidate) {
        if (c?.usernameFragment && c.usernameFragment !== remote.ufrag) {
          throw domError("OperationError", "usernameFragment does not match the remote description");
        }
        this.remoteEnd = true;
        this.peer.addRemoteCandidate(null, now);
        this.driver?.kick();
        return;
      }
      const mid = c.sdpMid ?? remote.mids[c.sdpMLineIndex ?? -1];
      if (mid === undefined || (c.sdpMid !== undefined && c.sdpMid !== null && !remote.mids.includes(c.sdpMid))) {
        throw domError("OperationError", `No media section for sdpMid ${String(c.sdpMid)}`);
      }
      if (c.sdpMid == null && (c.sdpMLineIndex ?? 0) >= remote.mids.length) {
        throw domError("OperationError", `sdpMLineIndex ${String(c.sdpMLineIndex)} is out of range`);
      }
      if (c.usernameFragment && c.usernameFragment !== remote.ufrag) {
        throw domError("OperationError", "usernameFragment does not match the remote description");
      }
      let line = String(c.candidate).trim();
      if (line.startsWith("a=")) line = line.slice(2);
      if (!this.peer.addRemoteCandidate(line, now)) {
        throw domError("OperationError", `Invalid candidate: ${line}`);
      }
      this.remoteCandidates.push({ candidate: line, mid });
      this.driver?.kick();
    });
  }

  restartIce(): void {
    if (this.isClosed) return;
    this.restartPending = true;
    this.updateNegotiationNeeded();
  }

  // ---- data channels ------------------------------------------------------------------------

  createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
    if (this.isClosed) throw invalidState("The RTCPeerConnection is closed");
    if (label === undefined) throw new TypeError("createDataChannel: label is required");
    const config = validateDataChannelInit(label, init);
    const maxChannels = this.peer.maxChannels;
    if (config.id !== null && maxChannels !== null && config.id >= maxChannels) {
      throw domError("OperationError", `id ${config.id} is not below maxChannels ${maxChannels}`);
    }
    let handle: number;
    try {
      handle = this.peer.createChannel(config, monotonicNow());
    } catch (err) {
      throw toWebError(err);
    }
    const channel = createDataChannel(this, handle, this.peer.channelConfig(handle) ?? config, "connecting");
    this.channels.set(handle, channel);
    this.driver?.kick();
    if (!this.dataNegotiated) this.updateNegotiationNeeded();
    return channel;
  }

  /** @internal ChannelHost */
  channelSend(handle: number, data: Uint8Array | string): void {
    this.peer.send(handle, data, monotonicNow());
    this.driver?.kick();
  }
  /** @internal */
  channelClose(handle: number): void {
    this.peer.closeChannel(handle, monotonicNow());
    this.driver?.kick();
  }
  /** @internal */
  channelBufferedAmount(handle: number): number {
    return this.peer.bufferedAmount(handle);
  }
  /** @internal */
  channelSetThreshold(handle: number, bytes: number): void {
    this.peer.setBufferedAmountLowThreshold(handle, bytes);
  }
  /** @internal */
  maxMessageSize(): number {
    // webrtc-pc 6.1.1: the smaller of what we can send and what the peer can receive.
    return Math.min(LOCAL_MAX_MESSAGE_SIZE, this.peer.maxMessageSize);
  }

  // ---- negotiation-needed -------------------------------------------------------------------

  private updateNegotiationNeeded(): void {
    if (this.isClosed || this.ops.length > 0) return;
    if (this._signalingState !== "stable") return;
    const needed = this.restartPending || (this.channels.size > 0 && !this.dataNegotiated);
    if (!needed) {
      this.negotiationNeeded = false;
      return;
    }
    if (this.negotiationNeeded) return;
    this.negotiationNeeded = true;
    setImmediate(() => {
      if (this.isClosed || !this.negotiationNeeded || this.ops.length > 0 || this._signalingState !== "stable") {
        return;
      }
      const stillNeeded = this.restartPending || (this.channels.size > 0 && !this.dataNegotiated);
      if (!stillNeeded) {
        this.negotiationNeeded = false;
        return;
      }
      this.negotiationNeeded = false;
      this.dispatchEvent(new Event("negotiationneeded"));
    });
  }

  // ---- the driver and events from the core --------------------------------------------------

  private relayOnlyGathered = false;

  private startGathering(): void {
    if (this.driver || this.isClosed) return;
    if (this.config.iceTransportPolicy === "relay") {
      // Only relay candidates may be used and TURN is not implemented: gather nothing, as a
      // browser with no usable TURN server does (ICE cannot connect).
      if (!this.relayOnlyGathered) {
        this.relayOnlyGathered = true;
        this.enqueue({ type: "gathering-state", state: "gathering" });
        this.enqueue({ type: "gathering-state", state: "complete" });
      }
      return;
    }
    this.driver = this.driverFactory({
      peer: this.peer,
      onEvent: (ev) => this.enqueue(ev),
      onFailure: (err) => this.fail(err),
      includeLoopback: this.includeLoopback,
    });
  }

  private fail(err: unknown): void {
    if (this.isClosed) return;
    // A broken invariant in the core: this connection fails, the process does not.
    this.queue.push({ type: "ice-state", state: "failed" });
    this.queue.push({ type: "dtls-state", state: "failed", reason: String((err as Error)?.message ?? err) });
    this.scheduleFlush();
  }

  private enqueue(ev: PeerEvent): void {
    if (ev.type === "message") {
      // Copy out of the core's buffers now: the user gets their own bytes, read later.
      ev = { type: "message", handle: ev.handle, data: ev.data.slice(), binary: ev.binary };
    } else if (ev.type === "mdns-query") {
      const driver = this.driver;
      const name = ev.name;
      if (driver) {
        void driver.resolveMdns(name).then((ip) => {
          if (this.isClosed) return;
          this.peer.resolveMdns(name, ip, monotonicNow());
          this.driver?.kick();
        });
      }
      return;
    }
    this.queue.push(ev);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => void this.flush());
  }

  /** Fires queued events one task at a time (microtasks run between them, as between tasks). */
  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.queue.length);
      for (const ev of batch) {
        if (this.isClosed) {
          this.queue.length = 0;
          break;
        }
        this.fire(ev);
        await null;
      }
    }
    this.flushScheduled = false;
  }

  private fire(ev: PeerEvent): void {
    switch (ev.type) {
      case "candidate": {
        if (ev.ufrag !== this.peer.localUfrag) return;
        this.localCandidates.push(ev.candidate);
        const c = new RTCIceCandidate({
          candidate: ev.candidate,
          sdpMid: this.dataMidValue,
          sdpMLineIndex: this.dataMLineIndex(),
          usernameFragment: ev.ufrag,
        });
        this.dispatchEvent(new RTCPeerConnectionIceEvent("icecandidate", { candidate: c }));
        return;
      }
      case "gathering-state": {
        if (ev.state === this._iceGatheringState) return;
        this._iceGatheringState = ev.state;
        this.iceTransport._gatheringState = ev.state;
        if (ev.state === "complete") this.localGatheringDone = true;
        this.iceTransport.dispatchEvent(new Event("gatheringstatechange"));
        this.dispatchEvent(new Event("icegatheringstatechange"));
        if (ev.state === "complete") {
          this.dispatchEvent(new RTCPeerConnectionIceEvent("icecandidate", { candidate: null }));
        }
        return;
      }
      case "ice-state":
        if (ev.state === this._iceConnectionState) return;
        this._iceConnectionState = ev.state;
        this.iceTransport._state = ev.state;
        this.iceTransport.dispatchEvent(new Event("statechange"));
        this.dispatchEvent(new Event("iceconnectionstatechange"));
        this.updateConnectionState();
        return;
      case "selected-pair":
        this.selectedPair = { local: ev.pair.local, remote: ev.pair.remote };
        this.iceTransport.dispatchEvent(new Event("selectedcandidatepairchange"));
        return;
      case "dtls-state":
        if (ev.state === this.dtlsAnnounced) return;
        this.dtlsAnnounced = ev.state;
        this.dtlsTransport._state = ev.state;
        this.dtlsTransport.dispatchEvent(new Event("statechange"));
        this.updateConnectionState();
        return;
      case "sctp-state":
        this.onSctpState(ev.state);
        return;
      case "channel-remote": {
        const ch = createDataChannel(this, ev.handle, ev.config, "open");
        this.channels.set(ev.handle, ch);
        this.channelsOpened++;
        this.dispatchEvent(new RTCDataChannelEvent("datachannel", { channel: ch }));
        ch._announceOpen();
        return;
      }
      case "channel-id":
        this.channels.get(ev.handle)?._setId(ev.id);
        return;
      case "channel-open": {
        const ch = this.channels.get(ev.handle);
        if (ch && ch.readyState === "connecting") this.channelsOpened++;
        ch?._open();
        return;
      }
      case "message":
        this.channels.get(ev.handle)?._message(ev.data, ev.binary);
        return;
      case "buffered-amount-low":
        this.channels.get(ev.handle)?._bufferedAmountLow();
        return;
      case "channel-closing":
        this.channels.get(ev.handle)?._closing();
        return;
      case "channel-closed": {
        const ch = this.channels.get(ev.handle);
        this.channels.delete(ev.handle);
        if (ch) this.channelsClosed++;
        ch?._closed(ev.error);
        return;
      }
      case "ice-error":
        this.dispatchEvent(
          new RTCPeerConnectionIceErrorEvent("icecandidateerror", {
            address: ev.address,
            port: ev.port,
            url: ev.url,
            errorCode: ev.errorCode,
            errorText: ev.errorText,
          }),
        );
        return;
      case "mdns-query":
        return;
    }
  }

  /** The m-line index of the data section: its place in the remote offer's sections, else 0 (ours). */
  private dataMLineIndex(): number {
    const remote = (this.currentRemote ?? this.pendingRemote)?.remote;
    const i = remote ? remote.mids.indexOf(this.dataMidValue) : -1;
    return Math.max(i, 0);
  }

  /** The SCTP transport once a data section has been negotiated (webrtc-pc 6.1.1), else null. */
  get sctp(): RTCSctpTransport | null {
    return this.dataNegotiated ? this.sctpHandle : null;
  }

  private onSctpState(state: SctpState): void {
    if (state === this.sctpHandle._state) return;
    this.sctpHandle._state = state;
    this.sctpHandle.dispatchEvent(new Event("statechange"));
  }

  /** webrtc-pc 4.3.3 RTCPeerConnectionState from the ICE and DTLS transport states. */
  private updateConnectionState(): void {
    if (this.isClosed) return;
    const ice = this._iceConnectionState;
    const dtls = this.dtlsAnnounced;
    let s: RTCPeerConnectionState;
    if (ice === "failed" || dtls === "failed") s = "failed";
    else if (ice === "disconnected") s = "disconnected";
    else if (ice === "new" && (dtls === "new" || dtls === "closed")) s = "new";
    else if (ice === "new" || ice === "checking" || dtls === "new" || dtls === "connecting") s = "connecting";
    else if (
      (ice === "connected" || ice === "completed" || ice === "closed") &&
      (dtls === "connected" || dtls === "closed")
    )
      s = "connected";
    else s = "connecting";
    if (s === this._connectionState) return;
    this._connectionState = s;
    this.dispatchEvent(new Event("connectionstatechange"));
  }

  // ---- close and stats ----------------------------------------------------------------------

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this._signalingState = "closed";
    for (const ch of this.channels.values()) ch._abort();
    this.channels.clear();
    try {
      this.peer.close(monotonicNow());
    } catch {
      // a broken core must not stop close()
    }
    this.driver?.close();
    this._iceConnectionState = "closed";
    this.iceTransport._state = "closed";
    this.dtlsTransport._state = "closed";
    this.sctpHandle._state = "closed";
    this._connectionState = "closed";
    this.queue.length = 0;
  }

  /** getStats(selector?): declared without named parameters (length 0), as libraries probe that. */
  getStats(..._selector: unknown[]): Promise<RTCStatsReport> {
    return Promise.resolve(
      buildStats({
        peer: this.peer,
        channels: this.channels,
        certificate: this.certificate,
        remoteCertificate: this.peer.dtls?.remoteCertificate(),
        timestamp: performance.timeOrigin + performance.now(),
        dataChannelsOpened: this.channelsOpened,
        dataChannelsClosed: this.channelsClosed,
        iceRole: this.iceControlling === undefined ? "unknown" : this.iceControlling ? "controlling" : "controlled",
        selectedPair: this.selectedPair,
      }),
    );
  }
}

/** IP addresses of the stun: servers whose host is a name (IP literals are passed on directly). */
async function resolveStunHosts(urls: IceServerUrl[]): Promise<TransportAddress[]> {
  const out: TransportAddress[] = [];
  await Promise.all(
    urls
      .filter((u) => u.scheme === "stun" && !parseIP(u.host))
      .map(async (u) => {
        try {
          const r = await lookup(u.host, { family: 4 });
          out.push({ address: r.address, port: u.port });
        } catch {
          // an unresolvable server gives no srflx candidate, as in browsers
        }
      }),
  );
  return out;
}

defineEventHandlers(RTCPeerConnection.prototype, [
  "negotiationneeded",
  "icecandidate",
  "icecandidateerror",
  "signalingstatechange",
  "iceconnectionstatechange",
  "icegatheringstatechange",
  "connectionstatechange",
  "datachannel",
  "track",
]);

/** Non-standard construction with a driver factory (tests on the simulator). */
export function createPeerConnectionWith(
  configuration: RTCConfiguration | undefined,
  options: PeerConnectionInternals,
): RTCPeerConnection {
  return new RTCPeerConnection(configuration, { [internals]: options });
}
