// RTCIceCandidate (webrtc-pc 4.8.1): the candidate attribute line, its m-line (sdpMid,
// sdpMLineIndex), usernameFragment, the fields read from the line (RFC 8839 5.1 grammar:
// foundation component transport priority address port typ type [raddr rport] extensions), and
// toJSON() giving RTCIceCandidateInit.
import { parseCandidate } from "../ice/candidate.js";

export interface RTCIceCandidateInit {
  candidate?: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

export type RTCIceComponent = "rtp" | "rtcp";
export type RTCIceProtocol = "udp" | "tcp";
export type RTCIceCandidateType = "host" | "srflx" | "prflx" | "relay";
export type RTCIceTcpCandidateType = "active" | "passive" | "so";

interface Fields {
  foundation: string;
  component: RTCIceComponent | null;
  priority: number;
  address: string;
  protocol: RTCIceProtocol | null;
  port: number;
  type: RTCIceCandidateType | null;
  tcpType: RTCIceTcpCandidateType | null;
  relatedAddress: string | null;
  relatedPort: number | null;
  ufrag: string | null;
}

/** The fields of "candidate:..." read by src/ice/candidate.ts; undefined when malformed. */
function readFields(line: string): Fields | undefined {
  let s = line.trim();
  if (s.startsWith("a=")) s = s.slice(2);
  if (!s.startsWith("candidate:")) s = `candidate:${s}`;
  const c = parseCandidate(s);
  if (!c) return undefined;
  const proto = c.protocol.toLowerCase();
  return {
    foundation: c.foundation,
    component: c.component === 1 ? "rtp" : c.component === 2 ? "rtcp" : null,
    priority: c.priority,
    address: c.address,
    protocol: proto === "udp" || proto === "tcp" ? proto : null,
    port: c.port,
    type: c.type,
    tcpType: c.tcpType ?? null,
    relatedAddress: c.relatedAddress ?? null,
    relatedPort: c.relatedPort ?? null,
    ufrag: c.ufrag ?? null,
  };
}

export class RTCIceCandidate {
  readonly candidate: string;
  readonly sdpMid: string | null;
  readonly sdpMLineIndex: number | null;
  readonly usernameFragment: string | null;
  readonly foundation: string | null;
  readonly component: RTCIceComponent | null;
  readonly priority: number | null;
  readonly address: string | null;
  readonly protocol: RTCIceProtocol | null;
  readonly port: number | null;
  readonly type: RTCIceCandidateType | null;
  readonly tcpType: RTCIceTcpCandidateType | null;
  readonly relatedAddress: string | null;
  readonly relatedPort: number | null;
  readonly relayProtocol: null;
  readonly url: null;

  constructor(init: RTCIceCandidateInit = {}) {
    if (init === null || typeof init !== "object") throw new TypeError("RTCIceCandidateInit must be an object");
    const sdpMid = init.sdpMid === undefined || init.sdpMid === null ? null : String(init.sdpMid);
    let sdpMLineIndex: number | null = null;
    if (init.sdpMLineIndex !== undefined && init.sdpMLineIndex !== null) {
      const n = Number(init.sdpMLineIndex);
      if (!Number.isFinite(n)) throw new TypeError("sdpMLineIndex must be a number");
      sdpMLineIndex = n & 0xffff;
    }
    if (sdpMid === null && sdpMLineIndex === null) {
      throw new TypeError("sdpMid and sdpMLineIndex are both null");
    }
    this.candidate = init.candidate === undefined || init.candidate === null ? "" : String(init.candidate);
    this.sdpMid = sdpMid;
    this.sdpMLineIndex = sdpMLineIndex;
    const f = this.candidate ? readFields(this.candidate) : undefined;
    this.usernameFragment =
      init.usernameFragment === undefined || init.usernameFragment === null
        ? (f?.ufrag ?? null)
        : String(init.usernameFragment);
    this.foundation = f ? f.foundation : null;
    this.component = f ? f.component : null;
    this.priority = f ? f.priority : null;
    this.address = f ? f.address : null;
    this.protocol = f ? f.protocol : null;
    this.port = f ? f.port : null;
    this.type = f ? f.type : null;
    this.tcpType = f ? f.tcpType : null;
    this.relatedAddress = f ? f.relatedAddress : null;
    this.relatedPort = f ? f.relatedPort : null;
    this.relayProtocol = null;
    this.url = null;
  }

  toJSON(): RTCIceCandidateInit {
    return {
      candidate: this.candidate,
      sdpMid: this.sdpMid,
      sdpMLineIndex: this.sdpMLineIndex,
      usernameFragment: this.usernameFragment,
    };
  }
}
