// RTP retransmission payload format (RFC 4588 section 4): an RTX packet carries the original
// packet's payload behind a 2-byte original sequence number (OSN), on its own SSRC, sequence
// space and payload type (associated to the original one by "apt", 8.6). Session multiplexing
// (RFC 4588 5.2) as WebRTC uses it. Unwrapping is a view (nothing copied); wrapping copies the
// original header (CSRCs and header extensions kept) into one new buffer.
import { readU16, writeU16, writeU32 } from "../../bytes/index.js";
import type { RtpPacket } from "../packet.js";

/**
 * The original packet carried by an RTX packet, as a view over the RTX bytes: sequence number
 * from the OSN, SSRC and payload type of the original stream. Undefined for an RTX packet
 * without an OSN (RFC 4588 allows none: such packets are padding-only probes).
 */
export function unwrapRtx(rtx: RtpPacket, mediaSsrc: number, payloadType: number): RtpPacket | undefined {
  if (rtx.payload.length < 2) return undefined;
  return {
    marker: rtx.marker,
    payloadType,
    sequenceNumber: readU16(rtx.payload, 0),
    timestamp: rtx.timestamp,
    ssrc: mediaSsrc >>> 0,
    csrcs: rtx.csrcs,
    extensionProfile: rtx.extensionProfile,
    extensionData: rtx.extensionData,
    payload: rtx.payload.subarray(2),
    paddingLength: 0,
    headerLength: rtx.headerLength,
  };
}

/**
 * Builds the RTX packet that retransmits `original` (a serialised RTP packet already parsed as
 * `parsed`): the same header with the RTX payload type, sequence number and SSRC, padding
 * dropped, then the OSN and the original payload.
 */
export function wrapRtx(
  original: Uint8Array,
  parsed: RtpPacket,
  rtxSsrc: number,
  rtxSequence: number,
  rtxPayloadType: number,
): Uint8Array {
  const h = parsed.headerLength;
  const out = Buffer.allocUnsafe(h + 2 + parsed.payload.length);
  out.set(original.subarray(0, h), 0);
  out[0] = original[0]! & ~0x20; // no padding
  out[1] = (original[1]! & 0x80) | (rtxPayloadType & 0x7f);
  writeU16(out, 2, rtxSequence & 0xffff);
  writeU32(out, 8, rtxSsrc >>> 0);
  writeU16(out, h, parsed.sequenceNumber);
  out.set(parsed.payload, h + 2);
  return out;
}
