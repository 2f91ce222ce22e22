// Playing media files into tracks for petrel/nonstandard: IVF (VP8, VP9, AV1), WebM (its first
// video track and first Opus track), Ogg Opus (RFC 7845) and H.264 Annex B byte streams (which
// carry no timestamps: a frame rate is given), paced in real time from the files' timestamps by
// the sans-IO PlaybackPacer (one setTimeout here, the I/O edge). No RFC of its own: the readers
// are src/media/containers.
import { readFile } from "node:fs/promises";
import {
  detectContainer,
  H264AnnexBReader,
  IvfReader,
  OggOpusReader,
  PlaybackPacer,
  readEventsSync,
  WebmReader,
} from "../media/containers/index.js";
import type { EncodedFrame } from "../media/frame.js";
import type { MediaStreamTrack } from "../webrtc/media-stream.js";
import { type EncodedTrackSource, encodedSource } from "./sources.js";

export interface PlayOptions {
  /** Start again at the end, timestamps continuing. Default false. */
  loop?: boolean;
  /** H.264 Annex B only: frames per second (the stream has no timestamps). Default 30. */
  frameRate?: number;
}

export interface Playback {
  /** The file's video track (IVF, H.264, or WebM's first video track). */
  readonly video: MediaStreamTrack | undefined;
  /** The Opus track (Ogg Opus, or WebM's first Opus track). */
  readonly audio: MediaStreamTrack | undefined;
  /** Frames written into the video and audio tracks since start(). */
  readonly framesPlayed: { readonly video: number; readonly audio: number };
  /** Starts (or restarts after stop) real-time playback. */
  start(): void;
  stop(): void;
  /** Resolves when the last frame was sent (never with loop). */
  readonly done: Promise<void>;
  /** Called on a keyframe request from any receiver of the video (e.g. log it; files cannot re-encode). */
  onKeyframeRequest: (() => void) | null;
}

interface Item {
  track: "video" | "audio";
  frame: EncodedFrame;
  /** Media time in ms from the track's first frame. */
  ms: number;
}

interface Loaded {
  items: Item[];
  videoCodec: string | undefined;
  audio: boolean;
}

function load(bytes: Uint8Array, path: string, opts: PlayOptions): Loaded {
  const items: Item[] = [];
  const kind = detectContainer(bytes.subarray(0, 64));
  let videoCodec: string | undefined;
  let audio = false;
  let error: string | undefined;
  const fail = (reason: string) => {
    error ??= reason;
  };
  if (kind === "ivf") {
    for (const ev of readEventsSync(new IvfReader(), bytes)) {
      if (ev.type === "header") videoCodec = ev.header.codec;
      else if (ev.type === "frame") items.push({ track: "video", frame: ev.frame, ms: ev.frame.timestamp / 90 });
      else if (ev.type === "error") fail(ev.error.reason);
    }
  } else if (kind === "h264") {
    videoCodec = "H264";
    for (const ev of readEventsSync(new H264AnnexBReader({ frameRate: opts.frameRate ?? 30 }), bytes)) {
      if (ev.type === "frame") {
        const f = ev.frame;
        const frame: EncodedFrame = {
          data: f.data,
          timestamp: f.timestamp,
          keyframe: f.keyframe,
          duration: f.duration,
        };
        items.push({ track: "video", frame, ms: f.timestamp / 90 });
      } else if (ev.type === "error") fail(ev.error.reason);
    }
  } else if (kind === "ogg-opus") {
    audio = true;
    for (const ev of readEventsSync(new OggOpusReader(), bytes)) {
      if (ev.type === "frame") items.push({ track: "audio", frame: ev.frame, ms: ev.frame.timestamp / 48 });
      else if (ev.type === "error") fail(ev.error.reason);
    }
  } else if (kind === "webm") {
    let videoTrack = -1;
    let audioTrack = -1;
    for (const ev of readEventsSync(new WebmReader(), bytes)) {
      if (ev.type === "header") {
        const v = ev.header.tracks.find((t) => t.kind === "video" && t.codec !== undefined);
        const a = ev.header.tracks.find((t) => t.kind === "audio" && t.codec === "opus");
        if (v) {
          videoTrack = v.number;
          videoCodec = v.codec;
        }
        if (a) {
          audioTrack = a.number;
          audio = true;
        }
      } else if (ev.type === "frame") {
        const f = ev.frame;
        if (f.track === videoTrack) items.push({ track: "video", frame: f, ms: f.timestamp / 90 });
        else if (f.track === audioTrack) items.push({ track: "audio", frame: f, ms: f.timestamp / 48 });
      } else if (ev.type === "error") fail(ev.error.reason);
    }
  } else throw new TypeError(`${path}: not an IVF, WebM, Ogg Opus or H.264 Annex B file`);
  // A damaged tail still plays what came before it; a file with nothing playable is an error.
  if (items.length === 0) throw new TypeError(`${path}: no playable frames${error ? ` (${error})` : ""}`);
  return { items, videoCodec, audio };
}

/**
 * Loads a file (IVF, WebM, Ogg Opus, H.264 Annex B; recognised by its first bytes) and plays it
 * into tracks in real time once start() is called, optionally looping.
 */
export async function playFile(path: string, opts: PlayOptions = {}): Promise<Playback> {
  if (opts.frameRate !== undefined && !(opts.frameRate > 0 && opts.frameRate <= 240)) {
    throw new RangeError("frameRate must be in (0, 240]");
  }
  const { items, videoCodec, audio: hasAudio } = load(await readFile(path), path, opts);
  items.sort((a, b) => a.ms - b.ms);
  const video: EncodedTrackSource | undefined = videoCodec
    ? encodedSource("video", `video/${videoCodec}`, path)
    : undefined;
  const audio: EncodedTrackSource | undefined = hasAudio ? encodedSource("audio", "audio/opus", path) : undefined;
  const firstTs = { video: 0, audio: 0 };
  for (const kind of ["video", "audio"] as const) {
    const first = items.find((i) => i.track === kind);
    if (first) firstTs[kind] = first.frame.timestamp;
  }
  // One loop lasts until the last frame ends (its duration, else one 30 fps frame / 20 ms packet).
  let durationMs = 0;
  for (const it of items) {
    const clock = it.track === "video" ? 90 : 48;
    const end = it.ms + (it.frame.duration ? it.frame.duration / clock : it.track === "video" ? 1000 / 30 : 20);
    if (end > durationMs) durationMs = end;
  }
  const played = { video: 0, audio: 0 };
  let timer: NodeJS.Timeout | undefined;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  const pacer = new PlaybackPacer<Item>({ capacity: items.length + 1 });
  let loopIndex = 0;
  const clockStart = performance.now();
  const now = () => performance.now() - clockStart;
  const fill = () => {
    const offsetMs = loopIndex * durationMs;
    for (const it of items) {
      const clock = it.track === "video" ? 90 : 48;
      // RTP time of the frame: from 0 at the track's first frame, continuing across loops.
      const ts = it.frame.timestamp - firstTs[it.track] + Math.round(offsetMs * clock);
      pacer.push({ track: it.track, frame: { ...it.frame, timestamp: ts }, ms: it.ms }, it.ms + offsetMs);
    }
    loopIndex++;
  };
  const tick = () => {
    timer = undefined;
    const t = now();
    for (let it = pacer.poll(t); it; it = pacer.poll(t)) {
      const src = it.track === "video" ? video : audio;
      if (src) {
        src.writeFrame(it.frame);
        played[it.track]++;
      }
    }
    if (pacer.length === 0) {
      if (!opts.loop) {
        resolveDone();
        return;
      }
      fill();
    }
    const next = pacer.nextDeadline();
    if (next !== undefined) timer = setTimeout(tick, Math.max(0, next - now()));
  };
  const playback: Playback = {
    video: video?.track,
    audio: audio?.track,
    framesPlayed: played,
    done,
    onKeyframeRequest: null,
    start() {
      if (timer) return;
      pacer.clear();
      loopIndex = 0;
      played.video = 0;
      played.audio = 0;
      fill();
      pacer.start(now());
      tick();
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      pacer.clear();
    },
  };
  if (video) video.onKeyframeRequest = () => playback.onKeyframeRequest?.();
  return playback;
}
