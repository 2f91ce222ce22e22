// Shared types for the media file readers and writers (IVF, Ogg Opus, H.264 Annex B, WebM):
// the encoded frame, the tagged events a streaming reader emits, and the container error.
// No RFC of its own; each format's file names the sections it implements.
import type { EncodedFrame } from "../frame.js";

/**
 * One encoded frame (video) or packet (audio) is the shared media frame (src/media/frame.ts), with
 * its optional duration. Same units as there: `timestamp` and `duration` are in the codec's RTP
 * clock (90,000 Hz for VP8, VP9, AV1 and H.264; 48,000 Hz for Opus, RFC 7587).
 *
 * Readers give timestamps that do not wrap (they may exceed 2^32 in files over 13 hours of video);
 * writers accept either those or RTP timestamps that wrap at 2^32 (see TimestampUnwrapper).
 */
export type { EncodedFrame };

const TWO_32 = 0x1_0000_0000;

/**
 * Turns timestamps that may wrap at 2^32 (RTP) into a monotonic line: each one is taken as the
 * nearest value to the previous one modulo 2^32 (steps under 2^31 ticks either way).
 */
export class TimestampUnwrapper {
  private last: number | undefined;
  constructor() {
    this.last = undefined;
  }
  unwrap(ts: number): number {
    if (this.last === undefined) {
      this.last = ts;
      return ts;
    }
    let delta = (ts % TWO_32) - (this.last % TWO_32);
    if (delta >= TWO_32 / 2) delta -= TWO_32;
    else if (delta < -TWO_32 / 2) delta += TWO_32;
    this.last += delta;
    return this.last;
  }
}

export { OPUS_CLOCK_RATE } from "../codecs/opus.js";
export const VIDEO_CLOCK_RATE = 90_000;

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
