// The AV1 codec configuration record (av1C) that Matroska/WebM's V_AV1 CodecPrivate carries
// (AV1 Codec ISO Media File Format Binding, section 2.3; Matroska codec mapping for V_AV1):
// marker/version, seq_profile, seq_level_idx_0, tier, bit depth, monochrome, chroma subsampling
// and sample position, followed by the sequence header OBU. Those fields come from parsing the
// sequence header OBU (AV1 bitstream spec 5.5: sequence_header_obu, timing/decoder model info,
// operating points, color_config). OBUs are split by src/media/codecs/av1.ts.
import { OBU_SEQUENCE_HEADER, parseObus } from "../codecs/av1.js";

class Bits {
  private readonly b: Uint8Array;
  private pos: number;
  failed: boolean;
  constructor(b: Uint8Array) {
    this.b = b;
    this.pos = 0;
    this.failed = false;
  }
  f(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.pos >> 3;
      if (byte >= this.b.length) {
        this.failed = true;
        return 0;
      }
      v = v * 2 + ((this.b[byte]! >> (7 - (this.pos & 7))) & 1);
      this.pos++;
    }
    return v;
  }
  uvlc(): number {
    let zeros = 0;
    while (this.f(1) === 0 && !this.failed) if (++zeros >= 32) return 0;
    return zeros >= 32 ? 0 : this.f(zeros) + 2 ** zeros - 1;
  }
}

interface SeqInfo {
  profile: number;
  level0: number;
  tier0: number;
  highBitdepth: number;
  twelveBit: number;
  monochrome: number;
  ssx: number;
  ssy: number;
  chromaPosition: number;
}

/** Parses the fields av1C needs from a sequence header OBU's payload; undefined if malformed. */
function parseSequenceHeader(p: Uint8Array): SeqInfo | undefined {
  const r = new Bits(p);
  const profile = r.f(3);
  r.f(1); // still_picture
  const reduced = r.f(1);
  let level0 = 0;
  let tier0 = 0;
  if (reduced) level0 = r.f(5);
  else {
    let decoderModel = 0;
    let bufferDelayLength = 0;
    if (r.f(1)) {
      // timing_info
      r.f(32);
      r.f(32);
      if (r.f(1)) r.uvlc();
      decoderModel = r.f(1);
      if (decoderModel) {
        bufferDelayLength = r.f(5) + 1;
        r.f(32);
        r.f(5);
        r.f(5);
      }
    }
    const initialDisplayDelay = r.f(1);
    const ops = r.f(5) + 1;
    for (let i = 0; i < ops; i++) {
      r.f(12); // operating_point_idc
      const level = r.f(5);
      const tier = level > 7 ? r.f(1) : 0;
      if (i === 0) {
        level0 = level;
        tier0 = tier;
      }
      if (decoderModel && r.f(1)) {
        r.f(bufferDelayLength);
        r.f(bufferDelayLength);
        r.f(1);
      }
      if (initialDisplayDelay && r.f(1)) r.f(4);
    }
  }
  const wBits = r.f(4) + 1;
  const hBits = r.f(4) + 1;
  r.f(wBits);
  r.f(hBits);
  if (!reduced && r.f(1)) {
    r.f(4);
    r.f(3);
  }
  r.f(3); // use_128x128_superblock, enable_filter_intra, enable_intra_edge_filter
  if (!reduced) {
    r.f(4); // interintra, masked compound, warped motion, dual filter
    const orderHint = r.f(1);
    if (orderHint) r.f(2);
    const force = r.f(1) ? 2 : r.f(1);
    if (force > 0 && !r.f(1)) r.f(1);
    if (orderHint) r.f(3);
  }
  r.f(3); // superres, cdef, restoration
  const highBitdepth = r.f(1);
  const twelveBit = profile === 2 && highBitdepth ? r.f(1) : 0;
  const monochrome = profile === 1 ? 0 : r.f(1);
  let cp = 2;
  let tc = 2;
  let mc = 2;
  if (r.f(1)) {
    cp = r.f(8);
    tc = r.f(8);
    mc = r.f(8);
  }
  let ssx = 1;
  let ssy = 1;
  let chromaPosition = 0;
  if (monochrome) r.f(1);
  else if (cp === 1 && tc === 13 && mc === 0) {
    ssx = 0;
    ssy = 0;
  } else {
    r.f(1); // color_range
    if (profile === 1) {
      ssx = 0;
      ssy = 0;
    } else if (profile === 2) {
      if (twelveBit) {
        ssx = r.f(1);
        ssy = ssx ? r.f(1) : 0;
      } else {
        ssx = 1;
        ssy = 0;
      }
    }
    if (ssx && ssy) chromaPosition = r.f(2);
  }
  if (r.failed) return undefined;
  return { profile, level0, tier0, highBitdepth, twelveBit, monochrome, ssx, ssy, chromaPosition };
}

/**
 * Builds av1C from a temporal unit (or a lone OBU) containing a sequence header OBU with a size
 * field; undefined if there is none or it is malformed.
 */
export function av1CodecConfig(tu: Uint8Array): Uint8Array | undefined {
  const obus = parseObus(tu);
  if (!obus) return undefined;
  for (const { type, header, payload } of obus) {
    if (type === OBU_SEQUENCE_HEADER) {
      const s = parseSequenceHeader(payload);
      if (!s) return undefined;
      const start = header.byteOffset - tu.byteOffset;
      const obu = tu.subarray(start, payload.byteOffset - tu.byteOffset + payload.length);
      const out = new Uint8Array(4 + obu.length);
      out[0] = 0x81;
      out[1] = (s.profile << 5) | s.level0;
      out[2] =
        (s.tier0 << 7) |
        (s.highBitdepth << 6) |
        (s.twelveBit << 5) |
        (s.monochrome << 4) |
        (s.ssx << 3) |
        (s.ssy << 2) |
        s.chromaPosition;
      out[3] = 0;
      out.set(obu, 4);
      return out;
    }
  }
  return undefined;
}
