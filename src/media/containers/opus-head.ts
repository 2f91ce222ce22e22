// The Ogg Opus header packets (RFC 7845 section 5): the identification header "OpusHead"
// (version, channel count, pre-skip, input sample rate, output gain, channel mapping family and
// table; 5.1) and the comment header "OpusTags" (vendor string and user comments; 5.2).
// The same OpusHead bytes are WebM's A_OPUS CodecPrivate.
import { readU16LE, readU32LE, writeU16LE, writeU32LE } from "../../bytes/index.js";

export interface OpusHead {
  version: number;
  channels: number;
  /** Samples at 48 kHz to discard at the start of decoding. */
  preSkip: number;
  /** The original input rate (informational only). */
  inputSampleRate: number;
  /** Q7.8 dB. */
  outputGain: number;
  mappingFamily: number;
  /** For mapping family != 0: stream count, coupled count and the channel mapping table. */
  streamCount?: number;
  coupledCount?: number;
  channelMapping?: Uint8Array;
}

export interface OpusTags {
  vendor: string;
  comments: string[];
}

const HEAD_MAGIC = "OpusHead";
const TAGS_MAGIC = "OpusTags";

function hasMagic(b: Uint8Array, magic: string): boolean {
  if (b.length < 8) return false;
  for (let i = 0; i < 8; i++) if (b[i] !== magic.charCodeAt(i)) return false;
  return true;
}

export function isOpusHead(b: Uint8Array): boolean {
  return hasMagic(b, HEAD_MAGIC);
}

/** Parses OpusHead (RFC 7845 5.1); a reason on malformed input. */
export function parseOpusHead(b: Uint8Array): OpusHead | { reason: string } {
  if (!hasMagic(b, HEAD_MAGIC)) return { reason: "not-opus-head" };
  if (b.length < 19) return { reason: "truncated-opus-head" };
  const version = b[8]!;
  if (version >> 4 !== 0) return { reason: "unsupported-opus-version" };
  const channels = b[9]!;
  if (channels === 0) return { reason: "bad-channel-count" };
  const head: OpusHead = {
    version,
    channels,
    preSkip: readU16LE(b, 10),
    inputSampleRate: readU32LE(b, 12),
    outputGain: (readU16LE(b, 16) << 16) >> 16,
    mappingFamily: b[18]!,
  };
  if (head.mappingFamily === 0) {
    if (channels > 2) return { reason: "bad-channel-count" };
  } else {
    if (b.length < 21 + channels) return { reason: "truncated-opus-head" };
    head.streamCount = b[19]!;
    head.coupledCount = b[20]!;
    if (head.streamCount === 0 || head.coupledCount > head.streamCount) return { reason: "bad-stream-count" };
    head.channelMapping = b.slice(21, 21 + channels);
  }
  return head;
}

export function writeOpusHead(h: Partial<OpusHead> & { channels: number }): Uint8Array {
  const family = h.mappingFamily ?? 0;
  const extra = family === 0 ? 0 : 2 + h.channels;
  const b = new Uint8Array(19 + extra);
  for (let i = 0; i < 8; i++) b[i] = HEAD_MAGIC.charCodeAt(i);
  b[8] = h.version ?? 1;
  b[9] = h.channels;
  writeU16LE(b, 10, h.preSkip ?? 0);
  writeU32LE(b, 12, h.inputSampleRate ?? 48000);
  writeU16LE(b, 16, h.outputGain ?? 0);
  b[18] = family;
  if (family !== 0) {
    b[19] = h.streamCount ?? 1;
    b[20] = h.coupledCount ?? 0;
    const map = h.channelMapping ?? Uint8Array.from({ length: h.channels }, (_, i) => i);
    b.set(map.subarray(0, h.channels), 21);
  }
  return b;
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

/** Parses OpusTags (RFC 7845 5.2); lengths are checked against the packet. */
export function parseOpusTags(b: Uint8Array, maxComments = 10_000): OpusTags | { reason: string } {
  if (!hasMagic(b, TAGS_MAGIC)) return { reason: "not-opus-tags" };
  let o = 8;
  const u32 = (): number => {
    if (o + 4 > b.length) return -1;
    const v = (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
    o += 4;
    return v;
  };
  const vlen = u32();
  if (vlen < 0 || o + vlen > b.length) return { reason: "truncated-opus-tags" };
  const vendor = utf8.decode(b.subarray(o, o + vlen));
  o += vlen;
  const count = u32();
  if (count < 0) return { reason: "truncated-opus-tags" };
  const comments: string[] = [];
  for (let i = 0; i < count; i++) {
    const len = u32();
    if (len < 0 || o + len > b.length) return { reason: "truncated-opus-tags" };
    if (comments.length < maxComments) comments.push(utf8.decode(b.subarray(o, o + len)));
    o += len;
  }
  return { vendor, comments };
}

export function writeOpusTags(t: OpusTags): Uint8Array {
  const enc = new TextEncoder();
  const vendor = enc.encode(t.vendor);
  const comments = t.comments.map((c) => enc.encode(c));
  let size = 8 + 4 + vendor.length + 4;
  for (const c of comments) size += 4 + c.length;
  const b = new Uint8Array(size);
  for (let i = 0; i < 8; i++) b[i] = TAGS_MAGIC.charCodeAt(i);
  let o = 8;
  const u32 = (v: number): void => {
    b[o] = v;
    b[o + 1] = v >>> 8;
    b[o + 2] = v >>> 16;
    b[o + 3] = v >>> 24;
    o += 4;
  };
  u32(vendor.length);
  b.set(vendor, o);
  o += vendor.length;
  u32(comments.length);
  for (const c of comments) {
    u32(c.length);
    b.set(c, o);
    o += c.length;
  }
  return b;
}
