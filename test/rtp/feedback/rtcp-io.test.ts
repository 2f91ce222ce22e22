// What the chain makes of single RTCP inputs and what its reports look like: events for PLI, FIR
// (once per command number), REMB, TWCC, SR and BYE; report blocks for received streams in SR or
// RR with SDES CNAME (RFC 3550 6.1 compound order); feedback framing with and without RFC 5506
// reduced size; audio defaults; time going backwards.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SeededRandom } from "../../../src/random.js";
import { type FeedbackEvent, RtpFeedbackChain, type RtpFeedbackOptions } from "../../../src/rtp/feedback/index.js";
import { parseRtcp, type RtcpPacket, serializeRtcp, serializeRtp } from "../../../src/rtp/index.js";

const LOCAL = 0x0a0a0a0a;
const REMOTE = 0x0b0b0b0b;

function make(opts: Partial<RtpFeedbackOptions> = {}): RtpFeedbackChain {
  const c = new RtpFeedbackChain({ localSsrc: LOCAL, cname: "me", random: new SeededRandom(1), ...opts });
  c.addSendStream({ ssrc: LOCAL, clockRate: 90000 });
  c.addReceiveStream({ ssrc: REMOTE, clockRate: 90000 });
  return c;
}
function events(c: RtpFeedbackChain): FeedbackEvent[] {
  const out: FeedbackEvent[] = [];
  for (let e = c.pollEvent(); e; e = c.pollEvent()) out.push(e);
  return out;
}
function rtcpOut(c: RtpFeedbackChain): RtcpPacket[][] {
  const out: RtcpPacket[][] = [];
  for (let d = c.pollRtcp(); d; d = c.pollRtcp()) out.push(parseRtcp(d)!);
  return out;
}
function rtp(seq: number, ssrc = REMOTE): Uint8Array {
  return serializeRtp({
    payloadType: 96,
    sequenceNumber: seq,
    timestamp: seq * 3000,
    ssrc,
    payload: new Uint8Array(50),
  });
}

test("remote RTCP surfaces as events", () => {
  const c = make();
  c.handleOutgoingRtp(
    serializeRtp({ payloadType: 96, sequenceNumber: 1, timestamp: 0, ssrc: LOCAL, payload: new Uint8Array(10) }),
    0,
  );
  const fir = (n: number): RtcpPacket => ({
    type: "fir",
    senderSsrc: REMOTE,
    mediaSsrc: 0,
    entries: [{ ssrc: LOCAL, sequenceNumber: n }],
  });
  c.handleRtcp(
    serializeRtcp([
      {
        type: "sr",
        ssrc: REMOTE,
        ntpSeconds: 10,
        ntpFraction: 0x80000000,
        rtpTimestamp: 900,
        packetCount: 3,
        octetCount: 30,
        reports: [],
      },
      { type: "pli", senderSsrc: REMOTE, mediaSsrc: LOCAL },
      { type: "pli", senderSsrc: REMOTE, mediaSsrc: 999 },
      fir(4),
      fir(4),
      fir(5),
      { type: "remb", senderSsrc: REMOTE, bitrate: 1_500_000, ssrcs: [LOCAL] },
      { type: "bye", ssrcs: [REMOTE] },
    ]),
    10,
  );
  assert.deepEqual(events(c), [
    { type: "sender-report", ssrc: REMOTE, ntpMs: 10500, rtpTimestamp: 900, packetCount: 3, octetCount: 30 },
    { type: "keyframe-request", ssrc: LOCAL, method: "pli" },
    { type: "keyframe-request", ssrc: LOCAL, method: "fir" },
    { type: "keyframe-request", ssrc: LOCAL, method: "fir" },
    { type: "remb", bitrate: 1_500_000, ssrcs: [LOCAL] },
    { type: "bye", ssrc: REMOTE, reason: undefined },
  ]);
  const out = c.stats().outbound[0]!;
  assert.equal(out.pliCount, 1);
  assert.equal(out.firCount, 2);
});

test("periodic report: SR with report blocks, SDES CNAME, remote figures; halved first interval", () => {
  const c = make({ ntpOffsetMs: 1_000_000 });
  for (let s = 0; s < 10; s++) if (s !== 4) c.handleRtp(rtp(s), s * 10);
  c.handleOutgoingRtp(
    serializeRtp({ payloadType: 96, sequenceNumber: 1, timestamp: 0, ssrc: LOCAL, payload: new Uint8Array(10) }),
    0,
  );
  // Step through the deadlines (NACK retries for 4 among them) to the first report.
  let due = 0;
  let report: RtcpPacket[] | undefined;
  while (report === undefined) {
    due = c.nextTimeout()!;
    c.handleTimeout(due);
    report = rtcpOut(c).find((r) => r[0]!.type === "sr");
  }
  assert.ok(due >= 250 && due < 750, `first report at ${due} (video: 1 s minimum, halved, x[0.5, 1.5))`);
  assert.equal(report[0]!.type, "sr");
  const sr = report[0] as Extract<RtcpPacket, { type: "sr" }>;
  assert.equal(sr.ssrc, LOCAL);
  assert.equal(sr.packetCount, 1);
  assert.equal(sr.reports.length, 1);
  assert.equal(sr.reports[0]!.ssrc, REMOTE);
  assert.equal(sr.reports[0]!.packetsLost, 1);
  assert.equal(sr.reports[0]!.fractionLost, Math.floor(256 / 10));
  assert.equal(sr.reports[0]!.highestSequence, 9);
  assert.deepEqual(report[1], { type: "sdes", chunks: [{ ssrc: LOCAL, items: [{ type: 1, value: "me" }] }] });
  let next = due;
  for (let found = false; !found; ) {
    next = c.nextTimeout()!;
    c.handleTimeout(next);
    found = rtcpOut(c).some((r) => r[0]!.type === "sr");
  }
  assert.ok(next - due >= 500 && next - due < 1500, `then every ${next - due} ms`);
});

test("a receive-only chain sends RR from its local SSRC, with XR RRT when asked", () => {
  const c = new RtpFeedbackChain({
    localSsrc: LOCAL,
    cname: "me",
    random: new SeededRandom(2),
    xrRtt: true,
    kind: "audio",
  });
  c.addReceiveStream({ ssrc: REMOTE, clockRate: 48000, kind: "audio" });
  c.handleRtp(rtp(1), 0);
  c.handleRtp(rtp(3), 10);
  c.handleRtp(rtp(4), 200);
  assert.equal(c.stats().inbound[0]!.nackCount, 0, "no NACK for audio by default");
  const due = c.nextTimeout()!;
  assert.ok(due >= 1250 && due < 3750, `audio: 5 s minimum halved: ${due}`);
  c.handleTimeout(due);
  const [report] = rtcpOut(c);
  assert.deepEqual(
    report!.map((p) => p.type),
    ["rr", "sdes", "xr"],
  );
  assert.equal((report![0] as Extract<RtcpPacket, { type: "rr" }>).ssrc, LOCAL);
});

test("feedback framing: reduced size alone, or behind RR + SDES without rtcp-rsize", () => {
  for (const reducedSize of [true, false]) {
    const c = make({ reducedSize });
    c.addReceiveStream({ ssrc: REMOTE, clockRate: 90000, kind: "video" });
    for (const s of [1, 2, 4, 5, 6, 7, 8]) c.handleRtp(rtp(s), s);
    const out = rtcpOut(c);
    assert.equal(out.length, 1);
    const types = out[0]!.map((p) => p.type);
    assert.deepEqual(types, reducedSize ? ["nack"] : ["rr", "sdes", "nack"]);
    const nack = out[0]!.at(-1) as Extract<RtcpPacket, { type: "nack" }>;
    assert.deepEqual(nack.items, [{ pid: 3, blp: 0 }]);
    assert.equal(nack.senderSsrc, LOCAL);
    assert.equal(nack.mediaSsrc, REMOTE);
  }
});

test("time going backwards is ignored", () => {
  const c = make();
  c.handleRtp(rtp(1), 1000);
  const due = c.nextTimeout()!;
  c.handleRtp(rtp(2), 10); // earlier than before: treated as 1000
  c.handleTimeout(5);
  assert.equal(c.nextTimeout(), due);
  assert.equal(rtcpOut(c).length, 0);
  assert.equal(c.stats().inbound[0]!.lastPacketReceivedAt, 1000);
});

test("an anchored NTP/RTP mapping is used for SRs instead of the last packet's send time", () => {
  const c = make({ ntpOffsetMs: 0 });
  // Paced: the packet captured at t=0 (RTP 0) leaves at t=40.
  c.handleOutgoingRtp(
    serializeRtp({ payloadType: 96, sequenceNumber: 1, timestamp: 0, ssrc: LOCAL, payload: new Uint8Array(10) }),
    40,
  );
  c.setTimestampMapping(LOCAL, 0, 0);
  c.handleOutgoingRtp(
    serializeRtp({ payloadType: 96, sequenceNumber: 2, timestamp: 3000, ssrc: LOCAL, payload: new Uint8Array(10) }),
    80,
  );
  let sr: Extract<RtcpPacket, { type: "sr" }> | undefined;
  while (sr === undefined) {
    c.handleTimeout(c.nextTimeout()!);
    sr = rtcpOut(c)
      .flat()
      .find((p) => p.type === "sr") as typeof sr;
  }
  const ntpMs = sr.ntpSeconds * 1000 + (sr.ntpFraction / 2 ** 32) * 1000;
  assert.ok(Math.abs(sr.rtpTimestamp - ntpMs * 90) <= 1, `rtp ${sr.rtpTimestamp} at ${ntpMs} ms`);
  assert.equal(sr.packetCount, 2);
});

test("remote sender figures and a FIR-only stream's automatic keyframe request", () => {
  const c = make();
  c.addReceiveStream({ ssrc: REMOTE, clockRate: 90000, kind: "video", keyframeMethod: "fir", nack: true });
  c.handleRtcp(
    serializeRtcp([
      {
        type: "sr",
        ssrc: REMOTE,
        ntpSeconds: 2,
        ntpFraction: 0,
        rtpTimestamp: 1,
        packetCount: 7,
        octetCount: 70,
        reports: [],
      },
    ]),
    0,
  );
  c.handleRtp(rtp(1), 1);
  c.handleRtp(rtp(1500), 2); // a gap beyond the NACK list (1000) but not a restart (3000)
  const fb = rtcpOut(c).flat();
  assert.deepEqual(
    fb.map((p) => p.type),
    ["fir"],
  );
  const s = c.stats().inbound[0]!;
  assert.equal(s.firCount, 1);
  assert.equal(s.remotePacketsSent, 7);
  assert.equal(s.remoteOctetsSent, 70);
  assert.equal(s.remoteTimestamp, 2000);
  assert.equal(s.senderReportsReceived, 1);
});

test("a report block echoing no SR of ours (stale or bogus LSR) gives no RTT", () => {
  const c = make();
  c.handleOutgoingRtp(
    serializeRtp({ payloadType: 96, sequenceNumber: 1, timestamp: 0, ssrc: LOCAL, payload: new Uint8Array(10) }),
    0,
  );
  const block = {
    ssrc: LOCAL,
    fractionLost: 0,
    packetsLost: 0,
    highestSequence: 1,
    jitter: 0,
    lastSr: 0x12345678,
    delaySinceLastSr: 0,
  };
  c.handleRtcp(serializeRtcp([{ type: "rr", ssrc: REMOTE, reports: [block] }]), 10);
  c.handleRtcp(
    serializeRtcp([
      {
        type: "xr",
        senderSsrc: REMOTE,
        blocks: [{ blockType: 5, subBlocks: [{ ssrc: LOCAL, lastRr: 0x1234, delaySinceLastRr: 0 }] }],
      },
    ]),
    10,
  );
  const s = c.stats();
  assert.equal(s.rttMeasured, false);
  assert.equal(s.rtt, 100);
  assert.equal(s.outbound[0]!.remote!.reportsReceived, 1, "the figures still count");
  assert.equal(s.outbound[0]!.remote!.roundTripTimeMs, undefined);
});

test("misuse throws with a stable code at configuration time", () => {
  const ok = { localSsrc: 1, cname: "x", random: new SeededRandom(1) };
  const code = { code: "ERR_FEEDBACK_CONFIG" };
  assert.throws(() => new RtpFeedbackChain({ ...ok, cname: "" }), code);
  assert.throws(() => new RtpFeedbackChain({ ...ok, cname: "x".repeat(256) }), code);
  assert.throws(() => new RtpFeedbackChain({ ...ok, localSsrc: -1 }), code);
  assert.throws(() => new RtpFeedbackChain({ ...ok, transportCcExtensionId: 0 }), code);
  const c = new RtpFeedbackChain(ok);
  assert.throws(() => c.addSendStream({ ssrc: 2, clockRate: 0 }), code);
  assert.throws(() => c.addSendStream({ ssrc: 2 ** 32, clockRate: 90000 }), code);
  assert.throws(
    () => c.addSendStream({ ssrc: 2, clockRate: 90000, rtx: { ssrc: 3, payloadTypes: new Map([[96, 128]]) } }),
    code,
  );
  assert.throws(() => c.addReceiveStream({ ssrc: 2, clockRate: Number.NaN }), code);
});

test("an RTX SSRC not signalled is learned from its apt when one stream matches", () => {
  const c = new RtpFeedbackChain({
    localSsrc: LOCAL,
    cname: "me",
    random: new SeededRandom(3),
    rtxPayloadTypes: { 97: 96 },
  });
  c.addReceiveStream({ ssrc: REMOTE, clockRate: 90000, kind: "video" });
  for (const s of [1, 2, 4]) c.handleRtp(rtp(s), s);
  const osn = Uint8Array.of(0, 3, 0xaa, 0xbb);
  const rtx = (pt: number, ssrc: number) =>
    serializeRtp({ payloadType: pt, sequenceNumber: 500, timestamp: 9000, ssrc, payload: osn });
  const p = c.handleRtp(rtx(97, 0xcccc), 10)!;
  assert.equal(p.ssrc, REMOTE);
  assert.equal(p.sequenceNumber, 3);
  assert.equal(p.payloadType, 96);
  assert.deepEqual([...p.payload], [0xaa, 0xbb]);
  assert.equal(c.stats().inbound[0]!.retransmittedPacketsReceived, 1);
  assert.equal(c.stats().inbound[0]!.nack.recovered, 1);
  // The learned RTX SSRC with a non-RTX payload type is dropped, not taken for a new stream.
  assert.equal(c.handleRtp(rtx(96, 0xcccc), 11), undefined);
  assert.equal(c.stats().dropped.rtx, 1);
  // Two streams with the same payload type: an unknown RTX SSRC is ambiguous and dropped.
  c.addReceiveStream({ ssrc: REMOTE + 1, clockRate: 90000 });
  c.handleRtp(rtp(1, REMOTE + 1), 12);
  c.addReceiveStream({ ssrc: REMOTE + 2, clockRate: 90000 });
  c.handleRtp(rtp(1, REMOTE + 2), 12);
  assert.equal(c.handleRtp(rtx(97, 0xdddd), 13), undefined);
  assert.equal(c.stats().dropped.rtx, 2);
});

test("without RTX a NACKed packet is resent byte for byte (no restamping under one SRTP index)", () => {
  const c = make({ transportCcExtensionId: 3 });
  const original = serializeRtp({
    payloadType: 96,
    sequenceNumber: 77,
    timestamp: 1,
    ssrc: LOCAL,
    extensions: [{ id: 3, data: new Uint8Array(2) }],
    payload: Uint8Array.of(1, 2, 3),
  });
  c.handleOutgoingRtp(original, 0);
  const sent = Uint8Array.from(original); // as stamped
  c.handleOutgoingRtp(
    serializeRtp({
      payloadType: 96,
      sequenceNumber: 78,
      timestamp: 1,
      ssrc: LOCAL,
      extensions: [{ id: 3, data: new Uint8Array(2) }],
      payload: Uint8Array.of(4),
    }),
    1,
  );
  c.handleRtcp(
    serializeRtcp([{ type: "nack", senderSsrc: REMOTE, mediaSsrc: LOCAL, items: [{ pid: 77, blp: 0 }] }]),
    10,
  );
  const resent = c.pollRtp()!;
  assert.deepEqual([...resent], [...sent]);
  assert.equal(c.pollRtp(), undefined);
});
