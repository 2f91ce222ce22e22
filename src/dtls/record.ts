// The DTLS 1.2 record layer: record header (RFC 6347 4.1), AEAD record protection per epoch and
// direction (RFC 5246 6.2.3.3, RFC 5288 3 for AES-GCM, RFC 7905 2 for ChaCha20-Poly1305) and the
// 64-wide anti-replay window (RFC 6347 4.1.2.6). Independent of the handshake so that a DTLS 1.3
// record layer (RFC 9147) can sit beside it later.
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from "node:crypto";
import { readU16, readU48, writeU16, writeU48 } from "../bytes/index.js";
import type { CipherSuite } from "./suites.js";

export const RECORD_HEADER_LENGTH = 13;
export const CONTENT_CHANGE_CIPHER_SPEC = 20;
export const CONTENT_ALERT = 21;
export const CONTENT_HANDSHAKE = 22;
export const CONTENT_APPLICATION_DATA = 23;
export const DTLS_1_0 = 0xfeff;
export const DTLS_1_2 = 0xfefd;
/** Largest plaintext a record may carry (RFC 5246 6.2.1). */
export const MAX_PLAINTEXT = 16384;
const TAG_LENGTH = 16;

/** A record header as read from a datagram; the fragment is bytes[offset+13, offset+13+length). */
export interface RecordHeader {
  type: number;
  version: number;
  epoch: number;
  sequence: number;
  length: number;
}

/** Writes a 13-byte record header at `o` and returns the offset after it. */
export function writeRecordHeader(
  out: Uint8Array,
  o: number,
  type: number,
  version: number,
  epoch: number,
  seq: number,
  length: number,
): number {
  out[o] = type;
  writeU16(out, o + 1, version);
  writeU16(out, o + 3, epoch);
  writeU48(out, o + 5, seq);
  writeU16(out, o + 11, length);
  return o + RECORD_HEADER_LENGTH;
}

/** Builds an unprotected (epoch 0) record. */
export function plainRecord(type: number, seq: number, fragment: Uint8Array, version = DTLS_1_2): Uint8Array {
  const out = Buffer.allocUnsafe(RECORD_HEADER_LENGTH + fragment.length);
  writeRecordHeader(out, 0, type, version, 0, seq, fragment.length);
  out.set(fragment, RECORD_HEADER_LENGTH);
  return out;
}

/** True when the bytes look like a DTLS record version (0xfeXX). */
export function isDtlsVersion(v: number): boolean {
  return v === DTLS_1_2 || v === DTLS_1_0;
}

/**
 * AEAD protection for one direction of one epoch. Keys and the IV salt are set up once;
 * the nonce and additional data use reusable scratch buffers, so a record costs one cipher
 * object and one output buffer.
 */
export class RecordCipher {
  readonly suite: CipherSuite;
  /** Bytes a protected record adds to its plaintext: explicit nonce + tag. */
  readonly overhead: number;
  /** A KeyObject made once per epoch: cheaper per record than handing raw key bytes to OpenSSL. */
  private readonly key: KeyObject;
  private readonly iv: Buffer;
  private readonly nonce: Buffer;
  private readonly aad: Buffer;
  private readonly explicitNonce: boolean;

  constructor(suite: CipherSuite, key: Uint8Array, iv: Uint8Array) {
    this.suite = suite;
    this.key = createSecretKey(key);
    // One small buffer of its own for the three: a Buffer.from() copy would sit in Node's shared
    // 8 KiB pool and keep a whole pool slab alive as long as the connection (per-connection RSS).
    const own = Buffer.alloc(iv.length + 12 + 13);
    this.iv = own.subarray(0, iv.length);
    this.iv.set(iv);
    this.nonce = own.subarray(iv.length, iv.length + 12);
    this.aad = own.subarray(iv.length + 12);
    this.explicitNonce = suite.recordIvLength > 0;
    this.overhead = suite.recordIvLength + TAG_LENGTH;
    if (this.explicitNonce) this.iv.copy(this.nonce, 0, 0, 4);
  }

  private setNonce(epoch: number, seq: number): void {
    const n = this.nonce;
    if (this.explicitNonce) {
      // GCM: salt(4) || epoch(2) || seq(6): the explicit part is the record's own sequence.
      writeU16(n, 4, epoch);
      writeU48(n, 6, seq);
    } else {
      // ChaCha20-Poly1305: iv XOR (0^32 || epoch || seq).
      const iv = this.iv;
      n[0] = iv[0]!;
      n[1] = iv[1]!;
      n[2] = iv[2]!;
      n[3] = iv[3]!;
      writeU16(n, 4, epoch);
      writeU48(n, 6, seq);
      for (let i = 4; i < 12; i++) n[i] = n[i]! ^ iv[i]!;
    }
  }

  private setAad(type: number, version: number, epoch: number, seq: number, length: number): void {
    const a = this.aad;
    writeU16(a, 0, epoch);
    writeU48(a, 2, seq);
    a[8] = type;
    writeU16(a, 9, version);
    writeU16(a, 11, length);
  }

  /** Protects `plaintext` as a complete record (header included). */
  seal(type: number, epoch: number, seq: number, plaintext: Uint8Array, version = DTLS_1_2): Buffer {
    const n = plaintext.length;
    const out = Buffer.allocUnsafe(RECORD_HEADER_LENGTH + this.overhead + n);
    let o = writeRecordHeader(out, 0, type, version, epoch, seq, this.overhead + n);
    this.setNonce(epoch, seq);
    if (this.explicitNonce) {
      this.nonce.copy(out, o, 4, 12);
      o += 8;
    }
    this.setAad(type, version, epoch, seq, n);
    // No options object: both AEADs default to 16-byte tags, and it costs time per record.
    const c = createCipheriv(this.suite.aead as "aes-128-gcm", this.key, this.nonce);
    c.setAAD(this.aad);
    const body = c.update(plaintext);
    body.copy(out, o);
    o += body.length;
    const fin = c.final();
    if (fin.length > 0) {
      fin.copy(out, o);
      o += fin.length;
    }
    c.getAuthTag().copy(out, o);
    return out;
  }

  /**
   * Opens the record whose header is at `bytes[o]` (already parsed into `h`). Returns the
   * plaintext, or undefined when the record is too short or fails authentication.
   */
  open(bytes: Uint8Array, o: number, h: RecordHeader): Buffer | undefined {
    const start = o + RECORD_HEADER_LENGTH;
    const n = h.length - this.overhead;
    if (n < 0) return undefined;
    let p = start;
    if (this.explicitNonce) {
      const nonce = this.nonce;
      for (let i = 0; i < 8; i++) nonce[4 + i] = bytes[p + i]!;
      p += 8;
    } else this.setNonce(h.epoch, h.sequence);
    this.setAad(h.type, h.version, h.epoch, h.sequence, n);
    const d = createDecipheriv(this.suite.aead as "aes-128-gcm", this.key, this.nonce);
    d.setAAD(this.aad);
    d.setAuthTag(bytes.subarray(p + n, p + n + TAG_LENGTH));
    const plain = d.update(bytes.subarray(p, p + n));
    try {
      d.final();
    } catch {
      return undefined; // authentication failed: node:crypto reports it only by throwing
    }
    return plain;
  }
}

/** Reads the record header at `o`; undefined when fewer than 13 bytes or the body overruns. */
export function readRecordHeader(bytes: Uint8Array, o: number, end: number, out: RecordHeader): boolean {
  if (o + RECORD_HEADER_LENGTH > end) return false;
  out.type = bytes[o]!;
  out.version = readU16(bytes, o + 1);
  out.epoch = readU16(bytes, o + 3);
  out.sequence = readU48(bytes, o + 5);
  out.length = readU16(bytes, o + 11);
  return o + RECORD_HEADER_LENGTH + out.length <= end;
}

/**
 * The sliding anti-replay window of RFC 6347 4.1.2.6: 64 sequence numbers wide, kept as two
 * 32-bit masks (bit i of the 64 = `top - i` seen). No BigInt on the hot path.
 */
export class ReplayWindow {
  private top: number;
  private lo: number;
  private hi: number;
  constructor() {
    this.top = -1;
    this.lo = 0;
    this.hi = 0;
  }
  /** True when `seq` was already seen or is too old to tell. Does not mark it. */
  isReplay(seq: number): boolean {
    if (seq > this.top) return false;
    const d = this.top - seq;
    if (d >= 64) return true;
    return d < 32 ? ((this.lo >>> d) & 1) === 1 : ((this.hi >>> (d - 32)) & 1) === 1;
  }
  /** Marks `seq` as received (call after the record authenticated). */
  mark(seq: number): void {
    if (seq > this.top) {
      const shift = this.top < 0 ? 64 : seq - this.top;
      if (shift >= 64) {
        this.lo = 0;
        this.hi = 0;
      } else if (shift >= 32) {
        this.hi = shift === 32 ? this.lo : this.lo << (shift - 32);
        this.lo = 0;
      } else {
        this.hi = (this.hi << shift) | (this.lo >>> (32 - shift));
        this.lo = this.lo << shift;
      }
      this.top = seq;
      this.lo |= 1;
      return;
    }
    const d = this.top - seq;
    if (d >= 64) return;
    if (d < 32) this.lo |= 1 << d;
    else this.hi |= 1 << (d - 32);
  }
}
