// IVF, the simple container of libvpx and AV1 tools: a 32-byte file header ("DKIF", version 0,
// header length, FourCC VP80/VP90/AV01, width, height, timebase rate and scale, frame count) and
// a 12-byte header per frame (size, 64-bit pts), all little-endian. A streaming reader and a writer.
// Timestamps are converted between the file's timebase and the 90 kHz video clock. No RFC: the
// format is libvpx's (its ivfenc/ivfdec), also written by ffmpeg and the AV1 reference tools.
import { readU16LE, readU32LE, writeU16LE, writeU32LE } from "../../bytes/index.js";
import { isAv1Keyframe } from "../codecs/av1.js";
import { isVp8Keyframe } from "../codecs/vp8.js";
import { isVp9Keyframe } from "../codecs/vp9.js";
import { ByteQueue } from "./byte-queue.js";
import { type ByteSink, OrderedSink } from "./io.js";
import {
  ContainerError,
  type ContainerReader,
  type EncodedFrame,
  type ReaderEvent,
  TimestampUnwrapper,
  VIDEO_CLOCK_RATE,
  type VideoCodec,
} from "./types.js";

/** Whether a frame of this codec is a key frame (the peeks live with each codec's RTP format). */
export function isVideoKeyframe(codec: VideoCodec, frame: Uint8Array): boolean {
  if (codec === "VP8") return isVp8Keyframe(frame);
  if (codec === "VP9") return isVp9Keyframe(frame);
  return isAv1Keyframe(frame);
}

export const IVF_HEADER_SIZE = 32;
export const IVF_FRAME_HEADER_SIZE = 12;

const FOURCC: Record<VideoCodec, string> = { VP8: "VP80", VP9: "VP90", AV1: "AV01" };

export interface IvfHeader {
  /** The codec when the FourCC is one we know, else undefined (frames are still delivered). */
  codec: VideoCodec | undefined;
  fourcc: string;
  width: number;
  height: number;
  /** Seconds per pts tick = timebaseNum / timebaseDen. */
  timebaseNum: number;
  timebaseDen: number;
  /**
   * Header bytes 24-27: the frame count for libvpx, the length in timebase ticks for ffmpeg (equal
   * when the timebase is one frame). 0 or stale in live captures.
   */
  frameCount: number;
}

export interface IvfFrame extends EncodedFrame {
  /** The frame's pts in the file's timebase (timestamp is the same in 90 kHz). */
  pts: number;
}

export function codecFromFourcc(fourcc: string): VideoCodec | undefined {
  if (fourcc === "VP80") return "VP8";
  if (fourcc === "VP90") return "VP9";
  if (fourcc === "AV01") return "AV1";
  return undefined;
}

/** Parses the 32-byte IVF file header; undefined with a reason if it is not one. */
export function parseIvfHeader(b: Uint8Array): IvfHeader | { reason: string } {
  if (b.length < IVF_HEADER_SIZE) return { reason: "truncated-header" };
  if (b[0] !== 0x44 || b[1] !== 0x4b || b[2] !== 0x49 || b[3] !== 0x46) return { reason: "bad-magic" };
  const headerSize = readU16LE(b, 6);
  if (headerSize < IVF_HEADER_SIZE) return { reason: "bad-header-size" };
  const fourcc = String.fromCharCode(b[8]!, b[9]!, b[10]!, b[11]!);
  const den = readU32LE(b, 16);
  const num = readU32LE(b, 20);
  if (den === 0 || num === 0) return { reason: "bad-timebase" };
  return {
    codec: codecFromFourcc(fourcc),
    fourcc,
    width: readU16LE(b, 12),
    height: readU16LE(b, 14),
    timebaseNum: num,
    timebaseDen: den,
    frameCount: readU32LE(b, 24),
  };
}

export interface IvfReaderOptions {
  /** Larger frames are a parse error (bounds memory). Default 16 MiB. */
  maxFrameSize?: number;
}

/** A push parser for IVF. Frames are copies the caller owns. */
export class IvfReader implements ContainerReader<IvfHeader, IvfFrame> {
  private readonly queue: ByteQueue;
  private readonly maxFrameSize: number;
  private header: IvfHeader | undefined;
  private headerSize: number;
  private state: "header" | "frames" | "done";
  private finished: boolean;
  private overflow: boolean;
  constructor(opts: IvfReaderOptions = {}) {
    this.maxFrameSize = opts.maxFrameSize ?? 16 * 1024 * 1024;
    this.queue = new ByteQueue(this.maxFrameSize + IVF_FRAME_HEADER_SIZE + 64 * 1024);
    this.header = undefined;
    this.headerSize = IVF_HEADER_SIZE;
    this.state = "header";
    this.finished = false;
    this.overflow = false;
  }
  push(chunk: Uint8Array): void {
    if (this.state === "done" || this.finished) return;
    if (!this.queue.push(chunk)) this.overflow = true;
  }
  finish(): void {
    this.finished = true;
  }
  private fail(reason: string): ReaderEvent<IvfHeader, IvfFrame> {
    this.state = "done";
    return { type: "error", error: { reason, offset: this.queue.consumed } };
  }
  poll(): ReaderEvent<IvfHeader, IvfFrame> | undefined {
    if (this.state === "done") return undefined;
    if (this.overflow) return this.fail("buffer-overflow");
    const b = this.queue.view();
    if (this.state === "header") {
      if (b.length < IVF_HEADER_SIZE) return this.finished ? this.fail("truncated-header") : undefined;
      const h = parseIvfHeader(b);
      if ("reason" in h) return this.fail(h.reason);
      this.headerSize = readU16LE(b, 6);
      if (b.length < this.headerSize) return this.finished ? this.fail("truncated-header") : undefined;
      this.queue.consume(this.headerSize);
      this.header = h;
      this.state = "frames";
      return { type: "header", header: h };
    }
    if (b.length < IVF_FRAME_HEADER_SIZE) {
      if (!this.finished) return undefined;
      if (b.length === 0) {
        this.state = "done";
        return { type: "end" };
      }
      return this.fail("truncated-frame");
    }
    const size = readU32LE(b, 0);
    if (size > this.maxFrameSize) return this.fail("frame-too-large");
    if (b.length < IVF_FRAME_HEADER_SIZE + size) return this.finished ? this.fail("truncated-frame") : undefined;
    const lo = readU32LE(b, 4);
    const hi = readU32LE(b, 8);
    if (hi >= 0x200000) return this.fail("pts-out-of-range");
    const pts = hi * 0x1_0000_0000 + lo;
    const data = b.slice(IVF_FRAME_HEADER_SIZE, IVF_FRAME_HEADER_SIZE + size);
    this.queue.consume(IVF_FRAME_HEADER_SIZE + size);
    const h = this.header!;
    const frame: IvfFrame = {
      data,
      timestamp: Math.round((pts * VIDEO_CLOCK_RATE * h.timebaseNum) / h.timebaseDen),
      keyframe: h.codec !== undefined && isVideoKeyframe(h.codec, data),
      pts,
    };
    return { type: "frame", frame };
  }
}

export interface IvfWriterOptions {
  codec: VideoCodec;
  width: number;
  height: number;
  /** Timebase of the pts written; default 1/90000 (exact for 90 kHz timestamps). */
  timebase?: { num: number; den: number };
}

/**
 * Writes IVF to a sink. Timestamps (90 kHz) are rebased so the first frame has pts 0. On a
 * seekable sink close() patches header bytes 24-27 with the length in timebase ticks, as ffmpeg
 * writes and reads it (frame count x mean frame interval: the frame count when the timebase is
 * one frame, as libvpx expects); a live stream leaves it 0.
 */
export class IvfWriter {
  private readonly out: OrderedSink;
  private readonly opts: IvfWriterOptions;
  private readonly num: number;
  private readonly den: number;
  private started: boolean;
  private closed: boolean;
  private firstTimestamp: number;
  private lastPts: number;
  private readonly unwrapper: TimestampUnwrapper;
  frameCount: number;
  constructor(sink: ByteSink, opts: IvfWriterOptions) {
    if (!(opts.codec in FOURCC)) throw new ContainerError("bad-codec", `IVF cannot carry ${String(opts.codec)}`);
    const num = opts.timebase?.num ?? 1;
    const den = opts.timebase?.den ?? VIDEO_CLOCK_RATE;
    if (!(num > 0 && den > 0 && num <= 0xffffffff && den <= 0xffffffff)) {
      throw new ContainerError("bad-timebase", "timebase num and den must be positive 32-bit integers");
    }
    if (!(opts.width >= 0 && opts.width <= 0xffff && opts.height >= 0 && opts.height <= 0xffff)) {
      throw new ContainerError("bad-dimensions", "width and height must fit in 16 bits");
    }
    this.out = new OrderedSink(sink);
    this.opts = opts;
    this.num = num;
    this.den = den;
    this.started = false;
    this.closed = false;
    this.firstTimestamp = 0;
    this.lastPts = -1;
    this.unwrapper = new TimestampUnwrapper();
    this.frameCount = 0;
  }
  private header(count: number): Uint8Array {
    const b = new Uint8Array(IVF_HEADER_SIZE);
    b.set([0x44, 0x4b, 0x49, 0x46], 0);
    writeU16LE(b, 4, 0);
    writeU16LE(b, 6, IVF_HEADER_SIZE);
    const f = FOURCC[this.opts.codec];
    for (let i = 0; i < 4; i++) b[8 + i] = f.charCodeAt(i);
    writeU16LE(b, 12, this.opts.width);
    writeU16LE(b, 14, this.opts.height);
    writeU32LE(b, 16, this.den);
    writeU32LE(b, 20, this.num);
    writeU32LE(b, 24, count);
    writeU32LE(b, 28, 0);
    return b;
  }
  private start(): void {
    if (this.started) return;
    this.started = true;
    this.out.write(this.header(0));
  }
  async writeFrame(frame: EncodedFrame): Promise<void> {
    if (this.closed) throw new ContainerError("closed", "writer is closed");
    const ts = this.unwrapper.unwrap(frame.timestamp);
    if (this.frameCount === 0) this.firstTimestamp = ts;
    const pts = Math.round(((ts - this.firstTimestamp) * this.den) / (this.num * VIDEO_CLOCK_RATE));
    if (pts < this.lastPts) throw new ContainerError("timestamp-backwards", "frame timestamps must not decrease");
    this.start();
    const n = frame.data.length;
    const b = new Uint8Array(IVF_FRAME_HEADER_SIZE + n);
    writeU32LE(b, 0, n);
    writeU32LE(b, 4, pts >>> 0);
    writeU32LE(b, 8, Math.floor(pts / 0x1_0000_0000));
    b.set(frame.data, IVF_FRAME_HEADER_SIZE);
    this.lastPts = pts;
    this.frameCount++;
    this.out.write(b);
    await this.out.flush();
  }
  /** Writes the header if nothing was written, patches the frame count when seekable, closes the sink. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.start();
    if (this.out.seekable) {
      const c = new Uint8Array(4);
      const n = this.frameCount;
      const length = n > 1 ? Math.round((n * this.lastPts) / (n - 1)) : n;
      writeU32LE(c, 0, Math.min(length, 0xffffffff));
      this.out.writeAt(24, c);
    }
    await this.out.close();
  }
}
