// EBML (RFC 8794) as Matroska/WebM uses it (RFC 9559): variable-size integers for element IDs
// (marker kept) and data sizes (marker removed, all ones = unknown size; sections 4 and 6),
// unsigned/signed/float/string element values (section 7), a builder for the small elements a
// writer assembles (headers, tracks, cues) and a walker over a buffered element's children.
// Also the Matroska element IDs the readers and writers use (RFC 9559 section 5).

export const ID = {
  EBML: 0x1a45dfa3,
  EBMLVersion: 0x4286,
  EBMLReadVersion: 0x42f7,
  EBMLMaxIDLength: 0x42f2,
  EBMLMaxSizeLength: 0x42f3,
  DocType: 0x4282,
  DocTypeVersion: 0x4287,
  DocTypeReadVersion: 0x4285,
  Void: 0xec,
  CRC32: 0xbf,
  Segment: 0x18538067,
  SeekHead: 0x114d9b74,
  Seek: 0x4dbb,
  SeekID: 0x53ab,
  SeekPosition: 0x53ac,
  Info: 0x1549a966,
  TimestampScale: 0x2ad7b1,
  Duration: 0x4489,
  MuxingApp: 0x4d80,
  WritingApp: 0x5741,
  Tracks: 0x1654ae6b,
  TrackEntry: 0xae,
  TrackNumber: 0xd7,
  TrackUID: 0x73c5,
  TrackType: 0x83,
  FlagLacing: 0x9c,
  DefaultDuration: 0x23e383,
  CodecID: 0x86,
  CodecPrivate: 0x63a2,
  CodecDelay: 0x56aa,
  SeekPreRoll: 0x56bb,
  Video: 0xe0,
  PixelWidth: 0xb0,
  PixelHeight: 0xba,
  Audio: 0xe1,
  SamplingFrequency: 0xb5,
  Channels: 0x9f,
  Cluster: 0x1f43b675,
  Timestamp: 0xe7,
  SimpleBlock: 0xa3,
  BlockGroup: 0xa0,
  Block: 0xa1,
  BlockDuration: 0x9b,
  ReferenceBlock: 0xfb,
  Cues: 0x1c53bb6b,
  CuePoint: 0xbb,
  CueTime: 0xb3,
  CueTrackPositions: 0xb7,
  CueTrack: 0xf7,
  CueClusterPosition: 0xf1,
  Tags: 0x1254c367,
  Chapters: 0x1043a770,
  Attachments: 0x1941a469,
} as const;

/** The Segment's children: an unknown-size Cluster ends where one of these begins. */
export const TOP_LEVEL_IDS: ReadonlySet<number> = new Set([
  ID.SeekHead,
  ID.Info,
  ID.Tracks,
  ID.Cluster,
  ID.Cues,
  ID.Tags,
  ID.Chapters,
  ID.Attachments,
]);

export const UNKNOWN_SIZE = -1;

/** Reads an element ID (1-4 bytes, marker kept). Returns [id, length], [0, 0] if incomplete, [-1, 0] if invalid. */
export function readId(b: Uint8Array, o: number): [number, number] {
  if (o >= b.length) return [0, 0];
  const first = b[o]!;
  const len = first >= 0x80 ? 1 : first >= 0x40 ? 2 : first >= 0x20 ? 3 : first >= 0x10 ? 4 : 0;
  if (len === 0) return [-1, 0];
  if (o + len > b.length) return [0, 0];
  let id = 0;
  for (let i = 0; i < len; i++) id = id * 256 + b[o + i]!;
  return [id, len];
}

/**
 * Reads a data size (1-8 bytes). Returns [size, length]: size UNKNOWN_SIZE for all ones,
 * [0, 0] if incomplete, [-2, 0] if invalid or beyond 2^53.
 */
export function readSize(b: Uint8Array, o: number): [number, number] {
  if (o >= b.length) return [0, 0];
  const first = b[o]!;
  if (first === 0) return [-2, 0];
  const len = Math.clz32(first) - 23;
  if (o + len > b.length) return [0, 0];
  let v = first & (0xff >> len);
  let allOnes = v === 0xff >> len;
  for (let i = 1; i < len; i++) {
    const x = b[o + i]!;
    if (x !== 0xff) allOnes = false;
    v = v * 256 + x;
  }
  if (allOnes) return [UNKNOWN_SIZE, len];
  if (v > Number.MAX_SAFE_INTEGER) return [-2, 0];
  return [v, len];
}

/** Bytes needed to write `v` as a data size (all-ones is reserved, hence the +1). */
export function sizeLength(v: number): number {
  let len = 1;
  while (len < 8 && v + 1 >= 2 ** (7 * len)) len++;
  return len;
}

export function writeSize(b: Uint8Array, o: number, v: number, len = sizeLength(v)): number {
  let x = v;
  for (let i = len - 1; i > 0; i--) {
    b[o + i] = x & 0xff;
    x = Math.floor(x / 256);
  }
  b[o] = (0x100 >> len) | x;
  return o + len;
}

/** The 8-byte unknown size (01 FF FF FF FF FF FF FF). */
export const UNKNOWN_SIZE_BYTES = Uint8Array.of(0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

export function idLength(id: number): number {
  return id >= 0x1000000 ? 4 : id >= 0x10000 ? 3 : id >= 0x100 ? 2 : 1;
}

export function writeId(b: Uint8Array, o: number, id: number): number {
  const len = idLength(id);
  for (let i = len - 1; i >= 0; i--) {
    b[o + i] = id & 0xff;
    id = Math.floor(id / 256);
  }
  return o + len;
}

export function readUint(b: Uint8Array): number {
  let v = 0;
  for (let i = 0; i < b.length && i < 8; i++) v = v * 256 + b[i]!;
  return v;
}

export function readInt(b: Uint8Array): number {
  if (b.length === 0) return 0;
  let v = b[0]! >= 0x80 ? b[0]! - 256 : b[0]!;
  for (let i = 1; i < b.length && i < 8; i++) v = v * 256 + b[i]!;
  return v;
}

export function readFloat(b: Uint8Array): number {
  if (b.length === 4) return new DataView(b.buffer, b.byteOffset, 4).getFloat32(0);
  if (b.length === 8) return new DataView(b.buffer, b.byteOffset, 8).getFloat64(0);
  return 0;
}

const utf8 = new TextDecoder("utf-8", { fatal: false });
export function readString(b: Uint8Array): string {
  let end = b.length;
  while (end > 0 && b[end - 1] === 0) end--;
  return utf8.decode(b.subarray(0, end));
}

/** Minimal big-endian bytes for an unsigned integer (at least one byte). */
export function uintBytes(v: number, minLength = 1): Uint8Array {
  let len = minLength;
  while (len < 8 && v >= 2 ** (8 * len)) len++;
  const b = new Uint8Array(len);
  let x = v;
  for (let i = len - 1; i >= 0; i--) {
    b[i] = x % 256;
    x = Math.floor(x / 256);
  }
  return b;
}

export function floatBytes(v: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, v);
  return b;
}

/** An element for the builder: binary payload or children. */
export type EbmlNode = { id: number; data: Uint8Array } | { id: number; children: EbmlNode[] };

export const uint = (id: number, v: number): EbmlNode => ({ id, data: uintBytes(v) });
export const float = (id: number, v: number): EbmlNode => ({ id, data: floatBytes(v) });
export const str = (id: number, s: string): EbmlNode => ({ id, data: new TextEncoder().encode(s) });
export const bin = (id: number, data: Uint8Array): EbmlNode => ({ id, data });
export const master = (id: number, children: EbmlNode[]): EbmlNode => ({ id, children });

function payloadSize(n: EbmlNode): number {
  if ("data" in n) return n.data.length;
  let s = 0;
  for (const c of n.children) s += nodeSize(c);
  return s;
}

export function nodeSize(n: EbmlNode): number {
  const p = payloadSize(n);
  return idLength(n.id) + sizeLength(p) + p;
}

function writeNode(n: EbmlNode, out: Uint8Array, o: number): number {
  const p = payloadSize(n);
  o = writeId(out, o, n.id);
  o = writeSize(out, o, p);
  if ("data" in n) {
    out.set(n.data, o);
    return o + n.data.length;
  }
  for (const c of n.children) o = writeNode(c, out, o);
  return o;
}

/** Serialises elements one after another into a new buffer. */
export function encodeNodes(nodes: EbmlNode[]): Uint8Array {
  let size = 0;
  for (const n of nodes) size += nodeSize(n);
  const out = new Uint8Array(size);
  let o = 0;
  for (const n of nodes) o = writeNode(n, out, o);
  return out;
}

/** A Void element filling exactly `size` bytes (size >= 2). */
export function voidElement(size: number): Uint8Array {
  const out = new Uint8Array(size);
  out[0] = ID.Void;
  // Choose a size-field length so that 1 + len + payload = size.
  let len = 1;
  while (len < 8 && size - 1 - len >= 2 ** (7 * len) - 1) len++;
  writeSize(out, 1, size - 1 - len, len);
  return out;
}

/**
 * Walks the children of a fully buffered master element's payload, calling fn(id, payload).
 * Returns false if the payload is malformed (a child overruns it or has an unknown size).
 */
export function walkChildren(b: Uint8Array, fn: (id: number, payload: Uint8Array) => void): boolean {
  let o = 0;
  while (o < b.length) {
    const [id, il] = readId(b, o);
    if (il === 0) return false;
    const [size, sl] = readSize(b, o + il);
    if (sl === 0 || size < 0) return false;
    const start = o + il + sl;
    if (start + size > b.length) return false;
    fn(id, b.subarray(start, start + size));
    o = start + size;
  }
  return true;
}
