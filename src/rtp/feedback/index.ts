// petrel/rtp feedback: the sans-IO RTP feedback chain a media session drives (RFC 3550 reports
// and statistics, RFC 4585 NACK/PLI, RFC 5104 FIR, RFC 4588 RTX, RFC 3611 XR RTT,
// draft-holmer-rmcat-transport-wide-cc-extensions-01 feedback). One object, one deadline:
//
//   const chain = new RtpFeedbackChain({ localSsrc, cname, random: cryptoRandom(),
//     ntpOffsetMs: ntpOffsetFor(Date.now(), monotonicNow()), rtxPayloadTypes: { 97: 96 },
//     transportCcExtensionId: 3 });
//   chain.addSendStream({ ssrc, clockRate: 90000, rtx: { ssrc: rtxSsrc, payloadTypes: new Map([[96, 97]]) } });
//   chain.addReceiveStream({ ssrc: remoteSsrc, clockRate: 90000, rtxSsrc: remoteRtxSsrc });
//   chain.handleOutgoingRtp(packet, now);          // before SRTP protect: stamps TWCC, keeps history
//   const media = chain.handleRtp(datagram, now);  // after SRTP unprotect: RTX unwrapped, or undefined
//   chain.handleRtcp(datagram, now);
//   then drain pollRtcp(), pollRtp() (retransmissions), pollEvent(), and re-arm at nextTimeout().
export {
  type DeliveryEstimate,
  DeliveryEstimator,
  type DeliveryEstimatorOptions,
  type DeliveryStats,
} from "./bandwidth.js";
export { type FeedbackStats, RtpFeedbackChain, type RtpFeedbackOptions } from "./chain.js";
export { deterministicInterval, type RtcpIntervalInput, rtcpInterval } from "./interval.js";
export { type KeyframeMethod, KeyframeRequester } from "./keyframe.js";
export { NackGenerator, type NackOptions, type NackStats } from "./nack.js";
export { compactFromMs, compactNtpFromMs, msFromNtp, NTP_UNIX_OFFSET_MS, ntpFromMs, ntpOffsetFor } from "./ntp.js";
export type { FeedbackEvent, OutputDrops } from "./output.js";
export {
  type InboundStats,
  type MediaKind,
  type ReceiveDrops,
  ReceiveSide,
  type ReceiveStreamConfig,
} from "./receiver.js";
export { type InboundCounters, ReceptionStatistics, type SequenceVerdict } from "./reception.js";
export { unwrapRtx, wrapRtx } from "./rtx.js";
export { type ResendRefusal, SendHistory, type SendHistoryOptions } from "./send-history.js";
export {
  type OutboundStats,
  type RemoteInboundStats,
  type SendDrops,
  SendSide,
  type SendStreamConfig,
} from "./sender.js";
export { extendSequence, SequenceUnwrapper } from "./sequence.js";
export { TwccRecorder, type TwccRecorderOptions, type TwccRecorderStats } from "./twcc-recorder.js";
