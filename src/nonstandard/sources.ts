// Media sources and sinks for petrel/nonstandard: tracks fed with encoded frames (one codec's
// bitstream, src/media/frame.ts) or with RTP packets (forwarding), and sinks that hand out a
// remote track's assembled frames or its RTP packets. No RFC of its own.
import type { ReceivedFrame } from "../media/frame.js";
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

export function encodedSource(kind: "audio" | "video", mime: string, label: string | undefined): EncodedTrackSource {
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
