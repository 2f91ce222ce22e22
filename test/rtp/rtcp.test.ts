// RTCP: hand-built packets following the RFC figures (a Chrome-like SR + SDES CNAME compound,
// RR, BYE, APP, NACK, PLI, FIR, REMB, XR RRT/DLRR, transport-wide CC feedback with each chunk
// type), exact serialisation, padding, NACK helpers, and TWCC round trips with gaps and large
// deltas over several seeds.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fromHex, toHex } from "../../src/bytes/index.js";
import { SeededRandom } from "../../src/random.js";
import {
  buildTwccFeedback,
  type GenericNack,
  nackItemsFromLost,
  nackLostSequences,
  ntpCompact,
  parseRtcp,
  type RtcpPacket,
  rttFromReport,
  serializeRtcp,
  type TransportFeedback,
  TWCC_TICK_US,
  type TwccArrival,
  twccArrivals,
} from "../../src/rtp/index.js";

const h = (s: string): Uint8Array => fromHex(s)!;

const SR =
  "81c8000c 2bd2a3f1 e8a1b2c3 40000000 00bc614e 00000064 00012c00" +
  " 11223344 19fffffe 0001ffff 00000020 b2c34000 00010000";
const SDES = "81ca0006 2bd2a3f1 0110 6162636465666768696a6b6c6d6e6f70 0000";

function one(hex: string): RtcpPacket {
  const packets = parseRtcp(h(hex));
  assert.ok(packets, `parse ${hex}`);
  assert.equal(packets.length, 1);
  assert.equal(toHex(serializeRtcp(packets)), toHex(h(hex)), "exact re-serialisation");
  return packets[0]!;
}

test("compound SR + SDES CNAME", () => {
  const bytes = h(SR + SDES);
  const packets = parseRtcp(bytes)!;
  assert.equal(packets.length, 2);
  const sr = packets[0]!;
  assert.equal(sr.type, "sr");
  if (sr.type !== "sr") return;
  assert.equal(sr.ssrc, 0x2bd2a3f1);
  assert.equal(sr.ntpSeconds, 0xe8a1b2c3);
  assert.equal(sr.ntpFraction, 0x40000000);
  assert.equal(sr.rtpTimestamp, 12345678);
  assert.equal(sr.packetCount, 100);
  assert.equal(sr.octetCount, 0x12c00);
  assert.deepEqual(sr.reports, [
    {
      ssrc: 0x11223344,
      fractionLost: 25,
      packetsLost: -2,
      highestSequence: 0x1ffff,
      jitter: 32,
      lastSr: 0xb2c34000,
      delaySinceLastSr: 0x10000,
    },
  ]);
  assert.deepEqual(packets[1], {
    type: "sdes",
    chunks: [{ ssrc: 0x2bd2a3f1, items: [{ type: 1, value: "abcdefghijklmnop" }] }],
  });
  assert.equal(toHex(serializeRtcp(packets)), toHex(bytes));
});

test("RR, BYE with reason, APP, padding", () => {
  const rr = one("81c90007 2bd2a3f1 11223344 00000005 00010010 00000000 00000000 00000000");
  assert.deepEqual(rr, {
    type: "rr",
    ssrc: 0x2bd2a3f1,
    reports: [
      {
        ssrc: 0x11223344,
        fractionLost: 0,
        packetsLost: 5,
        highestSequence: 0x10010,
        jitter: 0,
        lastSr: 0,
        delaySinceLastSr: 0,
      },
    ],
  });
  assert.deepEqual(one("80c90001 2bd2a3f1"), { type: "rr", ssrc: 0x2bd2a3f1, reports: [] });
  assert.deepEqual(one("81cb0002 2bd2a3f1 03627965"), { type: "bye", ssrcs: [0x2bd2a3f1], reason: "bye" });
  assert.deepEqual(one("82cb0002 00000001 00000002"), { type: "bye", ssrcs: [1, 2] });
  const app = one("83cc0003 2bd2a3f1 74657374 01020304");
  assert.equal(app.type, "app");
  if (app.type === "app") {
    assert.equal(app.subtype, 3);
    assert.equal(app.name, "test");
    assert.equal(toHex(app.data), "01020304");
  }
  // P bit: the last byte counts the padding, which is not part of the body.
  assert.deepEqual(parseRtcp(h("a1cb0002 2bd2a3f1 00000004")), [{ type: "bye", ssrcs: [0x2bd2a3f1] }]);
  // SDES with two chunks, one with no items.
  const sdes = one("82ca0005 00000001 01036162 63000000 00000002 00000000");
  assert.deepEqual(sdes, {
    type: "sdes",
    chunks: [
      { ssrc: 1, items: [{ type: 1, value: "abc" }] },
      { ssrc: 2, items: [] },
    ],
  });
});

test("feedback: generic NACK, PLI, FIR, REMB", () => {
  const nack = one("81cd0003 2bd2a3f1 11223344 00640005") as GenericNack;
  assert.deepEqual(nack, {
    type: "nack",
    senderSsrc: 0x2bd2a3f1,
    mediaSsrc: 0x11223344,
    items: [{ pid: 100, blp: 5 }],
  });
  assert.deepEqual(nackLostSequences(nack.items), [100, 101, 103]);
  assert.deepEqual(one("81ce0002 2bd2a3f1 11223344"), { type: "pli", senderSsrc: 0x2bd2a3f1, mediaSsrc: 0x11223344 });
  assert.deepEqual(one("84ce0004 2bd2a3f1 00000000 11223344 07000000"), {
    type: "fir",
    senderSsrc: 0x2bd2a3f1,
    mediaSsrc: 0,
    entries: [{ ssrc: 0x11223344, sequenceNumber: 7 }],
  });
  assert.deepEqual(one("8fce0005 2bd2a3f1 00000000 52454d42 010bd090 11223344"), {
    type: "remb",
    senderSsrc: 0x2bd2a3f1,
    bitrate: 1_000_000,
    ssrcs: [0x11223344],
  });
  // A large REMB bitrate loses only low bits to the 18-bit mantissa.
  const big = parseRtcp(serializeRtcp([{ type: "remb", senderSsrc: 1, bitrate: 2.5e9, ssrcs: [1, 2] }]))![0]!;
  assert.equal(big.type, "remb");
  if (big.type === "remb") assert.ok(Math.abs(big.bitrate - 2.5e9) / 2.5e9 < 1e-5);
  // Other FMTs are kept raw.
  assert.deepEqual(one("83cd0003 00000001 00000002 0a0b0c0d"), {
    type: "feedback",
    packetType: 205,
    fmt: 3,
    senderSsrc: 1,
    mediaSsrc: 2,
    fci: h("0a0b0c0d"),
  });
});

test("NACK items from lost sequence numbers, across the wrap", () => {
  const lost = [65530, 65531, 65535, 0, 3, 10, 200, 201, 216, 217];
  const items = nackItemsFromLost(lost);
  assert.deepEqual(items, [
    { pid: 65530, blp: 0b1000000100110001 },
    { pid: 200, blp: 0x8001 },
    { pid: 217, blp: 0 },
  ]);
  assert.deepEqual(nackLostSequences(items), lost);
  const r = new SeededRandom(3);
  for (let k = 0; k < 50; k++) {
    const seqs: number[] = [];
    let s = r.int(65536);
    for (let i = 0; i < 40; i++) {
      s = (s + 1 + r.int(20)) & 0xffff;
      seqs.push(s);
    }
    assert.deepEqual(nackLostSequences(nackItemsFromLost(seqs)), seqs, `case ${k}`);
  }
});

test("XR: receiver reference time and DLRR", () => {
  const xr = one("80cf0008 2bd2a3f1 04000002 e8a1b2c3 40000000 05000003 11223344 b2c34000 00008000");
  assert.deepEqual(xr, {
    type: "xr",
    senderSsrc: 0x2bd2a3f1,
    blocks: [
      { blockType: 4, ntpSeconds: 0xe8a1b2c3, ntpFraction: 0x40000000 },
      { blockType: 5, subBlocks: [{ ssrc: 0x11223344, lastRr: 0xb2c34000, delaySinceLastRr: 0x8000 }] },
    ],
  });
  const other = one("80cf0003 00000001 07ab0001 01020304");
  assert.deepEqual(other, {
    type: "xr",
    senderSsrc: 1,
    blocks: [{ blockType: 7, typeSpecific: 0xab, body: h("01020304") }],
  });
});

test("TWCC: 2-bit vector with small and large (negative) deltas", () => {
  const fb = one("8fcd0006 01020304 05060708 00640003 00000105 d20004ff fc000000") as TransportFeedback;
  assert.deepEqual(fb, {
    type: "twcc",
    senderSsrc: 0x01020304,
    mediaSsrc: 0x05060708,
    baseSequence: 100,
    referenceTime: 1,
    feedbackCount: 5,
    packets: [
      { sequence: 100, status: 1, delta: 4 },
      { sequence: 101, status: 0, delta: 0 },
      { sequence: 102, status: 2, delta: -4 },
    ],
  });
  assert.deepEqual(twccArrivals(fb), [
    { sequence: 100, arrivalUs: 65000 },
    { sequence: 101, arrivalUs: undefined },
    { sequence: 102, arrivalUs: 64000 },
  ]);
});

test("TWCC: run-length chunk and 1-bit vector chunk", () => {
  const rle = one("8fcd0007 00000001 00000002 0000000a 00000000 200a0101 01010101 01010101") as TransportFeedback;
  assert.equal(rle.packets.length, 10);
  assert.ok(rle.packets.every((p, i) => p.status === 1 && p.delta === 1 && p.sequence === i));
  const vec = parseRtcp(h("8fcd0006 00000001 00000002 0000000e 00000000 ac010102 03040000"))![0] as TransportFeedback;
  assert.deepEqual(
    vec.packets.map((p) => p.status),
    [1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
  );
  assert.deepEqual(
    vec.packets.filter((p) => p.status).map((p) => p.delta),
    [1, 2, 3, 4],
  );
  // A long loss run is one run-length chunk.
  const arrivals: TwccArrival[] = [{ sequence: 65000, arrivalUs: 1_000_000 }];
  for (let i = 1; i < 1000; i++) arrivals.push({ sequence: (65000 + i) & 0xffff, arrivalUs: undefined });
  arrivals.push({ sequence: (65000 + 1000) & 0xffff, arrivalUs: 1_020_000 });
  const fbs = buildTwccFeedback({ senderSsrc: 1, mediaSsrc: 2, feedbackCount: 0, packets: arrivals });
  assert.equal(fbs.length, 1);
  const wire = serializeRtcp(fbs);
  assert.ok(wire.length <= 4 + 16 + 3 * 2 + 2 + 2, `compact: ${wire.length} bytes`);
  const back = parseRtcp(wire)![0] as TransportFeedback;
  assert.equal(back.packets.length, 1001);
  assert.equal(back.packets[1000]!.sequence, (65000 + 1000) & 0xffff);
  assert.equal(twccArrivals(back)[1000]!.arrivalUs, 1_020_000);
});

test("TWCC: build/serialise/parse round trips with gaps, reordering and large deltas", () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const r = new SeededRandom(seed);
    const arrivals: TwccArrival[] = [];
    let t = 5_000_000 + r.int(1_000_000);
    const base = r.int(65536);
    const n = 200 + r.int(800);
    for (let i = 0; i < n; i++) {
      const lost = r.float() < 0.15 && i > 0;
      const x = r.float();
      // Mostly small steps, some reordering (negative), some large gaps (beyond 8 s: a split).
      t += x < 0.8 ? r.int(20_000) : x < 0.9 ? -r.int(30_000) : x < 0.98 ? r.int(500_000) : 9_000_000;
      arrivals.push({ sequence: (base + i) & 0xffff, arrivalUs: lost ? undefined : t });
    }
    const fbs = buildTwccFeedback({ senderSsrc: 7, mediaSsrc: 9, feedbackCount: 250, packets: arrivals });
    const wire = serializeRtcp(fbs);
    const parsed = parseRtcp(wire);
    assert.ok(parsed, `seed ${seed}`);
    assert.equal(parsed.length, fbs.length, `seed ${seed}`);
    const got = new Map<number, number | undefined>();
    parsed.forEach((p, k) => {
      assert.equal(p.type, "twcc");
      const fb = p as TransportFeedback;
      assert.equal(fb.feedbackCount, (250 + k) & 0xff, `seed ${seed}`);
      assert.deepEqual(fb, fbs[k], `seed ${seed} feedback ${k}`);
      for (const a of twccArrivals(fb)) got.set(a.sequence, a.arrivalUs);
    });
    for (const a of arrivals) {
      const g = got.get(a.sequence);
      if (a.arrivalUs === undefined) {
        assert.ok(g === undefined, `seed ${seed}: seq ${a.sequence} reported received`);
        continue;
      }
      assert.notEqual(g, undefined, `seed ${seed}: seq ${a.sequence} missing`);
      // Quantisation without drift: every time within half a tick (the reference time is
      // taken modulo 2^24 * 64 ms, far beyond this test's span).
      assert.ok(
        Math.abs(g! - a.arrivalUs) <= TWCC_TICK_US / 2,
        `seed ${seed}: seq ${a.sequence} ${g} vs ${a.arrivalUs}`,
      );
    }
  }
});

test("malformed RTCP is rejected", () => {
  for (const bad of [
    "",
    "80c8",
    "40c90001 00000000", // version 1
    "80c90002 00000000", // length past the end
    "81c90001 00000000", // RR count 1 without a block
    "80c80001 00000000", // SR too short
    "a0c90001 00000000", // padding count 0
    "a0c90001 00000009", // padding longer than the packet
    "81ca0001 00000001", // SDES chunk without terminator
    "81cb0000", // BYE count 1, no SSRC
    "81cb0002 00000001 09000000", // BYE reason longer than the packet
    "81cd0002 00000001 00000002 0001", // NACK FCI not whole
    "8fcd0004 00000001 00000002 0000000a 00000000", // TWCC without chunks
    "8fcd0005 00000001 00000002 00000002 00000000 f0000000", // 2-bit vector with status 3
    "8fcd0005 00000001 00000002 00000004 00000000 20040101", // 4 received, only two deltas
    "8fcd0005 00000001 00000002 00000002 00000000 60020000", // run-length chunk with status 3
    "80cf0002 00000001 04000002", // XR block past the end
  ]) {
    assert.equal(parseRtcp(h(bad)), undefined, bad);
  }
  assert.throws(() => serializeRtcp([{ type: "app", subtype: 0, ssrc: 1, name: "toolong", data: new Uint8Array(0) }]), {
    code: "ERR_RTCP_APP",
  });
  assert.throws(() => serializeRtcp([{ type: "bye", ssrcs: new Array(32).fill(1) }]), { code: "ERR_RTCP_COUNT" });
});

test("compact NTP and round-trip time from a report block (RFC 3550 6.4.1)", () => {
  assert.equal(ntpCompact(0xe8a1b2c3, 0x40000000), 0xb2c34000);
  const block = {
    ssrc: 1,
    fractionLost: 0,
    packetsLost: 0,
    highestSequence: 0,
    jitter: 0,
    lastSr: 0xb2c34000,
    delaySinceLastSr: 0x8000,
  };
  // Arrival 1 s after the SR was sent; the receiver held it for 0.5 s: RTT 0.5 s.
  assert.equal(rttFromReport(0xb2c34000 + 0x10000, block), 500);
  assert.equal(rttFromReport(0xb2c34000, block), 0, "clock skew gives 0, not a wrapped value");
  assert.equal(rttFromReport(123, { ...block, lastSr: 0 }), undefined);
});
