// STUN message parsing: a cheap `isStunMessage` test for demultiplexers (RFC 7983 / RFC 8489
// section 5), and `parseStun`, which checks the header and walks the attribute TLVs once into a
// flat index (RFC 8489 section 14) without decoding values. Values are decoded on demand by the
// accessors (addresses per RFC 8489 14.1-14.2, ERROR-CODE 14.8, UNKNOWN-ATTRIBUTES 14.9,
// PASSWORD-ALGORITHMS 14.11, and the TURN attributes of RFC 8656 section 18). Parsing never
// throws: a malformed message yields a reason.
import { formatIP, type TransportAddress } from "../address.js";
import { readU16, readU32 } from "../bytes/index.js";
import {
  Attr,
  classOf,
  HEADER_SIZE,
  isComprehensionRequired,
  isKnownAttribute,
  MAGIC_COOKIE,
  methodOf,
  type StunClass,
} from "./constants.js";

export type StunParseFailure =
  | "too-short"
  | "not-stun"
  | "bad-cookie"
  | "bad-length"
  | "truncated-attribute"
  | "attribute-overflow"
  | "bad-padding"
  | "attribute-after-fingerprint";

export type StunParseResult = { ok: true; msg: StunMessage } | { ok: false; reason: StunParseFailure };

/**
 * The demultiplexing test: first two bits zero, the magic cookie, a length that is a multiple
 * of 4 and matches the datagram. A few byte reads; no allocation.
 */
export function isStunMessage(b: Uint8Array): boolean {
  if (b.length < HEADER_SIZE || (b[0]! & 0xc0) !== 0) return false;
  if (b[4] !== 0x21 || b[5] !== 0x12 || b[6] !== 0xa4 || b[7] !== 0x42) return false;
  const len = (b[2]! << 8) | b[3]!;
  return (len & 3) === 0 && len + HEADER_SIZE === b.length;
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

/** A decoded ERROR-CODE attribute. */
export interface StunErrorCode {
  code: number;
  reason: string;
}

/** One entry of PASSWORD-ALGORITHMS. */
export interface StunPasswordAlgorithm {
  algorithm: number;
  parameters: Uint8Array;
}

/** One attribute as found on the wire (value is a view into the message). */
export interface StunAttribute {
  type: number;
  value: Uint8Array;
}

/**
 * A parsed STUN message. Holds a view of the bytes and a flat index of attributes
 * (type, value offset, value length); accessors decode values when asked.
 * Attributes after MESSAGE-INTEGRITY other than MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are not
 * indexed (RFC 8489 section 14.5: they must be ignored).
 */
export class StunMessage {
  readonly bytes: Uint8Array;
  readonly type: number;
  readonly method: number;
  readonly cls: StunClass;
  /** View of the 12-byte transaction id. */
  readonly transactionId: Uint8Array;
  /** Offset of the MESSAGE-INTEGRITY attribute header, or -1. */
  readonly integrityOffset: number;
  /** Offset of the MESSAGE-INTEGRITY-SHA256 attribute header, or -1. */
  readonly integritySha256Offset: number;
  /** Offset of the FINGERPRINT attribute header, or -1. */
  readonly fingerprintOffset: number;
  /** Comprehension-required attribute types this codec does not know (undefined when none). */
  readonly unknownRequired: number[] | undefined;
  private readonly index: number[];

  constructor(
    bytes: Uint8Array,
    index: number[],
    integrityOffset: number,
    integritySha256Offset: number,
    fingerprintOffset: number,
    unknownRequired: number[] | undefined,
  ) {
    this.bytes = bytes;
    this.type = readU16(bytes, 0);
    this.method = methodOf(this.type);
    this.cls = classOf(this.type);
    this.transactionId = bytes.subarray(8, 20);
    this.index = index;
    this.integrityOffset = integrityOffset;
    this.integritySha256Offset = integritySha256Offset;
    this.fingerprintOffset = fingerprintOffset;
    this.unknownRequired = unknownRequired;
  }

  /** Number of indexed attributes. */
  get attributeCount(): number {
    return this.index.length / 3;
  }

  /** All indexed attributes in wire order (allocates; for inspection and tests). */
  attributes(): StunAttribute[] {
    const out: StunAttribute[] = [];
    for (let i = 0; i < this.index.length; i += 3) {
      const o = this.index[i + 1]!;
      out.push({ type: this.index[i]!, value: this.bytes.subarray(o, o + this.index[i + 2]!) });
    }
    return out;
  }

  private find(type: number): number {
    const idx = this.index;
    for (let i = 0; i < idx.length; i += 3) if (idx[i] === type) return i;
    return -1;
  }

  has(type: number): boolean {
    return this.find(type) >= 0;
  }

  /** The value of the first attribute of this type, as a view. */
  get(type: number): Uint8Array | undefined {
    const i = this.find(type);
    if (i < 0) return undefined;
    const o = this.index[i + 1]!;
    return this.bytes.subarray(o, o + this.index[i + 2]!);
  }

  /** A UTF-8 attribute (USERNAME, REALM, NONCE, SOFTWARE, ...). */
  getString(type: number): string | undefined {
    const v = this.get(type);
    return v ? utf8.decode(v) : undefined;
  }

  /** A 32-bit attribute (PRIORITY, LIFETIME, ...); undefined if absent or not 4 bytes. */
  getU32(type: number): number | undefined {
    const i = this.find(type);
    if (i < 0 || this.index[i + 2] !== 4) return undefined;
    return readU32(this.bytes, this.index[i + 1]!);
  }

  /**
   * An address attribute. XOR-MAPPED-ADDRESS, XOR-PEER-ADDRESS and XOR-RELAYED-ADDRESS are
   * un-XORed; MAPPED-ADDRESS, ALTERNATE-SERVER and others are read plainly.
   */
  getAddress(type: number): TransportAddress | undefined {
    const i = this.find(type);
    if (i < 0) return undefined;
    const xor = type === Attr.XorMappedAddress || type === Attr.XorPeerAddress || type === Attr.XorRelayedAddress;
    return decodeAddress(this.bytes, this.index[i + 1]!, this.index[i + 2]!, xor);
  }

  /** The first ERROR-CODE (RFC 8489 section 14.8). */
  errorCode(): StunErrorCode | undefined {
    const v = this.get(Attr.ErrorCode);
    if (!v || v.length < 4) return undefined;
    const cls = v[2]! & 7;
    const num = v[3]!;
    if (cls < 3 || cls > 6 || num > 99) return undefined;
    return { code: cls * 100 + num, reason: utf8.decode(v.subarray(4)) };
  }

  /** UNKNOWN-ATTRIBUTES (RFC 8489 section 14.9). */
  unknownAttributes(): number[] | undefined {
    const v = this.get(Attr.UnknownAttributes);
    if (!v || (v.length & 1) !== 0) return undefined;
    const out: number[] = [];
    for (let o = 0; o < v.length; o += 2) out.push(readU16(v, o));
    return out;
  }

  /** PASSWORD-ALGORITHMS (RFC 8489 section 14.11). */
  passwordAlgorithms(): StunPasswordAlgorithm[] | undefined {
    const v = this.get(Attr.PasswordAlgorithms);
    if (!v) return undefined;
    const out: StunPasswordAlgorithm[] = [];
    let o = 0;
    while (o < v.length) {
      if (o + 4 > v.length) return undefined;
      const algorithm = readU16(v, o);
      const len = readU16(v, o + 2);
      const padded = (len + 3) & ~3;
      if (o + 4 + len > v.length) return undefined;
      out.push({ algorithm, parameters: v.subarray(o + 4, o + 4 + len) });
      o += 4 + padded;
    }
    return out;
  }

  /** CHANNEL-NUMBER (RFC 8656 section 18.1): the 16-bit channel. */
  channelNumber(): number | undefined {
    const v = this.get(Attr.ChannelNumber);
    return v && v.length === 4 ? readU16(v, 0) : undefined;
  }

  /** REQUESTED-TRANSPORT (RFC 8656 section 18.7): the IP protocol number (17 for UDP). */
  requestedTransport(): number | undefined {
    const v = this.get(Attr.RequestedTransport);
    return v && v.length === 4 ? v[0] : undefined;
  }

  /** EVEN-PORT (RFC 8656 section 18.6): whether the R (reserve next port) bit is set. */
  evenPort(): { reserve: boolean } | undefined {
    const v = this.get(Attr.EvenPort);
    return v && v.length >= 1 ? { reserve: (v[0]! & 0x80) !== 0 } : undefined;
  }

  /**
   * REQUESTED-ADDRESS-FAMILY or ADDITIONAL-ADDRESS-FAMILY (RFC 8656 sections 18.8, 18.11):
   * 4 or 6, undefined when absent or unknown.
   */
  addressFamily(type: number = Attr.RequestedAddressFamily): 4 | 6 | undefined {
    const v = this.get(type);
    if (v?.length !== 4) return undefined;
    return v[0] === 0x01 ? 4 : v[0] === 0x02 ? 6 : undefined;
  }

  /** ADDRESS-ERROR-CODE (RFC 8656 section 18.12): the family it concerns and the error. */
  addressErrorCode(): (StunErrorCode & { family: 4 | 6 }) | undefined {
    const v = this.get(Attr.AddressErrorCode);
    if (!v || v.length < 4 || (v[0] !== 1 && v[0] !== 2)) return undefined;
    const cls = v[2]! & 7;
    const num = v[3]!;
    if (cls < 3 || cls > 6 || num > 99) return undefined;
    return { family: v[0] === 1 ? 4 : 6, code: cls * 100 + num, reason: utf8.decode(v.subarray(4)) };
  }

  /** ICMP (RFC 8656 section 18.13): 7-bit type, 9-bit code and the 32-bit error data. */
  icmp(): { type: number; code: number; data: number } | undefined {
    const v = this.get(Attr.Icmp);
    if (v?.length !== 8) return undefined;
    return { type: v[2]! >> 1, code: ((v[2]! & 1) << 8) | v[3]!, data: readU32(v, 4) };
  }

  /** PASSWORD-ALGORITHM (RFC 8489 section 14.12). */
  passwordAlgorithm(): StunPasswordAlgorithm | undefined {
    const v = this.get(Attr.PasswordAlgorithm);
    if (!v || v.length < 4) return undefined;
    const len = readU16(v, 2);
    if (4 + len > v.length) return undefined;
    return { algorithm: readU16(v, 0), parameters: v.subarray(4, 4 + len) };
  }
}

/** Decodes an (XOR-)address value at `o` of `len` bytes in a message (RFC 8489 14.1, 14.2). */
function decodeAddress(b: Uint8Array, o: number, len: number, xor: boolean): TransportAddress | undefined {
  if (len < 4) return undefined;
  const family = b[o + 1];
  let port = readU16(b, o + 2);
  if (xor) port ^= MAGIC_COOKIE >>> 16;
  if (family === 0x01) {
    if (len !== 8) return undefined;
    let a0 = b[o + 4]!;
    let a1 = b[o + 5]!;
    let a2 = b[o + 6]!;
    let a3 = b[o + 7]!;
    if (xor) {
      a0 ^= 0x21;
      a1 ^= 0x12;
      a2 ^= 0xa4;
      a3 ^= 0x42;
    }
    return { address: `${a0}.${a1}.${a2}.${a3}`, port };
  }
  if (family === 0x02) {
    if (len !== 20) return undefined;
    const ip = new Uint8Array(16);
    for (let i = 0; i < 16; i++) ip[i] = xor ? b[o + 4 + i]! ^ b[4 + i]! : b[o + 4 + i]!;
    return { address: formatIP(ip), port };
  }
  return undefined;
}

/**
 * Parses a STUN message. Never throws. `bytes` must be exactly one message (a UDP datagram);
 * the result keeps a view of it, so the caller must not reuse the buffer while using the message.
 */
export function parseStun(bytes: Uint8Array): StunParseResult {
  if (bytes.length < HEADER_SIZE) return { ok: false, reason: "too-short" };
  if ((bytes[0]! & 0xc0) !== 0) return { ok: false, reason: "not-stun" };
  if (readU32(bytes, 4) !== MAGIC_COOKIE) return { ok: false, reason: "bad-cookie" };
  const len = readU16(bytes, 2);
  if (len + HEADER_SIZE !== bytes.length) return { ok: false, reason: "bad-length" };
  // Consistent length but not a multiple of 4: the last attribute was sent without its padding.
  if ((len & 3) !== 0) return { ok: false, reason: "bad-padding" };
  const end = bytes.length;
  const index: number[] = [];
  let mi = -1;
  let mi256 = -1;
  let fp = -1;
  let unknown: number[] | undefined;
  let o = HEADER_SIZE;
  while (o < end) {
    if (fp >= 0) return { ok: false, reason: "attribute-after-fingerprint" };
    if (o + 4 > end) return { ok: false, reason: "truncated-attribute" };
    const type = (bytes[o]! << 8) | bytes[o + 1]!;
    const alen = (bytes[o + 2]! << 8) | bytes[o + 3]!;
    if (o + 4 + alen > end) return { ok: false, reason: "attribute-overflow" };
    // Cannot pass `end`: attributes start on 4-byte boundaries and `end` is one.
    const next = o + 4 + ((alen + 3) & ~3);
    if (type === Attr.Fingerprint) {
      fp = o;
    } else if (type === Attr.MessageIntegrity) {
      if (mi < 0 && mi256 < 0) mi = o;
    } else if (type === Attr.MessageIntegritySha256) {
      if (mi256 < 0) mi256 = o;
    } else if (mi < 0 && mi256 < 0) {
      index.push(type, o + 4, alen);
      if (isComprehensionRequired(type) && !isKnownAttribute(type)) {
        if (!unknown) unknown = [];
        if (!unknown.includes(type)) unknown.push(type);
      }
    }
    o = next;
  }
  return { ok: true, msg: new StunMessage(bytes, index, mi, mi256, fp, unknown) };
}
