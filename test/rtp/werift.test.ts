// Cross-check of RTCP encodings with another implementation: werift's RTCP parser (the werift
// devDependency) reads what Petrel writes: SR with a report block, SDES CNAME, generic NACK,
// PLI, FIR, REMB and transport-wide CC feedback with random gaps and large deltas. Each packet
// is given alone: werift's parser reads some sub-packets past their length in compound packets.
// Skipped without werift.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import { SeededRandom } from "../../src/random.js";
import {
  buildTwccFeedback,
  nackItemsFromLost,
  type RtcpPacket,
  serializeRtcp,
  type TwccArrival,
} from "../../src/rtp/index.js";

// biome-ignore lint/suspicious/noExplicitAny: werift's classes are used untyped here.
type Any = any;
let werift: Any;
try {
  werift = createRequire(import.meta.url)("werift");
} catch {
  werift = undefined;
}
const skip = !werift && "werift not installed";

function theirs(p: RtcpPacket): Any {
  const packets = werift.RtcpPacketConverter.deSerialize(Buffer.from(serializeRtcp([p])));
  assert.equal(packets.length, 1);
  return packets[0];
}

test("werift reads Petrel's SR, SDES, NACK, PLI, FIR and REMB", { skip }, () => {
  const sr = theirs({
    type: "sr",
    ssrc: 0x2bd2a3f1,
    ntpSeconds: 0xe8a1b2c3,
    ntpFraction: 0x40000000,
    rtpTimestamp: 12345678,
    packetCount: 100,
    octetCount: 76800,
    reports: [
      {
        ssrc: 9,
        fractionLost: 25,
        packetsLost: 300,
        highestSequence: 0x1ffff,
        jitter: 3,
        lastSr: 4,
        delaySinceLastSr: 5,
      },
    ],
  });
  assert.equal(sr.ssrc, 0x2bd2a3f1);
  assert.equal(sr.senderInfo.rtpTimestamp, 12345678);
  assert.equal(sr.senderInfo.packetCount, 100);
  assert.equal(sr.senderInfo.octetCount, 76800);
  assert.deepEqual(
    sr.reports.map((r: Any) => [r.ssrc, r.fractionLost, r.packetsLost, r.highestSequence, r.jitter, r.lsr, r.dlsr]),
    [[9, 25, 300, 0x1ffff, 3, 4, 5]],
  );
  const sdes = theirs({ type: "sdes", chunks: [{ ssrc: 7, items: [{ type: 1, value: "petrel-cname" }] }] });
  assert.equal(sdes.chunks[0].source, 7);
  assert.equal(sdes.chunks[0].items[0].type, 1);
  assert.equal(sdes.chunks[0].items[0].text, "petrel-cname");
  const lost = [65530, 65531, 65535, 0, 3, 10, 200, 201, 216, 217];
  const nack = theirs({ type: "nack", senderSsrc: 1, mediaSsrc: 2, items: nackItemsFromLost(lost) });
  assert.equal(nack.feedback.mediaSourceSsrc, 2);
  // werift does not wrap PID + n at 65536; compare modulo 2^16.
  assert.deepEqual(
    nack.feedback.lost.map((s: number) => s & 0xffff),
    lost,
  );
  const pli = theirs({ type: "pli", senderSsrc: 1, mediaSsrc: 2 });
  assert.equal(pli.feedback.constructor.name, "PictureLossIndication");
  assert.equal(pli.feedback.mediaSsrc, 2);
  const fir = theirs({ type: "fir", senderSsrc: 1, mediaSsrc: 0, entries: [{ ssrc: 0x11223344, sequenceNumber: 7 }] });
  assert.deepEqual(
    fir.feedback.fir.map((e: Any) => [e.ssrc, e.sequenceNumber]),
    [[0x11223344, 7]],
  );
  const remb = theirs({ type: "remb", senderSsrc: 1, bitrate: 2_500_000, ssrcs: [3, 4] });
  assert.equal(Number(remb.feedback.bitrate), 2_500_000);
  assert.deepEqual(remb.feedback.ssrcFeedbacks, [3, 4]);
});

test("werift reads Petrel's transport-wide CC feedback: chunks and deltas", { skip }, () => {
  for (const seed of [1, 2, 3, 4]) {
    const r = new SeededRandom(seed);
    const arrivals: TwccArrival[] = [];
    let t = 3_000_000;
    const base = r.int(65536);
    for (let i = 0; i < 50 + r.int(300); i++) {
      t += r.float() < 0.8 ? r.int(10_000) : r.float() < 0.5 ? -r.int(20_000) : r.int(300_000);
      arrivals.push({ sequence: (base + i) & 0xffff, arrivalUs: i > 0 && r.float() < 0.2 ? undefined : t });
    }
    const [ours] = buildTwccFeedback({ senderSsrc: 1, mediaSsrc: 2, feedbackCount: seed, packets: arrivals });
    const fb = theirs(ours!).feedback;
    const msg = `seed ${seed}`;
    assert.equal(fb.baseSequenceNumber, ours!.baseSequence, msg);
    assert.equal(fb.packetStatusCount, ours!.packets.length, msg);
    assert.equal(fb.referenceTime, ours!.referenceTime, msg);
    assert.equal(fb.fbPktCount, seed, msg);
    const symbols: number[] = [];
    for (const c of fb.packetChunks) {
      if (c.constructor.name === "RunLengthChunk") for (let k = 0; k < c.runLength; k++) symbols.push(c.packetStatus);
      else symbols.push(...c.symbolList);
    }
    assert.deepEqual(
      symbols.slice(0, ours!.packets.length),
      ours!.packets.map((p) => p.status),
      msg,
    );
    assert.deepEqual(
      fb.recvDeltas.map((d: Any) => d.delta),
      ours!.packets.filter((p) => p.status !== 0).map((p) => p.delta * 250),
      msg,
    );
  }
});
