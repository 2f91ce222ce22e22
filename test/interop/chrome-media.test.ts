// Media interop with headless Chromium (libwebrtc): Chromium's fake camera (VP8) is sent to Petrel,
// which records it to IVF and WebM (keyframe first; ffprobe reads the files when ffmpeg is
// installed); its fake microphone (Opus) is recorded to WebM; Petrel plays an IVF file (made by
// ffmpeg, else the fixture looped) to Chromium, whose page decodes it (inbound-rtp framesDecoded),
// and a WebM file's VP8 and Opus tracks in one stream. SRTP, BUNDLE demux by MID, RTCP feedback
// and the W3C media API all take part.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type RTCPeerConnection as Pc, MediaStream as PetrelStream, RTCPeerConnection } from "../../src/index.js";
import { playFile, recordTrack } from "../../src/nonstandard/index.js";
import type { RTCTrackEvent } from "../../src/webrtc/media-negotiation.js";
import { once, until } from "../webrtc/helpers.js";
import { BrowserPeer, launchBrowser } from "./browser.js";

type Win = {
  pc: {
    addTrack(t: unknown, s: unknown): unknown;
    setRemoteDescription(d: unknown): Promise<void>;
    setLocalDescription(d?: unknown): Promise<void>;
    createOffer(): Promise<unknown>;
    localDescription: { toJSON(): unknown };
    ontrack: ((e: { track: unknown; streams: unknown[] }) => void) | null;
    getStats(): Promise<Map<string, Record<string, unknown>>>;
  };
};

function ffprobeFrames(path: string): number | undefined {
  if (!existsSync("/usr/bin/ffprobe")) return undefined;
  const out = execFileSync(
    "ffprobe",
    [
      "-v",
      "error",
      "-count_frames",
      "-select_streams",
      "v:0",
      "-show_entries",
      "stream=codec_name,nb_read_frames",
      "-of",
      "csv=p=0",
      path,
    ],
    { encoding: "utf8" },
  ).trim();
  const [codec, frames] = out.split(",");
  assert.equal(codec, "vp8", `ffprobe: ${out}`);
  return Number(frames);
}

test("Chromium media interop", { timeout: 120_000 }, async (t) => {
  const session = await launchBrowser(t);
  if (!session) return;
  const dir = mkdtempSync(join(tmpdir(), "petrel-chrome-media-"));
  try {
    await t.test("Chromium's fake camera (VP8) to Petrel, recorded to IVF and WebM", async () => {
      const browser = await BrowserPeer.open(session);
      const pc = new RTCPeerConnection();
      try {
        browser.attach(pc as unknown as Pc);
        const trackEvent = once<RTCTrackEvent>(pc, "track");
        const offer = await browser.page.evaluate(async () => {
          const w = window as unknown as Win;
          const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
          w.pc.addTrack(stream.getVideoTracks()[0], stream);
          await w.pc.setLocalDescription(await w.pc.createOffer());
          return w.pc.localDescription.toJSON();
        });
        await pc.setRemoteDescription(offer as never);
        const ev = await trackEvent;
        assert.equal(ev.track.kind, "video");
        assert.equal(ev.streams.length, 1, "the browser's stream");
        const ivf = recordTrack(ev.track, join(dir, "chrome.ivf"));
        const webm = recordTrack(ev.track, join(dir, "chrome.webm"));
        await pc.setLocalDescription(await pc.createAnswer());
        await browser.page.evaluate(
          (a) => (window as unknown as Win).pc.setRemoteDescription(a),
          pc.localDescription!.toJSON(),
        );
        await until(() => ivf.frames > 45, `frames recorded (${ivf.frames})`, 20_000);
        const a = await ivf.stop();
        const w = await webm.stop();
        assert.ok(a.frames > 45 && a.keyframes >= 1, JSON.stringify(a));
        assert.ok(w.frames > 45);
        const stats = [...(await pc.getStats()).values()];
        const inbound = stats.find((s) => s.type === "inbound-rtp");
        assert.ok(inbound && (inbound.framesDecoded as number) > 45, JSON.stringify(inbound));
        const probed = ffprobeFrames(join(dir, "chrome.ivf"));
        if (probed !== undefined) assert.ok(probed >= a.frames - 1, `ffprobe read ${probed} of ${a.frames} frames`);
      } finally {
        pc.close();
        await browser.page.close();
      }
    });

    await t.test("Chromium's fake microphone (Opus) to Petrel, recorded to WebM", async () => {
      const browser = await BrowserPeer.open(session);
      const pc = new RTCPeerConnection();
      try {
        browser.attach(pc as unknown as Pc);
        const trackEvent = once<RTCTrackEvent>(pc, "track");
        const offer = await browser.page.evaluate(async () => {
          const w = window as unknown as Win;
          const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
          w.pc.addTrack(stream.getAudioTracks()[0], stream);
          await w.pc.setLocalDescription(await w.pc.createOffer());
          return w.pc.localDescription.toJSON();
        });
        await pc.setRemoteDescription(offer as never);
        const ev = await trackEvent;
        assert.equal(ev.track.kind, "audio");
        const file = join(dir, "chrome-audio.webm");
        const rec = recordTrack(ev.track, file);
        await pc.setLocalDescription(await pc.createAnswer());
        await browser.page.evaluate(
          (a) => (window as unknown as Win).pc.setRemoteDescription(a),
          pc.localDescription!.toJSON(),
        );
        await until(() => rec.frames > 50, `audio frames recorded (${rec.frames})`, 20_000);
        const r = await rec.stop();
        assert.ok(r.frames > 50, JSON.stringify(r));
        const inbound = [...(await pc.getStats()).values()].find((s) => s.type === "inbound-rtp");
        assert.equal(inbound?.kind, "audio");
        const codec = [...(await pc.getStats()).values()].find((s) => s.id === inbound?.codecId);
        assert.equal(codec?.mimeType, "audio/opus");
        if (existsSync("/usr/bin/ffprobe")) {
          const out = execFileSync(
            "ffprobe",
            ["-v", "error", "-select_streams", "a:0", "-show_entries", "stream=codec_name", "-of", "csv=p=0", file],
            { encoding: "utf8" },
          ).trim();
          assert.equal(out, "opus");
        }
      } finally {
        pc.close();
        await browser.page.close();
      }
    });

    await t.test("Petrel plays an IVF file to Chromium, which decodes it", async () => {
      let file = join(dir, "testsrc.ivf");
      let loop = false;
      try {
        execFileSync(
          "ffmpeg",
          [
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=30",
            "-t",
            "4",
            "-c:v",
            "libvpx",
            "-g",
            "15",
            "-deadline",
            "realtime",
            "-b:v",
            "500k",
            file,
          ],
          { stdio: "ignore" },
        );
      } catch {
        file = "test/fixtures/media/vp8.ivf";
        loop = true;
      }
      const browser = await BrowserPeer.open(session);
      const pc = new RTCPeerConnection();
      const play = await playFile(file, { loop });
      try {
        await browser.page.evaluate(() => {
          const w = window as unknown as Win;
          w.pc.ontrack = (e) => {
            const v = document.createElement("video");
            v.muted = true;
            v.autoplay = true;
            v.srcObject = (e.streams[0] as MediaStream | undefined) ?? new MediaStream([e.track as MediaStreamTrack]);
            document.body.appendChild(v);
          };
        });
        pc.addTrack(play.video!);
        await browser.nodeOffers(pc as unknown as Pc);
        await until(() => pc.connectionState === "connected", "connected", 15_000);
        play.start();
        let decoded = 0;
        for (let i = 0; i < 60 && decoded <= 30; i++) {
          await new Promise((r) => setTimeout(r, 250));
          const s = await browser.stats();
          const inbound = s.find((x) => x.type === "inbound-rtp" && x.kind === "video");
          decoded = (inbound?.framesDecoded as number | undefined) ?? 0;
        }
        assert.ok(decoded > 30, `Chromium decoded ${decoded} frames`);
        const ours = [...(await pc.getStats()).values()];
        const outbound = ours.find((s) => s.type === "outbound-rtp");
        assert.ok(outbound && (outbound.packetsSent as number) > 30, JSON.stringify(outbound));
        // Chromium's receiver reports reached us (RTCP over SRTCP, demuxed on the bundle).
        const remoteInbound = ours.find((s) => s.type === "remote-inbound-rtp");
        assert.ok(remoteInbound && remoteInbound.localId === outbound.id, JSON.stringify(remoteInbound));
      } finally {
        play.stop();
        pc.close();
        await browser.page.close();
      }
    });
    await t.test("Petrel plays a WebM file (VP8 + Opus) to Chromium: both tracks arrive", async () => {
      const browser = await BrowserPeer.open(session);
      const pc = new RTCPeerConnection();
      const play = await playFile("test/fixtures/media/vp8-opus.webm", { loop: true });
      try {
        assert.ok(play.video && play.audio);
        const stream = new PetrelStream([play.video, play.audio]);
        pc.addTrack(play.video, stream);
        pc.addTrack(play.audio, stream);
        await browser.nodeOffers(pc as unknown as Pc);
        await until(() => pc.connectionState === "connected", "connected", 15_000);
        play.start();
        let audio = 0;
        let video = 0;
        for (let i = 0; i < 40 && (audio <= 25 || video <= 10); i++) {
          await new Promise((r) => setTimeout(r, 250));
          const s = await browser.stats();
          audio = (s.find((x) => x.type === "inbound-rtp" && x.kind === "audio")?.packetsReceived as number) ?? 0;
          video = (s.find((x) => x.type === "inbound-rtp" && x.kind === "video")?.framesDecoded as number) ?? 0;
        }
        assert.ok(audio > 25, `Chromium received ${audio} Opus packets`);
        assert.ok(video > 10, `Chromium decoded ${video} video frames`);
      } finally {
        play.stop();
        pc.close();
        await browser.page.close();
      }
    });
  } finally {
    await session.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
