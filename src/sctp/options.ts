// The SCTP association's public types: states, events, close reasons, options with their
// defaults (protocol parameters of RFC 9260 section 16 unless WebRTC needs otherwise), send
// options (RFC 3758 policies) and statistics.
import type { Random } from "../random.js";
import type { PathMtuStats } from "./pmtud.js";
import type { SenderStats } from "./sender.js";

export type SctpState =
  | "closed"
  | "cookie-wait"
  | "cookie-echoed"
  | "established"
  | "shutdown-pending"
  | "shutdown-sent"
  | "shutdown-received"
  | "shutdown-ack-sent";

export type SctpCloseReason =
  | "peer-abort"
  | "retransmission-limit"
  | "dead-peer"
  | "shutdown"
  | "user-abort"
  | "protocol-error";

export type SctpEvent =
  | { type: "established" }
  | { type: "message"; streamId: number; ppid: number; data: Uint8Array; unordered: boolean }
  | { type: "stream-reset"; streamIds: number[] }
  | { type: "reset-done"; streamIds: number[] }
  | { type: "reset-failed"; streamIds: number[] }
  | { type: "sent"; streamId: number; bytes: number }
  /** `cause`: readable error causes; `causeCode`: the first error cause code of the peer's ABORT (RFC 9260 3.3.10). */
  | { type: "closed"; reason: SctpCloseReason; cause?: string; causeCode?: number };

export interface SctpOptions {
  random?: Random;
  localPort?: number;
  remotePort?: number;
  /**
   * The base PLPMTU: the largest SCTP packet we send until a larger size is proven (bytes).
   * Default 1140 (1200-byte datagrams minus DTLS and margin).
   */
  mtu?: number;
  /**
   * Packetization Layer Path MTU Discovery (RFC 8899, pmtud.ts): once established, probe packet
   * sizes above `mtu` up to `maxPacketSize` with padded HEARTBEATs and use the largest one
   * acknowledged; a retransmission timeout falls back to `mtu`. Default true. Probes only find the
   * path MTU when oversize datagrams are dropped (DF set); Node's dgram cannot set DF and Linux
   * fragments instead, so over a real network pass `maxPacketSize` = `mtu` (the Peer does this for
   * any path but a same-host one, see peer.ts) or call setMaxPacketSize().
   */
  pmtud?: boolean;
  /**
   * Largest SCTP packet PLPMTUD may reach (bytes). Default 16384: one DTLS record's plaintext
   * limit (RFC 6347 4.1 / RFC 5246 6.2.1).
   */
  maxPacketSize?: number;
  /** Largest message reassembled on receipt (our a=max-message-size). Default 262144. */
  maxMessageSize?: number;
  /**
   * Largest message send() accepts (the peer's a=max-message-size, which the data channel layer
   * also enforces). Default: no limit beyond 2^32 - 1 bytes.
   */
  maxSendMessageSize?: number;
  outboundStreams?: number;
  inboundStreams?: number;
  /** Receive window (bytes of out-of-order data held). Default 2 MiB. */
  receiveWindow?: number;
  /** Offer I-DATA / I-FORWARD-TSN (RFC 8260). Default true. */
  iData?: boolean;
  /** Offer and use zero checksums (RFC 9653, method 1: SCTP over DTLS). Default true. */
  zeroChecksum?: boolean;
  /** RTO.Initial in ms. Default 1000 (RFC 9260 16). */
  rtoInitial?: number;
  /** RTO.Min in ms. Default 200 (RFC 9260 says 1 s; a data channel wants faster recovery). */
  rtoMin?: number;
  /**
   * RTO.Max in ms, which also caps the exponential backoff. Default 10000: the RFC's 60 s lets a
   * lossy path stall a data channel for a minute after a few consecutive losses, and delays
   * dead-peer detection to minutes (ICE consent freshness gives up after 30 s anyway).
   */
  rtoMax?: number;
  /** Association.Max.Retrans (RFC 9260 15). Default 10. */
  maxRetransmissions?: number;
  /** Max.Init.Retransmits. Default 8. */
  maxInitRetransmits?: number;
  /** HB.interval in ms. Default 30000. */
  heartbeatInterval?: number;
  /**
   * Max.Burst (RFC 9260 6.1 D): packets of new data sent per SACK (credit adds up over a batch of
   * inputs). Default 4; 0 disables it.
   */
  maxBurst?: number;
  /** Delayed SACK timer in ms. Default 200. */
  delayedAckTime?: number;
  /** Valid.Cookie.Life in ms. Default 60000. */
  cookieLifetime?: number;
}

export interface SendOptions {
  unordered?: boolean;
  /** Partial reliability: at most this many retransmissions (RFC 3758 "rtx" policy). */
  maxRetransmits?: number;
  /** Partial reliability: give up after this many ms (RFC 3758 "timed" policy). */
  maxLifetime?: number;
}

export interface SctpStats {
  packetsSent: number;
  packetsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  dataChunksReceived: number;
  duplicateTsns: number;
  sacksSent: number;
  /** INIT chunks answered with an INIT ACK (RFC 9260 5.1): the peer is setting the association up. */
  initAcksSent: number;
  /** Inputs dropped, by reason. */
  dropped: Record<string, number>;
  /** The sending side: DATA chunks sent, retransmissions (fast and on T3), abandoned messages. */
  sending: SenderStats;
  /** Path MTU discovery: the current PLPMTU, probes sent and acknowledged, black holes detected. */
  pmtu: PathMtuStats;
}

export type ResolvedOptions = Required<Omit<SctpOptions, "random">>;

/** Fills in defaults. */
export function resolveOptions(o: SctpOptions): ResolvedOptions {
  return {
    localPort: o.localPort ?? 5000,
    remotePort: o.remotePort ?? 5000,
    mtu: o.mtu ?? 1140,
    pmtud: o.pmtud ?? true,
    maxPacketSize: o.maxPacketSize ?? 16384,
    maxMessageSize: o.maxMessageSize ?? 262144,
    maxSendMessageSize: o.maxSendMessageSize ?? 0xffffffff,
    outboundStreams: o.outboundStreams ?? 65535,
    inboundStreams: o.inboundStreams ?? 65535,
    receiveWindow: o.receiveWindow ?? 2 * 1024 * 1024,
    iData: o.iData ?? true,
    zeroChecksum: o.zeroChecksum ?? true,
    rtoInitial: o.rtoInitial ?? 1000,
    rtoMin: o.rtoMin ?? 200,
    rtoMax: o.rtoMax ?? 10000,
    maxRetransmissions: o.maxRetransmissions ?? 10,
    maxInitRetransmits: o.maxInitRetransmits ?? 8,
    heartbeatInterval: o.heartbeatInterval ?? 30000,
    delayedAckTime: o.delayedAckTime ?? 200,
    maxBurst: o.maxBurst ?? 4,
    cookieLifetime: o.cookieLifetime ?? 60000,
  };
}
