// petrel/nonstandard recording and playback without a network: local encoded tracks feed the
// recorders directly (a recorder subscribes to a track's frames, local or remote). Several tracks
// into one WebM (read back: both tracks, the video keyframe first, audio before it skipped), an
// H.264 track to Annex B (codec recognised from the frames, the same NAL units), API errors, the
// bounded disk queue; playFile of Ogg Opus and H.264 Annex B (frameRate) with frame counts and
// timestamps.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  type H264AccessUnit,
  H264AnnexBReader,
  IvfReader,
  OggOpusReader,
  readEventsSync,
  WebmReader,
} from "../../src/media/containers/index.js";
import type { EncodedFrame } from "../../src/media/frame.js";
import {
  createEncodedAudioTrack,
  createEncodedVideoTrack,
  createFrameSink,
  playFile,
  recordTrack,
  recordTracks,
} from "../../src/nonstandard/index.js";
import { trackHub } from "../../src/webrtc/media-stream.js";

const dir = mkdtempSync(join(tmpdir(), "petrel-record-play-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function frames(reader: Parameters<typeof readEventsSync>[0], path: string): EncodedFrame[] {
  const out: EncodedFrame[] = [];
  for (const ev of readEventsSync(reader, readFileSync(path)))
    if (ev.type === "frame") out.push(ev.frame as EncodedFrame);
  return out;
}

const vp8 = frames(new IvfReader(), "test/fixtures/media/vp8.ivf");
const opus = frames(new OggOpusReader(), "test/fixtures/media/sine.opus");
const h264 = frames(new H264AnnexBReader(), "test/fixtures/media/testsrc.h264");

describe("recording", () => {
  it("records a video and an audio track into one WebM, starting at the video keyframe", async () => {
    const v = createEncodedVideoTrack({ codec: "VP8" });
    const a = createEncodedAudioTrack();
    const path = join(dir, "both.webm");
    const rec = recordTracks([v.track, a.track], path);
    // Audio before the first video frame is skipped, and so is a video delta frame.
    a.writeFrame({ data: opus[0]!.data, timestamp: 0 });
    v.writeFrame({ data: vp8[1]!.data, timestamp: 0, keyframe: false });
    for (let i = 0; i < vp8.length; i++) {
      v.writeFrame({ data: vp8[i]!.data, timestamp: 3000 + i * 9000, keyframe: vp8[i]!.keyframe });
      for (let k = 0; k < 5; k++) a.writeFrame({ data: opus[1 + i * 2]!.data, timestamp: 960 * (1 + i * 5 + k) });
    }
    const r = await rec.stop();
    assert.deepEqual(r.framesPerTrack, [vp8.length, vp8.length * 5]);
    assert.equal(rec.alignment, "arrival", "local tracks have no sender reports");
    assert.equal(r.frames, vp8.length * 6);
    assert.equal(r.keyframes, vp8.filter((f) => f.keyframe).length);
    const events = [...readEventsSync(new WebmReader(), readFileSync(path))];
    const header = events.find((e) => e.type === "header");
    assert.ok(header?.type === "header");
    assert.deepEqual(
      header.header.tracks.map((t) => [t.number, t.kind, t.codec]),
      [
        [1, "video", "VP8"],
        [2, "audio", "opus"],
      ],
    );
    const got = events.flatMap((e) => (e.type === "frame" ? [e.frame] : []));
    assert.equal(got[0]!.track, 1);
    assert.ok(got[0]!.keyframe);
    assert.deepEqual(Buffer.from(got[0]!.data), Buffer.from(vp8[0]!.data));
    assert.equal(got.filter((f) => f.track === 1).length, vp8.length);
    assert.equal(got.filter((f) => f.track === 2).length, vp8.length * 5);
    // 10 video frames 100 ms apart (9,000 ticks at 90 kHz): the last one at 900 ms.
    assert.equal(Math.max(...got.filter((f) => f.track === 1).map((f) => f.timestamp)), 900 * 90);
  });

  it("lines remote tracks up on the sender's wallclock once sender reports map them", async () => {
    const v = createEncodedVideoTrack({ codec: "VP8" });
    const a = createEncodedAudioTrack();
    const path = join(dir, "synced.webm");
    const rec = recordTracks([v.track, a.track], path);
    // Remote-like frames: the sender's camera frame i at wallclock 5000 + 100 i ms, its microphone
    // packet j at 4950 + 20 j ms, on unrelated RTP clocks; sender reports map them from the 4th on.
    const remote = (data: Uint8Array, timestamp: number, keyframe: boolean, senderTime: number, mapped: boolean) => ({
      data,
      timestamp,
      keyframe,
      firstSequenceNumber: 0,
      lastSequenceNumber: 0,
      packets: 1,
      completedAt: 0,
      mimeType: undefined,
      senderTime: mapped ? senderTime : undefined,
    });
    // The microphone's packets arrive up to 40 ms ahead of the camera frame captured with them, so
    // some come before the first video frame yet belong after it.
    let j = 0;
    const audioUntil = (ms: number) => {
      for (; 4950 + j * 20 < ms; j++) {
        trackHub(a.track).pushFrame(remote(opus[1]!.data, 7777 + j * 960, true, 4950 + j * 20, j >= 3));
      }
    };
    for (let i = 0; i < vp8.length; i++) {
      audioUntil(5000 + i * 100 + 40);
      const t = 0xffff_f000 + i * 9000; // wraps at 2^32 on the way
      trackHub(v.track).pushFrame(remote(vp8[i]!.data, t >>> 0, vp8[i]!.keyframe, 5000 + i * 100, i >= 3));
    }
    audioUntil(6000);
    assert.equal(rec.alignment, "sender-reports");
    await rec.stop();
    const got = [...readEventsSync(new WebmReader(), readFileSync(path))].flatMap((e) =>
      e.type === "frame" ? [e.frame] : [],
    );
    const ms = (track: number) =>
      got.filter((f) => f.track === track).map((f) => f.timestamp / (track === 1 ? 90 : 48));
    assert.deepEqual(
      ms(1),
      vp8.map((_, i) => i * 100),
    );
    // The microphone's packets before the camera's first frame (4950, 4970, 4990 ms) are left out.
    const audio = ms(2);
    assert.equal(audio.length, 50);
    assert.deepEqual(audio.slice(0, 3), [10, 30, 50]);
  });

  it("records H.264 to an Annex B file, recognising the codec from the frames", async () => {
    const v = createEncodedVideoTrack({ codec: "H264" });
    const path = join(dir, "out.h264");
    const rec = recordTrack(v.track, path);
    const firstIdr = h264.findIndex((f) => f.keyframe);
    assert.equal(firstIdr, 0, "the fixture starts with an IDR");
    v.writeFrame({ data: h264[1]!.data, timestamp: 0, keyframe: false });
    for (const [i, f] of h264.entries())
      v.writeFrame({ data: f.data, timestamp: 3000 * (i + 1), keyframe: f.keyframe });
    const r = await rec.stop();
    assert.equal(r.frames, h264.length);
    // The same access units (the writer uses 4-byte start codes where the file had some 3-byte ones).
    const back = frames(new H264AnnexBReader(), path);
    assert.equal(back.length, h264.length);
    for (const [i, f] of back.entries()) {
      assert.deepEqual(
        (f as H264AccessUnit).nalus.map((n) => Buffer.from(n).toString("hex")),
        (h264[i] as H264AccessUnit).nalus.map((n) => Buffer.from(n).toString("hex")),
      );
    }
  });

  it("rejects what the formats cannot hold", async () => {
    const a = createEncodedAudioTrack();
    const v = createEncodedVideoTrack({ codec: "H264" });
    assert.throws(() => recordTrack(a.track, join(dir, "x.ivf")), TypeError);
    assert.throws(() => recordTrack(a.track, join(dir, "x.h264")), TypeError);
    assert.throws(() => recordTracks([], join(dir, "x.webm")), TypeError);
    assert.throws(() => recordTracks([v.track, a.track], join(dir, "x.ivf")), TypeError);
    // H.264 into IVF: the error comes out of stop().
    const rec = recordTrack(v.track, join(dir, "h264.ivf"));
    v.writeFrame({ data: h264[0]!.data, timestamp: 0, keyframe: true });
    await assert.rejects(rec.stop(), /IVF cannot hold H.264/);
  });

  it("drops frames beyond maxPending while the disk is behind, and counts them", async () => {
    const v = createEncodedVideoTrack({ codec: "VP8" });
    const rec = recordTrack(v.track, join(dir, "bounded.ivf"), { maxPending: 4 });
    // All written in one turn: the first file write has not even started.
    for (let i = 0; i < 10; i++) v.writeFrame({ data: vp8[0]!.data, timestamp: i * 3000, keyframe: true });
    assert.equal(rec.dropped, 6);
    const r = await rec.stop();
    assert.equal(r.frames, 4);
    assert.equal(frames(new IvfReader(), join(dir, "bounded.ivf")).length, 4);
  });
});

describe("playFile", () => {
  it("plays an Ogg Opus file into an audio track, 960 ticks per 20 ms packet", async () => {
    const play = await playFile("test/fixtures/media/sine.opus");
    assert.equal(play.video, undefined);
    assert.ok(play.audio);
    const got: EncodedFrame[] = [];
    createFrameSink(play.audio, (f) => got.push(f));
    play.start();
    await play.done;
    assert.equal(play.framesPlayed.audio, opus.length);
    assert.equal(got.length, opus.length);
    assert.equal(got[0]!.timestamp, 0);
    for (let i = 1; i < got.length; i++) assert.equal(got[i]!.timestamp - got[i - 1]!.timestamp, 960);
    assert.deepEqual(Buffer.from(got[3]!.data), Buffer.from(opus[3]!.data));
  });

  it("plays an H.264 Annex B file at the given frame rate", async () => {
    const play = await playFile("test/fixtures/media/testsrc.h264", { frameRate: 50 });
    assert.equal(play.audio, undefined);
    assert.ok(play.video);
    const got: EncodedFrame[] = [];
    createFrameSink(play.video, (f) => got.push(f));
    play.start();
    await play.done;
    assert.equal(play.framesPlayed.video, h264.length);
    assert.deepEqual(
      got.map((f) => f.timestamp),
      h264.map((_, i) => i * 1800),
    );
    assert.ok(got[0]!.keyframe);
  });

  it("refuses a bad frame rate and a file it cannot read", async () => {
    await assert.rejects(playFile("test/fixtures/media/testsrc.h264", { frameRate: 0 }), RangeError);
    await assert.rejects(playFile("package.json"), TypeError);
  });
});
