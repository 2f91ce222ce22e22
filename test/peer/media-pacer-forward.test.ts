// The pacer on the forwarding path (MediaSession.sendRtp), on the simulator in virtual time:
// forwarding 2 Mb/s of 1200-byte RTP through a 500 kb/s maxBitrate keeps every packet's queueing
// delay within the queue bound (500 ms of the rate; the excess is dropped at the tail and counted),
// and each packet's abs-send-time says when the pacer released it, not when it was queued.
// MediaPacer unit check: a lifted limit does not let new packets overtake queued ones.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MediaEvent } from "../../src/peer/media.js";
import { MediaPacer } from "../../src/peer/media-pacer.js";
import { absSendTimeToMs, decodeAbsSendTime, getRtpExtension } from "../../src/rtp/index.js";
import { EXT_URI } from "../../src/sdp/media.js";
import { makeMediaPair } from "./media-pair.js";

const LATENCY = 10;

describe("pacer: forwarded RTP", () => {
  for (const seed of [1, 2]) {
    it(`2 Mb/s forwarded through 500 kb/s: bounded queueing delay, abs-send-time at release (seed ${seed})`, () => {
      const p = makeMediaPair(seed);
      const { a, b, net, ids } = p;
      b.transceiver(ids.bVideo).rawRtp = true;
      const t = a.transceiver(ids.aVideo);
      a.pacer.setMaxBitrate(t, 500_000, 0);
      const absId = t.negotiated!.extensions.get(EXT_URI.absSendTime);
      assert.ok(absId !== undefined, `seed ${seed}: abs-send-time negotiated`);
      const sentAt = new Map<number, number>();
      let maxDelay = 0;
      let received = 0;
      let absChecked = 0;
      // Checked after the run: an assertion thrown inside the simulator's callback would stall it.
      const problems: string[] = [];
      const push = p.eventsB.push.bind(p.eventsB);
      p.eventsB.push = (...evs: MediaEvent[]) => {
        for (const e of evs) {
          if (e.type !== "rtp" || e.transceiver !== ids.bVideo) continue;
          const at = sentAt.get(e.packet.sequenceNumber);
          if (at === undefined) {
            problems.push(`unknown packet ${e.packet.sequenceNumber}`);
            continue;
          }
          const delay = net.now - LATENCY - at;
          maxDelay = Math.max(maxDelay, delay);
          received++;
          const ext = getRtpExtension(e.packet, absId);
          const v = ext ? decodeAbsSendTime(ext) : undefined;
          if (v === undefined) {
            problems.push(`no abs-send-time on ${e.packet.sequenceNumber}`);
            continue;
          }
          // Released at arrival - latency (the link has no jitter); 6.18 fixed point, 64 s wrap.
          const released = (net.now - LATENCY) % 64_000;
          const diff = Math.abs(absSendTimeToMs(v) - released);
          if (Math.min(diff, 64_000 - diff) <= 1) absChecked++;
          else problems.push(`abs-send-time ${absSendTimeToMs(v)} vs released ${released}`);
        }
        return push(...evs);
      };
      // 2 Mb/s of 1200-byte packets (1188-byte payload + 12-byte header, plus extensions): one every 4.8 ms.
      const seconds = 3;
      const n = Math.floor((seconds * 2_000_000) / 8 / 1200);
      for (let i = 0; i < n; i++) {
        net.run({ untilTime: (i * seconds * 1000) / n, maxSteps: 200_000 });
        const payload = new Uint8Array(1188);
        payload[0] = 0x10;
        const seq = (1000 + i) & 0xffff;
        sentAt.set(seq, net.now);
        assert.ok(a.sendRtp(ids.aVideo, { sequenceNumber: seq, timestamp: i * 432, payload, marker: true }, net.now));
        p.kick();
      }
      net.run({ untilTime: seconds * 1000 + 2000, maxSteps: 400_000 });
      assert.deepEqual(problems.slice(0, 5), [], `seed ${seed}`);
      const stats = a.pacer.stats(ids.aVideo)!;
      // 500 ms of 500 kb/s is 31.25 KB: a packet waits at most ~500 ms (plus one packet's time).
      assert.ok(maxDelay <= 530, `seed ${seed}: max queueing delay ${maxDelay} ms`);
      assert.ok(maxDelay >= 300, `seed ${seed}: the queue did fill (max delay ${maxDelay} ms)`);
      assert.ok(stats.packetsDropped > n / 2, `seed ${seed}: ${stats.packetsDropped} of ${n} dropped at the tail`);
      assert.ok(received >= n / 5 && received + stats.packetsDropped <= n, `seed ${seed}: ${received} received`);
      assert.equal(absChecked, received);
      assert.ok(
        p.eventsA.some((e) => e.type === "keyframe-request" && e.transceiver === ids.aVideo),
        `seed ${seed}: the forwarding source is asked for a keyframe`,
      );
    });
  }
});

describe("MediaPacer: lifting the limit", () => {
  it("keeps queued packets ahead of new ones until the queue is empty", () => {
    const pacer = new MediaPacer();
    const t = { id: 1, kind: "video" as const, ssrc: 100, rtxSsrc: undefined };
    pacer.setMaxBitrate(t, 80_000, 0); // 10 bytes/ms
    const pkt = (tag: number) => Uint8Array.of(tag, ...new Uint8Array(999));
    for (let i = 0; i < 3; i++) assert.equal(pacer.enqueue(100, pkt(i), false, 0), true);
    pacer.setMaxBitrate(t, undefined, 1);
    assert.equal(pacer.enqueue(100, pkt(3), false, 1), true, "queued behind the others");
    const order: number[] = [];
    for (let q = pacer.pollPacket(1); q; q = pacer.pollPacket(1)) order.push(q.bytes[0]!);
    assert.deepEqual(order, [0, 1, 2, 3]);
    assert.equal(pacer.enqueue(100, pkt(4), false, 2), false, "empty queue, no limit: straight out");
  });

  it("drops unadmitted packets at the tail beyond 500 ms of the rate", () => {
    const pacer = new MediaPacer();
    const t = { id: 1, kind: "audio" as const, ssrc: 100, rtxSsrc: undefined };
    pacer.setMaxBitrate(t, 800_000, 0); // queue cap 50 KB
    for (let i = 0; i < 60; i++) assert.equal(pacer.enqueue(100, new Uint8Array(1000), false, 0), true);
    assert.equal(pacer.stats(1)!.packetsQueued, 50);
    assert.equal(pacer.stats(1)!.packetsDropped, 10);
    assert.equal(pacer.pollEvent()?.type, "target-bitrate");
    assert.equal(pacer.pollEvent(), undefined, "no keyframe request for audio");
    // Packets of an admitted frame are bounded by the frame check instead.
    assert.equal(pacer.enqueue(100, new Uint8Array(1000), false, 0, true), true);
    assert.equal(pacer.stats(1)!.packetsQueued, 51);
  });
});
