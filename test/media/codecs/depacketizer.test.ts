// RtpDepacketizer behaviour common to every codec: sequence number wrap, duplicates and late
// packets, the wait for a gap (nextTimeout/handleTimeout), the ring bound (overflow and frames
// larger than the ring), the event queue bound, joining mid-frame, size and malformed drops,
// frame ends inferred from a timestamp change, and the start delay for early reordering.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type DepacketizerEvent,
  OpusDepayloader,
  RtpDepacketizer,
  RtpPacketizer,
  type RtpPacketLike,
  Vp8Depayloader,
  Vp8Payloader,
} from "../../../src/media/codecs/index.js";
import { SeededRandom } from "../../../src/random.js";
import type { RtpPacketInit } from "../../../src/rtp/index.js";
import { run, vp8Frame } from "./harness.js";

function events(rx: RtpDepacketizer): DepacketizerEvent[] {
  const out: DepacketizerEvent[] = [];
  for (let e = rx.pollEvent(); e !== undefined; e = rx.pollEvent()) out.push(e);
  return out;
}
const kinds = (es: DepacketizerEvent[]): string[] =>
  es.map((e) =>
    e.type === "dropped"
      ? `dropped:${e.reason}:${e.packets}`
      : e.type === "frame"
        ? `frame:${e.frame.keyframe ? "key" : "delta"}`
        : e.type,
  );

function vp8Stream(seed: number, frames: number, size: number, keyEvery: number, seq = 0) {
  const rnd = new SeededRandom(seed);
  const tx = new RtpPacketizer({
    payloader: new Vp8Payloader(),
    payloadType: 96,
    ssrc: 1,
    maxPayloadSize: 200,
    sequenceNumber: seq,
    timestampOffset: 0,
  });
  const out: RtpPacketInit[][] = [];
  for (let i = 0; i < frames; i++) out.push(tx.packetize(vp8Frame(rnd, size, i % keyEvery === 0), i * 3000));
  return out;
}
const asLike = (p: RtpPacketInit): RtpPacketLike => ({
  sequenceNumber: p.sequenceNumber,
  timestamp: p.timestamp,
  marker: p.marker ?? false,
  payload: p.payload,
});

test("sequence numbers wrap; duplicates and late packets are counted, not emitted twice", () => {
  const rnd = new SeededRandom(1);
  const tx = new RtpPacketizer({
    payloader: new Vp8Payloader(),
    payloadType: 96,
    ssrc: 1,
    maxPayloadSize: 100,
    sequenceNumber: 65500,
  });
  const rx = new RtpDepacketizer(new Vp8Depayloader(), { startDelayMs: 0 });
  const frames = Array.from({ length: 30 }, (_, i) => ({ data: vp8Frame(rnd, 450, i === 0), ticks: i * 3000 }));
  const r = run(tx, rx, frames, rnd);
  assert.equal(r.frames.length, 30);
  assert.ok(
    r.sent.flat().some((p) => p.sequenceNumber === 0),
    "crossed the wrap",
  );
  const p0 = asLike(r.sent[29]![0]!);
  rx.push(p0, 10_000);
  assert.equal(rx.stats.late, 1);
  assert.equal(events(rx).length, 0);
  // A duplicate of a packet still waiting is counted as such.
  const rx2 = new RtpDepacketizer(new Vp8Depayloader(), { startDelayMs: 0 });
  const f = r.sent[0]!;
  rx2.push(asLike(f[0]!), 0);
  rx2.push(asLike(f[0]!), 1);
  assert.equal(rx2.stats.duplicates, 1);
  for (let k = 1; k < f.length; k++) rx2.push(asLike(f[k]!), 2);
  assert.deepEqual(kinds(events(rx2)), ["frame:key"]);
});

test("a gap waits maxWaitMs, then the broken frame is dropped and a keyframe requested", () => {
  const s = vp8Stream(2, 12, 500, 6);
  const rx = new RtpDepacketizer(new Vp8Depayloader(), { maxWaitMs: 200, startDelayMs: 0 });
  for (const p of s[0]!) rx.push(asLike(p), 0);
  assert.deepEqual(kinds(events(rx)), ["frame:key"]);
  assert.equal(rx.nextTimeout(), undefined);
  const f1 = s[1]!;
  for (const p of f1) if (p !== f1[1]) rx.push(asLike(p), 33);
  for (const p of s[2]!) rx.push(asLike(p), 66);
  assert.equal(rx.nextTimeout(), 33 + 200);
  rx.handleTimeout(232);
  assert.deepEqual(events(rx), []);
  rx.handleTimeout(233);
  assert.deepEqual(kinds(events(rx)), [
    `dropped:incomplete:${f1.length - 1}`,
    "keyframe-needed",
    `dropped:waiting-for-keyframe:${s[2]!.length}`,
  ]);
  assert.equal(rx.waitingForKeyframe, true);
  assert.equal(rx.nextTimeout(), undefined);
  // The missing packet arrives too late.
  rx.push(asLike(f1[1]!), 240);
  assert.equal(rx.stats.late, 1);
  for (let i = 3; i < 12; i++) for (const p of s[i]!) rx.push(asLike(p), 33 * i + 300);
  const after = kinds(events(rx));
  assert.deepEqual(after, [
    ...[3, 4, 5].map((i) => `dropped:waiting-for-keyframe:${s[i]!.length}`),
    "frame:key",
    ...[7, 8, 9, 10, 11].map(() => "frame:delta"),
  ]);
  assert.equal(rx.stats.keyframeRequests, 1);
});

test("the ring is bounded: overflow gives up on the gap without any timeout", () => {
  const s = vp8Stream(3, 40, 150, 5);
  const rx = new RtpDepacketizer(new Vp8Depayloader(), { capacity: 16, maxWaitMs: 1e9, startDelayMs: 0 });
  let max = 0;
  for (let i = 0; i < 40; i++)
    for (const p of s[i]!) {
      if (i === 2 && p === s[2]![0]) continue;
      rx.push(asLike(p), i);
      max = Math.max(max, rx.buffered);
    }
  assert.ok(max <= 16, `buffered ${max}`);
  const es = events(rx);
  const frames = es.filter((e) => e.type === "frame");
  // Frames 0 and 1, frame 2 lost whole, 3 and 4 held back, key frame 5 onwards.
  assert.equal(frames.length, 2 + 35, kinds(es).join(" "));
  assert.equal(rx.stats.framesDropped, 2);
  assert.ok(kinds(es).includes("keyframe-needed"));
});

test("a frame larger than the ring is dropped, and the stream recovers on the next key frame", () => {
  const rnd = new SeededRandom(4);
  const tx = new RtpPacketizer({ payloader: new Vp8Payloader(), payloadType: 96, ssrc: 1, maxPayloadSize: 100 });
  const rx = new RtpDepacketizer(new Vp8Depayloader(), { capacity: 16, startDelayMs: 0 });
  const big = tx.packetize(vp8Frame(rnd, 3000, true), 0);
  assert.ok(big.length > 16);
  for (const p of big) rx.push(asLike(p), 0);
  const small = tx.packetize(vp8Frame(rnd, 300, true), 3000);
  for (const p of small) rx.push(asLike(p), 33);
  const k = kinds(events(rx));
  assert.equal(k[k.length - 1], "frame:key", k.join(" "));
  assert.ok(k.some((x) => x.startsWith("dropped:incomplete")));
  assert.ok(rx.buffered === 0);
});

test("events are bounded; maxFrameBytes; malformed packet drops its frame", () => {
  const rx = new RtpDepacketizer(new OpusDepayloader(), { maxQueuedEvents: 4 });
  for (let i = 0; i < 10; i++)
    rx.push({ sequenceNumber: i, timestamp: i * 960, marker: false, payload: Uint8Array.of(0xfc, i) }, i);
  const es = events(rx);
  assert.equal(es.length, 4);
  assert.equal(rx.stats.eventsDropped, 6);
  assert.equal(es[0]!.type === "frame" && es[0]!.frame.data[1], 6);

  const s = vp8Stream(5, 3, 500, 1);
  const small = new RtpDepacketizer(new Vp8Depayloader(), { maxFrameBytes: 100, startDelayMs: 0 });
  for (const p of s[0]!) small.push(asLike(p), 0);
  assert.deepEqual(kinds(events(small)), [`dropped:too-large:${s[0]!.length}`, "keyframe-needed"]);

  const bad = new RtpDepacketizer(new Vp8Depayloader(), { startDelayMs: 0 });
  for (const p of s[0]!) bad.push(asLike(p), 0);
  const f1 = s[1]!.map(asLike);
  f1[1] = { ...f1[1]!, payload: Uint8Array.of(0x80) }; // X set, no extension byte
  for (const p of f1) bad.push(p, 1);
  for (const p of s[2]!) bad.push(asLike(p), 2);
  assert.deepEqual(kinds(events(bad)), ["frame:key", `dropped:malformed:${f1.length}`, "keyframe-needed", "frame:key"]);
  assert.equal(bad.stats.malformedPackets, 1);
});

test("joining mid-frame: the tail is dropped after the wait, then the next key frame plays", () => {
  const s = vp8Stream(6, 6, 600, 3);
  const rx = new RtpDepacketizer(new Vp8Depayloader(), { maxWaitMs: 100 });
  const tail = s[0]!.slice(2);
  for (const p of tail) rx.push(asLike(p), 0);
  for (let i = 1; i < 6; i++) for (const p of s[i]!) rx.push(asLike(p), i * 40);
  const k = kinds(events(rx));
  assert.equal(k[0], `dropped:incomplete:${tail.length}`, k.join(" "));
  assert.deepEqual(
    k.filter((x) => x.startsWith("frame")),
    ["frame:key", "frame:delta", "frame:delta"],
  );
});

test("a frame whose marker is missing ends where the timestamp changes", () => {
  const s = vp8Stream(7, 3, 500, 1);
  const rx = new RtpDepacketizer(new Vp8Depayloader(), { startDelayMs: 0 });
  for (const p of s[0]!) rx.push({ ...asLike(p), marker: false }, 0);
  assert.deepEqual(events(rx), []);
  rx.push(asLike(s[1]![0]!), 1);
  assert.deepEqual(kinds(events(rx)), ["frame:key"]);
});

test("start delay: packets reordered before the first frame are not lost", () => {
  const s = vp8Stream(8, 2, 500, 1);
  for (const delay of [0, 30]) {
    const rx = new RtpDepacketizer(new Vp8Depayloader(), { startDelayMs: delay });
    for (const p of s[1]!) rx.push(asLike(p), 0);
    for (const p of s[0]!) rx.push(asLike(p), 10);
    if (delay > 0) {
      assert.equal(rx.nextTimeout(), 30);
      rx.handleTimeout(30);
    }
    const k = kinds(events(rx));
    assert.deepEqual(
      k.filter((x) => x.startsWith("frame")).length,
      delay > 0 ? 2 : 1,
      `delay ${delay}: ${k.join(" ")}`,
    );
  }
});

test("a key frame paced over longer than maxWaitMs, with no hole, is not given up", () => {
  const rnd = new SeededRandom(9);
  const tx = new RtpPacketizer({ payloader: new Vp8Payloader(), payloadType: 96, ssrc: 1, maxPayloadSize: 1000 });
  const rx = new RtpDepacketizer(new Vp8Depayloader(), { maxWaitMs: 100, startDelayMs: 0 });
  const big = tx.packetize(vp8Frame(rnd, 100_000, true), 0);
  assert.ok(big.length > 50);
  // One packet every 20 ms: two seconds for the frame.
  big.forEach((p, i) => {
    rx.push(asLike(p), i * 20);
    assert.equal(rx.nextTimeout(), undefined, `packet ${i}: no hole, no timer`);
  });
  assert.deepEqual(kinds(events(rx)), ["frame:key"]);
  // The same with one packet missing: the hole starts the timer, and the frame goes after 100 ms.
  const again = tx.packetize(vp8Frame(rnd, 100_000, true), 3000);
  again.forEach((p, i) => {
    if (i !== 10) rx.push(asLike(p), 5000 + i * 20);
  });
  const es = events(rx);
  assert.ok(es[0]!.type === "dropped" && es[0]!.reason === "incomplete");
  assert.equal(es.filter((e) => e.type === "frame").length, 0);
  let dropped = 0;
  for (const e of es) if (e.type === "dropped") dropped += e.packets;
  assert.equal(dropped, again.length - 1);
});

test("padding-only packets (empty payloads) between and inside frames are skipped, not losses", () => {
  const s = vp8Stream(10, 6, 500, 100);
  const rx = new RtpDepacketizer(new Vp8Depayloader(), { startDelayMs: 0 });
  let seq = 100;
  const stream: RtpPacketLike[] = [];
  s.forEach((frame, i) => {
    frame.forEach((p, k) => {
      stream.push({ ...asLike(p), sequenceNumber: seq++ });
      if (i === 2 && k === 0)
        stream.push({ sequenceNumber: seq++, timestamp: p.timestamp, marker: false, payload: new Uint8Array(0) });
    });
    // Probing padding after each frame, with the frame's timestamp.
    for (let k = 0; k < 3; k++)
      stream.push({ sequenceNumber: seq++, timestamp: frame[0]!.timestamp, marker: false, payload: new Uint8Array(0) });
  });
  // Deliver with some reordering.
  for (let i = 0; i + 1 < stream.length; i += 4) [stream[i], stream[i + 1]] = [stream[i + 1]!, stream[i]!];
  for (let i = 0; i < stream.length; i++) rx.push(stream[i]!, i);
  rx.handleTimeout(10_000);
  assert.deepEqual(kinds(events(rx)), ["frame:key", ...Array(5).fill("frame:delta")]);
  assert.equal(rx.stats.paddingPackets, 19);
  assert.equal(rx.stats.framesDropped, 0);
  assert.equal(rx.stats.keyframeRequests, 0);
  assert.equal(rx.buffered, 0);
});
