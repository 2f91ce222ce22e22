// The Peer: one sans-IO core per connection (a DatagramCore). It owns the ICE agent, the DTLS
// endpoint and the data channel endpoint (SCTP), demultiplexes datagrams by their first byte
// (RFC 7983 section 7: 0-3 STUN, 20-63 DTLS, 128-191 RTP/RTCP), and moves outputs between the
// cores in one plain loop (pump): ICE data -> DTLS, DTLS transmits -> ICE, DTLS data -> SCTP,
// SCTP transmits -> DTLS. DTLS starts when ICE first connects (RFC 8842 / JSEP 5.1 a=setup picks
// the client), SCTP connects once DTLS is connected (RFC 8261), and events leave as plain objects.
// The data channel table (handles, states, channel events) is in channels.ts.
import type { TransportAddress } from "../address.js";
import type { DatagramCore, Transmit } from "../core.js";
import { PeerChannels } from "./channels.js";
import { PeerError } from "./errors.js";
import type {
  CandidatePairInfo,
  ChannelConfig,
  ChannelState,
  DtlsState,
  GatheringState,
  IceState,
  PeerEvent,
  SctpState,
} from "./events.js";
import type { DcLayer, DcLayerEvent, DtlsLayer, IceLayer } from "./layers.js";
import type { MediaSession } from "./media.js";

export interface PeerLayers {
  ice: IceLayer;
  dc: DcLayer;
  /** Creates the DTLS endpoint once our role is known (from a=setup). */
  createDtls(role: "client" | "server", remoteFingerprints: { algorithm: string; value: string }[]): DtlsLayer;
  /** The media session (SRTP, RTP/RTCP) of the bundled transport, when media is enabled. */
  media?: MediaSession;
}

export interface PeerDropStats {
  /** Datagrams whose first byte is in no range we handle (RFC 7983). */
  unknown: number;
  /** RTP/RTCP: media is not negotiated. */
  rtp: number;
  /** DTLS records that arrived before the remote description gave us a role, beyond the buffer. */
  earlyDtlsOverflow: number;
}

/** Early DTLS datagrams kept while the DTLS role is unknown (the answer is still on its way). */
const MAX_EARLY_DTLS = 16;
/**
 * How long the DTLS client waits for the server's SCTP INIT before sending its own (ms). The
 * server's INIT leaves with its last handshake flight, so it normally comes at once; a server
 * that does not initiate, or a lost INIT, costs this much.
 */
const CLIENT_INIT_DELAY = 25;
/** Events waiting to be polled are bounded by what one input produces; this guards a broken pump. */
const MAX_PUMP_ROUNDS = 10_000;

/**
 * SCTP's path MTU discovery (RFC 8899) needs probes that the network drops when too large, but
 * Node's dgram cannot set DF: the kernel fragments large datagrams (IP_PMTUDISC_WANT), so probes
 * would "succeed" as IP fragments. Larger packets are therefore only allowed on a same-host path
 * (loopback, or a peer at our own address: Linux routes both over lo), where nothing fragments;
 * elsewhere SCTP keeps the base size, as browsers do.
 */
const SAME_HOST_MAX_PACKET = 16384;

function sameHost(pair: CandidatePairInfo): boolean {
  const r = pair.remoteAddress.address;
  return r === pair.localAddress.address || r === "::1" || r.startsWith("127.");
}

export class Peer implements DatagramCore<PeerEvent> {
  readonly ice: IceLayer;
  readonly dc: DcLayer;
  readonly media: MediaSession | undefined;
  dtls: DtlsLayer | undefined;
  dtlsRole: "client" | "server" | undefined;
  iceState: IceState;
  gatheringState: GatheringState;
  dtlsState: DtlsState;
  sctpState: SctpState | "new";
  readonly dropped: PeerDropStats;
  maxMessageSize: number;
  maxChannels: number | null;
  closed: boolean;
  /** Used once (the first setDtlsParameters), then let go with what it holds. */
  private createDtls: PeerLayers["createDtls"] | undefined;
  private readonly events: PeerEvent[];
  private eventHead: number;
  private readonly early: Uint8Array[];
  private readonly channels: PeerChannels;
  private iceConnectedOnce: boolean;
  private deferred: boolean;
  private deferredNow: number;
  /** DTLS is up but SRTP is not keyed yet: no transceiver existed (a data-only connection). */
  private mediaKeysPending: boolean;
  /** The latest `now` an input brought (for work done while polling). */
  private lastNow: number;
  /** When the DTLS client starts SCTP itself if the server's INIT has not come (ms). */
  private sctpConnectAt: number | undefined;

  constructor(layers: PeerLayers) {
    this.ice = layers.ice;
    this.dc = layers.dc;
    this.media = layers.media;
    this.createDtls = layers.createDtls;
    this.dtls = undefined;
    this.dtlsRole = undefined;
    this.iceState = "new";
    this.gatheringState = "new";
    this.dtlsState = "new";
    this.sctpState = "new";
    this.dropped = { unknown: 0, rtp: 0, earlyDtlsOverflow: 0 };
    this.maxMessageSize = 65536;
    this.maxChannels = null;
    this.closed = false;
    this.events = [];
    this.eventHead = 0;
    this.early = [];
    this.channels = new PeerChannels(this.dc, this.events);
    this.iceConnectedOnce = false;
    this.deferred = false;
    this.deferredNow = 0;
    this.mediaKeysPending = false;
    this.lastNow = 0;
    this.sctpConnectAt = undefined;
  }

  // ---- DatagramCore -------------------------------------------------------------------------

  handleDatagram(data: Uint8Array, from: TransportAddress, to: TransportAddress, now: number): void {
    if (this.closed || data.length === 0) return;
    const b = data[0]!;
    if (b <= 3 || (b >= 20 && b <= 63)) {
      this.ice.handleDatagram(data, from, to, now);
    } else if (b >= 128 && b <= 191) {
      if (!this.media) {
        this.dropped.rtp++;
        return;
      }
      if (this.mediaKeysPending) this.keyMedia(now);
      this.media.handleDatagram(data, now);
    } else {
      this.dropped.unknown++;
      return;
    }
    this.pump(now);
  }

  handleTimeout(now: number): void {
    if (this.closed) return;
    const ti = this.ice.nextTimeout();
    if (ti !== undefined && ti <= now) this.ice.handleTimeout(now);
    const dtls = this.dtls;
    if (dtls) {
      const td = dtls.nextTimeout();
      if (td !== undefined && td <= now) dtls.handleTimeout(now);
    }
    const ts = this.dc.nextTimeout();
    if (ts !== undefined && ts <= now) this.dc.handleTimeout(now);
    const tm = this.mediaInUse() ? this.media!.nextTimeout() : undefined;
    if (tm !== undefined && tm <= now) this.media!.handleTimeout(now);
    if (this.sctpConnectAt !== undefined && this.sctpConnectAt <= now) {
      this.sctpConnectAt = undefined;
      // Start our own INIT only if the peer's has not come: once we answered it (INIT ACK sent),
      // its COOKIE ECHO is one round trip away, and our INIT would only collide with it.
      if (this.sctpState === "connecting" && !this.dc.answeredInit?.()) this.dc.connect(now);
    }
    this.pump(now);
  }

  pollTransmit(): Transmit | undefined {
    if (this.deferred) this.runDeferred();
    if (this.mediaKeysPending) this.keyMedia(this.lastNow);
    return this.ice.pollTransmit();
  }

  pollEvent(): PeerEvent | undefined {
    if (this.deferred) this.runDeferred();
    if (this.eventHead >= this.events.length) {
      if (this.eventHead > 0) {
        this.events.length = 0;
        this.eventHead = 0;
      }
      return undefined;
    }
    return this.events[this.eventHead++];
  }

  nextTimeout(): number | undefined {
    if (this.closed) return undefined;
    if (this.deferred) this.runDeferred();
    let t = this.ice.nextTimeout();
    const td = this.dtls?.nextTimeout();
    if (td !== undefined && (t === undefined || td < t)) t = td;
    const ts = this.dc.nextTimeout();
    if (ts !== undefined && (t === undefined || ts < t)) t = ts;
    const tm = this.mediaInUse() ? this.media!.nextTimeout() : undefined;
    if (tm !== undefined && (t === undefined || tm < t)) t = tm;
    const tc = this.sctpConnectAt;
    if (tc !== undefined && (t === undefined || tc < t)) t = tc;
    return t;
  }

  // ---- signaling-driven configuration -------------------------------------------------------

  get localUfrag(): string {
    return this.ice.localUfrag;
  }
  get localPwd(): string {
    return this.ice.localPwd;
  }

  /** A bound local socket (from the driver): the ICE agent makes a host candidate of it. */
  addLocalAddress(addr: TransportAddress, now: number): void {
    if (this.closed) return;
    this.ice.addLocalAddress(addr, now);
    this.pump(now);
  }

  localAddressesDone(now: number): void {
    if (this.closed) return;
    this.ice.localAddressesDone(now);
    this.pump(now);
  }

  setIceControlling(controlling: boolean): void {
    this.ice.controlling = controlling;
  }

  /** The peer's ICE credentials (from its description). */
  setRemoteIce(ufrag: string, pwd: string, iceLite: boolean, now: number): void {
    if (this.closed) return;
    this.ice.setRemoteCredentials(ufrag, pwd, iceLite, now);
    this.pump(now);
  }

  /** The peer's a=max-message-size (RFC 8841 6: absent -> 65536; 0 -> no limit, pass Infinity). */
  setRemoteMaxMessageSize(bytes: number): void {
    this.maxMessageSize = bytes;
    this.dc.setRemoteMaxMessageSize(bytes);
  }

  /**
   * Our DTLS role (from a=setup, RFC 8842 5.3) and the peer's certificate fingerprints. The DTLS
   * endpoint is created on the first call; later calls update the fingerprints.
   */
  setDtlsParameters(
    role: "client" | "server",
    fingerprints: { algorithm: string; value: string }[],
    now: number,
  ): void {
    if (this.closed) return;
    if (!this.dtls && this.createDtls) {
      this.dtlsRole = role;
      this.dc.setDtlsRole(role);
      this.dtls = this.createDtls(role, fingerprints);
      this.createDtls = undefined;
      this.channels.announceIds();
      if (this.iceConnectedOnce) this.startDtls(now);
    } else {
      this.dtls?.setRemoteFingerprints(fingerprints);
    }
    this.pump(now);
  }

  /** A remote candidate attribute value, or null for end-of-candidates. False if it did not parse. */
  addRemoteCandidate(candidate: string | null, now: number): boolean {
    if (this.closed) return true;
    const ok = this.ice.addRemoteCandidate(candidate, now);
    this.pump(now);
    return ok;
  }

  restartIce(ufrag: string, pwd: string, now: number): void {
    if (this.closed) return;
    this.ice.restart(ufrag, pwd, now);
    this.pump(now);
  }

  resolveMdns(name: string, address: string | undefined, now: number): void {
    if (this.closed) return;
    this.ice.resolveMdns(name, address, now);
    this.pump(now);
  }

  // ---- data channels ------------------------------------------------------------------------

  /** Creates a local channel; returns its handle. Throws PeerError (ERR_ID_IN_USE ...). */
  createChannel(config: ChannelConfig, now: number): number {
    if (this.closed) throw new PeerError("ERR_CLOSED", "the connection is closed");
    if (config.id !== null && this.channels.idInUse(config.id)) {
      throw new PeerError("ERR_ID_IN_USE", `data channel id ${config.id} is in use`);
    }
    const handle = this.channels.add(this.dc.createChannel(config, now), config);
    this.pump(now);
    return handle;
  }

  channelState(handle: number): ChannelState {
    return this.channels.state(handle);
  }

  channelId(handle: number): number | null {
    return this.channels.id(handle);
  }

  /** Sends a text message (string) or a binary one (bytes, kept by the layer until acknowledged). */
  send(handle: number, data: Uint8Array | string, now: number): void {
    const key = this.channels.openKey(handle);
    if (key === undefined) throw new PeerError("ERR_NOT_OPEN", "the data channel is not open");
    const size = typeof data === "string" ? Buffer.byteLength(data) : data.length;
    if (size > this.maxMessageSize) {
      throw new PeerError("ERR_MESSAGE_TOO_BIG", `message of ${size} bytes exceeds ${this.maxMessageSize}`);
    }
    this.dc.send(key, data, now);
    this.defer(now);
  }

  closeChannel(handle: number, now: number): void {
    const key = this.channels.beginClose(handle);
    if (key === undefined) return;
    this.dc.closeChannel(key, now);
    this.defer(now);
  }

  bufferedAmount(handle: number): number {
    const key = this.channels.liveKey(handle);
    return key !== undefined ? this.dc.bufferedAmount(key) : 0;
  }

  setBufferedAmountLowThreshold(handle: number, bytes: number): void {
    const key = this.channels.key(handle);
    if (key !== undefined) this.dc.setBufferedAmountLowThreshold(key, bytes);
  }

  /** Handles of channels not yet closed (for stats). */
  channelHandles(): number[] {
    return this.channels.handles();
  }

  channelConfig(handle: number): ChannelConfig | undefined {
    return this.channels.config(handle);
  }

  /** Closes everything: SCTP shutdown, DTLS close_notify, then ICE; what is queued still leaves. */
  close(now: number): void {
    if (this.closed) return;
    try {
      if (this.sctpState === "connected") this.dc.abort("Close called");
      this.media?.close(now);
      this.pump(now);
      this.dtls?.close(now);
      this.pump(now);
    } finally {
      this.ice.close(now);
      this.closed = true;
      this.channels.markAllClosed();
      this.iceState = "closed";
      if (this.dtlsState !== "failed") this.dtlsState = "closed";
      this.sctpState = "closed";
    }
  }

  // ---- the loop -----------------------------------------------------------------------------

  /**
   * After send() and closeChannel() the cores are pumped on the next poll, not at once: the
   * driver drains once per burst of API calls (queueMicrotask), so a burst of small messages is
   * bundled into few SCTP packets instead of one packet per message.
   */
  private defer(now: number): void {
    this.deferred = true;
    if (now > this.deferredNow) this.deferredNow = now;
  }

  /** Media was sent or changed through the media session's API: pump on the next poll. */
  mediaChanged(now: number): void {
    this.defer(now);
  }

  private runDeferred(): void {
    this.deferred = false;
    if (!this.closed) this.pump(this.deferredNow);
  }

  private emit(ev: PeerEvent): void {
    this.events.push(ev);
  }

  private startDtls(now: number): void {
    const dtls = this.dtls;
    if (!dtls || this.dtlsState !== "new") return;
    this.dtlsState = "connecting";
    this.emit({ type: "dtls-state", state: "connecting" });
    dtls.start(now);
    for (const d of this.early) dtls.handleDatagram(d, now);
    this.early.length = 0;
  }

  /**
   * Whether the media session can have anything to do: keyed, or with transceivers. A data-only
   * connection never asks it for timeouts (a call per drain, and it allocates).
   */
  private mediaInUse(): boolean {
    const media = this.media;
    return media !== undefined && (media.started || media.list().length > 0);
  }

  /**
   * Keys SRTP from DTLS (RFC 5764 4.2) once DTLS is connected and a transceiver exists. A
   * data-only connection skips the exporter and the SRTP contexts (0.1 ms and about 5 KB per
   * connection) until a renegotiation adds media: checked again on every pump and drain.
   */
  private keyMedia(now: number): void {
    const media = this.media;
    const dtls = this.dtls;
    if (!media || !dtls || media.started || this.dtlsState !== "connected") {
      this.mediaKeysPending = false;
      return;
    }
    if (media.list().length === 0) {
      this.mediaKeysPending = true;
      return;
    }
    this.mediaKeysPending = false;
    media.startFromDtls(dtls, this.dtlsRole === "client", now);
  }

  /** Moves outputs between the cores until none of them has anything left to give. */
  private pump(now: number): void {
    const ice = this.ice;
    const dc = this.dc;
    if (now > this.lastNow) this.lastNow = now;
    if (this.mediaKeysPending) this.keyMedia(now);
    for (let round = 0; round < MAX_PUMP_ROUNDS; round++) {
      let progress = false;
      for (let ev = ice.pollEvent(); ev; ev = ice.pollEvent()) {
        progress = true;
        switch (ev.type) {
          case "data": {
            const b = ev.data[0]!;
            if (b >= 20 && b <= 63) {
              if (this.dtls && this.dtlsState !== "new") this.dtls.handleDatagram(ev.data, now);
              else if (this.early.length < MAX_EARLY_DTLS) this.early.push(Uint8Array.from(ev.data));
              else this.dropped.earlyDtlsOverflow++;
            } else if (b >= 128 && b <= 191) {
              if (this.media) this.media.handleDatagram(ev.data, now);
              else this.dropped.rtp++;
            } else this.dropped.unknown++;
            break;
          }
          case "candidate":
            this.emit({ type: "candidate", candidate: ev.candidate, ufrag: ice.localUfrag });
            break;
          case "gathering-state":
            this.gatheringState = ev.state;
            this.emit({ type: "gathering-state", state: ev.state });
            break;
          case "state":
            if (ev.state === this.iceState) break;
            this.iceState = ev.state;
            this.emit({ type: "ice-state", state: ev.state });
            if (ev.state === "connected" || ev.state === "completed") {
              this.iceConnectedOnce = true;
              this.startDtls(now);
            }
            break;
          case "writable":
            // A valid pair before nomination: DTLS need not wait for "connected" (RFC 8445 12.1).
            this.iceConnectedOnce = true;
            this.startDtls(now);
            break;
          case "selected-pair":
            this.dc.limitPacketSize?.(sameHost(ev.pair) ? SAME_HOST_MAX_PACKET : 0);
            this.emit({ type: "selected-pair", pair: ev.pair });
            break;
          case "mdns-query":
            this.emit({ type: "mdns-query", name: ev.name });
            break;
          case "server-error":
            this.emit({
              type: "ice-error",
              address: ev.address,
              port: ev.port,
              url: ev.url,
              errorCode: ev.code,
              errorText: ev.text,
            });
            break;
        }
      }
      const dtls = this.dtls;
      if (dtls) {
        // DTLS events first, then what SCTP has for DTLS, then DTLS's datagrams: the INIT that the
        // "connected" event starts can share the datagram of the last handshake flight.
        for (let ev = dtls.pollEvent(); ev; ev = dtls.pollEvent()) {
          progress = true;
          switch (ev.type) {
            case "data":
              if (this.sctpState !== "closed") dc.handleDatagram(ev.data, now);
              break;
            case "connected":
              this.dtlsState = "connected";
              this.emit({ type: "dtls-state", state: "connected" });
              this.sctpState = "connecting";
              this.emit({ type: "sctp-state", state: "connecting" });
              // The DTLS server finishes first and sends its INIT at once; the client answers
              // that INIT (one association set-up, no INIT collision) and only starts its own
              // if none came (RFC 8261 allows either side to initiate).
              if (this.dtlsRole === "server") dc.connect(now);
              else this.sctpConnectAt = now + CLIENT_INIT_DELAY;
              this.keyMedia(now);
              break;
            case "closed":
              if (this.dtlsState !== "closed" && this.dtlsState !== "failed") {
                this.dtlsState = "closed";
                this.emit({ type: "dtls-state", state: "closed" });
                this.sctpClosed("dtls-closed");
              }
              break;
            case "failed":
              if (this.dtlsState !== "failed") {
                this.dtlsState = "failed";
                this.emit({ type: "dtls-state", state: "failed", reason: ev.reason });
                this.sctpClosed(`dtls-failed: ${ev.reason}`);
              }
              break;
          }
        }
        for (let d = dc.pollTransmit(); d; d = dc.pollTransmit()) {
          progress = true;
          if (this.dtlsState === "connected") dtls.send(d, now);
        }
        for (let d = dtls.pollTransmit(); d; d = dtls.pollTransmit()) {
          progress = true;
          ice.send(d, now);
        }
      }
      for (let ev = dc.pollEvent(); ev; ev = dc.pollEvent()) {
        progress = true;
        this.onDcEvent(ev);
      }
      const media = this.media;
      if (media && this.mediaInUse()) {
        for (let d = media.pollTransmit(); d; d = media.pollTransmit()) {
          progress = true;
          ice.send(d, now);
        }
        for (let ev = media.pollEvent(); ev; ev = media.pollEvent()) {
          progress = true;
          this.emit({ type: "media", event: ev });
        }
      }
      if (!progress) return;
    }
    throw new Error("Peer.pump: cores keep producing output (livelock)");
  }

  private sctpClosed(reason: string): void {
    if (this.sctpState === "closed") return;
    this.sctpState = "closed";
    this.emit({ type: "sctp-state", state: "closed", reason });
    this.channels.closeAll(reason);
  }

  private onDcEvent(ev: DcLayerEvent): void {
    switch (ev.type) {
      case "established":
        this.maxChannels = ev.maxChannels;
        this.sctpState = "connected";
        this.emit({ type: "sctp-state", state: "connected" });
        this.channels.announceIds();
        break;
      case "association-closed":
        this.sctpClosed(ev.reason);
        break;
      default:
        this.channels.onEvent(ev);
    }
  }
}
