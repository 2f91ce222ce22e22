// Chromium -> Petrel audio with RED (RFC 2198) in both offerer roles: Petrel's codec preferences
// put audio/red first (setCodecPreferences), so Chromium sends its Opus as RED (its outbound-rtp
// codec is audio/red); Petrel unwraps it (src/peer/media-red.ts), records the Opus to WebM, and
// ffmpeg decodes the file without errors; the frames Petrel got match Chromium's packetsSent and
// its inbound-rtp reports the redundancy as fecPacketsReceived. And Petrel -> Chromium: Petrel's
// preferences put RED first, so Petrel sends each Opus frame as RED with the previous one; Chromium's
// inbound-rtp codec is audio/red and it plays the samples without concealment.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { MediaStream, type MediaStreamTrack, RTCPeerConnection, RTCRtpReceiver } from "../../src/index.js";
import { createFrameSink, playFile, type Recorder, recordTrack } from "../../src/nonstandard/index.js";
import { until } from "../webrtc/helpers.js";
import {
  chromeRtpStats,
  chromeStopsSending,
  decodeErrors,
  ffmpeg,
  launchMediaBrowser,
  probe,
  ROLES,
  type Role,
  withPage,
} from "./chrome-media-helpers.js";

/** Opus frames to receive (20 ms each) before Chromium is stopped: count-based, not a sleep. */
const RECORD_FRAMES = 100;
/** Opus packets that may be missing (a datagram dropped on a loaded machine). Repeats: none. */
const SLACK = 1;

type PageWindow = {
  pc: {
    addTransceiver(t: unknown, init?: unknown): unknown;
    getTransceivers(): { sender: { replaceTrack(t: unknown): Promise<void> }; direction: string }[];
    setRemoteDescription(d: unknown): Promise<void>;
    setLocalDescription(d?: unknown): Promise<void>;
    createOffer(): Promise<unknown>;
    createAnswer(): Promise<unknown>;
    localDescription: { toJSON(): unknown };
  };
};

/** Petrel's audio capabilities with RED first. */
function redFirst() {
  const caps = RTCRtpReceiver.getCapabilities("audio")!.codecs;
  const red = caps.filter((c) => c.mimeType === "audio/red");
  assert.equal(red.length, 1, "getCapabilities lists audio/red");
  return [...red, ...caps.filter((c) => c.mimeType !== "audio/red")];
}

async function connect(browser: Parameters<Parameters<typeof withPage>[2]>[0], pc: RTCPeerConnection, role: Role) {
  browser.attach(pc);
  if (role === "chrome-offers") {
    const offer = await browser.page.evaluate(async () => {
      const w = window as unknown as PageWindow;
      const s = await navigator.mediaDevices.getUserMedia({ audio: true });
      w.pc.addTransceiver(s.getAudioTracks()[0], { direction: "sendonly", streams: [s] });
      await w.pc.setLocalDescription(await w.pc.createOffer());
      return w.pc.localDescription.toJSON();
    });
    await pc.setRemoteDescription(offer as RTCSessionDescriptionInit);
    pc.getTransceivers()[0]!.setCodecPreferences(redFirst());
    await pc.setLocalDescription(await pc.createAnswer());
    await browser.page.evaluate(
      (a) => (window as unknown as PageWindow).pc.setRemoteDescription(a),
      pc.localDescription!.toJSON(),
    );
  } else {
    pc.addTransceiver("audio", { direction: "recvonly" }).setCodecPreferences(redFirst());
    await pc.setLocalDescription(await pc.createOffer());
    const answer = await browser.page.evaluate(async (offer) => {
      const w = window as unknown as PageWindow;
      await w.pc.setRemoteDescription(offer);
      const s = await navigator.mediaDevices.getUserMedia({ audio: true });
      const tr = w.pc.getTransceivers()[0]!;
      await tr.sender.replaceTrack(s.getAudioTracks()[0]);
      tr.direction = "sendonly";
      await w.pc.setLocalDescription(await w.pc.createAnswer());
      return w.pc.localDescription.toJSON();
    }, pc.localDescription!.toJSON());
    await pc.setRemoteDescription(answer as RTCSessionDescriptionInit);
  }
  const sdp = pc.localDescription!.sdp;
  assert.match(sdp, /m=audio \d+ [A-Z/]+ 63 111/, `${role}: our description puts RED first`);
  assert.match(sdp, /a=fmtp:63 111\/111/);
}

type RTCSessionDescriptionInit = { type: "offer" | "answer"; sdp: string };

test("Chromium sends RED audio to Petrel when Petrel prefers it (both roles)", async (t) => {
  const session = await launchMediaBrowser(t);
  if (!session) return;
  const dir = mkdtempSync(join(tmpdir(), "petrel-red-"));
  try {
    for (const role of ROLES) {
      const pc = new RTCPeerConnection();
      const file = join(dir, `chrome-red-${role}.webm`);
      await withPage(session, pc, async (browser) => {
        let rec: Recorder | undefined;
        let frames = 0;
        const gaps: string[] = [];
        const repeats: string[] = [];
        let lastTs: number | undefined;
        // Recording and counting start with the track, before any media can flow.
        pc.addEventListener("track", (e) => {
          const track = (e as unknown as { track: MediaStreamTrack }).track;
          rec = recordTrack(track, file);
          createFrameSink(track, (f) => {
            frames++;
            // Chromium's fake microphone sends a 20 ms Opus frame every 20 ms (no DTX): each frame
            // follows the one before by 960 ticks: a lost one may be missing (slack), none twice.
            const step = lastTs === undefined ? 960 : (f.timestamp - lastTs) | 0;
            if (step <= 0) repeats.push(`${lastTs} -> ${f.timestamp}`);
            else if (step !== 960) gaps.push(`${lastTs} -> ${f.timestamp}`);
            if (step > 0) lastTs = f.timestamp;
          });
        });
        await connect(browser, pc, role);
        await until(() => rec !== undefined, "the audio track", 10_000);
        await until(() => frames > 0, "the first Opus frame", 15_000);
        await until(() => frames >= RECORD_FRAMES, `${RECORD_FRAMES} Opus frames (${frames})`, 30_000);
        await chromeStopsSending(browser, () => frames);
        const sent = await chromeRtpStats(browser, "outbound-rtp");
        const r = await rec!.stop();
        // Chromium 156 sends RED (the packets carry payload type 63 and redundancy, checked on our
        // side below) while its outbound-rtp codecId names the primary codec, Opus.
        assert.match(String(sent.audio?.mimeType), /^audio\/(red|opus)$/, `${role}: Chromium's send codec`);
        // Chromium's packetsSent counts padding-only packets (bandwidth probes on the RED payload
        // type, no frame in them) too: every packet must arrive, and every frame between the first
        // and the last be delivered once.
        const packetsSent = Number(sent.audio!.packetsSent);
        const stats = [...(await pc.getStats()).values()] as Record<string, unknown>[];
        const inbound = stats.find((s) => s.type === "inbound-rtp" && s.kind === "audio")!;
        const received = Number(inbound.packetsReceived);
        assert.ok(received >= packetsSent - SLACK, `${role}: ${received} of ${packetsSent} packets received`);
        assert.deepEqual(repeats, [], `${role}: frames delivered twice or out of order`);
        assert.ok(gaps.length <= SLACK, `${role}: frames missing: ${gaps.join(", ")}`);
        assert.ok(frames >= RECORD_FRAMES, `${role}: ${frames} frames`);
        assert.equal(decodeErrors(file), "", `${role}: ffmpeg decodes the WebM without errors`);
        const p = probe(file);
        assert.equal(p.audio?.codec, "opus");
        assert.equal(p.audio.frames, r.framesPerTrack[0], `${role}: packets in the file`);
        assert.ok(p.audio.frames >= frames - SLACK, `${role}: ${p.audio.frames} of ${frames} frames in the file`);
        const codec = stats.find((s) => s.id === inbound.codecId);
        assert.equal(codec?.mimeType, "audio/red", `${role}: our inbound-rtp codec`);
        assert.ok(Number(inbound.fecPacketsReceived) > 0, `${role}: redundancy received`);
        // Without loss the redundancy is not needed (a packet lost before SRTP was keyed may be).
        assert.ok(
          Number(inbound.fecPacketsDiscarded) >= Number(inbound.fecPacketsReceived) - 3,
          `${role}: redundant blocks used only to fill gaps`,
        );
        t.diagnostic(
          `${role}: Chromium sent ${packetsSent} packets, Petrel received ${received}, ${frames} Opus frames, ` +
            `${p.audio.frames} in the file; fecPacketsReceived ${inbound.fecPacketsReceived}, ` +
            `fecPacketsDiscarded ${inbound.fecPacketsDiscarded}; Chromium's outbound codec ${sent.audio?.mimeType}`,
        );
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await session.close();
  }
});

test("Petrel sends RED audio to Chromium when it prefers it (both roles)", async (t) => {
  const session = await launchMediaBrowser(t);
  if (!session) return;
  const dir = mkdtempSync(join(tmpdir(), "petrel-red-send-"));
  const ogg = join(dir, "sine.ogg");
  ffmpeg([
    ...["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "1.5", "-ac", "2"],
    ...["-c:a", "libopus", "-b:a", "32k", "-frame_duration", "20", ogg],
  ]);
  try {
    for (const role of ROLES) {
      const pc = new RTCPeerConnection();
      const playback = await playFile(ogg);
      const track = playback.audio!;
      const stream = new MediaStream([track]);
      await withPage(session, pc, async (browser) => {
        browser.attach(pc);
        await browser.page.evaluate(() => {
          const w = window as unknown as { pc: { ontrack: ((e: { track: unknown }) => void) | null } };
          w.pc.ontrack = (e) => {
            const el = document.createElement("audio");
            el.autoplay = true;
            el.srcObject = new window.MediaStream([e.track as globalThis.MediaStreamTrack]);
            document.body.appendChild(el);
          };
        });
        if (role === "petrel-offers") {
          pc.addTrack(track, stream);
          pc.getTransceivers()[0]!.setCodecPreferences(redFirst());
          await browser.nodeOffers(pc);
        } else {
          const offer = await browser.page.evaluate(async () => {
            const w = window as unknown as PageWindow;
            w.pc.addTransceiver("audio", { direction: "recvonly" });
            await w.pc.setLocalDescription(await w.pc.createOffer());
            return w.pc.localDescription.toJSON();
          });
          await pc.setRemoteDescription(offer as RTCSessionDescriptionInit);
          pc.addTrack(track, stream);
          pc.getTransceivers()[0]!.setCodecPreferences(redFirst());
          await pc.setLocalDescription(await pc.createAnswer());
          await browser.page.evaluate(
            (a) => (window as unknown as PageWindow).pc.setRemoteDescription(a),
            pc.localDescription!.toJSON(),
          );
        }
        await until(() => pc.connectionState === "connected", `connected (${pc.connectionState})`, 15_000);
        assert.equal(pc.getSenders()[0]!.getParameters().codecs[0]?.mimeType, "audio/red", `${role}: our send codec`);
        playback.start();
        await playback.done;
        playback.stop();
        const ours0 = [...(await pc.getStats()).values()];
        const sent = Number(ours0.find((s) => s.type === "outbound-rtp" && s.kind === "audio")!.packetsSent);
        // Count-based: Chromium has received all but SLACK of them...
        let got = await chromeRtpStats(browser, "inbound-rtp");
        for (const end = Date.now() + 15_000; Number(got.audio?.packetsReceived ?? 0) < sent - SLACK; ) {
          if (Date.now() > end) break; // asserted below with the figures
          await new Promise((r) => setTimeout(r, 50));
          got = await chromeRtpStats(browser, "inbound-rtp");
        }
        // ...then its counters stand still once its jitter buffer has played out.
        for (let i = 0, last = "", still = 0; i < 30 && still < 3; i++) {
          await new Promise((r) => setTimeout(r, 100));
          got = await chromeRtpStats(browser, "inbound-rtp");
          const now = String(got.audio?.packetsReceived);
          still = now === last ? still + 1 : 0;
          last = now;
        }
        const ours = [...(await pc.getStats()).values()];
        const out = ours.find((s) => s.type === "outbound-rtp" && s.kind === "audio")!;
        const packets = Number(out.packetsSent);
        assert.equal(packets, playback.framesPlayed.audio, `${role}: one RED packet per Opus frame`);
        // Every packet went out with RED's payload type (our outbound-rtp codec); Chromium's
        // inbound-rtp codecId names the primary codec (Opus) as for what it sends, so that it
        // played the samples is what shows it unwrapped RED.
        assert.equal(ours.find((s) => s.id === out.codecId)?.mimeType, "audio/red", `${role}: our outbound codec`);
        const received = Number(got.audio?.packetsReceived);
        assert.ok(
          received >= packets - SLACK && received <= packets,
          `${role}: ${received} of ${packets} packets arrived`,
        );
        const samples = Number(got.audio?.totalSamplesReceived ?? 0) - Number(got.audio?.concealedSamples ?? 0);
        // Measured against the packets that arrived (a lost one is concealed, or filled from RED).
        const expected = received * 960;
        assert.ok(
          samples >= 0.9 * expected,
          `${role}: Chromium got ${samples} concealment-free samples of ${expected} (${JSON.stringify(got.audio)})`,
        );
        t.diagnostic(
          `${role}: Petrel sent ${packets} RED packets, Chromium received ${got.audio?.packetsReceived}, ` +
            `${samples}/${expected} concealment-free samples (${((100 * samples) / expected).toFixed(1)}%)`,
        );
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await session.close();
  }
});
