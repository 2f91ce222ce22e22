// The packet transforms an SRTP session delegates to, one per profile family: AES-CM with
// HMAC-SHA1 (RFC 3711 sections 3.3, 3.4, 4.1.1, 4.2) and AES-GCM (RFC 7714 sections 8 and 9).
// The session (session.ts) owns indices, rollover counters and replay; a transform only turns
// plaintext into ciphertext and back for a given (SSRC, index).

import { writeU32 } from "../bytes/index.js";
import { AesCmKeystream, tagMatches } from "./aes-cm.js";
import { HmacSha1 } from "./hmac-sha1.js";
import type { SrtpSessionKeys } from "./kdf.js";
import type { SrtpProfileParams } from "./profiles.js";
import { PacketSlab } from "./slab.js";

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
  private readonly slab: PacketSlab;

  constructor(params: SrtpProfileParams, keys: SrtpSessionKeys) {
    this.rtpTagLength = params.rtpTagLength;
    this.rtcpTagLength = params.rtcpTagLength;
    this.rtcpIndexFromEnd = params.rtcpTagLength + 4;
    this.rtpKs = new AesCmKeystream(keys.rtpKey, keys.rtpSalt);
    // RTCP is sparse: no keystream batches.
    this.rtcpKs = new AesCmKeystream(keys.rtcpKey, keys.rtcpSalt, false);
    this.rtpMac = new HmacSha1(keys.rtpAuthKey);
    this.rtcpMac = new HmacSha1(keys.rtcpAuthKey);
    this.slab = new PacketSlab();
  }

  protectRtp(packet: Uint8Array, headerLength: number, ssrc: number, roc: number, seq: number): Uint8Array {
    const len = packet.length;
    const tag = this.rtpTagLength;
    const s = this.slab;
    // Room for the tag, and at least 4 bytes to put the ROC after the packet for the MAC.
    const o = s.take(len + Math.max(tag, 4), headerLength);
    const out = s.bytes;
    out.set(packet, o);
    this.rtpKs.xor(out, o + headerLength, o + len, ssrc, roc, seq, s.words);
    // RFC 3711 4.2: the MAC covers the authenticated portion followed by the ROC.
    writeU32(out, o + len, roc);
    const mac = this.rtpMac.mac(out, o, o + len + 4);
    for (let i = 0; i < tag; i++) out[o + len + i] = mac[i]!;
    return out.subarray(o, o + len + tag);
  }

  unprotectRtp(
    packet: Uint8Array,
    headerLength: number,
    ssrc: number,
    roc: number,
    seq: number,
  ): Uint8Array | undefined {
    const end = packet.length - this.rtpTagLength;
    const s = this.slab;
    const o = s.take(end + 4, headerLength);
    const out = s.bytes;
    out.set(packet.subarray(0, end), o);
    writeU32(out, o + end, roc);
    const mac = this.rtpMac.mac(out, o, o + end + 4);
    if (!tagMatches(mac, packet, end, this.rtpTagLength)) {
      s.rewind(o);
      return undefined;
    }
    this.rtpKs.xor(out, o + headerLength, o + end, ssrc, roc, seq, s.words);
    return out.subarray(o, o + end);
  }

  protectRtcp(packet: Uint8Array, ssrc: number, index: number): Uint8Array {
    const len = packet.length;
    const s = this.slab;
    const o = s.take(len + 4 + this.rtcpTagLength, 8);
    const out = s.bytes;
    out.set(packet, o);
    this.rtcpKs.xor(out, o + 8, o + len, ssrc, index >>> 16, index & 0xffff, s.words);
    writeU32(out, o + len, (SRTCP_E_FLAG | index) >>> 0);
    const mac = this.rtcpMac.mac(out, o, o + len + 4);
    for (let i = 0; i < this.rtcpTagLength; i++) out[o + len + 4 + i] = mac[i]!;
    return out.subarray(o, o + len + 4 + this.rtcpTagLength);
  }

  unprotectRtcp(packet: Uint8Array, ssrc: number, index: number, encrypted: boolean): Uint8Array | undefined {
    const authEnd = packet.length - this.rtcpTagLength;
    const mac = this.rtcpMac.mac(packet, 0, authEnd);
    if (!tagMatches(mac, packet, authEnd, this.rtcpTagLength)) return undefined;
    const end = authEnd - 4;
    const s = this.slab;
    const o = s.take(end, 8);
    const out = s.bytes;
    out.set(packet.subarray(0, end), o);
    if (encrypted) this.rtcpKs.xor(out, o + 8, o + end, ssrc, index >>> 16, index & 0xffff, s.words);
    return out.subarray(o, o + end);
  }
}
