// VP8 over RTP (RFC 7741): the payload descriptor (section 4.2: X, N, S, PID; extension bits
// I/L/T/K with a 7- or 15-bit PictureID, TL0PICIDX, TID/Y/KEYIDX), the key frame test on the VP8
// payload header (4.3: P bit of the first byte of the first partition, RFC 6386 9.1), the
// payloader (one frame split over packets, S=1 and PID=0 on the first, marker on the last by the
// packetizer) and the depayloader (descriptors stripped, payloads joined).
import { codecError } from "./errors.js";
import {
  type AssembledFrame,
  type CodecDepayloader,
  type CodecPayloader,
  PKT_MALFORMED,
  PKT_NOT_START,
  PKT_START,
} from "./payload.js";

export const VP8_CLOCK_RATE = 90000;

export interface Vp8Descriptor {
  /** N: non-reference frame. */
  nonReference: boolean;
  /** S: start of a VP8 partition. */
  start: boolean;
  /** PID: partition index (0-7). */
  partitionIndex: number;
  /** PictureID, or -1 when absent. */
  pictureId: number;
  /** 7 or 15 (M bit) when pictureId is present. */
  pictureIdBits: 7 | 15;
  /** TL0PICIDX, or -1 when absent. */
  tl0PicIdx: number;
  /** TID (T bit), or -1 when absent. */
  temporalId: number;
  /** Y: layer sync (meaningful when temporalId >= 0). */
  layerSync: boolean;
  /** KEYIDX (K bit), or -1 when absent. */
  keyIdx: number;
  /** Bytes the descriptor takes; the VP8 payload follows. */
  length: number;
}

/** Parses the payload descriptor at the start of a VP8 RTP payload. */
export function parseVp8Descriptor(p: Uint8Array): Vp8Descriptor | undefined {
  const n = p.length;
  if (n < 1) return undefined;
  const b0 = p[0]!;
  const d: Vp8Descriptor = {
    nonReference: (b0 & 0x20) !== 0,
    start: (b0 & 0x10) !== 0,
    partitionIndex: b0 & 0x07,
    pictureId: -1,
    pictureIdBits: 7,
    tl0PicIdx: -1,
    temporalId: -1,
    layerSync: false,
    keyIdx: -1,
    length: 1,
  };
  if ((b0 & 0x80) === 0) return d;
  if (n < 2) return undefined;
  const x = p[1]!;
  let o = 2;
  if (x & 0x80) {
    if (o >= n) return undefined;
    if (p[o]! & 0x80) {
      if (o + 1 >= n) return undefined;
      d.pictureId = ((p[o]! & 0x7f) << 8) | p[o + 1]!;
      d.pictureIdBits = 15;
      o += 2;
    } else {
      d.pictureId = p[o]! & 0x7f;
      o += 1;
    }
  }
  if (x & 0x40) {
    if (o >= n) return undefined;
    d.tl0PicIdx = p[o++]!;
  }
  if (x & 0x30) {
    if (o >= n) return undefined;
    const t = p[o++]!;
    if (x & 0x20) {
      d.temporalId = t >>> 6;
      d.layerSync = (t & 0x20) !== 0;
    }
    if (x & 0x10) d.keyIdx = t & 0x1f;
  }
  d.length = o;
  return d;
}

/** What writeVp8Descriptor takes (omitted optional fields are absent). */
export interface Vp8DescriptorInit {
  nonReference?: boolean;
  start: boolean;
  partitionIndex?: number;
  pictureId?: number;
  /** Default 15 when pictureId is given. */
  pictureIdBits?: 7 | 15;
  tl0PicIdx?: number;
  temporalId?: number;
  layerSync?: boolean;
  keyIdx?: number;
}

export function sizeVp8Descriptor(d: Vp8DescriptorInit): number {
  let n = 1;
  const hasT = d.temporalId !== undefined;
  const hasK = d.keyIdx !== undefined;
  if (d.pictureId !== undefined || d.tl0PicIdx !== undefined || hasT || hasK) n++;
  if (d.pictureId !== undefined) n += (d.pictureIdBits ?? 15) === 15 ? 2 : 1;
  if (d.tl0PicIdx !== undefined) n++;
  if (hasT || hasK) n++;
  return n;
}

/** Writes a descriptor at `o`; returns the offset after it. */
export function writeVp8Descriptor(d: Vp8DescriptorInit, out: Uint8Array, o: number): number {
  const i = d.pictureId !== undefined;
  const l = d.tl0PicIdx !== undefined;
  const t = d.temporalId !== undefined;
  const k = d.keyIdx !== undefined;
  const x = i || l || t || k;
  out[o++] = (x ? 0x80 : 0) | (d.nonReference ? 0x20 : 0) | (d.start ? 0x10 : 0) | ((d.partitionIndex ?? 0) & 7);
  if (!x) return o;
  out[o++] = (i ? 0x80 : 0) | (l ? 0x40 : 0) | (t ? 0x20 : 0) | (k ? 0x10 : 0);
  if (i) {
    const pid = d.pictureId!;
    if ((d.pictureIdBits ?? 15) === 15) {
      out[o++] = 0x80 | ((pid >>> 8) & 0x7f);
      out[o++] = pid & 0xff;
    } else out[o++] = pid & 0x7f;
  }
  if (l) out[o++] = d.tl0PicIdx! & 0xff;
  if (t || k) out[o++] = (t ? (d.temporalId! & 3) << 6 : 0) | (d.layerSync ? 0x20 : 0) | (k ? d.keyIdx! & 0x1f : 0);
  return o;
}

/** Whether a VP8 frame (its first bytes: the frame tag, RFC 6386 9.1) is a key frame. */
export function isVp8Keyframe(frame: Uint8Array): boolean {
  return frame.length >= 3 && (frame[0]! & 1) === 0;
}

export interface Vp8PayloaderOptions {
  /** Carry a PictureID (default true). */
  pictureId?: boolean;
  /** 15-bit (default) or 7-bit PictureID. */
  pictureIdBits?: 7 | 15;
  /** First PictureID (default 0). */
  initialPictureId?: number;
}

export class Vp8Payloader implements CodecPayloader {
  readonly clockRate = VP8_CLOCK_RATE;
  readonly video = true;
  /** The PictureID the next frame will carry. */
  pictureId: number;
  private readonly usePictureId: boolean;
  private readonly bits: 7 | 15;

  constructor(opts: Vp8PayloaderOptions = {}) {
    this.usePictureId = opts.pictureId ?? true;
    this.bits = opts.pictureIdBits ?? 15;
    this.pictureId = (opts.initialPictureId ?? 0) & (this.bits === 15 ? 0x7fff : 0x7f);
  }

  payload(frame: Uint8Array, maxPayloadSize: number): Uint8Array[] {
    if (frame.length === 0) throw codecError("ERR_CODEC_EMPTY_FRAME", "empty VP8 frame");
    const d: Vp8DescriptorInit = { start: true };
    if (this.usePictureId) {
      d.pictureId = this.pictureId;
      d.pictureIdBits = this.bits;
      this.pictureId = (this.pictureId + 1) & (this.bits === 15 ? 0x7fff : 0x7f);
    }
    const head = sizeVp8Descriptor(d);
    const room = maxPayloadSize - head;
    if (room < 1) throw codecError("ERR_CODEC_MTU", "maxPayloadSize too small for the VP8 descriptor");
    const packets = Math.ceil(frame.length / room);
    // Spread the bytes evenly so the last packet is not a tiny tail.
    const per = Math.ceil(frame.length / packets);
    const out: Uint8Array[] = new Array(packets);
    for (let k = 0, o = 0; k < packets; k++, o += per) {
      const chunk = Math.min(per, frame.length - o);
      const buf = new Uint8Array(head + chunk);
      d.start = k === 0;
      writeVp8Descriptor(d, buf, 0);
      buf.set(frame.subarray(o, o + chunk), head);
      out[k] = buf;
    }
    return out;
  }
}

export class Vp8Depayloader implements CodecDepayloader {
  readonly clockRate = VP8_CLOCK_RATE;
  readonly video = true;
  inspect(payload: Uint8Array): number {
    const d = parseVp8Descriptor(payload);
    if (d === undefined || d.length >= payload.length) return PKT_MALFORMED;
    return d.start && d.partitionIndex === 0 ? PKT_START : PKT_NOT_START;
  }
  assemble(payloads: readonly Uint8Array[], count: number): AssembledFrame | undefined {
    let total = 0;
    const heads: number[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const d = parseVp8Descriptor(payloads[i]!);
      if (d === undefined || d.length >= payloads[i]!.length) return undefined;
      if (i === 0 && !(d.start && d.partitionIndex === 0)) return undefined;
      heads[i] = d.length;
      total += payloads[i]!.length - d.length;
    }
    const data = new Uint8Array(total);
    let o = 0;
    for (let i = 0; i < count; i++) {
      const p = payloads[i]!;
      data.set(p.subarray(heads[i]!), o);
      o += p.length - heads[i]!;
    }
    return { data, keyframe: isVp8Keyframe(data) };
  }
}
