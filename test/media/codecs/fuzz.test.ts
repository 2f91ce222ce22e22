// Malformed input never throws: about 50,000 mutated payloads (bit flips, overwrites,
// truncations, extensions, splices, random bytes) of valid packets of every codec through the
// descriptor/OBU/NAL parsers, inspect() and assemble(), and mutated packet streams (random
// sequence jumps, markers, timestamps, duplicates) through RtpDepacketizer, whose ring and event
// queue must stay within their bounds.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Av1Depayloader,
  Av1Payloader,
  type CodecDepayloader,
  type CodecPayloader,
  G711Depayloader,
  G711Payloader,
  H264Depayloader,
  H264Payloader,
  OpusDepayloader,
  OpusPayloader,
  opusPacketSamples,
  parseObus,
  parseVp8Descriptor,
  parseVp9Descriptor,
  parseVp9FrameHeader,
  RtpDepacketizer,
  splitAnnexB,
  Vp8Depayloader,
  Vp8Payloader,
  Vp9Depayloader,
  Vp9Payloader,
} from "../../../src/media/codecs/index.js";
import type { Random } from "../../../src/random.js";
import { SeededRandom } from "../../../src/random.js";
import { av1TemporalUnit, h264AccessUnit, vp8Frame, vp9Frame } from "./harness.js";

interface Codec {
  name: string;
  pay: CodecPayloader;
  depay: CodecDepayloader;
  frame: (rnd: Random, size: number, key: boolean) => Uint8Array;
}

const CODECS: Codec[] = [
  {
    name: "opus",
    pay: new OpusPayloader(),
    depay: new OpusDepayloader(),
    frame: (r, n) => r.bytes(Math.min(n, 200) + 1),
  },
  { name: "g711", pay: new G711Payloader(), depay: new G711Depayloader(), frame: (r) => r.bytes(160) },
  { name: "vp8", pay: new Vp8Payloader(), depay: new Vp8Depayloader(), frame: vp8Frame },
  { name: "vp9", pay: new Vp9Payloader(), depay: new Vp9Depayloader(), frame: vp9Frame },
  { name: "vp9f", pay: new Vp9Payloader({ flexible: true }), depay: new Vp9Depayloader(), frame: vp9Frame },
  {
    name: "h264",
    pay: new H264Payloader(),
    depay: new H264Depayloader(),
    frame: (r, n, k) => h264AccessUnit(r, [n, 30, 10], k),
  },
  {
    name: "av1",
    pay: new Av1Payloader(),
    depay: new Av1Depayloader(),
    frame: (r, n, k) => av1TemporalUnit(r, n, k),
  },
];

function corpus(c: Codec, rnd: Random): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const size of [5, 60, 400, 1500])
    for (const key of [true, false]) out.push(...c.pay.payload(c.frame(rnd, size, key), c.pay.video ? 120 : 1200));
  return out;
}

function mutate(rnd: Random, src: Uint8Array, other: Uint8Array): Uint8Array {
  const kind = rnd.int(7);
  const b = Uint8Array.from(src);
  switch (kind) {
    case 0:
      for (let k = 0, n = 1 + rnd.int(3); k < n && b.length > 0; k++) b[rnd.int(b.length)]! ^= 1 << rnd.int(8);
      return b;
    case 1:
      for (let k = 0, n = 1 + rnd.int(4); k < n && b.length > 0; k++) b[rnd.int(Math.min(b.length, 8))] = rnd.int(256);
      return b;
    case 2:
      return b.subarray(0, rnd.int(b.length + 1));
    case 3: {
      const out = new Uint8Array(b.length + 1 + rnd.int(8));
      out.set(b);
      rnd.fill(out.subarray(b.length));
      return out;
    }
    case 4: {
      const cut = rnd.int(b.length + 1);
      const from = rnd.int(other.length + 1);
      const out = new Uint8Array(cut + other.length - from);
      out.set(b.subarray(0, cut));
      out.set(other.subarray(from), cut);
      return out;
    }
    case 5:
      return rnd.bytes(rnd.int(12));
    default:
      if (b.length > 0) b[0] = rnd.int(256);
      return b;
  }
}

test("mutated payloads never throw in parsers, inspect() or assemble() (7 codecs x 5,000)", () => {
  const rnd = new SeededRandom(2024);
  let assembled = 0;
  for (const c of CODECS) {
    const valid = corpus(c, rnd);
    for (let i = 0; i < 5000; i++) {
      const a = valid[rnd.int(valid.length)]!;
      const m = mutate(rnd, a, valid[rnd.int(valid.length)]!);
      try {
        const f = c.depay.inspect(m);
        assert.ok(f === -1 || (f >= 0 && f <= 7), `${c.name}: inspect -> ${f}`);
        const single = c.depay.assemble([m], 1);
        if (single !== undefined) {
          assert.ok(single.data instanceof Uint8Array);
          assembled++;
        }
        const k = rnd.int(valid.length);
        const run = [valid[k]!, m, valid[(k + 1) % valid.length]!];
        c.depay.assemble(run, 1 + rnd.int(3));
        parseVp8Descriptor(m);
        parseVp9Descriptor(m);
        parseVp9FrameHeader(m);
        parseObus(m);
        splitAnnexB(m);
        opusPacketSamples(m);
      } catch (err) {
        assert.fail(`${c.name} iteration ${i} payload ${Buffer.from(m).toString("hex")}: ${(err as Error).stack}`);
      }
    }
  }
  assert.ok(assembled > 1000, `some mutations still assemble (${assembled})`);
});

test("mutated packet streams never throw and stay within the ring and event bounds (7 codecs x 2,500)", () => {
  for (const c of CODECS) {
    const rnd = new SeededRandom(7 + c.name.length);
    const valid = corpus(c, rnd);
    const rx = new RtpDepacketizer(c.depay, { capacity: 64, maxQueuedEvents: 32, maxWaitMs: 50 });
    let seq = rnd.int(65536);
    let ts = rnd.u32();
    let now = 0;
    for (let i = 0; i < 2500; i++) {
      const r = rnd.float();
      if (r < 0.05) seq = rnd.int(65536);
      else if (r < 0.1) seq = (seq - rnd.int(40)) & 0xffff;
      else if (r < 0.85) seq = (seq + 1) & 0xffff;
      if (rnd.float() < 0.2) ts = (ts + rnd.int(6000)) >>> 0;
      const src = valid[rnd.int(valid.length)]!;
      const payload = rnd.float() < 0.5 ? src : mutate(rnd, src, valid[rnd.int(valid.length)]!);
      now += rnd.int(20);
      try {
        rx.push({ sequenceNumber: seq, timestamp: ts, marker: rnd.float() < 0.3, payload }, now);
        if (rnd.float() < 0.1) rx.handleTimeout(rx.nextTimeout() ?? now);
        if (rnd.float() < 0.3) for (let e = rx.pollEvent(); e !== undefined; e = rx.pollEvent());
      } catch (err) {
        assert.fail(`${c.name} packet ${i}: ${(err as Error).stack}`);
      }
      assert.ok(rx.buffered <= 64, `${c.name}: ${rx.buffered} buffered`);
    }
    let events = 0;
    for (let e = rx.pollEvent(); e !== undefined; e = rx.pollEvent()) events++;
    assert.ok(events <= 32, c.name);
    assert.ok(rx.stats.packets === 2500, c.name);
  }
});
