// The packet transforms an SRTP session delegates to, one per profile family: AES-CM with
// HMAC-SHA1 (RFC 3711 sections 3.3, 3.4, 4.1.1, 4.2) and AES-GCM (RFC 7714 sections 8 and 9).
// The session (session.ts) owns indices, rollover counters and replay; a transform only turns
// plaintext into ciphertext and back for a given (SSRC, index).
import { AesCmKeystream, HmacSha1, tagMatches } from "./aes-cm.js";
import type { SrtpSessionKeys } from "./kdf.js";
import type { SrtpProfileParams } from "./profiles.js";

export const SRTCP_E_FLAG = 0x80000000;

export interface SrtpTransform {
  readonly rtpTagLength: number;
  readonly rtcpTagLength: number;
  /** Offset of the E flag + SRTCP index word from the end of an SRTCP packet. */
  readonly rtcpIndexFromEnd: number;
  /** Returns header || encrypted payload || tag, a new buffer. */
  protectRtp(packet: Uint8Array, headerLength: number, ssrc: number, roc: number, seq: number): Uint8Array;
  /** Returns the plaintext packet (a new buffer) or undefined when authentication fails. */
  unprotectRtp(
    packet: Uint8Array,
    headerLength: number,
    ssrc: number,
    roc: number,
    seq: number,
  ): Uint8Array | undefined;
  /** Returns the SRTCP packet with E flag set, index and tag (a new buffer). */
  protectRtcp(packet: Uint8Array, ssrc: number, index: number): Uint8Array;
  /** Returns the plaintext RTCP packet or undefined when authentication fails. */
  unprotectRtcp(packet: Uint8Array, ssrc: number, index: number, encrypted: boolean): Uint8Array | undefined;
}

export class AesCmHmacTransform implements SrtpTransform {
  readonly rtpTagLength: number;
  readonly rtcpTagLength: number;
  readonly rtcpIndexFromEnd: number;
  private readonly rtpKs: AesCmKeystream;
  private readonly rtcpKs: AesCmKeystream;
  private readonly rtpMac: HmacSha1;
  private readonly rtcpMac: HmacSha1;

  constructor(params: SrtpProfileParams, keys: SrtpSessionKeys) {
    this.rtpTagLength = params.rtpTagLength;
    this.rtcpTagLength = params.rtcpTagLength;
    this.rtcpIndexFromEnd = params.rtcpTagLength + 4;
    this.rtpKs = new AesCmKeystream(keys.rtpKey, keys.rtpSalt);
    this.rtcpKs = new AesCmKeystream(keys.rtcpKey, keys.rtcpSalt);
    this.rtpMac = new HmacSha1(keys.rtpAuthKey);
    this.rtcpMac = new HmacSha1(keys.rtcpAuthKey);
  }

  protectRtp(packet: Uint8Array, headerLength: number, ssrc: number, roc: number, seq: number): Uint8Array {
    const len = packet.length;
    const out = Buffer.allocUnsafe(len + this.rtpTagLength);
    out.set(packet);
    this.rtpKs.xor(out, headerLength, len, ssrc, roc, seq);
    const mac = this.rtpMac.mac(out, len, roc, true);
    for (let i = 0; i < this.rtpTagLength; i++) out[len + i] = mac[i]!;
    return out;
  }

  unprotectRtp(
    packet: Uint8Array,
    headerLength: number,
    ssrc: number,
    roc: number,
    seq: number,
  ): Uint8Array | undefined {
    const end = packet.length - this.rtpTagLength;
    const mac = this.rtpMac.mac(packet, end, roc, true);
    if (!tagMatches(mac, packet, end, this.rtpTagLength)) return undefined;
    const out = Buffer.allocUnsafe(end);
    out.set(packet.subarray(0, end));
    this.rtpKs.xor(out, headerLength, end, ssrc, roc, seq);
    return out;
  }

  protectRtcp(packet: Uint8Array, ssrc: number, index: number): Uint8Array {
    const len = packet.length;
    const out = Buffer.allocUnsafe(len + 4 + this.rtcpTagLength);
    out.set(packet);
    this.rtcpKs.xor(out, 8, len, ssrc, index >>> 16, index & 0xffff);
    const word = (SRTCP_E_FLAG | index) >>> 0;
    out[len] = word >>> 24;
    out[len + 1] = word >>> 16;
    out[len + 2] = word >>> 8;
    out[len + 3] = word;
    const mac = this.rtcpMac.mac(out, len + 4, 0, false);
    for (let i = 0; i < this.rtcpTagLength; i++) out[len + 4 + i] = mac[i]!;
    return out;
  }

  unprotectRtcp(packet: Uint8Array, ssrc: number, index: number, encrypted: boolean): Uint8Array | undefined {
    const authEnd = packet.length - this.rtcpTagLength;
    const mac = this.rtcpMac.mac(packet, authEnd, 0, false);
    if (!tagMatches(mac, packet, authEnd, this.rtcpTagLength)) return undefined;
    const end = authEnd - 4;
    const out = Buffer.allocUnsafe(end);
    out.set(packet.subarray(0, end));
    if (encrypted) this.rtcpKs.xor(out, 8, end, ssrc, index >>> 16, index & 0xffff);
    return out;
  }
}
