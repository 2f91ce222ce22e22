// The DTLS 1.2 client handshake (RFC 6347 4.2.1 and 4.2.4 flights 1, 3, 5; RFC 5246 7.4):
// ClientHello (again with the cookie after a HelloVerifyRequest, or straight to ServerHello when
// the server sends none, as Firefox does), then the server's flight, then Certificate,
// ClientKeyExchange, CertificateVerify, ChangeCipherSpec and Finished, then the server's Finished.

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
  encodeU16List,
  encodeUseSrtp,
  findExtension,
  parseUseSrtp,
  RENEGOTIATION_INFO_INITIAL,
} from "./extensions.js";
import type { FlightItem } from "./flight.js";
import { Handshake, type HandshakeConfig, type HandshakeHost } from "./handshake.js";
import { generateKeyShare } from "./keyexchange.js";
import {
  buildMessage,
  HT_CERTIFICATE,
  HT_CERTIFICATE_REQUEST,
  HT_CERTIFICATE_VERIFY,
  HT_CLIENT_HELLO,
  HT_CLIENT_KEY_EXCHANGE,
  HT_FINISHED,
  HT_HELLO_REQUEST,
  HT_HELLO_VERIFY_REQUEST,
  HT_SERVER_HELLO,
  HT_SERVER_HELLO_DONE,
  HT_SERVER_KEY_EXCHANGE,
  parseCertificateRequest,
  parseHelloVerifyRequest,
  parseServerHello,
  parseServerKeyExchange,
  writeCertificateList,
  writeClientHello,
  writeClientKeyExchange,
  writeSignedBody,
} from "./messages.js";
import type { HandshakeMessage } from "./reassembly.js";
import { DTLS_1_2 } from "./record.js";
import { chooseSignatureScheme, keyKind, SIGNATURE_SCHEMES, signWith, verifyWith } from "./signature.js";

type ClientState = "hello" | "certificate" | "key-exchange" | "request-or-done" | "done-msg" | "finished" | "done";

/** HelloVerifyRequests accepted before giving up (a server that never accepts its own cookie). */
const MAX_HELLO_VERIFY = 4;

export class ClientHandshake extends Handshake {
  private state: ClientState;
  private cookie: Uint8Array;
  private lastClientHello: Uint8Array | undefined;
  private helloVerifyCount: number;
  private certificateRequested: boolean;
  private requestSchemes: number[] | undefined;
  private preMaster: Uint8Array | undefined;

  constructor(host: HandshakeHost, config: HandshakeConfig) {
    super("client", host, config);
    this.state = "hello";
    this.cookie = new Uint8Array(0);
    this.lastClientHello = undefined;
    this.helloVerifyCount = 0;
    this.certificateRequested = false;
    this.requestSchemes = undefined;
    this.preMaster = undefined;
  }

  /** Sends flight 1. */
  start(): undefined {
    this.clientRandom = this.newRandom();
    this.sendClientHello();
  }

  private sendClientHello(): undefined {
    const c = this.config;
    const extensions: Extension[] = [
      { type: EXT_SUPPORTED_GROUPS, data: encodeU16List(c.groups) },
      { type: EXT_EC_POINT_FORMATS, data: EC_POINT_FORMATS_UNCOMPRESSED },
      { type: EXT_SIGNATURE_ALGORITHMS, data: encodeU16List(SIGNATURE_SCHEMES) },
    ];
    if (c.srtpProfiles.length > 0) extensions.push({ type: EXT_USE_SRTP, data: encodeUseSrtp(c.srtpProfiles) });
    extensions.push({ type: EXT_EXTENDED_MASTER_SECRET, data: new Uint8Array(0) });
    extensions.push({ type: EXT_RENEGOTIATION_INFO, data: RENEGOTIATION_INFO_INITIAL });
    const body = writeClientHello({
      version: DTLS_1_2,
      random: this.clientRandom,
      sessionId: new Uint8Array(0),
      cookie: this.cookie,
      cipherSuites: c.cipherSuites.map((s) => s.id),
      compressionMethods: Uint8Array.of(0),
      extensions,
    });
    // Not in the transcript yet: only the ClientHello that the ServerHello answers is (RFC 6347 4.2.6).
    this.lastClientHello = buildMessage(HT_CLIENT_HELLO, this.sendSeq++, body);
    this.host.sendFlight([{ kind: "handshake", epoch: 0, message: this.lastClientHello }], true);
  }

  handleMessage(msg: HandshakeMessage): undefined {
    const t = msg.msgType;
    // A HelloRequest while negotiating is ignored (RFC 5246 7.4.1.1).
    if (t === HT_HELLO_REQUEST) return;
    switch (this.state) {
      case "hello":
        if (t === HT_HELLO_VERIFY_REQUEST) return this.onHelloVerifyRequest(msg);
        if (t === HT_SERVER_HELLO) return this.onServerHello(msg);
        break;
      case "certificate":
        if (t === HT_CERTIFICATE) {
          if (!this.handleCertificate(msg.body)) return;
          if (keyKind(this.peerPublicKey!) !== this.suite!.auth) {
            return this.failWith(
              "server certificate does not match the cipher suite",
              AlertDescription.bad_certificate,
            );
          }
          this.transcript.push(msg.raw);
          this.state = "key-exchange";
          return;
        }
        break;
      case "key-exchange":
        if (t === HT_SERVER_KEY_EXCHANGE) return this.onServerKeyExchange(msg);
        break;
      case "request-or-done":
        if (t === HT_CERTIFICATE_REQUEST) {
          const cr = parseCertificateRequest(msg.body);
          if (!cr) return this.failWith("malformed CertificateRequest", AlertDescription.decode_error);
          this.certificateRequested = true;
          this.requestSchemes = cr.signatureSchemes;
          this.transcript.push(msg.raw);
          this.state = "done-msg";
          return;
        }
        if (t === HT_SERVER_HELLO_DONE) return this.onServerHelloDone(msg);
        break;
      case "done-msg":
        if (t === HT_SERVER_HELLO_DONE) return this.onServerHelloDone(msg);
        break;
      case "finished":
        if (t === HT_FINISHED) {
          if (!this.checkPeerFinished(msg)) return;
          this.state = "done";
          this.done = true;
          this.releaseHandshakeState();
          this.requestSchemes = undefined;
          this.host.handshakeComplete();
          return;
        }
        break;
      case "done":
        return;
    }
    this.failWith(`unexpected handshake message ${t} in state ${this.state}`, AlertDescription.unexpected_message);
  }

  private onHelloVerifyRequest(msg: HandshakeMessage): undefined {
    const hvr = parseHelloVerifyRequest(msg.body);
    if (!hvr) return this.failWith("malformed HelloVerifyRequest", AlertDescription.decode_error);
    if (++this.helloVerifyCount > MAX_HELLO_VERIFY) return this.failWith("too many HelloVerifyRequests");
    this.cookie = Uint8Array.from(hvr.cookie);
    this.sendClientHello();
  }

  private onServerHello(msg: HandshakeMessage): undefined {
    const sh = parseServerHello(msg.body);
    if (!sh) return this.failWith("malformed ServerHello", AlertDescription.decode_error);
    if (sh.version !== DTLS_1_2) {
      return this.failWith(`server chose version 0x${sh.version.toString(16)}`, AlertDescription.protocol_version);
    }
    const suite = this.config.cipherSuites.find((s) => s.id === sh.cipherSuite);
    if (!suite)
      return this.failWith("server chose a cipher suite we did not offer", AlertDescription.illegal_parameter);
    if (sh.compressionMethod !== 0)
      return this.failWith("server chose compression", AlertDescription.illegal_parameter);
    const reneg = findExtension(sh.extensions, EXT_RENEGOTIATION_INFO);
    if (reneg && (reneg.length !== 1 || reneg[0] !== 0)) {
      return this.failWith("bad renegotiation_info", AlertDescription.handshake_failure);
    }
    const srtp = findExtension(sh.extensions, EXT_USE_SRTP);
    if (srtp) {
      const parsed = parseUseSrtp(srtp);
      if (parsed?.profiles.length !== 1 || !this.config.srtpProfiles.includes(parsed.profiles[0]!)) {
        return this.failWith("server chose an SRTP profile we did not offer", AlertDescription.illegal_parameter);
      }
      this.srtpProfile = parsed.profiles[0];
    }
    this.extendedMasterSecret = findExtension(sh.extensions, EXT_EXTENDED_MASTER_SECRET) !== undefined;
    this.suite = suite;
    this.serverRandom = Uint8Array.from(sh.random);
    this.transcript.push(this.lastClientHello!, msg.raw);
    this.state = "certificate";
  }

  private onServerKeyExchange(msg: HandshakeMessage): undefined {
    const ske = parseServerKeyExchange(msg.body);
    if (!ske) return this.failWith("malformed ServerKeyExchange", AlertDescription.decode_error);
    if (!this.config.groups.includes(ske.group)) {
      return this.failWith(`server chose group ${ske.group} we did not offer`, AlertDescription.illegal_parameter);
    }
    const signed = concatBytes([this.clientRandom, this.serverRandom, ske.params]);
    if (!verifyWith(ske.signatureScheme, this.peerPublicKey!, signed, ske.signature)) {
      return this.failWith("ServerKeyExchange signature does not verify", AlertDescription.decrypt_error);
    }
    this.keyShare = generateKeyShare(ske.group, this.config.random);
    const secret = this.keyShare.computeSecret(ske.publicKey);
    if (!secret) return this.failWith("invalid server ECDH public key", AlertDescription.illegal_parameter);
    this.preMaster = secret;
    this.transcript.push(msg.raw);
    this.state = "request-or-done";
  }

  /** Sends flight 5. */
  private onServerHelloDone(msg: HandshakeMessage): undefined {
    if (msg.body.length !== 0) return this.failWith("malformed ServerHelloDone", AlertDescription.decode_error);
    this.transcript.push(msg.raw);
    const items: FlightItem[] = [];
    const cert = this.config.certificate;
    if (this.certificateRequested) items.push(this.message(HT_CERTIFICATE, writeCertificateList([cert.der])));
    items.push(this.message(HT_CLIENT_KEY_EXCHANGE, writeClientKeyExchange(this.keyShare!.publicKey)));
    this.deriveKeys(this.preMaster!);
    // The master secret is derived: the premaster secret is not kept (nor the ClientHello).
    this.preMaster?.fill(0);
    this.preMaster = undefined;
    this.lastClientHello = undefined;
    if (this.certificateRequested) {
      const scheme = chooseSignatureScheme(cert.privateKey, this.requestSchemes);
      if (scheme === undefined) return this.failWith("no signature scheme in common for CertificateVerify");
      const sig = signWith(scheme, cert.privateKey, this.transcriptBytes());
      items.push(this.message(HT_CERTIFICATE_VERIFY, writeSignedBody(new Uint8Array(0), scheme, sig)));
    }
    items.push({ kind: "ccs", epoch: 0 });
    items.push(this.finishedMessage());
    this.state = "finished";
    this.host.sendFlight(items, true);
  }
}
