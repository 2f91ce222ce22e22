// Binds the Peer core to the real layers: src/ice's IceAgent, src/dtls's DtlsEndpoint and
// src/datachannel's DataChannelEndpoint (which owns src/sctp's SctpAssociation), each behind the
// narrow interface of src/peer/layers.ts.
// The ICE agent is created when its role is known (JSEP: the offerer controls, RFC 8445 6.1.1),
// which is before gathering starts (setLocalDescription).
import type { KeyObject } from "node:crypto";
import type { TransportAddress } from "../address.js";
import { parseIP } from "../address.js";
import type { Transmit } from "../core.js";
import { DataChannelEndpoint, type DataChannelEvent } from "../datachannel/index.js";
import { DtlsEndpoint } from "../dtls/index.js";
import { formatCandidate, parseCandidate } from "../ice/candidate.js";
import { IceAgent, type StunServerAddress } from "../ice/index.js";
import type { Random } from "../random.js";
import { generateIceCredentials } from "../sdp/index.js";
import { SRTP_PROFILES } from "../srtp/index.js";
import { PeerError } from "./errors.js";
import type { ChannelConfig } from "./events.js";
import type { DcLayer, DcLayerEvent, DtlsLayer, DtlsLayerEvent, IceLayer, IceLayerEvent } from "./layers.js";
import { MediaSession, randomCname } from "./media.js";
import { Peer } from "./peer.js";

export interface PeerCoreOptions {
  random: Random;
  certificate: { privateKey: KeyObject; der: Uint8Array };
  /** STUN servers for server-reflexive candidates (IP literals; names are skipped). */
  stunServers: { host: string; port: number; url: string }[];
  /** ICE servers that cannot be used (turn: without a TURN client): reported as 701 server-errors. */
  unusableServers?: { url: string; text: string }[];
  now: number;
  /** Options passed through to the ICE agent (tests: shorter timers). */
  ice?: { ta?: number; checkRto?: number; nominationDelay?: number; gatherRto?: number };
  /** DTLS retransmission timeout (ms). */
  dtlsRetransmitTimeout?: number;
  /** RTCP NTP time = now + ntpOffsetMs (the driver's wall clock, see ntpOffsetFor). Default 0. */
  ntpOffsetMs?: number;
}

class IceAdapter implements IceLayer {
  localUfrag: string;
  localPwd: string;
  controlling: boolean;
  private agent: IceAgent | undefined;
  private readonly random: Random;
  private readonly stunServers: StunServerAddress[];
  private readonly unusableServers: { url: string; text: string }[];
  private readonly iceOpts: PeerCoreOptions["ice"];

  constructor(o: PeerCoreOptions) {
    const c = generateIceCredentials(o.random);
    this.localUfrag = c.ufrag;
    this.localPwd = c.pwd;
    this.controlling = true;
    this.random = o.random;
    this.iceOpts = o.ice;
    this.stunServers = [];
    for (const s of o.stunServers) {
      if (parseIP(s.host)) this.stunServers.push({ address: s.host, port: s.port, url: s.url });
    }
    this.unusableServers = [...(o.unusableServers ?? [])];
  }

  addStunServers(servers: StunServerAddress[], unusable: { url: string; text: string }[] = []): void {
    if (this.agent) return;
    this.stunServers.push(...servers);
    this.unusableServers.push(...unusable);
  }

  private get a(): IceAgent {
    if (!this.agent) {
      this.agent = new IceAgent({
        controlling: this.controlling,
        random: this.random,
        ufrag: this.localUfrag,
        pwd: this.localPwd,
        stunServers: this.stunServers,
        unusableServers: this.unusableServers,
        ...(this.iceOpts ?? {}),
      });
    }
    return this.agent;
  }

  addLocalAddress(addr: TransportAddress, now: number): void {
    this.a.addLocalAddress(addr, now);
  }
  localAddressesDone(now: number): void {
    this.a.endOfLocalAddresses(now);
  }
  setRemoteCredentials(ufrag: string, pwd: string, iceLite: boolean, now: number): void {
    this.a.setRemoteCredentials(ufrag, pwd, now, { lite: iceLite });
  }
  addRemoteCandidate(candidate: string | null, now: number): boolean {
    if (candidate === null) {
      this.a.addRemoteCandidate(null, now);
      return true;
    }
    const c = parseCandidate(candidate.startsWith("candidate:") ? candidate : `candidate:${candidate}`);
    if (!c) return false;
    this.a.addRemoteCandidate(c, now);
    return true;
  }
  restart(ufrag: string, pwd: string, now: number): void {
    this.localUfrag = ufrag;
    this.localPwd = pwd;
    if (this.agent) this.agent.restart(now, ufrag, pwd);
  }
  resolveMdns(name: string, address: string | undefined, now: number): void {
    this.agent?.resolveMdns(name, address, now);
  }
  send(data: Uint8Array, _now: number): void {
    this.agent?.send(data);
  }
  close(_now: number): void {
    this.agent?.close();
  }
  handleDatagram(data: Uint8Array, from: TransportAddress, to: TransportAddress, now: number): void {
    this.a.handleDatagram(data, from, to, now);
  }
  handleTimeout(now: number): void {
    this.agent?.handleTimeout(now);
  }
  pollTransmit(): Transmit | undefined {
    return this.agent?.pollTransmit();
  }
  pollEvent(): IceLayerEvent | undefined {
    const ev = this.agent?.pollEvent();
    if (!ev) return undefined;
    switch (ev.type) {
      case "data":
        return ev;
      case "candidate":
        return { type: "candidate", candidate: ev.line.startsWith("a=") ? ev.line.slice(2) : ev.line };
      case "gathering-state":
      case "state":
        return ev;
      case "selected-pair":
        return {
          type: "selected-pair",
          pair: {
            local: formatCandidate(ev.local),
            remote: formatCandidate(ev.remote),
            localAddress: { address: ev.local.address, port: ev.local.port },
            remoteAddress: { address: ev.remote.address, port: ev.remote.port },
          },
        };
      case "mdns-query":
      case "writable":
        return ev;
      case "candidate-error":
        return {
          type: "server-error",
          address: ev.address,
          port: ev.port,
          url: ev.url,
          code: ev.code,
          text: ev.text,
        };
      default:
        return { type: "other" };
    }
  }
  nextTimeout(): number | undefined {
    return this.agent?.nextTimeout();
  }
  localCandidates(): string[] {
    return this.agent ? this.agent.getLocalCandidates().map(formatCandidate) : [];
  }
  remoteCandidates(): string[] {
    return this.agent ? this.agent.getRemoteCandidates().map(formatCandidate) : [];
  }
  stats(): Record<string, unknown> {
    if (!this.agent) return {};
    const sel = this.agent.getSelectedPair();
    const pairs = this.agent.getPairStats();
    const selected = sel ? pairs.find((p) => p.local === sel.local && p.remote === sel.remote) : undefined;
    return { ...this.agent.stats, selectedPair: selected, pairs };
  }
}

class DtlsAdapter implements DtlsLayer {
  readonly endpoint: DtlsEndpoint;
  constructor(endpoint: DtlsEndpoint) {
    this.endpoint = endpoint;
  }
  start(now: number): void {
    this.endpoint.start(now);
  }
  setRemoteFingerprints(fps: { algorithm: string; value: string }[]): void {
    this.endpoint.setRemoteFingerprints(fps);
  }
  send(data: Uint8Array, _now: number): void {
    // SCTP discovers the path MTU (RFC 8261 5, RFC 8899): DTLS's MTU follows the packets it sends.
    const e = this.endpoint;
    if (data.length > e.maxPayload) e.setMtu(e.mtu + data.length - e.maxPayload);
    e.send(data);
  }
  close(_now: number): void {
    this.endpoint.close();
  }
  handleDatagram(data: Uint8Array, now: number): void {
    this.endpoint.handleDatagram(data, now);
  }
  handleTimeout(now: number): void {
    this.endpoint.handleTimeout(now);
  }
  pollTransmit(): Uint8Array | undefined {
    return this.endpoint.pollTransmit();
  }
  pollEvent(): DtlsLayerEvent | undefined {
    const ev = this.endpoint.pollEvent();
    if (!ev) return undefined;
    switch (ev.type) {
      case "connected":
        return { type: "connected" };
      case "data":
        return ev;
      case "closed":
        return ev;
      case "failed":
        return { type: "failed", reason: ev.reason };
      default:
        return { type: "other" };
    }
  }
  nextTimeout(): number | undefined {
    return this.endpoint.nextTimeout();
  }
  remoteCertificate(): Uint8Array | undefined {
    return this.endpoint.getRemoteCertificate();
  }
  srtpProfile(): number | undefined {
    return this.endpoint.selectedSrtpProfile;
  }
  exportKeyingMaterial(label: string, length: number): Uint8Array {
    return this.endpoint.exportKeyingMaterial(label, undefined, length);
  }
  cipherSuite(): string | undefined {
    return this.endpoint.cipherSuite;
  }
  stats(): Record<string, unknown> {
    return { ...this.endpoint.stats };
  }
}

const PRIORITY: Record<ChannelConfig["priority"], number> = { "very-low": 128, low: 256, medium: 512, high: 1024 };

function priorityName(p: number): ChannelConfig["priority"] {
  return p <= 128 ? "very-low" : p <= 256 ? "low" : p <= 512 ? "medium" : "high";
}

/** src/datachannel's DataChannelEndpoint (DCEP, RFC 8831/8832, over its SctpAssociation). */
class DataChannelAdapter implements DcLayer {
  readonly endpoint: DataChannelEndpoint;
  /** An error event's text, kept for the closed event that follows it (made on the first error). */
  private errors: Map<number, string> | undefined;
  constructor(random: Random) {
    this.endpoint = new DataChannelEndpoint({ maxMessageSize: 262144, sctp: { random } });
  }
  limitPacketSize(bytes: number): void {
    this.endpoint.association.setMaxPacketSize(bytes);
  }
  setDtlsRole(role: "client" | "server"): void {
    if (this.endpoint.dtlsRole === undefined) this.endpoint.setDtlsRole(role);
  }
  connect(now: number): void {
    this.endpoint.connect(now);
  }
  answeredInit(): boolean {
    return this.endpoint.association.stats.initAcksSent > 0;
  }
  createChannel(config: ChannelConfig, now: number): number {
    try {
      return this.endpoint.createChannel(
        config.label,
        {
          ordered: config.ordered,
          protocol: config.protocol,
          negotiated: config.negotiated,
          priority: PRIORITY[config.priority],
          ...(config.maxRetransmits !== null ? { maxRetransmits: config.maxRetransmits } : {}),
          ...(config.maxPacketLifeTime !== null ? { maxPacketLifeTime: config.maxPacketLifeTime } : {}),
          ...(config.negotiated && config.id !== null ? { id: config.id } : {}),
        },
        now,
      );
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === "id-in-use") throw new PeerError("ERR_ID_IN_USE", (err as Error).message);
      if (code === "invalid-state") throw new PeerError("ERR_CLOSED", (err as Error).message);
      throw new PeerError("ERR_INVALID_ARGUMENT", (err as Error).message);
    }
  }
  channelId(channel: number): number | null {
    return this.endpoint.info(channel)?.id ?? null;
  }
  send(channel: number, data: Uint8Array | string, now: number): void {
    try {
      this.endpoint.send(channel, data, now);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === "message-too-large") throw new PeerError("ERR_MESSAGE_TOO_BIG", (err as Error).message);
      throw new PeerError("ERR_NOT_OPEN", (err as Error).message);
    }
  }
  closeChannel(channel: number, now: number): void {
    this.endpoint.close(channel, now);
  }
  bufferedAmount(channel: number): number {
    return this.endpoint.bufferedAmount(channel);
  }
  setBufferedAmountLowThreshold(channel: number, bytes: number): void {
    this.endpoint.setBufferedAmountLowThreshold(channel, bytes);
  }
  setRemoteMaxMessageSize(bytes: number): void {
    this.endpoint.setRemoteMaxMessageSize(bytes === Number.POSITIVE_INFINITY ? 0 : bytes);
  }
  get maxMessageSize(): number {
    return this.endpoint.maxMessageSize;
  }
  shutdown(now: number): void {
    this.endpoint.shutdown(now);
  }
  abort(reason: string): void {
    this.endpoint.abort(reason);
  }
  handleDatagram(data: Uint8Array, now: number): void {
    this.endpoint.handleDatagram(data, now);
  }
  handleTimeout(now: number): void {
    this.endpoint.handleTimeout(now);
  }
  pollTransmit(): Uint8Array | undefined {
    return this.endpoint.pollTransmit();
  }
  nextTimeout(): number | undefined {
    return this.endpoint.nextTimeout();
  }
  stats(): Record<string, unknown> {
    return { ...this.endpoint.stats };
  }
  /** Events read ahead to find why the association closed (channels close before it says). */
  private readonly ahead: DataChannelEvent[] = [];
  private associationError: string | undefined;

  /** The association is gone: read ahead to its "disconnected" event for the reason. */
  private closeReason(): string {
    if (this.associationError === undefined) {
      for (let e = this.endpoint.pollEvent(); e; e = this.endpoint.pollEvent()) this.ahead.push(e);
      const d = this.ahead.find((e) => e.type === "disconnected");
      this.associationError =
        d && d.type === "disconnected"
          ? d.cause
            ? `sctp-${d.reason}: ${d.cause}`
            : `sctp-${d.reason}`
          : "sctp-closed";
    }
    return this.associationError;
  }

  pollEvent(): DcLayerEvent | undefined {
    const ev = this.ahead.length > 0 ? this.ahead.shift() : this.endpoint.pollEvent();
    if (!ev) return undefined;
    switch (ev.type) {
      case "connected": {
        const a = this.endpoint.association;
        return {
          type: "established",
          maxMessageSize: this.endpoint.maxMessageSize,
          maxChannels: Math.min(a.outboundStreams, a.inboundStreams),
        };
      }
      case "channel-open-request":
        return {
          type: "remote-channel",
          channel: ev.channel,
          config: {
            label: ev.label,
            protocol: ev.protocol,
            ordered: ev.ordered,
            maxRetransmits: ev.maxRetransmits ?? null,
            maxPacketLifeTime: ev.maxPacketLifeTime ?? null,
            negotiated: false,
            id: ev.id,
            priority: priorityName(ev.priority),
          },
        };
      case "open":
        return { type: "open", channel: ev.channel, id: ev.id };
      case "message":
        return { type: "message", channel: ev.channel, data: ev.data, binary: ev.binary };
      case "buffered-amount-low":
        return { type: "buffered-amount-low", channel: ev.channel };
      case "closing":
        return { type: "closing", channel: ev.channel };
      case "error":
        (this.errors ??= new Map()).set(ev.channel, `${ev.code}: ${ev.message}`);
        return { type: "other" };
      case "closed": {
        let error = this.errors?.get(ev.channel);
        this.errors?.delete(ev.channel);
        // Closed because the association went away (ABORT, failure): an error, as browsers report.
        if (error === undefined && this.endpoint.association.state === "closed") error = this.closeReason();
        return error === undefined
          ? { type: "closed", channel: ev.channel }
          : { type: "closed", channel: ev.channel, error };
      }
      case "disconnected":
        return {
          type: "association-closed",
          reason: ev.cause ? `sctp-${ev.reason}: ${ev.cause}` : `sctp-${ev.reason}`,
        };
      default:
        return { type: "other" };
    }
  }
}

export function createPeerCore(o: PeerCoreOptions): Peer {
  const ice = new IceAdapter(o);
  const dc = new DataChannelAdapter(o.random);
  return new Peer({
    ice,
    dc,
    media: new MediaSession({ random: o.random, cname: randomCname(o.random), ntpOffsetMs: o.ntpOffsetMs }),
    createDtls: (role, remoteFingerprints) =>
      new DtlsAdapter(
        new DtlsEndpoint({
          role,
          certificate: o.certificate,
          remoteFingerprints,
          random: o.random,
          // use_srtp (RFC 5764 4.1.2): AEAD_AES_128_GCM, then AES_CM_128_HMAC_SHA1_80.
          srtpProfiles: [SRTP_PROFILES.AEAD_AES_128_GCM.id, SRTP_PROFILES.AES_CM_128_HMAC_SHA1_80.id],
          // No HelloVerifyRequest round trip: ICE's checks already proved the client is reachable
          // at its address (the cookie exchange's purpose, RFC 6347 4.2.1).
          cookies: false,
          ...(o.dtlsRetransmitTimeout !== undefined ? { retransmitTimeout: o.dtlsRetransmitTimeout } : {}),
        }),
      ),
  });
}
