// Recording remote tracks to files for petrel/nonstandard: one video track to IVF (VP8, VP9, AV1)
// or to an H.264 Annex B byte stream (ITU-T H.264 Annex B), and one or more tracks (video and Opus
// audio, e.g. a camera and a microphone of one stream) to ONE WebM file (RFC 9559). Writing starts
// at the first video keyframe, so a file always begins with a decodable frame; audio before it is
// skipped. Frames wait for the disk in a bounded queue (frames beyond it are dropped and counted).
// No RFC of its own: the containers are src/media/containers.
import { H264AnnexBWriter, IvfWriter, type VideoCodec, type WebmTrack, WebmWriter } from "../media/containers/index.js";
import { type ByteSink, fileSink } from "../media/containers/io.js";
import type { EncodedFrame, ReceivedFrame } from "../media/frame.js";
import { type MediaStreamTrack, trackHub } from "../webrtc/media-stream.js";

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
  /** Frames written (all tracks). */
  readonly frames: number;
  readonly keyframes: number;
  /** Frames written per track, in the order the tracks were given. */
  readonly framesPerTrack: readonly number[];
  /** Frames dropped because the disk fell behind (maxPending). */
  readonly dropped: number;
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

/**
 * Records a track to a file (IVF, H.264 Annex B or WebM by `opts.format` / the file name).
 * Writing starts at the first keyframe (video); earlier frames are skipped.
 */
export function recordTrack(track: MediaStreamTrack, path: string, opts: RecordOptions = {}): Recorder {
  const format = formatOf(path, opts);
  if (format !== "webm" && track.kind !== "video") throw new TypeError(`${format} holds video only`);
  return record([track], path, format, opts);
}

/**
 * Records several tracks (e.g. the video and audio of one MediaStream) into ONE WebM file, one
 * WebM track each in the given order. Timestamps line up as the frames arrive (each track's first
 * frame is placed at the time of the latest frame already written).
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
  let pending = 0;
  let frames = 0;
  let keyframes = 0;
  let dropped = 0;
  let failed: unknown;
  let stopped = false;

  const open = async (first: EncodedFrame, sink: Promise<ByteSink>): Promise<void> => {
    const videoCodec = opts.codec && opts.codec !== "opus" ? opts.codec : codecOf(first);
    const size = videoCodec === "VP8" ? vp8Size(first.data) : undefined;
    const width = opts.width ?? size?.width ?? 640;
    const height = opts.height ?? size?.height ?? 480;
    const out = await sink;
    if (format === "h264") {
      const w = new H264AnnexBWriter(out);
      writer = { write: (_n, f) => w.writeFrame(f), close: () => w.close() };
    } else if (format === "ivf") {
      if (videoCodec === "H264") throw new TypeError("IVF cannot hold H.264: record to .h264");
      const w = new IvfWriter(out, { codec: videoCodec, width, height });
      writer = { write: (_n, f) => w.writeFrame(f), close: () => w.close() };
    } else {
      if (videoCodec === "H264") throw new TypeError("this WebM writer has no H.264: record to .h264");
      const specs: WebmTrack[] = tracks.map((t) =>
        t.kind === "video" ? { kind: "video", codec: videoCodec, width, height } : { kind: "audio", codec: "opus" },
      );
      const w = new WebmWriter(out, { tracks: specs });
      writer = { write: (n, f) => w.writeFrame(n + 1, f), close: () => w.close() };
    }
  };

  const onFrame = (index: number, f: EncodedFrame) => {
    if (failed !== undefined || stopped) return;
    const video = tracks[index]!.kind === "video";
    if (!started[index]) {
      // Video starts at its keyframe; other tracks once the file is open (after the first video keyframe).
      if (video ? !f.keyframe : firstVideo >= 0 && !started[firstVideo]) return;
      if (!opening && (firstVideo < 0 || index === firstVideo)) {
        const sink = fileSink(path);
        // A rejected file open surfaces at stop(); it must not go unhandled before.
        sink.catch(() => {});
        opening = open(f, sink);
        chain = opening;
      }
      if (!opening) return;
      started[index] = true;
    }
    if (pending >= maxPending) {
      dropped++;
      return;
    }
    pending++;
    const frame: EncodedFrame = { data: f.data, timestamp: f.timestamp, keyframe: video ? f.keyframe : true };
    chain = chain
      .then(async () => {
        await writer!.write(index, frame);
        frames++;
        counts[index]!++;
        if (frame.keyframe && video) keyframes++;
      })
      .catch((err) => {
        failed ??= err;
      })
      .finally(() => {
        pending--;
      });
  };
  const unsubs = tracks.map((t, i) => trackHub(t).subscribe({ frame: (f) => onFrame(i, f) }));
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
    async stop() {
      stopped = true;
      for (const u of unsubs) u();
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
