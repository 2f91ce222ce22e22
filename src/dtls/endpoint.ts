// DtlsEndpoint: a sans-IO DTLS 1.2 client or server for one peer (RFC 6347), a PacketCore.
// It owns the record layer state (epochs, sequence numbers, replay windows, RFC 6347 4.1), the
// handshake reassembly and flight retransmission (4.2.3-4.2.4), fingerprint checks (RFC 8122 /
// RFC 8842 5), alerts and close_notify (RFC 5246 7.2), application data and the exporter (RFC 5705,
// RFC 5764 4.2). The handshake logic lives in client.ts / server.ts, the sending half of the
// record layer (write epochs, the datagram queue, flight packing) in record-writer.ts.
import type { PacketCore } from "../core.js";
import { cryptoRandom } from "../random.js";
import { ALERT_FATAL, ALERT_WARNING, AlertDescription, alertName } from "./alert.js";
import { ClientHandshake } from "./client.js";
import { checkCookie, helloVerifyRequest } from "./cookie.js";
import { DtlsError } from "./errors.js";
import { checkFingerprints, type Fingerprint } from "./fingerprint.js";
import { type FlightItem, FlightTimer, type RecordSealer } from "./flight.js";
import type { Handshake, HandshakeConfig, HandshakeHost } from "./handshake.js";
import { HT_CLIENT_HELLO, HT_HELLO_REQUEST, readFragment } from "./messages.js";
import {
  type DtlsEndpointOptions,
  type DtlsEvent,
  type DtlsRole,
  type DtlsState,
  type DtlsStats,
  handshakeConfig,
} from "./options.js";
import { type AeadKeys, exportKeyingMaterial } from "./prf.js";
import { Reassembler } from "./reassembly.js";
import {
  CONTENT_ALERT,
  CONTENT_APPLICATION_DATA,
  CONTENT_CHANGE_CIPHER_SPEC,
  CONTENT_HANDSHAKE,
  isDtlsVersion,
  MAX_PLAINTEXT,
  RECORD_HEADER_LENGTH,
  RecordCipher,
  type RecordHeader,
  ReplayWindow,
  readRecordHeader,
} from "./record.js";

export type { DtlsEndpointOptions, DtlsEvent, DtlsRole, DtlsState, DtlsStats } from "./options.js";

import { RecordWriter } from "./record-writer.js";
import { ServerHandshake } from "./server.js";
import { type CipherSuite, SRTP_PROFILE_NAMES } from "./suites.js";

const NO_SECRET = new Uint8Array(0);
/** Largest number of queued outgoing datagrams before send() refuses more. */
const MAX_TX_QUEUE = 8192;
/** Application records that arrived before `connected` (early data, pending fingerprint). */
const MAX_EARLY_DATA = 64;
/** Protected records that arrive before their keys (e.g. Finished overtaking ClientKeyExchange). */
const MAX_EARLY_RECORDS = 8;

export class DtlsEndpoint implements PacketCore<DtlsEvent>, HandshakeHost, RecordSealer {
  readonly role: DtlsRole;
  readonly stats: DtlsStats;
  state: DtlsState;
  mtu: number;
  private readonly config: HandshakeConfig;
  private readonly cookies: boolean;
  private readonly cookieSecret: Uint8Array;
  private readonly clientId: Uint8Array | undefined;
  private remoteFingerprints: Fingerprint[] | undefined;
  private fingerprintVerified: boolean;
  private hs: Handshake | undefined;
  private readonly reassembler: Reassembler;
  private readonly timer: FlightTimer;
  private flight: FlightItem[] | undefined;
  private lastFlightAt: number;
  private retransmitRequested: boolean;
  private handshakeDone: boolean;
  private now: number;
  // Record layer: the sending half (ciphers, sequence numbers, the datagram queue) in `out`.
  private readonly out: RecordWriter;
  private readCipher: RecordCipher | undefined;
  private readonly replay: ReplayWindow;
  private readonly header: RecordHeader;
  private closeSent: boolean;
  // Queues.
  private events: DtlsEvent[];
  private eventHead: number;
  private early: Uint8Array[];
  private earlyRecords: Uint8Array[];

  constructor(opts: DtlsEndpointOptions) {
    if (opts.role !== "client" && opts.role !== "server")
      throw new DtlsError("INVALID_ARGUMENT", "role must be client or server");
    if (!opts.certificate?.privateKey || !opts.certificate.der) {
      throw new DtlsError("INVALID_ARGUMENT", "certificate { privateKey, der } is required");
    }
    this.role = opts.role;
    this.mtu = opts.mtu ?? 1200;
    if (this.mtu < 200) throw new DtlsError("INVALID_ARGUMENT", "mtu must be at least 200");
    const random = opts.random ?? cryptoRandom();
    this.config = handshakeConfig(opts, random);
    this.cookies = opts.cookies ?? true;
    // Only a server that sends HelloVerifyRequests needs a cookie secret (none in WebRTC).
    this.cookieSecret = opts.cookieSecret ?? (this.cookies && this.role === "server" ? random.bytes(32) : NO_SECRET);
    this.clientId = opts.clientId;
    this.remoteFingerprints = opts.remoteFingerprints;
    this.fingerprintVerified = false;
    this.hs = undefined;
    this.reassembler = new Reassembler(0);
    this.timer = new FlightTimer(opts.retransmitTimeout ?? 400, opts.maxRetransmits ?? 6);
    this.flight = undefined;
    this.lastFlightAt = Number.NEGATIVE_INFINITY;
    this.retransmitRequested = false;
    this.handshakeDone = false;
    this.now = 0;
    this.readCipher = undefined;
    this.replay = new ReplayWindow();
    this.header = { type: 0, version: 0, epoch: 0, sequence: 0, length: 0 };
    this.closeSent = false;
    this.events = [];
    this.eventHead = 0;
    this.early = [];
    this.earlyRecords = [];
    this.state = "new";
    this.stats = {
      datagramsSent: 0,
      datagramsReceived: 0,
      bytesSent: 0,
      bytesReceived: 0,
      recordsSent: 0,
      recordsReceived: 0,
      retransmissions: 0,
      helloVerifyRequests: 0,
      dropped: { replay: 0, badMac: 0, garbage: 0, epoch: 0, state: 0, handshake: 0 },
    };
    this.out = new RecordWriter(this.stats);
  }

  // ---- Public API ----

  /**
   * Client: sends the ClientHello. Server: marks the endpoint connecting (it also accepts a
   * ClientHello before start(), and start() after that is a no-op).
   */
  start(now: number): void {
    // A server may already be handshaking: a ClientHello can arrive before the driver calls start().
    if (this.role === "server" && this.state === "connecting") return;
    if (this.state !== "new") throw new DtlsError("INVALID_STATE", `start() in state ${this.state}`);
    this.tick(now);
    this.setState("connecting");
    if (this.role === "client") {
      const hs = new ClientHandshake(this, this.config);
      this.hs = hs;
      hs.start();
    }
  }

  /** The negotiated cipher suite name, once known. */
  get cipherSuite(): string | undefined {
    return this.hs?.suite?.name;
  }

  /** The SRTP protection profile agreed through use_srtp (RFC 5764 4.1.2), if any. */
  get selectedSrtpProfile(): number | undefined {
    return this.hs?.srtpProfile;
  }

  get selectedSrtpProfileName(): string | undefined {
    const p = this.selectedSrtpProfile;
    return p === undefined ? undefined : SRTP_PROFILE_NAMES[p];
  }

  /** True once any per-peer handshake state exists (a server answering only with cookies has none). */
  get hasHandshakeState(): boolean {
    return this.hs !== undefined || this.reassembler.bufferedBytes > 0;
  }

  /** The ClientHello random of this association (once known). */
  get clientRandom(): Uint8Array | undefined {
    const hs = this.hs;
    return hs && (this.role === "client" || hs.suite) ? hs.clientRandom : undefined;
  }

  getRemoteCertificate(): Uint8Array | undefined {
    return this.hs?.peerCertificate;
  }

  setRemoteFingerprints(fingerprints: Fingerprint[]): void {
    this.remoteFingerprints = fingerprints;
    const der = this.hs?.peerCertificate;
    if (!der || this.fingerprintVerified || this.state === "failed" || this.state === "closed") return;
    if (this.verifyFingerprint(der) && this.handshakeDone) this.becomeConnected();
  }

  /** Sends one application data record (RFC 6347 4.1.1: it must fit the MTU). */
  send(data: Uint8Array): void {
    if (this.state !== "connected") throw new DtlsError("INVALID_STATE", `send() in state ${this.state}`);
    const out = this.out;
    if (data.length > MAX_PLAINTEXT || RECORD_HEADER_LENGTH + out.cipher!.overhead + data.length > this.mtu) {
      throw new DtlsError("MESSAGE_TOO_LARGE", `${data.length} bytes do not fit one record within MTU ${this.mtu}`);
    }
    if (out.queued >= MAX_TX_QUEUE) throw new DtlsError("QUEUE_FULL", "transmit queue full");
    // The first one (the SCTP INIT) may share the datagram of our last flight (record-writer.ts).
    out.sealData(data, this.mtu);
  }

  /** Changes the MTU (e.g. SCTP's PLPMTUD found larger packets get through, RFC 8261 5). */
  setMtu(mtu: number): void {
    if (!(mtu >= 200)) throw new DtlsError("INVALID_ARGUMENT", "mtu must be at least 200");
    this.mtu = mtu;
  }

  /** Largest application payload send() accepts. */
  get maxPayload(): number {
    const overhead = this.out.cipher?.overhead ?? 24;
    return Math.min(MAX_PLAINTEXT, this.mtu - RECORD_HEADER_LENGTH - overhead);
  }

  /** Sends close_notify and closes (RFC 5246 7.2.1). */
  close(): void {
    if (this.state === "closed" || this.state === "failed") return;
    if (this.state !== "new") this.sendAlert(ALERT_WARNING, AlertDescription.close_notify);
    this.timer.stop();
    this.setState("closed");
    this.pushEvent({ type: "closed" });
  }

  /** Fails the connection with a fatal alert (e.g. the application rejected the peer certificate). */
  abort(reason: string, alert: number = AlertDescription.bad_certificate): void {
    this.fail(reason, alert);
  }

  /** RFC 5705 keying material; for DTLS-SRTP use label "EXTRACTOR-dtls_srtp" and no context. */
  exportKeyingMaterial(label: string, context: Uint8Array | undefined, length: number): Uint8Array {
    const hs = this.hs;
    if (!hs?.master || !this.handshakeDone || !this.fingerprintVerified) {
      throw new DtlsError("EXPORTER_UNAVAILABLE", "handshake not complete or peer not verified");
    }
    return exportKeyingMaterial(hs.suite!.hash, hs.master, hs.clientRandom, hs.serverRandom, label, context, length);
  }

  // ---- PacketCore ----

  handleDatagram(data: Uint8Array, now: number): void {
    this.tick(now);
    if (this.state === "closed" || this.state === "failed") {
      this.stats.dropped.state++;
      return;
    }
    this.stats.datagramsReceived++;
    this.stats.bytesReceived += data.length;
    this.retransmitRequested = false;
    const h = this.header;
    let o = 0;
    const end = data.length;
    while (o < end) {
      if (!readRecordHeader(data, o, end, h)) {
        this.stats.dropped.garbage++;
        return;
      }
      const start = o;
      o += RECORD_HEADER_LENGTH + h.length;
      if (!isDtlsVersion(h.version)) {
        this.stats.dropped.garbage++;
        continue;
      }
      this.handleRecord(data, start, h);
      if (this.finished) return;
    }
    if (this.readCipher && this.earlyRecords.length > 0) this.replayEarlyRecords();
    if (this.retransmitRequested) this.retransmitOnRequest();
  }

  handleTimeout(now: number): void {
    this.tick(now);
    const deadline = this.timer.deadline;
    if (deadline === undefined || this.now < deadline) return;
    if (this.state !== "connecting" && this.state !== "connected") {
      this.timer.stop();
      return;
    }
    if (!this.timer.backoff(this.now)) {
      this.timer.stop();
      this.fail(`handshake timed out after ${this.timer.retransmits} retransmissions`, undefined);
      return;
    }
    this.stats.retransmissions++;
    this.transmitFlight();
  }

  pollTransmit(): Uint8Array | undefined {
    return this.out.poll();
  }

  pollEvent(): DtlsEvent | undefined {
    if (this.eventHead >= this.events.length) return undefined;
    const e = this.events[this.eventHead]!;
    this.events[this.eventHead++] = undefined as unknown as DtlsEvent;
    if (this.eventHead === this.events.length) {
      this.events.length = 0;
      this.eventHead = 0;
    }
    return e;
  }

  nextTimeout(): number | undefined {
    return this.timer.deadline;
  }

  // ---- Records in ----

  private handleRecord(data: Uint8Array, o: number, h: RecordHeader): void {
    const type = h.type;
    if (h.epoch === 0) {
      // Epoch 0 is unprotected: the handshake dedups by message_seq, so no replay window here.
      const body = data.subarray(o + RECORD_HEADER_LENGTH, o + RECORD_HEADER_LENGTH + h.length);
      if (type === CONTENT_HANDSHAKE) this.handleHandshakeRecord(body, 0, h.sequence);
      else if (type === CONTENT_ALERT && !this.handshakeDone) this.handleAlert(body);
      else if (type === CONTENT_CHANGE_CIPHER_SPEC) this.stats.recordsReceived++;
      else this.stats.dropped.epoch++;
      return;
    }
    const cipher = this.readCipher;
    if (h.epoch !== 1 || !cipher) {
      if (h.epoch === 1 && this.hs && this.earlyRecords.length < MAX_EARLY_RECORDS) {
        this.earlyRecords.push(data.slice(o, o + RECORD_HEADER_LENGTH + h.length));
      } else this.stats.dropped.epoch++;
      return;
    }
    if (this.replay.isReplay(h.sequence)) {
      this.stats.dropped.replay++;
      return;
    }
    const plain = cipher.open(data, o, h);
    if (!plain) {
      this.stats.dropped.badMac++;
      return;
    }
    this.replay.mark(h.sequence);
    if (type === CONTENT_APPLICATION_DATA) this.handleApplicationData(plain);
    else if (type === CONTENT_HANDSHAKE) this.handleHandshakeRecord(plain, 1, h.sequence);
    else if (type === CONTENT_ALERT) this.handleAlert(plain);
    else this.stats.dropped.garbage++;
  }

  /** Processes records of epoch 1 that arrived before the keys did. */
  private replayEarlyRecords(): void {
    const records = this.earlyRecords;
    this.earlyRecords = [];
    const h = this.header;
    for (const r of records) {
      if (!readRecordHeader(r, 0, r.length, h)) continue;
      this.handleRecord(r, 0, h);
      if (this.finished) return;
    }
  }

  private handleApplicationData(plain: Uint8Array): void {
    this.stats.recordsReceived++;
    if (this.state === "connected") {
      this.pushEvent({ type: "data", data: plain });
      return;
    }
    // Data that overtook the peer's Finished, or arrived before the fingerprint is known.
    if (this.early.length < MAX_EARLY_DATA) this.early.push(plain);
    else this.stats.dropped.state++;
  }

  private handleHandshakeRecord(body: Uint8Array, epoch: number, recordSeq: number): void {
    this.stats.recordsReceived++;
    let o = 0;
    while (o < body.length) {
      const f = readFragment(body, o, body.length);
      if (!f) {
        this.stats.dropped.garbage++;
        return;
      }
      o += 12 + f.fragmentLength;
      if (!this.hs) {
        if (!this.acceptFirstClientHello(f.msgType, f.messageSeq, f.fragmentOffset, f.body, epoch, recordSeq)) continue;
      }
      const r = this.reassembler.add(f, epoch);
      if (r === "old") this.retransmitRequested = true;
      else if (r === "dropped") this.stats.dropped.handshake++;
    }
    this.processMessages();
  }

  /**
   * Server without state: a ClientHello's first fragment with a valid cookie (or any, with cookies
   * off) creates the handshake; anything else gets a stateless HelloVerifyRequest or is dropped.
   */
  private acceptFirstClientHello(
    msgType: number,
    messageSeq: number,
    offset: number,
    fragment: Uint8Array,
    epoch: number,
    recordSeq: number,
  ): boolean {
    if (this.role !== "server" || epoch !== 0 || msgType !== HT_CLIENT_HELLO || offset !== 0) {
      this.stats.dropped.state++;
      return false;
    }
    if (this.cookies) {
      const verdict = checkCookie(fragment, this.cookieSecret, this.clientId);
      if (verdict === "malformed") {
        this.stats.dropped.garbage++;
        return false;
      }
      if (verdict !== "valid") {
        const hvr = helloVerifyRequest(fragment, messageSeq, recordSeq, this.cookieSecret, this.clientId);
        if (hvr) {
          this.stats.helloVerifyRequests++;
          this.out.push(hvr);
        }
        return false;
      }
    }
    if (this.state === "new") this.setState("connecting");
    this.hs = new ServerHandshake(this, this.config, messageSeq);
    this.reassembler.reset(messageSeq);
    // Our first records must not look like replays of the HelloVerifyRequest (RFC 6347 4.2.1).
    this.out.skipEpoch0To(recordSeq);
    return true;
  }

  private processMessages(): void {
    const hs = this.hs;
    if (!hs) return;
    for (let m = this.reassembler.poll(); m; m = this.reassembler.poll()) {
      if (hs.done) {
        // A new handshake on an established connection: refuse renegotiation (RFC 5746 4.4, 4.2).
        if (m.msgType === HT_CLIENT_HELLO || m.msgType === HT_HELLO_REQUEST) {
          this.sendAlert(ALERT_WARNING, AlertDescription.no_renegotiation);
        } else this.stats.dropped.handshake++;
        continue;
      }
      hs.handleMessage(m);
      if (this.finished) return;
    }
  }

  private handleAlert(body: Uint8Array): void {
    if (body.length !== 2) {
      this.stats.dropped.garbage++;
      return;
    }
    this.stats.recordsReceived++;
    const level = body[0]!;
    const desc = body[1]!;
    if (desc === AlertDescription.close_notify) {
      if (!this.closeSent) this.sendAlert(ALERT_WARNING, AlertDescription.close_notify);
      this.timer.stop();
      this.setState("closed");
      this.pushEvent({ type: "closed" });
      return;
    }
    if (level === ALERT_FATAL) {
      this.timer.stop();
      this.setState("failed");
      this.pushEvent({ type: "failed", reason: `peer sent fatal alert ${alertName(desc)}`, alert: desc });
    }
    // Warnings (no_renegotiation, user_canceled, ...) need no action.
  }

  // ---- HandshakeHost ----

  sendFlight(items: FlightItem[], expectReply: boolean): void {
    this.flight = items;
    this.transmitFlight();
    if (expectReply) this.timer.start(this.now);
    else this.timer.stop();
  }

  installKeys(suite: CipherSuite, keys: AeadKeys): void {
    const client = new RecordCipher(suite, keys.clientWriteKey, keys.clientWriteIv);
    const server = new RecordCipher(suite, keys.serverWriteKey, keys.serverWriteIv);
    this.out.cipher = this.role === "client" ? client : server;
    this.readCipher = this.role === "client" ? server : client;
  }

  checkPeerCertificate(der: Uint8Array): "ok" | "pending" | "failed" {
    if (!this.remoteFingerprints) {
      this.pushEvent({ type: "peerCertificate", der });
      return "pending";
    }
    return this.verifyFingerprint(der) ? "ok" : "failed";
  }

  handshakeComplete(): void {
    this.handshakeDone = true;
    if (this.role === "client") {
      // The server's Finished proves our last flight arrived: nothing left to retransmit.
      this.timer.stop();
      this.flight = undefined;
    }
    if (this.fingerprintVerified) this.becomeConnected();
  }

  fail(reason: string, alert: number | undefined): void {
    if (this.state === "failed" || this.state === "closed") return;
    if (alert !== undefined) this.sendAlert(ALERT_FATAL, alert);
    this.timer.stop();
    this.setState("failed");
    this.pushEvent(alert === undefined ? { type: "failed", reason } : { type: "failed", reason, alert });
  }

  // ---- RecordSealer ----

  sealRecord(type: number, epoch: number, fragment: Uint8Array): Uint8Array {
    return this.out.sealRecord(type, epoch, fragment);
  }

  overhead(epoch: number): number {
    return this.out.overhead(epoch);
  }

  // ---- Internals ----

  /** Closed or failed: nothing more happens. */
  private get finished(): boolean {
    return this.state === "closed" || this.state === "failed";
  }

  private tick(now: number): void {
    if (now > this.now) this.now = now;
  }

  private verifyFingerprint(der: Uint8Array): boolean {
    const verdict = checkFingerprints(der, this.remoteFingerprints ?? []);
    if (verdict === "match") {
      this.fingerprintVerified = true;
      return true;
    }
    this.fail(
      verdict === "unsupported"
        ? "no remote fingerprint uses a supported hash function"
        : "remote certificate does not match the expected fingerprint",
      AlertDescription.bad_certificate,
    );
    return false;
  }

  private becomeConnected(): void {
    if (this.state !== "connecting") return;
    this.setState("connected");
    const p = this.hs?.srtpProfile;
    this.pushEvent(p === undefined ? { type: "connected" } : { type: "connected", srtpProfile: p });
    for (const d of this.early) this.pushEvent({ type: "data", data: d });
    this.early = [];
  }

  private transmitFlight(): void {
    const items = this.flight;
    if (!items) return;
    this.out.queueFlight(items, this.mtu);
    this.lastFlightAt = this.now;
  }

  /** The peer repeated messages we already processed: it lost our flight (RFC 6347 4.2.4). */
  private retransmitOnRequest(): void {
    if (!this.flight) return;
    // The client's last flight is answered by the server's Finished; once that arrived there is
    // nothing to repeat. The server repeats its last flight whenever the client's flight 5 reappears.
    if (this.handshakeDone && this.role === "client") return;
    if (this.now - this.lastFlightAt < this.timer.initial / 4) return;
    this.stats.retransmissions++;
    this.transmitFlight();
  }

  private sendAlert(level: number, desc: number): void {
    if (desc === AlertDescription.close_notify) this.closeSent = true;
    const body = Uint8Array.of(level, desc);
    const out = this.out;
    out.push(out.sealRecord(CONTENT_ALERT, out.epoch, body));
  }

  private pushEvent(e: DtlsEvent): void {
    this.events.push(e);
  }

  private setState(s: DtlsState): void {
    if (this.state === s) return;
    this.state = s;
    this.pushEvent({ type: "state", state: s });
  }
}
