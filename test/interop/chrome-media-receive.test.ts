// Chromium -> Petrel media interop, in both offerer roles: Chromium's fake camera and fake
// microphone (Opus) in ONE stream, recorded by Petrel into ONE WebM (and the camera alone to IVF)
// for ~3 s with VP8, ~1.5 s with VP9 and AV1 (the codec comes from the negotiated payload type);
// then ffmpeg decodes each file without a single error, ffprobe's frame and packet counts match
// what Chromium's outbound-rtp says it sent, the Opus packets lie 20 ms apart, and the file's
// duration matches the time Chromium was sending. The same for H.264 (Chromium's OpenH264
// encoder, steered by setCodecPreferences to packetization-mode 1, profile 42e01f), recorded to an
// Annex B byte stream. SRTP, BUNDLE demux by MID, depacketizers (RFC 7741 VP8, RFC 9628 VP9, the
// AV1 RTP specification, RFC 6184 H.264, RFC 7587 Opus) and the WebM/IVF/Annex B writers take part.
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
  chromeStopsSending,
  decodeErrors,
  launchMediaBrowser,
  probe,
  ROLES,
  type Role,
  withPage,
} from "./chrome-media-helpers.js";

/**
 * How long each recording runs after its first frame (ms). VP8 + Opus runs past Chromium's first
 * audio sender report (~2.4 s in, its video ones ~0.5 s), so that the recorder lines the tracks
 * up by them; VP9 and AV1 (libaom is heavy on 2 cores) run shorter and are lined up by arrival.
 */
const RECORD_MS = 4000;
const SHORT_RECORD_MS = 1500;
const H264_RECORD_MS = 3000;

/**
 * Frames Chromium counted as sent that the file may lack. Chromium stops sending before we read
 * its stats and stop recording, and we wait until nothing more arrives, so nothing is in flight:
 * the counts must match. One frame of slack for a datagram the kernel drops on a loaded machine
 * (loopback loses nothing otherwise; NACK/RTX would recover video, Opus has no retransmission).
 */
const SLACK = 1;

/**
 * The file's duration may differ from Chromium's sending time by this (ms). The sending time runs
 * from the first frame's capture (placed on the wall clock with the frames' least latency) to the
 * moment Chromium stopped its tracks; the file spans its frames' capture times (RTP timestamps).
 * Shorter by the gap between the last capture and the stop (up to a 50 ms frame interval at the
 * fake camera's 20 fps) plus the least latency; longer when the microphone's first packet is
 * placed late (the writer puts it at the latest video frame written, later after a burst).
 * Measured under load on this 2-core machine: -49 to +9 ms. A clock-rate or alignment bug is off
 * by far more (10% is 300 ms); the timestamps themselves are checked in checkTimeline.
 */
const DURATION_SLACK_MS = 150;

/**
 * The recorded Opus packets are 20 ms apart on the file's 1 ms time line (RFC 7587: 48 kHz RTP
 * timestamps; Chromium sends 20 ms packets without DTX), and the video frames' times increase.
 */
type Arrival = { at: number; timestamp: number };

function checkTimeline(
  p: ReturnType<typeof probe>,
  role: Role,
  alignment: string | undefined,
  arrivals: { video: Arrival[]; audio: Arrival[] },
): string {
  const a = p.audio!.times;
  for (let i = 1; i < a.length; i++) {
    const step = a[i]! - a[i - 1]!;
    assert.ok(Math.abs(step - 20) <= 1, `${role}: Opus packet ${i} is ${step} ms after the one before`);
  }
  const v = p.video!.times;
  for (let i = 1; i < v.length; i++) assert.ok(v[i]! > v[i - 1]!, `${role}: video frame ${i} at ${v[i]} ms`);
  // Where an independent estimate puts the last Opus packet on the video's time line: each
  // stream's RTP time placed on our clock by its least-latency frame (captureStart). The two
  // least latencies differ by the encoders' (Opus buffers a 20 ms packet; a VP8 frame takes a few
  // ms), so this agrees with the sender's own wallclock within a few tens of ms.
  const vStart = captureStart(arrivals.video, 90);
  const aStart = captureStart(arrivals.audio, 48);
  const lastA = arrivals.audio.at(-1)!;
  const expectedEnd = aStart + ((lastA.timestamp - arrivals.audio[0]!.timestamp) >>> 0) / 48 - vStart;
  const where =
    `${role}: audio ${a[0]}-${Math.round(a.at(-1)!)} ms, video ${v[0]}-${Math.round(v.at(-1)!)} ms, ` +
    `audio end by arrival ${Math.round(expectedEnd)} ms (${alignment})`;
  assert.equal(v[0], 0, where);
  if (alignment === "sender-reports") {
    // Lined up on Chromium's wallclock (its sender reports): the microphone's first packet
    // captured after the camera's first frame starts within one 20 ms packet of it, and the audio
    // lies where the arrival estimate puts it.
    assert.ok(a[0]! >= 0 && a[0]! <= 21, `first packet not lined up: ${where}`);
    assert.ok(Math.abs(a.at(-1)! - expectedEnd) <= 50, `audio not where its arrival puts it: ${where}`);
  } else {
    // Lined up by arrival: the writer places the microphone's first packet at the time of the
    // latest video frame written, later when the keyframe came late and the frames after it in a
    // burst (up to ~200 ms seen under load).
    assert.ok(a[0]! >= 0 && a[0]! <= 400, where);
  }
  return where;
}

/**
 * The wall-clock time (ms) of a stream's first capture, plus the least latency any of its frames
 * had: min over frames of arrival minus media time (RTP timestamp in kHz since the first).
 * Delays (a slow first keyframe, an encoder stalled under load) only add latency, so the least
 * one is the path's own; under load Chromium's first frames can arrive ~800 ms late, in a burst.
 */
function captureStart(arrivals: Arrival[], kHz: number): number {
  const ts0 = arrivals[0]!.timestamp;
  let best = Number.POSITIVE_INFINITY;
  for (const x of arrivals) best = Math.min(best, x.at - ((x.timestamp - ts0) >>> 0) / kHz);
  return best;
}

function within(actual: number, expected: number, below: number, above: number, what: string): void {
  assert.ok(
    actual >= expected - below && actual <= expected + above,
    `${what}: ${actual}, expected ${expected} (-${below}/+${above})`,
  );
}

async function receiveWebm(
  t: { diagnostic(m: string): void },
  session: BrowserSession,
  dir: string,
  role: Role,
  codec: "VP8" | "VP9" | "AV1",
  recordMs: number,
) {
  const pc = new RTCPeerConnection();
  const file = join(dir, `chrome-${role}-${codec}.webm`);
  const ivfFile = join(dir, `chrome-${role}-${codec}.ivf`);
  await withPage(session, pc, async (browser) => {
    let rec: Recorder | undefined;
    let ivf: Recorder | undefined;
    let firstVideoAt: number | undefined;
    let video = 0;
    let audio = 0;
    let audioBeforeVideo = 0;
    const arrivals: Arrival[] = [];
    const audioArrivals: Arrival[] = [];
    const { tracks, streamIds } = await chromeSends(browser, pc, role, { video: true, audio: true, codec }, (tr) => {
      rec = recordTracks(tr, file);
      // The camera alone to IVF at the same time: the same frames.
      ivf = recordTrack(tr[0]!, ivfFile);
      createFrameSink(tr[0]!, (f) => {
        firstVideoAt ??= Date.now();
        video++;
        arrivals.push({ at: Date.now(), timestamp: f.timestamp });
      });
      createFrameSink(tr[1]!, (f) => {
        audio++;
        audioArrivals.push({ at: Date.now(), timestamp: f.timestamp });
        if (firstVideoAt === undefined) audioBeforeVideo++;
      });
    });
    assert.deepEqual(
      tracks.map((x) => x.kind),
      ["video", "audio"],
    );
    assert.equal(streamIds[0], streamIds[1], "camera and microphone arrive in one stream");
    await until(() => video > 0, "the first video frame", 15_000);
    await new Promise((r) => setTimeout(r, recordMs));
    const stoppedAt = await chromeStopsSending(browser, () => video + audio);
    const sent = await chromeRtpStats(browser, "outbound-rtp");
    const r = await rec!.stop();
    const rIvf = await ivf!.stop();

    assert.equal(sent.video?.mimeType, `video/${codec}`);
    assert.equal(sent.audio?.mimeType, "audio/opus");
    assert.equal(decodeErrors(file), "", "ffmpeg decodes the WebM without errors");
    const p = probe(file);
    assert.equal(p.video?.codec, codec.toLowerCase());
    assert.equal(p.audio?.codec, "opus");
    // What ffprobe reads is exactly what we wrote.
    assert.equal(p.video.frames, r.framesPerTrack[0], "video frames in the file");
    assert.equal(p.audio.frames, r.framesPerTrack[1], "audio packets in the file");
    assert.equal(decodeErrors(ivfFile), "", "ffmpeg decodes the IVF without errors");
    const pIvf = probe(ivfFile);
    assert.equal(pIvf.video?.codec, codec.toLowerCase());
    assert.equal(pIvf.video.frames, rIvf.frames, "video frames in the IVF");
    assert.equal(rIvf.frames, r.framesPerTrack[0], "the IVF and the WebM hold the same video frames");
    const framesSent = Number(sent.video!.framesSent);
    const packetsSent = Number(sent.audio!.packetsSent);
    // Chromium's first frame is a keyframe and we record from the start: every frame it sent.
    within(p.video.frames, framesSent, SLACK, 0, `${role}: ${codec} frames recorded vs Chromium's framesSent`);
    // Every Opus packet arrived; the file lacks only those before the first video frame (it starts
    // at a video keyframe; Chromium's microphone starts a little before its camera's first frame):
    // by arrival, those that came before it; by sender reports, those captured before it (no more).
    within(audio, packetsSent, SLACK, 0, `${role}: Opus packets received vs Chromium's packetsSent`);
    const leftOut = audio - p.audio.frames;
    if (rec!.alignment === "arrival") {
      within(leftOut, audioBeforeVideo, SLACK, SLACK, `${role}: Opus packets left out of the file`);
    } else assert.ok(leftOut >= 0 && leftOut <= audioBeforeVideo + SLACK, `${role}: ${leftOut} Opus packets left out`);
    const timeline = checkTimeline(p, role, rec!.alignment, { video: arrivals, audio: audioArrivals });
    if (recordMs >= RECORD_MS) assert.equal(rec!.alignment, "sender-reports", "Chromium's reports came in time");
    // Chromium's sending time: from its first frame's capture to the moment it stopped its tracks
    // (both clocks are the Unix epoch). The capture is placed on the wall clock from the frames'
    // RTP timestamps and arrival times (captureStart), so a slow first keyframe does not count.
    const sendStart = captureStart(arrivals, 90);
    const sendingMs = stoppedAt - sendStart;
    within(
      p.duration * 1000,
      sendingMs,
      DURATION_SLACK_MS,
      DURATION_SLACK_MS,
      `${role}: WebM duration (ms) vs Chromium's sending time (${timeline})`,
    );
    // Our own receive statistics agree on the codecs and saw the frames.
    const ours = [...(await pc.getStats()).values()];
    for (const kind of ["video", "audio"]) {
      const inbound = ours.find((s) => s.type === "inbound-rtp" && s.kind === kind);
      const codecStats = ours.find((s) => s.id === inbound?.codecId);
      assert.equal(codecStats?.mimeType, kind === "video" ? `video/${codec}` : "audio/opus");
      if (kind === "video") assert.equal(Number(inbound?.framesDecoded), video, JSON.stringify(inbound));
    }
    t.diagnostic(
      `${role}: Chromium sent ${framesSent} ${codec} frames and ${packetsSent} Opus packets in ${Math.round(sendingMs)} ms; ` +
        `the WebM holds ${p.video.frames} frames and ${p.audio.frames} packets (${audioBeforeVideo} came before ` +
        `the first video frame) over ${Math.round(p.duration * 1000)} ms; ${timeline}; first frame's latency ` +
        `${Math.round(firstVideoAt! - sendStart)} ms over the least`,
    );
  });
}

async function receiveH264(t: { diagnostic(m: string): void }, session: BrowserSession, dir: string, role: Role) {
  const pc = new RTCPeerConnection();
  const file = join(dir, `chrome-${role}.h264`);
  await withPage(session, pc, async (browser) => {
    let rec: Recorder | undefined;
    let track: MediaStreamTrack | undefined;
    await chromeSends(browser, pc, role, { video: true, audio: false, codec: "H264" }, (tr) => {
      track = tr[0];
      rec = recordTrack(tr[0]!, file);
    });
    assert.equal(track?.kind, "video");
    await until(() => (rec?.frames ?? 0) > 0, "the first recorded H.264 frame", 15_000);
    await new Promise((r) => setTimeout(r, H264_RECORD_MS));
    await chromeStopsSending(browser, () => rec!.frames);
    const sent = await chromeRtpStats(browser, "outbound-rtp");
    const r = await rec!.stop();
    assert.equal(sent.video?.mimeType, "video/H264", "Chromium sends H.264");
    assert.equal(decodeErrors(file), "", "ffmpeg decodes the Annex B stream without errors");
    const p = probe(file);
    assert.equal(p.video?.codec, "h264");
    assert.equal(p.video.frames, r.frames, "ffprobe reads every access unit we wrote");
    const framesSent = Number(sent.video!.framesSent);
    within(p.video.frames, framesSent, SLACK, 0, `${role}: H.264 frames recorded vs Chromium's framesSent`);
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
        receiveWebm(tt, session, dir, role, "VP8", RECORD_MS),
      );
    }
    // VP9 and AV1 recorded for less time; the codec comes from the negotiated payload type
    // (ReceivedFrame.mimeType), not from an option.
    for (const codec of ["VP9", "AV1"] as const) {
      for (const role of ROLES) {
        await t.test(`${role}: ${codec} + Opus in one stream -> one WebM, decoded by ffmpeg`, (tt) =>
          receiveWebm(tt, session, dir, role, codec, SHORT_RECORD_MS),
        );
      }
    }
    for (const role of ROLES) {
      await t.test(`${role}: H.264 -> Annex B, decoded by ffmpeg`, (tt) => receiveH264(tt, session, dir, role));
    }
  } finally {
    await session.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
