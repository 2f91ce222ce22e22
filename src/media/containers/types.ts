// Shared types for the media file readers and writers (IVF, Ogg Opus, H.264 Annex B, WebM):
// the encoded frame, the tagged events a streaming reader emits, and the container error.
// No RFC of its own; each format's file names the sections it implements.

/**
 * One encoded frame (video) or packet (audio).
 *
 * `timestamp` and `duration` are in the codec's RTP clock, so they map straight onto RTP
 * timestamps: 90,000 Hz for video (VP8, VP9, AV1, H.264) and 48,000 Hz for Opus (RFC 7587).
 * They are plain numbers that do not wrap at 2^32 (a sender adds its random offset and wraps).
 */
export interface EncodedFrame {
  data: Uint8Array;
  timestamp: number;
  keyframe: boolean;
  duration?: number;
}

export const VIDEO_CLOCK_RATE = 90_000;
export const OPUS_CLOCK_RATE = 48_000;

export type VideoCodec = "VP8" | "VP9" | "AV1";

/** Why a reader stopped on malformed input (network/file input never throws). */
export interface ContainerParseError {
  /** A stable machine-readable reason, e.g. "bad-magic", "crc-mismatch", "frame-too-large". */
  reason: string;
  /** Byte offset in the stream near where it was detected. */
  offset: number;
}

/** What a streaming reader's poll() returns: the header once, frames, then end or error. */
export type ReaderEvent<H, F> =
  | { type: "header"; header: H }
  | { type: "frame"; frame: F }
  | { type: "error"; error: ContainerParseError }
  | { type: "end" };

/** A push parser: feed chunks as they come, drain poll() after each push. */
export interface ContainerReader<H, F> {
  /** Appends input. Never throws on malformed data: a later poll() returns an error event. */
  push(chunk: Uint8Array): void;
  /** Declares the end of input (a truncated last element becomes an error or is dropped). */
  finish(): void;
  /** The next event, or undefined when more input is needed. */
  poll(): ReaderEvent<H, F> | undefined;
}

/** API misuse by a writer's caller (bad options, frames out of order, writing after close). */
export class ContainerError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "ContainerError";
    this.code = code;
  }
}
