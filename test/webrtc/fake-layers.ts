// Fake ICE / DTLS / data channel layers for API tests of RTCPeerConnection that need no network:
// they record what the Peer core asks of them and produce nothing on the wire.
import type { TransportAddress } from "../../src/address.js";
import type { Transmit } from "../../src/core.js";
import { parseCandidate } from "../../src/ice/candidate.js";
import type { ChannelConfig } from "../../src/peer/events.js";
import type {
  DcLayer,
  DcLayerEvent,
  DtlsLayer,
  DtlsLayerEvent,
  IceLayer,
  IceLayerEvent,
} from "../../src/peer/layers.js";
import { Peer } from "../../src/peer/peer.js";
import { SeededRandom } from "../../src/random.js";
import { generateIceCredentials } from "../../src/sdp/index.js";

export class FakeIce implements IceLayer {
  localUfrag: string;
  localPwd: string;
  controlling = false;
  remote: string[] = [];
  ended = false;
  remoteCreds: { ufrag: string; pwd: string } | undefined;
  events: IceLayerEvent[] = [];
  constructor(seed: number) {
    const c = generateIceCredentials(new SeededRandom(seed));
    this.localUfrag = c.ufrag;
    this.localPwd = c.pwd;
  }
  stun: TransportAddress[] = [];
  addStunServers(servers: TransportAddress[]): void {
    this.stun.push(...servers);
  }
  addLocalAddress(_addr: TransportAddress, _now: number): void {}
  localAddressesDone(_now: number): void {}
  setRemoteCredentials(ufrag: string, pwd: string): void {
    this.remoteCreds = { ufrag, pwd };
  }
  addRemoteCandidate(candidate: string | null): boolean {
    if (candidate === null) {
      this.ended = true;
      return true;
    }
    if (!parseCandidate(candidate)) return false;
    this.remote.push(candidate);
    return true;
  }
  restart(ufrag: string, pwd: string): void {
    this.localUfrag = ufrag;
    this.localPwd = pwd;
  }
  resolveMdns(): void {}
  send(): void {}
  close(): void {}
  handleDatagram(): void {}
  handleTimeout(): void {}
  pollTransmit(): Transmit | undefined {
    return undefined;
  }
  pollEvent(): IceLayerEvent | undefined {
    return this.events.shift();
  }
  nextTimeout(): number | undefined {
    return undefined;
  }
  localCandidates(): string[] {
    return [];
  }
  remoteCandidates(): string[] {
    return this.remote.slice();
  }
  stats(): Record<string, unknown> {
    return {};
  }
}

export class FakeDtls implements DtlsLayer {
  constructor(readonly role: "client" | "server") {}
  start(): void {}
  setRemoteFingerprints(): void {}
  send(): void {}
  close(): void {}
  handleDatagram(): void {}
  handleTimeout(): void {}
  pollTransmit(): Uint8Array | undefined {
    return undefined;
  }
  pollEvent(): DtlsLayerEvent | undefined {
    return undefined;
  }
  nextTimeout(): number | undefined {
    return undefined;
  }
  remoteCertificate(): Uint8Array | undefined {
    return undefined;
  }
  cipherSuite(): string | undefined {
    return undefined;
  }
  stats(): Record<string, unknown> {
    return {};
  }
}

export class FakeDc implements DcLayer {
  role: "client" | "server" | undefined;
  maxMessageSize = 65536;
  next = 1;
  channels = new Map<number, ChannelConfig>();
  setDtlsRole(role: "client" | "server"): void {
    this.role = role;
  }
  connect(): void {}
  createChannel(config: ChannelConfig): number {
    const key = this.next++;
    this.channels.set(key, { ...config });
    return key;
  }
  channelId(channel: number): number | null {
    return this.channels.get(channel)?.id ?? null;
  }
  send(): void {}
  closeChannel(): void {}
  bufferedAmount(): number {
    return 0;
  }
  setBufferedAmountLowThreshold(): void {}
  setRemoteMaxMessageSize(bytes: number): void {
    this.maxMessageSize = bytes;
  }
  shutdown(): void {}
  abort(): void {}
  handleDatagram(): void {}
  handleTimeout(): void {}
  pollTransmit(): Uint8Array | undefined {
    return undefined;
  }
  pollEvent(): DcLayerEvent | undefined {
    return undefined;
  }
  nextTimeout(): number | undefined {
    return undefined;
  }
  stats(): Record<string, unknown> {
    return {};
  }
}

let seed = 1;
/** A Peer core over fake layers. */
export function fakePeer(): Peer {
  const ice = new FakeIce(seed++);
  return new Peer({ ice, dc: new FakeDc(), createDtls: (role) => new FakeDtls(role) });
}

/** Internals for createPeerConnectionWith: fake layers, a driver that does nothing. */
export const fakeInternals = {
  createPeer: () => fakePeer(),
  driverFactory: () => ({ kick() {}, close() {}, resolveMdns: async () => undefined }),
};
