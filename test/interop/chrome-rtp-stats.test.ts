// RTP sources and sender-report stats with headless Chromium. Chromium sends its fake microphone
// (with the ssrc-audio-level extension, RFC 6464) and offers; Petrel answers sendrecv, playing an
// Ogg Opus file. Petrel's receiver lists Chromium's SSRC with an audioLevel in [0, 1], above 0 at
// some point (the fake microphone beeps); Petrel's getStats has remote-outbound-rtp from
// Chromium's sender reports, linked to inbound-rtp; Chromium's getStats has remote-outbound-rtp
// for Petrel's stream whose remoteTimestamp is the wall clock (Petrel's SRs carry NTP time).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MediaStream, RTCPeerConnection, type RTCRtpReceiver, type RTCTrackEvent } from "../../src/index.js";
import { playFile } from "../../src/nonstandard/index.js";
import { until } from "../webrtc/helpers.js";
import { BrowserPeer, launchBrowser } from "./browser.js";

type W = {
  pc: {
    addTrack(t: unknown, s: unknown): unknown;
    setRemoteDescription(d: unknown): Promise<void>;
    setLocalDescription(d?: unknown): Promise<void>;
    createOffer(): Promise<unknown>;
    localDescription: { toJSON(): unknown };
    getStats(): Promise<Map<string, Record<string, unknown>>>;
  };
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("RTP stats with Chromium", () => {
  it("audio levels from Chromium; remote-outbound-rtp both ways (Petrel's SRs on the wall clock)", async (t) => {
    const session = await launchBrowser(t, { mediaPermission: true });
    if (!session) return;
    const node = new RTCPeerConnection();
    const play = await playFile("test/fixtures/media/sine.opus", { loop: true });
    try {
      const peer = await BrowserPeer.open(session, { media: true });
      let receiver: RTCRtpReceiver | undefined;
      node.addEventListener("track", (e) => {
        receiver = (e as RTCTrackEvent).receiver;
      });
      peer.attach(node);
      const offer = await peer.page.evaluate(async () => {
        const w = window as unknown as W;
        const s = await navigator.mediaDevices.getUserMedia({ audio: true });
        w.pc.addTrack(s.getAudioTracks()[0], s);
        await w.pc.setLocalDescription(await w.pc.createOffer());
        return w.pc.localDescription.toJSON();
      });
      await node.setRemoteDescription(offer as never);
      node.addTrack(play.audio!, new MediaStream([play.audio!]));
      await node.setLocalDescription(await node.createAnswer());
      assert.match(node.localDescription!.sdp, /a=extmap:\d+ urn:ietf:params:rtp-hdrext:ssrc-audio-level/);
      await peer.page.evaluate(
        (a) => (window as unknown as W).pc.setRemoteDescription(a),
        node.localDescription!.toJSON(),
      );
      await until(() => node.connectionState === "connected", "connected", 15_000);
      play.start();

      // Audio levels from Chromium's packets.
      let loud = 0;
      for (let i = 0; i < 100 && loud === 0; i++) {
        await sleep(50);
        const s = receiver?.getSynchronizationSources() ?? [];
        if (s.length === 0) continue;
        assert.equal(s.length, 1);
        const level = s[0]!.audioLevel;
        assert.equal(typeof level, "number", "Chromium sends ssrc-audio-level");
        assert.ok(level! >= 0 && level! <= 1, `level ${level}`);
        if (level! > 0) loud = level!;
        assert.ok(Math.abs(s[0]!.timestamp - (performance.timeOrigin + performance.now())) < 1000);
      }
      assert.ok(loud > 0, "a level above silence");
      assert.deepEqual(receiver!.getContributingSources(), [], "no mixer, no CSRCs");

      // remote-outbound-rtp on both sides (audio reports come every few seconds).
      let ours: Record<string, unknown> | undefined;
      let theirs: Record<string, unknown> | undefined;
      for (let i = 0; i < 120 && !(ours && theirs); i++) {
        await sleep(100);
        const mine = [...(await node.getStats()).values()] as Record<string, unknown>[];
        ours = mine.find((s) => s.type === "remote-outbound-rtp");
        if (ours) {
          const inbound = mine.find((s) => s.type === "inbound-rtp");
          assert.equal(inbound?.remoteId, ours.id);
          assert.equal(ours.localId, inbound?.id);
        }
        const chrome = await peer.stats();
        theirs = chrome.find((s) => s.type === "remote-outbound-rtp");
      }
      assert.ok(ours, "Petrel: remote-outbound-rtp from Chromium's SRs");
      assert.ok((ours.packetsSent as number) > 0 && (ours.bytesSent as number) > 0);
      assert.ok((ours.reportsSent as number) >= 1);
      assert.ok(Math.abs((ours.remoteTimestamp as number) - Date.now()) < 10_000, `${ours.remoteTimestamp}`);
      assert.ok(theirs, "Chromium: remote-outbound-rtp from Petrel's SRs");
      assert.ok((theirs.packetsSent as number) > 0);
      assert.ok(
        Math.abs((theirs.remoteTimestamp as number) - Date.now()) < 10_000,
        `Chromium reads Petrel's SR time as ${new Date(theirs.remoteTimestamp as number).toISOString()}`,
      );
    } finally {
      play.stop();
      node.close();
      await session.close();
    }
  });
});
