// Hostile input to the feedback chain: malformed RTCP and RTP (random bytes, truncations, bit
// flips of a valid compound packet) never throw and are counted; a flood of bogus NACKs resends
// each packet at most once per RTT and keeps every queue bounded; huge sequence gaps keep the
// NACK list bounded.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SeededRandom } from "../../../src/random.js";
import { RtpFeedbackChain } from "../../../src/rtp/feedback/index.js";
import { type RtcpPacket, serializeRtcp, serializeRtp } from "../../../src/rtp/index.js";

const LOCAL = 0xaaaa0001;
const REMOTE = 0xbbbb0001;

function chain(seed: number): RtpFeedbackChain {
  const c = new RtpFeedbackChain({
    localSsrc: LOCAL,
    cname: "fuzz",
    random: new SeededRandom(seed),
    transportCcExtensionId: 3,
    rtxPayloadTypes: { 97: 96 },
    payloadClockRates: { 96: 90000 },
    xrRtt: true,
  });
  c.addSendStream({ ssrc: LOCAL, clockRate: 90000, rtx: { ssrc: LOCAL + 1, payloadTypes: new Map([[96, 97]]) } });
  c.addReceiveStream({ ssrc: REMOTE, clockRate: 90000 });
  return c;
}

function drain(c: RtpFeedbackChain): { rtcp: number; rtp: number; events: number } {
  const n = { rtcp: 0, rtp: 0, events: 0 };
  while (c.pollRtcp()) n.rtcp++;
  while (c.pollRtp()) n.rtp++;
  while (c.pollEvent()) n.events++;
  return n;
}

const VALID: RtcpPacket[] = [
  {
    type: "sr",
    ssrc: REMOTE,
    ntpSeconds: 1,
    ntpFraction: 2,
    rtpTimestamp: 3,
    packetCount: 4,
    octetCount: 5,
    reports: [
      { ssrc: LOCAL, fractionLost: 1, packetsLost: 2, highestSequence: 3, jitter: 4, lastSr: 5, delaySinceLastSr: 6 },
    ],
  },
  { type: "sdes", chunks: [{ ssrc: REMOTE, items: [{ type: 1, value: "remote" }] }] },
  { type: "nack", senderSsrc: REMOTE, mediaSsrc: LOCAL, items: [{ pid: 10, blp: 0xffff }] },
  { type: "pli", senderSsrc: REMOTE, mediaSsrc: LOCAL },
  { type: "fir", senderSsrc: REMOTE, mediaSsrc: 0, entries: [{ ssrc: LOCAL, sequenceNumber: 1 }] },
  { type: "remb", senderSsrc: REMOTE, bitrate: 1_000_000, ssrcs: [LOCAL] },
  {
    type: "twcc",
    senderSsrc: REMOTE,
    mediaSsrc: LOCAL,
    baseSequence: 5,
    referenceTime: 1,
    feedbackCount: 0,
    packets: [
      { sequence: 5, status: 1, delta: 4 },
      { sequence: 6, status: 0, delta: 0 },
      { sequence: 7, status: 2, delta: -40 },
    ],
  },
  {
    type: "xr",
    senderSsrc: REMOTE,
    blocks: [
      { blockType: 4, ntpSeconds: 7, ntpFraction: 8 },
      { blockType: 5, subBlocks: [{ ssrc: LOCAL, lastRr: 9, delaySinceLastRr: 10 }] },
    ],
  },
  { type: "bye", ssrcs: [REMOTE], reason: "bye" },
];

test("malformed RTCP never throws: random bytes, truncations, bit flips", () => {
  for (const seed of [1, 2, 3]) {
    const rng = new SeededRandom(seed);
    const c = chain(seed);
    const valid = serializeRtcp(VALID);
    let now = 0;
    c.handleRtcp(valid, now);
    assert.equal(c.stats().rtcpPacketsReceived, 1, `seed ${seed}`);
    for (let i = 0; i < 3000; i++) {
      now += 1;
      let input: Uint8Array;
      const kind = i % 3;
      if (kind === 0) input = rng.bytes(rng.int(80));
      else if (kind === 1) input = valid.subarray(0, rng.int(valid.length));
      else {
        input = Uint8Array.from(valid);
        for (let k = 0; k <= rng.int(4); k++) input[rng.int(input.length)]! ^= 1 << rng.int(8);
      }
      // Keep the RTCP version bits right half of the time so parsing goes deep.
      if (input.length > 0 && rng.float() < 0.5) input[0] = (input[0]! & 0x3f) | 0x80;
      try {
        c.handleRtcp(input, now);
        c.handleRtp(input, now);
        c.handleTimeout(now);
      } catch (e) {
        assert.fail(`seed ${seed} input ${Buffer.from(input).toString("hex")}: ${e}`);
      }
      drain(c);
    }
    const s = c.stats();
    assert.ok(s.dropped.malformedRtcp > 500, `seed ${seed}: ${s.dropped.malformedRtcp}`);
    assert.ok(s.dropped.malformed + s.dropped.unknownSsrc > 1000, `seed ${seed}: ${JSON.stringify(s.dropped)}`);
  }
});

test("a flood of bogus NACKs resends each packet once per RTT from a bounded history", () => {
  const c = chain(4);
  let now = 0;
  const sent = new Map<number, number>();
  for (let s = 0; s < 1000; s++) {
    const p = serializeRtp({
      payloadType: 96,
      sequenceNumber: s,
      timestamp: s * 900,
      ssrc: LOCAL,
      payload: new Uint8Array(100),
    });
    c.handleOutgoingRtp(p, now);
    sent.set(s, now);
    now += 1;
  }
  drain(c);
  // Every sequence number there is, asked 50 times over within one RTT (100 ms, unmeasured).
  const items = [];
  for (let pid = 0; pid < 0x10000; pid += 17) items.push({ pid, blp: 0xffff });
  const flood = serializeRtcp([{ type: "nack", senderSsrc: REMOTE, mediaSsrc: LOCAL, items }]);
  let resent = 0;
  for (let i = 0; i < 50; i++) {
    c.handleRtcp(flood, now + i);
    resent += drain(c).rtp;
  }
  // Only the last 600 packets are kept; of those, at most the queue's capacity went out at once.
  assert.ok(resent <= 600, `resent ${resent}`);
  const out = c.stats();
  assert.ok(out.dropped.nackOverflow > 0, "sequence numbers beyond the per-message cap were dropped");
  assert.ok(out.outbound[0]!.nackRefused > 0);
  assert.ok(out.dropped.queues.rtp + resent <= 600, `queue drops ${out.dropped.queues.rtp}`);
  // An RTT later the same packets may go once more, but no more than that.
  const before = out.outbound[0]!.retransmittedPacketsSent;
  c.handleRtcp(
    serializeRtcp([{ type: "nack", senderSsrc: REMOTE, mediaSsrc: LOCAL, items: [{ pid: 999, blp: 0 }] }]),
    now + 150,
  );
  c.handleRtcp(
    serializeRtcp([{ type: "nack", senderSsrc: REMOTE, mediaSsrc: LOCAL, items: [{ pid: 999, blp: 0 }] }]),
    now + 160,
  );
  assert.equal(c.stats().outbound[0]!.retransmittedPacketsSent, before + 1);
  assert.equal(drain(c).rtp, 1);
  // After a second, the history has expired.
  c.handleRtcp(
    serializeRtcp([{ type: "nack", senderSsrc: REMOTE, mediaSsrc: LOCAL, items: [{ pid: 999, blp: 0 }] }]),
    now + 2000,
  );
  assert.equal(c.stats().outbound[0]!.retransmittedPacketsSent, before + 1);
  // NACKs for a stream we do not send are ignored.
  c.handleRtcp(
    serializeRtcp([{ type: "nack", senderSsrc: REMOTE, mediaSsrc: 12345, items: [{ pid: 1, blp: 0 }] }]),
    now + 2001,
  );
  assert.equal(drain(c).rtp, 0);
});

test("huge sequence gaps keep the NACK list and the output queues bounded", () => {
  for (const seed of [5, 6]) {
    const rng = new SeededRandom(seed);
    const c = chain(seed);
    let now = 0;
    let seq = 0;
    let maxNackItems = 0;
    for (let i = 0; i < 20000; i++) {
      seq = (seq + 1 + (rng.float() < 0.05 ? rng.int(0x10000) : rng.int(3))) & 0xffff;
      const p = serializeRtp({
        payloadType: 96,
        sequenceNumber: seq,
        timestamp: i * 900,
        ssrc: REMOTE,
        payload: new Uint8Array(10),
      });
      c.handleRtp(p, now);
      if ((c.nextTimeout() ?? Infinity) <= now) c.handleTimeout(now);
      for (let d = c.pollRtcp(); d; d = c.pollRtcp()) maxNackItems = Math.max(maxNackItems, d.length);
      now += 0.5;
      const inbound = c.stats().inbound[0]!;
      assert.ok(inbound.nack.requested >= 0);
    }
    const s = c.stats().inbound.find((x) => x.ssrc === REMOTE)!;
    assert.ok(s.nack.overflows > 0 || s.nack.givenUp > 0, `seed ${seed}`);
    assert.ok(maxNackItems <= 1200, `seed ${seed}: a datagram of ${maxNackItems} bytes`);
    assert.ok(s.pliCount >= 1, `seed ${seed}`);
    // Unknown SSRCs with a known payload type create streams, up to the cap.
    for (let k = 0; k < 100; k++) {
      c.handleRtp(
        serializeRtp({ payloadType: 96, sequenceNumber: 1, timestamp: 0, ssrc: 1000 + k, payload: new Uint8Array(1) }),
        now,
      );
    }
    const st = c.stats();
    assert.equal(st.inbound.length, 32, `seed ${seed}`);
    assert.equal(st.dropped.tooManyStreams, 100 - 31, `seed ${seed}`);
  }
});
