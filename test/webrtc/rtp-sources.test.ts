// RTCRtpReceiver.getSynchronizationSources / getContributingSources (webrtc-pc 5.3.4) between two
// RTCPeerConnections over loopback UDP: an RTP-fed petrel/nonstandard track writes packets with a
// CSRC list and an RFC 6464 level; the remote receiver lists the SSRC (audioLevel 10^(-20/20) =
// 0.1, timestamp on performance.timeOrigin's clock) and the CSRCs; more than 15 CSRCs throw.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RTCPeerConnection, type RTCTrackEvent } from "../../src/index.js";
import { createRtpTrack } from "../../src/nonstandard/index.js";
import { connect, once, until } from "./helpers.js";

describe("RTP sources through RTCPeerConnection", () => {
  it("CSRCs and audio levels", async () => {
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    try {
      const src = createRtpTrack({ kind: "audio" });
      a.addTrack(src.track);
      const trackEv = once<RTCTrackEvent>(b, "track");
      await connect(a, b);
      const { receiver } = await trackEv;
      await until(() => a.connectionState === "connected" && b.connectionState === "connected", "connected");
      assert.deepEqual(receiver.getContributingSources(), []);
      let seq = 1;
      const before = performance.timeOrigin + performance.now();
      await until(
        () => {
          src.writeRtp({
            sequenceNumber: seq++,
            timestamp: seq * 960,
            payload: new Uint8Array([0xfc, 0, 1]),
            csrcs: [1111, 2222],
            audioLevel: 20,
          });
          return receiver.getContributingSources().length === 2;
        },
        "contributing sources",
        5000,
      );
      const cs = receiver.getContributingSources();
      assert.deepEqual(cs.map((c) => c.source).sort(), [1111, 2222]);
      const ss = receiver.getSynchronizationSources();
      assert.equal(ss.length, 1);
      assert.ok(Math.abs(ss[0]!.audioLevel! - 0.1) < 1e-9, `${ss[0]!.audioLevel}`);
      const now = performance.timeOrigin + performance.now();
      assert.ok(ss[0]!.timestamp >= before && ss[0]!.timestamp <= now, "timestamp on the performance clock");
      assert.throws(
        () =>
          src.writeRtp({
            sequenceNumber: seq++,
            timestamp: 0,
            payload: new Uint8Array(1),
            csrcs: new Array(16).fill(1),
          }),
        TypeError,
      );
    } finally {
      a.close();
      b.close();
    }
  });
});
