// Shared pieces of the Chromium media interop tests (chrome-media-receive / chrome-media-play):
// signaling in both offerer roles with Chromium sending its fake camera and microphone or
// receiving Petrel's tracks (rendered in <video>/<audio> elements so its decoders and audio
// playout run), getStats from both sides, and ffmpeg/ffprobe runs that check a recorded file
// decodes without errors and count its frames.
import { execFileSync, spawnSync } from "node:child_process";
import type { TestContext } from "node:test";
import {
  type MediaStream,
  type MediaStreamTrack,
  type RTCPeerConnection,
  RTCRtpReceiver,
  type RTCSessionDescriptionInit,
  type RTCTrackEvent,
} from "../../src/index.js";
import { until } from "../webrtc/helpers.js";
import { BrowserPeer, type BrowserSession, launchBrowser } from "./browser.js";
import { requireTool } from "./tools.js";

/** Who sends the offer. Every scenario runs in both. */
export type Role = "chrome-offers" | "petrel-offers";
export const ROLES: readonly Role[] = ["chrome-offers", "petrel-offers"];

/** A video codec both sides are steered to (setCodecPreferences); VP8 is the default anyway. */
export type VideoCodecChoice = "VP8" | "VP9" | "AV1" | "H264";

/** Petrel's codec capabilities for one choice (H.264: Constrained Baseline, packetization-mode 1). */
function petrelPreference(codec: VideoCodecChoice) {
  return RTCRtpReceiver.getCapabilities("video")!.codecs.filter(
    (c) =>
      c.mimeType === `video/${codec}` &&
      (codec !== "H264" || /packetization-mode=1;profile-level-id=42e01f/.test(c.sdpFmtpLine ?? "")),
  );
}

/** Chromium with fake devices, plus ffmpeg and ffprobe; undefined after skipping (fails in CI). */
export async function launchMediaBrowser(t: TestContext): Promise<BrowserSession | undefined> {
  if (!requireTool(t, "ffmpeg", ["/usr/bin/ffmpeg", "ffmpeg"])) return undefined;
  if (!requireTool(t, "ffprobe", ["/usr/bin/ffprobe", "ffprobe"])) return undefined;
  // Remote audio plays (so Chromium's jitter buffer is pulled and counts samples) without a gesture.
  return launchBrowser(t, { args: ["--autoplay-policy=no-user-gesture-required"] });
}

type PageWindow = {
  pc: {
    addTransceiver(t: unknown, init?: unknown): PageTransceiver;
    getTransceivers(): PageTransceiver[];
    setRemoteDescription(d: unknown): Promise<void>;
    setLocalDescription(d?: unknown): Promise<void>;
    createOffer(): Promise<unknown>;
    createAnswer(): Promise<unknown>;
    localDescription: { toJSON(): RTCSessionDescriptionInit };
    connectionState: string;
    ontrack: ((e: { track: globalThis.MediaStreamTrack; streams: globalThis.MediaStream[] }) => void) | null;
  };
  received: number;
};
type PageTransceiver = {
  direction: string;
  receiver: { track: { kind: string } };
  sender: { replaceTrack(t: unknown): Promise<void>; setStreams(...s: unknown[]): void };
  setCodecPreferences(c: unknown[]): void;
};

/** The page-side code shared by both roles, installed once per page. */
async function installPageHelpers(page: BrowserPeer["page"]): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as PageWindow & Record<string, unknown>;
    // One codec first, the rest after it: H.264 packetization-mode 1 profile 42e01f, VP9 profile 0,
    // AV1 profile 0.
    w.prefer = (tr: PageTransceiver, mime: string) => {
      const caps = (
        RTCRtpReceiver as unknown as {
          getCapabilities(k: string): { codecs: { mimeType: string; sdpFmtpLine?: string }[] };
        }
      ).getCapabilities("video").codecs;
      const isPick = (c: { mimeType: string; sdpFmtpLine?: string }) => {
        const f = c.sdpFmtpLine ?? "";
        if (c.mimeType !== mime) return false;
        if (mime === "video/H264") return /packetization-mode=1/.test(f) && /42e01f/.test(f);
        if (mime === "video/VP9") return /profile-id=0/.test(f);
        return !/profile=[12]/.test(f);
      };
      tr.setCodecPreferences([...caps.filter(isPick), ...caps.filter((c) => !isPick(c))]);
    };
    w.received = 0;
    w.pc.ontrack = (e) => {
      w.received++;
      const el = document.createElement(e.track.kind === "video" ? "video" : "audio") as HTMLMediaElement;
      el.muted = e.track.kind === "video";
      el.autoplay = true;
      el.srcObject = e.streams[0] ?? new globalThis.MediaStream([e.track]);
      document.body.appendChild(el);
    };
  });
}

export interface ChromeSendOptions {
  video: boolean;
  audio: boolean;
  /** The video codec Chromium is steered to (default VP8). */
  codec?: VideoCodecChoice;
}

/**
 * Connects Chromium (sending its fake camera and/or microphone in ONE stream) to `pc` in the given
 * role, and resolves with the tracks Petrel's `track` events gave (video first) and their stream
 * ids. `onTracks` runs as soon as the tracks exist, before any media can flow (start recording there).
 */
export async function chromeSends(
  browser: BrowserPeer,
  pc: RTCPeerConnection,
  role: Role,
  opts: ChromeSendOptions,
  onTracks: (tracks: MediaStreamTrack[]) => void,
): Promise<{ tracks: MediaStreamTrack[]; streamIds: string[] }> {
  await installPageHelpers(browser.page);
  const want = (opts.video ? 1 : 0) + (opts.audio ? 1 : 0);
  const events: RTCTrackEvent[] = [];
  let handed = false;
  const sorted = () =>
    [...events].sort((a, b) => (a.track.kind === "video" ? -1 : 0) - (b.track.kind === "video" ? -1 : 0));
  pc.addEventListener("track", (e) => {
    events.push(e as RTCTrackEvent);
    if (events.length === want && !handed) {
      handed = true;
      onTracks(sorted().map((x) => x.track));
    }
  });
  browser.attach(pc);
  const mime = opts.codec && opts.codec !== "VP8" ? `video/${opts.codec}` : "";
  const media = [opts.video, opts.audio, mime] as [boolean, boolean, string];
  if (role === "chrome-offers") {
    const offer = await browser.page.evaluate(async ([v, a, h]) => {
      const w = window as unknown as PageWindow & { prefer(t: PageTransceiver, mime: string): void };
      const s = await navigator.mediaDevices.getUserMedia({
        video: v ? { width: 320, height: 240, frameRate: 30 } : false,
        audio: a,
      });
      for (const track of s.getTracks()) {
        const tr = w.pc.addTransceiver(track, { direction: "sendonly", streams: [s] });
        if (track.kind === "video" && h) w.prefer(tr, h);
      }
      await w.pc.setLocalDescription(await w.pc.createOffer());
      return w.pc.localDescription.toJSON();
    }, media);
    await pc.setRemoteDescription(offer);
    await pc.setLocalDescription(await pc.createAnswer());
    await browser.page.evaluate(
      (a) => (window as unknown as PageWindow).pc.setRemoteDescription(a),
      pc.localDescription!.toJSON(),
    );
  } else {
    if (opts.video) {
      const tr = pc.addTransceiver("video", { direction: "recvonly" });
      if (opts.codec && opts.codec !== "VP8") tr.setCodecPreferences(petrelPreference(opts.codec));
    }
    if (opts.audio) pc.addTransceiver("audio", { direction: "recvonly" });
    await pc.setLocalDescription(await pc.createOffer());
    const answer = await browser.page.evaluate(
      async ([offer, v, a, h]) => {
        const w = window as unknown as PageWindow & { prefer(t: PageTransceiver, mime: string): void };
        await w.pc.setRemoteDescription(offer);
        const s = await navigator.mediaDevices.getUserMedia({
          video: v ? { width: 320, height: 240, frameRate: 30 } : false,
          audio: a,
        });
        for (const tr of w.pc.getTransceivers()) {
          const track = s.getTracks().find((x) => x.kind === tr.receiver.track.kind);
          if (!track) continue;
          await tr.sender.replaceTrack(track);
          tr.sender.setStreams(s);
          tr.direction = "sendonly";
          if (track.kind === "video" && h) w.prefer(tr, h);
        }
        await w.pc.setLocalDescription(await w.pc.createAnswer());
        return w.pc.localDescription.toJSON();
      },
      [pc.localDescription!.toJSON(), ...media] as [RTCSessionDescriptionInit, boolean, boolean, string],
    );
    await pc.setRemoteDescription(answer);
  }
  await until(() => events.length === want, `${want} track events (${events.length})`, 10_000);
  return { tracks: sorted().map((e) => e.track), streamIds: sorted().map((e) => e.streams[0]?.id ?? "-") };
}

/**
 * Connects `pc` (already holding Petrel's tracks via `addTracks`) to Chromium, which receives and
 * renders them, in the given role; resolves when both sides are connected and Chromium has its
 * tracks. With `codec`, Chromium's receiving video transceiver prefers it (chrome-offers).
 */
export async function petrelSends(
  browser: BrowserPeer,
  pc: RTCPeerConnection,
  role: Role,
  tracks: MediaStreamTrack[],
  stream: MediaStream,
  opts: { codec?: VideoCodecChoice } = {},
): Promise<void> {
  await installPageHelpers(browser.page);
  if (role === "petrel-offers") {
    for (const t of tracks) pc.addTrack(t, stream);
    await browser.nodeOffers(pc);
  } else {
    browser.attach(pc);
    const kinds = tracks.map((t) => t.kind);
    const offer = await browser.page.evaluate(
      async ([k, h]) => {
        const w = window as unknown as PageWindow & { prefer(t: PageTransceiver, mime: string): void };
        for (const kind of k) {
          const tr = w.pc.addTransceiver(kind, { direction: "recvonly" });
          if (kind === "video" && h) w.prefer(tr, h);
        }
        await w.pc.setLocalDescription(await w.pc.createOffer());
        return w.pc.localDescription.toJSON();
      },
      [kinds, opts.codec && opts.codec !== "VP8" ? `video/${opts.codec}` : ""] as [string[], string],
    );
    await pc.setRemoteDescription(offer);
    // addTrack takes the transceivers the offer created (webrtc-pc 5.1 addTrack, step 9).
    for (const t of tracks) pc.addTrack(t, stream);
    await pc.setLocalDescription(await pc.createAnswer());
    await browser.page.evaluate(
      (a) => (window as unknown as PageWindow).pc.setRemoteDescription(a),
      pc.localDescription!.toJSON(),
    );
  }
  await until(() => pc.connectionState === "connected", `Petrel connected (${pc.connectionState})`, 15_000);
  for (let i = 0; i < 200; i++) {
    const [state, received] = await browser.page.evaluate(() => {
      const w = window as unknown as PageWindow;
      return [w.pc.connectionState, w.received] as const;
    });
    if (state === "connected" && received >= tracks.length) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("Chromium did not connect or get its tracks");
}

/**
 * Stops Chromium's capture tracks (so its encoders and senders stop), then waits until `count()`
 * (frames Petrel received) has not moved for 300 ms: nothing is left in flight. Resolves with the
 * page's wall-clock time (Unix epoch ms, as getStats timestamps) just before the tracks stopped.
 */
export async function chromeStopsSending(browser: BrowserPeer, count: () => number): Promise<number> {
  const stoppedAt = await browser.page.evaluate(() => {
    const w = window as unknown as { pc: { getSenders(): { track: { stop(): void } | null }[] } };
    const at = performance.timeOrigin + performance.now();
    for (const s of w.pc.getSenders()) s.track?.stop();
    return at;
  });
  let last = count();
  let still = 0;
  for (let i = 0; i < 100 && still < 3; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const n = count();
    still = n === last ? still + 1 : 0;
    last = n;
  }
  return stoppedAt;
}

/** Chromium's stats of one type and kind (outbound-rtp / inbound-rtp), with the codec's mimeType. */
export async function chromeRtpStats(
  browser: BrowserPeer,
  type: "outbound-rtp" | "inbound-rtp",
): Promise<{ video?: Record<string, number | string>; audio?: Record<string, number | string> }> {
  const all = await browser.stats();
  const out: { video?: Record<string, number | string>; audio?: Record<string, number | string> } = {};
  for (const s of all) {
    if (s.type !== type) continue;
    const codec = all.find((c) => c.id === s.codecId);
    out[s.kind as "video" | "audio"] = { ...(s as Record<string, number | string>), mimeType: String(codec?.mimeType) };
  }
  return out;
}

/**
 * ffmpeg's complaints while decoding the whole file (empty when it decodes cleanly). The frames
 * keep the file's own time base (-enc_time_base -1): by default `-f null` re-times video to one
 * tick per frame at the guessed frame rate, and two frames that a loaded Chromium captured within
 * one frame interval (seen: 13 ms apart at 20 fps) then collide as "non monotonically increasing
 * dts" - a complaint about the null output's timing, not about the file.
 */
export function decodeErrors(path: string): string {
  const args = ["-hide_banner", "-nostdin", "-v", "error", "-i", path, "-enc_time_base", "-1", "-f", "null", "-"];
  const r = spawnSync("ffmpeg", args, { encoding: "utf8" });
  return `${r.stderr}${r.status === 0 ? "" : `(exit ${r.status})`}`.trim();
}

export interface ProbedStream {
  codec: string;
  /** Frames the decoder read (video: -count_frames; audio: packets, -count_packets). */
  frames: number;
  /** Each packet's presentation time (ms), in file order. */
  times: number[];
}

/** What ffprobe finds in a file: its streams (by kind) and its duration in seconds. */
export function probe(path: string): { video?: ProbedStream; audio?: ProbedStream; duration: number } {
  const out = execFileSync(
    "ffprobe",
    [
      "-v",
      "error",
      "-count_frames",
      "-count_packets",
      "-show_entries",
      "stream=index,codec_type,codec_name,nb_read_frames,nb_read_packets:format=duration:packet=stream_index,pts_time",
      "-of",
      "json",
      path,
    ],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  const j = JSON.parse(out) as {
    streams: {
      index: number;
      codec_type: string;
      codec_name: string;
      nb_read_frames?: string;
      nb_read_packets?: string;
    }[];
    packets?: { stream_index: number; pts_time?: string }[];
    format: { duration?: string };
  };
  const r: { video?: ProbedStream; audio?: ProbedStream; duration: number } = {
    duration: Number(j.format.duration ?? Number.NaN),
  };
  for (const s of j.streams) {
    const kind = s.codec_type as "video" | "audio";
    const times = (j.packets ?? []).filter((p) => p.stream_index === s.index).map((p) => Number(p.pts_time) * 1000);
    r[kind] = { codec: s.codec_name, frames: Number(kind === "video" ? s.nb_read_frames : s.nb_read_packets), times };
  }
  return r;
}

/** Runs ffmpeg to make a test file (testsrc / sine sources); throws with its stderr on failure. */
export function ffmpeg(args: string[]): void {
  const r = spawnSync("ffmpeg", ["-hide_banner", "-nostdin", "-v", "error", "-y", ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(" ")}: ${r.stderr}`);
}

/** Opens a page with the interop RTCPeerConnection; closes page and pc after `fn`. */
export async function withPage(
  session: BrowserSession,
  pc: RTCPeerConnection,
  fn: (browser: BrowserPeer) => Promise<void>,
): Promise<void> {
  const browser = await BrowserPeer.open(session);
  try {
    await fn(browser);
  } finally {
    pc.close();
    await browser.page.close();
  }
}
