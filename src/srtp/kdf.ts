// SRTP key derivation with the AES-CM PRF and a key derivation rate of zero (RFC 3711 section
// 4.3.1 and 4.3.3), also used by the AEAD profiles with a 96-bit master salt (RFC 7714 section 11:
// the salt is zero-padded on the right to 112 bits, as libsrtp does).
import { createCipheriv } from "node:crypto";
import { SrtpError, type SrtpProfile, srtpProfileParams } from "./profiles.js";

/** Session keys for one direction of one SRTP session (RFC 3711 4.3). */
export interface SrtpSessionKeys {
  rtpKey: Uint8Array;
  rtpSalt: Uint8Array;
  /** HMAC-SHA1 key (empty for AEAD profiles). */
  rtpAuthKey: Uint8Array;
  rtcpKey: Uint8Array;
  rtcpSalt: Uint8Array;
  rtcpAuthKey: Uint8Array;
}

/** RFC 3711 4.3.2 labels. */
export const LABEL_RTP_ENCRYPTION = 0x00;
export const LABEL_RTP_AUTH = 0x01;
export const LABEL_RTP_SALT = 0x02;
export const LABEL_RTCP_ENCRYPTION = 0x03;
export const LABEL_RTCP_AUTH = 0x04;
export const LABEL_RTCP_SALT = 0x05;

/**
 * The AES-CM PRF of RFC 3711 4.3.3 with r = index DIV kdr = 0: AES-CM keystream under the master
 * key, with IV = (master_salt XOR (label << 48)) * 2^16. `masterSalt` may be 14 or 12 bytes.
 */
export function srtpPrf(masterKey: Uint8Array, masterSalt: Uint8Array, label: number, length: number): Uint8Array {
  if (masterKey.length !== 16 && masterKey.length !== 24 && masterKey.length !== 32) {
    throw new SrtpError("ERR_SRTP_KEY_LENGTH", `master key must be 16, 24 or 32 bytes, got ${masterKey.length}`);
  }
  if (masterSalt.length > 14) {
    throw new SrtpError("ERR_SRTP_KEY_LENGTH", `master salt must be at most 14 bytes, got ${masterSalt.length}`);
  }
  const iv = new Uint8Array(16);
  iv.set(masterSalt, 0);
  // key_id = label || r (7 bytes), right-aligned in the 14-byte x: the label lands on byte 7.
  iv[7]! ^= label;
  const cipher = createCipheriv(`aes-${masterKey.length * 8}-ctr`, masterKey, iv);
  const out = cipher.update(new Uint8Array(length));
  cipher.final();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Derives the six session keys of a profile from its master key and salt. */
export function deriveSessionKeys(
  profile: SrtpProfile,
  masterKey: Uint8Array,
  masterSalt: Uint8Array,
): SrtpSessionKeys {
  const p = srtpProfileParams(profile);
  if (masterKey.length !== p.keyLength) {
    throw new SrtpError("ERR_SRTP_KEY_LENGTH", `${profile} master key must be ${p.keyLength} bytes`);
  }
  if (masterSalt.length !== p.saltLength) {
    throw new SrtpError("ERR_SRTP_KEY_LENGTH", `${profile} master salt must be ${p.saltLength} bytes`);
  }
  const auth = (label: number) =>
    p.authKeyLength === 0 ? new Uint8Array(0) : srtpPrf(masterKey, masterSalt, label, p.authKeyLength);
  return {
    rtpKey: srtpPrf(masterKey, masterSalt, LABEL_RTP_ENCRYPTION, p.keyLength),
    rtpSalt: srtpPrf(masterKey, masterSalt, LABEL_RTP_SALT, p.saltLength),
    rtpAuthKey: auth(LABEL_RTP_AUTH),
    rtcpKey: srtpPrf(masterKey, masterSalt, LABEL_RTCP_ENCRYPTION, p.keyLength),
    rtcpSalt: srtpPrf(masterKey, masterSalt, LABEL_RTCP_SALT, p.saltLength),
    rtcpAuthKey: auth(LABEL_RTCP_AUTH),
  };
}
