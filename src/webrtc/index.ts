// The W3C WebRTC API (webrtc-pc) for Node.js: RTCPeerConnection, RTCDataChannel, the transports,
// descriptions, candidates, certificates, events and errors.
export { RTCIceCandidate, type RTCIceCandidateInit } from "./candidate.js";
export { RTCCertificate, type RTCDtlsFingerprint } from "./certificate.js";
export type {
  RTCBundlePolicy,
  RTCConfiguration,
  RTCIceServer,
  RTCIceTransportPolicy,
  RTCRtcpMuxPolicy,
} from "./configuration.js";
export { type BinaryType, RTCDataChannel, type RTCDataChannelInit, type RTCDataChannelState } from "./datachannel.js";
export {
  type RTCSdpType,
  RTCSessionDescription,
  type RTCSessionDescriptionInit,
  type RTCSignalingState,
} from "./description.js";
export type { DriverContext, DriverFactory, PeerDriver } from "./driver.js";
export { RTCDTMFSender, RTCDTMFToneChangeEvent } from "./dtmf.js";
export { RTCError, type RTCErrorDetailType, type RTCErrorInit } from "./errors.js";
export {
  MessageEventCtor as MessageEvent,
  RTCDataChannelEvent,
  RTCErrorEvent,
  RTCPeerConnectionIceErrorEvent,
  RTCPeerConnectionIceEvent,
} from "./events.js";
export { type RTCRtpTransceiverInit, RTCTrackEvent } from "./media-negotiation.js";
export { MediaStream, MediaStreamTrack, MediaStreamTrackEvent } from "./media-stream.js";
export {
  createPeerConnectionWith,
  type PeerConnectionInternals,
  type RTCIceConnectionState,
  type RTCIceGatheringState,
  type RTCOfferOptions,
  RTCPeerConnection,
  type RTCPeerConnectionState,
} from "./peerconnection.js";
export {
  type RTCRtpCapabilities,
  type RTCRtpCodec,
  type RTCRtpCodecParameters,
  type RTCRtpContributingSource,
  type RTCRtpEncodingParameters,
  RTCRtpReceiver,
  RTCRtpSender,
  type RTCRtpSendParameters,
  type RTCRtpSynchronizationSource,
  RTCRtpTransceiver,
} from "./rtp-transceiver.js";
export type { RTCStats, RTCStatsReport } from "./stats.js";
export {
  RTCDtlsTransport,
  type RTCIceCandidatePair,
  type RTCIceParameters,
  RTCIceTransport,
  RTCSctpTransport,
} from "./transports.js";
