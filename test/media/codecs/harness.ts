// Test harness for the codec tests: sends frames through an RtpPacketizer, real RTP bytes
// (serializeRtp/parseRtp), a seeded lossy and reordering channel, and an RtpDepacketizer, and
// collects what comes out. Also builds synthetic but well-formed frames for each codec.

import { concatBytes } from "../../../src/bytes/index.js";
import type { DepacketizerEvent, RtpDepacketizer, RtpPacketizer } from "../../../src/media/codecs/index.js";
import type { ReceivedFrame } from "../../../src/media/frame.js";
import type { Random } from "../../../src/random.js";
import { parseRtp, type RtpPacketInit, serializeRtp } from "../../../src/rtp/index.js";

export interface ChannelOptions {
  /** Probability that a packet is lost. */
  loss?: number;
  /** Sequence numbers (counted from 0 per run) of packets to lose. */
  drop?: (index: number, frame: number) => boolean;
  /** Each packet is delayed by a uniform 0..jitterMs (reordering). */
  jitterMs?: number;
  /** Probability that a packet is delivered twice. */
  duplicate?: number;
  /** Time between frames (ms). */
  intervalMs?: number;
}

export interface RunResult {
  events: DepacketizerEvent[];
  frames: ReceivedFrame[];
  sent: RtpPacketInit[][];
}

/** Sends `frames` (with media time ticks) through a channel into `rx`. */
export function run(
  tx: RtpPacketizer,
  rx: RtpDepacketizer,
  frames: { data: Uint8Array; ticks: number }[],
  rnd: Random,
  ch: ChannelOptions = {},
): RunResult {
  const interval = ch.intervalMs ?? 33;
  const arrivals: { at: number; order: number; bytes: Uint8Array }[] = [];
  const sent: RtpPacketInit[][] = [];
  let index = 0;
  for (let f = 0; f < frames.length; f++) {
    const packets = tx.packetize(frames[f]!.data, frames[f]!.ticks);
    sent.push(packets);
    for (const p of packets) {
      const i = index++;
      if (ch.drop?.(i, f)) continue;
      if (ch.loss !== undefined && rnd.float() < ch.loss) continue;
      const bytes = serializeRtp(p);
      const at = f * interval + (ch.jitterMs ? rnd.float() * ch.jitterMs : 0);
      arrivals.push({ at, order: i, bytes });
      if (ch.duplicate !== undefined && rnd.float() < ch.duplicate)
        arrivals.push({ at: at + rnd.float() * interval, order: i, bytes });
    }
  }
  arrivals.sort((a, b) => a.at - b.at || a.order - b.order);
  const events: DepacketizerEvent[] = [];
  const drainEvents = (): void => {
    for (let e = rx.pollEvent(); e !== undefined; e = rx.pollEvent()) events.push(e);
  };
  for (const a of arrivals) {
    const due = rx.nextTimeout();
    if (due !== undefined && due <= a.at) rx.handleTimeout(due);
    const p = parseRtp(a.bytes);
    if (p === undefined) throw new Error("harness: unparseable RTP");
    rx.push(p, a.at);
    drainEvents();
  }
  // Let every wait expire.
  for (let k = 0; k < 10; k++) {
    const due = rx.nextTimeout();
    if (due === undefined) break;
    rx.handleTimeout(due);
  }
  drainEvents();
  const out: ReceivedFrame[] = [];
  for (const e of events) if (e.type === "frame") out.push(e.frame);
  return { events, frames: out, sent };
}

/** Random bytes with no zero byte (safe inside H.264 NAL units: no start code emulation). */
export function nonZeroBytes(rnd: Random, n: number): Uint8Array {
  const b = rnd.bytes(n);
  for (let i = 0; i < n; i++) if (b[i] === 0) b[i] = 1 + (i % 255);
  return b;
}

export { concatBytes as concat };

/** A VP8 frame: frame tag (key or inter, RFC 6386 9.1), key frame start code and size, then random. */
export function vp8Frame(rnd: Random, size: number, key: boolean): Uint8Array {
  const b = rnd.bytes(Math.max(size, 10));
  b[0] = key ? 0x10 : 0x11;
  if (key) {
    b[3] = 0x9d;
    b[4] = 0x01;
    b[5] = 0x2a;
  }
  return b;
}

class BitWriter {
  bytes: number[] = [];
  bit = 0;
  put(v: number, n: number): void {
    for (let k = n - 1; k >= 0; k--) {
      if (this.bit % 8 === 0) this.bytes.push(0);
      if ((v >>> k) & 1) this.bytes[this.bytes.length - 1]! |= 0x80 >>> (this.bit % 8);
      this.bit++;
    }
  }
}

/** A VP9 frame: uncompressed header start (profile 0; key frames with sync code and size), then random. */
export function vp9Frame(rnd: Random, size: number, key: boolean, width = 640, height = 480): Uint8Array {
  const w = new BitWriter();
  w.put(2, 2); // frame_marker
  w.put(0, 2); // profile 0
  w.put(0, 1); // show_existing_frame
  w.put(key ? 0 : 1, 1); // frame_type
  w.put(1, 1); // show_frame
  w.put(0, 1); // error_resilient_mode
  if (key) {
    w.put(0x498342, 24);
    w.put(1, 3); // color_space BT.601
    w.put(0, 1); // color_range
    w.put(width - 1, 16);
    w.put(height - 1, 16);
  }
  const head = Uint8Array.from(w.bytes);
  const out = rnd.bytes(Math.max(size, head.length + 1));
  out.set(head, 0);
  return out;
}

/** An H.264 access unit in Annex B: SPS, PPS and IDR slices for key frames, non-IDR slices else. */
export function h264AccessUnit(rnd: Random, sliceSizes: number[], key: boolean, withParams = key): Uint8Array {
  const nals: Uint8Array[] = [];
  if (withParams) {
    const sps = nonZeroBytes(rnd, 12);
    sps[0] = 0x67;
    const pps = nonZeroBytes(rnd, 5);
    pps[0] = 0x68;
    nals.push(sps, pps);
  }
  for (const s of sliceSizes) {
    const nal = nonZeroBytes(rnd, Math.max(2, s));
    nal[0] = key ? 0x65 : 0x41;
    nals.push(nal);
  }
  const parts: Uint8Array[] = [];
  for (const n of nals) parts.push(Uint8Array.of(0, 0, 0, 1), n);
  return concatBytes(parts);
}

function leb(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v > 0) b |= 0x80;
    out.push(b);
  } while (v > 0);
  return out;
}

/** One OBU with obu_has_size_field (type, payload). */
export function obu(type: number, payload: Uint8Array, extension?: number): Uint8Array {
  const head = [(type << 3) | 0x02 | (extension !== undefined ? 0x04 : 0)];
  if (extension !== undefined) head.push(extension);
  return concatBytes([Uint8Array.from(head), Uint8Array.from(leb(payload.length)), payload]);
}

/** An AV1 temporal unit: TD, then (key) sequence header + frame OBU, or a frame OBU alone. */
export function av1TemporalUnit(
  rnd: Random,
  frameSize: number,
  key: boolean,
  extraObus: Uint8Array[] = [],
): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.of(0x12, 0x00)];
  if (key) {
    const seq = rnd.bytes(12);
    seq[0] = 0x00; // seq_profile 0, still_picture 0, reduced_still_picture_header 0
    parts.push(obu(1, seq));
  }
  const frame = rnd.bytes(Math.max(1, frameSize));
  frame[0] = key ? 0x10 : 0x30; // show_existing_frame 0, frame_type KEY (0) or INTER (1)
  parts.push(obu(6, frame));
  parts.push(...extraObus);
  return concatBytes(parts);
}

/** Asserts equal bytes whatever the views' classes (Buffer or Uint8Array). */
export function assertBytes(actual: Uint8Array | undefined, expected: Uint8Array, message?: string): void {
  if (actual === undefined) throw new Error(`${message ?? "bytes"}: undefined`);
  if (
    Buffer.compare(
      Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength),
      Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength),
    ) !== 0
  )
    throw new Error(
      `${message ?? "bytes differ"}: got ${actual.length} bytes ${Buffer.from(actual).toString("hex").slice(0, 80)}, want ${expected.length} bytes ${Buffer.from(expected).toString("hex").slice(0, 80)}`,
    );
}
