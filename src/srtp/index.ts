// petrel/srtp: SRTP and SRTCP (RFC 3711) with the AES-CM/HMAC-SHA1 and AES-GCM (RFC 7714)
// profiles, keyed from the DTLS-SRTP exporter (RFC 5764 section 4.2).
//
//   const { local, remote } = srtpKeysFromExporter(profile, exported, isClient);
//   const tx = new SrtpSession({ profile, ...local });   // protect what we send
//   const rx = new SrtpSession({ profile, ...remote });  // unprotect what we receive
//   const wire = tx.protectRtp(rtpPacket);
//   const r = rx.unprotectRtp(datagram); if (r.ok) use(r.packet); else count(r.reason);
export { AesCmKeystream } from "./aes-cm.js";
export {
  deriveSessionKeys,
  LABEL_RTCP_AUTH,
  LABEL_RTCP_ENCRYPTION,
  LABEL_RTCP_SALT,
  LABEL_RTP_AUTH,
  LABEL_RTP_ENCRYPTION,
  LABEL_RTP_SALT,
  type SrtpSessionKeys,
  srtpPrf,
} from "./kdf.js";
export {
  SRTP_PROFILES,
  SrtpError,
  type SrtpKeyPair,
  type SrtpMasterKeys,
  type SrtpProfile,
  type SrtpProfileParams,
  srtpKeyingMaterialLength,
  srtpKeysFromExporter,
  srtpProfileFromId,
  srtpProfileParams,
} from "./profiles.js";
export { REPLAY_DUPLICATE, REPLAY_OK, REPLAY_TOO_OLD, type ReplayVerdict, ReplayWindow } from "./replay.js";
export {
  estimateRoc,
  rtpHeaderLength,
  SrtpSession,
  type SrtpSessionOptions,
  type SrtpStats,
  type UnprotectFailure,
  type UnprotectResult,
} from "./session.js";
