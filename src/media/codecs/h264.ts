// H.264 over RTP (RFC 6184): single NAL unit packets (5.6), STAP-A aggregation (5.7.1) and FU-A
// fragmentation (5.8) for packetization-mode 0 (single NAL only) and 1 (non-interleaved), the
// Annex B byte stream (ITU-T H.264 Annex B) split/join helpers, SPS/PPS repeated before an IDR
// that comes without them, and key frame = an access unit with an IDR slice (NAL type 5).
import { codecError } from "./errors.js";
import {
  type AssembledFrame,
  type CodecDepayloader,
  type CodecPayloader,
  PKT_MALFORMED,
  PKT_NOT_START,
  PKT_START,
} from "./payload.js";

export const H264_CLOCK_RATE = 90000;
export const NAL_SLICE = 1;
export const NAL_IDR = 5;
export const NAL_SEI = 6;
export const NAL_SPS = 7;
export const NAL_PPS = 8;
export const NAL_AUD = 9;
export const NAL_STAP_A = 24;
export const NAL_FU_A = 28;

/** The NAL units of an Annex B byte stream (views; start codes and trailing zero bytes removed). */
export function splitAnnexB(b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const n = b.length;
  let start = -1;
  let i = 0;
  while (i + 2 < n) {
    if (b[i + 2]! > 1) i += 3;
    else if (b[i] === 0 && b[i + 1] === 0 && b[i + 2] === 1) {
      if (start >= 0) pushNal(out, b, start, i);
      start = i + 3;
      i += 3;
    } else i++;
  }
  if (start >= 0) pushNal(out, b, start, n);
  return out;
}

function pushNal(out: Uint8Array[], b: Uint8Array, start: number, end: number): void {
  while (end > start && b[end - 1] === 0) end--;
  if (end > start) out.push(b.subarray(start, end));
}

/** An Annex B byte stream of the given NAL units, each after a 4-byte start code. */
export function joinAnnexB(nals: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const nal of nals) size += 4 + nal.length;
  const out = new Uint8Array(size);
  let o = 0;
  for (const nal of nals) {
    out[o + 3] = 1;
    out.set(nal, o + 4);
    o += 4 + nal.length;
  }
  return out;
}

/** The nal_unit_type of a NAL unit (its first byte's low 5 bits), or -1 for an empty one. */
export function nalType(nal: Uint8Array): number {
  return nal.length > 0 ? nal[0]! & 0x1f : -1;
}

export interface H264PayloaderOptions {
  /** 0: single NAL unit packets only; 1 (default): STAP-A and FU-A too. */
  packetizationMode?: 0 | 1;
  /** Send the last SPS/PPS again in front of an IDR access unit that lacks them (default true). */
  repeatParameterSets?: boolean;
}

/** Takes one access unit in Annex B form (see payloadNals for a NAL unit list). */
export class H264Payloader implements CodecPayloader {
  readonly clockRate = H264_CLOCK_RATE;
  readonly video = true;
  readonly packetizationMode: 0 | 1;
  private readonly repeat: boolean;
  private sps: Uint8Array | undefined;
  private pps: Uint8Array | undefined;

  constructor(opts: H264PayloaderOptions = {}) {
    this.packetizationMode = opts.packetizationMode ?? 1;
    this.repeat = opts.repeatParameterSets ?? true;
    this.sps = undefined;
    this.pps = undefined;
  }

  payload(frame: Uint8Array, maxPayloadSize: number): Uint8Array[] {
    return this.payloadNals(splitAnnexB(frame), maxPayloadSize);
  }

  payloadNals(input: readonly Uint8Array[], maxPayloadSize: number): Uint8Array[] {
    let nals = input.filter((x) => x.length > 0);
    if (nals.length === 0) throw codecError("ERR_CODEC_EMPTY_FRAME", "no NAL units in the H.264 access unit");
    if (maxPayloadSize < 3) throw codecError("ERR_CODEC_MTU", "maxPayloadSize too small for H.264");
    let hasSps = false;
    let hasPps = false;
    let idrAt = -1;
    for (let i = 0; i < nals.length; i++) {
      const t = nalType(nals[i]!);
      if (t === NAL_SPS) {
        hasSps = true;
        this.sps = Uint8Array.from(nals[i]!);
      } else if (t === NAL_PPS) {
        hasPps = true;
        this.pps = Uint8Array.from(nals[i]!);
      } else if (t === NAL_IDR && idrAt < 0) idrAt = i;
    }
    if (this.repeat && idrAt >= 0 && (!hasSps || !hasPps) && this.sps && this.pps) {
      const extra: Uint8Array[] = [];
      if (!hasSps) extra.push(this.sps);
      if (!hasPps) extra.push(this.pps);
      nals = [...nals.slice(0, idrAt), ...extra, ...nals.slice(idrAt)];
    }
    const out: Uint8Array[] = [];
    if (this.packetizationMode === 0) {
      for (const nal of nals) {
        if (nal.length > maxPayloadSize)
          throw codecError("ERR_CODEC_FRAME_TOO_LARGE", "NAL unit over maxPayloadSize in packetization-mode 0");
        out.push(nal);
      }
      return out;
    }
    let pending: Uint8Array[] = [];
    let pendingSize = 1;
    const flush = (): void => {
      if (pending.length === 1) out.push(pending[0]!);
      else if (pending.length > 1) out.push(stapA(pending, pendingSize));
      pending = [];
      pendingSize = 1;
    };
    for (const nal of nals) {
      if (nal.length > maxPayloadSize) {
        flush();
        fuA(nal, maxPayloadSize, out);
      } else if (pending.length > 0 && pendingSize + 2 + nal.length <= maxPayloadSize && nal.length <= 0xffff) {
        pending.push(nal);
        pendingSize += 2 + nal.length;
      } else {
        flush();
        pending.push(nal);
        pendingSize = 1 + 2 + nal.length;
      }
    }
    flush();
    return out;
  }
}

function stapA(nals: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let f = 0;
  let nri = 0;
  let o = 1;
  for (const nal of nals) {
    f |= nal[0]! & 0x80;
    nri = Math.max(nri, nal[0]! & 0x60);
    out[o] = nal.length >>> 8;
    out[o + 1] = nal.length;
    out.set(nal, o + 2);
    o += 2 + nal.length;
  }
  out[0] = f | nri | NAL_STAP_A;
  return out;
}

function fuA(nal: Uint8Array, max: number, out: Uint8Array[]): void {
  const body = nal.length - 1;
  const room = max - 2;
  const count = Math.ceil(body / room);
  const per = Math.ceil(body / count);
  const indicator = (nal[0]! & 0xe0) | NAL_FU_A;
  const type = nal[0]! & 0x1f;
  for (let k = 0, o = 1; k < count; k++, o += per) {
    const chunk = Math.min(per, nal.length - o);
    const buf = new Uint8Array(2 + chunk);
    buf[0] = indicator;
    buf[1] = (k === 0 ? 0x80 : 0) | (k === count - 1 ? 0x40 : 0) | type;
    buf.set(nal.subarray(o, o + chunk), 2);
    out.push(buf);
  }
}

/** Walks the NAL units of a STAP-A payload; returns false when its sizes do not add up. */
function walkStapA(p: Uint8Array, visit: ((nal: Uint8Array) => void) | undefined): boolean {
  let o = 1;
  let count = 0;
  while (o < p.length) {
    if (o + 2 > p.length) return false;
    const size = (p[o]! << 8) | p[o + 1]!;
    o += 2;
    if (size === 0 || o + size > p.length) return false;
    if (visit) visit(p.subarray(o, o + size));
    o += size;
    count++;
  }
  return count > 0;
}

/** Rebuilds access units in Annex B form (4-byte start codes). */
export class H264Depayloader implements CodecDepayloader {
  readonly clockRate = H264_CLOCK_RATE;
  readonly video = true;

  inspect(p: Uint8Array): number {
    if (p.length === 0) return PKT_MALFORMED;
    const t = p[0]! & 0x1f;
    if (t >= 1 && t <= 23) return t === NAL_AUD || t === NAL_SPS ? PKT_START : 0;
    if (t === NAL_STAP_A) {
      if (!walkStapA(p, undefined)) return PKT_MALFORMED;
      const first = p[3]! & 0x1f;
      return first === NAL_AUD || first === NAL_SPS ? PKT_START : 0;
    }
    if (t === NAL_FU_A) {
      if (p.length < 3) return PKT_MALFORMED;
      const h = p[1]!;
      if ((h & 0xc0) === 0xc0) return PKT_MALFORMED;
      return h & 0x80 ? 0 : PKT_NOT_START;
    }
    return PKT_MALFORMED; // 0, STAP-B, MTAP16/24, FU-B (interleaved mode only), 30, 31
  }

  assemble(payloads: readonly Uint8Array[], count: number): AssembledFrame | undefined {
    // Pass 1: validate and size.
    let size = 0;
    let inFu = false;
    let keyframe = false;
    for (let i = 0; i < count; i++) {
      const p = payloads[i]!;
      if (p.length === 0) return undefined;
      const t = p[0]! & 0x1f;
      if (t === NAL_FU_A) {
        if (p.length < 3) return undefined;
        const h = p[1]!;
        const start = (h & 0x80) !== 0;
        if (start === inFu) return undefined;
        if (start) {
          size += 5;
          if ((h & 0x1f) === NAL_IDR) keyframe = true;
        }
        size += p.length - 2;
        inFu = (h & 0x40) === 0;
        continue;
      }
      if (inFu) return undefined;
      if (t >= 1 && t <= 23) {
        size += 4 + p.length;
        if (t === NAL_IDR) keyframe = true;
      } else if (t === NAL_STAP_A) {
        let ok = true;
        const seen = walkStapA(p, (nal) => {
          size += 4 + nal.length;
          if ((nal[0]! & 0x1f) === NAL_IDR) keyframe = true;
          if ((nal[0]! & 0x1f) === 0) ok = false;
        });
        if (!seen || !ok) return undefined;
      } else return undefined;
    }
    if (inFu) return undefined;
    // Pass 2: write.
    const data = new Uint8Array(size);
    let o = 0;
    const put = (nal: Uint8Array): void => {
      data[o + 3] = 1;
      data.set(nal, o + 4);
      o += 4 + nal.length;
    };
    for (let i = 0; i < count; i++) {
      const p = payloads[i]!;
      const t = p[0]! & 0x1f;
      if (t === NAL_FU_A) {
        if (p[1]! & 0x80) {
          data[o + 3] = 1;
          data[o + 4] = (p[0]! & 0xe0) | (p[1]! & 0x1f);
          o += 5;
        }
        data.set(p.subarray(2), o);
        o += p.length - 2;
      } else if (t === NAL_STAP_A) walkStapA(p, put);
      else put(p);
    }
    return { data, keyframe };
  }
}
