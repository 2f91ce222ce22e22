// RTCRtpSender encodings between two RTCPeerConnections over loopback UDP: addTransceiver's
// sendEncodings maxBitrate and setParameters reach the media core (the track's target bitrate,
// petrel/nonstandard getTargetBitrate/onTargetBitrate), active: false stops sending (outbound
// packetsSent stays), active: true resumes; outbound-rtp has targetBitrate and active, and
// getStats does not start a parameters transaction.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RTCPeerConnection } from "../../src/index.js";
import { createEncodedVideoTrack, getTargetBitrate, onTargetBitrate } from "../../src/nonstandard/index.js";
import { connect, until } from "./helpers.js";

async function packetsSent(pc: RTCPeerConnection): Promise<number> {
  const s = [...(await pc.getStats()).values()].find((x) => x.type === "outbound-rtp");
  return (s?.packetsSent as number | undefined) ?? 0;
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
      for (let k = 0; k < 5; k++) frame();
      await new Promise((r) => setTimeout(r, 50));
      const q = t.sender.getParameters();
      // getStats between getParameters and setParameters does not spoil the transaction.
      const before = await packetsSent(a);
      assert.ok(before >= 5, `sent ${before}`);
      const out = [...(await a.getStats()).values()].find((x) => x.type === "outbound-rtp");
      assert.equal(out?.targetBitrate, 200_000);
      assert.equal(out?.active, true);
      q.encodings[0]!.active = false;
      await t.sender.setParameters(q);
      for (let k = 0; k < 5; k++) frame();
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(await packetsSent(a), before, "inactive: nothing sent");
      const r = t.sender.getParameters();
      r.encodings[0]!.active = true;
      delete r.encodings[0]!.maxBitrate;
      await t.sender.setParameters(r);
      await until(() => getTargetBitrate(src.track) === undefined, "no target");
      for (let k = 0; k < 5; k++) frame();
      await new Promise((r) => setTimeout(r, 50));
      assert.ok((await packetsSent(a)) >= before + 5, "active again");
    } finally {
      a.close();
      b.close();
    }
  });
});
