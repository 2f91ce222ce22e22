// RTP payload for redundant audio data (RFC 2198 section 3): a RED payload is a list of block
// headers followed by the blocks' data. A redundant block's header is 4 bytes (F=1, 7-bit block
// payload type, 14-bit timestamp offset, 10-bit block length); the last header, of the primary
// block, is one byte (F=0, payload type) and the primary's data runs to the end of the payload.
// WebRTC uses it for Opus with the redundant copies of earlier frames (RFC 8854 / JSEP: a=fmtp
// "<red> <opus>/<opus>"). Parsing never throws and returns views into the payload.
import { rtpError } from "./errors.js";

/** One block of a RED payload: data is a view into the parsed payload. */
export interface RedBlock {
  payloadType: number;
  /** How much earlier than the packet's RTP timestamp this block's media is (0 for the primary). */
  timestampOffset: number;
  data: Uint8Array;
}

export interface RedPayload {
  /** Redundant blocks in the order of the payload (oldest first as senders write them). */
  redundant: RedBlock[];
  primary: RedBlock;
}

/** Largest timestamp offset (14 bits) and redundant block length (10 bits). */
export const RED_MAX_TIMESTAMP_OFFSET = 0x3fff;
export const RED_MAX_BLOCK_LENGTH = 0x3ff;
/** Most redundant blocks parsed from one payload (RFC 2198 puts no limit; senders use 1-2). */
export const RED_MAX_BLOCKS = 16;

/**
 * Parses a RED payload (RFC 2198 3). Undefined when malformed: truncated headers, block lengths
 * past the end, or more than RED_MAX_BLOCKS redundant blocks. The primary may be empty.
 */
export function parseRed(payload: Uint8Array): RedPayload | undefined {
  const n = payload.length;
  let o = 0;
  let count = 0;
  // First pass: find the headers' end and check the lengths, without allocating.
  let dataBytes = 0;
  for (;;) {
    if (o >= n) return undefined;
    const b = payload[o]!;
    if ((b & 0x80) === 0) {
      o += 1;
      break;
    }
    if (o + 4 > n || count >= RED_MAX_BLOCKS) return undefined;
    dataBytes += ((payload[o + 2]! & 0x03) << 8) | payload[o + 3]!;
    count++;
    o += 4;
  }
  const headerEnd = o;
  if (headerEnd + dataBytes > n) return undefined;
  const redundant: RedBlock[] = new Array(count);
  let h = 0;
  let d = headerEnd;
  for (let i = 0; i < count; i++, h += 4) {
    const len = ((payload[h + 2]! & 0x03) << 8) | payload[h + 3]!;
    redundant[i] = {
      payloadType: payload[h]! & 0x7f,
      timestampOffset: (payload[h + 1]! << 6) | (payload[h + 2]! >> 2),
      data: payload.subarray(d, d + len),
    };
    d += len;
  }
  return {
    redundant,
    primary: { payloadType: payload[h]! & 0x7f, timestampOffset: 0, data: payload.subarray(d) },
  };
}

/** A block to write: the primary's timestampOffset is ignored. */
export interface RedBlockInit {
  payloadType: number;
  timestampOffset: number;
  data: Uint8Array;
}

/** Bytes a RED payload of these blocks takes. */
export function sizeRed(redundant: readonly RedBlockInit[], primary: Uint8Array): number {
  let size = 1 + primary.length;
  for (const r of redundant) size += 4 + r.data.length;
  return size;
}

/**
 * Writes a RED payload at `offset` (sizeRed bytes); returns the end offset. Throws (API misuse) when
 * a redundant block's offset or length does not fit its field, or a payload type is not 0-127.
 */
export function writeRed(
  redundant: readonly RedBlockInit[],
  primaryPayloadType: number,
  primary: Uint8Array,
  out: Uint8Array,
  offset: number,
): number {
  let o = offset;
  for (const r of redundant) {
    checkPt(r.payloadType);
    if (!Number.isInteger(r.timestampOffset) || r.timestampOffset < 0 || r.timestampOffset > RED_MAX_TIMESTAMP_OFFSET)
      throw rtpError("ERR_RED_OFFSET", `timestamp offset ${r.timestampOffset} does not fit 14 bits`);
    const len = r.data.length;
    if (len > RED_MAX_BLOCK_LENGTH) throw rtpError("ERR_RED_LENGTH", `block of ${len} bytes does not fit 10 bits`);
    out[o] = 0x80 | r.payloadType;
    out[o + 1] = r.timestampOffset >> 6;
    out[o + 2] = ((r.timestampOffset & 0x3f) << 2) | (len >> 8);
    out[o + 3] = len & 0xff;
    o += 4;
  }
  checkPt(primaryPayloadType);
  out[o++] = primaryPayloadType;
  for (const r of redundant) {
    out.set(r.data, o);
    o += r.data.length;
  }
  out.set(primary, o);
  return o + primary.length;
}

/** A new RED payload (see writeRed). */
export function encodeRed(
  redundant: readonly RedBlockInit[],
  primaryPayloadType: number,
  primary: Uint8Array,
): Uint8Array {
  const out = Buffer.allocUnsafe(sizeRed(redundant, primary));
  writeRed(redundant, primaryPayloadType, primary, out, 0);
  return out;
}

/**
 * The payload types a RED fmtp line names ("111/111" -> [111, 111]; RFC 2198 5 / RFC 8829), or
 * undefined when it is not a "/"-separated list of 0-127 numbers.
 */
export function parseRedFmtp(fmtp: string | undefined): number[] | undefined {
  if (!fmtp) return undefined;
  const parts = fmtp.trim().split("/");
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const pt = Number(p);
    if (pt > 127) return undefined;
    out.push(pt);
  }
  return out.length ? out : undefined;
}

function checkPt(pt: number): void {
  if (!Number.isInteger(pt) || pt < 0 || pt > 127) throw rtpError("ERR_RED_PAYLOAD_TYPE", `payload type ${pt}`);
}
