// Recognising a media file from its first bytes (IVF "DKIF", Ogg "OggS" with an OpusHead,
// EBML's 1A 45 DF A3 for WebM/Matroska, an H.264 Annex B start code) and making the matching
// streaming reader, so a Node peer can open whatever file it is given.
import { H264AnnexBReader } from "./h264-annexb.js";
import { IvfReader } from "./ivf.js";
import { OggOpusReader } from "./ogg-opus.js";
import type { ContainerReader, EncodedFrame } from "./types.js";
import { WebmReader } from "./webm-reader.js";

export type ContainerKind = "ivf" | "ogg-opus" | "webm" | "h264";

/** The container of a file from its first bytes (at least 4; 64 make Ogg Opus certain). */
export function detectContainer(head: Uint8Array): ContainerKind | undefined {
  if (head.length < 4) return undefined;
  const [a, b, c, d] = [head[0]!, head[1]!, head[2]!, head[3]!];
  if (a === 0x44 && b === 0x4b && c === 0x49 && d === 0x46) return "ivf";
  if (a === 0x1a && b === 0x45 && c === 0xdf && d === 0xa3) return "webm";
  if (a === 0x4f && b === 0x67 && c === 0x67 && d === 0x53) {
    // The first page's first packet must be OpusHead (at 27 + segment count).
    if (head.length < 28) return "ogg-opus";
    const at = 27 + head[26]!;
    if (head.length < at + 8) return "ogg-opus";
    const magic = String.fromCharCode(...head.subarray(at, at + 8));
    return magic === "OpusHead" ? "ogg-opus" : undefined;
  }
  if (a === 0 && b === 0 && (c === 1 || (c === 0 && d === 1))) return "h264";
  return undefined;
}

/** A new reader for a container kind. Its frames are EncodedFrames (WebM's also carry `track`). */
export function createReader(kind: ContainerKind): ContainerReader<unknown, EncodedFrame> {
  switch (kind) {
    case "ivf":
      return new IvfReader();
    case "ogg-opus":
      return new OggOpusReader();
    case "webm":
      return new WebmReader();
    case "h264":
      return new H264AnnexBReader();
  }
}
