// RTCDTMFSender (webrtc-pc 7) between two RTCPeerConnections over loopback UDP: sender.dtmf is an
// RTCDTMFSender for audio and null for video; canInsertDTMF follows negotiation; insertDTMF
// validates (InvalidCharacterError), uppercases, and fires tonechange "1", "2", "#", "" in order;
// the remote decodes exactly "12#" through petrel/nonstandard onDtmf; a stopped transceiver
// throws InvalidStateError.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MediaStream, RTCDTMFToneChangeEvent, RTCPeerConnection, type RTCTrackEvent } from "../../src/index.js";
import { createEncodedAudioTrack, createEncodedVideoTrack, onDtmf } from "../../src/nonstandard/index.js";
import type { ReceivedDtmf } from "../../src/webrtc/dtmf.js";
import { connect, until } from "./helpers.js";

describe("RTCDTMFSender", () => {
  it("insertDTMF('12#') -> tonechange order, remote decodes 12#", async () => {
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    try {
      const audio = createEncodedAudioTrack();
      const video = createEncodedVideoTrack({ codec: "VP8" });
      const stream = new MediaStream([audio.track, video.track]);
      const sender = a.addTrack(audio.track, stream);
      const vsender = a.addTrack(video.track, stream);
      assert.equal(vsender.dtmf, null);
      const dtmf = sender.dtmf!;
      assert.ok(dtmf);
      assert.equal(dtmf.canInsertDTMF, false, "not negotiated yet");
      assert.throws(() => dtmf.insertDTMF("1"), { name: "InvalidStateError" });
      const got: ReceivedDtmf[] = [];
      b.addEventListener("track", (e) => {
        const ev = e as RTCTrackEvent;
        if (ev.track.kind === "audio") onDtmf(ev.receiver, (d) => got.push(d));
      });
      await connect(a, b);
      await until(() => a.connectionState === "connected" && b.connectionState === "connected", "connected");
      assert.match(a.localDescription!.sdp, /a=rtpmap:110 telephone-event\/48000/);
      assert.match(b.localDescription!.sdp, /a=rtpmap:110 telephone-event\/48000/);
      assert.equal(dtmf.canInsertDTMF, true);
      assert.throws(() => dtmf.insertDTMF("12X"), { name: "InvalidCharacterError" });
      assert.equal(dtmf.toneBuffer, "");
      const tones: string[] = [];
      dtmf.ontonechange = (e) => {
        assert.ok(e instanceof RTCDTMFToneChangeEvent);
        tones.push(e.tone);
      };
      dtmf.insertDTMF("12#", 50, 40);
      assert.equal(dtmf.toneBuffer, "12#");
      await until(() => tones.includes(""), "the last tonechange", 5000);
      assert.deepEqual(tones, ["1", "2", "#", ""]);
      await until(() => got.length >= 3, `received tones (${got.map((d) => d.tone).join("")})`, 3000);
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(
        got.map((d) => d.tone),
        ["1", "2", "#"],
      );
      assert.ok(got.every((d) => d.ssrc === got[0]!.ssrc));
      // Lowercase is uppercased; duration and gap are clamped (40/30 ms minimums).
      dtmf.insertDTMF("ab", 1, 1);
      assert.equal(dtmf.toneBuffer, "AB");
      await until(() => got.length >= 5, "A and B", 3000);
      assert.deepEqual(
        got.slice(3).map((d) => d.tone),
        ["A", "B"],
      );
      const t = a.getTransceivers().find((x) => x.sender === sender)!;
      t.stop();
      assert.equal(dtmf.canInsertDTMF, false);
      assert.throws(() => dtmf.insertDTMF("1"), { name: "InvalidStateError" });
    } finally {
      a.close();
      b.close();
    }
  });
});
