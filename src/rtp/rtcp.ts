// RTCP packets (RFC 3550 section 6): sender and receiver reports with report blocks (6.4), SDES
// (6.5), BYE (6.6), APP (6.7); compound packets (6.1) and reduced-size single packets (RFC 5506)
// parsed in one pass, each sub-packet bounds-checked and padding (P bit) removed. Feedback
// (rtcp-feedback.ts, twcc.ts) and XR (xr.ts) are decoded by their own files.
// Parsers never throw; writers throw RtpError on values that cannot be encoded.
import { readU24, readU32, writeU16, writeU24, writeU32 } from "../bytes/index.js";
import { rtpError } from "./errors.js";
import {
  FMT_TWCC,
  type FullIntraRequest,
  feedbackBodySize,
  feedbackTypeFmt,
  type GenericNack,
  type OtherFeedback,
  type PictureLossIndication,
  PSFB,
  parseFeedback,
  type Remb,
  RTPFB,
  writeFeedbackBody,
} from "./rtcp-feedback.js";
import { parseTwcc, type TransportFeedback, twccBodySize, writeTwccBody } from "./twcc.js";
import { type ExtendedReport, parseXr, writeXrBody, XR, xrBodySize } from "./xr.js";

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;
export const RTCP_APP = 204;

/** SDES item types (RFC 3550 6.5; RtpStreamId and RepairedRtpStreamId RFC 8852; MID RFC 8843). */
export const SDES_CNAME = 1;
export const SDES_NAME = 2;
export const SDES_TOOL = 6;
export const SDES_NOTE = 7;
export const SDES_PRIV = 8;
export const SDES_RTP_STREAM_ID = 12;
export const SDES_REPAIRED_RTP_STREAM_ID = 13;
export const SDES_MID = 15;

/** The middle 32 bits of a 64-bit NTP timestamp (the LSR/DLSR "compact" format, RFC 3550 6.4.1). */
export function ntpCompact(ntpSeconds: number, ntpFraction: number): number {
  return (((ntpSeconds & 0xffff) << 16) | (ntpFraction >>> 16)) >>> 0;
}

/**
 * Round-trip time in milliseconds from a report block (RFC 3550 6.4.1): arrival time (compact
 * NTP) minus LSR minus DLSR, or undefined when the block carries no LSR.
 */
export function rttFromReport(arrivalCompactNtp: number, block: ReportBlock): number | undefined {
  if (block.lastSr === 0) return undefined;
  const rtt = (arrivalCompactNtp - block.lastSr - block.delaySinceLastSr) >>> 0;
  // A negative result (clock skew) wraps to a huge value: report 0 instead.
  return rtt > 0x80000000 ? 0 : (rtt * 1000) / 65536;
}

export interface ReportBlock {
  ssrc: number;
  /** Fraction lost since the last report, in 1/256. */
  fractionLost: number;
  /** Cumulative packets lost (24-bit signed: duplicates can make it negative). */
  packetsLost: number;
  /** Extended highest sequence number received. */
  highestSequence: number;
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received (LSR). */
  lastSr: number;
  /** Delay since that SR in 1/65536 s (DLSR). */
  delaySinceLastSr: number;
}

export interface SenderReport {
  type: "sr";
  ssrc: number;
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  reports: ReportBlock[];
}
export interface ReceiverReport {
  type: "rr";
  ssrc: number;
  reports: ReportBlock[];
}
export interface SdesItem {
  /** 1 CNAME, 2 NAME, 3 EMAIL, 4 PHONE, 5 LOC, 6 TOOL, 7 NOTE, 8 PRIV, ... */
  type: number;
  value: string;
}
export interface SdesChunk {
  ssrc: number;
  items: SdesItem[];
}
export interface SourceDescription {
  type: "sdes";
  chunks: SdesChunk[];
}
export interface Goodbye {
  type: "bye";
  ssrcs: number[];
  reason?: string;
}
export interface AppPacket {
  type: "app";
  subtype: number;
  ssrc: number;
  /** Four ASCII characters. */
  name: string;
  data: Uint8Array;
}
export interface UnknownRtcp {
  type: "unknown";
  packetType: number;
  /** The 5-bit count/FMT field. */
  count: number;
  body: Uint8Array;
}

export type RtcpPacket =
  | SenderReport
  | ReceiverReport
  | SourceDescription
  | Goodbye
  | AppPacket
  | GenericNack
  | PictureLossIndication
  | FullIntraRequest
  | Remb
  | TransportFeedback
  | OtherFeedback
  | ExtendedReport
  | UnknownRtcp;

const utf8 = new TextDecoder("utf-8", { fatal: false });
const utf8enc = new TextEncoder();

function parseReportBlocks(b: Uint8Array, o: number, count: number, end: number): ReportBlock[] | undefined {
  if (o + count * 24 > end) return undefined;
  const out: ReportBlock[] = new Array(count);
  for (let i = 0; i < count; i++, o += 24) {
    const lost = readU24(b, o + 5);
    out[i] = {
      ssrc: readU32(b, o),
      fractionLost: b[o + 4]!,
      packetsLost: lost & 0x800000 ? lost - 0x1000000 : lost,
      highestSequence: readU32(b, o + 8),
      jitter: readU32(b, o + 12),
      lastSr: readU32(b, o + 16),
      delaySinceLastSr: readU32(b, o + 20),
    };
  }
  return out;
}

function parseSdes(b: Uint8Array, o: number, count: number, end: number): SourceDescription | undefined {
  const chunks: SdesChunk[] = [];
  for (let c = 0; c < count; c++) {
    if (o + 4 > end) return undefined;
    const ssrc = readU32(b, o);
    o += 4;
    const items: SdesItem[] = [];
    for (;;) {
      if (o >= end) return undefined;
      const type = b[o]!;
      if (type === 0) {
        // End of list: skip the null octet and the padding to the next 32-bit boundary.
        o = (o + 4) & ~3;
        break;
      }
      if (o + 2 > end) return undefined;
      const len = b[o + 1]!;
      if (o + 2 + len > end) return undefined;
      items.push({ type, value: utf8.decode(b.subarray(o + 2, o + 2 + len)) });
      o += 2 + len;
    }
    chunks.push({ ssrc, items });
  }
  return { type: "sdes", chunks };
}

function parseOne(pt: number, count: number, b: Uint8Array, o: number, end: number): RtcpPacket | undefined {
  switch (pt) {
    case RTCP_SR: {
      if (end - o < 24) return undefined;
      const reports = parseReportBlocks(b, o + 24, count, end);
      if (!reports) return undefined;
      return {
        type: "sr",
        ssrc: readU32(b, o),
        ntpSeconds: readU32(b, o + 4),
        ntpFraction: readU32(b, o + 8),
        rtpTimestamp: readU32(b, o + 12),
        packetCount: readU32(b, o + 16),
        octetCount: readU32(b, o + 20),
        reports,
      };
    }
    case RTCP_RR: {
      if (end - o < 4) return undefined;
      const reports = parseReportBlocks(b, o + 4, count, end);
      if (!reports) return undefined;
      return { type: "rr", ssrc: readU32(b, o), reports };
    }
    case RTCP_SDES:
      return parseSdes(b, o, count, end);
    case RTCP_BYE: {
      if (o + count * 4 > end) return undefined;
      const ssrcs: number[] = [];
      for (let i = 0; i < count; i++) ssrcs.push(readU32(b, o + i * 4));
      const r = o + count * 4;
      if (r < end) {
        const len = b[r]!;
        if (r + 1 + len > end) return undefined;
        return { type: "bye", ssrcs, reason: utf8.decode(b.subarray(r + 1, r + 1 + len)) };
      }
      return { type: "bye", ssrcs };
    }
    case RTCP_APP: {
      if (end - o < 8) return undefined;
      const name = String.fromCharCode(b[o + 4]!, b[o + 5]!, b[o + 6]!, b[o + 7]!);
      return { type: "app", subtype: count, ssrc: readU32(b, o), name, data: b.subarray(o + 8, end) };
    }
    case RTPFB:
      if (count === FMT_TWCC) return parseTwcc(b, o, end);
      return parseFeedback(pt, count, b, o, end);
    case PSFB:
      return parseFeedback(pt, count, b, o, end);
    case XR:
      return parseXr(b, o, end);
    default:
      return { type: "unknown", packetType: pt, count, body: b.subarray(o, end) };
  }
}

/**
 * Parses a compound (or reduced-size, RFC 5506) RTCP packet into its sub-packets. Returns
 * undefined when any sub-packet is malformed: wrong version, a length running past the end,
 * bad padding, or a body too short for its type.
 */
export function parseRtcp(b: Uint8Array): RtcpPacket[] | undefined {
  const out: RtcpPacket[] = [];
  let o = 0;
  const n = b.length;
  if (n < 4) return undefined;
  while (o < n) {
    if (o + 4 > n) return undefined;
    const b0 = b[o]!;
    if (b0 >>> 6 !== 2) return undefined;
    const pt = b[o + 1]!;
    const len = (((b[o + 2]! << 8) | b[o + 3]!) + 1) * 4;
    const next = o + len;
    if (next > n) return undefined;
    let end = next;
    if (b0 & 0x20) {
      const pad = b[next - 1]!;
      if (pad === 0 || pad > len - 4) return undefined;
      end = next - pad;
    }
    const p = parseOne(pt, b0 & 0x1f, b, o + 4, end);
    if (p === undefined) return undefined;
    out.push(p);
    o = next;
  }
  return out;
}

function sdesBodySize(p: SourceDescription): number {
  let n = 0;
  for (const c of p.chunks) {
    let k = 4;
    for (const it of c.items) k += 2 + utf8enc.encode(it.value).length;
    n += (k + 4) & ~3; // at least one null octet, then pad to 32 bits
  }
  return n;
}

/** Size of one sub-packet including its 4-byte header. */
export function sizeRtcpPacket(p: RtcpPacket): number {
  switch (p.type) {
    case "sr":
      return 4 + 24 + p.reports.length * 24;
    case "rr":
      return 4 + 4 + p.reports.length * 24;
    case "sdes":
      return 4 + sdesBodySize(p);
    case "bye": {
      const reason = p.reason === undefined ? 0 : 1 + utf8enc.encode(p.reason).length;
      return 4 + ((p.ssrcs.length * 4 + reason + 3) & ~3);
    }
    case "app":
      if (p.data.length & 3) throw rtpError("ERR_RTCP_LENGTH", "APP data must be a multiple of 4 bytes");
      return 4 + 8 + p.data.length;
    case "twcc":
      return 4 + twccBodySize(p);
    case "xr":
      return 4 + xrBodySize(p);
    case "unknown":
      if (p.body.length & 3) throw rtpError("ERR_RTCP_LENGTH", "RTCP body must be a multiple of 4 bytes");
      return 4 + p.body.length;
    default:
      return 4 + feedbackBodySize(p);
  }
}

function writeHeader(out: Uint8Array, o: number, count: number, pt: number, size: number): number {
  if (count < 0 || count > 31) throw rtpError("ERR_RTCP_COUNT", `RTCP count ${count} does not fit 5 bits`);
  out[o] = 0x80 | count;
  out[o + 1] = pt;
  writeU16(out, o + 2, size / 4 - 1);
  return o + 4;
}

function writeReportBlocks(reports: readonly ReportBlock[], out: Uint8Array, o: number): number {
  for (const r of reports) {
    o = writeU32(out, o, r.ssrc >>> 0);
    out[o] = r.fractionLost & 0xff;
    const lost = Math.max(-0x800000, Math.min(0x7fffff, r.packetsLost));
    writeU24(out, o + 1, lost & 0xffffff);
    o = writeU32(out, o + 4, r.highestSequence >>> 0);
    o = writeU32(out, o, r.jitter >>> 0);
    o = writeU32(out, o, r.lastSr >>> 0);
    o = writeU32(out, o, r.delaySinceLastSr >>> 0);
  }
  return o;
}

/** Writes one sub-packet at `o`; returns the end offset. */
export function writeRtcpPacket(p: RtcpPacket, out: Uint8Array, o: number): number {
  const size = sizeRtcpPacket(p);
  const start = o;
  switch (p.type) {
    case "sr":
      o = writeHeader(out, o, p.reports.length, RTCP_SR, size);
      o = writeU32(out, o, p.ssrc >>> 0);
      o = writeU32(out, o, p.ntpSeconds >>> 0);
      o = writeU32(out, o, p.ntpFraction >>> 0);
      o = writeU32(out, o, p.rtpTimestamp >>> 0);
      o = writeU32(out, o, p.packetCount >>> 0);
      o = writeU32(out, o, p.octetCount >>> 0);
      o = writeReportBlocks(p.reports, out, o);
      break;
    case "rr":
      o = writeHeader(out, o, p.reports.length, RTCP_RR, size);
      o = writeU32(out, o, p.ssrc >>> 0);
      o = writeReportBlocks(p.reports, out, o);
      break;
    case "sdes":
      o = writeHeader(out, o, p.chunks.length, RTCP_SDES, size);
      for (const c of p.chunks) {
        const cs = o;
        o = writeU32(out, o, c.ssrc >>> 0);
        for (const it of c.items) {
          const v = utf8enc.encode(it.value);
          if (v.length > 255 || it.type < 1 || it.type > 255) throw rtpError("ERR_RTCP_SDES", "bad SDES item");
          out[o] = it.type;
          out[o + 1] = v.length;
          out.set(v, o + 2);
          o += 2 + v.length;
        }
        out[o++] = 0;
        while ((o - cs) & 3) out[o++] = 0;
      }
      break;
    case "bye":
      o = writeHeader(out, o, p.ssrcs.length, RTCP_BYE, size);
      for (const s of p.ssrcs) o = writeU32(out, o, s >>> 0);
      if (p.reason !== undefined) {
        const v = utf8enc.encode(p.reason);
        if (v.length > 255) throw rtpError("ERR_RTCP_BYE", "BYE reason longer than 255 bytes");
        out[o] = v.length;
        out.set(v, o + 1);
        o += 1 + v.length;
      }
      while (o < start + size) out[o++] = 0;
      break;
    case "app":
      if (p.name.length !== 4) throw rtpError("ERR_RTCP_APP", "APP name must be 4 ASCII characters");
      o = writeHeader(out, o, p.subtype, RTCP_APP, size);
      o = writeU32(out, o, p.ssrc >>> 0);
      for (let i = 0; i < 4; i++) out[o + i] = p.name.charCodeAt(i) & 0xff;
      out.set(p.data, o + 4);
      o += 4 + p.data.length;
      break;
    case "twcc":
      o = writeHeader(out, o, FMT_TWCC, RTPFB, size);
      o = writeTwccBody(p, out, o);
      break;
    case "xr":
      o = writeHeader(out, o, 0, XR, size);
      o = writeXrBody(p, out, o);
      break;
    case "unknown":
      o = writeHeader(out, o, p.count, p.packetType, size);
      out.set(p.body, o);
      o += p.body.length;
      break;
    default: {
      const [pt, fmt] = feedbackTypeFmt(p);
      o = writeHeader(out, o, fmt, pt, size);
      o = writeFeedbackBody(p, out, o);
    }
  }
  if (o !== start + size) throw new Error(`RTCP writer size mismatch for ${p.type}`);
  return o;
}

export function sizeRtcp(packets: readonly RtcpPacket[]): number {
  let n = 0;
  for (const p of packets) n += sizeRtcpPacket(p);
  return n;
}

/** Writes a compound packet at `offset`; returns the end offset. */
export function writeRtcp(packets: readonly RtcpPacket[], out: Uint8Array, offset: number): number {
  let o = offset;
  for (const p of packets) o = writeRtcpPacket(p, out, o);
  return o;
}

/** Serialises a compound (or single, reduced-size) RTCP packet into a new buffer. */
export function serializeRtcp(packets: readonly RtcpPacket[]): Uint8Array {
  const out = Buffer.allocUnsafe(sizeRtcp(packets));
  writeRtcp(packets, out, 0);
  return out;
}
