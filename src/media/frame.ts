// Encoded media frames: the unit a codec depacketizer hands out and a packetizer takes in, shared
// by the codecs (src/media/codecs/) and the containers (src/media/containers/). No RFC of its own;
// the bitstream forms are those of each codec's RTP payload format (see each codec file).

/**
 * One encoded frame. `data` is the codec's own bitstream:
 * - Opus: one Opus packet (RFC 6716); G.711: 8-bit samples, one per clock tick.
 * - VP8 / VP9: one frame as the encoder wrote it (for VP9 with several spatial layers, the layer
 *   frames of the picture one after the other).
 * - H.264: one access unit in Annex B form (each NAL unit after a 00 00 00 01 start code).
 * - AV1: one temporal unit in the low-overhead bitstream format (AV1 spec section 5: OBUs with
 *   obu_size), starting with a temporal delimiter OBU.
 */
export interface EncodedFrame {
  data: Uint8Array;
  /** RTP timestamp (clock-rate ticks, wrapping at 2^32). */
  timestamp: number;
  /** A frame the decoder can start from (VP8/VP9 key frame, H.264 IDR, AV1 new coded video sequence). */
  keyframe: boolean;
  /** How long it plays, in the same clock, when known (containers give it; RTP does not carry it). */
  duration?: number;
}

/** A frame assembled from RTP packets, with where it came from. */
export interface ReceivedFrame extends EncodedFrame {
  /** RTP sequence number of the first and last packet of the frame. */
  firstSequenceNumber: number;
  lastSequenceNumber: number;
  /** How many RTP packets carried it. */
  packets: number;
  /** `now` (ms) when the packet that completed the frame was pushed. */
  completedAt: number;
  /** The codec (e.g. "video/VP8", "audio/opus") when the depacketizer was told it. */
  mimeType?: string | undefined;
  /**
   * The sender's wallclock at this frame (NTP time in ms since 1900), mapped from its RTP
   * timestamp by the stream's latest RTCP sender report (RFC 3550 6.4.1); undefined before the
   * first one. Frames of different streams from one sender (its camera and microphone) line up on it.
   */
  senderTime?: number | undefined;
}
