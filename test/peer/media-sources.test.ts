// Synchronization and contributing sources (webrtc-pc 5.3.4) on the simulator: RTP written with a
// CSRC list and an RFC 6464 level reaches B, whose SourceTracker lists the SSRC with audioLevel
// 10^(-level/20) and each CSRC; entries leave after 10 s without packets; RFC 6465 CSRC levels
// are read when that extension is negotiated; the per-transceiver bound holds.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  audioLevelFromDbov,
  CSRC_AUDIO_LEVEL_URI,
  MAX_SOURCES,
  SourceTracker,
  SSRC_AUDIO_LEVEL_URI,
} from "../../src/peer/media-sources.js";
import { parseRtp, serializeRtp } from "../../src/rtp/index.js";
import { makeMediaPair } from "./media-pair.js";

describe("RTP sources", () => {
  for (const seed of [1, 2, 3]) {
    it(`CSRCs and the SSRC's audio level reach the receiver; 10 s window (seed ${seed})`, () => {
      const p = makeMediaPair(seed);
      const at = p.a.transceiver(p.ids.aAudio);
      let seq = 100;
      const send = (csrcs: number[] | undefined, audioLevel: number | undefined) => {
        assert.ok(
          p.a.sendRtp(
            p.ids.aAudio,
            { sequenceNumber: seq++, timestamp: seq * 960, payload: new Uint8Array([0xfc, 1]), csrcs, audioLevel },
            p.net.now,
          ),
          `seed ${seed}`,
        );
        p.kick();
        p.net.run({ untilTime: p.net.now + 20, maxSteps: 100_000 });
      };
      send([10, 20, 30], 20);
      send([20, 30], 40);
      const ss = p.b.sources.synchronizationSources(p.ids.bAudio, p.net.now);
      assert.equal(ss.length, 1, `seed ${seed}`);
      assert.equal(ss[0]!.source, at.ssrc);
      assert.equal(ss[0]!.rtpTimestamp, 102 * 960);
      assert.ok(Math.abs(ss[0]!.audioLevel! - 0.01) < 1e-9, `seed ${seed}: ${ss[0]!.audioLevel}`);
      const cs = p.b.sources.contributingSources(p.ids.bAudio, p.net.now);
      assert.deepEqual(
        cs.map((c) => c.source).sort((x, y) => x - y),
        [10, 20, 30],
        `seed ${seed}`,
      );
      assert.equal(cs[cs.length - 1]!.source, 10, "10 is the oldest");
      assert.ok(
        cs.every((c) => c.audioLevel === undefined),
        "no RFC 6465 extension negotiated",
      );
      // No level on the next packet: the SSRC entry has none either.
      send(undefined, undefined);
      assert.equal(p.b.sources.synchronizationSources(p.ids.bAudio, p.net.now)[0]!.audioLevel, undefined);
      // 10 s later the CSRCs have gone; the SSRC stays while it keeps sending.
      for (let i = 0; i < 520; i++) send(i < 5 ? [20] : undefined, 127);
      assert.deepEqual(p.b.sources.contributingSources(p.ids.bAudio, p.net.now), [], `seed ${seed}`);
      const s2 = p.b.sources.synchronizationSources(p.ids.bAudio, p.net.now);
      assert.equal(s2.length, 1);
      assert.equal(s2[0]!.audioLevel, 0, "127 = silence");
      p.net.run({ untilTime: p.net.now + 10_500, maxSteps: 100_000 });
      assert.deepEqual(p.b.sources.synchronizationSources(p.ids.bAudio, p.net.now), []);
    });
  }

  it("RFC 6465 levels per CSRC; levels map to 10^(-dBov/20); the bound", () => {
    assert.equal(audioLevelFromDbov(0), 1);
    assert.ok(Math.abs(audioLevelFromDbov(20) - 0.1) < 1e-12);
    assert.equal(audioLevelFromDbov(127), 0);
    const tracker = new SourceTracker();
    const t = {
      id: 1,
      negotiated: {
        extensions: new Map([
          [SSRC_AUDIO_LEVEL_URI, 1],
          [CSRC_AUDIO_LEVEL_URI, 5],
        ]),
      },
    };
    const bytes = serializeRtp({
      payloadType: 111,
      sequenceNumber: 1,
      timestamp: 4800,
      ssrc: 99,
      csrcs: [7, 8],
      extensions: [
        { id: 1, data: Uint8Array.of(0x80 | 6) },
        { id: 5, data: Uint8Array.of(0, 40) },
      ],
      payload: new Uint8Array(3),
    });
    tracker.onPacket(t, parseRtp(bytes)!, 1000);
    const ss = tracker.synchronizationSources(1, 1000);
    assert.ok(Math.abs(ss[0]!.audioLevel! - 10 ** (-6 / 20)) < 1e-12);
    const cs = tracker.contributingSources(1, 1000);
    assert.deepEqual(
      cs.map((c) => [c.source, c.audioLevel]),
      [
        [7, 1],
        [8, 0.01],
      ],
    );
    for (let i = 0; i < 100; i++) {
      tracker.onPacket(
        t,
        parseRtp(
          serializeRtp({
            payloadType: 111,
            sequenceNumber: i,
            timestamp: i,
            ssrc: 1000 + i,
            payload: new Uint8Array(1),
          }),
        )!,
        2000 + i,
      );
    }
    const all = tracker.synchronizationSources(1, 2100);
    assert.equal(all.length, MAX_SOURCES);
    assert.equal(all[0]!.source, 1099, "newest first");
    assert.equal(tracker.synchronizationSources(2, 2100).length, 0);
  });
});
