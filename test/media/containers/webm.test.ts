// WebM/Matroska (RFC 8794 EBML, RFC 9559): reading ffmpeg's files (Cues, live unknown sizes,
// lacing, BlockGroups), writer round trips, seeking by SeekHead and Cues, cluster timestamps,
// RTP timestamp wrap, the AV1 CodecPrivate, and malformed input reported as errors.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { av1CodecConfig } from "../../../src/media/containers/av1-config.js";
import { bin, encodeNodes, ID, master, readId, readSize, str, uint } from "../../../src/media/containers/ebml.js";
import { callbackSink, MemorySink } from "../../../src/media/containers/io.js";
import { IvfReader, IvfWriter } from "../../../src/media/containers/ivf.js";
import { OggOpusReader, OggOpusWriter } from "../../../src/media/containers/ogg-opus.js";
import { type EncodedFrame, TimestampUnwrapper } from "../../../src/media/containers/types.js";
import { type WebmFrame, type WebmHeader, WebmReader } from "../../../src/media/containers/webm-reader.js";
import { WebmWriter } from "../../../src/media/containers/webm-writer.js";
import { bytesOf, collect, fixture } from "./helpers.js";

const OPUS_TOC = 0xf8; // 20 ms CELT

function opus(n: number, seed: number): Uint8Array {
  const b = bytesOf(n, seed);
  b[0] = OPUS_TOC;
  return b;
}

interface Sent {
  track: number;
  frame: EncodedFrame;
}

/** 2 s of 30 fps video (keyframe every 15) interleaved with 20 ms Opus, in time order. */
function sampleMedia(videoBase = 0, audioBase = 0): Sent[] {
  const out: (Sent & { ms: number })[] = [];
  for (let i = 0; i < 60; i++) {
    const data = bytesOf(50 + i * 11, i + 1);
    data[0] = i % 15 === 0 ? 0x10 : 0x11; // VP8 frame tag: bit 0 clear on keyframes
    out.push({ track: 1, ms: (i * 100) / 3, frame: { data, timestamp: videoBase + i * 3000, keyframe: i % 15 === 0 } });
  }
  for (let i = 0; i < 100; i++) {
    out.push({
      track: 2,
      ms: i * 20,
      frame: { data: opus(30 + (i % 7), 1000 + i), timestamp: audioBase + i * 960, keyframe: true },
    });
  }
  return out.sort((a, b) => a.ms - b.ms || a.track - b.track);
}

async function writeSample(sink: ConstructorParameters<typeof WebmWriter>[0], media: Sent[]): Promise<void> {
  const w = new WebmWriter(sink, {
    tracks: [
      { kind: "video", codec: "VP8", width: 320, height: 240 },
      { kind: "audio", codec: "opus", channels: 2, preSkip: 312 },
    ],
  });
  for (const s of media) await w.writeFrame(s.track, s.frame);
  await w.close();
}

function checkSample(r: { header: WebmHeader | undefined; frames: WebmFrame[] }, media: Sent[]): void {
  assert.equal(r.header?.tracks.length, 2);
  const [v, a] = r.header!.tracks;
  assert.equal(v!.codec, "VP8");
  assert.equal(v!.width, 320);
  assert.equal(a!.codec, "opus");
  assert.equal(a!.channels, 2);
  assert.equal(a!.codecDelay, 6_500_000);
  assert.equal(a!.seekPreRoll, 80_000_000);
  assert.equal(a!.codecPrivate?.[9], 2, "OpusHead channel count");
  assert.equal(r.frames.length, media.length);
  for (const track of [1, 2]) {
    const got = r.frames.filter((f) => f.track === track);
    const want = media.filter((m) => m.track === track);
    got.forEach((f, i) => {
      const w = want[i]!.frame;
      assert.deepEqual(f.data, w.data, `track ${track} frame ${i}`);
      assert.equal(f.keyframe, w.keyframe, `track ${track} frame ${i} keyframe`);
      const first = want[0]!.frame.timestamp;
      const rate = track === 1 ? 90 : 48;
      // WebM stores milliseconds.
      assert.equal(f.timestamp, Math.round((w.timestamp - first) / rate) * rate, `track ${track} frame ${i} time`);
    });
  }
}

describe("WebM", () => {
  it("reads ffmpeg's VP8 + Opus file with Cues and Duration", () => {
    for (const chunk of [1, 97, 65536]) {
      const reader = new WebmReader();
      const r = collect<WebmHeader, WebmFrame>(reader, fixture("vp8-opus.webm"), chunk);
      assert.equal(r.error, undefined);
      assert.ok(r.ended);
      assert.equal(r.header?.docType, "webm");
      assert.equal(r.header?.durationMs, 1008);
      const video = r.frames.filter((f) => f.track === 1);
      const audio = r.frames.filter((f) => f.track === 2);
      assert.equal(video.length, 10);
      assert.equal(audio.length, 51);
      assert.deepEqual(
        video.map((f, i) => (f.keyframe ? i : -1)).filter((i) => i >= 0),
        [0, 5],
      );
      assert.equal(video[1]!.timestamp - video[0]!.timestamp, 9000);
      assert.equal(video[0]!.duration, 9000, "DefaultDuration 100 ms");
      assert.ok(audio.every((f) => f.duration === 960));
      assert.ok(reader.cues.length >= 1);
      assert.equal(reader.cues[0]!.track, 1);
    }
  });

  it("reads ffmpeg's live WebM (unknown-size Segment and Clusters)", () => {
    const r = collect<WebmHeader, WebmFrame>(new WebmReader(), fixture("vp8-live.webm"), 50);
    assert.equal(r.error, undefined);
    assert.equal(r.frames.length, 10);
    assert.deepEqual(
      r.frames.map((f) => f.timestamp),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => i * 9000),
    );
    assert.deepEqual(
      r.frames.map((f, i) => (f.keyframe ? i : -1)).filter((i) => i >= 0),
      [0, 5],
    );
  });

  it("round-trips VP8 + Opus to a seekable sink: sizes, Duration, SeekHead and Cues", async () => {
    const media = sampleMedia(777_000, 123_000);
    const sink = new MemorySink();
    await writeSample(sink, media);
    const bytes = sink.bytes();
    const reader = new WebmReader();
    const r = collect<WebmHeader, WebmFrame>(reader, bytes, 333);
    assert.equal(r.error, undefined);
    checkSample(r, media);
    assert.equal(r.header?.durationMs, 1980 + 0, "last Opus block at 1980 ms (no durations given)");
    // Segment size patched (not the unknown-size marker).
    const [segSize] = readSize(bytes, readSize(bytes, 4)[0] + 5 + 4);
    assert.equal(segSize, bytes.length - (readSize(bytes, 4)[0] + 5 + 12));
    // One cue per video keyframe, each pointing at a Cluster.
    assert.deepEqual(
      reader.cues.map((c) => c.timeMs),
      [0, 500, 1000, 1500],
    );
    for (const c of reader.cues) {
      const [id] = readId(bytes, reader.segmentDataStart + c.clusterPosition);
      assert.equal(id, ID.Cluster);
    }
  });

  it("seeks with the SeekHead and Cues: fetch the Cues, restart at a keyframe Cluster", async () => {
    const media = sampleMedia();
    const sink = new MemorySink();
    await writeSample(sink, media);
    const file = sink.bytes();
    // Read only the start of the file: header and SeekHead.
    const reader = new WebmReader();
    reader.push(file.subarray(0, 600));
    let header: WebmHeader | undefined;
    for (let ev = reader.poll(); ev; ev = reader.poll()) if (ev.type === "header") header = ev.header;
    assert.ok(header);
    const cuesAt = reader.cuesOffset();
    assert.ok(cuesAt !== undefined && cuesAt > 600);
    assert.ok(reader.loadCues(file.subarray(cuesAt)));
    assert.equal(reader.cues.length, 4);
    const cue = reader.cueFor(1200, 1)!;
    assert.equal(cue.timeMs, 1000);
    reader.restartAt(cue.offset);
    const rest = collect<WebmHeader, WebmFrame>(reader, file.subarray(cue.offset), 100);
    assert.equal(rest.error, undefined);
    const first = rest.frames.find((f) => f.track === 1)!;
    assert.equal(first.timestamp, 90_000);
    assert.equal(first.keyframe, true);
    assert.equal(rest.frames.filter((f) => f.track === 1).length, 30, "video from 1 s to the end");
    assert.deepEqual(reader.cueFor(-5), { timeMs: 0, offset: reader.cueFor(0)!.offset });
    assert.throws(() => new WebmReader().restartAt(0), { code: "not-ready" });
    // ffmpeg's file: its SeekHead and Cues (keyframes at 0 and 500 ms) work the same way.
    const ff = fixture("vp8-opus.webm");
    const r2 = new WebmReader();
    r2.push(ff.subarray(0, 1000));
    while (r2.poll());
    assert.ok(r2.loadCues(ff.subarray(r2.cuesOffset()!)));
    const c2 = r2.cueFor(700, 1)!;
    r2.restartAt(c2.offset);
    assert.equal(c2.timeMs, 507);
    // ffmpeg put both keyframes in one Cluster: the restart begins before the cue's time, and the
    // first video frame at or after it is the keyframe.
    const v2 = collect<WebmHeader, WebmFrame>(r2, ff.subarray(c2.offset)).frames.filter((f) => f.track === 1);
    const at = v2.filter((f) => f.timestamp >= c2.timeMs * 90);
    assert.equal(at.length, 5);
    assert.equal(at[0]!.keyframe, true);
  });

  it("round-trips to a live sink with unknown sizes and no Cues", async () => {
    const media = sampleMedia();
    const chunks: Uint8Array[] = [];
    await writeSample(
      callbackSink((c) => {
        chunks.push(c);
      }),
      media,
    );
    const bytes = Buffer.concat(chunks);
    const reader = new WebmReader();
    const r = collect<WebmHeader, WebmFrame>(reader, bytes, 4096);
    assert.equal(r.error, undefined);
    checkSample(r, media);
    assert.equal(r.header?.durationMs, undefined);
    assert.equal(reader.cues.length, 0);
  });

  it("starts new clusters before the 16-bit relative timestamp overflows", async () => {
    const sink = new MemorySink();
    const w = new WebmWriter(sink, { tracks: [{ kind: "audio", codec: "opus" }], maxClusterDuration: 1e9 });
    const sent: number[] = [];
    for (let i = 0; i < 9; i++) {
      sent.push(i * 48_000 * 10); // every 10 s
      await w.writeFrame(1, { data: opus(10, i), timestamp: i * 48_000 * 10, keyframe: true });
    }
    await w.close();
    const reader = new WebmReader();
    const r = collect<WebmHeader, WebmFrame>(reader, sink.bytes());
    assert.deepEqual(
      r.frames.map((f) => f.timestamp),
      sent,
    );
    assert.equal(reader.cues.length, 3, "clusters at 0, 40 s and 80 s");
  });

  it("places a late-joining track at the current time when rebasing", async () => {
    const sink = new MemorySink();
    const w = new WebmWriter(sink, {
      tracks: [
        { kind: "video", codec: "VP9", width: 2, height: 2 },
        { kind: "audio", codec: "opus" },
      ],
    });
    await w.writeFrame(1, { data: Uint8Array.of(0x82, 0x49), timestamp: 5_000_000, keyframe: true });
    await w.writeFrame(1, { data: Uint8Array.of(0x86, 0x00), timestamp: 5_009_000, keyframe: false });
    await w.writeFrame(2, { data: opus(5, 1), timestamp: 42, keyframe: true });
    await w.writeFrame(2, { data: opus(5, 2), timestamp: 42 + 960, keyframe: true });
    await w.close();
    const r = collect<WebmHeader, WebmFrame>(new WebmReader(), sink.bytes());
    assert.deepEqual(
      r.frames.map((f) => [f.track, f.timestamp]),
      [
        [1, 0],
        [1, 9000],
        [2, 4800],
        [2, 5760],
      ],
    );
    assert.throws(() => new WebmWriter(sink, { tracks: [] }), { code: "bad-tracks" });
    await assert.rejects(w.writeFrame(1, { data: Uint8Array.of(0), timestamp: 0, keyframe: true }), { code: "closed" });
  });

  it("accepts RTP timestamps that wrap at 2^32 (IVF, Ogg Opus, WebM writers)", async () => {
    const u = new TimestampUnwrapper();
    assert.deepEqual(
      [0xffff_f000, 0x0000_1000, 0xffff_f800, 0x0000_3000].map((t) => u.unwrap(t)),
      [0xffff_f000, 0x1_0000_1000, 0xffff_f800, 0x1_0000_3000],
    );
    const start = 2 ** 32 - 4500;
    const webm = new MemorySink();
    const w = new WebmWriter(webm, { tracks: [{ kind: "video", codec: "VP8", width: 2, height: 2 }] });
    const ivf = new MemorySink();
    const iw = new IvfWriter(ivf, { codec: "VP8", width: 2, height: 2 });
    for (let i = 0; i < 4; i++) {
      const f = { data: Uint8Array.of(0x10, 0, 0), timestamp: (start + i * 9000) % 2 ** 32, keyframe: true };
      await w.writeFrame(1, f);
      await iw.writeFrame(f);
    }
    await w.close();
    await iw.close();
    const want = [0, 9000, 18000, 27000]; // 100 ms steps: exact in WebM's milliseconds
    assert.deepEqual(
      collect<WebmHeader, WebmFrame>(new WebmReader(), webm.bytes()).frames.map((f) => f.timestamp),
      want,
    );
    assert.deepEqual(
      collect<unknown, EncodedFrame>(new IvfReader(), ivf.bytes()).frames.map((f) => f.timestamp),
      want,
    );
    const ogg = new MemorySink();
    const ow = new OggOpusWriter(ogg, { serial: 1 });
    for (let i = 0; i < 4; i++) {
      await ow.writeFrame({ data: opus(9, i), timestamp: (2 ** 32 - 960 + i * 960) % 2 ** 32, keyframe: true });
    }
    await ow.close();
    const o = collect<unknown, EncodedFrame>(new OggOpusReader(), ogg.bytes());
    assert.deepEqual(
      o.frames.map((f) => f.timestamp),
      [0, 960, 1920, 2880],
      "no gap filling across the wrap",
    );
  });

  it("derives the AV1 CodecPrivate (av1C) from the first keyframe's sequence header", async () => {
    const ivf = collect<unknown, EncodedFrame>(new IvfReader(), fixture("av1.ivf"));
    const sink = new MemorySink();
    const w = new WebmWriter(sink, { tracks: [{ kind: "video", codec: "AV1", width: 64, height: 48 }] });
    for (const f of ivf.frames) await w.writeFrame(1, f);
    await w.close();
    const r = collect<WebmHeader, WebmFrame>(new WebmReader(), sink.bytes());
    // What ffmpeg writes as CodecPrivate when it remuxes this stream into WebM (-c copy).
    assert.equal(
      Buffer.from(r.header!.tracks[0]!.codecPrivate!).toString("hex"),
      "812000000a0d20000002aff79b5f2404340080",
    );
    assert.deepEqual(av1CodecConfig(ivf.frames[0]!.data), r.header!.tracks[0]!.codecPrivate);
    assert.equal(av1CodecConfig(ivf.frames[1]!.data), undefined, "no sequence header in an inter frame");
    assert.equal(r.frames.length, 10);
  });

  it("reads BlockGroups and Xiph, EBML and fixed-size lacing", () => {
    const p = [opus(3, 1), opus(300, 2), opus(7, 3)];
    const blockHead = (flags: number, rel: number): number[] => [0x81, (rel >> 8) & 0xff, rel & 0xff, flags];
    const xiph = Uint8Array.from([...blockHead(0x80 | 0x02, 0), 2, 3, 255, 45, ...p[0]!, ...p[1]!, ...p[2]!]);
    // EBML lacing: first size 3 as a vint (0x83), second 300 as the signed difference +297
    // in two bytes: 297 + (2^13 - 1) = 8488 = 0x2128 -> 0x61 0x28.
    const ebmlLaced = Uint8Array.from([...blockHead(0x06, 100), 2, 0x83, 0x61, 0x28, ...p[0]!, ...p[1]!, ...p[2]!]);
    const fixed = Uint8Array.from([...blockHead(0x80 | 0x04, 200), 1, ...p[2]!, ...p[2]!]);
    const file = encodeNodes([
      master(ID.EBML, [str(ID.DocType, "matroska")]),
      master(ID.Segment, [
        master(ID.Info, [uint(ID.TimestampScale, 1_000_000)]),
        master(ID.Tracks, [
          master(ID.TrackEntry, [uint(ID.TrackNumber, 1), uint(ID.TrackType, 2), str(ID.CodecID, "A_OPUS")]),
        ]),
        master(ID.Cluster, [
          uint(ID.Timestamp, 1000),
          bin(ID.SimpleBlock, xiph),
          master(ID.BlockGroup, [bin(ID.Block, ebmlLaced), uint(ID.BlockDuration, 60)]),
          bin(ID.SimpleBlock, fixed),
          bin(ID.SimpleBlock, Uint8Array.from([...blockHead(0x80 | 0x04, 0), 1, 1, 2, 3])), // 3 bytes / 2
        ]),
      ]),
    ]);
    const reader = new WebmReader();
    const r = collect<WebmHeader, WebmFrame>(reader, file, 11);
    assert.equal(r.error, undefined);
    assert.deepEqual(
      r.frames.map((f) => [f.timestamp, f.data.length]),
      [
        [48000, 3],
        [48960, 300],
        [49920, 7],
        [52800, 3],
        [53760, 300],
        [54720, 7],
        [57600, 7],
        [58560, 7],
      ],
    );
    assert.deepEqual(r.frames[1]!.data, p[1]);
    assert.equal(reader.stats.droppedBlocks, 1, "fixed lacing that does not divide evenly");
  });

  it("reports malformed files as errors", () => {
    const good = fixture("vp8-opus.webm");
    assert.equal(collect(new WebmReader(), bytesOf(100, 1)).error?.reason, "not-ebml");
    const wrongDoc = encodeNodes([master(ID.EBML, [str(ID.DocType, "mkv3")])]);
    assert.equal(collect(new WebmReader(), wrongDoc).error?.reason, "bad-doctype");
    const clusterFirst = encodeNodes([
      master(ID.EBML, [str(ID.DocType, "webm")]),
      master(ID.Segment, [master(ID.Cluster, [uint(ID.Timestamp, 0)])]),
    ]);
    assert.equal(collect(new WebmReader(), clusterFirst).error?.reason, "no-tracks");
    const overrun = encodeNodes([
      master(ID.EBML, [str(ID.DocType, "webm")]),
      master(ID.Segment, [bin(ID.Void, new Uint8Array(4))]),
    ]);
    overrun[overrun.length - 5] = 0x90; // the Void claims 16 bytes inside a 6-byte Segment
    assert.equal(collect(new WebmReader(), overrun).error?.reason, "element-overruns-parent");
    const cut = new WebmReader();
    const c = collect<WebmHeader, WebmFrame>(cut, good.subarray(0, good.length - 100));
    assert.ok(c.ended && c.frames.length > 40);
    assert.ok(cut.stats.truncated);
    assert.equal(collect(new WebmReader({ maxFrameSize: 100 }), good).error?.reason, "frame-too-large");
  });
});
