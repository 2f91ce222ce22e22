// G.711 over RTP (RFC 3551 sections 4.5.14 and 6: PCMU payload type 0, PCMA 8, 8 kHz clock, one
// byte per sample, 20 ms = 160 samples by default), and the G.711 companding itself (ITU-T G.711
// mu-law and A-law, applied to 16-bit linear PCM) for bots that make or play raw audio.
import { codecError } from "./errors.js";
import { type CodecPayloader, WholeFrameDepayloader } from "./payload.js";

export const G711_CLOCK_RATE = 8000;
export const PCMU_PAYLOAD_TYPE = 0;
export const PCMA_PAYLOAD_TYPE = 8;
/** Samples in a 20 ms frame. */
export const G711_FRAME_SAMPLES = 160;

const MULAW_BIAS = 0x84;
const MULAW_CLIP = 32635;

/** Position of the highest set bit of v (v >= 1). */
function log2(v: number): number {
  return 31 - Math.clz32(v);
}

/** One 16-bit linear sample to a mu-law byte. */
export function linearToMulaw(sample: number): number {
  let s = sample | 0;
  let sign = 0;
  if (s < 0) {
    sign = 0x80;
    s = -s;
  }
  if (s > MULAW_CLIP) s = MULAW_CLIP;
  s += MULAW_BIAS;
  const exponent = log2(s) - 7;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** One 16-bit linear sample to an A-law byte. */
export function linearToAlaw(sample: number): number {
  let s = sample | 0;
  let mask = 0xd5;
  if (s < 0) {
    mask = 0x55;
    s = -s;
  }
  if (s > 32767) s = 32767;
  let a: number;
  if (s < 256) a = s >> 4;
  else {
    const exponent = log2(s) - 7;
    a = (exponent << 4) | ((s >> (exponent + 3)) & 0x0f);
  }
  return a ^ mask;
}

function mulawToLinearSlow(u: number): number {
  u = ~u & 0xff;
  const exponent = (u >> 4) & 7;
  const magnitude = ((((u & 0x0f) << 3) + MULAW_BIAS) << exponent) - MULAW_BIAS;
  return u & 0x80 ? -magnitude : magnitude;
}

function alawToLinearSlow(a: number): number {
  a ^= 0x55;
  const segment = (a & 0x70) >> 4;
  let t = (a & 0x0f) << 4;
  if (segment === 0) t += 8;
  else t = (t + 0x108) << (segment - 1);
  return a & 0x80 ? t : -t;
}

const MULAW_TABLE = new Int16Array(256);
const ALAW_TABLE = new Int16Array(256);
for (let i = 0; i < 256; i++) {
  MULAW_TABLE[i] = mulawToLinearSlow(i);
  ALAW_TABLE[i] = alawToLinearSlow(i);
}

export function mulawToLinear(u: number): number {
  return MULAW_TABLE[u & 0xff]!;
}
export function alawToLinear(a: number): number {
  return ALAW_TABLE[a & 0xff]!;
}

export type G711Law = "pcmu" | "pcma";

/** Encodes 16-bit linear PCM samples to G.711 bytes (into `out` when given). */
export function encodeG711(law: G711Law, samples: Int16Array, out = new Uint8Array(samples.length)): Uint8Array {
  if (out.length < samples.length) throw codecError("ERR_CODEC_BUFFER", "output shorter than input");
  const n = samples.length;
  if (law === "pcmu") for (let i = 0; i < n; i++) out[i] = linearToMulaw(samples[i]!);
  else for (let i = 0; i < n; i++) out[i] = linearToAlaw(samples[i]!);
  return out.length === n ? out : out.subarray(0, n);
}

/** Decodes G.711 bytes to 16-bit linear PCM samples (into `out` when given). */
export function decodeG711(law: G711Law, bytes: Uint8Array, out = new Int16Array(bytes.length)): Int16Array {
  if (out.length < bytes.length) throw codecError("ERR_CODEC_BUFFER", "output shorter than input");
  const table = law === "pcmu" ? MULAW_TABLE : ALAW_TABLE;
  const n = bytes.length;
  for (let i = 0; i < n; i++) out[i] = table[bytes[i]!]!;
  return out.length === n ? out : out.subarray(0, n);
}

/**
 * Splits G.711 samples into frames of `frameSamples` (default 160 = 20 ms; views, no copy). The
 * last frame may be shorter. Frame i starts at media time i * frameSamples ticks.
 */
export function splitG711Frames(bytes: Uint8Array, frameSamples = G711_FRAME_SAMPLES): Uint8Array[] {
  if (!Number.isInteger(frameSamples) || frameSamples < 1) throw codecError("ERR_CODEC_OPTIONS", "bad frame size");
  const out: Uint8Array[] = [];
  for (let o = 0; o < bytes.length; o += frameSamples) out.push(bytes.subarray(o, o + frameSamples));
  return out;
}

/** One frame of samples per RTP payload (RFC 3551 4.5.14: 20 ms frames by default). */
export class G711Payloader implements CodecPayloader {
  readonly clockRate = G711_CLOCK_RATE;
  readonly video = false;
  payload(frame: Uint8Array, maxPayloadSize: number): Uint8Array[] {
    if (frame.length === 0) throw codecError("ERR_CODEC_EMPTY_FRAME", "empty G.711 frame");
    if (frame.length > maxPayloadSize)
      throw codecError("ERR_CODEC_FRAME_TOO_LARGE", "G.711 frame over maxPayloadSize: split it with splitG711Frames");
    return [frame];
  }
}

export class G711Depayloader extends WholeFrameDepayloader {
  constructor() {
    super(G711_CLOCK_RATE);
  }
}
