// Ogg Opus (RFC 7845 over RFC 3533): the page CRC, reading ffmpeg's file (granules, end trimming),
// writer round trips across pages, gap filling, damaged pages, comment headers and OpusHead.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { opusPacketSamples } from "../../../src/media/codecs/opus.js";
import { MemorySink } from "../../../src/media/containers/io.js";
import { oggCrc, parseOggPage } from "../../../src/media/containers/ogg.js";
import { type OggOpusHeader, OggOpusReader, OggOpusWriter } from "../../../src/media/containers/ogg-opus.js";
import { parseOpusHead, writeOpusHead } from "../../../src/media/containers/opus-head.js";
import type { EncodedFrame } from "../../../src/media/containers/types.js";
import { bytesOf, collect, fixture } from "./helpers.js";

const TOC_20MS = 0xf8; // CELT fullband 20 ms, mono, one frame (RFC 6716 table 2)

function packet(n: number, seed: number): Uint8Array {
  const b = bytesOf(n, seed);
  b[0] = TOC_20MS;
  return b;
}

/** Splits a file into its pages (offset, length). */
function pages(b: Uint8Array): { at: number; size: number }[] {
  const out: { at: number; size: number }[] = [];
  let o = 0;
  while (o < b.length) {
    const r = parseOggPage(b.subarray(o));
    assert.ok(r && !("reason" in r), `page at ${o}`);
    out.push({ at: o, size: r.size });
    o += r.size;
  }
  return out;
}

describe("Ogg Opus", () => {
  it("computes the Ogg CRC (poly 0x04c11db7, unreflected, init 0)", () => {
    // CRC-32/CKSUM is the same register with a final xor: its check value for "123456789" is
    // 0x765e7680, so Ogg's (no final xor) is its complement.
    assert.equal(oggCrc(0, new TextEncoder().encode("123456789")), ~0x765e7680 >>> 0);
  });

  it("reads ffmpeg's sine.opus: headers, 26 packets, granule timestamps and end trimming", () => {
    for (const chunk of [1, 100, 65536]) {
      const r = collect<OggOpusHeader, EncodedFrame>(new OggOpusReader(), fixture("sine.opus"), chunk);
      assert.equal(r.error, undefined);
      assert.ok(r.ended);
      assert.equal(r.header?.head.channels, 1);
      assert.equal(r.header?.head.preSkip, 312);
      assert.match(r.header?.tags?.vendor ?? "", /^Lavf/);
      assert.equal(r.frames.length, 26);
      r.frames.forEach((f, i) => {
        assert.equal(f.timestamp, i * 960);
        assert.equal(f.keyframe, true);
      });
      assert.equal(r.frames[25]!.duration, 312, "EOS granule 24312 trims the last packet");
    }
  });

  it("round-trips packets, including one spanning several pages", async () => {
    const sink = new MemorySink();
    const w = new OggOpusWriter(sink, { channels: 2, preSkip: 312, serial: 77, maxPageDuration: 100 });
    const sizes = [1, 2, 100, 254, 255, 256, 510, 70_000, 3, 1000];
    const sent: EncodedFrame[] = [];
    for (let i = 0; i < 60; i++) {
      const f = { data: packet(sizes[i % sizes.length]!, i + 1), timestamp: 5000 + i * 960, keyframe: true };
      sent.push(f);
      await w.writeFrame(f);
    }
    await w.close();
    const bytes = sink.bytes();
    const ps = pages(bytes);
    assert.ok(ps.length > 10);
    assert.equal(bytes[ps[0]!.at + 5], 0x02, "BOS");
    assert.equal(bytes[ps.at(-1)!.at + 5]! & 0x04, 0x04, "EOS");
    for (const chunk of [3, 65536]) {
      const r = collect<OggOpusHeader, EncodedFrame>(new OggOpusReader(), bytes, chunk);
      assert.equal(r.error, undefined);
      assert.equal(r.header?.serial, 77);
      assert.equal(r.header?.head.channels, 2);
      assert.equal(r.header?.head.preSkip, 312);
      assert.equal(r.frames.length, 60);
      r.frames.forEach((f, i) => {
        assert.deepEqual(f.data, sent[i]!.data, `packet ${i}`);
        assert.equal(f.timestamp, i * 960, `timestamp ${i}`);
        assert.equal(f.duration, 960);
      });
    }
  });

  it("fills timestamp gaps with TOC-only packets so granules stay right", async () => {
    const sink = new MemorySink();
    const w = new OggOpusWriter(sink, { serial: 1 });
    for (const ts of [0, 960, 4800, 5760])
      await w.writeFrame({ data: packet(20, ts + 1), timestamp: ts, keyframe: true });
    await w.close();
    const r = collect<OggOpusHeader, EncodedFrame>(new OggOpusReader(), sink.bytes());
    assert.deepEqual(
      r.frames.map((f) => [f.timestamp, f.data.length]),
      [
        [0, 20],
        [960, 20],
        [1920, 1],
        [2880, 1],
        [3840, 1],
        [4800, 20],
        [5760, 20],
      ],
    );
    assert.equal(opusPacketSamples(r.frames[2]!.data), 960);
  });

  it("survives a lost page, a corrupt page and garbage between pages", async () => {
    const sink = new MemorySink();
    const w = new OggOpusWriter(sink, { serial: 9, maxPageDuration: 40 }); // two packets per page
    for (let i = 0; i < 20; i++) await w.writeFrame({ data: packet(50, i + 1), timestamp: i * 960, keyframe: true });
    await w.close();
    const bytes = sink.bytes();
    const ps = pages(bytes);
    // Pages: head, tags, then 10 audio pages of 2 packets and the EOS page.
    const lost = ps[4]!; // packets 4 and 5
    const corrupt = ps[7]!; // packets 10 and 11
    const parts: Uint8Array[] = [];
    parts.push(bytes.subarray(0, lost.at));
    parts.push(new TextEncoder().encode("garbage OggS not a page"));
    const rest = bytes.slice(lost.at + lost.size);
    rest[corrupt.at - lost.at - lost.size + 40] ^= 0xff;
    parts.push(rest);
    const r = new OggOpusReader();
    const c = collect<OggOpusHeader, EncodedFrame>(r, Buffer.concat(parts), 17);
    assert.equal(c.error, undefined);
    assert.ok(c.ended);
    assert.equal(r.stats.crcErrors, 1);
    assert.ok(r.stats.skippedBytes > 20);
    assert.equal(r.stats.lostPages, 2, "the dropped page and the corrupt one");
    const got = c.frames.map((f) => f.timestamp / 960);
    assert.deepEqual(got, [0, 1, 2, 3, 6, 7, 8, 9, 12, 13, 14, 15, 16, 17, 18, 19]);
  });

  it("writes a comment header spanning pages (granule -1, then 0) and trims the end", async () => {
    const sink = new MemorySink();
    const big = `ALBUMART=${"x".repeat(150_000)}`;
    const w = new OggOpusWriter(sink, { serial: 3, tags: { vendor: "v", comments: ["TITLE=t", big] } });
    for (let i = 0; i < 5; i++) {
      await w.writeFrame({
        data: packet(40, i + 1),
        timestamp: i * 960,
        keyframe: true,
        duration: i === 4 ? 100 : 960,
      });
    }
    await w.close();
    const bytes = sink.bytes();
    const ps = pages(bytes);
    const granules = ps.map((p) => (parseOggPage(bytes.subarray(p.at)) as { page: { granule: number } }).page.granule);
    assert.deepEqual(granules, [0, -1, -1, 0, 3940], "head, three tag pages, the audio/EOS page");
    const r = collect<OggOpusHeader, EncodedFrame>(new OggOpusReader(), bytes, 1000);
    assert.deepEqual(r.header?.tags?.comments, ["TITLE=t", big]);
    assert.equal(r.frames.length, 5);
    assert.equal(r.frames[4]!.duration, 100);
    // Larger than the reader's packet limit: the tags are dropped, the audio still plays.
    const small = new OggOpusReader({ maxPacketSize: 1000 });
    const s = collect<OggOpusHeader, EncodedFrame>(small, bytes, 1000);
    assert.equal(s.header?.tags, undefined);
    assert.equal(s.frames.length, 5);
    assert.equal(small.stats.droppedPackets, 1);
  });

  it("reports files without an Opus stream and truncated headers", () => {
    assert.equal(collect(new OggOpusReader(), bytesOf(5000, 3)).error?.reason, "no-opus-stream");
    const f = fixture("sine.opus");
    const ps = pages(f);
    assert.equal(collect(new OggOpusReader(), f.subarray(0, ps[1]!.at)).error?.reason, "truncated-headers");
  });

  it("encodes and parses OpusHead for mapping families 0 and 1", () => {
    const h = parseOpusHead(writeOpusHead({ channels: 2, preSkip: 3840, outputGain: -256 }));
    assert.ok(!("reason" in h));
    assert.equal(h.preSkip, 3840);
    assert.equal(h.outputGain, -256);
    const m = parseOpusHead(
      writeOpusHead({
        channels: 6,
        mappingFamily: 1,
        streamCount: 4,
        coupledCount: 2,
        channelMapping: Uint8Array.of(0, 4, 1, 2, 3, 5),
      }),
    );
    assert.ok(!("reason" in m));
    assert.deepEqual([...m.channelMapping!], [0, 4, 1, 2, 3, 5]);
    assert.deepEqual(parseOpusHead(writeOpusHead({ channels: 3 })), { reason: "bad-channel-count" });
    assert.throws(() => new OggOpusWriter(new MemorySink(), { channels: 3 }), { code: "bad-channels" });
  });
});
