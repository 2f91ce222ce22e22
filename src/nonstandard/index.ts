// petrel/nonstandard: media sources and sinks for Node, where there are no cameras or speakers.
// Tracks fed by encoded frames or by RTP packets; sinks that hand out a remote track's assembled
// frames or its RTP packets; playback of an IVF or WebM file into tracks, paced in real time
// (PlaybackPacer); recording a remote track to IVF or WebM. No RFC of its own: the frames are
// each codec's bitstream (src/media/frame.ts), the files those of src/media/containers.
//
//   const src = createEncodedVideoTrack({ codec: "VP8" });
//   pc.addTrack(src.track);
//   src.writeFrame({ data, timestamp: ms * 90, keyframe });   // timestamp: codec clock since start
//   src.onKeyframeRequest = () => encoder.forceKeyframe();
//
//   pc.ontrack = (e) => { const sink = createFrameSink(e.track, (f) => use(f)); };
//   const rec = recordTrack(e.track, "out.ivf");  ...  await rec.stop();
//   const play = await playFile("in.webm"); pc.addTrack(play.video!); play.start();
import { readFile } from "node:fs/promises";
import {
  IvfReader,
  IvfWriter,
  PlaybackPacer,
  readEventsSync,
  type VideoCodec,
  WebmReader,
  WebmWriter,
} from "../media/containers/index.js";
import { fileSink } from "../media/containers/io.js";
import type { EncodedFrame, ReceivedFrame } from "../media/frame.js";
import type { RtpPacket } from "../rtp/packet.js";
import { MediaStreamTrack, type OutgoingRtp, TrackHub, trackHub } from "../webrtc/media-stream.js";

export type VideoCodecName = "VP8" | "VP9" | "H264" | "AV1";
export type AudioCodecName = "opus" | "PCMU" | "PCMA";

export interface EncodedTrackSource {
  readonly track: MediaStreamTrack;
  /**
   * Sends one encoded frame on every sender of the track. `timestamp`: media time in the codec's
   * clock (90 kHz video, 48 kHz Opus, 8 kHz G.711) since the track began.
   */
  writeFrame(frame: { data: Uint8Array; timestamp: number; keyframe?: boolean }): void;
  /** Called when a remote receiver asks for a keyframe (PLI/FIR), or a sender starts sending. */
  onKeyframeRequest: (() => void) | null;
  /** Ends the track (fires `ended` on it and its clones). */
  close(): void;
}

function encodedSource(kind: "audio" | "video", mime: string, label: string | undefined): EncodedTrackSource {
  const hub = new TrackHub(kind, mime);
  const track = new MediaStreamTrack(hub, { label: label ?? `petrel ${mime}` });
  const source: EncodedTrackSource = {
    track,
    writeFrame(f) {
      if (!(f.data instanceof Uint8Array)) throw new TypeError("frame.data must be a Uint8Array");
      if (!Number.isFinite(f.timestamp) || f.timestamp < 0) throw new TypeError("frame.timestamp must be >= 0");
      hub.pushFrame({ data: f.data, timestamp: f.timestamp, keyframe: f.keyframe ?? kind === "audio" });
    },
    onKeyframeRequest: null,
    close() {
      hub.end();
    },
  };
  hub.subscribe({ keyframeRequest: () => source.onKeyframeRequest?.() });
  return source;
}

/** A video track fed with encoded frames of one codec (H.264 as Annex B access units). */
export function createEncodedVideoTrack(opts: { codec: VideoCodecName; label?: string }): EncodedTrackSource {
  if (!["VP8", "VP9", "H264", "AV1"].includes(opts.codec)) throw new TypeError(`unsupported video codec ${opts.codec}`);
  return encodedSource("video", `video/${opts.codec}`, opts.label);
}

/** An audio track fed with encoded packets (Opus packets of 20 ms are typical). */
export function createEncodedAudioTrack(opts: { codec?: AudioCodecName; label?: string } = {}): EncodedTrackSource {
  const codec = opts.codec ?? "opus";
  if (!["opus", "PCMU", "PCMA"].includes(codec)) throw new TypeError(`unsupported audio codec ${codec}`);
  return encodedSource("audio", `audio/${codec}`, opts.label);
}

export interface RtpTrackSource {
  readonly track: MediaStreamTrack;
  /** Sends one RTP packet as it is (our SSRC replaces its SSRC; its payload type if not negotiated). */
  writeRtp(packet: OutgoingRtp): void;
  onKeyframeRequest: (() => void) | null;
  close(): void;
}

/** A track fed with RTP packets (forwarding): the sender's negotiated codec must match them. */
export function createRtpTrack(opts: { kind: "audio" | "video"; label?: string }): RtpTrackSource {
  const hub = new TrackHub(opts.kind, undefined, true);
  const track = new MediaStreamTrack(hub, { label: opts.label ?? `petrel rtp ${opts.kind}` });
  const source: RtpTrackSource = {
    track,
    writeRtp(p) {
      hub.pushOutgoingRtp(p);
    },
    onKeyframeRequest: null,
    close() {
      hub.end();
    },
  };
  hub.subscribe({ keyframeRequest: () => source.onKeyframeRequest?.() });
  return source;
}

export interface Sink {
  /** Stops delivering. */
  stop(): void;
}

/** Calls `onFrame` with every frame assembled from a (remote) track. */
export function createFrameSink(track: MediaStreamTrack, onFrame: (frame: ReceivedFrame) => void): Sink {
  const stop = trackHub(track).subscribe({ frame: (f) => onFrame(f as ReceivedFrame) });
  return { stop };
}

/** Calls `onRtp` with every RTP packet of a remote track (after SRTP, RTX unwrapped). */
export function createRtpSink(track: MediaStreamTrack, onRtp: (packet: RtpPacket) => void): Sink {
  const stop = trackHub(track).subscribe({ rtp: onRtp });
  return { stop };
}

export type { OutgoingRtp };

// ---- recording ----

export interface RecordOptions {
  /** "ivf" (video only) or "webm"; default from the file name (.webm), else ivf. */
  format?: "ivf" | "webm";
  /** The track's codec (default VP8 for video, opus for audio). IVF and WebM carry VP8, VP9, AV1, Opus. */
  codec?: VideoCodec | "opus";
  /** Frame size for the header (default: from the first VP8 keyframe, else 640x480). */
  width?: number;
  height?: number;
}

export interface Recorder {
  readonly frames: number;
  readonly keyframes: number;
  /** Stops, finalises the file and resolves with the counts. */
  stop(): Promise<{ frames: number; keyframes: number }>;
}

/** The size in a VP8 keyframe's header (RFC 6386 9.1), or undefined. */
function vp8Size(data: Uint8Array): { width: number; height: number } | undefined {
  if (data.length < 10 || (data[0]! & 1) !== 0) return undefined;
  if (data[3] !== 0x9d || data[4] !== 0x01 || data[5] !== 0x2a) return undefined;
  return { width: (data[6]! | (data[7]! << 8)) & 0x3fff, height: (data[8]! | (data[9]! << 8)) & 0x3fff };
}

/**
 * Records a track to a file. Writing starts at the first keyframe (video), so the file always
 * begins with a decodable frame; earlier frames are skipped.
 */
export function recordTrack(track: MediaStreamTrack, path: string, opts: RecordOptions = {}): Recorder {
  const format = opts.format ?? (path.endsWith(".webm") ? "webm" : "ivf");
  const video = track.kind === "video";
  if (format === "ivf" && !video) throw new TypeError("IVF holds video only");
  const codec = opts.codec ?? (video ? "VP8" : "opus");
  let writer: IvfWriter | WebmWriter | undefined;
  let opening: Promise<void> | undefined;
  let chain: Promise<void> = Promise.resolve();
  let frames = 0;
  let keyframes = 0;
  let failed: unknown;
  const open = async (first: EncodedFrame): Promise<void> => {
    const size = codec === "VP8" ? vp8Size(first.data) : undefined;
    const width = opts.width ?? size?.width ?? 640;
    const height = opts.height ?? size?.height ?? 480;
    const sink = await fileSink(path);
    if (format === "ivf") writer = new IvfWriter(sink, { codec: codec as VideoCodec, width, height });
    else
      writer = new WebmWriter(sink, {
        tracks: [
          video ? { kind: "video", codec: codec as VideoCodec, width, height } : { kind: "audio", codec: "opus" },
        ],
      });
  };
  const stopSub = trackHub(track).subscribe({
    frame: (f) => {
      if (failed !== undefined) return;
      if (!opening) {
        if (video && !f.keyframe) return;
        opening = open(f);
        chain = opening;
      }
      const frame: EncodedFrame = { data: f.data, timestamp: f.timestamp, keyframe: f.keyframe };
      chain = chain
        .then(async () => {
          const w = writer!;
          if (w instanceof IvfWriter) await w.writeFrame(frame);
          else await w.writeFrame(1, frame);
          frames++;
          if (frame.keyframe) keyframes++;
        })
        .catch((err) => {
          failed = err;
        });
    },
  });
  return {
    get frames() {
      return frames;
    },
    get keyframes() {
      return keyframes;
    },
    async stop() {
      stopSub();
      await chain;
      if (writer) await writer.close();
      if (failed !== undefined) throw failed;
      return { frames, keyframes };
    },
  };
}

// ---- playback ----

export interface Playback {
  /** The file's video track (IVF, or WebM's first video track). */
  readonly video: MediaStreamTrack | undefined;
  /** WebM's first Opus track. */
  readonly audio: MediaStreamTrack | undefined;
  /** Starts (or restarts after stop) real-time playback. */
  start(): void;
  stop(): void;
  /** Resolves when the last frame was sent (never with loop). */
  readonly done: Promise<void>;
  /** Called on a keyframe request from any receiver of the video (e.g. log it; files cannot re-encode). */
  onKeyframeRequest: (() => void) | null;
}

interface Timed {
  track: "video" | "audio";
  frame: EncodedFrame;
}

/** Loads an IVF or WebM file and plays it into tracks in real time (optionally looping). */
export async function playFile(path: string, opts: { loop?: boolean } = {}): Promise<Playback> {
  const bytes = await readFile(path);
  const items: { track: "video" | "audio"; frame: EncodedFrame; ms: number }[] = [];
  let videoCodec: string | undefined;
  let hasAudio = false;
  if (bytes.subarray(0, 4).toString("latin1") === "DKIF") {
    for (const ev of readEventsSync(new IvfReader(), bytes)) {
      if (ev.type === "header") videoCodec = ev.header.codec;
      else if (ev.type === "frame") items.push({ track: "video", frame: ev.frame, ms: ev.frame.timestamp / 90 });
    }
  } else {
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
          hasAudio = true;
        }
      } else if (ev.type === "frame") {
        const f = ev.frame;
        if (f.track === videoTrack) items.push({ track: "video", frame: f, ms: f.timestamp / 90 });
        else if (f.track === audioTrack) items.push({ track: "audio", frame: f, ms: f.timestamp / 48 });
      }
    }
  }
  if (items.length === 0) throw new TypeError(`${path}: no playable frames`);
  const video = videoCodec ? encodedSource("video", `video/${videoCodec}`, path) : undefined;
  const audio = hasAudio ? encodedSource("audio", "audio/opus", path) : undefined;
  const base = {
    video: items.find((i) => i.track === "video")?.frame.timestamp ?? 0,
    audio: items.find((i) => i.track === "audio")?.frame.timestamp ?? 0,
  };
  const durationMs = Math.max(...items.map((i) => i.ms)) + 33;
  let timer: NodeJS.Timeout | undefined;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  const pacer = new PlaybackPacer<Timed>({ capacity: items.length + 1 });
  let loopIndex = 0;
  const clockStart = performance.now();
  const now = () => performance.now() - clockStart;
  const fill = () => {
    const offsetMs = loopIndex * durationMs;
    for (const it of items) {
      const clock = it.track === "video" ? 90 : 48;
      const ts = it.frame.timestamp - base[it.track] + Math.round(offsetMs * clock);
      pacer.push({ track: it.track, frame: { ...it.frame, timestamp: ts } }, it.ms + offsetMs);
    }
    loopIndex++;
  };
  const tick = () => {
    timer = undefined;
    const t = now();
    for (let it = pacer.poll(t); it; it = pacer.poll(t)) {
      const src = it.track === "video" ? video : audio;
      src?.writeFrame(it.frame);
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
    done,
    onKeyframeRequest: null,
    start() {
      if (timer) return;
      pacer.clear();
      loopIndex = 0;
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
