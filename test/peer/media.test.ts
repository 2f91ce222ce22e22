// The sans-IO media session (src/peer/media.ts) in pairs on the simulator: a JSEP offer/answer
// negotiates audio+video, both sides are keyed from the same exporter output (client/server halves,
// RFC 5764 4.2), VP8 frames from a real IVF file and Opus packets go through packetizer, feedback
// chain and SRTP (AES-GCM and AES-CM) and come out whole on the other side; under loss NACK/RTX
// repairs video; demux by MID, by SSRC and by payload type (RFC 8843 9.2); bad input is counted.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { IvfReader, readEventsSync } from "../../src/media/containers/index.js";
import type { EncodedFrame } from "../../src/media/frame.js";
import { MediaSession } from "../../src/peer/media.js";
import { SeededRandom } from "../../src/random.js";
import { type SrtpProfile, srtpKeyingMaterialLength } from "../../src/srtp/index.js";
import type { LinkConfig } from "../sim/network.js";
import { type MediaPair, makeMediaPair } from "./media-pair.js";

function ivfFrames(path: string): EncodedFrame[] {
  const out: EncodedFrame[] = [];
  for (const ev of readEventsSync(new IvfReader(), readFileSync(path))) if (ev.type === "frame") out.push(ev.frame);
  return out;
}

type Pair = MediaPair;

/** A offers audio+video sendrecv, B answers with `bDirection`; both keyed (test/peer/media-pair.ts). */
function makePair(
  seed: number,
  opts: {
    profile?: SrtpProfile;
    link?: LinkConfig;
    bDirection?: "sendrecv" | "recvonly";
    /** false: the offer has no MID extension (transport-wide-cc only), so demux falls back to SSRC / PT. */
    offerMid?: boolean;
    bFirOnly?: boolean;
  } = {},
): Pair {
  const { offerMid, ...rest } = opts;
  return makeMediaPair(seed, {
    ...rest,
    ...(offerMid === false
      ? { extensions: [{ uri: "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01", id: 3 }] }
      : {}),
  });
}

const vp8 = ivfFrames("test/fixtures/media/vp8.ivf");
/** 150 frames (5 s at 30 fps): the 10-frame file repeated (a keyframe every 5 frames). */
const long = Array.from({ length: 150 }, (_, i) => vp8[i % vp8.length]!);

/** Sends the VP8 frames (30 fps) and an Opus-sized packet every 20 ms from A, running the network. */
function play(p: Pair, frames: EncodedFrame[], opts: { audio?: boolean; from?: "a" | "b" } = {}): void {
  const src = opts.from === "b" ? p.b : p.a;
  const video = opts.from === "b" ? p.ids.bVideo : p.ids.aVideo;
  const audio = opts.from === "b" ? p.ids.bAudio : p.ids.aAudio;
  const start = p.net.now;
  for (let i = 0; i < frames.length; i++) {
    p.net.run({ untilTime: start + i * 33, maxSteps: 100_000 });
    const f = frames[i]!;
    const n = start / 33 + i;
    assert.ok(src.sendFrame(video, { ...f, timestamp: n * 3000 }, p.net.now), "sending");
    if (opts.audio)
      src.sendFrame(
        audio,
        { data: new Uint8Array([0xfc, 1, 2, 3, i & 255]), timestamp: n * 1600, keyframe: true },
        p.net.now,
      );
    p.kick();
  }
  p.net.run({ untilTime: p.net.now + 2000, maxSteps: 200_000 });
}

describe("MediaSession pairs", () => {
  for (const profile of ["AEAD_AES_128_GCM", "AES_CM_128_HMAC_SHA1_80"] as const) {
    it(`VP8 frames and Opus arrive whole and in order (${profile})`, () => {
      for (const seed of [1, 2, 3]) {
        const p = makePair(seed, { profile });
        play(p, vp8, { audio: true });
        play(p, long.slice(10, 40), { audio: true });
        const video = p.eventsB.filter((e) => e.type === "frame" && e.transceiver === p.ids.bVideo);
        assert.equal(video.length, 40, `seed ${seed}: every video frame`);
        for (let i = 0; i < 40; i++) {
          const e = video[i]!;
          assert.ok(e.type === "frame");
          const sent = long[i]!;
          assert.deepEqual(Buffer.from(e.frame.data), Buffer.from(sent.data), `seed ${seed} frame ${i}`);
          assert.equal(e.frame.keyframe, sent.keyframe, `seed ${seed} frame ${i} keyframe flag`);
        }
        const audio = p.eventsB.filter((e) => e.type === "frame" && e.transceiver === p.ids.bAudio);
        assert.equal(audio.length, 40, `seed ${seed}: every audio packet`);
        const remote = p.eventsB.filter((e) => e.type === "remote-stream").map((e) => e.transceiver);
        assert.deepEqual(remote.sort(), [p.ids.bAudio, p.ids.bVideo].sort(), `seed ${seed}`);
        const st = p.b.stats();
        assert.equal(st.dropped.srtp, 0);
        assert.equal(st.demux.unroutable, 0);
        assert.equal(st.srtp.profile, profile);
      }
    });
  }

  it("the answerer sends back (sendrecv both ways), receiver reports flow", () => {
    const p = makePair(4);
    play(p, long.slice(0, 20), { from: "b" });
    const frames = p.eventsA.filter((e) => e.type === "frame");
    assert.equal(frames.length, 20);
    const fb = p.b.stats().feedback!;
    assert.ok(fb.rtcpPacketsReceived > 0, "B got reports from A");
  });

  it("NACK and RTX repair 5% loss", () => {
    for (const seed of [11, 12]) {
      const p = makePair(seed, { link: { latency: 15, loss: 0.05 } });
      play(p, long);
      const frames = p.eventsB.filter((e) => e.type === "frame");
      const out = p.a.stats().feedback!.outbound.find((o) => o.ssrc === p.a.transceiver(p.ids.aVideo).ssrc)!;
      assert.ok(out.retransmittedPacketsSent > 0, `seed ${seed}: retransmissions happened`);
      const inbound = p.b.stats().feedback!.inbound.find((x) => x.packetsReceived > 0)!;
      assert.ok(inbound.nack.recovered > 0, `seed ${seed}: NACKed packets recovered`);
      // A lost retransmission costs its frame and the frames up to the next keyframe (every 5th).
      assert.ok(frames.length >= long.length - 10, `seed ${seed}: ${frames.length}/${long.length} frames after repair`);
    }
  });

  it("without MID or SSRC lines, payload types route packets (RFC 8843 9.2)", () => {
    const p = makePair(6, { offerMid: false });
    play(p, vp8.slice(0, 10), { audio: true });
    assert.equal(p.eventsB.filter((e) => e.type === "frame" && e.transceiver === p.ids.bVideo).length, 10);
    assert.equal(p.eventsB.filter((e) => e.type === "frame" && e.transceiver === p.ids.bAudio).length, 10);
  });

  it("a recvonly answerer does not send; PLI from the receiver reaches the sender as keyframe-request", () => {
    const p = makePair(7, { bDirection: "recvonly" });
    assert.equal(p.b.sendFrame(p.ids.bVideo, vp8[0]!, 0), false, "recvonly: nothing sent");
    play(p, vp8.slice(0, 5));
    p.b.requestKeyframe(p.ids.bVideo, p.net.now);
    p.kick();
    p.net.run({ untilTime: p.net.now + 500, maxSteps: 100_000 });
    assert.ok(p.eventsA.some((e) => e.type === "keyframe-request" && e.transceiver === p.ids.aVideo));
  });

  it("requestKeyframe sends FIR when only FIR was negotiated (RFC 5104 4.3.1), else PLI", () => {
    for (const firOnly of [false, true]) {
      const p = makePair(9, { bFirOnly: firOnly });
      play(p, vp8.slice(0, 3));
      const before = p.eventsA.filter((e) => e.type === "keyframe-request").length;
      p.b.requestKeyframe(p.ids.bVideo, p.net.now);
      p.kick();
      p.net.run({ untilTime: p.net.now + 500, maxSteps: 100_000 });
      const inbound = p.b.stats().feedback!.inbound.find((s) => s.ssrc === p.a.transceiver(p.ids.aVideo).ssrc)!;
      assert.deepEqual([inbound.pliCount, inbound.firCount], firOnly ? [0, 1] : [1, 0], `firOnly ${firOnly}`);
      const after = p.eventsA.filter((e) => e.type === "keyframe-request").length;
      assert.equal(after, before + 1, `the sender hears it (firOnly ${firOnly})`);
    }
  });

  it("garbage, datagrams before keys, and tampered SRTP are dropped and counted", () => {
    const p = makePair(8);
    const fresh = new MediaSession({ random: new SeededRandom(1), cname: "x" });
    fresh.handleDatagram(new Uint8Array([0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]), 0);
    assert.equal(fresh.stats().dropped.beforeKeys, 1);
    p.b.handleDatagram(
      new Uint8Array([0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9]),
      0,
    );
    p.b.handleDatagram(new Uint8Array([0x80, 200, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]), 0);
    p.b.handleDatagram(new Uint8Array(3), 0);
    const st = p.b.stats().dropped;
    assert.ok(st.srtp >= 2, JSON.stringify(st));
    assert.equal(st.srtcp, 1);
  });

  it("a keyed session without transceivers (data-only) makes no media state and stays quiet", () => {
    const m = new MediaSession({ random: new SeededRandom(3), cname: "x" });
    m.start("AES_CM_128_HMAC_SHA1_80", new Uint8Array(srtpKeyingMaterialLength("AES_CM_128_HMAC_SHA1_80")), true, 0);
    assert.equal(m.started, true);
    m.handleTimeout(10);
    m.handleDatagram(new Uint8Array([0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9]), 10);
    assert.equal(m.nextTimeout(), undefined);
    assert.equal(m.pollTransmit(), undefined);
    assert.equal(m.pollEvent(), undefined);
    const st = m.stats();
    assert.deepEqual(st.receive, []);
    assert.equal(st.demux.unroutable, 0);
    assert.equal(st.dropped.srtp, 1);
    // The DTMF, source, pacer, demux and feedback state is made on first use only.
    const inner = m as unknown as Record<string, unknown>;
    for (const k of ["dtmfOrUndefined", "sourcesOrUndefined", "demux", "feedback", "chain", "usedSsrcs"]) {
      assert.equal(inner[k], undefined, k);
    }
    assert.equal((inner.send as { pacerIfAny: unknown }).pacerIfAny, undefined);
    // Asking for them works and makes them (the W3C layer reads these).
    assert.equal(m.dtmf.toneBuffer(1), "");
    assert.deepEqual(m.sources.synchronizationSources(1, 10), []);
    assert.equal(m.pacer.target(1), undefined);
  });
});
