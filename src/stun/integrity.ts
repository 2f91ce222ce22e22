// STUN credentials and message protection: short-term and long-term keys (RFC 8489 section 9,
// 9.2.2 with MD5 and SHA-256 algorithms), USERHASH (14.4), MESSAGE-INTEGRITY (14.5, HMAC-SHA1),
// MESSAGE-INTEGRITY-SHA256 (14.6, HMAC-SHA256, possibly truncated) and FINGERPRINT (14.7, CRC-32
// XOR 0x5354554e). MACs are checked in constant time. OpaqueString / SASLprep (RFC 8265) is not
// applied: strings are hashed as UTF-8, which matches for the ASCII credentials WebRTC uses.
import { createHash, createHmac } from "node:crypto";
import { constantTimeEqual, readU16, readU32 } from "../bytes/index.js";
import { FINGERPRINT_XOR, HEADER_SIZE, PasswordAlgorithm } from "./constants.js";
import type { StunMessage } from "./message.js";

/**
 * An HMAC key for MESSAGE-INTEGRITY(-SHA256), derived once and reused. Measured on Node 20:
 * createHmac with the raw key bytes costs 2.2 us per short message, with a KeyObject 3.0 us, so
 * the bytes are what is kept.
 */
export class StunKey {
  readonly bytes: Buffer;
  constructor(bytes: Uint8Array) {
    // A copy of its own: the key lives as long as the connection, and a view into Node's shared
    // 8 KiB Buffer pool (Buffer.from(string) is pooled) would keep a whole pool slab alive.
    this.bytes = Buffer.alloc(bytes.byteLength);
    this.bytes.set(bytes);
  }
}

/** Short-term credential key: the password itself (RFC 8489 section 9.1.1). */
export function shortTermKey(password: string): StunKey {
  return new StunKey(Buffer.from(password, "utf8"));
}

/**
 * Long-term credential key (RFC 8489 section 9.2.2): MD5 or SHA-256 of
 * "username:realm:password".
 */
export function longTermKey(
  username: string,
  realm: string,
  password: string,
  algorithm: number = PasswordAlgorithm.MD5,
): StunKey {
  const hash = algorithm === PasswordAlgorithm.SHA256 ? "sha256" : "md5";
  return new StunKey(createHash(hash).update(`${username}:${realm}:${password}`, "utf8").digest());
}

/** USERHASH value: SHA-256("username:realm") (RFC 8489 section 14.4). */
export function userhash(username: string, realm: string): Uint8Array {
  return createHash("sha256").update(`${username}:${realm}`, "utf8").digest();
}

/**
 * The HMAC of the message up to the attribute at `attrOffset`, with the header's length field
 * set as if the message ended after that attribute (RFC 8489 14.5). The length field is patched
 * in place and restored, so no copy is made.
 */
export function computeHmac(
  bytes: Uint8Array,
  attrOffset: number,
  valueLength: number,
  key: StunKey,
  hash: "sha1" | "sha256",
): Buffer {
  const saved2 = bytes[2]!;
  const saved3 = bytes[3]!;
  const len = attrOffset - HEADER_SIZE + 4 + valueLength;
  bytes[2] = len >>> 8;
  bytes[3] = len;
  const mac = createHmac(hash, key.bytes).update(bytes.subarray(0, attrOffset)).digest();
  bytes[2] = saved2;
  bytes[3] = saved3;
  return mac;
}

/** Verifies MESSAGE-INTEGRITY (HMAC-SHA1). False when absent or wrong. */
export function verifyIntegrity(msg: StunMessage, key: StunKey): boolean {
  const o = msg.integrityOffset;
  if (o < 0) return false;
  const b = msg.bytes;
  if (readU16(b, o + 2) !== 20) return false;
  const mac = computeHmac(b, o, 20, key, "sha1");
  return constantTimeEqual(mac, b.subarray(o + 4, o + 24));
}

/**
 * Verifies MESSAGE-INTEGRITY-SHA256. The value may be truncated to 16..32 bytes in steps of 4
 * (RFC 8489 section 14.6). False when absent or wrong.
 */
export function verifyIntegritySha256(msg: StunMessage, key: StunKey): boolean {
  const o = msg.integritySha256Offset;
  if (o < 0) return false;
  const b = msg.bytes;
  const len = readU16(b, o + 2);
  if (len < 16 || len > 32 || (len & 3) !== 0) return false;
  const mac = computeHmac(b, o, len, key, "sha256");
  return constantTimeEqual(mac.subarray(0, len), b.subarray(o + 4, o + 4 + len));
}

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC-32 (ISO 3309 / ITU-T V.42, as used by FINGERPRINT) of b[start, end). */
export function crc32(b: Uint8Array, start = 0, end = b.length): number {
  let c = -1;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** The FINGERPRINT value for a message whose FINGERPRINT attribute starts at `attrOffset`. */
export function computeFingerprint(bytes: Uint8Array, attrOffset: number): number {
  const saved2 = bytes[2]!;
  const saved3 = bytes[3]!;
  const len = attrOffset - HEADER_SIZE + 8;
  bytes[2] = len >>> 8;
  bytes[3] = len;
  const crc = crc32(bytes, 0, attrOffset);
  bytes[2] = saved2;
  bytes[3] = saved3;
  return (crc ^ FINGERPRINT_XOR) >>> 0;
}

/** Verifies FINGERPRINT. False when absent or wrong. */
export function verifyFingerprint(msg: StunMessage): boolean {
  const o = msg.fingerprintOffset;
  if (o < 0) return false;
  const b = msg.bytes;
  if (readU16(b, o + 2) !== 4) return false;
  return computeFingerprint(b, o) === readU32(b, o + 4);
}
