// Interop with a real encoder and a real packetizer: ffmpeg (libvpx VP8/VP9, x264, libopus,
// G.711) encodes a test pattern to a file, then sends that file as RTP over loopback UDP (its
// own RFC 7741 / RFC 9628 / RFC 6184 / RFC 7587 / RFC 3551 packetizers); our depacketizer must
// give back exactly the frames in the file, with key frames where the encoder put them. And the
// other way: our packetizers send those frames to ffmpeg (reading an SDP), whose depacketizers
// must write the same frames back to a file.
// AV1 (no RTP support in this ffmpeg): libaom's temporal units through our packetizer, a lossy
// reordering channel and our depacketizer, OBU for OBU.
// Skips without ffmpeg (fails under CI's PETREL_REQUIRE_INTEROP=1).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  Av1Depayloader,
  Av1Payloader,
  type CodecDepayloader,
  type CodecPayloader,
  G711Depayloader,
  G711Payloader,
  H264Depayloader,
  H264Payloader,
  isVp8Keyframe,
  nalType,
  OpusDepayloader,
  opusPacketSamples,
  parseObus,
  parseVp9FrameHeader,
  type ReceivedFrame,
  RtpDepacketizer,
  RtpPacketizer,
  splitAnnexB,
  Vp8Depayloader,
  Vp8Payloader,
  Vp9Depayloader,
  Vp9Payloader,
} from "../../../src/media/codecs/index.js";
import { SeededRandom } from "../../../src/random.js";
import { parseRtp, serializeRtp } from "../../../src/rtp/index.js";
import { freePort, requireTool } from "../../interop/tools.js";
import { assertBytes, run } from "./harness.js";

/** Runs ffmpeg to completion; killed (and failing) after 15 s. */
function ffmpeg(bin: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, ["-hide_banner", "-loglevel", process.env.FFLOG ?? "error", "-nostdin", ...args], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    const timer = setTimeout(() => {
      err += "(killed after 15 s)";
      p.kill("SIGKILL");
    }, 15_000);
    p.stderr.on("data", (d) => {
      err += d;
    });
    p.on("error", reject);
    p.on("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`ffmpeg ${args.join(" ")}: exit ${code}: ${err}`));
    });
  });
}

/** Runs ffmpeg sending RTP to a loopback socket; resolves with the datagrams once it has exited and they are read. */
async function receiveRtp(bin: string, args: (url: string) => string[]) {
  const sock = createSocket("udp4");
  const got: Uint8Array[] = [];
  sock.on("message", (m) => got.push(m));
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
  sock.setRecvBufferSize(8 * 1024 * 1024);
  const port = sock.address().port;
  try {
    await ffmpeg(bin, args(`rtp://127.0.0.1:${port}?pkt_size=1200`));
    // Datagrams already queued on the socket are delivered on later turns of the event loop.
    // Wait until two turns in a row bring nothing new (at most a second).
    let quiet = 0;
    for (let i = 0, seen = -1; i < 100 && quiet < 2; i++) {
      await new Promise((r) => setTimeout(r, 10));
      quiet = got.length === seen ? quiet + 1 : 0;
      seen = got.length;
    }
  } finally {
    sock.close();
  }
  return got;
}

function depacketize(depay: CodecDepayloader, datagrams: Uint8Array[]) {
  const rx = new RtpDepacketizer(depay, { startDelayMs: 0 });
  const frames: ReceivedFrame[] = [];
  let now = 0;
  for (const d of datagrams) {
    const p = parseRtp(d);
    if (p === undefined || p.payloadType !== 96) continue; // RTCP goes to the next port anyway
    rx.push(p, now++);
    for (let e = rx.pollEvent(); e !== undefined; e = rx.pollEvent()) if (e.type === "frame") frames.push(e.frame);
  }
  rx.handleTimeout(now + 10_000);
  for (let e = rx.pollEvent(); e !== undefined; e = rx.pollEvent()) if (e.type === "frame") frames.push(e.frame);
  return { frames, rx };
}

/** Frames of an IVF file (32-byte header, then 12-byte frame headers: size LE32, pts LE64). */
function ivfFrames(b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let o = 32;
  while (o + 12 <= b.length) {
    const n = b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);
    out.push(b.subarray(o + 12, o + 12 + n));
    o += 12 + n;
  }
  return out;
}

const FRAMES = 40;
const PATTERN = ["-f", "lavfi", "-i", `testsrc=size=320x240:rate=30`, "-frames:v", String(FRAMES)];

/** Encoded test files, made once per file and shared by the tests in both directions. */
let shared: string | undefined;
const encoded = new Map<string, Promise<string>>();
after(() => {
  if (shared) rmSync(shared, { recursive: true, force: true });
});
const ENCODERS: Record<string, string[]> = {
  vp8: ["-c:v", "libvpx", "-auto-alt-ref", "0", "-b:v", "800k"],
  vp9: ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-lag-in-frames", "0", "-b:v", "800k"],
  h264: ["-c:v", "libx264", "-profile:v", "baseline", "-pix_fmt", "yuv420p", "-bf", "0"],
  h264slices: [
    "-c:v",
    "libx264",
    "-profile:v",
    "baseline",
    "-pix_fmt",
    "yuv420p",
    "-bf",
    "0",
    "-x264-params",
    "slice-max-size=1000",
  ],
};
function encode(bin: string, kind: keyof typeof ENCODERS): Promise<string> {
  let p = encoded.get(kind);
  if (!p) {
    shared ??= mkdtempSync(join(tmpdir(), "petrel-ffmpeg-"));
    const file = join(shared, kind.startsWith("h264") ? `${kind}.h264` : `${kind}.ivf`);
    p = ffmpeg(bin, [...PATTERN, ...ENCODERS[kind]!, "-g", "10", "-threads", "1", "-y", file]).then(() => file);
    encoded.set(kind, p);
  }
  return p;
}

for (const codec of ["vp8", "vp9"] as const) {
  test(`ffmpeg ${codec.toUpperCase()} RTP -> RtpDepacketizer: the encoder's frames, byte for byte`, async (t) => {
    const bin = requireTool(t, "ffmpeg", ["ffmpeg"]);
    if (!bin) return;
    const file = await encode(bin, codec);
    const want = ivfFrames(readFileSync(file));
    assert.equal(want.length, FRAMES);
    const got = await receiveRtp(bin, (url) => [
      "-i",
      file,
      "-c",
      "copy",
      "-strict",
      "experimental",
      "-payload_type",
      "96",
      "-f",
      "rtp",
      url,
    ]);
    const { frames, rx } = depacketize(codec === "vp8" ? new Vp8Depayloader() : new Vp9Depayloader(), got);
    assert.equal(rx.stats.malformedPackets, 0);
    assert.equal(frames.length, want.length, `${frames.length} of ${want.length} frames (${got.length} datagrams)`);
    for (let i = 0; i < want.length; i++) {
      assertBytes(frames[i]!.data, want[i]!, `${codec} frame ${i}`);
      const key = codec === "vp8" ? isVp8Keyframe(want[i]!) : parseVp9FrameHeader(want[i]!)?.keyframe === true;
      assert.equal(frames[i]!.keyframe, key, `${codec} frame ${i} keyframe flag`);
    }
    assert.ok(frames[0]!.keyframe && frames[10]!.keyframe && !frames[1]!.keyframe);
    assert.ok(
      frames.some((f) => f.packets > 1),
      "some frames span several packets",
    );
  });
}

for (const mode of [1, 0] as const) {
  test(`ffmpeg H.264 (packetization-mode ${mode}) RTP -> RtpDepacketizer: every NAL unit, IDR key frames`, async (t) => {
    const bin = requireTool(t, "ffmpeg", ["ffmpeg"]);
    if (!bin) return;
    const file = await encode(bin, mode === 0 ? "h264slices" : "h264");
    const want = splitAnnexB(readFileSync(file));
    const flags = mode === 0 ? ["-rtpflags", "h264_mode0"] : [];
    const got = await receiveRtp(bin, (url) => [
      "-i",
      file,
      "-c",
      "copy",
      "-payload_type",
      "96",
      ...flags,
      "-f",
      "rtp",
      url,
    ]);
    const { frames, rx } = depacketize(new H264Depayloader(), got);
    assert.equal(rx.stats.malformedPackets, 0);
    assert.equal(frames.length, FRAMES, `${frames.length} access units (${got.length} datagrams)`);
    const nals = frames.flatMap((f) => splitAnnexB(f.data));
    assert.equal(nals.length, want.length);
    for (let i = 0; i < want.length; i++) assertBytes(nals[i]!, want[i]!, `NAL ${i} (type ${nalType(want[i]!)})`);
    for (let i = 0; i < FRAMES; i++) assert.equal(frames[i]!.keyframe, i % 10 === 0, `frame ${i} keyframe flag`);
  });
}

test("ffmpeg Opus RTP -> RtpDepacketizer: 20 ms packets, 48 kHz timestamps", async (t) => {
  const bin = requireTool(t, "ffmpeg", ["ffmpeg"]);
  if (!bin) return;
  const got = await receiveRtp(bin, (url) => [
    "-f",
    "lavfi",
    "-i",
    "sine=frequency=440:duration=1",
    "-c:a",
    "libopus",
    "-b:a",
    "32k",
    "-payload_type",
    "96",
    "-f",
    "rtp",
    url,
  ]);
  const { frames } = depacketize(new OpusDepayloader(), got);
  assert.ok(frames.length >= 49, `${frames.length} frames`);
  for (let i = 0; i < frames.length; i++) {
    assert.equal(opusPacketSamples(frames[i]!.data), 960, `frame ${i}`);
    if (i > 0) assert.equal((frames[i]!.timestamp - frames[i - 1]!.timestamp) >>> 0, 960);
  }
});

for (const law of ["mulaw", "alaw"] as const) {
  test(`ffmpeg G.711 ${law} RTP -> RtpDepacketizer: the file's samples in order`, async (t) => {
    const bin = requireTool(t, "ffmpeg", ["ffmpeg"]);
    if (!bin) return;
    const dir = mkdtempSync(join(tmpdir(), "petrel-ffmpeg-"));
    try {
      const file = join(dir, `a.${law}`);
      await ffmpeg(bin, ["-f", "lavfi", "-i", "sine=frequency=300:duration=1:sample_rate=8000", "-f", law, "-y", file]);
      const want = readFileSync(file);
      const got = await receiveRtp(bin, (url) => [
        "-f",
        law,
        "-ar",
        "8000",
        "-ac",
        "1",
        "-i",
        file,
        "-c",
        "copy",
        "-payload_type",
        "96",
        "-f",
        "rtp",
        url,
      ]);
      const { frames } = depacketize(new G711Depayloader(), got);
      let total = 0;
      for (let i = 0; i < frames.length; i++) {
        if (i > 0) assert.equal((frames[i]!.timestamp - frames[i - 1]!.timestamp) >>> 0, frames[i - 1]!.data.length);
        total += frames[i]!.data.length;
      }
      const all = new Uint8Array(total);
      let o = 0;
      for (const f of frames) {
        all.set(f.data, o);
        o += f.data.length;
      }
      assertBytes(all, want, `${law} samples`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** Waits until some socket is bound to the UDP port (Linux /proc/net/udp; else a fixed pause). */
async function waitBound(port: number): Promise<void> {
  const key = `:${port.toString(16).toUpperCase().padStart(4, "0")} `;
  for (let i = 0; i < 500; i++) {
    if (!existsSync("/proc/net/udp")) return void (await new Promise((r) => setTimeout(r, 500)));
    if (readFileSync("/proc/net/udp", "utf8").includes(key)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`ffmpeg never bound UDP port ${port}`);
}

/**
 * Packetizes `frames` with our payloader and sends them to an ffmpeg that reads `sdpMedia` and
 * copies what it depacketizes into `out` (stopping by itself after `stopAfter`).
 */
async function sendToFfmpeg(
  bin: string,
  dir: string,
  payloader: CodecPayloader,
  payloadType: number,
  sdpMedia: (port: number) => string,
  frames: { data: Uint8Array; ticks: number }[],
  outArgs: string[],
): Promise<void> {
  const port = await freePort();
  const sdp = join(dir, "in.sdp");
  writeFileSync(sdp, `v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=petrel\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n${sdpMedia(port)}`);
  // -copyinkf: ffmpeg's RTP demuxers do not mark key frames for stream copy.
  const done = ffmpeg(bin, ["-protocol_whitelist", "file,udp,rtp", "-i", sdp, "-c", "copy", "-copyinkf", ...outArgs]);
  let failed = false;
  done.catch(() => {
    failed = true;
  });
  await waitBound(port);
  const sock = createSocket("udp4");
  const tx = new RtpPacketizer({ payloader, payloadType, ssrc: 0x1234, maxPayloadSize: 1100, sequenceNumber: 65530 });
  try {
    for (const f of frames) {
      for (const p of tx.packetize(f.data, f.ticks)) {
        if (failed) break;
        await new Promise((r) => sock.send(serializeRtp(p), port, "127.0.0.1", r));
      }
      // A light pace (not a real-time one) so that a busy machine's ffmpeg keeps up with loopback.
      await new Promise((r) => setTimeout(r, 2));
    }
    await done;
  } finally {
    sock.close();
  }
}

for (const codec of ["vp8", "vp9"] as const) {
  test(`RtpPacketizer ${codec.toUpperCase()} -> ffmpeg's depacketizer: the same frames back`, async (t) => {
    const bin = requireTool(t, "ffmpeg", ["ffmpeg"]);
    if (!bin) return;
    const dir = mkdtempSync(join(tmpdir(), "petrel-ffmpeg-"));
    try {
      const file = await encode(bin, codec);
      const frames = ivfFrames(readFileSync(file));
      const out = join(dir, "out.ivf");
      await sendToFfmpeg(
        bin,
        dir,
        codec === "vp8" ? new Vp8Payloader() : new Vp9Payloader(),
        96,
        (port) => `m=video ${port} RTP/AVP 96\r\na=rtpmap:96 ${codec.toUpperCase()}/90000\r\n`,
        frames.map((data, i) => ({ data, ticks: i * 3000 })),
        ["-strict", "experimental", "-frames:v", String(frames.length), "-f", "ivf", "-y", out],
      );
      const back = ivfFrames(readFileSync(out));
      assert.equal(back.length, frames.length);
      for (let i = 0; i < frames.length; i++) assertBytes(back[i]!, frames[i]!, `${codec} frame ${i}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("RtpPacketizer H.264 (STAP-A, FU-A) -> ffmpeg's depacketizer: the same NAL units back", async (t) => {
  const bin = requireTool(t, "ffmpeg", ["ffmpeg"]);
  if (!bin) return;
  const dir = mkdtempSync(join(tmpdir(), "petrel-ffmpeg-"));
  try {
    const file = await encode(bin, "h264");
    // Access units: split at each first slice (x264 here writes one slice per picture).
    const nals = splitAnnexB(readFileSync(file));
    const units: Uint8Array[][] = [];
    let cur: Uint8Array[] = [];
    for (const nal of nals) {
      cur.push(nal);
      if (nalType(nal) === 1 || nalType(nal) === 5) {
        units.push(cur);
        cur = [];
      }
    }
    assert.equal(units.length, FRAMES);
    // One more access unit (an access unit delimiter) so that ffmpeg's parser closes the last one.
    units.push([Uint8Array.of(0x09, 0xf0)]);
    const payloader = new H264Payloader();
    const out = join(dir, "out.h264");
    await sendToFfmpeg(
      bin,
      dir,
      { clockRate: 90000, video: true, payload: (_f, max) => payloader.payloadNals(units.shift()!, max) },
      96,
      (port) => `m=video ${port} RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\n`,
      Array.from({ length: FRAMES + 1 }, (_, i) => ({ data: Uint8Array.of(1), ticks: i * 3000 })),
      ["-frames:v", String(FRAMES), "-f", "h264", "-y", out],
    );
    const back = splitAnnexB(readFileSync(out));
    assert.equal(back.length, nals.length);
    for (let i = 0; i < nals.length; i++) assertBytes(back[i]!, nals[i]!, `NAL ${i}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("RtpPacketizer PCMU -> ffmpeg's depacketizer: the same samples back", async (t) => {
  const bin = requireTool(t, "ffmpeg", ["ffmpeg"]);
  if (!bin) return;
  const dir = mkdtempSync(join(tmpdir(), "petrel-ffmpeg-"));
  try {
    const samples = new Uint8Array(160 * 25);
    for (let i = 0; i < samples.length; i++) samples[i] = (i * 7) & 0xff;
    const out = join(dir, "out.ul");
    await sendToFfmpeg(
      bin,
      dir,
      new G711Payloader(),
      0,
      (port) => `m=audio ${port} RTP/AVP 0\r\n`,
      Array.from({ length: 25 }, (_, i) => ({ data: samples.subarray(i * 160, (i + 1) * 160), ticks: i * 160 })),
      ["-frames:a", "25", "-f", "mulaw", "-y", out],
    );
    assertBytes(readFileSync(out), samples, "PCMU samples");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("libaom AV1 temporal units through RtpPacketizer and RtpDepacketizer, reordered, OBU for OBU", async (t) => {
  const bin = requireTool(t, "ffmpeg", ["ffmpeg"]);
  if (!bin) return;
  const dir = mkdtempSync(join(tmpdir(), "petrel-ffmpeg-"));
  try {
    const file = join(dir, "a.ivf");
    await ffmpeg(bin, [
      ...PATTERN,
      "-c:v",
      "libaom-av1",
      "-usage",
      "realtime",
      "-cpu-used",
      "8",
      "-b:v",
      "800k",
      "-g",
      "10",
      "-threads",
      "1",
      "-y",
      file,
    ]);
    const tus = ivfFrames(readFileSync(file));
    assert.equal(tus.length, FRAMES);
    for (const seed of [1, 2]) {
      const rnd = new SeededRandom(seed);
      const tx = new RtpPacketizer({
        payloader: new Av1Payloader(),
        payloadType: 96,
        ssrc: 1,
        maxPayloadSize: 500,
        random: rnd,
      });
      const rx = new RtpDepacketizer(new Av1Depayloader(), { startDelayMs: 100 });
      const r = run(
        tx,
        rx,
        tus.map((data, i) => ({ data, ticks: i * 3000 })),
        rnd,
        { jitterMs: 50 },
      );
      assert.equal(r.frames.length, FRAMES, `seed ${seed}`);
      for (let i = 0; i < FRAMES; i++) {
        assert.equal(r.frames[i]!.keyframe, i % 10 === 0, `seed ${seed} frame ${i} keyframe flag`);
        assert.equal(r.sent[i]![0]!.payload[0]! & 0x08, i % 10 === 0 ? 0x08 : 0, `N bit on frame ${i}`);
        const want = parseObus(tus[i]!)!;
        const got = parseObus(r.frames[i]!.data)!;
        assert.deepEqual(
          got.map((o) => o.type),
          want.map((o) => o.type),
          `seed ${seed} frame ${i}`,
        );
        for (let k = 0; k < want.length; k++) assertBytes(got[k]!.payload, want[k]!.payload, `frame ${i} OBU ${k}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
