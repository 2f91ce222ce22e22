// The narrow views the Peer core has of the layers beneath it (ICE agent, DTLS endpoint, data
// channel endpoint). Peer talks to these interfaces only; src/peer/stack.ts binds them to
// src/ice, src/dtls and src/datachannel. Keeping the seam narrow lets each layer evolve.
import type { TransportAddress } from "../address.js";
import type { Transmit } from "../core.js";
import type { CandidatePairInfo, ChannelConfig, GatheringState, IceState } from "./events.js";

export type IceLayerEvent =
  | { type: "candidate"; candidate: string }
  | { type: "gathering-state"; state: GatheringState }
  | { type: "state"; state: IceState }
  | { type: "selected-pair"; pair: CandidatePairInfo }
  /** A pair is valid before nomination: data may be sent (DTLS starts here, as browsers do). */
  | { type: "writable" }
  | { type: "data"; data: Uint8Array }
  | { type: "mdns-query"; name: string }
  | { type: "server-error"; address: string | null; port: number | null; url: string; code: number; text: string }
  | { type: "other" };

export interface IceLayer {
  readonly localUfrag: string;
  readonly localPwd: string;
  controlling: boolean;
  /**
   * STUN servers (IP addresses, with the URL they came from) for srflx gathering, and servers that
   * cannot be used (each reported as a 701 server-error); takes effect if gathering has not started.
   */
  addStunServers(servers: (TransportAddress & { url?: string })[], unusable?: { url: string; text: string }[]): void;
  addLocalAddress(addr: TransportAddress, now: number): void;
  /** Called once every local address has been added (host gathering is done once srflx ends). */
  localAddressesDone(now: number): void;
  setRemoteCredentials(ufrag: string, pwd: string, iceLite: boolean, now: number): void;
  /** A candidate attribute value ("candidate:..."), or null for end-of-candidates. */
  addRemoteCandidate(candidate: string | null, now: number): boolean;
  restart(ufrag: string, pwd: string, now: number): void;
  resolveMdns(name: string, address: string | undefined, now: number): void;
  send(data: Uint8Array, now: number): void;
  close(now: number): void;
  handleDatagram(data: Uint8Array, from: TransportAddress, to: TransportAddress, now: number): void;
  handleTimeout(now: number): void;
  pollTransmit(): Transmit | undefined;
  pollEvent(): IceLayerEvent | undefined;
  nextTimeout(): number | undefined;
  localCandidates(): string[];
  remoteCandidates(): string[];
  stats(): Record<string, unknown>;
}

export type DtlsLayerEvent =
  | { type: "connected" }
  | { type: "data"; data: Uint8Array }
  | { type: "closed" }
  | { type: "failed"; reason: string }
  | { type: "other" };

export interface DtlsLayer {
  start(now: number): void;
  setRemoteFingerprints(fps: { algorithm: string; value: string }[]): void;
  send(data: Uint8Array, now: number): void;
  close(now: number): void;
  handleDatagram(data: Uint8Array, now: number): void;
  handleTimeout(now: number): void;
  pollTransmit(): Uint8Array | undefined;
  pollEvent(): DtlsLayerEvent | undefined;
  nextTimeout(): number | undefined;
  remoteCertificate(): Uint8Array | undefined;
  cipherSuite(): string | undefined;
  /** The use_srtp protection profile agreed (RFC 5764 4.1.2), if any (media). */
  srtpProfile?(): number | undefined;
  /** RFC 5705 exporter output (DTLS-SRTP keys: "EXTRACTOR-dtls_srtp", RFC 5764 4.2). */
  exportKeyingMaterial?(label: string, length: number): Uint8Array;
  stats(): Record<string, unknown>;
}

export type DcLayerEvent =
  | { type: "established"; maxMessageSize: number; maxChannels: number }
  | { type: "remote-channel"; channel: number; config: ChannelConfig }
  | { type: "open"; channel: number; id: number }
  | { type: "message"; channel: number; data: Uint8Array; binary: boolean }
  | { type: "buffered-amount-low"; channel: number }
  | { type: "closing"; channel: number }
  | { type: "closed"; channel: number; error?: string }
  | { type: "association-closed"; reason: string }
  | { type: "other" };

export interface DcLayer {
  /** The largest SCTP packet path MTU discovery may reach on the selected path (0: the base). */
  limitPacketSize?(bytes: number): void;
  /** The DTLS role decides stream ids: even for the client, odd for the server (RFC 8832 6). */
  setDtlsRole(role: "client" | "server"): void;
  connect(now: number): void;
  /** Whether the association has answered the peer's INIT (sent an INIT ACK): the peer is connecting it. */
  answeredInit?(): boolean;
  /** Creates a local channel and returns the layer's channel key. Throws a coded error. */
  createChannel(config: ChannelConfig, now: number): number;
  channelId(channel: number): number | null;
  /** A string is a text message, bytes a binary one. */
  send(channel: number, data: Uint8Array | string, now: number): void;
  closeChannel(channel: number, now: number): void;
  bufferedAmount(channel: number): number;
  setBufferedAmountLowThreshold(channel: number, bytes: number): void;
  setRemoteMaxMessageSize(bytes: number): void;
  readonly maxMessageSize: number;
  /** Graceful SCTP shutdown (RFC 9260 9.2). */
  shutdown(now: number): void;
  /** ABORT (RFC 9260 9.1), what a browser sends when the connection is closed. */
  abort(reason: string): void;
  handleDatagram(data: Uint8Array, now: number): void;
  handleTimeout(now: number): void;
  pollTransmit(): Uint8Array | undefined;
  pollEvent(): DcLayerEvent | undefined;
  nextTimeout(): number | undefined;
  stats(): Record<string, unknown>;
}
