// The demo bot's media: every camera or microphone track the browser sends is echoed back on the
// same transceiver (its sender is fed by the remote track, so frames are re-packetized as they
// arrive, and a PLI from the browser's echo receiver travels upstream to the browser's encoder),
// and the incoming tracks can be recorded to one WebM file (VP8 + Opus) in the recordings folder.
// Uses the W3C API plus petrel/nonstandard (recordTracks) and petrel/media (WebmReader).
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { open, stat } from "node:fs/promises";
import { join } from "node:path";
import type { MediaStreamTrack, RTCPeerConnection } from "../src/index.js";
import { readEventsSync, WebmReader } from "../src/media/index.js";
import { type Recorder, recordTracks } from "../src/nonstandard/index.js";

/** A recording stops by itself after this long (a demo must not fill the disk). */
export const MAX_RECORDING_MS = 5 * 60 * 1000;
/** Recording file names: what the HTTP server agrees to serve. */
export const RECORDING_NAME = /^petrel-[0-9a-zA-Z-]+\.webm$/;

export interface RecordingInfo {
  name: string;
  path: string;
  size: number;
  /** From the file's Info Duration (ms). */
  durationMs: number;
  /** Frames written per kind. */
  videoFrames: number;
  audioFrames: number;
  /** Codecs of the file's tracks as the WebM reader names them, e.g. ["VP8", "opus"]. */
  codecs: string[];
}

export class BotMedia {
  private readonly pc: RTCPeerConnection;
  private readonly dir: string;
  private readonly echoStream: { id: string };
  private recording:
    | { recorder: Recorder; name: string; path: string; kinds: string[]; timer: NodeJS.Timeout }
    | undefined;
  /** Called when a recording stopped by itself (time limit) or failed. */
  onAutoStop: ((info: RecordingInfo | undefined, error?: string) => void) | null = null;

  constructor(pc: RTCPeerConnection, recordingsDir: string) {
    this.pc = pc;
    this.dir = recordingsDir;
    this.echoStream = { id: `petrel-echo-${randomBytes(4).toString("hex")}` };
  }

  /**
   * After a remote offer is applied and before the answer: every transceiver the browser sends on
   * gets the browser's own track back (sendrecv), so the answer carries the echo.
   */
  echoRemoteTracks(): void {
    for (const t of this.pc.getTransceivers()) {
      if (t.stopped || t.direction === "stopped" || t.mid === null) continue;
      const remote = t.receiver.track;
      if (remote.readyState !== "live" || t.sender.track === remote) continue;
      if (t.sender.track === null) {
        // Never used to send: feed it with the remote track (resolves at once, the sender has no encoder).
        void t.sender.replaceTrack(remote);
        t.sender.setStreams(this.echoStream);
      }
      if (t.direction === "recvonly") t.direction = "sendrecv";
      else if (t.direction === "inactive") t.direction = "sendonly";
    }
  }

  /** The remote tracks being received, video first. */
  private incomingTracks(): MediaStreamTrack[] {
    const tracks: MediaStreamTrack[] = [];
    for (const t of this.pc.getTransceivers()) {
      const dir = t.currentDirection;
      if (dir !== "sendrecv" && dir !== "recvonly") continue;
      if (t.receiver.track.readyState === "live") tracks.push(t.receiver.track);
    }
    return tracks.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === "video" ? -1 : 1));
  }

  get isRecording(): boolean {
    return this.recording !== undefined;
  }

  /** Starts recording the browser's camera and microphone into one WebM file; returns its name. */
  startRecording(): string {
    if (this.recording) throw new Error("already recording");
    const tracks = this.incomingTracks();
    if (tracks.length === 0) throw new Error("nothing to record: start the camera first");
    mkdirSync(this.dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    const name = `petrel-${stamp}-${randomBytes(3).toString("hex")}.webm`;
    const path = join(this.dir, name);
    const recorder = recordTracks(tracks, path);
    const timer = setTimeout(() => {
      this.stopRecording().then(
        (info) => this.onAutoStop?.(info),
        (err: unknown) => this.onAutoStop?.(undefined, err instanceof Error ? err.message : String(err)),
      );
    }, MAX_RECORDING_MS);
    timer.unref();
    this.recording = { recorder, name, path, kinds: tracks.map((t) => t.kind), timer };
    // The file starts at a video keyframe: recordTracks asks the browser's encoder for one at once
    // (petrel/nonstandard requestKeyframe: a PLI upstream) rather than waiting for its next periodic one.
    return name;
  }

  /** Stops and finalises the recording; resolves with what the file holds. */
  async stopRecording(): Promise<RecordingInfo> {
    const rec = this.recording;
    if (!rec) throw new Error("not recording");
    this.recording = undefined;
    clearTimeout(rec.timer);
    const counts = await rec.recorder.stop();
    let size = 0;
    try {
      size = (await stat(rec.path)).size;
    } catch {
      throw new Error("no keyframe arrived: nothing was recorded");
    }
    let videoFrames = 0;
    let audioFrames = 0;
    counts.framesPerTrack.forEach((n, i) => {
      if (rec.kinds[i] === "video") videoFrames += n;
      else audioFrames += n;
    });
    const header = await readHeader(rec.path);
    return {
      name: rec.name,
      path: rec.path,
      size,
      durationMs: Math.round(header?.durationMs ?? 0),
      videoFrames,
      audioFrames,
      codecs: header?.codecs ?? [],
    };
  }

  close(): void {
    if (this.recording) this.stopRecording().catch(() => {});
  }
}

/** The Info and Tracks of a WebM file (they sit in its first bytes). */
async function readHeader(path: string): Promise<{ durationMs: number | undefined; codecs: string[] } | undefined> {
  const f = await open(path, "r");
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await f.read(buf, 0, buf.length, 0);
    for (const ev of readEventsSync(new WebmReader(), buf.subarray(0, bytesRead))) {
      if (ev.type === "header") {
        return { durationMs: ev.header.durationMs, codecs: ev.header.tracks.map((t) => t.codec ?? t.codecId) };
      }
    }
  } finally {
    await f.close();
  }
  return undefined;
}
