// petrel/media codecs: RTP payload formats with packetizers and frame-assembling depacketizers.
// Opus (RFC 7587), G.711 PCMU/PCMA (RFC 3551) with mu-law/A-law companding, VP8 (RFC 7741),
// VP9 (RFC 9628), H.264 (RFC 6184, packetization-mode 0 and 1) and AV1 (AV1 RTP payload spec).
//
//   const tx = new RtpPacketizer({ payloader: new Vp8Payloader(), payloadType: 96, ssrc, random });
//   for (const p of tx.packetize(frame, captureMs * 90)) send(serializeRtp(p));
//
//   const rx = new RtpDepacketizer(new Vp8Depayloader());
//   rx.push(parseRtp(datagram)!, now);          // also call rx.handleTimeout(now) at rx.nextTimeout()
//   for (let e; (e = rx.pollEvent()); ) {
//     if (e.type === "frame") decode(e.frame.data, e.frame.keyframe);
//     else if (e.type === "keyframe-needed") sendPli();
//   }
export type { EncodedFrame, ReceivedFrame } from "../frame.js";
export {
  AV1_CLOCK_RATE,
  Av1Depayloader,
  Av1Payloader,
  isAv1Keyframe,
  OBU_FRAME,
  OBU_FRAME_HEADER,
  OBU_METADATA,
  OBU_PADDING,
  OBU_REDUNDANT_FRAME_HEADER,
  OBU_SEQUENCE_HEADER,
  OBU_TEMPORAL_DELIMITER,
  OBU_TILE_GROUP,
  OBU_TILE_LIST,
  type Obu,
  parseObus,
  readLeb128,
  sizeLeb128,
  writeLeb128,
} from "./av1.js";
export {
  type DepacketizerEvent,
  type DepacketizerStats,
  type DropReason,
  RtpDepacketizer,
  type RtpDepacketizerOptions,
  type RtpPacketLike,
} from "./depacketizer.js";
export { CodecError } from "./errors.js";
export {
  alawToLinear,
  decodeG711,
  encodeG711,
  G711_CLOCK_RATE,
  G711_FRAME_SAMPLES,
  G711Depayloader,
  type G711Law,
  G711Payloader,
  linearToAlaw,
  linearToMulaw,
  mulawToLinear,
  PCMA_PAYLOAD_TYPE,
  PCMU_PAYLOAD_TYPE,
  splitG711Frames,
} from "./g711.js";
export {
  H264_CLOCK_RATE,
  H264Depayloader,
  H264Payloader,
  type H264PayloaderOptions,
  joinAnnexB,
  NAL_AUD,
  NAL_FU_A,
  NAL_IDR,
  NAL_PPS,
  NAL_SEI,
  NAL_SLICE,
  NAL_SPS,
  NAL_STAP_A,
  nalType,
  splitAnnexB,
} from "./h264.js";
export {
  OPUS_CLOCK_RATE,
  OpusDepayloader,
  OpusPayloader,
  opusFrameCount,
  opusFrameSamples,
  opusPacketSamples,
} from "./opus.js";
export { DEFAULT_MAX_PAYLOAD_SIZE, RtpPacketizer, type RtpPacketizerOptions } from "./packetizer.js";
export {
  type AssembledFrame,
  type CodecDepayloader,
  type CodecPayloader,
  PKT_END,
  PKT_MALFORMED,
  PKT_NOT_START,
  PKT_START,
  WholeFrameDepayloader,
} from "./payload.js";
export { createDepayloader, createPayloader, isSupportedCodec, parseFmtp, SUPPORTED_CODECS } from "./registry.js";
export {
  isVp8Keyframe,
  parseVp8Descriptor,
  sizeVp8Descriptor,
  VP8_CLOCK_RATE,
  Vp8Depayloader,
  type Vp8Descriptor,
  type Vp8DescriptorInit,
  Vp8Payloader,
  type Vp8PayloaderOptions,
  writeVp8Descriptor,
} from "./vp8.js";
export {
  isVp9Keyframe,
  parseVp9Descriptor,
  parseVp9FrameHeader,
  sizeVp9Descriptor,
  VP9_CLOCK_RATE,
  Vp9Depayloader,
  type Vp9Descriptor,
  type Vp9DescriptorInit,
  type Vp9FrameHeader,
  Vp9Payloader,
  type Vp9PayloaderOptions,
  type Vp9PictureGroupEntry,
  type Vp9ScalabilityStructure,
  writeVp9Descriptor,
} from "./vp9.js";
