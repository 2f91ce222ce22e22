// petrel/rtp: RTP packets (RFC 3550) with RFC 8285 header extensions and the extension values
// WebRTC uses; RTCP compound and reduced-size packets (RFC 3550, 5506): SR, RR, SDES, BYE, APP,
// generic NACK and PLI (RFC 4585), FIR (RFC 5104), REMB, transport-wide congestion control
// feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01) and XR RRT/DLRR (RFC 3611).
//
//   const p = parseRtp(datagram);          // a view: p.payload is a subarray, nothing copied
//   const mid = getRtpExtension(p, 4);     // then decodeStringExtension(mid)
//   const bytes = serializeRtp({ payloadType: 96, sequenceNumber, timestamp, ssrc, payload,
//                                extensions: [{ id: 4, data: encodeStringExtension("0") }] });
//   const packets = parseRtcp(datagram);   // RtcpPacket[] | undefined, tagged by `type`
export { RtpError } from "./errors.js";
export {
  type AudioLevel,
  absSendTimeFromMs,
  absSendTimeToMs,
  decodeAbsSendTime,
  decodeAudioLevel,
  decodeStringExtension,
  decodeTransportSequence,
  encodeAbsSendTime,
  encodeAudioLevel,
  encodeStringExtension,
  encodeTransportSequence,
  RTP_EXTENSION_URI,
} from "./extension-values.js";
export {
  findExtension,
  isOneByteProfile,
  isTwoByteProfile,
  listExtensions,
  ONE_BYTE_PROFILE,
  type RtpHeaderExtension,
  TWO_BYTE_PROFILE,
  walkExtensions,
} from "./extensions.js";
export {
  getRtpExtension,
  getRtpExtensions,
  isRtcpPacket,
  parseRtp,
  type RtpPacket,
  type RtpPacketInit,
  serializeRtp,
  setRtpExtensionInPlace,
  sizeRtp,
  writeRtp,
} from "./packet.js";
export {
  type AppPacket,
  type Goodbye,
  parseRtcp,
  type ReceiverReport,
  type ReportBlock,
  RTCP_APP,
  RTCP_BYE,
  RTCP_RR,
  RTCP_SDES,
  RTCP_SR,
  type RtcpPacket,
  SDES_CNAME,
  type SdesChunk,
  type SdesItem,
  type SenderReport,
  type SourceDescription,
  serializeRtcp,
  sizeRtcp,
  sizeRtcpPacket,
  type UnknownRtcp,
  writeRtcp,
  writeRtcpPacket,
} from "./rtcp.js";
export {
  type FirEntry,
  FMT_AFB,
  FMT_FIR,
  FMT_NACK,
  FMT_PLI,
  FMT_TWCC,
  type FullIntraRequest,
  type GenericNack,
  type NackItem,
  nackItemsFromLost,
  nackLostSequences,
  type OtherFeedback,
  type PictureLossIndication,
  PSFB,
  type Remb,
  RTPFB,
} from "./rtcp-feedback.js";
export {
  buildTwccFeedback,
  type TransportFeedback,
  TWCC_LARGE_DELTA,
  TWCC_NOT_RECEIVED,
  TWCC_REFERENCE_US,
  TWCC_SMALL_DELTA,
  TWCC_TICK_US,
  type TwccArrival,
  type TwccPacketStatus,
  type TwccStatus,
  twccArrivals,
} from "./twcc.js";
export {
  type DlrrSubBlock,
  type ExtendedReport,
  isDlrr,
  isRrt,
  XR,
  XR_DLRR,
  XR_RRT,
  type XrBlock,
  type XrDlrr,
  type XrOtherBlock,
  type XrReceiverReferenceTime,
} from "./xr.js";
