// A reliable-transfer workload for SCTP pair tests: N streams, messages of varied sizes whose
// bytes are derived from (stream, sequence number), checked on arrival without keeping them.
import assert from "node:assert/strict";
import type { SctpEvent, SctpOptions } from "../../src/sctp/index.js";
import type { LinkConfig } from "../sim/network.js";
import { establish, makePair, type Pair } from "./pair.js";

export function messageBytes(stream: number, seq: number, size: number): Uint8Array {
  const b = Buffer.allocUnsafe(size);
  b.fill((seq * 31 + stream * 7) & 255);
  if (size >= 8) {
    b.writeUInt32BE(stream, 0);
    b.writeUInt32BE(seq, 4);
  }
  return b;
}

export function checkMessage(stream: number, seq: number, data: Uint8Array, size: number, why: string): void {
  if (data.length !== size)
    assert.fail(`${why}: stream ${stream} message ${seq} has ${data.length} bytes, want ${size}`);
  const v = (seq * 31 + stream * 7) & 255;
  let start = 0;
  if (size >= 8) {
    const hdr = Buffer.from(data.buffer, data.byteOffset, 8);
    if (hdr.readUInt32BE(0) !== stream || hdr.readUInt32BE(4) !== seq)
      assert.fail(
        `${why}: stream ${stream} expected message ${seq}, got stream ${hdr.readUInt32BE(0)} message ${hdr.readUInt32BE(4)}`,
      );
    start = 8;
  }
  for (let i = start; i < size; i++)
    if (data[i] !== v) assert.fail(`${why}: stream ${stream} message ${seq} corrupt at ${i}`);
}

/** Message sizes cycle through this list (1 byte to 64 KiB). */
const SIZES = [1200, 64, 16384, 9, 4000, 65536, 100, 1100, 30000, 2500, 700, 8];

export interface TransferResult {
  pair: Pair;
  virtualMs: number;
  messages: number;
}

/** Sends `totalBytes` over `streams` ordered reliable streams from a to b and checks every byte. */
export function reliableTransfer(
  seed: number,
  link: LinkConfig,
  totalBytes: number,
  streams: number,
  opts: { a?: SctpOptions; b?: SctpOptions } = {},
): TransferResult {
  const nextSend = new Array<number>(streams).fill(0);
  const nextRecv = new Array<number>(streams).fill(0);
  let queuedBytes = 0;
  let sentBytes = 0;
  let recvBytes = 0;
  let messages = 0;
  const why = `seed ${seed}`;
  let pair: Pair | undefined;
  let turn = 0;
  const topUp = (): void => {
    const p = pair!;
    while (queuedBytes < 512 * 1024 && sentBytes < totalBytes) {
      const s = turn++ % streams;
      const seq = nextSend[s]!++;
      const size = Math.min(SIZES[(seq + s) % SIZES.length]!, totalBytes - sentBytes);
      p.a.send(s, 53, messageBytes(s, seq, size), undefined, p.net.now);
      queuedBytes += size;
      sentBytes += size;
    }
  };
  const sizeOf = (s: number, seq: number): number => SIZES[(seq + s) % SIZES.length]!;
  pair = makePair(seed, link, {
    ...opts,
    keep: false,
    onA: (e: SctpEvent) => {
      if (e.type === "sent") {
        queuedBytes -= e.bytes;
        topUp();
      } else if (e.type === "closed") assert.fail(`${why}: a closed: ${e.reason} ${e.cause ?? ""}`);
    },
    onB: (e: SctpEvent) => {
      if (e.type === "message") {
        const s = e.streamId;
        const seq = nextRecv[s]!++;
        const want = Math.min(sizeOf(s, seq), e.data.length);
        checkMessage(s, seq, e.data, want === e.data.length ? e.data.length : sizeOf(s, seq), why);
        recvBytes += e.data.length;
        messages++;
      } else if (e.type === "closed") assert.fail(`${why}: b closed: ${e.reason} ${e.cause ?? ""}`);
    },
  });
  establish(pair);
  const start = pair.net.now;
  topUp();
  pair.kick();
  pair.net.run({ until: () => recvBytes >= totalBytes, maxSteps: 20_000_000 });
  assert.equal(recvBytes, totalBytes, why);
  assert.equal(sentBytes, totalBytes, why);
  return { pair, virtualMs: pair.net.now - start, messages };
}
