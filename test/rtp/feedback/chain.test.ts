// RtpFeedbackChain pairs on a fake link with virtual time: NACK + RTX recovery under random loss,
// no NACK for reordering within tolerance, a PLI for loss beyond the NACK list, RTT from SR/RR and
// from XR RRT/DLRR within a tolerance of the simulated delay, TWCC feedback accounting for every
// packet, keyframe request rate limiting and FIR, sender reports (counts and NTP/RTP mapping).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { FeedbackEvent } from "../../../src/rtp/feedback/index.js";
import { isRtcpPacket } from "../../../src/rtp/index.js";
import { Pair, RTX_A, SSRC_A } from "./harness.js";

const SEEDS = [1, 2, 3, 4];
const VIDEO = { interval: 10, payloadSize: 1000, clockRate: 90000, firstSeq: 65000 };

test("10% loss both ways: NACK + RTX recovers every packet within a few RTTs", () => {
  for (const seed of SEEDS) {
    const pair = new Pair(seed, { delay: 25, loss: 0.1 }, { delay: 25, loss: 0.1 }).withVideo({
      ...VIDEO,
      until: 3000,
    });
    pair.run(6000);
    const rtt = 50;
    let worst = 0;
    for (const [seq, at] of pair.sentAt) {
      const got = pair.deliveredAt.get(seq);
      assert.ok(got !== undefined, `seed ${seed}: packet ${seq} never recovered`);
      worst = Math.max(worst, got - at);
    }
    assert.ok(pair.ab.lost > 20, `seed ${seed}: the link lost ${pair.ab.lost}`);
    // One trip, then rounds of (reorder wait + NACK + RTX), each round lost with p ~ 0.19.
    assert.ok(worst <= 25 + 8 * rtt, `seed ${seed}: slowest recovery ${worst} ms`);
    const inbound = pair.b.stats().inbound.find((s) => s.ssrc === SSRC_A)!;
    assert.ok(inbound.retransmittedPacketsReceived > 0, `seed ${seed}`);
    assert.ok(inbound.nackCount > 0, `seed ${seed}`);
    // Loss before repair is what the report blocks carry.
    assert.ok(inbound.packetsLost > 0, `seed ${seed}`);
    const out = pair.a.stats().outbound.find((s) => s.ssrc === SSRC_A)!;
    assert.ok(out.retransmittedPacketsSent >= inbound.retransmittedPacketsReceived, `seed ${seed}`);
    // Every media packet handed on is on the original SSRC and payload type.
    for (const p of pair.delivered) {
      assert.equal(p.ssrc, SSRC_A);
      assert.equal(p.payloadType, 96);
      assert.equal(p.payload.length, 1000);
    }
    // RTX stream: the retransmissions carried the original payload (first byte = packet index).
    const firstSeq = VIDEO.firstSeq;
    for (const p of pair.delivered) {
      const index = (p.sequenceNumber - firstSeq) & 0xffff;
      assert.equal(p.payload[0], index & 0xff, `seed ${seed}: payload of ${p.sequenceNumber}`);
    }
  }
});

test("reordering within tolerance produces no NACK", () => {
  for (const seed of SEEDS) {
    // Every 7th packet is held back by 25 ms: two later packets (10 ms apart) overtake it.
    const pair = new Pair(seed, { delay: 20, extraDelay: (_d, n) => (n % 7 === 3 ? 25 : 0) }, { delay: 20 }).withVideo({
      ...VIDEO,
      until: 2000,
    });
    pair.run(4000);
    const inbound = pair.b.stats().inbound[0]!;
    assert.equal(inbound.nackCount, 0, `seed ${seed}`);
    assert.equal(inbound.nack.requested, 0, `seed ${seed}`);
    assert.ok(inbound.nack.recovered > 10, `seed ${seed}: holes filled by late packets ${inbound.nack.recovered}`);
    assert.equal(pair.a.stats().outbound[0]!.retransmittedPacketsSent, 0, `seed ${seed}`);
    assert.equal(pair.deliveredAt.size, pair.sentAt.size, `seed ${seed}`);
  }
});

test("burst loss beyond the NACK list produces one PLI and clears the list", () => {
  for (const seed of SEEDS) {
    // 1 ms spacing; everything sent between t=500 and t=1700 (1200 packets) is lost.
    const pair = new Pair(
      seed,
      { delay: 20, drop: (d, _n, now) => !isRtcpPacket(d) && now >= 500 && now < 1700 },
      { delay: 20 },
    ).withVideo({ ...VIDEO, interval: 1, payloadSize: 100, until: 2500 });
    pair.run(3000);
    const inbound = pair.b.stats().inbound[0]!;
    assert.equal(inbound.nack.overflows, 1, `seed ${seed}`);
    assert.equal(inbound.pliCount, 1, `seed ${seed}`);
    const requests = pair.eventsA.filter((e) => e.type === "keyframe-request");
    assert.deepEqual(requests, [{ type: "keyframe-request", ssrc: SSRC_A, method: "pli" }], `seed ${seed}`);
    assert.equal(pair.a.stats().outbound[0]!.pliCount, 1);
  }
});

test("RTT from SR/RR within a tolerance of the simulated delay (clocks of both sides differ)", () => {
  for (const [seed, delay] of [
    [1, 15],
    [2, 40],
    [3, 120],
  ] as const) {
    const pair = new Pair(seed, { delay }, { delay }).withVideo({ ...VIDEO, until: 6000 });
    pair.run(6000);
    const out = pair.a.stats();
    assert.ok(out.rttMeasured, `seed ${seed}`);
    assert.ok(Math.abs(out.rtt - 2 * delay) < 1, `seed ${seed}: rtt ${out.rtt} for one-way ${delay}`);
    const remote = out.outbound[0]!.remote!;
    assert.ok(remote.roundTripTimeMeasurements >= 3, `seed ${seed}`);
    assert.equal(remote.packetsLost, 0);
    assert.equal(remote.fractionLost, 0);
    // The receiver measured no RTT of its own (not a sender, no XR).
    assert.equal(pair.b.stats().rttMeasured, false);
  }
});

test("XR RRT/DLRR gives the receive-only side an RTT", () => {
  for (const seed of SEEDS) {
    const pair = new Pair(seed, { delay: 30 }, { delay: 30 }, {}, { xrRtt: true }).withVideo({ ...VIDEO, until: 5000 });
    pair.run(5000);
    const b = pair.b.stats();
    assert.ok(b.rttMeasured, `seed ${seed}`);
    assert.ok(Math.abs(b.rtt - 60) < 1, `seed ${seed}: rtt ${b.rtt}`);
    // Every DLRR answer is a measurement: count and sum (remote-outbound-rtp totalRoundTripTime).
    const inb = b.inbound[0]!;
    assert.ok(inb.receiverRttMeasurements >= 3, `seed ${seed}: ${inb.receiverRttMeasurements} measurements`);
    const mean = inb.receiverRttTotalMs / inb.receiverRttMeasurements;
    assert.ok(Math.abs(mean - 60) < 1, `seed ${seed}: mean rtt ${mean}`);
  }
});

test("TWCC feedback round-trips through the RTCP parser and accounts for every packet", () => {
  for (const seed of SEEDS) {
    const pair = new Pair(seed, { delay: 20, loss: 0.05 }, { delay: 20 }).withVideo({ ...VIDEO, until: 3000 });
    pair.run(3500);
    const a = pair.a.stats();
    const stamped = pair.mediaSent + a.outbound[0]!.retransmittedPacketsSent;
    // Media and retransmissions carry the extension; RTCP does not.
    const lostMedia = pair.ab.lost;
    assert.equal(a.delivery.packetsDelivered + a.delivery.packetsLost, stamped, `seed ${seed}`);
    assert.ok(a.delivery.packetsLost > 0, `seed ${seed}`);
    assert.ok(a.delivery.packetsLost <= lostMedia, `seed ${seed}: ${a.delivery.packetsLost} > ${lostMedia}`);
    assert.equal(a.delivery.unknown, 0, `seed ${seed}`);
    const b = pair.b.stats();
    assert.equal(b.twcc.recorded, a.delivery.packetsDelivered, `seed ${seed}`);
    assert.ok(b.twcc.feedbackSent >= 25 && b.twcc.feedbackSent <= 40, `seed ${seed}: ${b.twcc.feedbackSent} feedback`);
    // 1020-byte packets every 10 ms (816 kbit/s) minus 5% loss plus some retransmissions.
    const rate = a.delivery.estimate.deliveredBitrate!;
    assert.ok(rate > 0.85 * 816_000 && rate < 1.02 * 816_000, `seed ${seed}: delivered ${rate}`);
    assert.ok(pair.eventsA.some((e) => e.type === "bandwidth"));
  }
});

test("keyframe requests are rate limited; FIR carries a new command number each time", () => {
  const pair = new Pair(1, { delay: 10 }, { delay: 10 }).withVideo({ ...VIDEO, until: 2000 });
  pair.run(100);
  assert.equal(pair.b.requestKeyframe(SSRC_A, 100), true);
  assert.equal(pair.b.requestKeyframe(SSRC_A, 150), false);
  assert.equal(pair.b.requestKeyframe(SSRC_A, 399), false);
  pair.run(400);
  assert.equal(pair.b.requestKeyframe(SSRC_A, 400, "fir"), true);
  pair.run(800);
  assert.equal(pair.b.requestKeyframe(SSRC_A, 800, "fir"), true);
  assert.equal(pair.b.requestKeyframe(0xdead, 800), false, "unknown stream");
  pair.run(1000);
  const kinds = pair.eventsA.filter(
    (e): e is Extract<FeedbackEvent, { type: "keyframe-request" }> => e.type === "keyframe-request",
  );
  assert.deepEqual(
    kinds.map((e) => e.method),
    ["pli", "fir", "fir"],
  );
  const inbound = pair.b.stats().inbound[0]!;
  assert.equal(inbound.pliCount, 1);
  assert.equal(inbound.firCount, 2);
});

test("sender reports carry counts and an NTP/RTP mapping the receiver can use", () => {
  const pair = new Pair(5, { delay: 10 }, { delay: 10 }).withVideo({ ...VIDEO, until: 3000 });
  pair.run(3000);
  const srs = pair.eventsB.filter(
    (e): e is Extract<FeedbackEvent, { type: "sender-report" }> => e.type === "sender-report",
  );
  assert.ok(srs.length >= 2);
  for (const sr of srs) {
    assert.equal(sr.ssrc, SSRC_A);
    // Sent at A's time t: ntpMs = t + offset, rtp = t * 90 (the harness stamps capture = send time).
    const t = sr.ntpMs - 3_900_000_000_000;
    const expectedRtp = Math.round(t * 90) >>> 0;
    assert.ok(Math.abs(((sr.rtpTimestamp - expectedRtp) << 0) >> 0) <= 2, `rtp ${sr.rtpTimestamp} vs ${expectedRtp}`);
    // Every packet sent before the SR is counted (10 ms spacing from t=0).
    assert.equal(sr.packetCount, Math.floor(t / 10) + 1, `count at ${t}`);
    assert.equal(sr.octetCount, sr.packetCount * 1000);
  }
  const inbound = pair.b.stats().inbound[0]!;
  assert.equal(inbound.remotePacketsSent, srs.at(-1)!.packetCount);
});

test("without RTX negotiated, NACKed packets are resent as the original", () => {
  for (const seed of SEEDS) {
    const pair = new Pair(seed, { delay: 20, loss: 0.1 }, { delay: 20 }).withVideo({ ...VIDEO, until: 2000 }, false);
    pair.run(4000);
    for (const seq of pair.sentAt.keys()) assert.ok(pair.deliveredAt.has(seq), `seed ${seed}: ${seq} missing`);
    // Resent byte for byte (same transport-wide sequence number): SRTP must not see different
    // plaintext under one packet index. Delivered + lost still accounts for each packet once.
    const d = pair.a.stats().delivery;
    assert.equal(d.packetsDelivered + d.packetsLost, pair.mediaSent, `seed ${seed}`);
    const inbound = pair.b.stats().inbound[0]!;
    // Resent originals arrive on the media SSRC: counted as received (duplicates of nothing).
    assert.equal(inbound.retransmittedPacketsReceived, 0);
    assert.equal(inbound.packetsLost, 0, `seed ${seed}`);
    assert.ok(pair.a.stats().outbound[0]!.retransmittedPacketsSent > 0);
  }
});

test("BYE on close ends reports", () => {
  const pair = new Pair(1, { delay: 10 }, { delay: 10 }).withVideo({ ...VIDEO, until: 500 });
  pair.run(600);
  pair.a.close(600, "done");
  assert.equal(pair.a.nextTimeout(), undefined);
  pair.run(700);
  assert.deepEqual(
    pair.eventsB.filter((e) => e.type === "bye"),
    [{ type: "bye", ssrc: SSRC_A, reason: "done" }],
  );
  void RTX_A;
});
