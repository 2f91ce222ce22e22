// Container I/O (src/media/containers/io.ts, detect.ts): detecting each fixture, reading from a
// Node Readable, backpressure on a slow Writable, seekable-file patching and failing sinks.
import assert from "node:assert/strict";
import { createReadStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { after, describe, it } from "node:test";
import { type ContainerKind, createReader, detectContainer } from "../../../src/media/containers/detect.js";
import { fileSink, MemorySink, readEvents, writableSink } from "../../../src/media/containers/io.js";
import { OggOpusReader, OggOpusWriter } from "../../../src/media/containers/ogg-opus.js";
import { WebmReader } from "../../../src/media/containers/webm-reader.js";
import { WebmWriter } from "../../../src/media/containers/webm-writer.js";
import { bytesOf, collect } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "petrel-containers-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("container I/O", () => {
  it("detects each fixture's container and reads it with the matching reader", () => {
    const expect: [string, ContainerKind, number][] = [
      ["vp8.ivf", "ivf", 10],
      ["av1.ivf", "ivf", 10],
      ["sine.opus", "ogg-opus", 26],
      ["testsrc.h264", "h264", 10],
      ["vp8-opus.webm", "webm", 61],
      ["vp8-live.webm", "webm", 10],
    ];
    for (const [name, kind, count] of expect) {
      const bytes = readFileSync(`test/fixtures/media/${name}`);
      assert.equal(detectContainer(bytes.subarray(0, 64)), kind, name);
      const r = collect(createReader(kind), bytes);
      assert.equal(r.frames.length, count, name);
    }
    assert.equal(detectContainer(Uint8Array.of(1, 2, 3, 4)), undefined);
    assert.equal(detectContainer(Uint8Array.of(0x44, 0x4b)), undefined);
  });

  it("reads from a Node Readable in small chunks", async () => {
    const stream = createReadStream("test/fixtures/media/vp8-opus.webm", { highWaterMark: 100 });
    let frames = 0;
    let last = "";
    for await (const ev of readEvents(new WebmReader(), stream)) {
      if (ev.type === "frame") frames++;
      last = ev.type;
    }
    assert.equal(frames, 61);
    assert.equal(last, "end");
  });

  it("waits for 'drain' on a slow Writable and keeps the byte order", async () => {
    const received: Buffer[] = [];
    let writes = 0;
    const slow = new Writable({
      highWaterMark: 64,
      write(chunk: Buffer, _enc, cb) {
        received.push(chunk);
        writes++;
        setImmediate(cb);
      },
    });
    const w = new OggOpusWriter(writableSink(slow), { serial: 5, maxPageDuration: 20 });
    for (let i = 0; i < 50; i++) {
      const data = bytesOf(200, i + 1);
      data[0] = 0xf8;
      await w.writeFrame({ data, timestamp: i * 960, keyframe: true });
      // Backpressure: never more than a page or two outstanding.
      assert.ok(slow.writableLength <= 2 * 300, `buffered ${slow.writableLength}`);
    }
    await w.close();
    assert.ok(slow.writableFinished || slow.writableEnded);
    assert.ok(writes > 50);
    const r = collect(new OggOpusReader(), Buffer.concat(received));
    assert.equal(r.frames.length, 50);
  });

  it("writes a seekable file: Segment size, Duration and Cues patched in place", async () => {
    const path = join(dir, "a.webm");
    const media = async (sink: ConstructorParameters<typeof WebmWriter>[0]): Promise<void> => {
      const w = new WebmWriter(sink, { tracks: [{ kind: "video", codec: "VP8", width: 16, height: 16 }] });
      for (let i = 0; i < 30; i++) {
        const data = bytesOf(100 + i, i + 1);
        data[0] = i % 10 === 0 ? 0x10 : 0x11;
        await w.writeFrame(1, { data, timestamp: i * 3000, keyframe: i % 10 === 0, duration: 3000 });
      }
      await w.close();
    };
    await media(await fileSink(path));
    const mem = new MemorySink();
    await media(mem);
    const file = new Uint8Array(readFileSync(path));
    // TrackUIDs are random: compare everything but that, via the reader.
    assert.equal(file.length, mem.length);
    const reader = new WebmReader();
    const r = collect(reader, file);
    assert.equal(r.frames.length, 30);
    assert.equal(r.header?.durationMs, 1000);
    assert.equal(reader.cues.length, 3);
  });

  it("reports a failing sink from the write that hit it", async () => {
    const broken = new PassThrough();
    const sink = writableSink(broken);
    const w = new OggOpusWriter(
      {
        write: (c) => {
          if (c.length > 100) return Promise.reject(new Error("disk full"));
          return sink.write(c);
        },
      },
      { serial: 1, maxPageDuration: 1 },
    );
    const big = bytesOf(500, 1);
    big[0] = 0xf8;
    await w.writeFrame({ data: Uint8Array.of(0xf8), timestamp: 0, keyframe: true });
    await assert.rejects(
      (async () => {
        await w.writeFrame({ data: big, timestamp: 960, keyframe: true });
        await w.writeFrame({ data: big, timestamp: 1920, keyframe: true });
      })(),
      /disk full/,
    );
  });
});
