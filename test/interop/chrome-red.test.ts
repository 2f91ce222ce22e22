// Chromium -> Petrel audio with RED (RFC 2198) in both offerer roles: Petrel's codec preferences
// put audio/red first (setCodecPreferences), so Chromium sends its Opus as RED (its outbound-rtp
// codec is audio/red); Petrel unwraps it (src/peer/media-red.ts), records the Opus to WebM, and
// ffmpeg decodes the file without errors; the frames Petrel got match Chromium's packetsSent and
// its inbound-rtp reports the redundancy as fecPacketsReceived.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type MediaStreamTrack, RTCPeerConnection, RTCRtpReceiver } from "../../src/index.js";
import { createFrameSink, type Recorder, recordTrack } from "../../src/nonstandard/index.js";
import { until } from "../webrtc/helpers.js";
import {
  chromeRtpStats,
  chromeStopsSending,
  decodeErrors,
  launchMediaBrowser,
  probe,
  ROLES,
  type Role,
  withPage,
} from "./chrome-media-helpers.js";

const RECORD_MS = 2000;
/** Opus packets Chromium counted as sent that may be missing (a datagram dropped on a loaded machine). */
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
        let lastTs: number | undefined;
        // Recording and counting start with the track, before any media can flow.
        pc.addEventListener("track", (e) => {
          const track = (e as unknown as { track: MediaStreamTrack }).track;
          rec = recordTrack(track, file);
          createFrameSink(track, (f) => {
            frames++;
            // Chromium's fake microphone sends a 20 ms Opus frame every 20 ms (no DTX): each frame
            // follows the one before by 960 ticks, none missing, none twice.
            if (lastTs !== undefined && ((f.timestamp - lastTs) | 0) !== 960) gaps.push(`${lastTs} -> ${f.timestamp}`);
            lastTs = f.timestamp;
          });
        });
        await connect(browser, pc, role);
        await until(() => rec !== undefined, "the audio track", 10_000);
        await until(() => frames > 0, "the first Opus frame", 15_000);
        await new Promise((r) => setTimeout(r, RECORD_MS));
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
        assert.ok(gaps.length <= SLACK, `${role}: frames missing or repeated: ${gaps.join(", ")}`);
        assert.ok(frames > (RECORD_MS / 20) * 0.9, `${role}: ${frames} frames`);
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
