// VP9 over RTP (RFC 9628): the payload descriptor (section 4.2: I P L F B E V Z bits, 7/15-bit
// PictureID, layer indices TID/U/SID/D with TL0PICIDX in non-flexible mode, P_DIFF reference
// indices in flexible mode), the scalability structure (4.2.1: N_S, Y, G, resolutions, picture
// group), the VP9 uncompressed header fields a payloader needs (VP9 bitstream spec 6.2: frame
// type, frame size), a payloader (one spatial layer, flexible or non-flexible mode, SS with the
// resolution on key frames) and a depayloader (key frame = first layer frame with P=0 whose
// uncompressed header, when readable, says KEY_FRAME; the layer frames of a picture with several
// spatial layers are joined as a superframe, VP9 bitstream spec Annex B).
import { codecError } from "./errors.js";
import {
  type AssembledFrame,
  type CodecDepayloader,
  type CodecPayloader,
  PKT_MALFORMED,
  PKT_NOT_START,
  PKT_START,
} from "./payload.js";

export const VP9_CLOCK_RATE = 90000;

export interface Vp9PictureGroupEntry {
  temporalId: number;
  switchingUp: boolean;
  /** Reference P_DIFFs (0-3 entries). */
  pDiffs: number[];
}

export interface Vp9ScalabilityStructure {
  /** Number of spatial layers (N_S + 1). */
  spatialLayers: number;
  /** Per spatial layer, when Y is set. */
  resolutions?: { width: number; height: number }[];
  /** Picture group description, when G is set. */
  pictureGroup?: Vp9PictureGroupEntry[];
}

export interface Vp9Descriptor {
  /** P: inter-picture predicted. */
  interPicturePredicted: boolean;
  /** F: flexible mode. */
  flexible: boolean;
  /** B: start of a (layer) frame. */
  beginningOfFrame: boolean;
  /** E: end of a (layer) frame. */
  endOfFrame: boolean;
  /** Z: not a reference for upper spatial layers. */
  notRefForUpperLayers: boolean;
  pictureId: number;
  pictureIdBits: 7 | 15;
  /** Layer indices (L bit) or -1. */
  temporalId: number;
  switchingUp: boolean;
  spatialId: number;
  interLayerDependency: boolean;
  /** Non-flexible mode with L: TL0PICIDX, else -1. */
  tl0PicIdx: number;
  /** Flexible mode with P: reference P_DIFFs. */
  pDiffs: number[];
  ss: Vp9ScalabilityStructure | undefined;
  length: number;
}

/** Parses the VP9 payload descriptor (and SS) at the start of an RTP payload. */
export function parseVp9Descriptor(p: Uint8Array): Vp9Descriptor | undefined {
  const n = p.length;
  if (n < 1) return undefined;
  const b0 = p[0]!;
  const d: Vp9Descriptor = {
    interPicturePredicted: (b0 & 0x40) !== 0,
    flexible: (b0 & 0x10) !== 0,
    beginningOfFrame: (b0 & 0x08) !== 0,
    endOfFrame: (b0 & 0x04) !== 0,
    notRefForUpperLayers: (b0 & 0x01) !== 0,
    pictureId: -1,
    pictureIdBits: 7,
    temporalId: -1,
    switchingUp: false,
    spatialId: -1,
    interLayerDependency: false,
    tl0PicIdx: -1,
    pDiffs: [],
    ss: undefined,
    length: 1,
  };
  let o = 1;
  if (b0 & 0x80) {
    if (o >= n) return undefined;
    if (p[o]! & 0x80) {
      if (o + 1 >= n) return undefined;
      d.pictureId = ((p[o]! & 0x7f) << 8) | p[o + 1]!;
      d.pictureIdBits = 15;
      o += 2;
    } else d.pictureId = p[o++]! & 0x7f;
  }
  if (b0 & 0x20) {
    if (o >= n) return undefined;
    const l = p[o++]!;
    d.temporalId = l >>> 5;
    d.switchingUp = (l & 0x10) !== 0;
    d.spatialId = (l >>> 1) & 7;
    d.interLayerDependency = (l & 1) !== 0;
    if (!d.flexible) {
      if (o >= n) return undefined;
      d.tl0PicIdx = p[o++]!;
    }
  }
  if (d.flexible && d.interPicturePredicted) {
    for (;;) {
      if (o >= n || d.pDiffs.length === 3) return undefined;
      const r = p[o++]!;
      d.pDiffs.push(r >>> 1);
      if ((r & 1) === 0) break;
    }
  }
  if (b0 & 0x02) {
    if (o >= n) return undefined;
    const s = p[o++]!;
    const ss: Vp9ScalabilityStructure = { spatialLayers: (s >>> 5) + 1 };
    if (s & 0x10) {
      if (o + 4 * ss.spatialLayers > n) return undefined;
      ss.resolutions = [];
      for (let i = 0; i < ss.spatialLayers; i++, o += 4)
        ss.resolutions.push({ width: (p[o]! << 8) | p[o + 1]!, height: (p[o + 2]! << 8) | p[o + 3]! });
    }
    if (s & 0x08) {
      if (o >= n) return undefined;
      const ng = p[o++]!;
      ss.pictureGroup = [];
      for (let i = 0; i < ng; i++) {
        if (o >= n) return undefined;
        const g = p[o++]!;
        const r = (g >>> 2) & 3;
        if (o + r > n) return undefined;
        const pDiffs: number[] = [];
        for (let k = 0; k < r; k++) pDiffs.push(p[o++]!);
        ss.pictureGroup.push({ temporalId: g >>> 5, switchingUp: (g & 0x10) !== 0, pDiffs });
      }
    }
    d.ss = ss;
  }
  d.length = o;
  return d;
}

export interface Vp9DescriptorInit {
  interPicturePredicted: boolean;
  flexible?: boolean;
  beginningOfFrame: boolean;
  endOfFrame: boolean;
  notRefForUpperLayers?: boolean;
  pictureId?: number;
  pictureIdBits?: 7 | 15;
  /** Layer indices: present when temporalId is given. */
  temporalId?: number;
  switchingUp?: boolean;
  spatialId?: number;
  interLayerDependency?: boolean;
  /** Non-flexible mode with layer indices (default 0). */
  tl0PicIdx?: number;
  /** Flexible mode with P: 1-3 reference P_DIFFs (1-127). */
  pDiffs?: number[];
  ss?: Vp9ScalabilityStructure;
}

export function sizeVp9Descriptor(d: Vp9DescriptorInit): number {
  let n = 1;
  if (d.pictureId !== undefined) n += (d.pictureIdBits ?? 15) === 15 ? 2 : 1;
  if (d.temporalId !== undefined) n += d.flexible ? 1 : 2;
  if (d.flexible && d.interPicturePredicted) n += Math.max(1, d.pDiffs?.length ?? 0);
  if (d.ss) {
    n += 1;
    if (d.ss.resolutions) n += 4 * d.ss.resolutions.length;
    if (d.ss.pictureGroup) {
      n += 1;
      for (const g of d.ss.pictureGroup) n += 1 + g.pDiffs.length;
    }
  }
  return n;
}

/** Writes a descriptor at `o`; returns the offset after it. Throws CodecError on impossible fields. */
export function writeVp9Descriptor(d: Vp9DescriptorInit, out: Uint8Array, o: number): number {
  const i = d.pictureId !== undefined;
  const l = d.temporalId !== undefined;
  const f = d.flexible === true;
  out[o++] =
    (i ? 0x80 : 0) |
    (d.interPicturePredicted ? 0x40 : 0) |
    (l ? 0x20 : 0) |
    (f ? 0x10 : 0) |
    (d.beginningOfFrame ? 0x08 : 0) |
    (d.endOfFrame ? 0x04 : 0) |
    (d.ss ? 0x02 : 0) |
    (d.notRefForUpperLayers ? 0x01 : 0);
  if (i) {
    const pid = d.pictureId!;
    if ((d.pictureIdBits ?? 15) === 15) {
      out[o++] = 0x80 | ((pid >>> 8) & 0x7f);
      out[o++] = pid & 0xff;
    } else out[o++] = pid & 0x7f;
  }
  if (l) {
    out[o++] =
      ((d.temporalId! & 7) << 5) |
      (d.switchingUp ? 0x10 : 0) |
      (((d.spatialId ?? 0) & 7) << 1) |
      (d.interLayerDependency ? 1 : 0);
    if (!f) out[o++] = (d.tl0PicIdx ?? 0) & 0xff;
  }
  if (f && d.interPicturePredicted) {
    const refs = d.pDiffs && d.pDiffs.length > 0 ? d.pDiffs : [1];
    if (refs.length > 3) throw codecError("ERR_CODEC_VP9", "at most 3 P_DIFFs");
    for (let k = 0; k < refs.length; k++) out[o++] = ((refs[k]! & 0x7f) << 1) | (k < refs.length - 1 ? 1 : 0);
  }
  if (d.ss) {
    const ss = d.ss;
    if (ss.spatialLayers < 1 || ss.spatialLayers > 8) throw codecError("ERR_CODEC_VP9", "1-8 spatial layers");
    if (ss.resolutions && ss.resolutions.length !== ss.spatialLayers)
      throw codecError("ERR_CODEC_VP9", "one resolution per spatial layer");
    out[o++] = ((ss.spatialLayers - 1) << 5) | (ss.resolutions ? 0x10 : 0) | (ss.pictureGroup ? 0x08 : 0);
    if (ss.resolutions)
      for (const r of ss.resolutions) {
        out[o++] = r.width >>> 8;
        out[o++] = r.width;
        out[o++] = r.height >>> 8;
        out[o++] = r.height;
      }
    if (ss.pictureGroup) {
      if (ss.pictureGroup.length > 255) throw codecError("ERR_CODEC_VP9", "at most 255 picture group entries");
      out[o++] = ss.pictureGroup.length;
      for (const g of ss.pictureGroup) {
        if (g.pDiffs.length > 3) throw codecError("ERR_CODEC_VP9", "at most 3 P_DIFFs per picture group entry");
        out[o++] = ((g.temporalId & 7) << 5) | (g.switchingUp ? 0x10 : 0) | (g.pDiffs.length << 2);
        for (const r of g.pDiffs) out[o++] = r;
      }
    }
  }
  return o;
}

export interface Vp9FrameHeader {
  profile: number;
  showExistingFrame: boolean;
  keyframe: boolean;
  /** Frame size, present on key frames. */
  width: number;
  height: number;
}

/** Reads the start of a VP9 uncompressed header (VP9 bitstream spec 6.2): frame type and key frame size. */
export function parseVp9FrameHeader(f: Uint8Array): Vp9FrameHeader | undefined {
  let bit = 0;
  const total = f.length * 8;
  const read = (n: number): number => {
    let v = 0;
    for (let k = 0; k < n; k++, bit++) {
      if (bit >= total) return -1;
      v = (v << 1) | ((f[bit >>> 3]! >>> (7 - (bit & 7))) & 1);
    }
    return v;
  };
  if (read(2) !== 2) return undefined;
  const lo = read(1);
  const hi = read(1);
  const profile = (hi << 1) | lo;
  if (profile === 3 && read(1) !== 0) return undefined;
  const showExisting = read(1);
  if (showExisting < 0) return undefined;
  const h: Vp9FrameHeader = { profile, showExistingFrame: showExisting === 1, keyframe: false, width: 0, height: 0 };
  if (showExisting === 1) return h;
  const frameType = read(1);
  if (frameType < 0 || read(2) < 0) return undefined; // show_frame, error_resilient_mode
  if (frameType !== 0) return h;
  if (read(24) !== 0x498342) return undefined;
  if (profile >= 2) read(1);
  const colorSpace = read(3);
  if (colorSpace !== 7) {
    read(1);
    if (profile === 1 || profile === 3) read(3);
  } else if (profile === 1 || profile === 3) read(1);
  const w = read(16);
  const hh = read(16);
  if (hh < 0) return undefined;
  h.keyframe = true;
  h.width = w + 1;
  h.height = hh + 1;
  return h;
}

/** Whether a VP9 frame is a key frame (frame_type 0 with a valid sync code, VP9 bitstream spec 6.2). */
export function isVp9Keyframe(frame: Uint8Array): boolean {
  const h = parseVp9FrameHeader(frame);
  return h?.keyframe === true;
}

export interface Vp9PayloaderOptions {
  /** Flexible mode (P_DIFF = 1 on inter frames) instead of non-flexible (default false). */
  flexible?: boolean;
  /** First PictureID (default 0; 15-bit). */
  initialPictureId?: number;
}

/** One spatial layer: each frame split over packets, SS with the resolution on key frames. */
export class Vp9Payloader implements CodecPayloader {
  readonly clockRate = VP9_CLOCK_RATE;
  readonly video = true;
  pictureId: number;
  private readonly flexible: boolean;

  constructor(opts: Vp9PayloaderOptions = {}) {
    this.flexible = opts.flexible ?? false;
    this.pictureId = (opts.initialPictureId ?? 0) & 0x7fff;
  }

  payload(frame: Uint8Array, maxPayloadSize: number): Uint8Array[] {
    if (frame.length === 0) throw codecError("ERR_CODEC_EMPTY_FRAME", "empty VP9 frame");
    const h = parseVp9FrameHeader(frame);
    const key = h?.keyframe === true;
    const d: Vp9DescriptorInit = {
      interPicturePredicted: !key,
      flexible: this.flexible,
      beginningOfFrame: true,
      endOfFrame: false,
      pictureId: this.pictureId,
      pictureIdBits: 15,
    };
    this.pictureId = (this.pictureId + 1) & 0x7fff;
    const ss: Vp9ScalabilityStructure | undefined = key
      ? { spatialLayers: 1, resolutions: [{ width: h!.width, height: h!.height }] }
      : undefined;
    const firstHead = sizeVp9Descriptor({ ...d, ss });
    const head = sizeVp9Descriptor(d);
    if (maxPayloadSize - firstHead < 1) throw codecError("ERR_CODEC_MTU", "maxPayloadSize too small for VP9");
    const out: Uint8Array[] = [];
    const firstRoom = maxPayloadSize - firstHead;
    const room = maxPayloadSize - head;
    const rest = Math.max(0, frame.length - firstRoom);
    const packets = 1 + Math.ceil(rest / room);
    // Even split: the first packet (which may carry the SS) takes its share, the rest share the remainder.
    const first = Math.min(firstRoom, Math.ceil(frame.length / packets));
    const per = packets > 1 ? Math.ceil((frame.length - first) / (packets - 1)) : 0;
    let o = 0;
    for (let k = 0; k < packets; k++) {
      const hd = k === 0 ? firstHead : head;
      const chunk = k === 0 ? first : Math.min(per, frame.length - o);
      const buf = new Uint8Array(hd + chunk);
      d.beginningOfFrame = k === 0;
      d.endOfFrame = k === packets - 1;
      d.ss = k === 0 ? ss : undefined;
      writeVp9Descriptor(d, buf, 0);
      buf.set(frame.subarray(o, o + chunk), hd);
      o += chunk;
      out.push(buf);
    }
    return out;
  }
}

export class Vp9Depayloader implements CodecDepayloader {
  readonly clockRate = VP9_CLOCK_RATE;
  readonly video = true;
  inspect(payload: Uint8Array): number {
    const d = parseVp9Descriptor(payload);
    if (d === undefined || d.length >= payload.length) return PKT_MALFORMED;
    return d.beginningOfFrame && d.spatialId <= 0 ? PKT_START : PKT_NOT_START;
  }
  assemble(payloads: readonly Uint8Array[], count: number): AssembledFrame | undefined {
    let total = 0;
    let keyframe = false;
    const heads: number[] = new Array(count);
    // Sizes of the layer frames of the picture (a new one starts at each B bit).
    const layers: number[] = [];
    for (let i = 0; i < count; i++) {
      const p = payloads[i]!;
      const d = parseVp9Descriptor(p);
      if (d === undefined || d.length >= p.length) return undefined;
      if (i === 0) {
        if (!d.beginningOfFrame) return undefined;
        keyframe = !d.interPicturePredicted && d.spatialId <= 0;
        if (keyframe) {
          // Some senders never set P: trust the frame header when it can be read.
          const h = parseVp9FrameHeader(p.subarray(d.length));
          if (h !== undefined && !h.keyframe) keyframe = false;
        }
      }
      if (d.beginningOfFrame) layers.push(0);
      heads[i] = d.length;
      total += p.length - d.length;
      layers[layers.length - 1]! += p.length - d.length;
    }
    // Several layer frames (spatial layers) of one picture: join them as a superframe (VP9
    // bitstream spec Annex B) so that a decoder takes the picture as one unit.
    let maxSize = 0;
    for (const n of layers) maxSize = Math.max(maxSize, n);
    const sizeBytes = maxSize < 0x100 ? 1 : maxSize < 0x10000 ? 2 : maxSize < 0x1000000 ? 3 : 4;
    const index = layers.length > 1 && layers.length <= 8 ? 2 + sizeBytes * layers.length : 0;
    const data = new Uint8Array(total + index);
    let o = 0;
    for (let i = 0; i < count; i++) {
      const p = payloads[i]!;
      data.set(p.subarray(heads[i]!), o);
      o += p.length - heads[i]!;
    }
    if (index > 0) {
      const marker = 0xc0 | ((sizeBytes - 1) << 3) | (layers.length - 1);
      data[o++] = marker;
      for (const n of layers) for (let b = 0; b < sizeBytes; b++) data[o++] = (n >>> (8 * b)) & 0xff;
      data[o] = marker;
    }
    return { data, keyframe };
  }
}
