// Interop with ffmpeg for the media containers: files ffmpeg encodes (libvpx VP8/VP9, libaom AV1,
// libopus, libx264) are read by our readers exactly as ffprobe sees them, and the files our
// writers produce (IVF, Ogg Opus, H.264 Annex B, WebM seekable and live) are accepted by ffprobe
// with the right streams, frame counts, keyframes and durations, and decode without errors.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it, type TestContext } from "node:test";
import { av1CodecConfig } from "../../src/media/containers/av1-config.js";
import { type H264AccessUnit, H264AnnexBReader, H264AnnexBWriter } from "../../src/media/containers/h264-annexb.js";
import { callbackSink, fileSink, readEvents, readEventsSync, writableSink } from "../../src/media/containers/io.js";
import { type IvfFrame, IvfReader, IvfWriter } from "../../src/media/containers/ivf.js";
import { OggOpusReader, OggOpusWriter } from "../../src/media/containers/ogg-opus.js";
import type { ContainerReader, EncodedFrame, VideoCodec } from "../../src/media/containers/types.js";
import { type WebmFrame, type WebmHeader, WebmReader } from "../../src/media/containers/webm-reader.js";
import { type WebmTrack, WebmWriter } from "../../src/media/containers/webm-writer.js";
import { requireTool } from "./tools.js";

const FFMPEG_PATHS = ["/usr/bin/ffmpeg", "ffmpeg"];
const dir = mkdtempSync(join(tmpdir(), "petrel-ffmpeg-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function tools(t: TestContext): { ffmpeg: string; ffprobe: string } | undefined {
  const ffmpeg = requireTool(t, "ffmpeg", FFMPEG_PATHS);
  if (!ffmpeg) return undefined;
  const ffprobe = requireTool(t, "ffprobe", ["/usr/bin/ffprobe", "ffprobe"]);
  if (!ffprobe) return undefined;
  return { ffmpeg, ffprobe };
}

function ffmpeg(bin: string, args: string[]): void {
  execFileSync(bin, ["-hide_banner", "-loglevel", "error", "-y", ...args], { stdio: ["ignore", "ignore", "pipe"] });
}

interface Probe {
  streams: { codec_name: string; nb_read_frames?: string; channels?: number; width?: number; duration?: string }[];
  format: { duration?: string };
}

function probe(bin: string, file: string): Probe {
  const out = execFileSync(bin, [
    "-v",
    "error",
    "-count_frames",
    "-show_entries",
    "stream=codec_name,nb_read_frames,channels,width,duration:format=duration",
    "-of",
    "json",
    file,
  ]);
  return JSON.parse(out.toString()) as Probe;
}

/** Per stream index: the packets' keyframe flags in order. */
function packetFlags(bin: string, file: string): Map<number, boolean[]> {
  const out = execFileSync(bin, ["-v", "error", "-show_entries", "packet=stream_index,flags", "-of", "csv=p=0", file]);
  const m = new Map<number, boolean[]>();
  for (const line of out.toString().trim().split("\n")) {
    const [idx, flags] = line.split(",");
    const k = Number(idx);
    if (!m.has(k)) m.set(k, []);
    m.get(k)!.push(flags!.startsWith("K"));
  }
  return m;
}

/** Decodes the whole file; throws with ffmpeg's messages if anything is reported. */
function decodesCleanly(bin: string, file: string): void {
  const r = execFileSync(bin, ["-hide_banner", "-v", "error", "-i", file, "-f", "null", "-"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  assert.equal(r.toString(), "");
}

async function headerOf(bytes: Uint8Array): Promise<WebmHeader> {
  for await (const ev of readEvents(new WebmReader(), bytes)) if (ev.type === "header") return ev.header;
  throw new Error("no header");
}

function frames<F>(reader: ContainerReader<unknown, F>, bytes: Uint8Array): F[] {
  const out: F[] = [];
  for (const ev of readEventsSync(reader, bytes)) {
    if (ev.type === "frame") out.push(ev.frame);
    if (ev.type === "error") assert.fail(`reader error ${ev.error.reason} at ${ev.error.offset}`);
  }
  return out;
}

const VIDEO: { codec: VideoCodec; encoder: string[] }[] = [
  { codec: "VP8", encoder: ["-c:v", "libvpx", "-b:v", "200k"] },
  { codec: "VP9", encoder: ["-c:v", "libvpx-vp9", "-b:v", "200k"] },
  { codec: "AV1", encoder: ["-c:v", "libaom-av1", "-cpu-used", "8", "-b:v", "200k"] },
];
const TESTSRC = ["-f", "lavfi", "-i", "testsrc=size=96x64:rate=25:duration=2"];
const SINE = ["-f", "lavfi", "-i", "sine=frequency=300:duration=2"];

const encoded = new Map<string, string>();
/** Encodes once per codec: 2 s of 25 fps video with a keyframe every 12 frames, as IVF. */
function encodeVideo(bin: string, codec: VideoCodec): string {
  const file = join(dir, `src-${codec}.ivf`);
  if (!encoded.has(file)) {
    ffmpeg(bin, [...TESTSRC, ...VIDEO.find((v) => v.codec === codec)!.encoder, "-g", "12", file]);
    encoded.set(file, file);
  }
  return file;
}
function encodeOpus(bin: string): string {
  const file = join(dir, "src.opus");
  if (!encoded.has(file)) {
    ffmpeg(bin, [...SINE, "-ac", "2", "-c:a", "libopus", "-b:a", "48k", file]);
    encoded.set(file, file);
  }
  return file;
}

describe("ffmpeg interop: media containers", () => {
  for (const { codec } of VIDEO) {
    it(`IVF ${codec}: reads ffmpeg's file as ffprobe does, writes one ffprobe accepts`, async (t) => {
      const x = tools(t);
      if (!x) return;
      const src = encodeVideo(x.ffmpeg, codec);
      const got = frames<IvfFrame>(new IvfReader(), readFileSync(src));
      const flags = packetFlags(x.ffprobe, src).get(0)!;
      assert.equal(got.length, 50);
      assert.deepEqual(
        got.map((f) => f.keyframe),
        flags,
        "keyframes as ffprobe flags them",
      );
      assert.deepEqual(
        got.map((f) => f.timestamp),
        got.map((_, i) => i * 3600),
      );
      const out = join(dir, `out-${codec}.ivf`);
      const w = new IvfWriter(await fileSink(out), { codec, width: 96, height: 64 });
      for (const f of got) await w.writeFrame(f);
      await w.close();
      const p = probe(x.ffprobe, out);
      assert.equal(p.streams[0]!.codec_name, codec.toLowerCase() === "av1" ? "av1" : codec.toLowerCase());
      assert.equal(p.streams[0]!.nb_read_frames, "50");
      assert.equal(p.streams[0]!.width, 96);
      assert.equal(Number(p.format.duration), 2);
      assert.deepEqual(packetFlags(x.ffprobe, out).get(0), flags);
      decodesCleanly(x.ffmpeg, out);
    });
  }

  it("Ogg Opus: reads ffmpeg's file, writes one ffprobe and ffmpeg accept (duration, pre-skip, end trim)", async (t) => {
    const x = tools(t);
    if (!x) return;
    const src = encodeOpus(x.ffmpeg);
    const srcProbe = probe(x.ffprobe, src);
    const reader = new OggOpusReader();
    const got = frames<EncodedFrame>(reader, readFileSync(src));
    assert.equal(String(got.length), srcProbe.streams[0]!.nb_read_frames);
    assert.ok(got.every((f, i) => f.timestamp === i * 960));
    for (const live of [false, true]) {
      const out = join(dir, `out-${live}.opus`);
      const chunks: Uint8Array[] = [];
      const sink = live ? callbackSink((c) => void chunks.push(c)) : await fileSink(out);
      const w = new OggOpusWriter(sink, { channels: 2, preSkip: 312, maxPageDuration: live ? 20 : 1000 });
      for (const f of got) await w.writeFrame(f);
      await w.close();
      if (live) writeFileSync(out, Buffer.concat(chunks));
      const p = probe(x.ffprobe, out);
      assert.equal(p.streams[0]!.codec_name, "opus");
      assert.equal(p.streams[0]!.channels, 2);
      assert.equal(p.streams[0]!.nb_read_frames, srcProbe.streams[0]!.nb_read_frames);
      assert.equal(p.format.duration, srcProbe.format.duration, `duration (live ${live})`);
      decodesCleanly(x.ffmpeg, out);
    }
  });

  it("H.264 Annex B: reads libx264's stream as ffprobe does, writes one ffprobe accepts", async (t) => {
    const x = tools(t);
    if (!x) return;
    const src = join(dir, "src.h264");
    ffmpeg(x.ffmpeg, [...TESTSRC, "-c:v", "libx264", "-preset", "ultrafast", "-g", "12", "-bf", "0", src]);
    const got = frames<H264AccessUnit>(new H264AnnexBReader({ frameRate: 25 }), readFileSync(src));
    const flags = packetFlags(x.ffprobe, src).get(0)!;
    assert.equal(got.length, 50);
    assert.deepEqual(
      got.map((f) => f.keyframe),
      flags,
    );
    const out = join(dir, "out.h264");
    const w = new H264AnnexBWriter(await fileSink(out));
    for (const f of got) await w.writeNalus(f.nalus);
    await w.close();
    assert.equal(probe(x.ffprobe, out).streams[0]!.nb_read_frames, "50");
    assert.deepEqual(packetFlags(x.ffprobe, out).get(0), flags);
    decodesCleanly(x.ffmpeg, out);
  });

  for (const { codec } of VIDEO) {
    it(`WebM ${codec} + Opus: ffmpeg's file read as ffprobe does; ours (seekable and live) accepted`, async (t) => {
      const x = tools(t);
      if (!x) return;
      // ffmpeg's WebM of the same content.
      const ffWebm = join(dir, `ff-${codec}.webm`);
      ffmpeg(x.ffmpeg, [
        ...TESTSRC,
        ...SINE,
        ...VIDEO.find((v) => v.codec === codec)!.encoder,
        "-g",
        "12",
        "-c:a",
        "libopus",
        ffWebm,
      ]);
      const ffFrames = frames<WebmFrame>(new WebmReader(), readFileSync(ffWebm));
      const ffFlags = packetFlags(x.ffprobe, ffWebm);
      const ffProbe = probe(x.ffprobe, ffWebm);
      for (const [idx, track] of [
        [0, 1],
        [1, 2],
      ]) {
        const mine = ffFrames.filter((f) => f.track === track);
        assert.equal(String(mine.length), ffProbe.streams[idx!]!.nb_read_frames, `track ${track} count`);
        assert.deepEqual(
          mine.map((f) => f.keyframe),
          ffFlags.get(idx!),
          `track ${track} keyframes`,
        );
      }
      // Our WebM from ffmpeg-encoded elementary streams, interleaved by time.
      const video = frames<IvfFrame>(new IvfReader(), readFileSync(encodeVideo(x.ffmpeg, codec)));
      const audio = frames<EncodedFrame>(new OggOpusReader(), readFileSync(encodeOpus(x.ffmpeg)));
      const all = [
        ...video.map((f) => ({ track: 1, ms: f.timestamp / 90, frame: { ...f, duration: 3600 } as EncodedFrame })),
        ...audio.map((f) => ({ track: 2, ms: f.timestamp / 48, frame: f })),
      ].sort((a, b) => a.ms - b.ms || a.track - b.track);
      const tracks: WebmTrack[] = [
        { kind: "video", codec, width: 96, height: 64 },
        { kind: "audio", codec: "opus", channels: 2, preSkip: 312 },
      ];
      for (const live of [false, true]) {
        const out = join(dir, `out-${codec}-${live}.webm`);
        const chunks: Uint8Array[] = [];
        const sink = live ? callbackSink((c) => void chunks.push(c)) : await fileSink(out);
        const w = new WebmWriter(sink, { tracks });
        for (const s of all) await w.writeFrame(s.track, s.frame);
        await w.close();
        if (live) writeFileSync(out, Buffer.concat(chunks));
        const p = probe(x.ffprobe, out);
        assert.equal(p.streams.length, 2);
        assert.equal(p.streams[0]!.codec_name, codec.toLowerCase());
        assert.equal(p.streams[0]!.nb_read_frames, "50");
        assert.equal(p.streams[1]!.codec_name, "opus");
        assert.equal(p.streams[1]!.nb_read_frames, String(audio.length));
        if (!live) assert.ok(Math.abs(Number(p.format.duration) - 2) < 0.03, `duration ${p.format.duration}`);
        assert.deepEqual(
          packetFlags(x.ffprobe, out).get(0),
          video.map((f) => f.keyframe),
        );
        decodesCleanly(x.ffmpeg, out);
        // Seeking with the cues lands on a keyframe cluster and still decodes.
        execFileSync(x.ffmpeg, ["-v", "error", "-ss", "1.1", "-i", out, "-frames:v", "3", "-f", "null", "-"]);
      }
    });
  }

  it("live streaming: our WebM and Ogg writers feed ffprobe through a pipe (writableSink)", async (t) => {
    const x = tools(t);
    if (!x) return;
    const video = frames<IvfFrame>(new IvfReader(), readFileSync(encodeVideo(x.ffmpeg, "VP8")));
    const audio = frames<EncodedFrame>(new OggOpusReader(), readFileSync(encodeOpus(x.ffmpeg)));
    for (const kind of ["webm", "ogg"] as const) {
      const child = spawn(
        x.ffprobe,
        [
          "-v",
          "error",
          "-count_frames",
          "-show_entries",
          "stream=codec_name,nb_read_frames",
          "-of",
          "json",
          "-i",
          "pipe:0",
        ],
        { stdio: ["pipe", "pipe", "pipe"] },
      );
      const out: Buffer[] = [];
      child.stdout.on("data", (d: Buffer) => out.push(d));
      const exited = new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? -1)));
      const sink = writableSink(child.stdin);
      if (kind === "webm") {
        const w = new WebmWriter(sink, { tracks: [{ kind: "video", codec: "VP8", width: 96, height: 64 }] });
        for (const f of video) await w.writeFrame(1, f);
        await w.close();
      } else {
        const w = new OggOpusWriter(sink, { channels: 2, preSkip: 312, maxPageDuration: 20 });
        for (const f of audio) await w.writeFrame(f);
        await w.close();
      }
      assert.equal(await exited, 0);
      const p = JSON.parse(Buffer.concat(out).toString()) as Probe;
      assert.equal(p.streams[0]!.codec_name, kind === "webm" ? "vp8" : "opus");
      assert.equal(p.streams[0]!.nb_read_frames, String(kind === "webm" ? video.length : audio.length));
    }
  });

  it("AV1 in WebM: our av1C equals ffmpeg's for 4:4:4 and 4:2:0 10-bit streams", async (t) => {
    const x = tools(t);
    if (!x) return;
    for (const pix of ["yuv444p", "yuv420p10le"]) {
      const src = join(dir, `av1-${pix}.ivf`);
      ffmpeg(x.ffmpeg, [...TESTSRC, "-pix_fmt", pix, ...VIDEO[2]!.encoder, "-frames:v", "5", src]);
      const remux = join(dir, `av1-${pix}.webm`);
      ffmpeg(x.ffmpeg, ["-i", src, "-c", "copy", remux]);
      const theirs = (await headerOf(readFileSync(remux))).tracks[0]!.codecPrivate;
      const video = frames<IvfFrame>(new IvfReader(), readFileSync(src));
      const mine = av1CodecConfig(video[0]!.data);
      assert.ok(theirs && mine);
      assert.equal(Buffer.from(mine).toString("hex"), Buffer.from(theirs).toString("hex"), pix);
    }
  });
});
