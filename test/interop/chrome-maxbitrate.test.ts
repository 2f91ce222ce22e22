// maxBitrate enforcement seen by headless Chromium: Petrel plays an ffmpeg-made ~1.8 Mb/s VP8 IVF
// (keyframe every second) on a sendonly transceiver with sendEncodings maxBitrate 500 kb/s;
// Chromium's inbound-rtp counts at most 550 kb/s of payload over 3 s and still assembles and
// decodes frames (whole frames: the pacer drops frames before packetizing, then waits for the
// file's next keyframe). Lifting maxBitrate (setParameters) brings the rate back above 1 Mb/s.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { MediaStream, RTCPeerConnection } from "../../src/index.js";
import { playFile } from "../../src/nonstandard/index.js";
import { until } from "../webrtc/helpers.js";
import { BrowserPeer, launchBrowser } from "./browser.js";
import { requireTool } from "./tools.js";

type W = {
  pc: {
    getStats(): Promise<Map<string, Record<string, unknown>>>;
    ontrack: ((e: { track: unknown; streams: unknown[] }) => void) | null;
  };
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function inboundVideo(
  peer: BrowserPeer,
): Promise<{ bytes: number; frames: number; decoded: number; at: number }> {
  const s = (await peer.stats()).find((x) => x.type === "inbound-rtp" && x.kind === "video");
  return {
    bytes: (s?.bytesReceived as number | undefined) ?? 0,
    frames: (s?.framesReceived as number | undefined) ?? 0,
    decoded: (s?.framesDecoded as number | undefined) ?? 0,
    at: performance.now(),
  };
}

const kbps = (a: { bytes: number; at: number }, b: { bytes: number; at: number }) =>
  ((b.bytes - a.bytes) * 8) / (b.at - a.at);

describe("maxBitrate with Chromium", () => {
  it("a 1.8 Mb/s VP8 file sent with maxBitrate 500 kb/s arrives at <= 550 kb/s, decodable; lifted -> > 1 Mb/s", async (t) => {
    const ffmpeg = requireTool(t, "ffmpeg", ["/usr/bin/ffmpeg", "ffmpeg"]);
    if (!ffmpeg) return;
    const session = await launchBrowser(t);
    if (!session) return;
    const dir = mkdtempSync(join(tmpdir(), "petrel-maxbitrate-"));
    const node = new RTCPeerConnection();
    try {
      const file = join(dir, "2m.ivf");
      execFileSync(ffmpeg, [
        ...["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30"],
        ...["-t", "8", "-c:v", "libvpx", "-b:v", "2M", "-minrate", "2M", "-maxrate", "2M", "-g", "30"],
        ...["-deadline", "realtime", "-cpu-used", "8", file],
      ]);
      const play = await playFile(file, { loop: true });
      const peer = await BrowserPeer.open(session);
      await peer.page.evaluate(() => {
        const w = window as unknown as W;
        w.pc.ontrack = (e) => {
          const v = document.createElement("video");
          v.muted = true;
          const BrowserStream = (window as unknown as { MediaStream: new (t: unknown[]) => MediaProvider }).MediaStream;
          v.srcObject = new BrowserStream([e.track]);
          document.body.append(v);
          void v.play();
        };
      });
      const tr = node.addTransceiver(play.video!, {
        direction: "sendonly",
        streams: [new MediaStream([play.video!])],
        sendEncodings: [{ maxBitrate: 500_000 }],
      });
      await peer.nodeOffers(node);
      await until(() => node.connectionState === "connected", "connected", 15_000);
      play.start();
      await sleep(1500);
      const a = await inboundVideo(peer);
      await sleep(3000);
      const b = await inboundVideo(peer);
      const limited = kbps(a, b);
      assert.ok(limited <= 550, `${limited.toFixed(0)} kb/s with maxBitrate 500 kb/s`);
      assert.ok(limited >= 150, `${limited.toFixed(0)} kb/s: the limit is used`);
      assert.ok(b.frames > a.frames, "Chromium assembles frames");
      assert.ok(b.decoded > 0, "Chromium decodes frames");

      const p = tr.sender.getParameters();
      delete p.encodings[0]!.maxBitrate;
      await tr.sender.setParameters(p);
      await sleep(1500);
      const c = await inboundVideo(peer);
      await sleep(2000);
      const d = await inboundVideo(peer);
      const free = kbps(c, d);
      t.diagnostic(`Chromium received ${limited.toFixed(0)} kb/s limited, ${free.toFixed(0)} kb/s unlimited`);
      assert.ok(free > 1000, `${free.toFixed(0)} kb/s after lifting the limit`);
      play.stop();
    } finally {
      node.close();
      await session.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
