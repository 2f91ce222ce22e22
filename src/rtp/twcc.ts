// Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01
// section 3.1): RTPFB FMT 15 with a base sequence number, a 24-bit reference time in 64 ms units,
// packet status chunks (run length, and 1-bit or 2-bit status vectors) and receive deltas in
// 250 us ticks (1 byte when small, 2 bytes signed when large or negative). Parse, build and write.
import { readU16, readU24, readU32, writeU16, writeU24, writeU32 } from "../bytes/index.js";
import { rtpError } from "./errors.js";

export const TWCC_NOT_RECEIVED = 0;
export const TWCC_SMALL_DELTA = 1;
export const TWCC_LARGE_DELTA = 2;
export type TwccStatus = 0 | 1 | 2;

/** Microseconds per delta tick and per reference time unit. */
export const TWCC_TICK_US = 250;
export const TWCC_REFERENCE_US = 64000;

export interface TwccPacketStatus {
  sequence: number;
  status: TwccStatus;
  /** Receive delta in 250 us ticks from the previous received packet (or the reference time). */
  delta: number;
}

export interface TransportFeedback {
  type: "twcc";
  senderSsrc: number;
  mediaSsrc: number;
  baseSequence: number;
  /** 24-bit reference time in multiples of 64 ms. */
  referenceTime: number;
  /** 8-bit feedback packet count. */
  feedbackCount: number;
  /** One entry per reported sequence number, base first. */
  packets: TwccPacketStatus[];
}

/** Parses the body after the common header. Undefined when malformed. */
export function parseTwcc(b: Uint8Array, o: number, end: number): TransportFeedback | undefined {
  if (end - o < 16) return undefined;
  const senderSsrc = readU32(b, o);
  const mediaSsrc = readU32(b, o + 4);
  const baseSequence = readU16(b, o + 8);
  const count = readU16(b, o + 10);
  const referenceTime = readU24(b, o + 12);
  const feedbackCount = b[o + 15]!;
  const symbols = new Uint8Array(count);
  let have = 0;
  let p = o + 16;
  while (have < count) {
    if (p + 2 > end) return undefined;
    const chunk = readU16(b, p);
    p += 2;
    if ((chunk & 0x8000) === 0) {
      const sym = (chunk >>> 13) & 3;
      if (sym === 3) return undefined;
      const run = Math.min(chunk & 0x1fff, count - have);
      if (sym !== 0) symbols.fill(sym, have, have + run);
      have += run;
    } else if ((chunk & 0x4000) === 0) {
      for (let i = 13; i >= 0 && have < count; i--) symbols[have++] = (chunk >>> i) & 1;
    } else {
      for (let i = 12; i >= 0 && have < count; i -= 2) {
        const sym = (chunk >>> i) & 3;
        if (sym === 3) return undefined;
        symbols[have++] = sym;
      }
    }
  }
  const packets: TwccPacketStatus[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const status = symbols[i]! as TwccStatus;
    let delta = 0;
    if (status === TWCC_SMALL_DELTA) {
      if (p + 1 > end) return undefined;
      delta = b[p++]!;
    } else if (status === TWCC_LARGE_DELTA) {
      if (p + 2 > end) return undefined;
      delta = (readU16(b, p) << 16) >> 16;
      p += 2;
    }
    packets[i] = { sequence: (baseSequence + i) & 0xffff, status, delta };
  }
  return { type: "twcc", senderSsrc, mediaSsrc, baseSequence, referenceTime, feedbackCount, packets };
}

/** Status chunks for a list of symbols: run length when 7+ repeat, else 1-bit or 2-bit vectors. */
function encodeChunks(packets: readonly TwccPacketStatus[]): number[] {
  const chunks: number[] = [];
  const n = packets.length;
  let i = 0;
  while (i < n) {
    const sym = packets[i]!.status;
    let run = 1;
    while (i + run < n && packets[i + run]!.status === sym && run < 0x1fff) run++;
    if (run >= 7) {
      chunks.push((sym << 13) | run);
      i += run;
      continue;
    }
    let large = false;
    for (let k = i; k < Math.min(i + 14, n); k++) if (packets[k]!.status === TWCC_LARGE_DELTA) large = true;
    if (!large) {
      let c = 0x8000;
      for (let k = 0; k < 14 && i + k < n; k++) c |= packets[i + k]!.status << (13 - k);
      chunks.push(c);
      i += Math.min(14, n - i);
    } else {
      let c = 0xc000;
      for (let k = 0; k < 7 && i + k < n; k++) c |= packets[i + k]!.status << (12 - 2 * k);
      chunks.push(c);
      i += Math.min(7, n - i);
    }
  }
  return chunks;
}

function check(fb: TransportFeedback): void {
  if (fb.packets.length > 0xffff) throw rtpError("ERR_TWCC", "at most 65535 packets per feedback");
  for (const p of fb.packets) {
    if (p.status === TWCC_SMALL_DELTA && !(p.delta >= 0 && p.delta <= 255)) {
      throw rtpError("ERR_TWCC", `small delta out of range: ${p.delta}`);
    }
    if (p.status === TWCC_LARGE_DELTA && !(p.delta >= -32768 && p.delta <= 32767)) {
      throw rtpError("ERR_TWCC", `large delta out of range: ${p.delta}`);
    }
  }
}

/** Body size after the common header, padded to 32 bits. */
export function twccBodySize(fb: TransportFeedback): number {
  check(fb);
  let n = 16 + encodeChunks(fb.packets).length * 2;
  for (const p of fb.packets) n += p.status === TWCC_SMALL_DELTA ? 1 : p.status === TWCC_LARGE_DELTA ? 2 : 0;
  return (n + 3) & ~3;
}

/** Writes the body (after the common header) at `o`; returns the end offset (zero padded). */
export function writeTwccBody(fb: TransportFeedback, out: Uint8Array, o: number): number {
  check(fb);
  const start = o;
  o = writeU32(out, o, fb.senderSsrc >>> 0);
  o = writeU32(out, o, fb.mediaSsrc >>> 0);
  o = writeU16(out, o, fb.baseSequence & 0xffff);
  o = writeU16(out, o, fb.packets.length);
  o = writeU24(out, o, fb.referenceTime & 0xffffff);
  out[o++] = fb.feedbackCount & 0xff;
  for (const c of encodeChunks(fb.packets)) o = writeU16(out, o, c);
  for (const p of fb.packets) {
    if (p.status === TWCC_SMALL_DELTA) out[o++] = p.delta;
    else if (p.status === TWCC_LARGE_DELTA) o = writeU16(out, o, p.delta & 0xffff);
  }
  while ((o - start) & 3) out[o++] = 0;
  return o;
}

export interface TwccArrival {
  sequence: number;
  /** Arrival time in microseconds on the receiver's clock; undefined when the packet was lost. */
  arrivalUs: number | undefined;
}

/**
 * Builds feedback for packets in sequence order (consecutive sequence numbers, wrap-aware; the
 * first must have arrived). Arrival times are quantised to 250 us ticks without drift. When a
 * delta does not fit 16 bits, a new feedback message starts there (feedbackCount + 1).
 */
export function buildTwccFeedback(opts: {
  senderSsrc: number;
  mediaSsrc: number;
  feedbackCount: number;
  packets: readonly TwccArrival[];
}): TransportFeedback[] {
  const out: TransportFeedback[] = [];
  let count = opts.feedbackCount;
  let i = 0;
  const all = opts.packets;
  while (i < all.length) {
    while (i < all.length && all[i]!.arrivalUs === undefined) i++;
    if (i >= all.length) break;
    const first = all[i]!;
    const referenceTime = Math.floor(first.arrivalUs! / TWCC_REFERENCE_US);
    let prev = referenceTime * TWCC_REFERENCE_US;
    const fb: TransportFeedback = {
      type: "twcc",
      senderSsrc: opts.senderSsrc,
      mediaSsrc: opts.mediaSsrc,
      baseSequence: first.sequence & 0xffff,
      referenceTime: referenceTime & 0xffffff,
      feedbackCount: count & 0xff,
      packets: [],
    };
    for (; i < all.length && fb.packets.length < 0xffff; i++) {
      const a = all[i]!;
      if (a.arrivalUs === undefined) {
        fb.packets.push({ sequence: a.sequence & 0xffff, status: TWCC_NOT_RECEIVED, delta: 0 });
        continue;
      }
      let ticks = Math.round((a.arrivalUs - prev) / TWCC_TICK_US);
      if (ticks === 0) ticks = 0; // no -0
      if (ticks < -32768 || ticks > 32767) break;
      prev += ticks * TWCC_TICK_US;
      const status = ticks >= 0 && ticks <= 255 ? TWCC_SMALL_DELTA : TWCC_LARGE_DELTA;
      fb.packets.push({ sequence: a.sequence & 0xffff, status, delta: ticks });
    }
    out.push(fb);
    count++;
  }
  return out;
}

/** Arrival times (us, on the receiver's clock modulo 2^24 * 64 ms) of the packets of a feedback. */
export function twccArrivals(fb: TransportFeedback): TwccArrival[] {
  let t = fb.referenceTime * TWCC_REFERENCE_US;
  return fb.packets.map((p) => {
    if (p.status === TWCC_NOT_RECEIVED) return { sequence: p.sequence, arrivalUs: undefined };
    t += p.delta * TWCC_TICK_US;
    return { sequence: p.sequence, arrivalUs: t };
  });
}
