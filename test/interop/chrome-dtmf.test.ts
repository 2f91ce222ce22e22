// DTMF with headless Chromium (webrtc-pc 7, RFC 4733). Chromium sends its fake microphone and
// offers; Petrel answers sendrecv with an audio track of its own (telephone-event/48000 is
// negotiated). Chromium's sender.dtmf.insertDTMF("1234#") reaches Petrel, which decodes exactly
// "1234#" (petrel/nonstandard onDtmf). Then Petrel's insertDTMF("56#") plays on its side
// (tonechange "5", "6", "#", "") and Chromium receives the packets: Petrel's track carries no
// audio frames, so every RTP packet Chromium's inbound-rtp counts on that SSRC is a
// telephone-event packet (Chromium has no API that reports received DTMF).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MediaStream, RTCPeerConnection, type RTCTrackEvent } from "../../src/index.js";
import { createEncodedAudioTrack, onDtmf } from "../../src/nonstandard/index.js";
import type { ReceivedDtmf } from "../../src/webrtc/dtmf.js";
import { until } from "../webrtc/helpers.js";
import { BrowserPeer, launchBrowser } from "./browser.js";

type Page = BrowserPeer["page"];
type W = {
  pc: {
    addTrack(
      t: unknown,
      s: unknown,
    ): { dtmf: { insertDTMF(t: string, d?: number, g?: number): void; ontonechange: unknown } };
    getSenders(): { dtmf: { insertDTMF(t: string, d?: number, g?: number): void; ontonechange: unknown } }[];
    setRemoteDescription(d: unknown): Promise<void>;
    setLocalDescription(d?: unknown): Promise<void>;
    createOffer(): Promise<unknown>;
    localDescription: { toJSON(): unknown };
    getStats(): Promise<Map<string, Record<string, unknown>>>;
  };
  tones: string[];
};

async function inboundAudio(page: Page): Promise<Record<string, unknown> | undefined> {
  return page.evaluate(async () => {
    const w = window as unknown as W;
    for (const s of (await w.pc.getStats()).values()) if (s.type === "inbound-rtp" && s.kind === "audio") return s;
    return undefined;
  });
}

describe("DTMF with Chromium", () => {
  it("Chromium insertDTMF('1234#') -> Petrel decodes 1234#; Petrel's DTMF reaches Chromium", async (t) => {
    const session = await launchBrowser(t, { mediaPermission: true });
    if (!session) return;
    const node = new RTCPeerConnection();
    try {
      const peer = await BrowserPeer.open(session, { media: true });
      const got: ReceivedDtmf[] = [];
      node.addEventListener("track", (e) => {
        const ev = e as RTCTrackEvent;
        if (ev.track.kind === "audio") onDtmf(ev.receiver, (d) => got.push(d));
      });
      const audio = createEncodedAudioTrack();
      peer.attach(node);
      const offer = await peer.page.evaluate(async () => {
        const w = window as unknown as W;
        const s = await navigator.mediaDevices.getUserMedia({ audio: true });
        w.tones = [];
        const sender = w.pc.addTrack(s.getAudioTracks()[0], s);
        sender.dtmf.ontonechange = (e: { tone: string }) => w.tones.push(e.tone);
        await w.pc.setLocalDescription(await w.pc.createOffer());
        return w.pc.localDescription.toJSON();
      });
      assert.match((offer as { sdp: string }).sdp, /a=rtpmap:(\d+) telephone-event\/48000/);
      await node.setRemoteDescription(offer as never);
      const sender = node.addTrack(audio.track, new MediaStream([audio.track]));
      await node.setLocalDescription(await node.createAnswer());
      assert.match(node.localDescription!.sdp, /a=rtpmap:\d+ telephone-event\/48000/);
      await peer.page.evaluate(
        (a) => (window as unknown as W).pc.setRemoteDescription(a),
        node.localDescription!.toJSON(),
      );
      await until(() => node.connectionState === "connected", "connected", 15_000);

      // Chromium -> Petrel.
      await peer.page.evaluate(() => (window as unknown as W).pc.getSenders()[0]!.dtmf.insertDTMF("1234#", 100, 70));
      await until(() => got.length >= 5, `Petrel got "${got.map((d) => d.tone).join("")}"`, 10_000);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(got.map((d) => d.tone).join(""), "1234#");
      const chromeTones = await peer.page.evaluate(() => (window as unknown as W).tones);
      assert.deepEqual(chromeTones, ["1", "2", "3", "4", "#", ""]);

      // Petrel -> Chromium.
      const dtmf = sender.dtmf!;
      await until(() => dtmf.canInsertDTMF, "canInsertDTMF");
      const before = ((await inboundAudio(peer.page))?.packetsReceived as number | undefined) ?? 0;
      assert.equal(before, 0, "Petrel sent no audio frames");
      const tones: string[] = [];
      dtmf.ontonechange = (e) => tones.push(e.tone);
      dtmf.insertDTMF("56#", 100, 70);
      await until(() => tones.includes(""), "Petrel's last tonechange", 5000);
      assert.deepEqual(tones, ["5", "6", "#", ""]);
      // 3 tones of 100 ms: 2 interim + 3 end packets each at least.
      let received = 0;
      for (let i = 0; i < 50 && received < 15; i++) {
        await new Promise((r) => setTimeout(r, 100));
        received = ((await inboundAudio(peer.page))?.packetsReceived as number | undefined) ?? 0;
      }
      assert.ok(received >= 15, `Chromium's inbound-rtp counted ${received} telephone-event packets`);
    } finally {
      node.close();
      await session.close();
    }
  });
});
