// RTCPeerConnection (webrtc-pc section 4): the API surface, the operations chain (4.4.1.2),
// negotiationneeded (4.7.3), createDataChannel (6.1), close (4.4.1.9) and getStats (8). Offer/answer
// and the signaling state live in negotiator.ts; the W3C events and announced states, queued as
// tasks in a browser's order and never fired from inside a core, in announcer.ts. State lives in
// the Peer core (src/peer); this object and its children are the user's handles on it.
import { monotonicNow } from "../clock.js";
import type { PeerEvent } from "../peer/events.js";
import type { Peer } from "../peer/peer.js";
import { cryptoRandom } from "../random.js";
import {
  Announcer,
  type RTCIceConnectionState,
  type RTCIceGatheringState,
  type RTCPeerConnectionState,
} from "./announcer.js";
import type { RTCIceCandidate, RTCIceCandidateInit } from "./candidate.js";
import { generateCertificate, type RTCCertificate, takeCertificate } from "./certificate.js";
import {
  copyConfiguration,
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
  isSdpType,
  type RTCSessionDescription,
  type RTCSessionDescriptionInit,
  type RTCSignalingState,
} from "./description.js";
import type { DriverFactory, PeerDriver } from "./driver.js";
import { domError, invalidState, toWebError } from "./errors.js";
import {
  defineEventHandlers,
  type RTCDataChannelEvent,
  type RTCPeerConnectionIceErrorEvent,
  type RTCPeerConnectionIceEvent,
} from "./events.js";
import { MediaController, type RTCRtpTransceiverInit } from "./media-negotiation.js";
import { addMediaStats } from "./media-stats.js";
import type { MediaStream, MediaStreamTrack } from "./media-stream.js";
import { LOCAL_MAX_MESSAGE_SIZE, Negotiator } from "./negotiator.js";
import type { RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver } from "./rtp-transceiver.js";
import {
  type CreatePeerOptions,
  createPeer,
  defaultDriverFactory,
  lookupIPv4,
  resolveStunHosts,
  unusableServers,
} from "./stack.js";
import { buildStats, type RTCStatsReport } from "./stats.js";
import { createTransports, type RTCSctpTransport } from "./transports.js";

export type { RTCIceConnectionState, RTCIceGatheringState, RTCPeerConnectionState };

export interface RTCOfferOptions {
  iceRestart?: boolean;
}

/** Internal options (non-standard; see petrel/nonstandard): a driver running on the simulator. */
export interface PeerConnectionInternals {
  driverFactory?: DriverFactory;
  /** Include loopback addresses when gathering host candidates (default true). */
  includeLoopback?: boolean;
  /** Builds the Peer core (tests: a core with fake or simulated layers). */
  createPeer?: (o: CreatePeerOptions) => Peer;
  /** Resolves a stun: server's host name to an IPv4 address; rejects if it does not resolve. Default: DNS. */
  lookupHost?: (host: string) => Promise<string>;
}

const internals = Symbol.for("petrel.internals");

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
  private readonly negotiator: Negotiator;
  private readonly announcer: Announcer;
  private negotiationNeeded = false;
  private readonly ops: (() => void)[] = [];
  private readonly channels = new Map<number, RTCDataChannel>();
  /** Transceivers, senders and receivers over the Peer's media session (media-negotiation.ts). */
  private readonly media: MediaController | undefined;

  constructor(configuration?: RTCConfiguration, options?: unknown) {
    super();
    this.config = resolveConfiguration(configuration, Date.now());
    const opts = ((options as Record<symbol, PeerConnectionInternals> | undefined)?.[internals] ??
      {}) as PeerConnectionInternals;
    this.driverFactory = opts.driverFactory ?? defaultDriverFactory;
    this.includeLoopback = opts.includeLoopback ?? true;
    this.certificate = this.config.certificates[0] ?? takeCertificate();
    if (this.config.certificates.length === 0) this.config.certificates = [this.certificate];
    this.peer = (opts.createPeer ?? createPeer)({
      random: cryptoRandom(),
      certificate: this.certificate.material,
      stunServers: parseIceServers(this.config.iceServers),
      iceTransportPolicy: this.config.iceTransportPolicy,
      now: monotonicNow(),
    });
    const session = this.peer.media;
    const pc = this;
    this.media = session
      ? new MediaController({
          media: session,
          now: () => monotonicNow(),
          kick: () => {
            this.peer.mediaChanged(monotonicNow());
            this.driver?.kick();
          },
          updateNegotiationNeeded: () => this.updateNegotiationNeeded(),
          // The announcer exists by the time a media event arrives (made below).
          queueTask: (fn) => this.announcer.task(fn),
          get isClosed() {
            return pc.isClosed;
          },
          cname: session.cname,
          // Fired within setRemoteDescription, before its promise resolves (webrtc-pc 4.4.1.5).
          fireTrack: (ev) =>
            queueMicrotask(() => {
              if (!this.isClosed) this.dispatchEvent(ev);
            }),
        })
      : undefined;
    this.negotiator = new Negotiator({
      media: this.media,
      peer: this.peer,
      certificate: this.certificate,
      hasChannels: () => this.channels.size > 0,
      startGathering: () => this.startGathering(),
      kick: () => this.driver?.kick(),
      signalingStateChanged: () => this.dispatchEvent(new Event("signalingstatechange")),
    });
    this.stunReady = resolveStunHosts(parseIceServers(this.config.iceServers), opts.lookupHost ?? lookupIPv4).then(
      (r) => {
        if ((r.resolved.length > 0 || r.failed.length > 0) && !this.isClosed)
          this.peer.ice.addStunServers(r.resolved, r.failed);
      },
    );
    const t = createTransports({
      iceRole: () => this.iceRole(),
      localCandidateLines: () => this.peer.ice.localCandidates(),
      remoteCandidateLines: () => this.peer.ice.remoteCandidates(),
      selectedPairLines: () => this.announcer.selectedPair,
      localIceParameters: () => ({ usernameFragment: this.peer.localUfrag, password: this.peer.localPwd }),
      remoteIceParameters: () => {
        const r = this.negotiator.remote;
        return r ? { usernameFragment: r.ufrag, password: r.pwd } : null;
      },
      remoteCertificates: () => {
        const der = this.peer.dtls?.remoteCertificate();
        return der ? [der.slice().buffer as ArrayBuffer] : [];
      },
      maxMessageSize: () => this.maxMessageSize(),
      maxChannels: () => this.peer.maxChannels,
      dataMid: () => this.negotiator.dataMid,
    });
    this.sctpHandle = t.sctp;
    this.announcer = new Announcer({
      target: this,
      peer: this.peer,
      negotiator: this.negotiator,
      transports: t,
      channels: this.channels,
      channelHost: this,
      isClosed: () => this.isClosed,
    });
  }

  private readonly sctpHandle: RTCSctpTransport;
  /** STUN server names resolved (DNS) before the ICE agent starts gathering. */
  private readonly stunReady: Promise<void>;

  static generateCertificate(keygenAlgorithm: unknown): Promise<RTCCertificate> {
    return generateCertificate(keygenAlgorithm);
  }

  // ---- attributes ---------------------------------------------------------------------------

  get signalingState(): RTCSignalingState {
    return this.negotiator.signalingState;
  }
  get iceGatheringState(): RTCIceGatheringState {
    return this.announcer.iceGatheringState;
  }
  get iceConnectionState(): RTCIceConnectionState {
    return this.announcer.iceConnectionState;
  }
  get connectionState(): RTCPeerConnectionState {
    return this.announcer.connectionState;
  }
  get canTrickleIceCandidates(): boolean | null {
    return this.negotiator.canTrickle;
  }
  get localDescription(): RTCSessionDescription | null {
    return this.negotiator.describe("local");
  }
  get currentLocalDescription(): RTCSessionDescription | null {
    return this.negotiator.describe("currentLocal");
  }
  get pendingLocalDescription(): RTCSessionDescription | null {
    return this.negotiator.describe("pendingLocal");
  }
  get remoteDescription(): RTCSessionDescription | null {
    return this.negotiator.describe("remote");
  }
  get currentRemoteDescription(): RTCSessionDescription | null {
    return this.negotiator.describe("currentRemote");
  }
  get pendingRemoteDescription(): RTCSessionDescription | null {
    return this.negotiator.describe("pendingRemote");
  }
  get peerIdentity(): Promise<never> {
    return new Promise(() => {});
  }
  get idpLoginUrl(): null {
    return null;
  }

  private iceRole(): "controlling" | "controlled" | "unknown" {
    const c = this.negotiator.iceControlling;
    return c === undefined ? "unknown" : c ? "controlling" : "controlled";
  }

  // ---- configuration ------------------------------------------------------------------------

  getConfiguration(): RTCConfiguration {
    return copyConfiguration(this.config);
  }

  setConfiguration(configuration?: RTCConfiguration): void {
    if (this.isClosed) throw invalidState("The RTCPeerConnection is closed");
    this.config = updateConfiguration(this.config, configuration, Date.now(), this.negotiator.hasLocalDescription);
  }

  // ---- media (webrtc-pc 5.1) ----------------------------------------------------------------

  private mediaController(): MediaController {
    if (!this.media) throw domError("NotSupportedError", "this connection's core has no media session");
    return this.media;
  }
  getTransceivers(): RTCRtpTransceiver[] {
    return this.media?.getTransceivers() ?? [];
  }
  getSenders(): RTCRtpSender[] {
    return this.media?.getSenders() ?? [];
  }
  getReceivers(): RTCRtpReceiver[] {
    return this.media?.getReceivers() ?? [];
  }
  addTrack(track: MediaStreamTrack, ...streams: MediaStream[]): RTCRtpSender {
    if (this.isClosed) throw invalidState("The RTCPeerConnection is closed");
    return this.mediaController().addTrack(track, streams);
  }
  addTransceiver(trackOrKind: MediaStreamTrack | string, init?: RTCRtpTransceiverInit): RTCRtpTransceiver {
    if (this.isClosed) throw invalidState("The RTCPeerConnection is closed");
    return this.mediaController().addTransceiver(trackOrKind, init);
  }
  removeTrack(sender: RTCRtpSender): void {
    if (this.isClosed) throw invalidState("The RTCPeerConnection is closed");
    this.mediaController().removeTrack(sender);
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
      return this.negotiator.createOffer(options?.iceRestart === true);
    });
  }

  createAnswer(_options?: unknown): Promise<RTCSessionDescriptionInit> {
    return this.chain(() => {
      if (this.isClosed) throw invalidState("closed");
      return this.negotiator.createAnswer();
    });
  }

  setLocalDescription(description?: RTCSessionDescriptionInit): Promise<void> {
    if (description !== undefined && description !== null && description.type !== undefined) {
      if (!isSdpType(description.type)) {
        return Promise.reject(new TypeError(`Invalid RTCSdpType ${String(description.type)}`));
      }
    }
    return this.chain(async () => {
      await this.stunReady;
      if (this.isClosed) throw invalidState("closed");
      this.negotiator.setLocal(description);
    });
  }

  setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    if (!description || typeof description !== "object" || !isSdpType(description.type)) {
      return Promise.reject(new TypeError(`Invalid RTCSdpType ${String(description?.type)}`));
    }
    return this.chain(async () => {
      await this.stunReady;
      if (this.isClosed) throw invalidState("closed");
      this.negotiator.setRemote(description);
    });
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
      this.negotiator.addIceCandidate(c);
    });
  }

  restartIce(): void {
    if (this.isClosed) return;
    this.negotiator.restartPending = true;
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
    if (!this.negotiator.dataNegotiated) this.updateNegotiationNeeded();
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
    if (this.negotiator.signalingState !== "stable") return;
    if (!this.negotiator.negotiationNeeded()) {
      this.negotiationNeeded = false;
      return;
    }
    if (this.negotiationNeeded) return;
    this.negotiationNeeded = true;
    setImmediate(() => {
      if (this.isClosed || !this.negotiationNeeded || this.ops.length > 0) return;
      if (this.negotiator.signalingState !== "stable" || !this.negotiator.negotiationNeeded()) {
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
        this.announcer.enqueue({ type: "gathering-state", state: "gathering" });
        // Each TURN server is reported unusable (701); no address is exposed in relay-only mode.
        for (const u of unusableServers(parseIceServers(this.config.iceServers))) {
          this.announcer.enqueue({
            type: "ice-error",
            address: null,
            port: null,
            url: u.url,
            errorCode: 701,
            errorText: u.text,
          });
        }
        this.announcer.enqueue({ type: "gathering-state", state: "complete" });
      }
      return;
    }
    this.driver = this.driverFactory({
      peer: this.peer,
      onEvent: (ev) => this.onCoreEvent(ev),
      onFailure: (err) => this.announcer.fail(err),
      includeLoopback: this.includeLoopback,
    });
  }

  /** Events the driver polled from the core: mDNS queries are answered here, the rest are announced. */
  private onCoreEvent(ev: PeerEvent): void {
    if (ev.type === "media") {
      // Frames to sinks and keyframe requests to sources, after the drain (never mid-step).
      if (!this.isClosed) this.media?.handleEvent(ev.event);
      return;
    }
    if (ev.type !== "mdns-query") {
      this.announcer.enqueue(ev);
      return;
    }
    const driver = this.driver;
    const name = ev.name;
    if (!driver) return;
    driver.resolveMdns(name).then(
      (ip) => {
        if (this.isClosed) return;
        this.peer.resolveMdns(name, ip, monotonicNow());
        this.driver?.kick();
      },
      () => {
        // Unresolved: the agent drops the name; peer-reflexive candidates still connect.
        if (!this.isClosed) this.peer.resolveMdns(name, undefined, monotonicNow());
      },
    );
  }

  /** The SCTP transport once a data section has been negotiated (webrtc-pc 6.1.1), else null. */
  get sctp(): RTCSctpTransport | null {
    return this.negotiator.dataNegotiated ? this.sctpHandle : null;
  }

  // ---- close and stats ----------------------------------------------------------------------

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.negotiator.close();
    for (const ch of this.channels.values()) ch._abort();
    this.channels.clear();
    this.media?.close();
    try {
      this.peer.close(monotonicNow());
    } catch {
      // a broken core must not stop close()
    }
    this.driver?.close();
    this.announcer.closed();
  }

  /** getStats(selector?): declared without named parameters (length 0), as libraries probe that. */
  getStats(..._selector: unknown[]): Promise<RTCStatsReport> {
    const timestamp = performance.timeOrigin + performance.now();
    const report = buildStats({
      peer: this.peer,
      channels: this.channels,
      certificate: this.certificate,
      remoteCertificate: this.peer.dtls?.remoteCertificate(),
      timestamp,
      dataChannelsOpened: this.announcer.channelsOpened,
      dataChannelsClosed: this.announcer.channelsClosed,
      iceRole: this.iceRole(),
      selectedPair: this.announcer.selectedPair,
    });
    if (this.peer.media && this.media?.hasTransceivers) {
      addMediaStats(report, {
        media: this.peer.media,
        transceivers: this.media.getTransceivers(),
        timestamp,
        transportId: "T01",
        now: monotonicNow(),
      });
    }
    return Promise.resolve(report);
  }
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
