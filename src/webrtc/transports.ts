// The transport objects of the W3C API: RTCIceTransport (webrtc-pc 5.6), RTCDtlsTransport (5.5)
// and RTCSctpTransport (6.1.3). Thin handles: their announced states are updated by the
// RTCPeerConnection in the task that fires the statechange event; everything else is read from
// the Peer core through a TransportHost.
import type { DtlsState, GatheringState, IceState, SctpState } from "../peer/events.js";
import { RTCIceCandidate } from "./candidate.js";
import { defineEventHandlers } from "./events.js";

export interface RTCIceCandidatePair {
  local: RTCIceCandidate;
  remote: RTCIceCandidate;
}

export interface RTCIceParameters {
  usernameFragment: string;
  password: string;
}

/** What the transport handles read from their connection. */
export interface TransportHost {
  iceRole(): "controlling" | "controlled" | "unknown";
  localCandidateLines(): string[];
  remoteCandidateLines(): string[];
  selectedPairLines(): { local: string; remote: string } | null;
  localIceParameters(): RTCIceParameters | null;
  remoteIceParameters(): RTCIceParameters | null;
  remoteCertificates(): ArrayBuffer[];
  maxMessageSize(): number;
  maxChannels(): number | null;
  dataMid(): string;
}

const token = Symbol("transport");

function toCandidate(line: string, mid: string): RTCIceCandidate {
  return new RTCIceCandidate({ candidate: line, sdpMid: mid, sdpMLineIndex: 0 });
}

export class RTCIceTransport extends EventTarget {
  declare onstatechange: ((this: RTCIceTransport, ev: Event) => unknown) | null;
  declare ongatheringstatechange: ((this: RTCIceTransport, ev: Event) => unknown) | null;
  declare onselectedcandidatepairchange: ((this: RTCIceTransport, ev: Event) => unknown) | null;
  /** @internal */ _state: IceState;
  /** @internal */ _gatheringState: GatheringState;
  private readonly host: TransportHost;
  constructor(t: symbol, host: TransportHost) {
    super();
    if (t !== token) throw new TypeError("Illegal constructor");
    this.host = host;
    this._state = "new";
    this._gatheringState = "new";
  }
  get role(): "controlling" | "controlled" | "unknown" {
    return this.host.iceRole();
  }
  get component(): "rtp" {
    return "rtp";
  }
  get state(): IceState {
    return this._state;
  }
  get gatheringState(): GatheringState {
    return this._gatheringState;
  }
  getLocalCandidates(): RTCIceCandidate[] {
    const mid = this.host.dataMid();
    return this.host.localCandidateLines().map((l) => toCandidate(l, mid));
  }
  getRemoteCandidates(): RTCIceCandidate[] {
    const mid = this.host.dataMid();
    return this.host.remoteCandidateLines().map((l) => toCandidate(l, mid));
  }
  getSelectedCandidatePair(): RTCIceCandidatePair | null {
    const p = this.host.selectedPairLines();
    if (!p) return null;
    const mid = this.host.dataMid();
    return { local: toCandidate(p.local, mid), remote: toCandidate(p.remote, mid) };
  }
  getLocalParameters(): RTCIceParameters | null {
    return this.host.localIceParameters();
  }
  getRemoteParameters(): RTCIceParameters | null {
    return this.host.remoteIceParameters();
  }
}
defineEventHandlers(RTCIceTransport.prototype, ["statechange", "gatheringstatechange", "selectedcandidatepairchange"]);

export class RTCDtlsTransport extends EventTarget {
  declare onstatechange: ((this: RTCDtlsTransport, ev: Event) => unknown) | null;
  declare onerror: ((this: RTCDtlsTransport, ev: Event) => unknown) | null;
  readonly iceTransport: RTCIceTransport;
  /** @internal */ _state: DtlsState;
  private readonly host: TransportHost;
  constructor(t: symbol, host: TransportHost, ice: RTCIceTransport) {
    super();
    if (t !== token) throw new TypeError("Illegal constructor");
    this.host = host;
    this.iceTransport = ice;
    this._state = "new";
  }
  get state(): DtlsState {
    return this._state;
  }
  getRemoteCertificates(): ArrayBuffer[] {
    return this.host.remoteCertificates();
  }
}
defineEventHandlers(RTCDtlsTransport.prototype, ["statechange", "error"]);

export class RTCSctpTransport extends EventTarget {
  declare onstatechange: ((this: RTCSctpTransport, ev: Event) => unknown) | null;
  readonly transport: RTCDtlsTransport;
  /** @internal */ _state: SctpState;
  private readonly host: TransportHost;
  constructor(t: symbol, host: TransportHost, dtls: RTCDtlsTransport) {
    super();
    if (t !== token) throw new TypeError("Illegal constructor");
    this.host = host;
    this.transport = dtls;
    this._state = "connecting";
  }
  get state(): SctpState {
    return this._state;
  }
  get maxMessageSize(): number {
    return this.host.maxMessageSize();
  }
  get maxChannels(): number | null {
    return this._state === "connected" ? this.host.maxChannels() : null;
  }
}
defineEventHandlers(RTCSctpTransport.prototype, ["statechange"]);

/** @internal The transports of one connection (one BUNDLE group: one of each). */
export function createTransports(host: TransportHost): {
  ice: RTCIceTransport;
  dtls: RTCDtlsTransport;
  sctp: RTCSctpTransport;
} {
  const ice = new RTCIceTransport(token, host);
  const dtls = new RTCDtlsTransport(token, host, ice);
  const sctp = new RTCSctpTransport(token, host, dtls);
  return { ice, dtls, sctp };
}
