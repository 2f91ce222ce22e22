// Where container writers put bytes and where readers get them: a small sink interface with
// adapters for a Node Writable (honouring backpressure), a file (seekable, so writers can patch
// headers, sizes and cues at close), an async callback and memory; and drivers that feed a
// push-parser from a Uint8Array, an iterable or a Node Readable in bounded chunks.
import { open } from "node:fs/promises";
import type { Writable } from "node:stream";
import type { ContainerReader, ReaderEvent } from "./types.js";

/**
 * A destination for a writer's bytes. Writers call write() in order and await it; a sink that
 * also has writeAt() is seekable, and writers then finalise headers (frame counts, sizes,
 * durations, cues). Chunks handed to a sink are never touched by the writer again.
 */
export interface ByteSink {
  write(chunk: Uint8Array): void | Promise<void>;
  /** Overwrites bytes already written at an absolute position (seekable sinks only). */
  writeAt?(position: number, chunk: Uint8Array): void | Promise<void>;
  close?(): void | Promise<void>;
}

/** A sink over a Node Writable: waits for 'drain' when the stream's buffer is full. Not seekable. */
export function writableSink(stream: Writable, opts: { end?: boolean } = {}): ByteSink {
  const end = opts.end ?? true;
  return {
    write(chunk) {
      if (stream.write(chunk)) return;
      return new Promise<void>((resolve, reject) => {
        const done = (err?: Error): void => {
          stream.off("drain", onDrain);
          stream.off("error", done);
          stream.off("close", onClose);
          if (err) reject(err);
          else resolve();
        };
        const onDrain = (): void => done();
        const onClose = (): void => done(new Error("stream closed"));
        stream.on("drain", onDrain);
        stream.on("error", done);
        stream.on("close", onClose);
      });
    },
    close() {
      if (!end) return;
      return new Promise<void>((resolve, reject) => {
        stream.once("error", reject);
        stream.end(() => resolve());
      });
    },
  };
}

/** A sink that hands every chunk to an (async) function, e.g. an HTTP response or a socket. Not seekable. */
export function callbackSink(fn: (chunk: Uint8Array) => void | Promise<void>): ByteSink {
  return { write: fn };
}

/** A seekable sink writing a file through one file handle (created or truncated). */
export async function fileSink(path: string): Promise<ByteSink> {
  const fh = await open(path, "w");
  let position = 0;
  return {
    async write(chunk) {
      // The position is taken synchronously so that writes issued back to back land in order.
      const at = position;
      position += chunk.length;
      let done = 0;
      while (done < chunk.length) {
        const { bytesWritten } = await fh.write(chunk, done, chunk.length - done, at + done);
        done += bytesWritten;
      }
    },
    async writeAt(at, chunk) {
      let done = 0;
      while (done < chunk.length) {
        const { bytesWritten } = await fh.write(chunk, done, chunk.length - done, at + done);
        done += bytesWritten;
      }
    },
    async close() {
      await fh.close();
    },
  };
}

/** A seekable in-memory sink (tests, small files). Copies what it is given. */
export class MemorySink implements ByteSink {
  private chunks: Uint8Array[];
  private starts: number[];
  length: number;
  closed: boolean;
  constructor() {
    this.chunks = [];
    this.starts = [];
    this.length = 0;
    this.closed = false;
  }
  write(chunk: Uint8Array): void {
    this.chunks.push(Uint8Array.from(chunk));
    this.starts.push(this.length);
    this.length += chunk.length;
  }
  writeAt(position: number, chunk: Uint8Array): void {
    if (position < 0 || position + chunk.length > this.length) throw new RangeError("writeAt outside written bytes");
    // Binary search for the last chunk starting at or before `position`.
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= position) lo = mid;
      else hi = mid - 1;
    }
    for (let i = lo; i < this.chunks.length && this.starts[i]! < position + chunk.length; i++) {
      const c = this.chunks[i]!;
      const s = this.starts[i]!;
      const from = Math.max(position, s);
      const to = Math.min(position + chunk.length, s + c.length);
      if (from < to) c.set(chunk.subarray(from - position, to - position), from - s);
    }
  }
  close(): void {
    this.closed = true;
  }
  /** Everything written so far, as one array. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    for (let i = 0; i < this.chunks.length; i++) out.set(this.chunks[i]!, this.starts[i]!);
    return out;
  }
}

/**
 * What writers use on top of a sink: tracks the byte position, issues writes synchronously in
 * order and collects their completions; flush() waits for them and rethrows the first failure.
 */
export class OrderedSink {
  readonly sink: ByteSink;
  position: number;
  private pending: Promise<void>[];
  private failure: unknown;
  constructor(sink: ByteSink) {
    this.sink = sink;
    this.position = 0;
    this.pending = [];
    this.failure = undefined;
  }
  get seekable(): boolean {
    return typeof this.sink.writeAt === "function";
  }
  write(chunk: Uint8Array): void {
    this.position += chunk.length;
    this.track(this.sink.write(chunk));
  }
  writeAt(position: number, chunk: Uint8Array): void {
    if (this.sink.writeAt) this.track(this.sink.writeAt(position, chunk));
  }
  private track(r: void | Promise<void>): void {
    if (r && typeof (r as Promise<void>).then === "function") {
      this.pending.push(
        (r as Promise<void>).catch((e: unknown) => {
          if (this.failure === undefined) this.failure = e ?? new Error("sink write failed");
        }),
      );
    }
  }
  async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const all = this.pending;
      this.pending = [];
      await Promise.all(all);
    }
    if (this.failure !== undefined) throw this.failure;
  }
  async close(): Promise<void> {
    await this.flush();
    if (this.sink.close) await this.sink.close();
  }
}

/** What readers take: a whole buffer, or chunks as they come (a Node Readable is an AsyncIterable). */
export type ByteSource = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

const FEED_CHUNK = 64 * 1024;

/**
 * Feeds a reader from a buffer or a stream and yields its events until end or error. A buffer is
 * fed in 64 KiB slices (views, no copies) so the reader's own buffer stays small.
 */
export async function* readEvents<H, F>(
  reader: ContainerReader<H, F>,
  source: ByteSource,
): AsyncGenerator<ReaderEvent<H, F>, void, undefined> {
  if (source instanceof Uint8Array) {
    yield* readEventsSync(reader, source);
    return;
  }
  for await (const chunk of source as AsyncIterable<Uint8Array>) if (yield* feed(reader, chunk)) return;
  yield* feed(reader, undefined);
}

/** The synchronous form of readEvents() for a whole buffer. */
export function* readEventsSync<H, F>(
  reader: ContainerReader<H, F>,
  bytes: Uint8Array,
): Generator<ReaderEvent<H, F>, void, undefined> {
  if (!(yield* feed(reader, bytes))) yield* feed(reader, undefined);
}

/**
 * Pushes `bytes` in FEED_CHUNK views (or finishes the input when undefined) and yields the events
 * that frees. Returns true once the reader has ended or failed.
 */
function* feed<H, F>(
  reader: ContainerReader<H, F>,
  bytes: Uint8Array | undefined,
): Generator<ReaderEvent<H, F>, boolean, undefined> {
  let o = 0;
  do {
    if (bytes) reader.push(bytes.subarray(o, Math.min(bytes.length, o + FEED_CHUNK)));
    else reader.finish();
    for (let ev = reader.poll(); ev; ev = reader.poll()) {
      yield ev;
      if (ev.type === "error" || ev.type === "end") return true;
    }
    o += FEED_CHUNK;
  } while (bytes && o < bytes.length);
  return false;
}
