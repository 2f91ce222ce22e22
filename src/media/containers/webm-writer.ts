// A WebM (Matroska, RFC 9559) writer for VP8/VP9/AV1 video and Opus audio: EBML header; a
// Segment of unknown size (live) or patched at close (seekable sink) with a SeekHead; Info
// (TimestampScale 1 ms, Duration on seekable sinks); Tracks (V_VP8, V_VP9, V_AV1, A_OPUS with
// CodecPrivate = OpusHead, CodecDelay, SeekPreRoll); Clusters of SimpleBlocks (keyframe flag,
// 16-bit relative timestamps; a new Cluster at each video keyframe or when the relative
// timestamp would overflow); Cues for seeking at the end on seekable sinks (RFC 9559 5.1, 6, 10).
import { randomBytes } from "node:crypto";
import { av1CodecConfig } from "./av1-config.js";
import {
  bin,
  type EbmlNode,
  encodeNodes,
  float,
  floatBytes,
  ID,
  master,
  sizeLength,
  str,
  UNKNOWN_SIZE_BYTES,
  uint,
  voidElement,
  writeId,
  writeSize,
} from "./ebml.js";
import { type ByteSink, OrderedSink } from "./io.js";
import { writeOpusHead } from "./opus-head.js";
import {
  ContainerError,
  type EncodedFrame,
  OPUS_CLOCK_RATE,
  TimestampUnwrapper,
  VIDEO_CLOCK_RATE,
  type VideoCodec,
} from "./types.js";

export interface WebmVideoTrack {
  kind: "video";
  codec: VideoCodec;
  width: number;
  height: number;
  /**
   * CodecPrivate. For AV1 it is the av1C record (av1CodecConfig() builds it from a keyframe);
   * when absent it is derived from the first frame written if that is this track's keyframe.
   */
  codecPrivate?: Uint8Array;
}

export interface WebmAudioTrack {
  kind: "audio";
  codec: "opus";
  channels?: number;
  /** Opus pre-skip in 48 kHz samples (becomes CodecDelay); default 0. */
  preSkip?: number;
}

export type WebmTrack = WebmVideoTrack | WebmAudioTrack;

export interface WebmWriterOptions {
  tracks: WebmTrack[];
  /**
   * true (default): each track's first timestamp is placed at the time of the latest block
   * already written (0 for the first), so tracks with unrelated RTP clocks line up as they arrive.
   * false: timestamps are used as they are (clock units since a common zero).
   */
  rebase?: boolean;
  /** Close a Cluster after this long even without a keyframe (ms). Default 5000. */
  maxClusterDuration?: number;
  /** Cues kept for the end of a seekable file; more are dropped. Default 100,000. */
  maxCues?: number;
  writingApp?: string;
}

const CODEC_IDS: Record<VideoCodec, string> = { VP8: "V_VP8", VP9: "V_VP9", AV1: "V_AV1" };
const SEEKHEAD_RESERVE = 96;
const SEEK_PRE_ROLL_NS = 80_000_000;

interface TrackState {
  clockRate: number;
  video: boolean;
  base: number | undefined;
  offsetMs: number;
  unwrapper: TimestampUnwrapper;
}

/**
 * Writes WebM to a sink; track numbers are 1-based in `opts.tracks` order. Frames must be
 * written in (roughly) increasing time across tracks; timestamps are in each track's clock
 * (90 kHz video, 48 kHz Opus).
 */
export class WebmWriter {
  private readonly out: OrderedSink;
  private readonly opts: WebmWriterOptions;
  private readonly tracks: TrackState[];
  private readonly hasVideo: boolean;
  private readonly maxClusterMs: number;
  private readonly maxCues: number;
  private started: boolean;
  private closed: boolean;
  private segmentSizeAt: number;
  private segmentDataStart: number;
  private seekHeadAt: number;
  private infoAt: number;
  private tracksAt: number;
  private durationAt: number;
  private clusterAt: number;
  private clusterSizeAt: number;
  private clusterTime: number;
  private clusterBlocks: number;
  private cues: { time: number; track: number; position: number }[];
  private lastTimeMs: number;
  private endMs: number;
  frameCount: number;
  constructor(sink: ByteSink, opts: WebmWriterOptions) {
    if (opts.tracks.length === 0 || opts.tracks.length > 126) {
      throw new ContainerError("bad-tracks", "a WebM file needs 1 to 126 tracks");
    }
    for (const t of opts.tracks) {
      if (t.kind === "video" && !(t.codec in CODEC_IDS))
        throw new ContainerError("bad-codec", `unknown codec ${t.codec}`);
      if (t.kind === "audio" && t.codec !== "opus") throw new ContainerError("bad-codec", "audio must be opus");
    }
    this.out = new OrderedSink(sink);
    this.opts = opts;
    this.tracks = opts.tracks.map((t) => ({
      clockRate: t.kind === "video" ? VIDEO_CLOCK_RATE : OPUS_CLOCK_RATE,
      video: t.kind === "video",
      base: undefined,
      offsetMs: 0,
      unwrapper: new TimestampUnwrapper(),
    }));
    this.hasVideo = this.tracks.some((t) => t.video);
    this.maxClusterMs = opts.maxClusterDuration ?? 5000;
    this.maxCues = opts.maxCues ?? 100_000;
    this.started = false;
    this.closed = false;
    this.segmentSizeAt = 0;
    this.segmentDataStart = 0;
    this.seekHeadAt = -1;
    this.infoAt = 0;
    this.tracksAt = 0;
    this.durationAt = -1;
    this.clusterAt = -1;
    this.clusterSizeAt = -1;
    this.clusterTime = 0;
    this.clusterBlocks = 0;
    this.cues = [];
    this.lastTimeMs = 0;
    this.endMs = 0;
    this.frameCount = 0;
  }
  private trackEntry(t: WebmTrack, n: number, first: { track: number; data: Uint8Array } | undefined): EbmlNode {
    const uid = randomBytes(7);
    const common: EbmlNode[] = [
      uint(ID.TrackNumber, n),
      bin(ID.TrackUID, Uint8Array.of(1, ...uid)),
      uint(ID.FlagLacing, 0),
    ];
    if (t.kind === "video") {
      const children = [
        ...common,
        uint(ID.TrackType, 1),
        str(ID.CodecID, CODEC_IDS[t.codec]),
        master(ID.Video, [uint(ID.PixelWidth, t.width), uint(ID.PixelHeight, t.height)]),
      ];
      let priv = t.codecPrivate;
      if (!priv && t.codec === "AV1" && first?.track === n) priv = av1CodecConfig(first.data);
      if (priv) children.push(bin(ID.CodecPrivate, priv));
      return master(ID.TrackEntry, children);
    }
    const channels = t.channels ?? 2;
    const preSkip = t.preSkip ?? 0;
    return master(ID.TrackEntry, [
      ...common,
      uint(ID.TrackType, 2),
      str(ID.CodecID, "A_OPUS"),
      bin(ID.CodecPrivate, writeOpusHead({ channels, preSkip, inputSampleRate: 48000 })),
      uint(ID.CodecDelay, Math.round((preSkip * 1e9) / 48000)),
      uint(ID.SeekPreRoll, SEEK_PRE_ROLL_NS),
      master(ID.Audio, [float(ID.SamplingFrequency, 48000), uint(ID.Channels, channels)]),
    ]);
  }
  private start(first?: { track: number; data: Uint8Array }): void {
    if (this.started) return;
    this.started = true;
    const seekable = this.out.seekable;
    this.out.write(
      encodeNodes([
        master(ID.EBML, [
          uint(ID.EBMLVersion, 1),
          uint(ID.EBMLReadVersion, 1),
          uint(ID.EBMLMaxIDLength, 4),
          uint(ID.EBMLMaxSizeLength, 8),
          str(ID.DocType, "webm"),
          uint(ID.DocTypeVersion, 4),
          uint(ID.DocTypeReadVersion, 2),
        ]),
      ]),
    );
    const seg = new Uint8Array(12);
    writeId(seg, 0, ID.Segment);
    seg.set(UNKNOWN_SIZE_BYTES, 4);
    this.segmentSizeAt = this.out.position + 4;
    this.out.write(seg);
    this.segmentDataStart = this.out.position;
    if (seekable) {
      this.seekHeadAt = this.out.position;
      this.out.write(voidElement(SEEKHEAD_RESERVE));
    }
    const app = this.opts.writingApp ?? "petrel";
    const info: EbmlNode[] = [uint(ID.TimestampScale, 1_000_000), str(ID.MuxingApp, "petrel"), str(ID.WritingApp, app)];
    if (seekable) info.push(float(ID.Duration, 0));
    const infoBytes = encodeNodes([master(ID.Info, info)]);
    this.infoAt = this.out.position;
    // Duration is the last child: its 8-byte float is the last 8 bytes of Info.
    if (seekable) this.durationAt = this.out.position + infoBytes.length - 8;
    this.out.write(infoBytes);
    this.tracksAt = this.out.position;
    this.out.write(
      encodeNodes([
        master(
          ID.Tracks,
          this.opts.tracks.map((t, i) => this.trackEntry(t, i + 1, first)),
        ),
      ]),
    );
  }
  private closeCluster(): void {
    if (this.clusterAt < 0) return;
    if (this.out.seekable) {
      const size = this.out.position - (this.clusterSizeAt + 8);
      const b = new Uint8Array(8);
      writeSize(b, 0, size, 8);
      this.out.writeAt(this.clusterSizeAt, b);
    }
    this.clusterAt = -1;
  }
  private openCluster(timeMs: number, track: number, cue: boolean): void {
    this.closeCluster();
    this.clusterAt = this.out.position;
    const ts = encodeNodes([uint(ID.Timestamp, timeMs)]);
    const b = new Uint8Array(12 + ts.length);
    writeId(b, 0, ID.Cluster);
    b.set(UNKNOWN_SIZE_BYTES, 4);
    b.set(ts, 12);
    this.clusterSizeAt = this.clusterAt + 4;
    this.clusterTime = timeMs;
    this.clusterBlocks = 0;
    this.out.write(b);
    if (cue && this.out.seekable && this.cues.length < this.maxCues) {
      this.cues.push({ time: timeMs, track, position: this.clusterAt - this.segmentDataStart });
    }
  }
  /** Writes a frame of track `track` (1-based). Audio frames are all keyframes. */
  async writeFrame(track: number, frame: EncodedFrame): Promise<void> {
    if (this.closed) throw new ContainerError("closed", "writer is closed");
    const st = this.tracks[track - 1];
    if (!st) throw new ContainerError("bad-track", `no track ${track}`);
    this.start({ track, data: frame.data });
    const rebase = this.opts.rebase ?? true;
    const ts = st.unwrapper.unwrap(frame.timestamp);
    if (st.base === undefined) {
      st.base = rebase ? ts : 0;
      st.offsetMs = rebase ? this.lastTimeMs : 0;
    }
    const exactMs = st.offsetMs + ((ts - st.base) * 1000) / st.clockRate;
    const timeMs = Math.max(0, Math.round(exactMs));
    const keyframe = st.video ? frame.keyframe : true;
    const rel = timeMs - this.clusterTime;
    const newCluster =
      this.clusterAt < 0 ||
      (st.video && keyframe && this.clusterBlocks > 0) ||
      rel > 32767 ||
      rel < -32768 ||
      (!this.hasVideo && rel >= this.maxClusterMs);
    if (newCluster) this.openCluster(timeMs, track, keyframe && (st.video || !this.hasVideo));
    const n = frame.data.length;
    const payload = n + 4;
    const sl = sizeLength(payload);
    const b = new Uint8Array(1 + sl + payload);
    b[0] = ID.SimpleBlock;
    let o = writeSize(b, 1, payload, sl);
    b[o++] = 0x80 | track;
    const r = timeMs - this.clusterTime;
    b[o++] = (r >> 8) & 0xff;
    b[o++] = r & 0xff;
    b[o++] = keyframe ? 0x80 : 0;
    b.set(frame.data, o);
    this.out.write(b);
    this.clusterBlocks++;
    this.frameCount++;
    if (timeMs > this.lastTimeMs) this.lastTimeMs = timeMs;
    const dur = frame.duration ? (frame.duration * 1000) / st.clockRate : 0;
    const end = Math.round((exactMs + dur) * 1000) / 1000;
    if (end > this.endMs) this.endMs = end;
    await this.out.flush();
  }
  /** Ends the file: on a seekable sink writes Cues and patches sizes, Duration and the SeekHead. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.start();
    this.closeCluster();
    if (this.out.seekable) {
      let cuesAt = -1;
      if (this.cues.length > 0) {
        cuesAt = this.out.position;
        this.out.write(
          encodeNodes([
            master(
              ID.Cues,
              this.cues.map((c) =>
                master(ID.CuePoint, [
                  uint(ID.CueTime, c.time),
                  master(ID.CueTrackPositions, [uint(ID.CueTrack, c.track), uint(ID.CueClusterPosition, c.position)]),
                ]),
              ),
            ),
          ]),
        );
      }
      const segSize = new Uint8Array(8);
      writeSize(segSize, 0, this.out.position - this.segmentDataStart, 8);
      this.out.writeAt(this.segmentSizeAt, segSize);
      this.out.writeAt(this.durationAt, floatBytes(this.endMs));
      const seek = (id: number, at: number): EbmlNode => {
        const idBytes = new Uint8Array(4);
        writeId(idBytes, 0, id);
        return master(ID.Seek, [bin(ID.SeekID, idBytes), uint(ID.SeekPosition, at - this.segmentDataStart)]);
      };
      const entries = [seek(ID.Info, this.infoAt), seek(ID.Tracks, this.tracksAt)];
      if (cuesAt >= 0) entries.push(seek(ID.Cues, cuesAt));
      const sh = encodeNodes([master(ID.SeekHead, entries)]);
      const filled = new Uint8Array(SEEKHEAD_RESERVE);
      filled.set(sh, 0);
      if (SEEKHEAD_RESERVE - sh.length >= 2) filled.set(voidElement(SEEKHEAD_RESERVE - sh.length), sh.length);
      this.out.writeAt(this.seekHeadAt, filled);
    }
    await this.out.close();
  }
}
