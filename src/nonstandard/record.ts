// Recording remote tracks to files for petrel/nonstandard: one video track to IVF (VP8, VP9, AV1)
// or to an H.264 Annex B byte stream (ITU-T H.264 Annex B), and one or more tracks (video and Opus
// audio, e.g. a camera and a microphone of one stream) to ONE WebM file (RFC 9559). Writing starts
// at the first video keyframe, so a file always begins with a decodable frame (one is asked for when
// the recording starts: PLI/FIR upstream for a remote track, keyframe.ts); audio before it is
// skipped. The tracks of one WebM are lined up on the sender's wallclock from its RTCP sender
// reports (RFC 3550 6.4.1) when they come in time, else by arrival. Frames wait for the disk in a
// bounded queue (frames beyond it are dropped and counted). The containers are src/media/containers.
import {
  H264AnnexBWriter,
  IvfWriter,
  TimestampUnwrapper,
  VIDEO_CLOCK_RATE,
  type VideoCodec,
  type WebmTrack,
  WebmWriter,
} from "../media/containers/index.js";
import { type ByteSink, fileSink } from "../media/containers/io.js";
import { OPUS_CLOCK_RATE } from "../media/containers/types.js";
import type { EncodedFrame, ReceivedFrame } from "../media/frame.js";
import { type MediaStreamTrack, trackHub } from "../webrtc/media-stream.js";
import { requestKeyframe } from "./keyframe.js";

export interface RecordOptions {
  /**
   * "ivf" (one video track: VP8, VP9, AV1), "h264" (one H.264 video track, Annex B) or "webm"
   * (VP8/VP9/AV1 video and Opus audio tracks). Default from the file name: .webm, .h264 / .264,
   * else ivf.
   */
  format?: "ivf" | "webm" | "h264";
  /**
   * The video codec (default: the one a remote track's frames were received with; for a local
   * track, H264 when frames come in Annex B form, else VP8). Audio is Opus. IVF and WebM carry
   * VP8, VP9, AV1; H.264 goes to "h264".
   */
  codec?: VideoCodec | "H264" | "opus";
  /** Frame size for the header (default: from the first VP8 keyframe, else 640x480). */
  width?: number;
  height?: number;
  /** Frames waiting for the disk at most; more are dropped (counted in `dropped`). Default 2000. */
  maxPending?: number;
}

export interface Recorder {
  /**
   * Frames written (all tracks). A multi-track WebM of remote tracks holds its frames until every
   * track has a sender report (browsers: ~2.5 s), so this stays 0 until then (see `alignment`).
   */
  readonly frames: number;
  readonly keyframes: number;
  /** Frames written per track, in the order the tracks were given. */
  readonly framesPerTrack: readonly number[];
  /** Frames dropped because the disk fell behind (maxPending). */
  readonly dropped: number;
  /**
   * How the tracks of a multi-track WebM were lined up: "sender-reports" (each frame at its
   * sender's wallclock, RFC 3550 6.4.1), "arrival" (no report for every track in time), or
   * undefined (one track, or not decided yet).
   */
  readonly alignment: "sender-reports" | "arrival" | undefined;
  /** Stops, finalises the file and resolves with the counts. */
  stop(): Promise<{ frames: number; keyframes: number; framesPerTrack: number[] }>;
}

/** The size in a VP8 keyframe's header (RFC 6386 9.1), or undefined. */
function vp8Size(data: Uint8Array): { width: number; height: number } | undefined {
  if (data.length < 10 || (data[0]! & 1) !== 0) return undefined;
  if (data[3] !== 0x9d || data[4] !== 0x01 || data[5] !== 0x2a) return undefined;
  return { width: (data[6]! | (data[7]! << 8)) & 0x3fff, height: (data[8]! | (data[9]! << 8)) & 0x3fff };
}

/** An Annex B start code at the front (how H.264 access units travel as EncodedFrames). */
function isAnnexB(d: Uint8Array): boolean {
  return d.length >= 4 && d[0] === 0 && d[1] === 0 && (d[2] === 1 || (d[2] === 0 && d[3] === 1));
}

const VIDEO_CODECS: Record<string, VideoCodec | "H264"> = {
  "video/vp8": "VP8",
  "video/vp9": "VP9",
  "video/av1": "AV1",
  "video/h264": "H264",
};

/**
 * A video frame's codec: the one it was received with (ReceivedFrame.mimeType), else H.264 when
 * it comes in Annex B form, else VP8.
 */
function codecOf(f: EncodedFrame): VideoCodec | "H264" {
  const mime = (f as ReceivedFrame).mimeType;
  const known = mime === undefined ? undefined : VIDEO_CODECS[mime.toLowerCase()];
  return known ?? (isAnnexB(f.data) ? "H264" : "VP8");
}

function formatOf(path: string, opts: RecordOptions): "ivf" | "webm" | "h264" {
  if (opts.format) return opts.format;
  const p = path.toLowerCase();
  if (p.endsWith(".webm") || p.endsWith(".mkv")) return "webm";
  if (p.endsWith(".h264") || p.endsWith(".264")) return "h264";
  return "ivf";
}

interface Writer {
  write(track: number, frame: EncodedFrame): Promise<void>;
  close(): Promise<void>;
}

/** Frames held at most while waiting for every track's first sender report. */
const MAX_HELD = 2000;
/** Media held at most (ms of the leading track) while waiting for them. */
const MAX_HOLD_MS = 5000;

interface Held {
  index: number;
  frame: EncodedFrame;
  /** The frame's RTP timestamp, unwrapped. */
  u: number;
  /** It arrived before the video's first keyframe (kept only if sender reports place it after). */
  early: boolean;
}

/**
 * Lines up the tracks of one sender in a multi-track recording on the sender's wallclock: frames
 * are held until every track has a frame mapped by an RTCP sender report (ReceivedFrame.senderTime,
 * RFC 3550 6.4.1; browsers send their first audio report ~2.5 s in), then each track's timestamps
 * get a fixed offset so that they share the leading (video) track's time line, starting at 0 with
 * its first keyframe; earlier frames of other tracks are left out. Without reports in time (local
 * tracks, short recordings) the held frames go out as they arrived and the writer lines the tracks
 * up by arrival.
 */
class SenderTimeAligner {
  mode: "hold" | "sync" | "arrival";
  private readonly held: Held[];
  private readonly unwrap: TimestampUnwrapper[];
  private readonly refs: ({ ntp: number; u: number } | undefined)[];
  private readonly firstU: (number | undefined)[];
  private readonly offsets: number[];
  private readonly clocks: number[];
  private readonly lead: number;
  constructor(
    tracks: MediaStreamTrack[],
    firstVideo: number,
    private readonly maxHeld: number,
    private readonly startWriting: (rebase: boolean) => void,
    private readonly enqueue: (index: number, frame: EncodedFrame) => void,
  ) {
    this.mode = "hold";
    this.held = [];
    this.unwrap = tracks.map(() => new TimestampUnwrapper());
    this.refs = tracks.map(() => undefined);
    this.firstU = tracks.map(() => undefined);
    this.offsets = tracks.map(() => 0);
    this.clocks = tracks.map((t) => (t.kind === "video" ? VIDEO_CLOCK_RATE : OPUS_CLOCK_RATE));
    this.lead = firstVideo >= 0 ? firstVideo : -1;
  }
  push(index: number, frame: EncodedFrame, received: ReceivedFrame, early: boolean): void {
    // A local track's frames never get sender reports: no reason to wait.
    if (this.mode === "hold" && received.completedAt === undefined) this.flushArrival();
    const senderTime = received.senderTime;
    const u = this.unwrap[index]!.unwrap(frame.timestamp);
    if (early && this.mode === "arrival") return;
    if (this.mode === "sync") {
      const ts = u + this.offsets[index]!;
      if (ts >= 0) this.enqueue(index, { ...frame, timestamp: ts });
      return;
    }
    if (this.mode === "arrival") {
      this.enqueue(index, frame);
      return;
    }
    this.firstU[index] ??= u;
    if (senderTime !== undefined && !this.refs[index]) this.refs[index] = { ntp: senderTime, u };
    this.held.push({ index, frame, u, early });
    const lead = this.lead >= 0 ? this.lead : this.held[0]!.index;
    if (this.refs.every((r) => r !== undefined)) this.flushSynced(lead);
    else if (
      this.held.length >= this.maxHeld ||
      // Media time of the leading track only (the tracks' clocks differ).
      (index === lead && ((u - this.firstU[lead]!) * 1000) / this.clocks[lead]! > MAX_HOLD_MS)
    ) {
      this.flushArrival();
    }
  }
  /** The recording stops: what is held goes out as it arrived. */
  finish(): void {
    if (this.mode === "hold" && this.held.length > 0) this.flushArrival();
  }
  private flushSynced(lead: number): void {
    const r0 = this.refs[lead]!;
    // The sender's wallclock (ms) of the leading track's first frame: time 0 of the file.
    const zero = r0.ntp + ((this.firstU[lead]! - r0.u) * 1000) / this.clocks[lead]!;
    for (let k = 0; k < this.refs.length; k++) {
      const r = this.refs[k]!;
      this.offsets[k] = Math.round(((r.ntp - zero) * this.clocks[k]!) / 1000) - r.u;
    }
    this.mode = "sync";
    this.startWriting(false);
    const out: { index: number; frame: EncodedFrame; ms: number }[] = [];
    for (const h of this.held) {
      const ts = h.u + this.offsets[h.index]!;
      if (ts >= 0)
        out.push({ index: h.index, frame: { ...h.frame, timestamp: ts }, ms: (ts * 1000) / this.clocks[h.index]! });
    }
    this.held.length = 0;
    out.sort((a, b) => a.ms - b.ms);
    for (const o of out) this.enqueue(o.index, o.frame);
  }
  private flushArrival(): void {
    this.mode = "arrival";
    const kept = this.held.filter((h) => !h.early);
    this.held.length = 0;
    if (kept.length === 0) return; // the writer starts with the video's first keyframe
    this.startWriting(true);
    for (const h of kept) this.enqueue(h.index, h.frame);
  }
}

/**
 * Records a track to a file (IVF, H.264 Annex B or WebM by `opts.format` / the file name).
 * Writing starts at the first keyframe (video), which is asked for at once (requestKeyframe);
 * earlier frames are skipped.
 */
export function recordTrack(track: MediaStreamTrack, path: string, opts: RecordOptions = {}): Recorder {
  const format = formatOf(path, opts);
  if (format !== "webm" && track.kind !== "video") throw new TypeError(`${format} holds video only`);
  return record([track], path, format, opts);
}

/**
 * Records several tracks (e.g. the video and audio of one MediaStream) into ONE WebM file, one
 * WebM track each in the given order. Remote tracks of one sender are lined up on its wallclock by
 * its RTCP sender reports (frames wait for them, up to 5 s); otherwise as the frames arrive (each
 * track's first frame at the time of the latest frame already written). See `alignment`.
 */
export function recordTracks(tracks: MediaStreamTrack[], path: string, opts: RecordOptions = {}): Recorder {
  if (tracks.length === 0) throw new TypeError("recordTracks needs at least one track");
  const format = formatOf(path, opts);
  if (format !== "webm" && tracks.length !== 1) throw new TypeError(`${format} holds one track; use WebM`);
  return record(tracks, path, format, opts);
}

function record(tracks: MediaStreamTrack[], path: string, format: "ivf" | "webm" | "h264", opts: RecordOptions) {
  const maxPending = opts.maxPending ?? 2000;
  const firstVideo = tracks.findIndex((t) => t.kind === "video");
  const started = tracks.map(() => false);
  const counts = tracks.map(() => 0);
  let writer: Writer | undefined;
  let opening: Promise<void> | undefined;
  let chain: Promise<void> = Promise.resolve();
  let firstFrame: EncodedFrame | undefined;
  let pending = 0;
  let frames = 0;
  let keyframes = 0;
  let dropped = 0;
  let failed: unknown;
  let stopped = false;

  const open = async (first: EncodedFrame, sink: Promise<ByteSink>, rebase: boolean): Promise<void> => {
    const videoCodec = opts.codec && opts.codec !== "opus" ? opts.codec : codecOf(first);
    const size = videoCodec === "VP8" ? vp8Size(first.data) : undefined;
    const width = opts.width ?? size?.width ?? 640;
    const height = opts.height ?? size?.height ?? 480;
    const out = await sink;
    if (format === "h264") {
      const w = new H264AnnexBWriter(out);
      writer = { write: (_n, f) => w.writeFrame(f), close: () => w.close() };
    } else if (videoCodec === "H264") {
      await out.close?.();
      throw new TypeError(`${format === "ivf" ? "IVF" : "this WebM writer"} cannot hold H.264: record to .h264`);
    } else if (format === "ivf") {
      const w = new IvfWriter(out, { codec: videoCodec, width, height });
      writer = { write: (_n, f) => w.writeFrame(f), close: () => w.close() };
    } else {
      const specs: WebmTrack[] = tracks.map((t) =>
        t.kind === "video" ? { kind: "video", codec: videoCodec, width, height } : { kind: "audio", codec: "opus" },
      );
      const w = new WebmWriter(out, { tracks: specs, rebase });
      writer = { write: (n, f) => w.writeFrame(n + 1, f), close: () => w.close() };
    }
  };
  const startWriting = (rebase: boolean) => {
    const sink = fileSink(path);
    // A rejected file open surfaces at stop(); it must not go unhandled before.
    sink.catch(() => {});
    opening = open(firstFrame!, sink, rebase);
    chain = opening;
  };

  /** Queues a frame for the disk (bounded: beyond maxPending it is dropped and counted). */
  const enqueue = (index: number, frame: EncodedFrame) => {
    if (pending >= maxPending) {
      dropped++;
      return;
    }
    pending++;
    chain = chain
      .then(async () => {
        await writer!.write(index, frame);
        frames++;
        counts[index]!++;
        if (frame.keyframe && tracks[index]!.kind === "video") keyframes++;
      })
      .catch((err) => {
        failed ??= err;
      })
      .finally(() => {
        pending--;
      });
  };

  const aligner =
    format === "webm" && tracks.length > 1
      ? new SenderTimeAligner(tracks, firstVideo, Math.min(maxPending, MAX_HELD), startWriting, enqueue)
      : undefined;

  const onFrame = (index: number, f: EncodedFrame) => {
    if (failed !== undefined || stopped) return;
    const video = tracks[index]!.kind === "video";
    const frame: EncodedFrame = { data: f.data, timestamp: f.timestamp, keyframe: video ? f.keyframe : true };
    if (!started[index]) {
      // Video starts at its keyframe; other tracks once the first video keyframe came (the aligner
      // holds them from the start: sender reports may place them after it).
      if (!video && firstVideo >= 0 && !started[firstVideo]) {
        if (aligner?.mode === "hold") aligner.push(index, frame, f as ReceivedFrame, true);
        return;
      }
      if (video && !f.keyframe) return;
      if (!firstFrame) {
        firstFrame = f;
        if (aligner?.mode !== "hold") startWriting(true);
      }
      started[index] = true;
    }
    if (aligner) aligner.push(index, frame, f as ReceivedFrame, false);
    else enqueue(index, frame);
  };
  const unsubs = tracks.map((t, i) => trackHub(t).subscribe({ frame: (f) => onFrame(i, f) }));
  // Started mid-stream: ask for a keyframe now rather than wait for the encoder's next periodic one.
  if (firstVideo >= 0) requestKeyframe(tracks[firstVideo]!);
  return {
    get frames() {
      return frames;
    },
    get keyframes() {
      return keyframes;
    },
    get framesPerTrack() {
      return counts.slice();
    },
    get dropped() {
      return dropped;
    },
    get alignment() {
      return aligner?.mode === "sync" ? "sender-reports" : aligner?.mode === "arrival" ? "arrival" : undefined;
    },
    async stop() {
      stopped = true;
      for (const u of unsubs) u();
      aligner?.finish();
      await chain;
      if (writer) {
        // Closed even after a failed write, so the file handle is released; the first error wins.
        await writer.close().catch((err) => {
          failed ??= err;
        });
      }
      if (failed !== undefined) throw failed;
      return { frames, keyframes, framesPerTrack: counts.slice() };
    },
  } satisfies Recorder;
}
