// RED audio in the media session (src/peer/media-red.ts): the RED packetizer (previous frame as
// one redundant block, distance 1, within the payload budget), the RED depacketizer (primary
// delivered, a redundant block only fills a lost packet's place, no duplicates), and a simulated
// Petrel->Petrel pair at 10% random loss with RED as the send codec (audio has no NACK).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PACER_MIN_QUEUE, PACER_QUEUE_MS } from "../../src/peer/media-pacer.js";
import { RedDepacketizer, RedPacketizer } from "../../src/peer/media-red.js";
import { SeededRandom } from "../../src/random.js";
import { encodeRed, parseRed } from "../../src/rtp/red.js";
import type { NegotiatedCodec } from "../../src/sdp/media.js";
import { makeMediaPair } from "./media-pair.js";

const opus: NegotiatedCodec = {
  payloadType: 111,
  mimeType: "audio/opus",
  clockRate: 48000,
  channels: 2,
  sdpFmtpLine: "minptime=10;useinbandfec=1",
  feedback: [],
  rtxPayloadType: undefined,
};
const frameOf = (i: number, len = 5) => {
  const f = new Uint8Array(len).fill(7);
  f[0] = 0xfc;
  f[1] = i >> 8;
  f[2] = i & 255;
  return f;
};
const indexOf = (data: Uint8Array) => (data[1]! << 8) | data[2]!;

describe("RED packetizer", () => {
  it("each frame carries the previous one 960 ticks back; the first and oversized ones go alone", () => {
    const pk = new RedPacketizer(63, opus, {
      ssrc: 1,
      random: new SeededRandom(1),
      sequenceNumber: 100,
      timestampOffset: 5000,
      maxPayloadSize: 200,
    });
    const parsed = [0, 1, 2].map((i) => {
      const out = pk.packetize(frameOf(i), i * 960);
      assert.equal(out.length, 1);
      assert.equal(out[0]!.payloadType, 63);
      assert.equal(out[0]!.sequenceNumber, 100 + i);
      assert.equal(out[0]!.timestamp, 5000 + i * 960);
      return parseRed(out[0]!.payload)!;
    });
    assert.equal(parsed[0]!.redundant.length, 0);
    assert.deepEqual([...parsed[0]!.primary.data], [...frameOf(0)]);
    for (const i of [1, 2]) {
      const r = parsed[i]!;
      assert.equal(r.redundant.length, 1);
      assert.equal(r.redundant[0]!.timestampOffset, 960);
      assert.equal(r.redundant[0]!.payloadType, 111);
      assert.equal(r.primary.payloadType, 111);
      assert.deepEqual([...r.redundant[0]!.data], [...frameOf(i - 1)]);
      assert.deepEqual([...r.primary.data], [...frameOf(i)]);
    }
    // A frame whose previous one would overflow the budget goes without redundancy.
    const big = pk.packetize(frameOf(3, 150), 3 * 960)[0]!;
    assert.equal(parseRed(big.payload)!.redundant.length, 1);
    const next = pk.packetize(frameOf(4, 150), 4 * 960)[0]!;
    assert.equal(parseRed(next.payload)!.redundant.length, 0, "150 + 150 + 5 > 200");
    assert.ok(next.payload.length <= 200);
    assert.equal(pk.redundantBlocksSent, 3);
    // The caller's buffer may be reused: the redundant copy is ours.
    const reused = frameOf(5);
    pk.packetize(reused, 5 * 960);
    reused.fill(0);
    const after = parseRed(pk.packetize(frameOf(6), 6 * 960)[0]!.payload)!;
    assert.deepEqual([...after.redundant[0]!.data], [...frameOf(5)]);
  });
});

/** A RED packet of frame i (with frame i-1 as redundancy when i > 0), seq 1000+i, ts 960*i. */
function redPacket(i: number) {
  const redundant = i > 0 ? [{ payloadType: 111, timestampOffset: 960, data: frameOf(i - 1) }] : [];
  return {
    payloadType: 63,
    sequenceNumber: (65500 + i) & 0xffff,
    timestamp: (0xfffff000 + 960 * i) >>> 0,
    marker: false,
    payload: encodeRed(redundant, 111, frameOf(i)),
  };
}

function frames(d: RedDepacketizer): { index: number; timestamp: number; seq: number }[] {
  const out: { index: number; timestamp: number; seq: number }[] = [];
  for (let e = d.pollEvent(); e; e = d.pollEvent())
    if (e.type === "frame")
      out.push({ index: indexOf(e.frame.data), timestamp: e.frame.timestamp, seq: e.frame.firstSequenceNumber });
  return out;
}

describe("RED depacketizer", () => {
  it("delivers primaries; a lost packet's frame comes from the next packet's redundancy, in order, across wrap", () => {
    const d = new RedDepacketizer(63, opus);
    const got: number[] = [];
    const stamps: number[] = [];
    let now = 0;
    for (const i of [0, 1, 3, 4, 7, 8, 9]) {
      // 2, 5 and 6 lost: 2 is recovered from 3, 6 from 7; 5 is gone (its successor was lost too).
      d.push(redPacket(i), (now += 20));
      for (const f of frames(d)) {
        got.push(f.index);
        stamps.push(f.timestamp);
      }
    }
    d.handleTimeout(now + 500);
    for (const f of frames(d)) got.push(f.index);
    assert.deepEqual(got, [0, 1, 2, 3, 4, 6, 7, 8, 9]);
    assert.equal(stamps[2], (0xfffff000 + 960 * 2) >>> 0, "the recovered frame's timestamp is ts - offset");
    assert.equal(d.stats.redRecoveredFrames, 2);
    assert.equal(d.stats.fecPacketsReceived, 6);
    assert.equal(d.stats.fecPacketsDiscarded, 4);
    assert.equal(d.stats.frames, 9);
  });

  it("no duplicates: a late original after recovery, a repeated RED packet, plain Opus packets pass through", () => {
    const d = new RedDepacketizer(63, opus);
    d.push(redPacket(0), 0);
    d.push(redPacket(2), 20); // recovers 1
    const late = redPacket(1);
    d.push(late, 30); // the original of 1, late: a duplicate
    d.push(redPacket(2), 40); // a duplicated datagram
    const plain = { ...redPacket(3), payloadType: 111, payload: frameOf(3) };
    d.push(plain, 60);
    d.push(redPacket(4), 80); // its redundancy (3) is not needed
    assert.deepEqual(
      frames(d).map((f) => f.index),
      [0, 1, 2, 3, 4],
    );
    assert.equal(d.stats.redRecoveredFrames, 1);
  });

  it("padding-only packets on the RED payload type take a sequence number; redundancy is not mistaken for their frame", () => {
    // Chromium probes bandwidth with empty packets on the RED payload type between frames.
    const d = new RedDepacketizer(63, opus);
    const pad = (seq: number, ts: number) => ({
      payloadType: 63,
      sequenceNumber: seq,
      timestamp: ts,
      marker: false,
      payload: new Uint8Array(0),
    });
    d.push(redPacket(0), 0);
    d.push(redPacket(1), 20);
    d.push(pad(65502, redPacket(1).timestamp), 21);
    d.push(pad(65503, redPacket(1).timestamp), 22);
    // Frame 2 on the sequence number after the padding carries frame 1 as redundancy: not needed.
    d.push({ ...redPacket(2), sequenceNumber: 65504 }, 40);
    assert.deepEqual(
      frames(d).map((f) => f.index),
      [0, 1, 2],
    );
    assert.equal(d.stats.redRecoveredFrames, 0);
    assert.equal(d.stats.paddingPackets, 2);
    // Lost padding and a lost frame: the frame is recovered once; its late original is not delivered again.
    const e = new RedDepacketizer(63, opus);
    e.push(redPacket(0), 0);
    // seq 65501 (frame 1) and 65502 (padding) lost; frame 2 on 65503 carries frame 1.
    e.push({ ...redPacket(2), sequenceNumber: 65503 }, 40);
    e.push(redPacket(1), 45); // the late original of frame 1 on its own sequence number
    e.handleTimeout(500);
    assert.deepEqual(
      frames(e).map((f) => f.index),
      [0, 1, 2],
    );
    assert.equal(e.stats.redRecoveredFrames, 1);
  });

  it("frameless sequence numbers between frames (telephone events, lost padding) never deliver a frame twice", () => {
    // Frames 0 and 1 at 65500/65501; 65502 and 65503 carry no frame (never seen); frame 2 on
    // 65504 carries frame 1 as redundancy: its guessed place (65503) is free, but frame 1 was delivered.
    const d = new RedDepacketizer(63, opus);
    d.push(redPacket(0), 0);
    d.push(redPacket(1), 20);
    d.push({ ...redPacket(2), sequenceNumber: 65504 }, 40);
    d.handleTimeout(500);
    assert.deepEqual(
      frames(d).map((f) => `${f.index}@${f.seq}`),
      ["0@65500", "1@65501", "2@65504"],
    );
    assert.equal(d.stats.redRecoveredFrames, 0);
    assert.equal(d.stats.fecPacketsDiscarded, 2);
    // A block older than the last frame seen before its place is not delivered either, even when
    // that frame has left the delivered ring.
    const e = new RedDepacketizer(63, opus);
    e.push({ ...redPacket(5), payload: encodeRed([], 111, frameOf(5)) }, 0);
    e.push(
      {
        ...redPacket(7),
        sequenceNumber: 65508,
        payload: encodeRed([{ payloadType: 111, timestampOffset: 960 * 3, data: frameOf(4) }], 111, frameOf(7)),
      },
      20,
    );
    e.handleTimeout(500);
    assert.deepEqual(
      frames(e).map((f) => f.index),
      [5, 7],
    );
    assert.equal(e.stats.redRecoveredFrames, 0);
  });

  it("malformed RED payloads and a primary of another payload type are dropped and counted; fuzz never throws", () => {
    const d = new RedDepacketizer(63, opus);
    d.push({ ...redPacket(0), payload: new Uint8Array([0xef, 0x0f]) }, 0);
    d.push({ ...redPacket(1), payload: encodeRed([], 0, frameOf(1)) }, 1);
    assert.equal(d.stats.redMalformed, 2);
    assert.equal(frames(d).length, 0);
    const rnd = new SeededRandom(9);
    for (let i = 0; i < 3000; i++) {
      const payload = rnd.bytes(rnd.u32() % 40);
      if (payload.length > 0 && i % 3 === 0) payload[0] = 111; // a primary-only header
      d.push({ payloadType: 63, sequenceNumber: rnd.u32() & 0xffff, timestamp: rnd.u32(), marker: false, payload }, i);
      frames(d);
    }
    assert.ok(d.stats.redMalformed > 0);
  });
});

describe("RED between two media sessions", () => {
  it("a renegotiation that puts RED first switches the default send codec; a chosen codec stays", () => {
    const p = makeMediaPair(1);
    const t = p.a.transceiver(p.ids.aAudio);
    assert.equal(t.sendCodec?.mimeType, "audio/opus");
    const n = t.negotiated!;
    const red = n.codecs.find((c) => c.mimeType === "audio/red")!;
    const redFirst = { ...n, codecs: [red, ...n.codecs.filter((c) => c !== red)] };
    p.a.applyNegotiation(p.ids.aAudio, redFirst, 10);
    assert.equal(t.sendCodec?.mimeType, "audio/red");
    assert.equal(t.packetizer?.payloadType, red.payloadType);
    // Chosen explicitly (not the first): kept across a renegotiation.
    p.a.setSendCodec(p.ids.aAudio, 0);
    p.a.applyNegotiation(p.ids.aAudio, n, 20);
    assert.equal(t.sendCodec?.mimeType, "audio/PCMU");
  });

  it("RED with telephone events and no loss delivers every frame exactly once, in order", () => {
    for (const seed of [1, 2, 3]) {
      const p = makeMediaPair(seed);
      p.a.setSendCodec(p.ids.aAudio, 63);
      const at = p.a.transceiver(p.ids.aAudio);
      const N = 60;
      for (let i = 0; i < N; i++) {
        p.net.run({ untilTime: i * 20, maxSteps: 100_000 });
        if (i === 5) p.a.dtmf.insert(at, "12", 100, 70, p.net.now);
        assert.ok(p.a.sendFrame(p.ids.aAudio, { data: frameOf(i, 40), timestamp: i * 960, keyframe: true }, p.net.now));
        p.kick();
      }
      p.net.run({ untilTime: p.net.now + 1000, maxSteps: 200_000 });
      const events = p.eventsB.filter((e) => e.transceiver === p.ids.bAudio);
      const delivered = events.flatMap((e) => (e.type === "frame" ? [indexOf(e.frame.data)] : []));
      assert.deepEqual(
        delivered,
        Array.from({ length: N }, (_, i) => i),
        `seed ${seed}: 60 frames once each in order`,
      );
      assert.deepEqual(
        events.flatMap((e) => (e.type === "dtmf" ? [e.tone] : [])),
        ["1", "2"],
        `seed ${seed}: the tones arrived`,
      );
      const rs = p.b.stats().receive.find((s) => s.transceiver === p.ids.bAudio)!;
      assert.equal((rs.depacketizer as unknown as Record<string, number>).redRecoveredFrames, 0, `seed ${seed}`);
    }
  });

  it("a paced RED stream's queue stays within the 500 ms byte cap (frames admitted at their RED size)", () => {
    const p = makeMediaPair(1);
    p.a.setSendCodec(p.ids.aAudio, 63);
    const at = p.a.transceiver(p.ids.aAudio);
    // 500-byte frames every 20 ms: ~400 kb/s as RED (primary + previous), paced at 100 kb/s. The
    // queue cap is max(500 ms of the rate, PACER_MIN_QUEUE) bytes.
    p.a.pacer.setMaxBitrate(at, 100_000, p.net.now);
    const cap = Math.max((100_000 / 8) * (PACER_QUEUE_MS / 1000), PACER_MIN_QUEUE);
    let peak = 0;
    for (let i = 0; i < 150; i++) {
      p.net.run({ untilTime: i * 20, maxSteps: 100_000 });
      p.a.sendFrame(p.ids.aAudio, { data: frameOf(i, 500), timestamp: i * 960, keyframe: true }, p.net.now);
      p.kick();
      peak = Math.max(peak, p.a.pacer.queuedBytes(p.ids.aAudio));
      assert.ok(peak <= cap, `frame ${i}: ${peak} bytes queued, cap ${cap}`);
    }
    assert.ok(peak > cap - 2200, `the queue filled (${peak} of ${cap})`);
    assert.ok(p.a.pacer.stats(p.ids.aAudio)!.framesDropped > 0);
  });

  it("at 10% loss every frame whose packet was lost but whose successor arrived is recovered", () => {
    const summary: string[] = [];
    for (const seed of [1, 2, 3]) {
      const p = makeMediaPair(seed, { link: { latency: 10, loss: 0.1 } });
      p.a.setSendCodec(p.ids.aAudio, 63);
      p.b.transceiver(p.ids.bAudio).rawRtp = true;
      const N = 250;
      for (let i = 0; i < N; i++) {
        p.net.run({ untilTime: i * 20, maxSteps: 100_000 });
        assert.ok(p.a.sendFrame(p.ids.aAudio, { data: frameOf(i, 40), timestamp: i * 960, keyframe: true }, p.net.now));
        p.kick();
      }
      p.net.run({ untilTime: p.net.now + 1000, maxSteps: 200_000 });
      const events = p.eventsB.filter((e) => e.transceiver === p.ids.bAudio);
      const arrived = new Set<number>();
      for (const e of events) {
        if (e.type !== "rtp") continue;
        assert.equal(e.packet.payloadType, 63, `seed ${seed}: RED on the wire`);
        const r = parseRed(e.packet.payload)!;
        arrived.add(indexOf(r.primary.data));
      }
      const delivered = events.flatMap((e) => (e.type === "frame" ? [indexOf(e.frame.data)] : []));
      const expected: number[] = [];
      let recovered = 0;
      for (let i = 0; i < N; i++) {
        if (arrived.has(i)) expected.push(i);
        else if (arrived.has(i + 1)) {
          expected.push(i);
          recovered++;
        }
      }
      assert.deepEqual(delivered, expected, `seed ${seed}: frames in order, no duplicates, lost ones recovered`);
      const lost = N - arrived.size;
      assert.ok(lost > 10 && recovered > 5, `seed ${seed}: ${lost} lost, ${recovered} recoverable`);
      const rs = p.b.stats().receive.find((s) => s.transceiver === p.ids.bAudio)!;
      const st = rs.depacketizer as unknown as Record<string, number>;
      assert.equal(st.redRecoveredFrames, recovered, `seed ${seed}`);
      assert.equal(st.frames, expected.length, `seed ${seed}`);
      // The exact figures of one seeded run (the simulator's loss draws are deterministic).
      if (seed === 1) assert.deepEqual([lost, recovered], [25, 23], "seed 1 figures");
      summary.push(`seed ${seed}: ${lost}/${N} lost, ${recovered} recovered, ${N - expected.length} unrecoverable`);
    }
    console.log(`# RED at 10% loss: ${summary.join("; ")}`);
  });
});
