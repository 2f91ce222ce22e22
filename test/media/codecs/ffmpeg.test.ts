// Interop with a real encoder and a real packetizer: ffmpeg (libvpx VP8/VP9, x264, libopus,
// G.711) encodes a test pattern to a file, then sends that file as RTP over loopback UDP (its
// own RFC 7741 / RFC 9628 / RFC 6184 / RFC 7587 / RFC 3551 packetizers); our depacketizer must
// give back exactly the frames in the file, with key frames where the encoder put them.
// Skips without ffmpeg (fails under CI's PETREL_REQUIRE_INTEROP=1).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  type CodecDepayloader,
  G711Depayloader,
  H264Depayloader,
  isVp8Keyframe,
  nalType,
  OpusDepayloader,
  opusPacketSamples,
  parseVp9FrameHeader,
  type ReceivedFrame,
  RtpDepacketizer,
  splitAnnexB,
  Vp8Depayloader,
  Vp9Depayloader,
} from "../../../src/media/codecs/index.js";
import { parseRtp } from "../../../src/rtp/index.js";
import { requireTool } from "../../interop/tools.js";
import { assertBytes } from "./harness.js";

function ffmpeg(bin: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, ["-hide_banner", "-loglevel", "error", "-nostdin", ...args], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    p.stderr.on("data", (d) => {
      err += d;
    });
    p.on("error", reject);
    p.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`ffmpeg ${args.join(" ")}: exit ${code}: ${err}`)),
    );
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

for (const codec of ["vp8", "vp9"] as const) {
  test(`ffmpeg ${codec.toUpperCase()} RTP -> RtpDepacketizer: the encoder's frames, byte for byte`, async (t) => {
    const bin = requireTool(t, "ffmpeg", ["ffmpeg"]);
    if (!bin) return;
    const dir = mkdtempSync(join(tmpdir(), "petrel-ffmpeg-"));
    try {
      const file = join(dir, "a.ivf");
      const enc =
        codec === "vp8"
          ? ["-c:v", "libvpx", "-auto-alt-ref", "0"]
          : ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-lag-in-frames", "0"];
      await ffmpeg(bin, [...PATTERN, ...enc, "-b:v", "800k", "-g", "10", "-threads", "1", "-y", file]);
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
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

for (const mode of [1, 0] as const) {
  test(`ffmpeg H.264 (packetization-mode ${mode}) RTP -> RtpDepacketizer: every NAL unit, IDR key frames`, async (t) => {
    const bin = requireTool(t, "ffmpeg", ["ffmpeg"]);
    if (!bin) return;
    const dir = mkdtempSync(join(tmpdir(), "petrel-ffmpeg-"));
    try {
      const file = join(dir, "a.h264");
      const slices = mode === 0 ? ["-x264-params", "slice-max-size=1000"] : [];
      await ffmpeg(bin, [
        ...PATTERN,
        "-c:v",
        "libx264",
        "-profile:v",
        "baseline",
        "-pix_fmt",
        "yuv420p",
        "-g",
        "10",
        "-bf",
        "0",
        "-threads",
        "1",
        ...slices,
        "-y",
        file,
      ]);
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
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
