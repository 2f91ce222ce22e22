// Mutation fuzzing of every reader: flipped, inserted, deleted and truncated bytes fed in random
// chunk sizes must end in an "end" or "error" event, never an exception or a hang.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { H264AnnexBReader } from "../../../src/media/containers/h264-annexb.js";
import { IvfReader } from "../../../src/media/containers/ivf.js";
import { OggOpusReader } from "../../../src/media/containers/ogg-opus.js";
import type { ContainerReader } from "../../../src/media/containers/types.js";
import { WebmReader } from "../../../src/media/containers/webm-reader.js";
import { SeededRandom } from "../../../src/random.js";
import { fixture } from "./helpers.js";

function join(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function mutate(src: Uint8Array, rnd: SeededRandom): Uint8Array {
  let b: Uint8Array = src.slice();
  const n = 1 + rnd.int(4);
  for (let k = 0; k < n; k++) {
    const op = rnd.int(10);
    const at = rnd.int(b.length);
    if (op < 5) b[at] = rnd.int(256);
    else if (op < 6) b[at] = b[at]! ^ (1 << rnd.int(8));
    else if (op < 7) b = join(b.subarray(0, at), rnd.bytes(1 + rnd.int(8)), b.subarray(at));
    else if (op < 8) b = join(b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + rnd.int(16))));
    else if (op < 9) b = b.subarray(0, at);
    else b[at] = rnd.int(2) === 0 ? 0xff : 0;
  }
  return b;
}

function run(reader: ContainerReader<unknown, unknown>, b: Uint8Array, rnd: SeededRandom): string {
  let o = 0;
  let polls = 0;
  for (;;) {
    for (let ev = reader.poll(); ev; ev = reader.poll()) {
      if (++polls > 100_000) return "hang";
      if (ev.type === "end") return "end";
      if (ev.type === "error") return "error";
    }
    if (o >= b.length) {
      reader.finish();
      for (let ev = reader.poll(); ev; ev = reader.poll()) {
        if (++polls > 100_000) return "hang";
        if (ev.type === "end") return "end";
        if (ev.type === "error") return "error";
      }
      return "silent";
    }
    const n = 1 + rnd.int(rnd.int(2) === 0 ? 64 : 4096);
    reader.push(b.subarray(o, o + n));
    o += n;
  }
}

const CASES: { name: string; files: string[]; make: () => ContainerReader<unknown, unknown> }[] = [
  { name: "IVF", files: ["vp8.ivf", "vp9.ivf", "av1.ivf"], make: () => new IvfReader() },
  { name: "Ogg Opus", files: ["sine.opus"], make: () => new OggOpusReader() },
  { name: "H.264", files: ["testsrc.h264"], make: () => new H264AnnexBReader() },
  { name: "WebM", files: ["vp8-opus.webm", "vp8-live.webm"], make: () => new WebmReader() },
];
const PER_FORMAT = 5000;

describe("container readers under mutation", () => {
  for (const c of CASES) {
    it(`${c.name}: ${PER_FORMAT} mutated files end cleanly`, () => {
      const srcs = c.files.map(fixture);
      const outcomes: Record<string, number> = {};
      for (let seed = 1; seed <= PER_FORMAT; seed++) {
        const rnd = new SeededRandom(seed);
        const b = mutate(srcs[seed % srcs.length]!, rnd);
        let outcome: string;
        try {
          outcome = run(c.make(), b, rnd);
        } catch (e) {
          assert.fail(`${c.name} seed ${seed} threw: ${(e as Error).stack}`);
        }
        assert.ok(outcome === "end" || outcome === "error", `${c.name} seed ${seed}: ${outcome}`);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }
      assert.ok((outcomes.end ?? 0) > 0, "some mutations still parse to the end");
    });
  }
});
