// RTCP feedback messages (RFC 4585 section 6): transport layer feedback (PT 205) generic NACK
// (6.2.1), payload-specific feedback (PT 206) PLI (6.3.1), FIR (RFC 5104 section 4.3.1) and
// REMB (draft-alvestrand-rmcat-remb-03), plus any other FMT kept as raw FCI.
// Parsers take the packet body after the 4-byte common header and never throw.
import { readU16, readU32, writeU16, writeU32 } from "../bytes/index.js";
import { rtpError } from "./errors.js";

export const RTPFB = 205;
export const PSFB = 206;
export const FMT_NACK = 1;
export const FMT_TWCC = 15;
export const FMT_PLI = 1;
export const FMT_FIR = 4;
export const FMT_AFB = 15;

/** One NACK FCI entry: a lost packet id and a bitmask of the 16 following losses. */
export interface NackItem {
  pid: number;
  blp: number;
}
export interface GenericNack {
  type: "nack";
  senderSsrc: number;
  mediaSsrc: number;
  items: NackItem[];
}
export interface PictureLossIndication {
  type: "pli";
  senderSsrc: number;
  mediaSsrc: number;
}
export interface FirEntry {
  ssrc: number;
  sequenceNumber: number;
}
export interface FullIntraRequest {
  type: "fir";
  senderSsrc: number;
  /** RFC 5104 4.3.1.2: SHALL be 0; kept for round trips. */
  mediaSsrc: number;
  entries: FirEntry[];
}
/** Receiver Estimated Maximum Bitrate. */
export interface Remb {
  type: "remb";
  senderSsrc: number;
  /** Bits per second (mantissa * 2^exp as sent; exact up to 2^53). */
  bitrate: number;
  ssrcs: number[];
}
/** A feedback message of a FMT this layer does not decode. */
export interface OtherFeedback {
  type: "feedback";
  packetType: typeof RTPFB | typeof PSFB;
  fmt: number;
  senderSsrc: number;
  mediaSsrc: number;
  fci: Uint8Array;
}

/** The lost sequence numbers a list of NACK items names, in order. */
export function nackLostSequences(items: readonly NackItem[]): number[] {
  const out: number[] = [];
  for (const { pid, blp } of items) {
    out.push(pid & 0xffff);
    for (let i = 0; i < 16; i++) if ((blp >>> i) & 1) out.push((pid + i + 1) & 0xffff);
  }
  return out;
}

/** Packs lost sequence numbers (in send order, wrap-aware) into NACK items. */
export function nackItemsFromLost(lost: readonly number[]): NackItem[] {
  const items: NackItem[] = [];
  let cur: NackItem | undefined;
  for (const s of lost) {
    const seq = s & 0xffff;
    if (cur !== undefined) {
      const d = (seq - cur.pid) & 0xffff;
      if (d === 0) continue;
      if (d >= 1 && d <= 16) {
        cur.blp |= 1 << (d - 1);
        continue;
      }
    }
    cur = { pid: seq, blp: 0 };
    items.push(cur);
  }
  return items;
}

/** Decodes an RTPFB/PSFB body (bytes after the common header). */
export function parseFeedback(
  pt: number,
  fmt: number,
  b: Uint8Array,
  o: number,
  end: number,
): GenericNack | PictureLossIndication | FullIntraRequest | Remb | OtherFeedback | undefined {
  if (end - o < 8) return undefined;
  const senderSsrc = readU32(b, o);
  const mediaSsrc = readU32(b, o + 4);
  const f = o + 8;
  if (pt === RTPFB && fmt === FMT_NACK) {
    if ((end - f) % 4 !== 0) return undefined;
    const items: NackItem[] = [];
    for (let i = f; i < end; i += 4) items.push({ pid: readU16(b, i), blp: readU16(b, i + 2) });
    return { type: "nack", senderSsrc, mediaSsrc, items };
  }
  if (pt === PSFB && fmt === FMT_PLI) return { type: "pli", senderSsrc, mediaSsrc };
  if (pt === PSFB && fmt === FMT_FIR) {
    if ((end - f) % 8 !== 0) return undefined;
    const entries: FirEntry[] = [];
    for (let i = f; i < end; i += 8) entries.push({ ssrc: readU32(b, i), sequenceNumber: b[i + 4]! });
    return { type: "fir", senderSsrc, mediaSsrc, entries };
  }
  if (pt === PSFB && fmt === FMT_AFB && end - f >= 8 && readU32(b, f) === 0x52454d42 /* "REMB" */) {
    const num = b[f + 4]!;
    const exp = b[f + 5]! >>> 2;
    const mantissa = ((b[f + 5]! & 3) << 16) | readU16(b, f + 6);
    if (f + 8 + num * 4 > end) return undefined;
    const ssrcs: number[] = [];
    for (let i = 0; i < num; i++) ssrcs.push(readU32(b, f + 8 + i * 4));
    return { type: "remb", senderSsrc, bitrate: mantissa * 2 ** exp, ssrcs };
  }
  return {
    type: "feedback",
    packetType: pt === RTPFB ? RTPFB : PSFB,
    fmt,
    senderSsrc,
    mediaSsrc,
    fci: b.subarray(f, end),
  };
}

/** Body size (after the common header) of a feedback message. */
export function feedbackBodySize(
  p: GenericNack | PictureLossIndication | FullIntraRequest | Remb | OtherFeedback,
): number {
  switch (p.type) {
    case "nack":
      return 8 + p.items.length * 4;
    case "pli":
      return 8;
    case "fir":
      return 8 + p.entries.length * 8;
    case "remb":
      return 16 + p.ssrcs.length * 4;
    case "feedback":
      if (p.fci.length & 3) throw rtpError("ERR_RTCP_LENGTH", "feedback FCI must be a multiple of 4 bytes");
      return 8 + p.fci.length;
  }
}

/** [packet type, FMT] of a feedback message. */
export function feedbackTypeFmt(
  p: GenericNack | PictureLossIndication | FullIntraRequest | Remb | OtherFeedback,
): [number, number] {
  switch (p.type) {
    case "nack":
      return [RTPFB, FMT_NACK];
    case "pli":
      return [PSFB, FMT_PLI];
    case "fir":
      return [PSFB, FMT_FIR];
    case "remb":
      return [PSFB, FMT_AFB];
    case "feedback":
      return [p.packetType, p.fmt];
  }
}

/** Writes a feedback body at `o`; returns the end offset. */
export function writeFeedbackBody(
  p: GenericNack | PictureLossIndication | FullIntraRequest | Remb | OtherFeedback,
  out: Uint8Array,
  o: number,
): number {
  o = writeU32(out, o, p.senderSsrc >>> 0);
  switch (p.type) {
    case "nack":
      o = writeU32(out, o, p.mediaSsrc >>> 0);
      for (const it of p.items) {
        o = writeU16(out, o, it.pid & 0xffff);
        o = writeU16(out, o, it.blp & 0xffff);
      }
      return o;
    case "pli":
      return writeU32(out, o, p.mediaSsrc >>> 0);
    case "fir":
      o = writeU32(out, o, p.mediaSsrc >>> 0);
      for (const e of p.entries) {
        o = writeU32(out, o, e.ssrc >>> 0);
        out[o] = e.sequenceNumber & 0xff;
        out[o + 1] = 0;
        out[o + 2] = 0;
        out[o + 3] = 0;
        o += 4;
      }
      return o;
    case "remb": {
      o = writeU32(out, o, 0);
      o = writeU32(out, o, 0x52454d42);
      if (p.ssrcs.length > 255) throw rtpError("ERR_RTCP_REMB", "REMB carries at most 255 SSRCs");
      if (!(p.bitrate >= 0) || !Number.isFinite(p.bitrate)) throw rtpError("ERR_RTCP_REMB", "bad REMB bitrate");
      let mantissa = Math.floor(p.bitrate);
      let exp = 0;
      while (mantissa >= 0x40000) {
        mantissa = Math.floor(mantissa / 2);
        exp++;
      }
      if (exp > 63) throw rtpError("ERR_RTCP_REMB", "REMB bitrate too large");
      out[o] = p.ssrcs.length;
      out[o + 1] = (exp << 2) | (mantissa >>> 16);
      writeU16(out, o + 2, mantissa & 0xffff);
      o += 4;
      for (const s of p.ssrcs) o = writeU32(out, o, s >>> 0);
      return o;
    }
    case "feedback":
      o = writeU32(out, o, p.mediaSsrc >>> 0);
      out.set(p.fci, o);
      return o + p.fci.length;
  }
}
