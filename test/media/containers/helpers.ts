// Test helpers for the container readers: feed a buffer in chunks of a chosen size and collect
// the header, frames and how the stream ended.
import { readFileSync } from "node:fs";
import type { ContainerParseError, ContainerReader } from "../../../src/media/containers/types.js";

export interface Collected<H, F> {
  header: H | undefined;
  frames: F[];
  ended: boolean;
  error: ContainerParseError | undefined;
}

export function collect<H, F>(reader: ContainerReader<H, F>, bytes: Uint8Array, chunk = 65536): Collected<H, F> {
  const out: Collected<H, F> = { header: undefined, frames: [], ended: false, error: undefined };
  let done = false;
  const drain = (): void => {
    for (let ev = reader.poll(); ev && !done; ev = reader.poll()) {
      if (ev.type === "header") out.header = ev.header;
      else if (ev.type === "frame") out.frames.push(ev.frame);
      else if (ev.type === "end") {
        out.ended = true;
        done = true;
      } else {
        out.error = ev.error;
        done = true;
      }
    }
  };
  for (let o = 0; o < bytes.length && !done; o += chunk) {
    reader.push(bytes.subarray(o, Math.min(bytes.length, o + chunk)));
    drain();
  }
  if (!done) {
    reader.finish();
    drain();
  }
  return out;
}

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(`test/fixtures/media/${name}`));
}

/** Deterministic pseudo-random bytes for payloads. */
export function bytesOf(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}
