// The DTLS 1.2 server handshake (RFC 6347 4.2.4 flights 4 and 6; RFC 5246 7.4): answers a
// ClientHello (after the stateless cookie exchange, see cookie.ts) with ServerHello, Certificate,
// ServerKeyExchange, CertificateRequest and ServerHelloDone; checks the client's Certificate,
// ClientKeyExchange, CertificateVerify and Finished; then sends ChangeCipherSpec and Finished.
// Selects DTLS 1.2 even when the client offers DTLS 1.3 in supported_versions, and does not echo
// that extension or put the TLS 1.3 downgrade sentinel in its random (RFC 8446 4.1.3 asks that only
// of servers that implement TLS 1.3; BoringSSL clients reject a sentinel from a 1.2 server).

import { concatBytes } from "../bytes/index.js";
import { AlertDescription } from "./alert.js";
import {
  EC_POINT_FORMATS_UNCOMPRESSED,
  EXT_EC_POINT_FORMATS,
  EXT_EXTENDED_MASTER_SECRET,
  EXT_RENEGOTIATION_INFO,
  EXT_SIGNATURE_ALGORITHMS,
  EXT_SUPPORTED_GROUPS,
  EXT_USE_SRTP,
  type Extension,
  encodeUseSrtp,
  findExtension,
  parseU16List,
  parseUseSrtp,
  pointFormatsAllowUncompressed,
  RENEGOTIATION_INFO_INITIAL,
} from "./extensions.js";
import { Handshake, type HandshakeConfig, type HandshakeHost } from "./handshake.js";
import { generateKeyShare } from "./keyexchange.js";
import {
  CERT_TYPE_ECDSA_SIGN,
  CERT_TYPE_RSA_SIGN,
  HT_CERTIFICATE,
  HT_CERTIFICATE_REQUEST,
  HT_CERTIFICATE_VERIFY,
  HT_CLIENT_HELLO,
  HT_CLIENT_KEY_EXCHANGE,
  HT_FINISHED,
  HT_SERVER_HELLO,
  HT_SERVER_HELLO_DONE,
  HT_SERVER_KEY_EXCHANGE,
  parseClientHello,
  parseClientKeyExchange,
  parseDigitallySigned,
  writeCertificateList,
  writeCertificateRequest,
  writeEcdhParams,
  writeServerHello,
  writeSignedBody,
} from "./messages.js";
import type { HandshakeMessage } from "./reassembly.js";
import { DTLS_1_2 } from "./record.js";
import { chooseSignatureScheme, keyKind, SIGNATURE_SCHEMES, signWith, verifyWith } from "./signature.js";
import { EMPTY_RENEGOTIATION_INFO_SCSV, GROUP_SECP256R1 } from "./suites.js";

type ServerState = "client-hello" | "certificate" | "key-exchange" | "verify" | "finished" | "done";

export class ServerHandshake extends Handshake {
  private state: ServerState;

  /** `messageSeq`: the ClientHello's, which our ServerHello echoes (RFC 6347 4.2.2). */
  constructor(host: HandshakeHost, config: HandshakeConfig, messageSeq: number) {
    super("server", host, config);
    this.state = "client-hello";
    this.sendSeq = messageSeq;
  }

  handleMessage(msg: HandshakeMessage): undefined {
    const t = msg.msgType;
    switch (this.state) {
      case "client-hello":
        if (t === HT_CLIENT_HELLO) return this.onClientHello(msg);
        break;
      case "certificate":
        if (t === HT_CERTIFICATE) {
          if (!this.handleCertificate(msg.body)) return;
          this.transcript.push(msg.raw);
          this.state = "key-exchange";
          return;
        }
        break;
      case "key-exchange":
        if (t === HT_CLIENT_KEY_EXCHANGE) {
          const point = parseClientKeyExchange(msg.body);
          if (!point) return this.failWith("malformed ClientKeyExchange", AlertDescription.decode_error);
          const secret = this.keyShare!.computeSecret(point);
          if (!secret) return this.failWith("invalid client ECDH public key", AlertDescription.illegal_parameter);
          this.transcript.push(msg.raw);
          this.deriveKeys(secret);
          this.state = "verify";
          return;
        }
        break;
      case "verify":
        if (t === HT_CERTIFICATE_VERIFY) {
          const cv = parseDigitallySigned(msg.body);
          if (!cv) return this.failWith("malformed CertificateVerify", AlertDescription.decode_error);
          if (!verifyWith(cv.scheme, this.peerPublicKey!, this.transcriptBytes(), cv.signature)) {
            return this.failWith("CertificateVerify does not verify", AlertDescription.decrypt_error);
          }
          this.transcript.push(msg.raw);
          this.state = "finished";
          return;
        }
        break;
      case "finished":
        if (t === HT_FINISHED) {
          if (!this.checkPeerFinished(msg)) return;
          this.state = "done";
          this.done = true;
          this.host.sendFlight([{ kind: "ccs", epoch: 0 }, this.finishedMessage()], false);
          this.releaseHandshakeState();
          this.host.handshakeComplete();
          return;
        }
        break;
      case "done":
        return;
    }
    this.failWith(`unexpected handshake message ${t} in state ${this.state}`, AlertDescription.unexpected_message);
  }

  private onClientHello(msg: HandshakeMessage): undefined {
    const ch = parseClientHello(msg.body);
    if (!ch) return this.failWith("malformed ClientHello", AlertDescription.decode_error);
    // DTLS versions count down: 0xfeff is 1.0, 0xfefd is 1.2. A 1.3 client still says 1.2 here.
    if (ch.version > DTLS_1_2) {
      return this.failWith(
        `client offers only version 0x${ch.version.toString(16)}`,
        AlertDescription.protocol_version,
      );
    }
    if (!ch.compressionMethods.includes(0)) {
      return this.failWith("client offers no null compression", AlertDescription.illegal_parameter);
    }
    const cert = this.config.certificate;
    const auth = keyKind(cert.privateKey);
    const suite = this.config.cipherSuites.find((s) => s.auth === auth && ch.cipherSuites.includes(s.id));
    if (!suite) return this.failWith("no cipher suite in common", AlertDescription.handshake_failure);

    const groupsExt = findExtension(ch.extensions, EXT_SUPPORTED_GROUPS);
    const clientGroups = groupsExt ? parseU16List(groupsExt) : [GROUP_SECP256R1];
    if (!clientGroups) return this.failWith("malformed supported_groups", AlertDescription.decode_error);
    const group = this.config.groups.find((g) => clientGroups.includes(g));
    if (group === undefined)
      return this.failWith("no key-exchange group in common", AlertDescription.handshake_failure);

    const formats = findExtension(ch.extensions, EXT_EC_POINT_FORMATS);
    if (formats && !pointFormatsAllowUncompressed(formats)) {
      return this.failWith("client does not accept uncompressed points", AlertDescription.illegal_parameter);
    }
    const sigExt = findExtension(ch.extensions, EXT_SIGNATURE_ALGORITHMS);
    const clientSchemes = sigExt ? parseU16List(sigExt) : undefined;
    if (sigExt && !clientSchemes) return this.failWith("malformed signature_algorithms", AlertDescription.decode_error);
    const scheme = chooseSignatureScheme(cert.privateKey, clientSchemes);
    if (scheme === undefined) return this.failWith("no signature scheme in common", AlertDescription.handshake_failure);

    const reneg = findExtension(ch.extensions, EXT_RENEGOTIATION_INFO);
    if (reneg && (reneg.length !== 1 || reneg[0] !== 0)) {
      return this.failWith("bad renegotiation_info", AlertDescription.handshake_failure);
    }
    const secureRenegotiation = reneg !== undefined || ch.cipherSuites.includes(EMPTY_RENEGOTIATION_INFO_SCSV);

    const srtpExt = findExtension(ch.extensions, EXT_USE_SRTP);
    if (srtpExt) {
      const offered = parseUseSrtp(srtpExt);
      if (!offered) return this.failWith("malformed use_srtp", AlertDescription.decode_error);
      this.srtpProfile = this.config.srtpProfiles.find((p) => offered.profiles.includes(p));
    }
    this.extendedMasterSecret = findExtension(ch.extensions, EXT_EXTENDED_MASTER_SECRET) !== undefined;
    this.suite = suite;
    this.clientRandom = Uint8Array.from(ch.random);
    this.serverRandom = this.newRandom();
    this.transcript.push(msg.raw);

    const extensions: Extension[] = [];
    if (secureRenegotiation) extensions.push({ type: EXT_RENEGOTIATION_INFO, data: RENEGOTIATION_INFO_INITIAL });
    if (this.extendedMasterSecret) extensions.push({ type: EXT_EXTENDED_MASTER_SECRET, data: new Uint8Array(0) });
    if (formats) extensions.push({ type: EXT_EC_POINT_FORMATS, data: EC_POINT_FORMATS_UNCOMPRESSED });
    if (this.srtpProfile !== undefined) {
      extensions.push({ type: EXT_USE_SRTP, data: encodeUseSrtp([this.srtpProfile]) });
    }
    const serverHello = writeServerHello({
      version: DTLS_1_2,
      random: this.serverRandom,
      sessionId: new Uint8Array(0),
      cipherSuite: suite.id,
      compressionMethod: 0,
      extensions,
    });

    this.keyShare = generateKeyShare(group, this.config.random);
    const params = writeEcdhParams(group, this.keyShare.publicKey);
    const signature = signWith(scheme, cert.privateKey, concatBytes([this.clientRandom, this.serverRandom, params]));

    const items = [
      this.message(HT_SERVER_HELLO, serverHello),
      this.message(HT_CERTIFICATE, writeCertificateList([cert.der])),
      this.message(HT_SERVER_KEY_EXCHANGE, writeSignedBody(params, scheme, signature)),
      this.message(
        HT_CERTIFICATE_REQUEST,
        writeCertificateRequest([CERT_TYPE_ECDSA_SIGN, CERT_TYPE_RSA_SIGN], SIGNATURE_SCHEMES),
      ),
      this.message(HT_SERVER_HELLO_DONE, new Uint8Array(0)),
    ];
    this.state = "certificate";
    this.host.sendFlight(items, true);
  }
}
