// Reception statistics (RFC 3550 A.1, A.3, A.8) against hand-computed figures, sequence
// extension across wrap-around, NTP helpers (RFC 3550 4) and the RTCP interval (RFC 3550 6.2).
import assert from "node:assert/strict";
import { test } from "node:test";
import { SeededRandom } from "../../../src/random.js";
import {
  compactFromMs,
  compactNtpFromMs,
  deterministicInterval,
  extendSequence,
  msFromNtp,
  ntpFromMs,
  ReceptionStatistics,
  rtcpInterval,
  SequenceUnwrapper,
} from "../../../src/rtp/feedback/index.js";
import type { SenderReport } from "../../../src/rtp/index.js";

test("jitter follows A.8 for a known arrival pattern", () => {
  // 8 kHz audio, 20 ms packets (160 ticks); arrivals at 0, 20, 45, 60, 80 ms.
  const r = new ReceptionStatistics(1, 8000);
  const arrivals = [0, 20, 45, 60, 80];
  for (const [i, t] of arrivals.entries()) r.update(100 + i, 1000 + i * 160, t, 160, 12);
  // D = 0, +40, -40, 0 ticks: J = 0, 2.5, 2.5 + 37.5/16, then * 15/16.
  const j = (2.5 + 37.5 / 16) * (15 / 16);
  assert.equal(r.jitter, Math.floor(j));
  assert.ok(Math.abs(r.counters().jitter - j / 8000) < 1e-12);
  assert.equal(r.reportBlock(100).jitter, 4);
});

test("jitter handles RTP timestamp wrap-around", () => {
  const r = new ReceptionStatistics(1, 90000);
  r.update(1, 0xffffff00, 0, 100, 12);
  r.update(2, 0xffffff00 + 900 - 0x1_0000_0000, 10, 100, 12); // exactly on time across the wrap
  assert.equal(r.jitter, 0);
});

test("cumulative and fraction lost per A.3, duplicates make the interval loss negative", () => {
  const r = new ReceptionStatistics(7, 90000);
  for (let s = 100; s < 120; s++) if (s !== 105 && s !== 110 && s !== 111) r.update(s, s * 3000, s, 1000, 12);
  const b1 = r.reportBlock(1000);
  assert.equal(b1.packetsLost, 3);
  assert.equal(b1.fractionLost, Math.floor((3 * 256) / 20)); // 38
  assert.equal(b1.highestSequence, 119);
  assert.equal(b1.ssrc, 7);
  // Next interval: 120..129 all arrive, plus a duplicate of 125.
  for (let s = 120; s < 130; s++) r.update(s, s * 3000, s, 1000, 12);
  r.update(125, 125 * 3000, 131, 1000, 12);
  const b2 = r.reportBlock(2000);
  assert.equal(b2.fractionLost, 0);
  assert.equal(b2.packetsLost, 2);
  // An empty interval reports 0.
  assert.equal(r.reportBlock(3000).fractionLost, 0);
  // The late arrival of 105 brings cumulative loss down.
  r.update(105, 105 * 3000, 3001, 1000, 12);
  assert.equal(r.reportBlock(4000).packetsLost, 1);
});

test("extended highest sequence counts cycles across the wrap", () => {
  const r = new ReceptionStatistics(1, 90000);
  for (let i = 0; i < 12; i++) {
    const s = (65530 + i) & 0xffff;
    if (s !== 2) r.update(s, i * 3000, i, 10, 12);
  }
  const b = r.reportBlock(100);
  assert.equal(b.highestSequence, 65536 + 5);
  assert.equal(b.packetsLost, 1);
  assert.equal(r.counters().packetsReceived, 11);
});

test("a huge jump is ignored once and taken as a restart when the next packet follows it", () => {
  const r = new ReceptionStatistics(1, 90000);
  for (let s = 0; s < 10; s++) r.update(s, s, s, 10, 12);
  assert.equal(r.update(40000, 0, 20, 10, 12), "bad");
  assert.equal(r.extendedHighestSequence, 9);
  assert.equal(r.update(40001, 0, 21, 10, 12), "restart");
  assert.equal(r.update(40002, 0, 22, 10, 12), "in-order");
  // Counting starts again at 40001: two expected, two received.
  const b = r.reportBlock(30);
  assert.equal(b.packetsLost, 0);
  assert.equal(b.highestSequence, 40002);
});

test("LSR and DLSR come from the last sender report", () => {
  const r = new ReceptionStatistics(1, 90000);
  r.update(1, 0, 0, 10, 12);
  assert.equal(r.reportBlock(10).lastSr, 0);
  const sr: SenderReport = {
    type: "sr",
    ssrc: 1,
    ntpSeconds: 0x12345678,
    ntpFraction: 0x9abc0000,
    rtpTimestamp: 0,
    packetCount: 1,
    octetCount: 10,
    reports: [],
  };
  r.handleSenderReport(sr, 1000);
  const b = r.reportBlock(1500);
  assert.equal(b.lastSr, 0x56789abc);
  assert.equal(b.delaySinceLastSr, 32768); // 0.5 s in 1/65536 s
});

test("retransmissions are counted apart and leave loss figures alone", () => {
  const r = new ReceptionStatistics(1, 90000);
  r.update(1, 0, 0, 10, 12);
  r.update(3, 0, 1, 10, 12);
  r.update(2, 0, 50, 10, 12, true);
  const c = r.counters();
  assert.equal(c.retransmittedPacketsReceived, 1);
  assert.equal(c.packetsReceived, 2);
  assert.equal(c.packetsLost, 1);
  assert.equal(c.payloadBytesReceived, 30);
});

test("sequence extension", () => {
  assert.equal(extendSequence(2, 65535), 65538);
  assert.equal(extendSequence(65535, 65538), 65535);
  assert.equal(extendSequence(100, 0x30000 + 50), 0x30000 + 100);
  const u = new SequenceUnwrapper();
  assert.equal(u.peek(5), undefined);
  const first = u.unwrap(65534);
  assert.equal(u.unwrap(1) - first, 3);
  assert.equal(u.unwrap(65533) - first, -1);
  assert.equal(u.peek(2)! - first, 4);
});

test("NTP helpers", () => {
  assert.deepEqual(ntpFromMs(1500), { seconds: 1, fraction: 0x80000000 });
  assert.equal(compactNtpFromMs(1500), 0x00018000);
  assert.equal(msFromNtp(1, 0x40000000), 1250);
  assert.equal(compactFromMs(1000), 65536);
  assert.equal(compactFromMs(-5), 0);
  const t = 3_900_000_123_456.5;
  const n = ntpFromMs(t);
  assert.ok(Math.abs(msFromNtp(n.seconds, n.fraction) - (t % (2 ** 32 * 1000))) < 0.001);
});

test("RTCP interval: minimum, halved first, bandwidth share, randomised in [0.5, 1.5)", () => {
  const base = { minIntervalMs: 1000, members: 2, senders: 1, weSent: true, avgRtcpSize: 100, initial: false };
  assert.equal(deterministicInterval(base), 1000);
  assert.equal(deterministicInterval({ ...base, initial: true }), 500);
  // 10 members, 1 sender (us): senders get 1/4 of 50 B/s: 100 B * 1 / 12.5 B/s = 8 s.
  assert.equal(deterministicInterval({ ...base, members: 10, rtcpBandwidth: 50 }), 8000);
  // As a receiver among them: 100 B * 9 / 37.5 B/s = 24 s.
  assert.equal(deterministicInterval({ ...base, members: 10, rtcpBandwidth: 50, weSent: false }), 24000);
  const rng = new SeededRandom(9);
  let sum = 0;
  for (let i = 0; i < 2000; i++) {
    const t = rtcpInterval(base, rng);
    assert.ok(t >= 500 && t < 1500, `${t}`);
    sum += t;
  }
  assert.ok(Math.abs(sum / 2000 - 1000) < 30);
});
