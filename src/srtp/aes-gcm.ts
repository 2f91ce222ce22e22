// AEAD_AES_128_GCM and AEAD_AES_256_GCM for SRTP and SRTCP (RFC 7714): the 12-byte IV of
// sections 8.1 and 9.1, the RTP header (or RTCP header plus E flag and SRTCP index) as
// associated data, a 16-byte tag. Node's GCM needs a cipher object per packet (no IV reset),
// so this is createCipheriv + setAAD + update + final per packet.
import { createCipheriv, createDecipheriv } from "node:crypto";
import { writeU32 } from "../bytes/index.js";
import type { SrtpSessionKeys } from "./kdf.js";
import type { SrtpProfileParams } from "./profiles.js";
import { SRTCP_E_FLAG, type SrtpTransform } from "./transform.js";

const TAG = 16;

export class AesGcmTransform implements SrtpTransform {
  readonly rtpTagLength = TAG;
  readonly rtcpTagLength = TAG;
  readonly rtcpIndexFromEnd = 4;
  private readonly algorithm: "aes-128-gcm" | "aes-256-gcm";
  private readonly rtpKey: Uint8Array;
  private readonly rtpSalt: Uint8Array;
  private readonly rtcpKey: Uint8Array;
  private readonly rtcpSalt: Uint8Array;
  private readonly iv: Uint8Array;
  private readonly aad: Uint8Array;

  constructor(params: SrtpProfileParams, keys: SrtpSessionKeys) {
    this.algorithm = params.keyLength === 32 ? "aes-256-gcm" : "aes-128-gcm";
    this.rtpKey = Uint8Array.from(keys.rtpKey);
    this.rtpSalt = Uint8Array.from(keys.rtpSalt);
    this.rtcpKey = Uint8Array.from(keys.rtcpKey);
    this.rtcpSalt = Uint8Array.from(keys.rtcpSalt);
    this.iv = new Uint8Array(12);
    this.aad = new Uint8Array(12);
  }

  /** RFC 7714 8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt. SRTCP (9.1): ROC, SEQ -> 00 00 || index. */
  private setIv(salt: Uint8Array, ssrc: number, hi: number, lo: number, loBytes: 2 | 4): Uint8Array {
    const iv = this.iv;
    iv[0] = salt[0]!;
    iv[1] = salt[1]!;
    iv[2] = salt[2]! ^ (ssrc >>> 24);
    iv[3] = salt[3]! ^ ((ssrc >>> 16) & 0xff);
    iv[4] = salt[4]! ^ ((ssrc >>> 8) & 0xff);
    iv[5] = salt[5]! ^ (ssrc & 0xff);
    if (loBytes === 2) {
      iv[6] = salt[6]! ^ (hi >>> 24);
      iv[7] = salt[7]! ^ ((hi >>> 16) & 0xff);
      iv[8] = salt[8]! ^ ((hi >>> 8) & 0xff);
      iv[9] = salt[9]! ^ (hi & 0xff);
      iv[10] = salt[10]! ^ ((lo >>> 8) & 0xff);
      iv[11] = salt[11]! ^ (lo & 0xff);
    } else {
      iv[6] = salt[6]!;
      iv[7] = salt[7]!;
      iv[8] = salt[8]! ^ (lo >>> 24);
      iv[9] = salt[9]! ^ ((lo >>> 16) & 0xff);
      iv[10] = salt[10]! ^ ((lo >>> 8) & 0xff);
      iv[11] = salt[11]! ^ (lo & 0xff);
    }
    return iv;
  }

  protectRtp(packet: Uint8Array, headerLength: number, ssrc: number, roc: number, seq: number): Uint8Array {
    const len = packet.length;
    const c = createCipheriv(this.algorithm, this.rtpKey, this.setIv(this.rtpSalt, ssrc, roc, seq, 2));
    c.setAAD(packet.subarray(0, headerLength));
    const ct = c.update(packet.subarray(headerLength));
    c.final();
    const out = Buffer.allocUnsafe(len + TAG);
    out.set(packet.subarray(0, headerLength));
    out.set(ct, headerLength);
    out.set(c.getAuthTag(), len);
    return out;
  }

  unprotectRtp(
    packet: Uint8Array,
    headerLength: number,
    ssrc: number,
    roc: number,
    seq: number,
  ): Uint8Array | undefined {
    const end = packet.length - TAG;
    const d = createDecipheriv(this.algorithm, this.rtpKey, this.setIv(this.rtpSalt, ssrc, roc, seq, 2));
    d.setAAD(packet.subarray(0, headerLength));
    d.setAuthTag(packet.subarray(end));
    const pt = d.update(packet.subarray(headerLength, end));
    if (!finalOk(d)) return undefined;
    const out = Buffer.allocUnsafe(end);
    out.set(packet.subarray(0, headerLength));
    out.set(pt, headerLength);
    return out;
  }

  protectRtcp(packet: Uint8Array, ssrc: number, index: number): Uint8Array {
    const len = packet.length;
    const word = (SRTCP_E_FLAG | index) >>> 0;
    const c = createCipheriv(this.algorithm, this.rtcpKey, this.setIv(this.rtcpSalt, ssrc, 0, index, 4));
    c.setAAD(this.rtcpAad(packet, word));
    const ct = c.update(packet.subarray(8));
    c.final();
    const out = Buffer.allocUnsafe(len + TAG + 4);
    out.set(packet.subarray(0, 8));
    out.set(ct, 8);
    out.set(c.getAuthTag(), len);
    writeU32(out, len + TAG, word);
    return out;
  }

  unprotectRtcp(packet: Uint8Array, ssrc: number, index: number, encrypted: boolean): Uint8Array | undefined {
    const len = packet.length;
    const tagAt = len - 4 - TAG;
    const word = ((encrypted ? SRTCP_E_FLAG : 0) | index) >>> 0;
    const d = createDecipheriv(this.algorithm, this.rtcpKey, this.setIv(this.rtcpSalt, ssrc, 0, index, 4));
    d.setAuthTag(packet.subarray(tagAt, tagAt + TAG));
    if (!encrypted) {
      // RFC 7714 9.2: without encryption the whole packet is associated data and the tag is a GMAC.
      d.setAAD(packet.subarray(0, tagAt));
      d.setAAD(packet.subarray(len - 4));
      if (!finalOk(d)) return undefined;
      return Buffer.from(packet.subarray(0, tagAt));
    }
    d.setAAD(this.rtcpAad(packet, word));
    const pt = d.update(packet.subarray(8, tagAt));
    if (!finalOk(d)) return undefined;
    const out = Buffer.allocUnsafe(tagAt);
    out.set(packet.subarray(0, 8));
    out.set(pt, 8);
    return out;
  }

  /** RTCP header (8 bytes) || E flag and SRTCP index. */
  private rtcpAad(packet: Uint8Array, word: number): Uint8Array {
    const aad = this.aad;
    for (let i = 0; i < 8; i++) aad[i] = packet[i]!;
    writeU32(aad, 8, word);
    return aad;
  }
}

/** Node reports a GCM tag mismatch only by throwing from final(). */
function finalOk(d: { final(): Buffer }): boolean {
  try {
    d.final();
    return true;
  } catch {
    return false;
  }
}
