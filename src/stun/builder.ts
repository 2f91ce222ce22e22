// STUN message construction (RFC 8489 sections 5, 14, 15): attributes are written straight into
// one buffer with padding, then MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are
// appended in one pass (14.5-14.7). Also the standard replies: error responses with ERROR-CODE
// (14.8) and the 420 response carrying UNKNOWN-ATTRIBUTES (6.3.1.1, 14.9).
import { parseIP, type TransportAddress } from "../address.js";
import { writeU16, writeU32 } from "../bytes/index.js";
import { Attr, HEADER_SIZE, MAGIC_COOKIE, messageType, StunClass as SC, type StunClass } from "./constants.js";
import { computeFingerprint, computeHmac, type StunKey } from "./integrity.js";
import type { StunMessage } from "./message.js";

const encoder = new TextEncoder();

function usageError(code: string, message: string): Error & { code: string } {
  const e = new Error(message) as Error & { code: string };
  e.code = code;
  return e;
}

export interface StunFinishOptions {
  /** Append MESSAGE-INTEGRITY (HMAC-SHA1) with this key. */
  integrity?: StunKey;
  /** Append MESSAGE-INTEGRITY-SHA256 with this key. */
  integritySha256?: StunKey;
  /** Append FINGERPRINT. */
  fingerprint?: boolean;
}

/**
 * Builds one STUN message. Each `add*` writes the attribute at once; `finish` appends the
 * protection attributes and returns a view of exactly the message (one allocation in total for
 * messages under the initial capacity).
 */
export class StunBuilder {
  private buf: Buffer;
  private len: number;
  private finished: boolean;

  constructor(method: number, cls: StunClass, transactionId: Uint8Array, capacity = 256) {
    if (transactionId.length !== 12) throw usageError("STUN_BAD_TRANSACTION_ID", "transaction id must be 12 bytes");
    this.buf = Buffer.allocUnsafe(Math.max(capacity, 64));
    writeU16(this.buf, 0, messageType(method, cls));
    writeU16(this.buf, 2, 0);
    writeU32(this.buf, 4, MAGIC_COOKIE);
    this.buf.set(transactionId, 8);
    this.len = HEADER_SIZE;
    this.finished = false;
  }

  /** The transaction id as written (a view). */
  get transactionId(): Uint8Array {
    return this.buf.subarray(8, 20);
  }

  /** Reserves an attribute header for `valueLen` bytes, pads with zeros, returns the value offset. */
  private reserve(type: number, valueLen: number): number {
    if (this.finished) throw usageError("STUN_FINISHED", "message already finished");
    if (valueLen > 0xffff) throw usageError("STUN_ATTRIBUTE_TOO_LONG", "attribute value over 65535 bytes");
    const padded = (valueLen + 3) & ~3;
    const need = this.len + 4 + padded;
    if (need > 0xffff + HEADER_SIZE) throw usageError("STUN_MESSAGE_TOO_LONG", "message over 65535 bytes");
    if (need + 64 > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, need + 64));
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
    }
    const o = this.len;
    writeU16(this.buf, o, type);
    writeU16(this.buf, o + 2, valueLen);
    for (let i = o + 4 + valueLen; i < o + 4 + padded; i++) this.buf[i] = 0;
    this.len = need;
    return o + 4;
  }

  /** Any attribute from raw value bytes. */
  add(type: number, value: Uint8Array): this {
    const o = this.reserve(type, value.length);
    this.buf.set(value, o);
    return this;
  }

  /** A UTF-8 string attribute (USERNAME, REALM, NONCE, SOFTWARE). */
  addString(type: number, s: string): this {
    return this.add(type, encoder.encode(s));
  }

  /** A zero-length flag attribute (USE-CANDIDATE, DONT-FRAGMENT). */
  addFlag(type: number): this {
    this.reserve(type, 0);
    return this;
  }

  /** A 32-bit attribute (PRIORITY, LIFETIME, REQUESTED-TRANSPORT as raw value...). */
  addU32(type: number, v: number): this {
    const o = this.reserve(type, 4);
    writeU32(this.buf, o, v);
    return this;
  }

  /** An 8-byte attribute given as two 32-bit halves (ICE-CONTROLLING/CONTROLLED tie-breaker). */
  addU64(type: number, hi: number, lo: number): this {
    const o = this.reserve(type, 8);
    writeU32(this.buf, o, hi);
    writeU32(this.buf, o + 4, lo);
    return this;
  }

  /**
   * An address attribute. XOR-MAPPED-ADDRESS, XOR-PEER-ADDRESS and XOR-RELAYED-ADDRESS are XORed
   * with the cookie (and transaction id for IPv6); other types are written plainly.
   */
  addAddress(type: number, addr: TransportAddress): this {
    const ip = parseIP(addr.address);
    if (!ip) throw usageError("STUN_BAD_ADDRESS", `not an IP address: ${addr.address}`);
    const xor = type === Attr.XorMappedAddress || type === Attr.XorPeerAddress || type === Attr.XorRelayedAddress;
    const o = this.reserve(type, 4 + ip.length);
    const b = this.buf;
    b[o] = 0;
    b[o + 1] = ip.length === 4 ? 0x01 : 0x02;
    writeU16(b, o + 2, xor ? addr.port ^ (MAGIC_COOKIE >>> 16) : addr.port);
    for (let i = 0; i < ip.length; i++) b[o + 4 + i] = xor ? ip[i]! ^ b[4 + i]! : ip[i]!;
    return this;
  }

  /** ERROR-CODE (RFC 8489 section 14.8). */
  addErrorCode(code: number, reason: string): this {
    if (code < 300 || code > 699) throw usageError("STUN_BAD_ERROR_CODE", `error code out of range: ${code}`);
    const r = encoder.encode(reason);
    const o = this.reserve(Attr.ErrorCode, 4 + r.length);
    const b = this.buf;
    b[o] = 0;
    b[o + 1] = 0;
    b[o + 2] = Math.floor(code / 100);
    b[o + 3] = code % 100;
    b.set(r, o + 4);
    return this;
  }

  /** UNKNOWN-ATTRIBUTES (RFC 8489 section 14.9). */
  addUnknownAttributes(types: readonly number[]): this {
    const o = this.reserve(Attr.UnknownAttributes, types.length * 2);
    for (let i = 0; i < types.length; i++) writeU16(this.buf, o + i * 2, types[i]!);
    return this;
  }

  /** PASSWORD-ALGORITHMS (RFC 8489 section 14.11), each algorithm with empty parameters. */
  addPasswordAlgorithms(algorithms: readonly number[]): this {
    const o = this.reserve(Attr.PasswordAlgorithms, algorithms.length * 4);
    for (let i = 0; i < algorithms.length; i++) {
      writeU16(this.buf, o + i * 4, algorithms[i]!);
      writeU16(this.buf, o + i * 4 + 2, 0);
    }
    return this;
  }

  /** PASSWORD-ALGORITHM (RFC 8489 section 14.12) with empty parameters. */
  addPasswordAlgorithm(algorithm: number): this {
    const o = this.reserve(Attr.PasswordAlgorithm, 4);
    writeU16(this.buf, o, algorithm);
    writeU16(this.buf, o + 2, 0);
    return this;
  }

  /** CHANNEL-NUMBER (RFC 8656 section 18.1). */
  addChannelNumber(channel: number): this {
    const o = this.reserve(Attr.ChannelNumber, 4);
    writeU16(this.buf, o, channel);
    writeU16(this.buf, o + 2, 0);
    return this;
  }

  /** REQUESTED-TRANSPORT (RFC 8656 section 18.7); 17 is UDP. */
  addRequestedTransport(protocol = 17): this {
    return this.addU32(Attr.RequestedTransport, (protocol & 0xff) * 0x1000000);
  }

  /** EVEN-PORT (RFC 8656 section 18.6). */
  addEvenPort(reserve: boolean): this {
    const o = this.reserve(Attr.EvenPort, 1);
    this.buf[o] = reserve ? 0x80 : 0;
    return this;
  }

  /** REQUESTED-ADDRESS-FAMILY or ADDITIONAL-ADDRESS-FAMILY (RFC 8656 sections 18.8, 18.11). */
  addAddressFamily(type: number, family: 4 | 6): this {
    return this.addU32(type, (family === 4 ? 0x01 : 0x02) * 0x1000000);
  }

  /** ADDRESS-ERROR-CODE (RFC 8656 section 18.12). */
  addAddressErrorCode(family: 4 | 6, code: number, reason: string): this {
    if (code < 300 || code > 699) throw usageError("STUN_BAD_ERROR_CODE", `error code out of range: ${code}`);
    const r = encoder.encode(reason);
    const o = this.reserve(Attr.AddressErrorCode, 4 + r.length);
    const b = this.buf;
    b[o] = family === 4 ? 0x01 : 0x02;
    b[o + 1] = 0;
    b[o + 2] = Math.floor(code / 100);
    b[o + 3] = code % 100;
    b.set(r, o + 4);
    return this;
  }

  /** ICMP (RFC 8656 section 18.13): 7-bit type, 9-bit code, 32-bit error data. */
  addIcmp(type: number, code: number, data = 0): this {
    const o = this.reserve(Attr.Icmp, 8);
    const b = this.buf;
    b[o] = 0;
    b[o + 1] = 0;
    b[o + 2] = ((type & 0x7f) << 1) | ((code >> 8) & 1);
    b[o + 3] = code & 0xff;
    writeU32(b, o + 4, data);
    return this;
  }

  /** Appends the requested protection attributes and returns the message (a view). */
  finish(opts: StunFinishOptions = {}): Uint8Array {
    if (opts.integrity) {
      const o = this.reserve(Attr.MessageIntegrity, 20);
      computeHmac(this.buf, o - 4, 20, opts.integrity, "sha1").copy(this.buf, o);
    }
    if (opts.integritySha256) {
      const o = this.reserve(Attr.MessageIntegritySha256, 32);
      computeHmac(this.buf, o - 4, 32, opts.integritySha256, "sha256").copy(this.buf, o);
    }
    if (opts.fingerprint) {
      const o = this.reserve(Attr.Fingerprint, 4);
      writeU32(this.buf, o, computeFingerprint(this.buf, o - 4));
    }
    writeU16(this.buf, 2, this.len - HEADER_SIZE);
    this.finished = true;
    return this.buf.subarray(0, this.len);
  }
}

/** Options for the replies built below. */
export interface StunReplyOptions extends StunFinishOptions {
  software?: string;
}

/** An error response to `request` with ERROR-CODE (and REALM/NONCE etc. added by the caller via `extra`). */
export function buildErrorResponse(
  request: StunMessage,
  code: number,
  reason: string,
  opts: StunReplyOptions = {},
  extra?: (b: StunBuilder) => void,
): Uint8Array {
  const b = new StunBuilder(request.method, SC.ErrorResponse, request.transactionId);
  b.addErrorCode(code, reason);
  if (opts.software) b.addString(Attr.Software, opts.software);
  extra?.(b);
  return b.finish(opts);
}

/**
 * The 420 (Unknown Attribute) response listing the request's unknown comprehension-required
 * attributes (RFC 8489 section 6.3.1.1). Returns undefined if the request has none.
 */
export function buildUnknownAttributesResponse(
  request: StunMessage,
  opts: StunReplyOptions = {},
): Uint8Array | undefined {
  const unknown = request.unknownRequired;
  if (!unknown || unknown.length === 0) return undefined;
  return buildErrorResponse(request, 420, "Unknown Attribute", opts, (b) => b.addUnknownAttributes(unknown));
}
