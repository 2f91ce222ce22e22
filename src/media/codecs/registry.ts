// Payloaders and depayloaders by codec name, as negotiated in SDP (RFC 8866 a=rtpmap, with the
// media type names registered for each format: audio/opus RFC 7587 7, audio/PCMU and audio/PCMA
// RFC 3551 6, video/VP8 RFC 7741 6.1, video/VP9 RFC 9628 6, video/H264 RFC 6184 8.1 with its
// packetization-mode fmtp parameter, video/AV1 AV1 RTP spec 7).
import { Av1Depayloader, Av1Payloader } from "./av1.js";
import { codecError } from "./errors.js";
import { G711Depayloader, G711Payloader } from "./g711.js";
import { H264Depayloader, H264Payloader } from "./h264.js";
import { OpusDepayloader, OpusPayloader } from "./opus.js";
import type { CodecDepayloader, CodecPayloader } from "./payload.js";
import { Vp8Depayloader, Vp8Payloader } from "./vp8.js";
import { Vp9Depayloader, Vp9Payloader } from "./vp9.js";

/** The codec part of a mime type ("video/VP8" or "VP8" -> "vp8"). */
function codecName(mimeType: string): string {
  const slash = mimeType.indexOf("/");
  return (slash >= 0 ? mimeType.slice(slash + 1) : mimeType).toLowerCase();
}

/** An fmtp line's parameters ("a=b;c=d", names lower-cased). */
export function parseFmtp(fmtp: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!fmtp) return out;
  for (const part of fmtp.split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    out.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return out;
}

/** Names this module can packetize and depacketize. */
export const SUPPORTED_CODECS: readonly string[] = ["opus", "PCMU", "PCMA", "VP8", "VP9", "H264", "AV1"];

/** Whether `mimeType` ("audio/opus", "video/H264", ...) has a payload format here. */
export function isSupportedCodec(mimeType: string): boolean {
  const n = codecName(mimeType);
  return SUPPORTED_CODECS.some((c) => c.toLowerCase() === n);
}

/** A payloader for a negotiated codec. Throws ERR_CODEC_UNSUPPORTED for others. */
export function createPayloader(mimeType: string, fmtp?: string): CodecPayloader {
  switch (codecName(mimeType)) {
    case "opus":
      return new OpusPayloader();
    case "pcmu":
    case "pcma":
      return new G711Payloader();
    case "vp8":
      return new Vp8Payloader();
    case "vp9":
      return new Vp9Payloader();
    case "h264":
      return new H264Payloader({ packetizationMode: parseFmtp(fmtp).get("packetization-mode") === "1" ? 1 : 0 });
    case "av1":
      return new Av1Payloader();
    default:
      throw codecError("ERR_CODEC_UNSUPPORTED", `no RTP payload format for ${mimeType}`);
  }
}

/** A depayloader for a negotiated codec. Throws ERR_CODEC_UNSUPPORTED for others. */
export function createDepayloader(mimeType: string): CodecDepayloader {
  switch (codecName(mimeType)) {
    case "opus":
      return new OpusDepayloader();
    case "pcmu":
    case "pcma":
      return new G711Depayloader();
    case "vp8":
      return new Vp8Depayloader();
    case "vp9":
      return new Vp9Depayloader();
    case "h264":
      return new H264Depayloader();
    case "av1":
      return new Av1Depayloader();
    default:
      throw codecError("ERR_CODEC_UNSUPPORTED", `no RTP payload format for ${mimeType}`);
  }
}
