// The feedback chain on the shared network simulator (test/sim/network.ts): each side is a tiny
// PacketCore adapter around an RtpFeedbackChain (plus a paced media source on the sender), so the
// simulator's jitter (reordering), bursty Gilbert-Elliott loss and bottleneck queue act on it.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { PacketCore } from "../../../src/core.js";
import { SeededRandom } from "../../../src/random.js";
import { type FeedbackEvent, RtpFeedbackChain, type RtpFeedbackOptions } from "../../../src/rtp/feedback/index.js";
import { isRtcpPacket, serializeRtp } from "../../../src/rtp/index.js";
import { connectPair, type LinkConfig, Network } from "../../sim/network.js";

const SENDER = 0x5e4d0001;
const SENDER_RTX = 0x5e4d0002;
const RECEIVER = 0x7ece0001;

/** A PacketCore around a chain: demuxes RTP/RTCP in, sends media, RTCP and retransmissions out. */
class MediaEndpoint implements PacketCore<FeedbackEvent> {
  readonly chain: RtpFeedbackChain;
  private readonly outbox: Uint8Array[];
  private nextMediaAt: number;
  private count: number;
  readonly deliveredAt: Map<number, number>;
  readonly sentAt: Map<number, number>;
  constructor(
    opts: RtpFeedbackOptions,
    private readonly media?: { interval: number; until: number; size: number },
  ) {
    this.chain = new RtpFeedbackChain(opts);
    this.outbox = [];
    this.nextMediaAt = media ? 0 : Number.POSITIVE_INFINITY;
    this.count = 0;
    this.deliveredAt = new Map();
    this.sentAt = new Map();
  }
  handleDatagram(data: Uint8Array, now: number): void {
    if (isRtcpPacket(data)) {
      this.chain.handleRtcp(data, now);
      return;
    }
    const p = this.chain.handleRtp(data, now);
    if (p && !this.deliveredAt.has(p.sequenceNumber)) this.deliveredAt.set(p.sequenceNumber, now);
  }
  handleTimeout(now: number): void {
    if ((this.chain.nextTimeout() ?? Infinity) <= now) this.chain.handleTimeout(now);
    while (this.media && this.nextMediaAt <= now) {
      const seq = this.count & 0xffff;
      const packet = serializeRtp({
        payloadType: 96,
        sequenceNumber: seq,
        timestamp: (now * 90) >>> 0,
        ssrc: SENDER,
        extensions: [{ id: 5, data: new Uint8Array(2) }],
        payload: new Uint8Array(this.media.size),
      });
      this.count++;
      this.sentAt.set(seq, now);
      this.chain.handleOutgoingRtp(packet, now);
      this.outbox.push(packet);
      this.nextMediaAt += this.media.interval;
      if (this.nextMediaAt >= this.media.until) this.nextMediaAt = Number.POSITIVE_INFINITY;
    }
  }
  pollTransmit(): Uint8Array | undefined {
    return this.outbox.shift() ?? this.chain.pollRtp() ?? this.chain.pollRtcp();
  }
  pollEvent(): FeedbackEvent | undefined {
    return this.chain.pollEvent();
  }
  nextTimeout(): number | undefined {
    return Math.min(this.chain.nextTimeout() ?? Infinity, this.nextMediaAt);
  }
}

function endpoints(seed: number, media: { interval: number; until: number; size: number }, nack = true) {
  const base = { transportCcExtensionId: 5, rtxPayloadTypes: { 97: 96 } };
  const a = new MediaEndpoint({ ...base, localSsrc: SENDER, cname: "a", random: new SeededRandom(seed) }, media);
  a.chain.addSendStream({
    ssrc: SENDER,
    clockRate: 90000,
    rtx: { ssrc: SENDER_RTX, payloadTypes: new Map([[96, 97]]) },
  });
  const b = new MediaEndpoint({ ...base, localSsrc: RECEIVER, cname: "b", random: new SeededRandom(seed + 1) });
  b.chain.addReceiveStream({ ssrc: SENDER, clockRate: 90000, kind: "video", rtxSsrc: SENDER_RTX, nack });
  return { a, b };
}

test("simulator: jitter and bursty loss, every packet recovered through NACK + RTX", () => {
  for (const seed of [11, 12, 13]) {
    const net = new Network({ seed });
    const link: LinkConfig = { latency: 30, jitter: 6, loss: 0.02, burst: { pGoodToBad: 0.02, pBadToGood: 0.4 } };
    const { a, b } = endpoints(seed, { interval: 5, until: 4000, size: 800 });
    const { kick } = connectPair(net, a, b, { link });
    kick();
    net.run({ untilTime: 7000, maxSteps: 500_000 });
    assert.ok(net.stats.lost > 30, `seed ${seed}: lost ${net.stats.lost}`);
    // Packets before the first one to arrive are unknown to the receiver: start from it.
    const first = Math.min(...b.deliveredAt.keys());
    let worst = 0;
    for (const [seq, at] of a.sentAt) {
      if (seq < first) continue;
      const got = b.deliveredAt.get(seq);
      assert.ok(got !== undefined, `seed ${seed}: ${seq} never arrived`);
      worst = Math.max(worst, got - at);
    }
    assert.ok(worst < 800, `seed ${seed}: slowest ${worst} ms`);
    const s = b.chain.stats().inbound[0]!;
    assert.ok(s.nack.recovered > 0 && s.retransmittedPacketsReceived > 0, `seed ${seed}`);
    // RTT measured by the sender from the receiver's reports: 60 ms plus up to 2 x 6 ms jitter.
    const rtt = a.chain.stats().rtt;
    assert.ok(rtt >= 59 && rtt <= 73, `seed ${seed}: rtt ${rtt}`);
  }
});

test("simulator: the TWCC delivered-rate estimate finds a bottleneck", () => {
  for (const seed of [21, 22]) {
    const net = new Network({ seed });
    // 1000-byte payloads every 5 ms (about 1.6 Mbit/s on the wire) into a 50 kB/s (400 kbit/s) link.
    const forward: LinkConfig = { latency: 20, rate: 50_000, queue: 20_000 };
    const { a, b } = endpoints(seed, { interval: 5, until: 3000, size: 1000 }, false);
    const { kick } = connectPair(net, a, b, { link: forward });
    kick();
    net.run({ untilTime: 3000, maxSteps: 500_000 });
    const est = a.chain.stats().delivery.estimate;
    const rate = est.deliveredBitrate!;
    assert.ok(rate > 0.85 * 400_000 && rate < 1.1 * 400_000, `seed ${seed}: delivered ${rate}`);
    assert.ok(a.chain.stats().delivery.packetsLost > 100, `seed ${seed}`);
  }
});
