// RTCRtpSender encodings between two RTCPeerConnections over loopback UDP: addTransceiver's
// sendEncodings maxBitrate and setParameters reach the media core (the track's target bitrate,
// petrel/nonstandard getTargetBitrate/onTargetBitrate), active: false stops sending (outbound
// packetsSent stays), active: true resumes; outbound-rtp has targetBitrate and active, and
// getStats does not start a parameters transaction. Transactions: one transactionId per task,
// cleared when the task ends or a setParameters used it (InvalidStateError), a wrong one is
// InvalidModificationError; a stopping transceiver rejects (InvalidStateError).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RTCPeerConnection } from "../../src/index.js";
import { createEncodedVideoTrack, getTargetBitrate, onTargetBitrate } from "../../src/nonstandard/index.js";
import { connect, until } from "./helpers.js";

async function packetsSent(pc: RTCPeerConnection): Promise<number> {
  const s = [...(await pc.getStats()).values()].find((x) => x.type === "outbound-rtp");
  return (s?.packetsSent as number | undefined) ?? 0;
}

/** Waits (polling getStats) until the outbound-rtp stream has sent at least `n` packets. */
async function untilSent(pc: RTCPeerConnection, n: number, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  for (let got = await packetsSent(pc); got < n; got = await packetsSent(pc)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${n} packets sent (${got})`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("RTCRtpSender encodings", () => {
  it("maxBitrate -> target bitrate; active false/true", async () => {
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    try {
      const src = createEncodedVideoTrack({ codec: "VP8" });
      const targets: (number | undefined)[] = [];
      onTargetBitrate(src.track, (bps) => targets.push(bps));
      assert.throws(() => a.addTransceiver(src.track, { sendEncodings: [{ maxBitrate: -1 }] }), TypeError);
      const t = a.addTransceiver(src.track, { direction: "sendonly", sendEncodings: [{ maxBitrate: 300_000 }] });
      assert.equal(t.sender.getParameters().encodings[0]?.maxBitrate, 300_000);
      await connect(a, b);
      await until(() => a.connectionState === "connected" && b.connectionState === "connected", "connected");
      await until(() => getTargetBitrate(src.track) === 300_000, "target 300k");
      const p = t.sender.getParameters();
      p.encodings[0]!.maxBitrate = 200_000;
      await t.sender.setParameters(p);
      await until(() => getTargetBitrate(src.track) === 200_000, "target 200k");
      assert.deepEqual(targets.slice(-2), [300_000, 200_000]);

      let i = 0;
      const frame = () => {
        const data = new Uint8Array(500);
        data[0] = i % 10 === 0 ? 0x10 : 0x11;
        src.writeFrame({ data, timestamp: i * 3000, keyframe: i % 10 === 0 });
        i++;
      };
      // One packet per 500-byte frame: wait until all five have left the pacer.
      for (let k = 0; k < 5; k++) frame();
      await untilSent(a, 5);
      const before = await packetsSent(a);
      assert.equal(before, 5, `sent ${before}`);
      const out = [...(await a.getStats()).values()].find((x) => x.type === "outbound-rtp");
      assert.equal(out?.targetBitrate, 200_000);
      assert.equal(out?.active, true);
      assert.equal(out?.framesSent, 5);
      // getStats did not start a parameters transaction: getParameters and setParameters in one task.
      const q = t.sender.getParameters();
      q.encodings[0]!.active = false;
      await t.sender.setParameters(q);
      // Inactive: the sender drops frames as they are written (nothing queued: all five were out).
      for (let k = 0; k < 5; k++) frame();
      const idle = [...(await a.getStats()).values()].find((x) => x.type === "outbound-rtp");
      assert.equal(idle?.framesSent, 5, "inactive: no frame taken");
      assert.equal(idle?.packetsSent, before, "inactive: nothing sent");
      const r = t.sender.getParameters();
      r.encodings[0]!.active = true;
      delete r.encodings[0]!.maxBitrate;
      await t.sender.setParameters(r);
      await until(() => getTargetBitrate(src.track) === undefined, "no target");
      for (let k = 0; k < 5; k++) frame();
      await untilSent(a, before + 5);
    } finally {
      a.close();
      b.close();
    }
  });

  it("getParameters/setParameters transactions (webrtc-pc 5.2)", async () => {
    const a = new RTCPeerConnection();
    try {
      const { sender } = a.addTransceiver("video");
      await assert.rejects(sender.setParameters({ transactionId: "1", encodings: [{}] } as never), {
        name: "InvalidStateError",
      });
      const p1 = sender.getParameters();
      const p2 = sender.getParameters();
      assert.equal(p1.transactionId, p2.transactionId, "one transactionId within a task");
      await assert.rejects(sender.setParameters({ ...p1, transactionId: `${p1.transactionId}x` }), {
        name: "InvalidModificationError",
      });
      await assert.rejects(sender.setParameters({ ...p1, encodings: [] }), { name: "InvalidModificationError" });
      p1.encodings[0]!.maxBitrate = 100_000;
      await sender.setParameters(p1);
      // A successful setParameters clears the stored parameters: the same object again is stale.
      await assert.rejects(sender.setParameters(p1), { name: "InvalidStateError" });
      // The stored parameters are also cleared at the end of the task.
      const p4 = sender.getParameters();
      await new Promise((r) => setImmediate(r));
      await assert.rejects(sender.setParameters(p4), { name: "InvalidStateError" });
      const p3 = sender.getParameters();
      assert.notEqual(p3.transactionId, p1.transactionId);
      assert.equal(p3.encodings[0]!.maxBitrate, 100_000);
      await sender.setParameters(p3);
      // Stopping ([[Stopping]]) rejects even with current parameters.
      const t2 = a.addTransceiver("audio");
      const p5 = t2.sender.getParameters();
      t2.stop();
      await assert.rejects(t2.sender.setParameters(p5), { name: "InvalidStateError" });
    } finally {
      a.close();
    }
  });
});
