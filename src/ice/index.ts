// petrel/ice: a sans-IO ICE agent (RFC 8445, trickle RFC 8838, consent RFC 7675, SDP candidate
// grammar RFC 8839). Create an IceAgent, feed it local socket addresses, remote credentials and
// candidates, and run it like every Petrel core (handleDatagram / handleTimeout / pollTransmit /
// pollEvent / nextTimeout); the driver in petrel/net or the test simulator does that.
export { IceAgent, IceAgentError } from "./agent.js";
export {
  type CandidateType,
  candidatePriority,
  formatCandidate,
  type IceCandidate,
  isMdnsName,
  isUdp,
  localPreference,
  parseCandidate,
  type TcpType,
  TYPE_PREFERENCE,
} from "./candidate.js";
export type {
  CandidatePairInfo,
  IceAgentOptions,
  IceAgentStats,
  IceEvent,
  IceGatheringState,
  IceTransportState,
  LocalAddressOptions,
  PairState,
  PairStats,
} from "./types.js";
