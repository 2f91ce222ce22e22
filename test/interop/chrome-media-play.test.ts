// Petrel -> Chromium media interop, in both offerer roles: Petrel plays files made here by ffmpeg
// (testsrc VP8, VP9 and AV1 in IVF, a sine in Ogg Opus, testsrc H.264 Constrained Baseline as an
// Annex B stream) and the WebM fixture (VP8 + Opus) into tracks of one stream; Chromium renders them and
// its inbound-rtp must show at least 90% of what Petrel sent: framesDecoded against Petrel's
// outbound-rtp framesSent, concealment-free audio samples (totalSamplesReceived - concealedSamples)
// against Petrel's packetsSent x 960 (20 ms Opus packets at 48 kHz). Chromium's receiver reports
// reach Petrel (remote-inbound-rtp). Packetizers (RFC 7741 VP8, RFC 9628 VP9, the AV1 RTP
// specification, RFC 6184 H.264, RFC 7587 Opus), SRTP and the playback pacer take part.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { MediaStream, type MediaStreamTrack, RTCPeerConnection } from "../../src/index.js";
import { type Playback, playFile } from "../../src/nonstandard/index.js";
import type { BrowserPeer, BrowserSession } from "./browser.js";
import {
  chromeRtpStats,
  ffmpeg,
  launchMediaBrowser,
  petrelSends,
  ROLES,
  type Role,
  type VideoCodecChoice,
  withPage,
} from "./chrome-media-helpers.js";

/** Seconds of media in each generated file. */
const SECONDS = 2;
/** Samples in one 20 ms Opus packet at 48 kHz (what ffmpeg's libopus writes by default). */
const SAMPLES_PER_PACKET = 960;

type Files = Record<"vp8" | "vp9" | "av1" | "opus" | "h264", string>;

/** The test files, made once per run (a few hundred ms of encoding each). */
function makeFiles(dir: string): Files {
  const files: Files = {
    vp8: join(dir, "testsrc-vp8.ivf"),
    vp9: join(dir, "testsrc-vp9.ivf"),
    av1: join(dir, "testsrc-av1.ivf"),
    opus: join(dir, "sine.ogg"),
    h264: join(dir, "testsrc.h264"),
  };
  const src = ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=30", "-t", String(SECONDS), "-g", "30", "-b:v", "400k"];
  ffmpeg([...src, "-c:v", "libvpx", "-deadline", "realtime", files.vp8]);
  ffmpeg([...src, "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", files.vp9]);
  ffmpeg([...src, "-c:v", "libaom-av1", "-usage", "realtime", "-cpu-used", "8", files.av1]);
  // Baseline without B-frames: what WebRTC's H.264 (packetization-mode 1) decoders expect.
  const x264 = ["-c:v", "libx264", "-profile:v", "baseline", "-bf", "0", "-pix_fmt", "yuv420p", "-tune", "zerolatency"];
  ffmpeg([...src, ...x264, "-f", "h264", files.h264]);
  const sine = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", String(SECONDS), "-ac", "2"];
  ffmpeg([...sine, "-c:a", "libopus", "-b:a", "64k", "-frame_duration", "20", files.opus]);
  return files;
}

/**
 * Waits until Chromium's counters (frames decoded, audio packets received) stood still for 300 ms
 * - long enough for its audio jitter buffer to play out what it holds and for a decoder that a
 * loaded machine stalled for a moment - or, without audio, until every frame played is decoded;
 * at most ~3 s.
 */
async function settle(
  browser: BrowserPeer,
  played: { video: number; audio: number },
): Promise<Awaited<ReturnType<typeof chromeRtpStats>>> {
  let last = "";
  let still = 0;
  let stats = await chromeRtpStats(browser, "inbound-rtp");
  for (let i = 0; i < 30 && still < 3; i++) {
    if (played.audio === 0 && Number(stats.video?.framesDecoded ?? 0) >= played.video) break;
    await new Promise((r) => setTimeout(r, 100));
    stats = await chromeRtpStats(browser, "inbound-rtp");
    const now = `${stats.video?.framesDecoded}/${stats.audio?.packetsReceived}`;
    still = now === last ? still + 1 : 0;
    last = now;
  }
  return stats;
}

interface PlayCase {
  name: string;
  /** The files to play into one stream (each may hold video, audio or both). */
  files: (dirFiles: Files) => { path: string; frameRate?: number; loop?: boolean }[];
  codec?: VideoCodecChoice;
  /** For looped files: play this long (ms) instead of to the end. */
  playMs?: number;
  videoMime?: string;
}

async function play(
  t: { diagnostic(m: string): void },
  session: BrowserSession,
  files: Files,
  c: PlayCase,
  role: Role,
): Promise<void> {
  const pc = new RTCPeerConnection();
  const plays: Playback[] = [];
  for (const f of c.files(files)) plays.push(await playFile(f.path, { frameRate: f.frameRate, loop: f.loop }));
  const tracks: MediaStreamTrack[] = [];
  for (const p of plays) for (const tr of [p.video, p.audio]) if (tr) tracks.push(tr);
  const stream = new MediaStream(tracks);
  try {
    await withPage(session, pc, async (browser) => {
      await petrelSends(browser, pc, role, tracks, stream, { codec: c.codec });
      for (const p of plays) p.start();
      if (c.playMs) await new Promise((r) => setTimeout(r, c.playMs));
      else await Promise.all(plays.map((p) => p.done));
      for (const p of plays) p.stop();
      const played = { video: 0, audio: 0 };
      for (const p of plays) {
        played.video += p.framesPlayed.video;
        played.audio += p.framesPlayed.audio;
      }
      const got = await settle(browser, played);
      const ours = [...(await pc.getStats()).values()];
      const outbound = (kind: string) => ours.find((s) => s.type === "outbound-rtp" && s.kind === kind);
      const figures: string[] = [];
      if (tracks.some((x) => x.kind === "video")) {
        const sent = Number(outbound("video")?.framesSent);
        assert.equal(sent, played.video, "every frame the file played was sent");
        assert.equal(got.video?.mimeType, c.videoMime ?? "video/VP8");
        const decoded = Number(got.video?.framesDecoded ?? 0);
        assert.ok(decoded >= 0.9 * sent, `${role}: Chromium decoded ${decoded} of ${sent} frames`);
        assert.ok(decoded <= sent, `${role}: Chromium decoded ${decoded} frames, more than the ${sent} sent`);
        figures.push(
          `${decoded}/${sent} ${got.video?.mimeType} frames decoded (${((100 * decoded) / sent).toFixed(1)}%)`,
        );
      }
      if (tracks.some((x) => x.kind === "audio")) {
        const packets = Number(outbound("audio")?.packetsSent);
        assert.equal(packets, played.audio, "every Opus packet played was sent");
        assert.equal(got.audio?.mimeType, "audio/opus");
        const samples = Number(got.audio?.totalSamplesReceived ?? 0) - Number(got.audio?.concealedSamples ?? 0);
        const expected = packets * SAMPLES_PER_PACKET;
        assert.ok(
          samples >= 0.9 * expected,
          `${role}: Chromium got ${samples} concealment-free samples of ${expected} sent (${JSON.stringify(got.audio)})`,
        );
        figures.push(`${samples}/${expected} audio samples (${((100 * samples) / expected).toFixed(1)}%)`);
      }
      // Chromium's receiver reports came back over SRTCP and were matched to what we send.
      const remote = ours.filter((s) => s.type === "remote-inbound-rtp");
      const sending = ours.filter((s) => s.type === "outbound-rtp").map((s) => s.id);
      assert.ok(
        remote.length >= 1 && remote.every((r) => sending.includes(r.localId as string)),
        `remote-inbound-rtp from Chromium's reports, each linked to our outbound-rtp: ${JSON.stringify(remote)}`,
      );
      t.diagnostic(`${role}, ${c.name}: ${figures.join("; ")}`);
    });
  } finally {
    for (const p of plays) p.stop();
  }
}

const CASES: PlayCase[] = [
  {
    name: "a VP8 IVF and an Ogg Opus file in one stream",
    files: (f) => [{ path: f.vp8 }, { path: f.opus }],
  },
  {
    name: "an H.264 Annex B file (libx264 baseline, 30 fps)",
    files: (f) => [{ path: f.h264, frameRate: 30 }],
    codec: "H264",
    videoMime: "video/H264",
  },
  {
    name: "a VP9 IVF (libvpx-vp9, profile 0)",
    files: (f) => [{ path: f.vp9 }],
    codec: "VP9",
    videoMime: "video/VP9",
  },
  {
    name: "an AV1 IVF (libaom)",
    files: (f) => [{ path: f.av1 }],
    codec: "AV1",
    videoMime: "video/AV1",
  },
  {
    name: "the WebM fixture (VP8 + Opus, looped)",
    files: () => [{ path: "test/fixtures/media/vp8-opus.webm", loop: true }],
    playMs: 1500,
  },
];

test("Petrel plays files to Chromium", { timeout: 120_000 }, async (t) => {
  const session = await launchMediaBrowser(t);
  if (!session) return;
  const dir = mkdtempSync(join(tmpdir(), "petrel-chrome-play-"));
  try {
    const files = makeFiles(dir);
    for (const c of CASES) {
      for (const role of ROLES) await t.test(`${role}: ${c.name}`, (tt) => play(tt, session, files, c, role));
    }
  } finally {
    await session.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
