// Codec micro-benchmark: CPU microseconds per frame to packetize (payloader + RTP header
// serialisation) and to depacketize (RTP parse + frame assembly), and the resulting MB/s of
// frame bytes, for each codec at a typical frame size; werift's depacketizers for VP8 and H.264
// on the same packets for comparison (when the werift devDependency is installed; it only strips
// the payload headers and joins the payloads, with no reordering or loss handling).
// Run: node dist/bench/codecs.js [--rounds=N] [--frames=N] [--wall]
import { createRequire } from "node:module";
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
  RtpDepacketizer,
  RtpPacketizer,
  Vp8Depayloader,
  Vp8Payloader,
  Vp9Depayloader,
  Vp9Payloader,
} from "../src/media/codecs/index.js";
import { SeededRandom } from "../src/random.js";
import { parseRtp, serializeRtp } from "../src/rtp/index.js";

const arg = (name: string, dflt: number): number => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split("=")[1]) : dflt;
};
const ROUNDS = arg("rounds", 15);
const FRAMES = arg("frames", 200);
const WALL = process.argv.includes("--wall");

/** Best CPU (or wall) microseconds per call of fn(i) for i in [0, FRAMES) over ROUNDS rounds. */
function measure(setup: () => (i: number) => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < ROUNDS + 2; r++) {
    const fn = setup();
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < FRAMES; i++) fn(i);
    const wall = Number(process.hrtime.bigint() - t0) / 1000;
    const c = process.cpuUsage(c0);
    const us = (WALL ? wall : c.user + c.system) / FRAMES;
    if (r >= 2 && us < best) best = us;
  }
  return best;
}

let sink = 0;
const rnd = new SeededRandom(1);

function videoFrame(size: number, kind: string): Uint8Array {
  const b = rnd.bytes(size);
  for (let i = 0; i < size; i++) if (b[i] === 0) b[i] = 1;
  if (kind === "h264") {
    b.set([0, 0, 0, 1, 0x41], 0);
  } else if (kind === "av1") {
    b.set([0x12, 0x00, 0x32], 0);
    let n = size - 5;
    let o = 3;
    // Two-byte leb128 would not hold large frames: write a 2-byte size for frames under 16 KiB.
    n = Math.min(n, 16383);
    b[o++] = (n & 0x7f) | 0x80;
    b[o++] = n >>> 7;
    return b.subarray(0, o + n);
  } else if (kind === "vp9") b[0] = 0x86;
  else b[0] = 0x11;
  return b;
}

interface Case {
  name: string;
  size: number;
  payloader: () => CodecPayloader;
  depayloader: () => CodecDepayloader;
  frame: () => Uint8Array;
  ticks: number;
}

const CASES: Case[] = [
  {
    name: "opus 120 B",
    size: 120,
    payloader: () => new OpusPayloader(),
    depayloader: () => new OpusDepayloader(),
    frame: () => rnd.bytes(120),
    ticks: 960,
  },
  {
    name: "pcmu 160 B",
    size: 160,
    payloader: () => new G711Payloader(),
    depayloader: () => new G711Depayloader(),
    frame: () => rnd.bytes(160),
    ticks: 160,
  },
  {
    name: "vp8 12 KB",
    size: 12000,
    payloader: () => new Vp8Payloader(),
    depayloader: () => new Vp8Depayloader(),
    frame: () => videoFrame(12000, "vp8"),
    ticks: 3000,
  },
  {
    name: "vp9 12 KB",
    size: 12000,
    payloader: () => new Vp9Payloader(),
    depayloader: () => new Vp9Depayloader(),
    frame: () => videoFrame(12000, "vp9"),
    ticks: 3000,
  },
  {
    name: "h264 12 KB",
    size: 12000,
    payloader: () => new H264Payloader(),
    depayloader: () => new H264Depayloader(),
    frame: () => videoFrame(12000, "h264"),
    ticks: 3000,
  },
  {
    name: "av1 12 KB",
    size: 12000,
    payloader: () => new Av1Payloader(),
    depayloader: () => new Av1Depayloader(),
    frame: () => videoFrame(12000, "av1"),
    ticks: 3000,
  },
];

interface Row {
  name: string;
  packetize: number;
  depacketize: number;
  bytes: number;
}

function bench(c: Case): { row: Row; wire: Uint8Array[][] } {
  const frames = Array.from({ length: FRAMES }, () => c.frame());
  const bytes = frames[0]!.length;
  const packetize = measure(() => {
    const tx = new RtpPacketizer({ payloader: c.payloader(), payloadType: 96, ssrc: 1 });
    return (i) => {
      for (const p of tx.packetize(frames[i]!, i * c.ticks)) sink += serializeRtp(p).length;
    };
  });
  const tx = new RtpPacketizer({ payloader: c.payloader(), payloadType: 96, ssrc: 1 });
  const wire = frames.map((f, i) => tx.packetize(f, i * c.ticks).map((p) => serializeRtp(p)));
  const depacketize = measure(() => {
    // Keyframes are not what is measured: let every frame through.
    const rx = new RtpDepacketizer(c.depayloader(), { requireKeyframe: false, startDelayMs: 0 });
    return (i) => {
      for (const d of wire[i]!) rx.push(parseRtp(d)!, i);
      for (let e = rx.pollEvent(); e !== undefined; e = rx.pollEvent())
        if (e.type === "frame") sink += e.frame.data.length;
    };
  });
  return { row: { name: c.name, packetize, depacketize, bytes }, wire };
}

interface WeriftCodecs {
  Vp8RtpPayload: { deSerialize(b: Buffer): { payload: Buffer } };
  H264RtpPayload: { deSerialize(b: Buffer, fragment?: Buffer): { payload: Buffer; fragment?: Buffer } };
}

function loadWerift(): WeriftCodecs | undefined {
  try {
    return createRequire(import.meta.url)("werift") as WeriftCodecs;
  } catch {
    return undefined;
  }
}

const rows: Row[] = [];
const others: { name: string; depacketize: number }[] = [];
const werift = loadWerift();
for (const c of CASES) {
  const { row, wire } = bench(c);
  rows.push(row);
  if (werift && c.name.startsWith("vp8")) {
    others.push({
      name: `werift ${c.name}`,
      depacketize: measure(() => (i) => {
        const parts: Buffer[] = [];
        for (const d of wire[i]!) parts.push(werift.Vp8RtpPayload.deSerialize(parseRtp(d)!.payload as Buffer).payload);
        sink += Buffer.concat(parts).length;
      }),
    });
  }
  if (werift && c.name.startsWith("h264")) {
    others.push({
      name: `werift ${c.name}`,
      depacketize: measure(() => (i) => {
        const parts: Buffer[] = [];
        let fragment: Buffer | undefined;
        for (const d of wire[i]!) {
          const p = werift.H264RtpPayload.deSerialize(parseRtp(d)!.payload as Buffer, fragment);
          fragment = p.fragment;
          if (p.payload) parts.push(p.payload);
        }
        sink += Buffer.concat(parts).length;
      }),
    });
  }
}

const fmt = (n: number): string => (n < 10 ? n.toFixed(2) : n.toFixed(1));
console.log(
  `codec RTP payload formats, ${WALL ? "wall" : "CPU"} microseconds per frame (best of ${ROUNDS} rounds of ${FRAMES} frames)`,
);
console.log("case            packetize  depacketize   MB/s out  MB/s in");
for (const r of rows) {
  const mbOut = r.bytes / r.packetize;
  const mbIn = r.bytes / r.depacketize;
  console.log(
    `${r.name.padEnd(15)} ${fmt(r.packetize).padStart(9)} ${fmt(r.depacketize).padStart(12)} ${fmt(mbOut).padStart(10)} ${fmt(mbIn).padStart(8)}`,
  );
}
for (const o of others) {
  const ours = rows.find((r) => o.name.endsWith(r.name))!;
  console.log(
    `${o.name.padEnd(22)} depacketize ${fmt(o.depacketize)} us (petrel/werift ${(ours.depacketize / o.depacketize).toFixed(2)}; werift does no frame assembly)`,
  );
}
if (sink === 42) console.log("");
