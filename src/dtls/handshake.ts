// State shared by the DTLS 1.2 client and server handshakes (RFC 5246 7.3-7.4, RFC 6347 4.2):
// the transcript of unfragmented messages (RFC 6347 4.2.6: without the cookie-less ClientHello
// and HelloVerifyRequest), outgoing message_seq, randoms, peer certificate, key derivation with
// or without the extended master secret (RFC 7627), Finished, and the narrow interface through
// which a handshake drives its endpoint (flights, keys, fingerprint checks, failure).
import { createHash, type KeyObject } from "node:crypto";
import { constantTimeEqual } from "../bytes/index.js";
import type { Random } from "../random.js";
import { AlertDescription } from "./alert.js";
import { type DtlsCertificate, readPeerPublicKey } from "./certificate.js";
import type { FlightItem } from "./flight.js";
import type { KeyShare } from "./keyexchange.js";
import { buildMessage, HT_FINISHED, parseCertificateList } from "./messages.js";
import { type AeadKeys, extendedMasterSecret, finishedVerifyData, keyBlock, masterSecret } from "./prf.js";
import type { HandshakeMessage } from "./reassembly.js";
import { keyKind } from "./signature.js";
import type { CipherSuite } from "./suites.js";

/** What a handshake needs from its endpoint. */
export interface HandshakeHost {
  /** Sends a new flight; `expectReply` arms the retransmission timer (RFC 6347 4.2.4). */
  sendFlight(items: FlightItem[], expectReply: boolean): void;
  /** Keys for epoch 1 in both directions are known. */
  installKeys(suite: CipherSuite, keys: AeadKeys): void;
  /** The peer's certificate arrived: "ok", "pending" (fingerprints not known yet) or a failure was raised. */
  checkPeerCertificate(der: Uint8Array): "ok" | "pending" | "failed";
  /** The peer's Finished verified (and ours is sent): the handshake is complete. */
  handshakeComplete(): void;
  /** A fatal error: send the alert and fail. */
  fail(reason: string, alert: number): void;
}

export interface HandshakeConfig {
  certificate: DtlsCertificate;
  random: Random;
  cipherSuites: readonly CipherSuite[];
  groups: readonly number[];
  srtpProfiles: readonly number[];
}

export abstract class Handshake {
  readonly role: "client" | "server";
  protected readonly host: HandshakeHost;
  protected readonly config: HandshakeConfig;
  protected transcript: Uint8Array[];
  protected sendSeq: number;
  clientRandom: Uint8Array;
  serverRandom: Uint8Array;
  suite: CipherSuite | undefined;
  master: Uint8Array | undefined;
  extendedMasterSecret: boolean;
  srtpProfile: number | undefined;
  peerCertificate: Uint8Array | undefined;
  protected peerPublicKey: KeyObject | undefined;
  protected keyShare: KeyShare | undefined;
  done: boolean;

  constructor(role: "client" | "server", host: HandshakeHost, config: HandshakeConfig) {
    this.role = role;
    this.host = host;
    this.config = config;
    this.transcript = [];
    this.sendSeq = 0;
    this.clientRandom = new Uint8Array(32);
    this.serverRandom = new Uint8Array(32);
    this.suite = undefined;
    this.master = undefined;
    this.extendedMasterSecret = false;
    this.srtpProfile = undefined;
    this.peerCertificate = undefined;
    this.peerPublicKey = undefined;
    this.keyShare = undefined;
    this.done = false;
  }

  /** Handles the next in-sequence handshake message. */
  abstract handleMessage(msg: HandshakeMessage): void;

  /** A random value: 32 bytes from the Random (RFC 5246 7.4.1.2; the time field is not used). */
  protected newRandom(): Uint8Array {
    return this.config.random.bytes(32);
  }

  /** Builds an outgoing message with the next message_seq and appends it to the transcript. */
  protected message(type: number, body: Uint8Array, epoch = 0): FlightItem {
    const raw = buildMessage(type, this.sendSeq++, body);
    this.transcript.push(raw);
    return { kind: "handshake", epoch, message: raw };
  }

  protected transcriptBytes(): Uint8Array {
    return Buffer.concat(this.transcript);
  }

  /** Fails the handshake; returns undefined so handlers can `return this.failWith(...)`. */
  protected failWith(reason: string, alert: number = AlertDescription.handshake_failure): undefined {
    this.host.fail(reason, alert);
    return undefined;
  }

  /** Parses and checks the peer's Certificate message; false after failing. */
  protected handleCertificate(body: Uint8Array): boolean {
    const list = parseCertificateList(body);
    if (!list) {
      this.failWith("malformed Certificate", AlertDescription.decode_error);
      return false;
    }
    if (list.length === 0) {
      this.failWith("peer sent no certificate", AlertDescription.certificate_required);
      return false;
    }
    const der = Uint8Array.from(list[0]!);
    const key = readPeerPublicKey(der);
    if (!key) {
      this.failWith("peer certificate is not valid X.509", AlertDescription.bad_certificate);
      return false;
    }
    if (!keyKind(key)) {
      this.failWith(
        `unsupported certificate key type ${key.asymmetricKeyType}`,
        AlertDescription.unsupported_certificate,
      );
      return false;
    }
    this.peerCertificate = der;
    this.peerPublicKey = key;
    return this.host.checkPeerCertificate(der) !== "failed";
  }

  /** Derives the master secret and the epoch-1 keys; `sessionHash` covers up to ClientKeyExchange. */
  protected deriveKeys(preMaster: Uint8Array): void {
    const suite = this.suite!;
    if (this.extendedMasterSecret) {
      const sessionHash = createHash(suite.hash).update(this.transcriptBytes()).digest();
      this.master = extendedMasterSecret(suite.hash, preMaster, sessionHash);
    } else {
      this.master = masterSecret(suite.hash, preMaster, this.clientRandom, this.serverRandom);
    }
    const keys = keyBlock(
      suite.hash,
      this.master,
      this.clientRandom,
      this.serverRandom,
      suite.keyLength,
      suite.fixedIvLength,
    );
    this.host.installKeys(suite, keys);
  }

  /** Our Finished message (epoch 1), computed over the transcript so far. */
  protected finishedMessage(): FlightItem {
    const verify = finishedVerifyData(this.suite!.hash, this.master!, this.role, this.transcriptBytes());
    return this.message(HT_FINISHED, verify, 1);
  }

  /** After the last message: drop what only the handshake needed (transcript, ephemeral key, peer's key). */
  protected releaseHandshakeState(): void {
    this.transcript = [];
    this.keyShare = undefined;
    this.peerPublicKey = undefined;
  }

  /** Checks the peer's Finished; false after failing. Appends it to the transcript on success. */
  protected checkPeerFinished(msg: HandshakeMessage): boolean {
    if (msg.epoch === 0) {
      this.failWith("Finished received without encryption", AlertDescription.unexpected_message);
      return false;
    }
    const peerRole = this.role === "client" ? "server" : "client";
    const expected = finishedVerifyData(this.suite!.hash, this.master!, peerRole, this.transcriptBytes());
    if (!constantTimeEqual(expected, msg.body)) {
      this.failWith("peer Finished does not verify", AlertDescription.decrypt_error);
      return false;
    }
    this.transcript.push(msg.raw);
    return true;
  }
}
