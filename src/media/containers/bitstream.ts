// Small peeks into codec bitstreams that containers need but do not carry: whether a frame is a
// keyframe (VP8: RFC 6386 9.1 frame tag; VP9: uncompressed header of the VP9 bitstream spec 6.2;
// AV1: OBU headers, AV1 spec 5.3 and 5.9; H.264: nal_unit_type 5, ITU-T H.264 7.4.1) and how many
// 48 kHz samples an Opus packet holds (RFC 6716 3.1, the TOC byte).
import type { VideoCodec } from "./types.js";

/** VP8: the frame tag's bit 0 is 0 on a key frame (RFC 6386 section 9.1). */
export function isVp8Keyframe(frame: Uint8Array): boolean {
  return frame.length >= 3 && (frame[0]! & 1) === 0;
}

/** VP9: frame_marker, profile, show_existing_frame, frame_type (0 = KEY_FRAME). */
export function isVp9Keyframe(frame: Uint8Array): boolean {
  if (frame.length < 1) return false;
  const b = frame[0]!;
  if (b >> 6 !== 2) return false; // frame_marker
  const profile = ((b >> 5) & 1) | (((b >> 4) & 1) << 1);
  let bit = 4; // next bit index from the MSB of byte 0 (0-based): marker 0-1, profile 2-3
  if (profile === 3) bit++; // reserved_zero
  const showExisting = (b >> (7 - bit)) & 1;
  if (showExisting) return false;
  bit++;
  const frameType = (b >> (7 - bit)) & 1;
  return frameType === 0;
}

const OBU_SEQUENCE_HEADER = 1;
const OBU_FRAME_HEADER = 3;
const OBU_FRAME = 6;

/**
 * AV1: a temporal unit starting a coded video sequence carries a sequence header; otherwise the
 * first frame header's frame_type says KEY_FRAME (when show_existing_frame is 0). Only OBUs with
 * size fields (the "low overhead bitstream format" of IVF, WebM and RTP) are walked.
 */
export function isAv1Keyframe(tu: Uint8Array): boolean {
  let o = 0;
  while (o < tu.length) {
    const h = tu[o]!;
    const type = (h >> 3) & 15;
    const ext = (h >> 2) & 1;
    const hasSize = (h >> 1) & 1;
    let p = o + 1 + ext;
    let size = tu.length - p;
    if (hasSize) {
      size = 0;
      let shift = 0;
      for (let i = 0; i < 8; i++) {
        if (p >= tu.length) return false;
        const v = tu[p++]!;
        size += (v & 0x7f) * 2 ** shift;
        shift += 7;
        if ((v & 0x80) === 0) break;
      }
    }
    if (type === OBU_SEQUENCE_HEADER) return true;
    if ((type === OBU_FRAME || type === OBU_FRAME_HEADER) && p < tu.length && size > 0) {
      const b = tu[p]!;
      const showExisting = b >> 7;
      return showExisting === 0 && ((b >> 5) & 3) === 0;
    }
    o = p + size;
  }
  return false;
}

export function isVideoKeyframe(codec: VideoCodec, frame: Uint8Array): boolean {
  if (codec === "VP8") return isVp8Keyframe(frame);
  if (codec === "VP9") return isVp9Keyframe(frame);
  return isAv1Keyframe(frame);
}

const CELT_SAMPLES = [120, 240, 480, 960];
const SILK_SAMPLES = [480, 960, 1920, 2880];

/** Samples per frame at 48 kHz for an Opus TOC byte's configuration (RFC 6716 table 2). */
export function opusFrameSamples(toc: number): number {
  const config = toc >> 3;
  if (config < 12) return SILK_SAMPLES[config & 3]!;
  if (config < 16) return (config & 1) === 0 ? 480 : 960;
  return CELT_SAMPLES[config & 3]!;
}

/** Samples at 48 kHz in one Opus packet (RFC 6716 3.1, 3.2), or 0 for a malformed packet. */
export function opusPacketSamples(packet: Uint8Array): number {
  if (packet.length < 1) return 0;
  const toc = packet[0]!;
  const code = toc & 3;
  let frames: number;
  if (code === 0) frames = 1;
  else if (code !== 3) frames = 2;
  else {
    if (packet.length < 2) return 0;
    frames = packet[1]! & 0x3f;
  }
  const samples = frames * opusFrameSamples(toc);
  return samples > 5760 ? 0 : samples; // at most 120 ms
}
