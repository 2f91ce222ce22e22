// remote-outbound-rtp (webrtc-stats 3.6) on the simulator: A sends VP8 frames to B for a few
// virtual seconds; B's stats (addMediaStats over RTCRtpTransceiver handles on the MediaSession)
// have a remote-outbound-rtp per inbound-rtp from A's sender reports (RFC 3550 6.4.1): packets and
// bytes A's SR counted (what A's outbound-rtp said at that time, not more), remoteTimestamp on the
// Unix epoch from the SR's NTP time, reportsSent, linked both ways (inbound remoteId, localId);
// stamped when the SR arrived; no roundTripTime without XR DLRR (totalRoundTripTime and
// roundTripTimeMeasurements 0).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MediaSession } from "../../src/peer/media.js";
import { ntpOffsetFor } from "../../src/rtp/feedback/ntp.js";
import { addMediaStats } from "../../src/webrtc/media-stats.js";
import { RTCRtpTransceiver } from "../../src/webrtc/rtp-transceiver.js";
import type { RTCStats } from "../../src/webrtc/stats.js";
import { makeMediaPair } from "../peer/media-pair.js";

const WALL = 1_700_000_000_000;

function statsOf(media: MediaSession, ids: number[], now: number): Map<string, RTCStats> {
  const host = {
    media,
    now: () => now,
    kick() {},
    updateNegotiationNeeded() {},
    isClosed: false,
    cname: media.cname,
  };
  const report = new Map<string, RTCStats>();
  addMediaStats(report as never, {
    media,
    transceivers: ids.map((id) => new RTCRtpTransceiver(host, media.transceiver(id), null, [])),
    timestamp: WALL + now,
    transportId: "T",
    now,
  });
  return report;
}

describe("remote-outbound-rtp", () => {
  for (const seed of [1, 2, 3]) {
    it(`from the remote's sender reports, linked to inbound-rtp (seed ${seed})`, () => {
      const p = makeMediaPair(seed, { ntpOffsetMs: ntpOffsetFor(WALL, 0) });
      for (let i = 0; i < 120; i++) {
        p.net.run({ untilTime: i * 33, maxSteps: 100_000 });
        const data = new Uint8Array(3000);
        data[0] = i % 30 === 0 ? 0x10 : 0x11;
        p.a.sendFrame(p.ids.aVideo, { data, timestamp: i * 3000, keyframe: i % 30 === 0 }, p.net.now);
        p.kick();
      }
      p.net.run({ untilTime: 4200, maxSteps: 200_000 });
      const now = p.net.now;
      const b = [...statsOf(p.b, [p.ids.bAudio, p.ids.bVideo], now).values()];
      const inbound = b.find((s) => s.type === "inbound-rtp" && s.kind === "video");
      assert.ok(inbound, `seed ${seed}`);
      const ro = b.find((s) => s.type === "remote-outbound-rtp");
      assert.ok(ro, `seed ${seed}: remote-outbound-rtp`);
      assert.equal(inbound.remoteId, ro.id);
      assert.equal(ro.localId, inbound.id);
      assert.equal(ro.ssrc, inbound.ssrc);
      assert.equal(ro.kind, "video");
      assert.equal(ro.codecId, inbound.codecId);
      const a = [...statsOf(p.a, [p.ids.aAudio, p.ids.aVideo], now).values()];
      const out = a.find((s) => s.type === "outbound-rtp" && s.kind === "video")!;
      const sent = ro.packetsSent as number;
      assert.ok(sent > 0 && sent <= (out.packetsSent as number), `seed ${seed}: ${sent} vs ${out.packetsSent}`);
      assert.ok((ro.bytesSent as number) >= sent * 1000, `seed ${seed}: bytes ${ro.bytesSent}`);
      assert.ok((ro.reportsSent as number) >= 2, `seed ${seed}: ${ro.reportsSent} reports`);
      // The SR left A within the run, on A's wall clock; it arrived 10 ms later (the link latency).
      const remoteTs = ro.remoteTimestamp as number;
      assert.ok(remoteTs > WALL && remoteTs <= WALL + now, `seed ${seed}: ${remoteTs - WALL}`);
      assert.ok(Math.abs((ro.timestamp as number) - (remoteTs + 10)) < 2, `seed ${seed}: arrival stamp`);
      assert.equal(ro.roundTripTime, undefined);
      assert.equal(ro.totalRoundTripTime, 0);
      assert.equal(ro.roundTripTimeMeasurements, 0);
      // B sent no media: A has neither inbound-rtp nor remote-outbound-rtp.
      assert.equal(a.filter((s) => s.type === "remote-outbound-rtp" || s.type === "inbound-rtp").length, 0);
    });
  }
});
