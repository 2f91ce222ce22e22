// Chromium -> Petrel media interop, in both offerer roles: Chromium's fake camera (VP8) and fake
// microphone (Opus) in ONE stream, recorded by Petrel into ONE WebM for ~3 s; then ffmpeg decodes
// the file without a single error, ffprobe's frame and packet counts match what Chromium's
// outbound-rtp says it sent, and the file's duration matches the time Chromium was sending.
// The same for H.264 (Chromium's OpenH264 encoder, steered by setCodecPreferences to
// packetization-mode 1, profile 42e01f), recorded to an Annex B byte stream. SRTP, BUNDLE demux
// by MID, depacketizers (RFC 7741 VP8, RFC 6184 H.264, RFC 7587 Opus) and the WebM/Annex B
// writers all take part.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type MediaStreamTrack, RTCPeerConnection } from "../../src/index.js";
import { createFrameSink, type Recorder, recordTrack, recordTracks } from "../../src/nonstandard/index.js";
import { until } from "../webrtc/helpers.js";
import type { BrowserSession } from "./browser.js";
import {
  chromeRtpStats,
  chromeSends,
  decodeErrors,
  launchMediaBrowser,
  probe,
  ROLES,
  type Role,
  withPage,
} from "./chrome-media-helpers.js";

/** How long each recording runs after its first frame (ms). */
const RECORD_MS = 3000;

/**
 * Frames Chromium counted as sent that the file may lack, or hold beyond Chromium's count: we read
 * Chromium's stats and then stop the recorder, so frames sent in between (one page.evaluate round
 * trip, well under 100 ms: up to 3 video frames at 30 fps, 5 Opus packets of 20 ms) are in the
 * file but not in the count, and frames still in flight at stop (one or two) are in the count but
 * not in the file. Loopback loses nothing, so more than this is a real loss or a recording bug.
 */
const VIDEO_SLACK = 3;
const AUDIO_SLACK = 6;

/**
 * The audio Petrel drops before the first video frame (the file starts at a video keyframe):
 * Chromium's microphone starts before its first encoded camera frame, by up to a few hundred ms.
 */
const AUDIO_LEAD_MAX = 25;

function within(actual: number, expected: number, below: number, above: number, what: string): void {
  assert.ok(
    actual >= expected - below && actual <= expected + above,
    `${what}: ${actual}, expected ${expected} (-${below}/+${above})`,
  );
}

async function receiveWebm(t: { diagnostic(m: string): void }, session: BrowserSession, dir: string, role: Role) {
  const pc = new RTCPeerConnection();
  const file = join(dir, `chrome-${role}.webm`);
  const ivfFile = join(dir, `chrome-${role}.ivf`);
  await withPage(session, pc, async (browser) => {
    let rec: Recorder | undefined;
    let ivf: Recorder | undefined;
    let firstFrameAt: number | undefined;
    const { tracks, streamIds } = await chromeSends(browser, pc, role, { video: true, audio: true }, (tr) => {
      rec = recordTracks(tr, file);
      // The camera alone to IVF at the same time: the same frames.
      ivf = recordTrack(tr[0]!, ivfFile);
      createFrameSink(tr[0]!, () => {
        firstFrameAt ??= Date.now();
      });
    });
    assert.deepEqual(
      tracks.map((x) => x.kind),
      ["video", "audio"],
    );
    assert.equal(streamIds[0], streamIds[1], "camera and microphone arrive in one stream");
    await until(() => (rec?.frames ?? 0) > 0, "the first recorded frame", 15_000);
    await new Promise((r) => setTimeout(r, RECORD_MS));
    const sent = await chromeRtpStats(browser, "outbound-rtp");
    const r = await rec!.stop();
    const stoppedAt = Date.now();
    const rIvf = await ivf!.stop();

    assert.equal(sent.video?.mimeType, "video/VP8");
    assert.equal(sent.audio?.mimeType, "audio/opus");
    assert.equal(decodeErrors(file), "", "ffmpeg decodes the WebM without errors");
    const p = probe(file);
    assert.equal(p.video?.codec, "vp8");
    assert.equal(p.audio?.codec, "opus");
    // What ffprobe reads is exactly what we wrote.
    assert.equal(p.video.frames, r.framesPerTrack[0], "video frames in the file");
    assert.equal(p.audio.frames, r.framesPerTrack[1], "audio packets in the file");
    assert.equal(decodeErrors(ivfFile), "", "ffmpeg decodes the IVF without errors");
    const pIvf = probe(ivfFile);
    assert.equal(pIvf.video?.codec, "vp8");
    assert.equal(pIvf.video.frames, rIvf.frames, "video frames in the IVF");
    assert.ok(Math.abs(rIvf.frames - r.framesPerTrack[0]!) <= 1, `IVF ${rIvf.frames} vs WebM ${r.framesPerTrack[0]}`);
    const framesSent = Number(sent.video!.framesSent);
    const packetsSent = Number(sent.audio!.packetsSent);
    // Chromium's first frame is a keyframe and we record from the start: every frame it sent.
    within(
      p.video.frames,
      framesSent,
      VIDEO_SLACK,
      VIDEO_SLACK,
      `${role}: VP8 frames recorded vs Chromium's framesSent`,
    );
    within(
      p.audio.frames,
      packetsSent,
      AUDIO_LEAD_MAX + AUDIO_SLACK,
      AUDIO_SLACK,
      `${role}: Opus packets recorded vs Chromium's packetsSent`,
    );
    // Chromium's sending time: from its first frame (arrival here, loopback adds well under a ms;
    // both clocks are the Unix epoch) to its stats' timestamp. The file's duration runs from its
    // first frame to the end of its last, short of that by at most the same slack as the counts
    // (about 100 ms) plus the audio it may hold past the last video frame.
    const sendingMs = Number(sent.video!.timestamp) - firstFrameAt!;
    within(p.duration * 1000, sendingMs, 150, 150, `${role}: WebM duration (ms) vs Chromium's sending time`);
    // Our own receive statistics agree on the codecs and saw the frames.
    const ours = [...(await pc.getStats()).values()];
    for (const kind of ["video", "audio"]) {
      const inbound = ours.find((s) => s.type === "inbound-rtp" && s.kind === kind);
      const codec = ours.find((s) => s.id === inbound?.codecId);
      assert.equal(codec?.mimeType, kind === "video" ? "video/VP8" : "audio/opus");
      if (kind === "video") assert.ok(Number(inbound?.framesDecoded) >= p.video.frames, JSON.stringify(inbound));
    }
    t.diagnostic(
      `${role}: Chromium sent ${framesSent} VP8 frames and ${packetsSent} Opus packets in ${sendingMs} ms ` +
        `(stats read ${stoppedAt - Number(sent.video!.timestamp)} ms before stop); the WebM holds ` +
        `${p.video.frames} frames and ${p.audio.frames} packets over ${Math.round(p.duration * 1000)} ms`,
    );
  });
}

async function receiveH264(t: { diagnostic(m: string): void }, session: BrowserSession, dir: string, role: Role) {
  const pc = new RTCPeerConnection();
  const file = join(dir, `chrome-${role}.h264`);
  await withPage(session, pc, async (browser) => {
    let rec: Recorder | undefined;
    let track: MediaStreamTrack | undefined;
    await chromeSends(browser, pc, role, { video: true, audio: false, h264: true }, (tr) => {
      track = tr[0];
      rec = recordTrack(tr[0]!, file);
    });
    assert.equal(track?.kind, "video");
    await until(() => (rec?.frames ?? 0) > 0, "the first recorded H.264 frame", 15_000);
    await new Promise((r) => setTimeout(r, RECORD_MS));
    const sent = await chromeRtpStats(browser, "outbound-rtp");
    const r = await rec!.stop();
    assert.equal(sent.video?.mimeType, "video/H264", "Chromium sends H.264");
    assert.equal(decodeErrors(file), "", "ffmpeg decodes the Annex B stream without errors");
    const p = probe(file);
    assert.equal(p.video?.codec, "h264");
    assert.equal(p.video.frames, r.frames, "ffprobe reads every access unit we wrote");
    const framesSent = Number(sent.video!.framesSent);
    within(
      p.video.frames,
      framesSent,
      VIDEO_SLACK,
      VIDEO_SLACK,
      `${role}: H.264 frames recorded vs Chromium's framesSent`,
    );
    assert.ok(r.keyframes >= 1);
    const ours = [...(await pc.getStats()).values()];
    const inbound = ours.find((s) => s.type === "inbound-rtp" && s.kind === "video");
    assert.equal(ours.find((s) => s.id === inbound?.codecId)?.mimeType, "video/H264");
    t.diagnostic(`${role}: Chromium sent ${framesSent} H.264 frames; the Annex B file holds ${p.video.frames}`);
  });
}

test("Chromium's camera and microphone recorded by Petrel", { timeout: 120_000 }, async (t) => {
  const session = await launchMediaBrowser(t);
  if (!session) return;
  const dir = mkdtempSync(join(tmpdir(), "petrel-chrome-receive-"));
  try {
    for (const role of ROLES) {
      await t.test(`${role}: VP8 + Opus in one stream -> one WebM, decoded by ffmpeg`, (tt) =>
        receiveWebm(tt, session, dir, role),
      );
    }
    for (const role of ROLES) {
      await t.test(`${role}: H.264 -> Annex B, decoded by ffmpeg`, (tt) => receiveH264(tt, session, dir, role));
    }
  } finally {
    await session.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
