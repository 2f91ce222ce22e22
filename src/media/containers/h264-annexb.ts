// H.264 byte streams (ITU-T H.264 Annex B): splitting on start codes (0x000001, with leading
// zero_byte and trailing_zero_8bits removed; B.2), grouping NAL units into access units
// (7.4.1.2.3: a new one begins at an access unit delimiter, SPS, PPS, SEI or types 14-18, or at
// a VCL NAL unit with first_mb_in_slice 0 once the current unit has a picture), and a writer.
// Deliberately simple: slices of one picture are assumed to arrive with first_mb_in_slice > 0.
// Splitting and joining whole buffers is src/media/codecs/h264.ts (splitAnnexB, joinAnnexB).
import { joinAnnexB, NAL_AUD, NAL_IDR, NAL_PPS, NAL_SEI, NAL_SLICE, NAL_SPS, splitAnnexB } from "../codecs/h264.js";
import { ByteQueue } from "./byte-queue.js";
import { type ByteSink, OrderedSink } from "./io.js";
import {
  ContainerError,
  type ContainerReader,
  type EncodedFrame,
  type ReaderEvent,
  VIDEO_CLOCK_RATE,
} from "./types.js";

/** True when this NAL unit type begins a new access unit if the current one already has a picture. */
function startsAccessUnit(nal: Uint8Array): boolean {
  const t = nal[0]! & 0x1f;
  if (t === NAL_AUD || t === NAL_SPS || t === NAL_PPS || t === NAL_SEI || (t >= 14 && t <= 18)) return true;
  // first_mb_in_slice is ue(v): a leading 1 bit means 0.
  if (t === NAL_SLICE || t === NAL_IDR) return nal.length > 1 && (nal[1]! & 0x80) !== 0;
  return false;
}

function isVcl(nal: Uint8Array): boolean {
  const t = nal[0]! & 0x1f;
  return t >= 1 && t <= 5;
}

export interface H264AccessUnit extends EncodedFrame {
  /** The NAL units (views into `data`, without start codes). */
  nalus: Uint8Array[];
}

export interface H264ReaderOptions {
  /** Frame rate used to give access units timestamps (Annex B carries none). Default 30. */
  frameRate?: number;
  /** Larger NAL units or access units are a parse error. Default 16 MiB. */
  maxAccessUnitSize?: number;
  /** Default 1000. */
  maxNalusPerAccessUnit?: number;
}

/**
 * A push parser for H.264 Annex B byte streams yielding access units (no header event). Access
 * unit n has timestamp round(n * 90000 / frameRate); keyframe means it holds an IDR slice.
 */
export class H264AnnexBReader implements ContainerReader<never, H264AccessUnit> {
  private readonly queue: ByteQueue;
  private readonly frameRate: number;
  private readonly maxAu: number;
  private readonly maxNalus: number;
  private inNal: boolean;
  private scan: number;
  private finished: boolean;
  private state: "run" | "done";
  private overflow: boolean;
  private au: Uint8Array[];
  private auBytes: number;
  private auHasVcl: boolean;
  private auCount: number;
  private ready: H264AccessUnit[];
  private ending: boolean;
  /** Bytes before the first start code. */
  skippedBytes: number;
  constructor(opts: H264ReaderOptions = {}) {
    this.frameRate = opts.frameRate ?? 30;
    if (!(this.frameRate > 0)) throw new ContainerError("bad-frame-rate", "frameRate must be positive");
    this.maxAu = opts.maxAccessUnitSize ?? 16 * 1024 * 1024;
    this.maxNalus = opts.maxNalusPerAccessUnit ?? 1000;
    this.queue = new ByteQueue(this.maxAu + 128 * 1024);
    this.inNal = false;
    this.scan = 0;
    this.finished = false;
    this.state = "run";
    this.overflow = false;
    this.au = [];
    this.auBytes = 0;
    this.auHasVcl = false;
    this.auCount = 0;
    this.ready = [];
    this.ending = false;
    this.skippedBytes = 0;
  }
  push(chunk: Uint8Array): void {
    if (this.state === "done" || this.finished) return;
    if (!this.queue.push(chunk)) this.overflow = true;
  }
  finish(): void {
    this.finished = true;
  }
  private fail(reason: string): ReaderEvent<never, H264AccessUnit> {
    this.state = "done";
    return { type: "error", error: { reason, offset: this.queue.consumed } };
  }
  poll(): ReaderEvent<never, H264AccessUnit> | undefined {
    for (;;) {
      const r = this.ready.shift();
      if (r) return { type: "frame", frame: r };
      if (this.state === "done") return undefined;
      if (this.ending) {
        this.state = "done";
        return { type: "end" };
      }
      if (this.overflow) return this.fail("buffer-overflow");
      const b = this.queue.view();
      // Find the next start code from `scan`.
      let i = this.scan;
      let found = -1;
      while (i + 2 < b.length) {
        if (b[i + 2]! > 1) i += 3;
        else if (b[i] === 0 && b[i + 1] === 0 && b[i + 2] === 1) {
          found = i;
          break;
        } else i++;
      }
      if (found < 0) {
        this.scan = Math.max(0, b.length - 2);
        if (!this.finished) {
          if (this.inNal && b.length > this.maxAu) return this.fail("nal-too-large");
          if (!this.inNal && b.length > 2) {
            this.skippedBytes += b.length - 2;
            this.queue.consume(b.length - 2);
            this.scan = 0;
          }
          return undefined;
        }
        if (this.inNal) {
          const err = this.addNal(b, b.length);
          if (err) return err;
        } else this.skippedBytes += b.length;
        this.queue.consume(b.length);
        this.inNal = false;
        this.flushAu();
        this.ending = true;
        continue;
      }
      if (this.inNal) {
        const err = this.addNal(b, found);
        if (err) return err;
      } else this.skippedBytes += found;
      this.queue.consume(found + 3);
      this.inNal = true;
      this.scan = 0;
    }
  }
  private addNal(b: Uint8Array, end: number): ReaderEvent<never, H264AccessUnit> | undefined {
    while (end > 0 && b[end - 1] === 0) end--;
    if (end === 0) return undefined;
    const nal = b.slice(0, end);
    if (this.auHasVcl && startsAccessUnit(nal)) this.flushAu();
    if (this.auBytes + 4 + nal.length > this.maxAu) return this.fail("access-unit-too-large");
    if (this.au.length >= this.maxNalus) return this.fail("too-many-nal-units");
    this.au.push(nal);
    this.auBytes += 4 + nal.length;
    if (isVcl(nal)) this.auHasVcl = true;
    return undefined;
  }
  private flushAu(): void {
    if (this.au.length === 0) return;
    const data = joinAnnexB(this.au);
    const nalus: Uint8Array[] = [];
    let o = 0;
    let keyframe = false;
    for (const n of this.au) {
      nalus.push(data.subarray(o + 4, o + 4 + n.length));
      if ((n[0]! & 0x1f) === NAL_IDR) keyframe = true;
      o += 4 + n.length;
    }
    const ts = Math.round((this.auCount * VIDEO_CLOCK_RATE) / this.frameRate);
    const duration = Math.round(((this.auCount + 1) * VIDEO_CLOCK_RATE) / this.frameRate) - ts;
    this.ready.push({ data, nalus, timestamp: ts, keyframe, duration });
    this.auCount++;
    this.au = [];
    this.auBytes = 0;
    this.auHasVcl = false;
  }
}

/**
 * Writes an H.264 Annex B byte stream. writeFrame() takes an access unit already in Annex B form
 * (it starts with a start code) or a single NAL unit; writeNalus() takes NAL units.
 */
export class H264AnnexBWriter {
  private readonly out: OrderedSink;
  private closed: boolean;
  frameCount: number;
  constructor(sink: ByteSink) {
    this.out = new OrderedSink(sink);
    this.closed = false;
    this.frameCount = 0;
  }
  async writeFrame(frame: EncodedFrame): Promise<void> {
    const d = frame.data;
    const annexB = d.length >= 3 && d[0] === 0 && d[1] === 0 && (d[2] === 1 || (d[2] === 0 && d[3] === 1));
    await this.writeNalus(annexB ? splitAnnexB(d) : [d]);
  }
  async writeNalus(nalus: Uint8Array[]): Promise<void> {
    if (this.closed) throw new ContainerError("closed", "writer is closed");
    this.out.write(joinAnnexB(nalus));
    this.frameCount++;
    await this.out.flush();
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.out.close();
  }
}
