// A streaming WebM/Matroska reader for playback (RFC 8794 EBML, RFC 9559 Matroska): checks the
// EBML header's DocType, descends into Segment and Cluster (known or unknown sizes; an unknown-size
// Cluster ends where a top-level element begins, RFC 9559 section 6.2 / RFC 8794 section 6.2),
// parses Info, Tracks and Cues, and yields frames from SimpleBlocks and BlockGroups with Xiph,
// EBML and fixed-size lacing (RFC 9559 section 10.3). Everything else is skipped as it streams
// past, so memory stays bounded by the largest block.
import { opusPacketSamples } from "../codecs/opus.js";
import { ByteQueue } from "./byte-queue.js";
import {
  ID,
  readFloat,
  readId,
  readSize,
  readString,
  readUint,
  TOP_LEVEL_IDS,
  UNKNOWN_SIZE,
  walkChildren,
} from "./ebml.js";
import { ContainerError, type ContainerReader, type EncodedFrame, type ReaderEvent, type VideoCodec } from "./types.js";

export interface WebmTrackInfo {
  number: number;
  kind: "video" | "audio" | "other";
  codecId: string;
  /** Known codecs; undefined for others (their frames are still delivered). */
  codec: VideoCodec | "opus" | undefined;
  codecPrivate: Uint8Array | undefined;
  /** Timestamps of this track's frames are in this clock (90 kHz video, 48 kHz Opus). */
  clockRate: number;
  width?: number;
  height?: number;
  sampleRate?: number;
  channels?: number;
  /** Nanoseconds. */
  defaultDuration?: number;
  codecDelay?: number;
  seekPreRoll?: number;
}

export interface WebmHeader {
  docType: string;
  /** Nanoseconds per timestamp tick (1,000,000 in WebM). */
  timestampScale: number;
  /** Milliseconds, when Info has a Duration. */
  durationMs: number | undefined;
  muxingApp: string;
  writingApp: string;
  tracks: WebmTrackInfo[];
}

export interface WebmFrame extends EncodedFrame {
  track: number;
}

export interface WebmCue {
  /** Milliseconds (timestampScale applied). */
  timeMs: number;
  track: number;
  /** Byte offset of the Cluster from the start of the Segment's data. */
  clusterPosition: number;
}

export interface WebmReaderStats {
  /** Blocks dropped: unknown track, malformed header or lacing. */
  droppedBlocks: number;
  /** Bytes of elements skipped without parsing. */
  skippedBytes: number;
  /** True when input ended in the middle of an element. */
  truncated: boolean;
}

export interface WebmReaderOptions {
  /** Larger blocks are a parse error. Default 16 MiB. */
  maxFrameSize?: number;
}

type Ev = ReaderEvent<WebmHeader, WebmFrame>;
const MAX_HEADER_ELEMENT = 4 * 1024 * 1024;
const MAX_CUES = 8 * 1024 * 1024;
/** Segment > Cluster is all a file needs; anything deeper is malformed (and would grow the stack). */
const MAX_DEPTH = 4;

const VIDEO_CODECS: Record<string, VideoCodec> = { V_VP8: "VP8", V_VP9: "VP9", V_AV1: "AV1" };

export class WebmReader implements ContainerReader<WebmHeader, WebmFrame> {
  private readonly queue: ByteQueue;
  private readonly maxFrameSize: number;
  private readonly stack: { id: number; end: number }[];
  private phase: "ebml" | "body" | "done";
  private skip: number;
  private finished: boolean;
  private overflow: boolean;
  private header: WebmHeader;
  private headerSent: boolean;
  private readonly trackMap: Map<number, WebmTrackInfo>;
  private clusterTime: number;
  /** Stream offset of the Segment's data (what cue and seek positions count from). */
  segmentDataStart: number;
  private readonly out: Ev[];
  private outHead: number;
  readonly cues: WebmCue[];
  /** From the SeekHead: element ID -> absolute stream offset (e.g. ID.Cues for cuesOffset()). */
  readonly seekPositions: Map<number, number>;
  readonly stats: WebmReaderStats;
  constructor(opts: WebmReaderOptions = {}) {
    this.maxFrameSize = opts.maxFrameSize ?? 16 * 1024 * 1024;
    this.queue = new ByteQueue(Math.max(this.maxFrameSize, MAX_CUES) + 256 * 1024);
    this.stack = [];
    this.phase = "ebml";
    this.skip = 0;
    this.finished = false;
    this.overflow = false;
    this.header = {
      docType: "",
      timestampScale: 1_000_000,
      durationMs: undefined,
      muxingApp: "",
      writingApp: "",
      tracks: [],
    };
    this.headerSent = false;
    this.trackMap = new Map();
    this.clusterTime = 0;
    this.segmentDataStart = 0;
    this.out = [];
    this.outHead = 0;
    this.cues = [];
    this.seekPositions = new Map();
    this.stats = { droppedBlocks: 0, skippedBytes: 0, truncated: false };
  }
  push(chunk: Uint8Array): void {
    if (this.phase === "done" || this.finished) return;
    if (this.skip > 0) {
      // Bytes of a skipped element never enter the queue.
      const n = Math.min(this.skip, chunk.length - 0);
      if (this.queue.length === 0) {
        this.skip -= n;
        this.stats.skippedBytes += n;
        this.queue.consumed += n;
        chunk = chunk.subarray(n);
      }
    }
    if (!this.queue.push(chunk)) this.overflow = true;
  }
  finish(): void {
    this.finished = true;
  }
  private fail(reason: string): void {
    this.phase = "done";
    this.out.push({ type: "error", error: { reason, offset: this.queue.consumed } });
  }
  private end(): void {
    if (!this.headerSent) {
      this.fail(this.stats.truncated ? "truncated" : "no-tracks");
      return;
    }
    this.phase = "done";
    this.out.push({ type: "end" });
  }
  poll(): Ev | undefined {
    for (;;) {
      if (this.outHead < this.out.length) {
        const ev = this.out[this.outHead++]!;
        if (this.outHead === this.out.length) {
          this.out.length = 0;
          this.outHead = 0;
        }
        return ev;
      }
      if (this.phase === "done") return undefined;
      if (this.overflow) {
        this.fail("buffer-overflow");
        continue;
      }
      if (!this.step()) return undefined;
    }
  }
  /** One parsing step; false when more input is needed. */
  private step(): boolean {
    if (this.skip > 0) {
      const n = Math.min(this.skip, this.queue.length);
      this.queue.consume(n);
      this.skip -= n;
      this.stats.skippedBytes += n;
      if (this.skip > 0) {
        if (!this.finished) return false;
        this.stats.truncated = true;
        this.end();
        return true;
      }
    }
    const pos = this.queue.consumed;
    while (this.stack.length > 0 && pos >= this.stack[this.stack.length - 1]!.end) this.stack.pop();
    const b = this.queue.view();
    if (b.length === 0) {
      if (!this.finished) return false;
      this.end();
      return true;
    }
    const [id, il] = readId(b, 0);
    if (id === -1) {
      this.fail("bad-element-id");
      return true;
    }
    const [size, sl] = il === 0 ? [0, 0] : readSize(b, il);
    if (sl === 0 && size === -2) {
      this.fail("bad-element-size");
      return true;
    }
    if (il === 0 || sl === 0) {
      if (!this.finished) return false;
      this.stats.truncated = true;
      this.end();
      return true;
    }
    const hl = il + sl;
    if (this.phase === "ebml") {
      if (id !== ID.EBML) {
        this.fail("not-ebml");
        return true;
      }
      if (size < 0 || size > 4096) {
        this.fail("bad-ebml-header");
        return true;
      }
      if (b.length < hl + size) return this.wait();
      let docType = "";
      const ok = walkChildren(b.subarray(hl, hl + size), (cid, p) => {
        if (cid === ID.DocType) docType = readString(p);
      });
      if (!ok || (docType !== "webm" && docType !== "matroska")) {
        this.fail("bad-doctype");
        return true;
      }
      this.header.docType = docType;
      this.queue.consume(hl + size);
      this.phase = "body";
      return true;
    }
    // An unknown-size Cluster (or Segment) ends where an element that cannot be its child starts.
    let top = this.stack[this.stack.length - 1];
    if (top && top.end === Number.POSITIVE_INFINITY) {
      if (top.id === ID.Cluster && (TOP_LEVEL_IDS.has(id) || id === ID.EBML || id === ID.Segment)) {
        this.stack.pop();
        top = this.stack[this.stack.length - 1];
      }
    }
    if (id === ID.EBML || (id === ID.Segment && this.headerSent)) {
      // A second (chained) segment: playback of the first one is complete.
      this.end();
      return true;
    }
    if (top && size !== UNKNOWN_SIZE && pos + hl + size > top.end) {
      this.fail("element-overruns-parent");
      return true;
    }
    if (id === ID.Segment || id === ID.Cluster) {
      if (this.stack.length >= MAX_DEPTH) {
        this.fail("too-deep");
        return true;
      }
      if (id === ID.Cluster && !this.headerSent) {
        this.fail("no-tracks");
        return true;
      }
      this.stack.push({ id, end: size === UNKNOWN_SIZE ? Number.POSITIVE_INFINITY : pos + hl + size });
      this.queue.consume(hl);
      if (id === ID.Segment) this.segmentDataStart = pos + hl;
      return true;
    }
    if (size === UNKNOWN_SIZE) {
      this.fail("unknown-size-element");
      return true;
    }
    let cap = 0;
    if (id === ID.SimpleBlock || id === ID.BlockGroup) cap = this.maxFrameSize + 64;
    else if (id === ID.Info || id === ID.Tracks) cap = MAX_HEADER_ELEMENT;
    else if (id === ID.Timestamp) cap = 8;
    else if (id === ID.Cues) cap = MAX_CUES;
    else if (id === ID.SeekHead) cap = 64 * 1024;
    if (cap === 0 || ((id === ID.Cues || id === ID.SeekHead) && size > cap)) {
      this.queue.consume(hl);
      this.skip = size;
      return true;
    }
    if (size > cap) {
      this.fail(id === ID.SimpleBlock || id === ID.BlockGroup ? "frame-too-large" : "element-too-large");
      return true;
    }
    if (b.length < hl + size) return this.wait();
    const payload = b.subarray(hl, hl + size);
    this.handleElement(id, payload);
    this.queue.consume(hl + size);
    return true;
  }
  private wait(): boolean {
    if (!this.finished) return false;
    this.stats.truncated = true;
    this.end();
    return true;
  }
  private handleElement(id: number, p: Uint8Array): void {
    switch (id) {
      case ID.Info:
        walkChildren(p, (cid, v) => {
          if (cid === ID.TimestampScale) this.header.timestampScale = readUint(v) || 1_000_000;
          else if (cid === ID.Duration) this.header.durationMs = readFloat(v);
          else if (cid === ID.MuxingApp) this.header.muxingApp = readString(v);
          else if (cid === ID.WritingApp) this.header.writingApp = readString(v);
        });
        if (this.header.durationMs !== undefined) {
          this.header.durationMs = (this.header.durationMs * this.header.timestampScale) / 1e6;
        }
        return;
      case ID.Tracks:
        if (!this.headerSent) this.parseTracks(p);
        return;
      case ID.Timestamp:
        this.clusterTime = readUint(p);
        return;
      case ID.SimpleBlock:
        this.block(p, true, undefined, false);
        return;
      case ID.BlockGroup: {
        let block: Uint8Array | undefined;
        let duration: number | undefined;
        let referenced = false;
        walkChildren(p, (cid, v) => {
          if (cid === ID.Block) block = v;
          else if (cid === ID.BlockDuration) duration = readUint(v);
          else if (cid === ID.ReferenceBlock) referenced = true;
        });
        if (block) this.block(block, false, duration, referenced);
        else this.stats.droppedBlocks++;
        return;
      }
      case ID.Cues:
        this.parseCues(p);
        return;
      case ID.SeekHead:
        walkChildren(p, (cid, seek) => {
          if (cid !== ID.Seek || this.seekPositions.size >= 64) return;
          let target = 0;
          let position = -1;
          walkChildren(seek, (sid, v) => {
            if (sid === ID.SeekID) target = readUint(v);
            else if (sid === ID.SeekPosition) position = readUint(v);
          });
          if (target > 0 && position >= 0) this.seekPositions.set(target, this.segmentDataStart + position);
        });
        return;
    }
  }
  private parseTracks(p: Uint8Array): void {
    walkChildren(p, (cid, entry) => {
      if (cid !== ID.TrackEntry) return;
      const t: WebmTrackInfo = {
        number: 0,
        kind: "other",
        codecId: "",
        codec: undefined,
        codecPrivate: undefined,
        clockRate: 1000,
      };
      walkChildren(entry, (id, v) => {
        if (id === ID.TrackNumber) t.number = readUint(v);
        else if (id === ID.TrackType) {
          const type = readUint(v);
          t.kind = type === 1 ? "video" : type === 2 ? "audio" : "other";
        } else if (id === ID.CodecID) t.codecId = readString(v);
        else if (id === ID.CodecPrivate) t.codecPrivate = v.slice();
        else if (id === ID.DefaultDuration) t.defaultDuration = readUint(v);
        else if (id === ID.CodecDelay) t.codecDelay = readUint(v);
        else if (id === ID.SeekPreRoll) t.seekPreRoll = readUint(v);
        else if (id === ID.Video)
          walkChildren(v, (vid, x) => {
            if (vid === ID.PixelWidth) t.width = readUint(x);
            else if (vid === ID.PixelHeight) t.height = readUint(x);
          });
        else if (id === ID.Audio)
          walkChildren(v, (aid, x) => {
            if (aid === ID.SamplingFrequency) t.sampleRate = readFloat(x);
            else if (aid === ID.Channels) t.channels = readUint(x);
          });
      });
      if (t.number === 0 || this.trackMap.has(t.number) || this.trackMap.size >= 128) return;
      t.codec = t.codecId === "A_OPUS" ? "opus" : VIDEO_CODECS[t.codecId];
      t.clockRate = t.kind === "video" ? 90_000 : t.codec === "opus" ? 48_000 : Math.round(t.sampleRate ?? 0) || 1000;
      this.trackMap.set(t.number, t);
      this.header.tracks.push(t);
    });
    if (this.header.tracks.length === 0) return;
    this.headerSent = true;
    this.out.push({ type: "header", header: this.header });
  }
  /** Where the Cues element starts (absolute offset), when the SeekHead says so. */
  cuesOffset(): number | undefined {
    return this.seekPositions.get(ID.Cues);
  }
  /**
   * Parses a Cues element fetched separately (bytes starting at cuesOffset()), for seeking in a
   * file before its end has been read. False if the bytes do not hold a complete Cues element.
   */
  loadCues(bytes: Uint8Array): boolean {
    const [id, il] = readId(bytes, 0);
    if (id !== ID.Cues) return false;
    const [size, sl] = readSize(bytes, il);
    if (sl === 0 || size < 0 || size > MAX_CUES || il + sl + size > bytes.length) return false;
    this.cues.length = 0;
    this.parseCues(bytes.subarray(il + sl, il + sl + size));
    return true;
  }
  /**
   * The cue to seek to for `timeMs`: the last one at or before it (for `track`, if given), with
   * the absolute offset of its Cluster. The Cluster may begin before the cue's time (a cue can
   * point into the middle of one): drop frames before `timeMs` of the result. Undefined without cues.
   */
  cueFor(timeMs: number, track?: number): { timeMs: number; offset: number } | undefined {
    let before: WebmCue | undefined;
    let earliest: WebmCue | undefined;
    for (const c of this.cues) {
      if (track !== undefined && c.track !== track) continue;
      if (c.timeMs <= timeMs && (!before || c.timeMs > before.timeMs)) before = c;
      if (!earliest || c.timeMs < earliest.timeMs) earliest = c;
    }
    const best = before ?? earliest;
    return best && { timeMs: best.timeMs, offset: this.segmentDataStart + best.clusterPosition };
  }
  /**
   * Resumes parsing at a Cluster boundary (a cue's offset): buffered input is dropped and the
   * next bytes pushed must start at `offset`. Only after the header (Tracks) has been read.
   */
  restartAt(offset: number): void {
    if (!this.headerSent) throw new ContainerError("not-ready", "restartAt() needs the header first");
    if (!(offset >= this.segmentDataStart)) throw new ContainerError("bad-offset", "offset before the Segment's data");
    this.queue.reset(offset);
    while (this.stack.length > 0 && this.stack[this.stack.length - 1]!.id !== ID.Segment) this.stack.pop();
    this.skip = 0;
    this.finished = false;
    this.overflow = false;
    this.stats.truncated = false;
    this.out.length = 0;
    this.outHead = 0;
    this.phase = "body";
  }
  private parseCues(p: Uint8Array): void {
    const scale = this.header.timestampScale / 1e6;
    walkChildren(p, (cid, point) => {
      if (cid !== ID.CuePoint || this.cues.length >= 1_000_000) return;
      let time = 0;
      walkChildren(point, (id, v) => {
        if (id === ID.CueTime) time = readUint(v);
        else if (id === ID.CueTrackPositions) {
          let track = 0;
          let position = 0;
          walkChildren(v, (pid, x) => {
            if (pid === ID.CueTrack) track = readUint(x);
            else if (pid === ID.CueClusterPosition) position = readUint(x);
          });
          this.cues.push({ timeMs: time * scale, track, clusterPosition: position });
        }
      });
    });
  }
  /** Parses a Block or SimpleBlock body (RFC 9559 10.1, 10.2) and its lacing (10.3). */
  private block(b: Uint8Array, simple: boolean, blockDuration: number | undefined, referenced: boolean): boolean {
    const [track, tl] = readSize(b, 0);
    const t = tl > 0 ? this.trackMap.get(track) : undefined;
    if (!t || b.length < tl + 3) return this.drop();
    const rel = ((b[tl]! << 24) | (b[tl + 1]! << 16)) >> 16;
    const flags = b[tl + 2]!;
    const keyframe = t.kind !== "video" || (simple ? (flags & 0x80) !== 0 : !referenced);
    const lacing = (flags >> 1) & 3;
    let o = tl + 3;
    const sizes: number[] = [];
    if (lacing === 0) sizes.push(b.length - o);
    else {
      if (o >= b.length) return this.drop();
      const count = b[o++]! + 1;
      if (lacing === 1) {
        let sum = 0;
        for (let i = 0; i < count - 1; i++) {
          let s = 0;
          let v = 255;
          while (v === 255) {
            if (o >= b.length) return this.drop();
            v = b[o++]!;
            s += v;
          }
          sizes.push(s);
          sum += s;
        }
        sizes.push(b.length - o - sum);
      } else if (lacing === 3) {
        const [first, fl] = readSize(b, o);
        if (fl === 0 || first < 0) return this.drop();
        o += fl;
        sizes.push(first);
        let prev = first;
        let sum = first;
        for (let i = 1; i < count - 1; i++) {
          const [raw, len] = readRawVint(b, o);
          if (len === 0) return this.drop();
          o += len;
          prev += raw - (2 ** (7 * len - 1) - 1);
          if (prev < 0) return this.drop();
          sizes.push(prev);
          sum += prev;
        }
        sizes.push(b.length - o - sum);
      } else {
        const rest = b.length - o;
        if (rest % count !== 0) return this.drop();
        for (let i = 0; i < count; i++) sizes.push(rest / count);
      }
    }
    let total = 0;
    for (const s of sizes) {
      if (s < 0) return this.drop();
      total += s;
    }
    if (o + total !== b.length) return this.drop();
    const scale = this.header.timestampScale;
    const ns = (this.clusterTime + rel) * scale;
    let ts = Math.round((ns * t.clockRate) / 1e9);
    const defaultDur = t.defaultDuration ? Math.round((t.defaultDuration * t.clockRate) / 1e9) : undefined;
    for (const s of sizes) {
      const data = b.slice(o, o + s);
      o += s;
      let duration: number | undefined;
      if (t.codec === "opus") duration = opusPacketSamples(data) || undefined;
      else if (blockDuration !== undefined && sizes.length === 1) {
        duration = Math.round((blockDuration * scale * t.clockRate) / 1e9);
      } else duration = defaultDur;
      const frame: WebmFrame = { data, timestamp: ts, keyframe, track: t.number };
      if (duration !== undefined) frame.duration = duration;
      this.out.push({ type: "frame", frame });
      ts += duration ?? 0;
    }
    return true;
  }
  private drop(): false {
    this.stats.droppedBlocks++;
    return false;
  }
}

/** A variable-size integer with only its length marker removed (for signed EBML lace sizes). */
function readRawVint(b: Uint8Array, o: number): [number, number] {
  if (o >= b.length || b[o] === 0) return [0, 0];
  const len = Math.clz32(b[o]!) - 23;
  if (o + len > b.length) return [0, 0];
  let v = b[o]! & (0xff >> len);
  for (let i = 1; i < len; i++) v = v * 256 + b[o + i]!;
  return [v, len];
}
