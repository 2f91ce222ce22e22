// Opus over RTP (RFC 7587): one Opus packet per RTP payload, 48 kHz RTP clock whatever the
// coded bandwidth (section 4.1), no fragmentation (4.2). Also reads the TOC byte (RFC 6716
// section 3.1) to tell how many samples a packet holds, for timestamp bookkeeping.
import { codecError } from "./errors.js";
import { type CodecPayloader, WholeFrameDepayloader } from "./payload.js";

export const OPUS_CLOCK_RATE = 48000;

/** Frame durations of the 32 TOC configurations (RFC 6716 3.1, table 2) in 48 kHz samples. */
const CONFIG_SAMPLES = [
  480, 960, 1920, 2880, 480, 960, 1920, 2880, 480, 960, 1920, 2880, 480, 960, 480, 960, 120, 240, 480, 960, 120, 240,
  480, 960, 120, 240, 480, 960, 120, 240, 480, 960,
];

/** Samples per frame (48 kHz) of a TOC byte's configuration (RFC 6716 3.1, table 2). */
export function opusFrameSamples(toc: number): number {
  return CONFIG_SAMPLES[(toc & 0xff) >>> 3]!;
}

/** Number of frames in an Opus packet (RFC 6716 3.1-3.2), or 0 when malformed. */
export function opusFrameCount(packet: Uint8Array): number {
  if (packet.length < 1) return 0;
  const c = packet[0]! & 3;
  if (c === 0) return 1;
  if (c !== 3) return 2;
  if (packet.length < 2) return 0;
  const m = packet[1]! & 0x3f;
  return m === 0 ? 0 : m;
}

/** Duration of an Opus packet in 48 kHz samples (0 when malformed or over 120 ms, RFC 6716 3.2.5). */
export function opusPacketSamples(packet: Uint8Array): number {
  const frames = opusFrameCount(packet);
  if (frames === 0) return 0;
  const samples = frames * opusFrameSamples(packet[0]!);
  return samples > 5760 ? 0 : samples;
}

export class OpusPayloader implements CodecPayloader {
  readonly clockRate = OPUS_CLOCK_RATE;
  readonly video = false;
  payload(frame: Uint8Array, maxPayloadSize: number): Uint8Array[] {
    if (frame.length === 0) throw codecError("ERR_CODEC_EMPTY_FRAME", "empty Opus packet");
    if (frame.length > maxPayloadSize)
      throw codecError("ERR_CODEC_FRAME_TOO_LARGE", `Opus packet of ${frame.length} bytes over ${maxPayloadSize}`);
    return [frame];
  }
}

export class OpusDepayloader extends WholeFrameDepayloader {
  constructor() {
    super(OPUS_CLOCK_RATE);
  }
}
