// petrel/ice: a sans-IO ICE agent (RFC 8445, trickle RFC 8838, consent RFC 7675, SDP candidate
// grammar RFC 8839). Create an IceAgent, feed it local socket addresses, remote credentials and
// candidates, and run it like every Petrel core (handleDatagram / handleTimeout / pollTransmit /
// pollEvent / nextTimeout); the driver in petrel/net or the test simulator does that.
//
//   const agent = new IceAgent({ controlling: true, stunServers: [{ address: "192.0.2.10", port: 3478 }] });
//   const driver = new UdpDriver(agent, {
//     onBound: (b, now) => agent.addLocalAddress(b.address, now),
//     onEvent: (e) => {
//       if (e.type === "candidate") signal({ candidate: e.line });          // trickle to the peer
//       if (e.type === "gathering-state" && e.state === "complete") signal({ candidate: null });
//       if (e.type === "state") console.log("ICE", e.state);                // RTCIceTransportState
//       if (e.type === "candidate-error") console.warn(e.url, e.code, e.text); // 300-699 or 701
//       if (e.type === "data") onDatagram(e.data);                          // DTLS/RTP from the peer
//     },
//   });
//   await driver.start();
//   agent.endOfLocalAddresses(driver.now());
//   // from signaling:
//   agent.setRemoteCredentials(ufrag, pwd, driver.now());
//   agent.addRemoteCandidate(line /* or null */, driver.now());
//   driver.kick();
//   // once "connected": agent.send(bytes); driver.kick();
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
  StunServerAddress,
} from "./types.js";
