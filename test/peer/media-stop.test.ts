// A stopped transceiver (RFC 8829 4.2.1) lets go of its per-transceiver state in the media
// session at once: the sources heard on it (webrtc-pc 5.3.4 getSynchronizationSources is empty)
// and its DTMF playout (tone buffer cleared, no DTMF deadline left), next to the pacer's queue.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { makeMediaPair } from "./media-pair.js";

describe("stopped transceiver", () => {
  for (const seed of [1, 2]) {
    it(`forgets its sources and DTMF playout (seed ${seed})`, () => {
      const p = makeMediaPair(seed);
      for (let seq = 100; seq < 103; seq++) {
        const payload = new Uint8Array([0xfc, 1]);
        assert.ok(
          p.a.sendRtp(p.ids.aAudio, { sequenceNumber: seq, timestamp: seq * 960, payload, csrcs: [7] }, p.net.now),
        );
        p.kick();
        p.net.run({ untilTime: p.net.now + 20, maxSteps: 100_000 });
      }
      assert.equal(p.b.sources.synchronizationSources(p.ids.bAudio, p.net.now).length, 1, `seed ${seed}`);
      assert.equal(p.b.sources.contributingSources(p.ids.bAudio, p.net.now).length, 1, `seed ${seed}`);
      p.b.stopTransceiver(p.ids.bAudio, p.net.now);
      assert.deepEqual(p.b.sources.synchronizationSources(p.ids.bAudio, p.net.now), [], `seed ${seed}`);
      assert.deepEqual(p.b.sources.contributingSources(p.ids.bAudio, p.net.now), [], `seed ${seed}`);

      const t = p.a.transceiver(p.ids.aAudio);
      p.a.dtmf.insert(t, "1234", 100, 70, p.net.now);
      assert.equal(p.a.dtmf.toneBuffer(t.id), "1234");
      assert.ok(p.a.dtmf.nextTimeout() !== undefined);
      p.a.stopTransceiver(t.id, p.net.now);
      assert.equal(p.a.dtmf.toneBuffer(t.id), "", `seed ${seed}: tone buffer cleared`);
      assert.equal(p.a.dtmf.nextTimeout(), undefined, `seed ${seed}: no DTMF deadline`);
    });
  }
});
