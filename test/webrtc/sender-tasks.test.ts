// Media sender details over loopback UDP: a track on two senders aims for the lower of their
// targets (per-sender entries, dropped by replaceTrack(null) and stop()); DTMF on an RTP-fed
// track is refused (its sequence numbers are the caller's: canInsertDTMF false, insertDTMF
// InvalidStateError) while a frame-fed track on the same sender can; tonechange events go
// through the connection's event queue, so none fires after close().
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RTCPeerConnection, type RTCRtpSender } from "../../src/index.js";
import {
  createEncodedAudioTrack,
  createEncodedVideoTrack,
  createRtpTrack,
  getTargetBitrate,
} from "../../src/nonstandard/index.js";
import { connect, until } from "./helpers.js";

const setMax = async (sender: RTCRtpSender, bps: number) => {
  const p = sender.getParameters();
  p.encodings[0]!.maxBitrate = bps;
  await sender.setParameters(p);
};

describe("media senders", () => {
  it("one track on two senders: the target is the lower one; removed with the sender", async () => {
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    try {
      const src = createEncodedVideoTrack({ codec: "VP8" });
      const t1 = a.addTransceiver(src.track, { direction: "sendonly", sendEncodings: [{ maxBitrate: 200_000 }] });
      const t2 = a.addTransceiver(src.track, { direction: "sendonly", sendEncodings: [{ maxBitrate: 300_000 }] });
      await connect(a, b);
      await until(() => a.connectionState === "connected", "connected");
      await until(() => getTargetBitrate(src.track) === 200_000, "target 200k");
      // The other sender's target changes last: the track still aims for the lowest.
      await setMax(t2.sender, 250_000);
      // Once t2's sender has heard its new target (Petrel-internal field), the track's is still 200k.
      await until(() => (t2.sender as unknown as { target: number }).target === 250_000, "t2 target 250k");
      assert.equal(getTargetBitrate(src.track), 200_000, "the last written value does not win");
      await setMax(t1.sender, 400_000);
      await until(() => getTargetBitrate(src.track) === 250_000, "target 250k");
      await t2.sender.replaceTrack(null);
      assert.equal(getTargetBitrate(src.track), 400_000, "t2 no longer sends the track");
      t1.stop();
      assert.equal(getTargetBitrate(src.track), undefined, "no sender left");
    } finally {
      a.close();
      b.close();
    }
  });

  it("DTMF: refused on an RTP-fed track; no tonechange after close()", async () => {
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    try {
      const rtp = createRtpTrack({ kind: "audio" });
      const sender = a.addTrack(rtp.track);
      await connect(a, b);
      await until(() => a.connectionState === "connected", "connected");
      const dtmf = sender.dtmf!;
      assert.equal(dtmf.canInsertDTMF, false, "RTP-fed");
      assert.throws(() => dtmf.insertDTMF("1"), { name: "InvalidStateError" });
      const frames = createEncodedAudioTrack();
      await sender.replaceTrack(frames.track);
      assert.equal(dtmf.canInsertDTMF, true, "frame-fed");
      const tones: string[] = [];
      dtmf.ontonechange = (e) => tones.push(e.tone);
      dtmf.insertDTMF("1", 40, 30);
      await until(() => tones.includes(""), "tonechange 1, ''", 5000);
      assert.deepEqual(tones, ["1", ""]);
      // A tone change the core reported just before close(), in the same tick, is dropped with the queue.
      dtmf.toneChanged("2");
      a.close();
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      assert.deepEqual(tones, ["1", ""], "nothing after close()");
    } finally {
      a.close();
      b.close();
    }
  });
});
