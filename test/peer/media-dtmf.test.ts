// DTMF through two MediaSessions on the simulator (virtual time): insert "12#" on A's audio, the
// playout's tonechange order ("1", "2", "#", then ""), the RFC 4733 packets on the wire (seen raw
// on B: telephone-event PT at Opus's clock, A's audio SSRC and its sequence space, one RTP
// timestamp per tone, marker on the first packet only, growing durations, three E-bit packets)
// and B decoding exactly "12#" once each; a ',' pauses 2 s; the buffer can be replaced; loss of
// end packets still reports each tone once; a long tone at 48 kHz is split into segments.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MediaEvent } from "../../src/peer/media.js";
import type { RtpPacket } from "../../src/rtp/packet.js";
import { decodeTelephoneEvent } from "../../src/rtp/telephone-event.js";
import { type MediaPair, makeMediaPair } from "./media-pair.js";

const SEEDS = [1, 2, 3];

/** Sends an Opus-sized packet every 20 ms from A for `ms`, running the network. */
function talk(p: MediaPair, ms: number): void {
  const start = p.net.now;
  for (let t = 0; t <= ms; t += 20) {
    p.net.run({ untilTime: start + t, maxSteps: 100_000 });
    p.a.sendFrame(
      p.ids.aAudio,
      { data: new Uint8Array([0xfc, 1, 2, 3]), timestamp: ((start + t) * 48) | 0, keyframe: true },
      p.net.now,
    );
    p.kick();
  }
}

const toneChanges = (events: MediaEvent[]) => events.flatMap((e) => (e.type === "tonechange" ? [e.tone] : []));
const received = (events: MediaEvent[]) => events.flatMap((e) => (e.type === "dtmf" ? [e.tone] : []));
const rawRtp = (events: MediaEvent[]) => events.flatMap((e) => (e.type === "rtp" ? [e.packet] : []));

describe("DTMF between MediaSessions", () => {
  for (const seed of SEEDS) {
    it(`"12#": tonechanges, RFC 4733 packets, decoded once each (seed ${seed})`, () => {
      const p = makeMediaPair(seed);
      const at = p.a.transceiver(p.ids.aAudio);
      p.b.transceiver(p.ids.bAudio).rawRtp = true;
      const tePt = at.negotiated!.codecs.find(
        (c) => c.mimeType === "audio/telephone-event" && c.clockRate === 48000,
      )?.payloadType;
      assert.equal(tePt, 110, `seed ${seed}`);
      talk(p, 100);
      p.a.dtmf.insert(at, "12#", 100, 70, p.net.now);
      p.kick();
      talk(p, 1000);
      p.net.run({ untilTime: p.net.now + 500, maxSteps: 100_000 });
      assert.deepEqual(toneChanges(p.eventsA), ["1", "2", "#", ""], `seed ${seed}`);
      assert.deepEqual(received(p.eventsB), ["1", "2", "#"], `seed ${seed}`);
      const all = rawRtp(p.eventsB).filter((x) => x.ssrc === at.ssrc);
      const te = all.filter((x) => x.payloadType === tePt);
      // One sequence space: audio and events interleaved, consecutive numbers.
      for (let i = 1; i < all.length; i++) {
        assert.equal(all[i]!.sequenceNumber, (all[i - 1]!.sequenceNumber + 1) & 0xffff, `seed ${seed} seq ${i}`);
      }
      const byTs = new Map<number, RtpPacket[]>();
      for (const x of te) byTs.set(x.timestamp, [...(byTs.get(x.timestamp) ?? []), x]);
      assert.equal(byTs.size, 3, `seed ${seed}: one timestamp per tone`);
      const codes = [1, 2, 11];
      let i = 0;
      for (const packets of byTs.values()) {
        const evs = packets.map((x) => decodeTelephoneEvent(x.payload)!);
        assert.ok(
          evs.every((e) => e.event === codes[i] && e.volume === 10),
          `seed ${seed}`,
        );
        assert.deepEqual(
          packets.map((x) => x.marker),
          packets.map((_, k) => k === 0),
          `seed ${seed}: marker on the first only`,
        );
        const ends = evs.filter((e) => e.end);
        assert.equal(ends.length, 3, `seed ${seed}: three end packets`);
        assert.ok(
          ends.every((e) => e.duration === 4800),
          `seed ${seed}: 100 ms at 48 kHz`,
        );
        assert.ok(
          evs.slice(0, -3).every((e) => !e.end),
          `seed ${seed}: E only at the end`,
        );
        for (let k = 1; k < evs.length; k++) assert.ok(evs[k]!.duration >= evs[k - 1]!.duration, `seed ${seed}`);
        assert.ok(evs.length >= 5, `seed ${seed}: interim packets every 50 ms (${evs.length})`);
        i++;
      }
      // The tones are ~170 ms apart in RTP time (100 ms tone + 70 ms gap at 48 kHz).
      const starts = [...byTs.keys()];
      for (let k = 1; k < starts.length; k++) {
        const d = (starts[k]! - starts[k - 1]!) >>> 0;
        assert.ok(Math.abs(d - 170 * 48) <= 20 * 48, `seed ${seed}: spacing ${d}`);
      }
      assert.equal(p.a.dtmf.toneBuffer(p.ids.aAudio), "");
      // B's Opus stream kept its codec and depacketizer through the events.
      const st = p.b.stats().receive.find((r) => r.ssrc === at.ssrc)!;
      assert.equal(st.payloadType, 111, `seed ${seed}`);
    });
  }

  it("',' pauses 2 s; a new insertDTMF replaces the buffer", () => {
    const p = makeMediaPair(4);
    const at = p.a.transceiver(p.ids.aAudio);
    talk(p, 40);
    const t0 = p.net.now;
    p.a.dtmf.insert(at, "1,2", 40, 30, t0);
    p.kick();
    p.net.run({ untilTime: t0 + 100, maxSteps: 100_000 });
    assert.deepEqual(toneChanges(p.eventsA), ["1", ","]);
    p.net.run({ untilTime: t0 + 2000, maxSteps: 100_000 });
    assert.deepEqual(toneChanges(p.eventsA), ["1", ","], "still paused");
    p.net.run({ untilTime: t0 + 2200, maxSteps: 100_000 });
    assert.deepEqual(toneChanges(p.eventsA), ["1", ",", "2", ""]);
    assert.deepEqual(received(p.eventsB), ["1", "2"]);

    p.eventsA.length = 0;
    p.eventsB.length = 0;
    const t1 = p.net.now;
    p.a.dtmf.insert(at, "123", 100, 70, t1);
    p.kick();
    p.net.run({ untilTime: t1 + 50, maxSteps: 100_000 });
    assert.equal(p.a.dtmf.toneBuffer(p.ids.aAudio), "23");
    p.a.dtmf.insert(at, "9", 100, 70, p.net.now);
    p.net.run({ untilTime: t1 + 1000, maxSteps: 100_000 });
    assert.deepEqual(toneChanges(p.eventsA), ["1", "9", ""]);
    assert.deepEqual(received(p.eventsB), ["1", "9"]);
  });

  it("bad tones and sessions that cannot send DTMF throw", () => {
    const p = makeMediaPair(5);
    const at = p.a.transceiver(p.ids.aAudio);
    assert.throws(() => p.a.dtmf.insert(at, "12X", 100, 70, 0), { code: "ERR_INVALID_ARGUMENT" });
    assert.throws(() => p.a.dtmf.insert(p.a.transceiver(p.ids.aVideo), "1", 100, 70, 0), {
      code: "ERR_INVALID_STATE",
    });
    const q = makeMediaPair(6, { bDirection: "recvonly" });
    assert.throws(() => q.b.dtmf.insert(q.b.transceiver(q.ids.bAudio), "1", 100, 70, 0), {
      code: "ERR_INVALID_STATE",
    });
  });

  for (const seed of SEEDS) {
    it(`20% loss: each tone reported once (seed ${seed})`, () => {
      const p = makeMediaPair(seed + 10, { link: { latency: 10, loss: 0.2 } });
      const at = p.a.transceiver(p.ids.aAudio);
      talk(p, 40);
      p.a.dtmf.insert(at, "0123456789", 200, 70, p.net.now);
      p.kick();
      p.net.run({ untilTime: p.net.now + 4000, maxSteps: 200_000 });
      const got = received(p.eventsB);
      assert.equal(new Set(got).size, got.length, `seed ${seed}: duplicates in ${got.join("")}`);
      // Each tone is 5+ packets: losing all of one at 20% is unlikely for these seeds.
      assert.equal(got.join(""), "0123456789", `seed ${seed}`);
    });
  }

  it("only telephone-event/8000 beside Opus (as Firefox offers): durations at 8 kHz, timestamps at 48 kHz", () => {
    const p = makeMediaPair(8, {
      editAnswer: (s) =>
        s
          .replace(/(m=audio [^\r\n]*) 110/, "$1")
          .split("\r\n")
          .filter((l) => !l.startsWith("a=rtpmap:110 "))
          .join("\r\n"),
    });
    const at = p.a.transceiver(p.ids.aAudio);
    assert.deepEqual(
      at.negotiated!.codecs.filter((c) => c.mimeType === "audio/telephone-event").map((c) => c.clockRate),
      [8000],
    );
    p.b.transceiver(p.ids.bAudio).rawRtp = true;
    talk(p, 100);
    p.a.dtmf.insert(at, "7", 100, 70, p.net.now);
    p.kick();
    talk(p, 400);
    const all = rawRtp(p.eventsB).filter((x) => x.ssrc === at.ssrc);
    const te = all.filter((x) => x.payloadType === 126);
    const ends = te.map((x) => decodeTelephoneEvent(x.payload)!).filter((e) => e.end);
    assert.equal(ends.length, 3);
    assert.ok(ends.every((e) => e.duration === 800 && e.event === 7));
    // The event's timestamp sits among the Opus packets' (48 kHz) timestamps.
    const i = all.indexOf(te[0]!);
    const ts = (x: RtpPacket) => x.timestamp;
    const d = (ts(te[0]!) - ts(all[i - 1]!)) >>> 0;
    assert.ok(d <= 20 * 48, `${d} ticks after the last audio packet`);
    assert.deepEqual(received(p.eventsB), ["7"]);
  });

  it("a 3 s tone at 48 kHz is sent in segments (RFC 4733 2.5.1.3) and reported once", () => {
    const p = makeMediaPair(7);
    const at = p.a.transceiver(p.ids.aAudio);
    p.b.transceiver(p.ids.bAudio).rawRtp = true;
    talk(p, 40);
    p.a.dtmf.insert(at, "5", 3000, 70, p.net.now);
    p.kick();
    p.net.run({ untilTime: p.net.now + 3500, maxSteps: 200_000 });
    const te = rawRtp(p.eventsB).filter((x) => x.payloadType === 110);
    const stamps = [...new Set(te.map((x) => x.timestamp))];
    assert.equal(stamps.length, 3, "144000 ticks: two full segments and a third");
    assert.equal((stamps[1]! - stamps[0]!) >>> 0, 0xffff);
    assert.ok(te.every((x) => decodeTelephoneEvent(x.payload)!.duration <= 0xffff));
    assert.deepEqual(received(p.eventsB), ["5"]);
  });
});
