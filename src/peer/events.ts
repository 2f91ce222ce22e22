// The events the Peer core emits (plain tagged objects, ARCHITECTURE.md "The sans-IO contract"),
// and the state enums of its transports as webrtc-pc names them (RTCIceTransportState 5.6,
// RTCIceGathererState 5.6, RTCDtlsTransportState 5.5, RTCSctpTransportState 6.1.3,
// RTCDataChannelState 6.2).
import type { TransportAddress } from "../address.js";
import type { MediaEvent } from "./media.js";

export type IceState = "new" | "checking" | "connected" | "completed" | "disconnected" | "failed" | "closed";
export type GatheringState = "new" | "gathering" | "complete";
export type DtlsState = "new" | "connecting" | "connected" | "closed" | "failed";
export type SctpState = "connecting" | "connected" | "closed";
export type ChannelState = "connecting" | "open" | "closing" | "closed";

/** How a data channel is configured (RTCDataChannelInit after validation). */
export interface ChannelConfig {
  label: string;
  protocol: string;
  ordered: boolean;
  maxRetransmits: number | null;
  maxPacketLifeTime: number | null;
  negotiated: boolean;
  /** The SCTP stream id, or null until the DTLS role picks one (even for client, odd for server). */
  id: number | null;
  priority: "very-low" | "low" | "medium" | "high";
}

export interface CandidatePairInfo {
  local: string;
  remote: string;
  localAddress: TransportAddress;
  remoteAddress: TransportAddress;
}

export type PeerEvent =
  /** A local candidate was gathered: `candidate` is the attribute value ("candidate:..."). */
  | { type: "candidate"; candidate: string; ufrag: string }
  | { type: "gathering-state"; state: GatheringState }
  | { type: "ice-state"; state: IceState }
  | { type: "selected-pair"; pair: CandidatePairInfo }
  | { type: "dtls-state"; state: DtlsState; reason?: string }
  | { type: "sctp-state"; state: SctpState; reason?: string }
  /** The peer opened a channel in-band (DCEP): a handle must be created. */
  | { type: "channel-remote"; handle: number; config: ChannelConfig }
  | { type: "channel-id"; handle: number; id: number }
  | { type: "channel-open"; handle: number }
  | { type: "message"; handle: number; data: Uint8Array; binary: boolean }
  | { type: "buffered-amount-low"; handle: number }
  | { type: "channel-closing"; handle: number }
  | { type: "channel-closed"; handle: number; error?: string }
  /** A remote candidate has a .local name: resolve it and call resolveMdns(). */
  | { type: "mdns-query"; name: string }
  /** Media core output (src/peer/media.ts): frames, keyframe requests, remote streams. */
  | { type: "media"; event: MediaEvent }
  /** An ICE server answered with an error (icecandidateerror). */
  | {
      type: "ice-error";
      address: string | null;
      port: number | null;
      url: string;
      errorCode: number;
      errorText: string;
    };
