// RTCP Extended Reports (RFC 3611): the XR packet (section 2) with Receiver Reference Time
// (section 4.4, BT 4) and DLRR (section 4.5, BT 5) report blocks, as WebRTC uses them for
// receiver-side RTT (a=rtcp-xr:rcvr-rtt=all). Other block types are kept raw.
import { readU16, readU32, writeU16, writeU32 } from "../bytes/index.js";
import { rtpError } from "./errors.js";

export const XR = 207;
export const XR_RRT = 4;
export const XR_DLRR = 5;

export interface XrReceiverReferenceTime {
  blockType: typeof XR_RRT;
  ntpSeconds: number;
  ntpFraction: number;
}
export interface DlrrSubBlock {
  ssrc: number;
  /** Middle 32 bits of the NTP timestamp of the last RRT received from ssrc. */
  lastRr: number;
  /** Delay since that RRT, in 1/65536 s. */
  delaySinceLastRr: number;
}
export interface XrDlrr {
  blockType: typeof XR_DLRR;
  subBlocks: DlrrSubBlock[];
}
export interface XrOtherBlock {
  blockType: number;
  typeSpecific: number;
  body: Uint8Array;
}
export type XrBlock = XrReceiverReferenceTime | XrDlrr | XrOtherBlock;

export interface ExtendedReport {
  type: "xr";
  senderSsrc: number;
  blocks: XrBlock[];
}

export function isRrt(b: XrBlock): b is XrReceiverReferenceTime {
  return b.blockType === XR_RRT && "ntpSeconds" in b;
}
export function isDlrr(b: XrBlock): b is XrDlrr {
  return b.blockType === XR_DLRR && "subBlocks" in b;
}

/** Parses an XR body (after the common header). */
export function parseXr(b: Uint8Array, o: number, end: number): ExtendedReport | undefined {
  if (end - o < 4) return undefined;
  const senderSsrc = readU32(b, o);
  const blocks: XrBlock[] = [];
  let p = o + 4;
  while (p < end) {
    if (p + 4 > end) return undefined;
    const bt = b[p]!;
    const ts = b[p + 1]!;
    const len = readU16(b, p + 2) * 4;
    const s = p + 4;
    const e = s + len;
    if (e > end) return undefined;
    if (bt === XR_RRT && len === 8) {
      blocks.push({ blockType: XR_RRT, ntpSeconds: readU32(b, s), ntpFraction: readU32(b, s + 4) });
    } else if (bt === XR_DLRR && len % 12 === 0) {
      const subBlocks: DlrrSubBlock[] = [];
      for (let q = s; q < e; q += 12) {
        subBlocks.push({ ssrc: readU32(b, q), lastRr: readU32(b, q + 4), delaySinceLastRr: readU32(b, q + 8) });
      }
      blocks.push({ blockType: XR_DLRR, subBlocks });
    } else {
      blocks.push({ blockType: bt, typeSpecific: ts, body: b.subarray(s, e) });
    }
    p = e;
  }
  return { type: "xr", senderSsrc, blocks };
}

function blockBodySize(blk: XrBlock): number {
  if (isRrt(blk)) return 8;
  if (isDlrr(blk)) return blk.subBlocks.length * 12;
  const body = (blk as XrOtherBlock).body;
  if (body.length & 3) throw rtpError("ERR_RTCP_LENGTH", "XR block body must be a multiple of 4 bytes");
  return body.length;
}

export function xrBodySize(x: ExtendedReport): number {
  let n = 4;
  for (const blk of x.blocks) n += 4 + blockBodySize(blk);
  return n;
}

export function writeXrBody(x: ExtendedReport, out: Uint8Array, o: number): number {
  o = writeU32(out, o, x.senderSsrc >>> 0);
  for (const blk of x.blocks) {
    const len = blockBodySize(blk);
    out[o] = blk.blockType;
    out[o + 1] = isRrt(blk) || isDlrr(blk) ? 0 : (blk as XrOtherBlock).typeSpecific;
    writeU16(out, o + 2, len >>> 2);
    o += 4;
    if (isRrt(blk)) {
      o = writeU32(out, o, blk.ntpSeconds >>> 0);
      o = writeU32(out, o, blk.ntpFraction >>> 0);
    } else if (isDlrr(blk)) {
      for (const sb of blk.subBlocks) {
        o = writeU32(out, o, sb.ssrc >>> 0);
        o = writeU32(out, o, sb.lastRr >>> 0);
        o = writeU32(out, o, sb.delaySinceLastRr >>> 0);
      }
    } else {
      out.set((blk as XrOtherBlock).body, o);
      o += len;
    }
  }
  return o;
}
