// Received telephone-event packets are network input: random payloads, payload types, SSRCs,
// markers and timestamps through MediaDtmf.receive never throw and count malformed payloads;
// every report is counted (eventsReceived equals the events seen); per SSRC, no two reports in a
// row name the same (timestamp, event) (at most one event per (SSRC, timestamp) run) and reported
// timestamps never go back by less than an event span (serial order: older packets are ignored,
// a jump further back is a new event); at most 64 remote SSRCs are
// kept. Cases: a reordered end packet of an earlier event is not reported again, and a long
// telephone-event/8000 event in a 48 kHz stream spanning segments (RFC 4733 2.5.1.3) is one event.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type DtmfEvent, MediaDtmf } from "../../src/peer/media-dtmf.js";
import { SeededRandom } from "../../src/random.js";
import { parseRtp, serializeRtp } from "../../src/rtp/index.js";
import { decodeTelephoneEvent, encodeTelephoneEvent } from "../../src/rtp/telephone-event.js";

const codec = (payloadType: number, mimeType: string, clockRate: number) => ({
  payloadType,
  mimeType,
  clockRate,
  channels: undefined,
  sdpFmtpLine: "",
  feedback: [],
  rtxPayloadType: undefined,
});

function receiver(teRate: number) {
  const t = {
    id: 1,
    kind: "audio" as const,
    stopped: false,
    currentDirection: "recvonly",
    negotiated: { codecs: [codec(111, "audio/opus", 48000), codec(110, "audio/telephone-event", teRate)] },
    sendCodec: undefined,
  };
  return { t, dtmf: new MediaDtmf(() => t) };
}

function packet(o: {
  ssrc: number;
  timestamp: number;
  marker: boolean;
  event: number;
  end: boolean;
  duration: number;
}) {
  const payload = encodeTelephoneEvent({ event: o.event, end: o.end, volume: 10, duration: o.duration });
  return parseRtp(
    serializeRtp({
      payloadType: 110,
      sequenceNumber: 1,
      timestamp: o.timestamp,
      ssrc: o.ssrc,
      marker: o.marker,
      payload,
    }),
  )!;
}

function drain(dtmf: MediaDtmf, into: DtmfEvent[]): void {
  for (let e = dtmf.pollEvent(); e; e = dtmf.pollEvent()) into.push(e);
}

describe("telephone-event receipt", () => {
  for (const seed of [1, 2, 3]) {
    it(`survives random input; one report per run, in serial order; bounded SSRCs (seed ${seed})`, () => {
      const r = new SeededRandom(seed);
      const { t, dtmf } = receiver(48000);
      let malformed = 0;
      const events: DtmfEvent[] = [];
      // Phase 1: 50 SSRCs (under the bound, so no SSRC's state is evicted): order properties.
      // Phase 2: 200 SSRCs: the bound.
      for (let i = 0; i < 40_000; i++) {
        const ssrcs = i < 20_000 ? 50 : 200;
        const len = r.u32() % 13;
        const payload = r.bytes(len);
        const pt = r.u32() % 4 === 0 ? 111 : 110;
        const p = parseRtp(
          serializeRtp({
            payloadType: pt,
            sequenceNumber: i & 0xffff,
            timestamp: r.u32() % 8 === 0 ? r.u32() : ((i >> 4) * 960 + (r.u32() % 3) * 960) >>> 0,
            ssrc: r.u32() % ssrcs,
            marker: r.u32() % 2 === 0,
            payload,
          }),
        )!;
        const consumed = dtmf.receive(t, p, i);
        assert.equal(consumed, pt === 110, `seed ${seed} packet ${i}`);
        if (pt === 110 && !decodeTelephoneEvent(payload)) malformed++;
        assert.ok(dtmf.remoteSsrcCount <= 64, `seed ${seed} packet ${i}: ${dtmf.remoteSsrcCount} remote SSRCs`);
        if (i === 19_999) {
          drain(dtmf, events);
          const last = new Map<number, DtmfEvent & { type: "dtmf" }>();
          for (const e of events) {
            assert.equal(e.type, "dtmf");
            if (e.type !== "dtmf") continue;
            const prev = last.get(e.ssrc);
            if (prev) {
              assert.ok(
                prev.rtpTimestamp !== e.rtpTimestamp || prev.event !== e.event,
                `seed ${seed}: SSRC ${e.ssrc} reported (${e.rtpTimestamp}, ${e.event}) twice in a row`,
              );
              // Back only by more than an event's span (65536 ticks here): a jump, a new event.
              const back = (prev.rtpTimestamp - e.rtpTimestamp) | 0;
              assert.ok(
                back <= 0 || back > 0x10000,
                `seed ${seed}: SSRC ${e.ssrc} went back from ${prev.rtpTimestamp} to ${e.rtpTimestamp}`,
              );
            }
            last.set(e.ssrc, e);
          }
          assert.ok(events.length > 100, `seed ${seed}: ${events.length} events`);
          assert.ok(dtmf.stats.stale > 0, `seed ${seed}: older packets were seen and ignored`);
        } else if (i % 16 === 0) drain(dtmf, events); // the event queue holds 64
      }
      drain(dtmf, events);
      assert.equal(dtmf.stats.malformed, malformed, `seed ${seed}`);
      assert.equal(dtmf.stats.queueDrops, 0, `seed ${seed}`);
      assert.equal(dtmf.stats.eventsReceived, events.length, `seed ${seed}: every report counted`);
      assert.equal(dtmf.remoteSsrcCount, 64, `seed ${seed}: the bound was reached and held`);
    });
  }

  it("a reordered end packet of an earlier event is not reported again", () => {
    const { t, dtmf } = receiver(48000);
    const ssrc = 5;
    dtmf.receive(t, packet({ ssrc, timestamp: 1000, marker: true, event: 1, end: false, duration: 2400 }), 0);
    dtmf.receive(t, packet({ ssrc, timestamp: 20_000, marker: true, event: 2, end: false, duration: 2400 }), 0);
    // Event 1's end packet arrives late, after event 2 started.
    dtmf.receive(t, packet({ ssrc, timestamp: 1000, marker: false, event: 1, end: true, duration: 4800 }), 0);
    const events: DtmfEvent[] = [];
    drain(dtmf, events);
    assert.deepEqual(
      events.map((e) => (e.type === "dtmf" ? [e.rtpTimestamp, e.tone] : [])),
      [
        [1000, "1"],
        [20_000, "2"],
      ],
    );
    assert.equal(dtmf.stats.stale, 1);
  });

  it("the stale check is bounded: a jump of 2^31+1 ticks back, or a long silence, starts a new event", () => {
    const { t, dtmf } = receiver(48000);
    const ssrc = 7;
    dtmf.receive(t, packet({ ssrc, timestamp: 0, marker: true, event: 1, end: true, duration: 4800 }), 0);
    // 2^31+1 ticks later (12.4 h at 48 kHz): serially "older" by 2^31-1, far beyond an event's span.
    dtmf.receive(t, packet({ ssrc, timestamp: 0x8000_0001, marker: true, event: 2, end: true, duration: 4800 }), 100);
    // A jump back by more than an event's span, still within the forget time.
    dtmf.receive(t, packet({ ssrc, timestamp: 0xff00_0000, marker: true, event: 3, end: true, duration: 4800 }), 200);
    // A reordered packet just before event 3 (within its span): stale.
    dtmf.receive(t, packet({ ssrc, timestamp: 0xfeff_f000, marker: true, event: 4, end: true, duration: 4800 }), 300);
    // The same slightly older timestamp after 6 s without events: the last event was forgotten.
    dtmf.receive(t, packet({ ssrc, timestamp: 0xfeff_f000, marker: true, event: 5, end: true, duration: 4800 }), 6300);
    const events: DtmfEvent[] = [];
    drain(dtmf, events);
    assert.deepEqual(
      events.map((e) => (e.type === "dtmf" ? e.tone : "")),
      ["1", "2", "3", "5"],
    );
    assert.equal(dtmf.stats.stale, 1);
  });

  it("an 8 kHz event in a 48 kHz stream spanning segments is one event", () => {
    const { t, dtmf } = receiver(8000);
    const ssrc = 6;
    const start = 0xfff0_0000;
    // First segment: 0xFFFF ticks at 8 kHz (8.2 s); the next starts 0xFFFF * 6 stream ticks later.
    dtmf.receive(t, packet({ ssrc, timestamp: start, marker: true, event: 5, end: false, duration: 0xffff }), 0);
    const next = (start + 0xffff * 6) >>> 0;
    dtmf.receive(t, packet({ ssrc, timestamp: next, marker: false, event: 5, end: false, duration: 400 }), 0);
    dtmf.receive(t, packet({ ssrc, timestamp: next, marker: false, event: 5, end: true, duration: 800 }), 0);
    const events: DtmfEvent[] = [];
    drain(dtmf, events);
    assert.equal(events.length, 1, JSON.stringify(events));
    assert.equal(dtmf.stats.eventsReceived, 1);
  });
});
