// Received telephone-event packets are network input: random payloads, payload types, SSRCs,
// markers and timestamps through MediaDtmf.receive never throw, report at most one event per
// (SSRC, timestamp) run, count malformed payloads, and keep at most 64 remote SSRCs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MediaDtmf } from "../../src/peer/media-dtmf.js";
import { SeededRandom } from "../../src/random.js";
import { parseRtp, serializeRtp } from "../../src/rtp/index.js";
import { decodeTelephoneEvent } from "../../src/rtp/telephone-event.js";

const codec = (payloadType: number, mimeType: string, clockRate: number) => ({
  payloadType,
  mimeType,
  clockRate,
  channels: undefined,
  sdpFmtpLine: "",
  feedback: [],
  rtxPayloadType: undefined,
});

test("telephone-event receipt survives random input", () => {
  for (const seed of [1, 2, 3]) {
    const r = new SeededRandom(seed);
    const t = {
      id: 1,
      kind: "audio" as const,
      stopped: false,
      currentDirection: "recvonly",
      negotiated: { codecs: [codec(111, "audio/opus", 48000), codec(110, "audio/telephone-event", 48000)] },
      sendCodec: undefined,
    };
    const dtmf = new MediaDtmf(() => t);
    let te = 0;
    let malformed = 0;
    for (let i = 0; i < 20_000; i++) {
      const len = r.u32() % 13;
      const payload = r.bytes(len);
      const pt = r.u32() % 4 === 0 ? 111 : 110;
      const bytes = serializeRtp({
        payloadType: pt,
        sequenceNumber: i & 0xffff,
        timestamp: r.u32() % 8 === 0 ? r.u32() : (i >> 4) * 960,
        ssrc: r.u32() % 100,
        marker: r.u32() % 2 === 0,
        payload,
      });
      const consumed = dtmf.receive(t, parseRtp(bytes)!);
      assert.equal(consumed, pt === 110, `seed ${seed} packet ${i}`);
      if (pt === 110) {
        te++;
        if (!decodeTelephoneEvent(payload)) malformed++;
      }
    }
    assert.equal(dtmf.stats.malformed, malformed, `seed ${seed}`);
    let events = 0;
    for (let e = dtmf.pollEvent(); e; e = dtmf.pollEvent()) {
      assert.equal(e.type, "dtmf");
      events++;
    }
    assert.ok(events <= 64, `seed ${seed}: the event queue is bounded (${events})`);
    assert.ok(dtmf.stats.eventsReceived <= te - malformed, `seed ${seed}`);
    assert.ok(dtmf.stats.eventsReceived > 0, `seed ${seed}`);
  }
});
