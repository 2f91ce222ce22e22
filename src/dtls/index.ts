// petrel/dtls: DTLS 1.2 (RFC 6347) for WebRTC and for plain UDP.
//
// The sans-IO core is DtlsEndpoint (client or server for one peer: handleDatagram / handleTimeout
// in, pollTransmit / pollEvent / nextTimeout out). generateCertificate makes the self-signed ECDSA
// certificate WebRTC uses, and fingerprint() gives its SDP fingerprint. For DTLS over a real UDP
// socket without the rest of WebRTC, use connect() / createServer() from this entry (src/net/dtls-socket.ts).
//
//   import { connect, createServer, generateCertificate } from "petrel/dtls";
//   const serverCert = generateCertificate();
//   const clientCert = generateCertificate();
//   const server = createServer({ certificate: serverCert, remoteFingerprint: clientCert.fingerprints() }, (conn) => {
//     conn.on("message", (m) => conn.send(m)); // echo
//   });
//   server.listen(4444, "127.0.0.1", () => {
//     const c = connect({ host: "127.0.0.1", port: 4444, certificate: clientCert, remoteFingerprint: serverCert.fingerprints() });
//     c.on("connect", () => c.send("hello"));
//     c.on("message", (m) => { console.log(m.toString(), c.cipherSuite); c.close(); server.close(); });
//   });
//
// Implemented: RFC 6347 (DTLS 1.2: records, epochs, replay window, HelloVerifyRequest, fragmentation,
// retransmission), RFC 5246, RFC 5288 / RFC 7905 (AES-GCM, ChaCha20-Poly1305), RFC 8422 (ECDHE X25519 and
// P-256, ECDSA), RSA certificates, RFC 7627 (extended master secret), RFC 5746 (renegotiation_info,
// renegotiation refused), RFC 5764 (use_srtp), RFC 5705 (exporter).

export {
  connect,
  createServer,
  DtlsConnection,
  type DtlsConnectOptions,
  DtlsServer,
  type DtlsServerOptions,
  type DtlsSocketOptions,
} from "../net/dtls-socket.js";
export { AlertDescription, alertName } from "./alert.js";
export {
  certificateFrom,
  certificateFromPem,
  certificateToPem,
  type DtlsCertificate,
  type GenerateCertificateOptions,
  type GeneratedCertificate,
  generateCertificate,
  generateCertificateAsync,
} from "./certificate.js";
export { statelessServerResponse } from "./cookie.js";
export { DtlsEndpoint } from "./endpoint.js";
export { DtlsError, type DtlsErrorCode } from "./errors.js";
export { checkFingerprints, type Fingerprint, fingerprint } from "./fingerprint.js";
export { prepareKeyShares, spareKeyShareCount } from "./keyexchange.js";
export type { DtlsEndpointOptions, DtlsEvent, DtlsRole, DtlsState, DtlsStats } from "./options.js";
export {
  CIPHER_SUITES,
  type CipherSuite,
  DEFAULT_SRTP_PROFILES,
  GROUP_SECP256R1,
  GROUP_SECP384R1,
  GROUP_X25519,
  SRTP_AEAD_AES_128_GCM,
  SRTP_AEAD_AES_256_GCM,
  SRTP_AES128_CM_HMAC_SHA1_32,
  SRTP_AES128_CM_HMAC_SHA1_80,
  SRTP_PROFILE_NAMES,
} from "./suites.js";
