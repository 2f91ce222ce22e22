// Public types of the ICE agent: options, events (plain tagged objects polled with pollEvent),
// the RTCIceTransportState and RTCIceGatheringState values (W3C webrtc-pc 5.6), and counters.
import type { TransportAddress } from "../address.js";
import type { Random } from "../random.js";
import type { IceCandidate } from "./candidate.js";

/** RTCIceTransportState. */
export type IceTransportState = "new" | "checking" | "connected" | "completed" | "disconnected" | "failed" | "closed";
/** RTCIceGatheringState. */
export type IceGatheringState = "new" | "gathering" | "complete";
/** RTCIceCandidatePairState (RFC 8445 6.1.2.6 pair states). */
export type PairState = "frozen" | "waiting" | "in-progress" | "succeeded" | "failed";

export interface IceAgentOptions {
  /** true if this agent starts as controlling (the offerer in JSEP). */
  controlling: boolean;
  /** Randomness for credentials, tie-breaker, transaction ids and timer jitter. Default cryptoRandom(). */
  random?: Random;
  /** Local credentials; generated when absent (4-character ufrag, 24-character password). */
  ufrag?: string;
  pwd?: string;
  /**
   * STUN servers for server-reflexive candidates (IP addresses; resolve names before). `url`, the
   * configured URL, names the server in candidate-error events (default `stun:<address>:<port>`).
   */
  stunServers?: StunServerAddress[];
  /**
   * ICE servers the agent cannot use at all (a turn: URL without a TURN client, a name that did
   * not resolve): each is reported once as a 701 candidate-error when gathering starts.
   */
  unusableServers?: { url: string; text: string }[];
  /**
   * First retransmission timeout of a server-reflexive Binding request, ms (default 500: sends at
   * 0, 500 and 1500 ms, the server counts as unreachable at 3500 ms).
   */
  gatherRto?: number;
  /** Pacing interval Ta between checks, ms (default 50). */
  ta?: number;
  /** First retransmission timeout of a connectivity check, ms (default 250). */
  checkRto?: number;
  /** Controlling side: how long after the first valid pair to wait for a better one before nominating, ms (default 500). */
  nominationDelay?: number;
  /** Mean consent-check interval, ms (default 5000; each interval is randomised by 0.8-1.2). */
  consentInterval?: number;
  /** An unanswered consent check older than this makes the state "disconnected", ms (default 2500). */
  disconnectedTimeout?: number;
  /** No consent response for this long makes the state "failed", ms (default 30000, RFC 7675). */
  consentTimeout?: number;
  /** With no end-of-candidates, all pairs failed for this long makes the state "failed", ms (default 30000). */
  failTimeout?: number;
  /** Maximum candidate pairs (default 100, RFC 8445 6.1.2.5). */
  maxPairs?: number;
  /** SOFTWARE attribute on responses (default none). */
  software?: string;
}

/** A STUN server as the agent uses it: an IP transport address and the URL it came from. */
export interface StunServerAddress extends TransportAddress {
  url?: string;
}

export interface LocalAddressOptions {
  /** Chrome-style network-id written on the candidate line. */
  networkId?: number;
  /** Chrome-style network-cost written on the candidate line. */
  networkCost?: number;
}

/** One side of a pair as seen by users (stats, getSelectedCandidatePair). */
export interface CandidatePairInfo {
  local: IceCandidate;
  remote: IceCandidate;
}

export type IceEvent =
  | { type: "candidate"; candidate: IceCandidate; line: string }
  | { type: "gathering-state"; state: IceGatheringState }
  | { type: "state"; state: IceTransportState }
  | { type: "selected-pair"; local: IceCandidate; remote: IceCandidate }
  /**
   * A pair became valid while none is selected: send() works from now on, on the best valid pair
   * (RFC 8445 12.1: data may flow on a valid pair before nomination completes).
   */
  | { type: "writable" }
  | { type: "data"; data: Uint8Array; from: TransportAddress }
  | { type: "mdns-query"; name: string }
  | { type: "role-change"; controlling: boolean }
  /**
   * A STUN server answered a gathering request with an error (`code` 300-699 and its reason
   * phrase), or could not be reached from any host candidate (`code` 701, once per server URL, while
   * gathering): webrtc-pc's icecandidateerror. `address`/`port` are the host candidate the request
   * left from.
   */
  | {
      type: "candidate-error";
      url: string;
      address: string | null;
      port: number | null;
      code: number;
      text: string;
    };

export interface IceAgentStats {
  checksSent: number;
  checksReceived: number;
  responsesSent: number;
  responsesReceived: number;
  consentRequestsSent: number;
  /** RTCIceTransportStats.selectedCandidatePairChanges. */
  selectedPairChanges: number;
  /** Application datagrams sent / received on the selected or a valid pair. */
  packetsSent: number;
  packetsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  /** Dropped input, by reason (bad-integrity, unknown-ufrag, not-stun, no-pair, ...). */
  dropped: Record<string, number>;
}

/** W3C RTCIceCandidatePairStats-like counters for one pair. */
export interface PairStats {
  id: string;
  /** The pair carrying data (RTCIceTransport's selected pair). */
  selected: boolean;
  state: PairState;
  nominated: boolean;
  local: IceCandidate;
  remote: IceCandidate;
  requestsSent: number;
  requestsReceived: number;
  responsesSent: number;
  responsesReceived: number;
  consentRequestsSent: number;
  packetsSent: number;
  packetsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  /** Seconds, as in W3C stats; undefined until a response arrived. */
  currentRoundTripTime: number | undefined;
  totalRoundTripTime: number;
  lastPacketSentTimestamp: number | undefined;
  lastPacketReceivedTimestamp: number | undefined;
}
