// DTLS over a real UDP socket without the rest of WebRTC, shaped like Node's `tls` / `dgram`:
// connect() gives a client connection, createServer() accepts connections per remote address.
// The I/O driver for DtlsEndpoint (the sans-IO core in src/dtls/): one dgram socket per client or
// server, one timer per connection, and the drain loop of ARCHITECTURE.md after every input.
// A server answers ClientHellos statelessly with HelloVerifyRequests (RFC 6347 4.2.1) and creates
// a connection only for a valid cookie.
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { lookup } from "node:dns";
import { EventEmitter } from "node:events";
import { isIP } from "node:net";
import { monotonicNow } from "../clock.js";
import type { DtlsCertificate } from "../dtls/certificate.js";
import { generateCertificate } from "../dtls/certificate.js";
import { statelessServerResponse } from "../dtls/cookie.js";
import { DtlsEndpoint, type DtlsEndpointOptions } from "../dtls/endpoint.js";
import { DtlsError } from "../dtls/errors.js";
import { type Fingerprint, fingerprint } from "../dtls/fingerprint.js";
import { SRTP_PROFILE_NAMES } from "../dtls/suites.js";
import { cryptoRandom } from "../random.js";

export interface DtlsSocketOptions {
  /** Our certificate (default: a fresh ECDSA P-256 self-signed one). */
  certificate?: DtlsCertificate;
  /** Expected peer fingerprint(s): "sha-256 AB:CD:..." or { algorithm, value } objects. */
  remoteFingerprint?: string | Fingerprint | Fingerprint[];
  /** Called with the peer's DER certificate when no fingerprint is given; return true to accept. */
  verify?: (certificate: Uint8Array) => boolean;
  /** With neither remoteFingerprint nor verify, accept any certificate only when this is false. */
  rejectUnauthorized?: boolean;
  mtu?: number;
  srtpProfiles?: readonly number[];
  cipherSuites?: readonly (number | string)[];
  retransmitTimeout?: number;
  maxRetransmits?: number;
}

export interface DtlsConnectOptions extends DtlsSocketOptions {
  host: string;
  port: number;
  /** Local address and port to bind (default: any, ephemeral). */
  localAddress?: string;
  localPort?: number;
}

export type DtlsServerOptions = DtlsSocketOptions & {
  /** Server: send HelloVerifyRequests (default true). */
  cookies?: boolean;
  /** Most simultaneous connections (default 1024); further ClientHellos are dropped. */
  maxConnections?: number;
};

/**
 * A dgram socket plus a count of sends in flight, so that closing waits for the last datagrams
 * (close_notify) to leave instead of cancelling them. The socket may be attached later (after a
 * DNS lookup); nothing is sent before that.
 */
class UdpOut {
  socket: Socket | undefined;
  private pending = 0;
  private onFlushed: (() => void) | undefined;
  constructor(socket?: Socket) {
    this.socket = socket;
  }
  send(d: Uint8Array, port: number, address: string): void {
    const socket = this.socket;
    if (!socket) return;
    this.pending++;
    socket.send(d, port, address, () => {
      // Send errors (e.g. ICMP unreachable) surface as retransmission timeouts; nothing to do here.
      if (--this.pending === 0 && this.onFlushed) this.flushed();
    });
  }
  /** Closes the socket once every queued send has completed. */
  close(cb?: () => void): void {
    this.onFlushed = () => {
      if (this.socket) this.socket.close(cb);
      else cb?.();
    };
    if (this.pending === 0) this.flushed();
  }
  private flushed(): void {
    const f = this.onFlushed;
    this.onFlushed = undefined;
    f?.();
  }
}

function parseFingerprints(v: DtlsSocketOptions["remoteFingerprint"]): Fingerprint[] | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "string") {
    const [algorithm, value] = v.trim().split(/\s+/);
    if (!algorithm || !value) throw new DtlsError("INVALID_ARGUMENT", `bad fingerprint "${v}"`);
    return [{ algorithm, value }];
  }
  return Array.isArray(v) ? v : [v];
}

/** One DTLS association over UDP. Events: 'connect', 'message' (Buffer), 'close', 'error'. */
export class DtlsConnection extends EventEmitter {
  /** The peer's IP address (resolved, when connect() was given a host name). */
  remoteAddress: string;
  readonly remotePort: number;
  /** @internal */ readonly endpoint: DtlsEndpoint;
  private readonly out: UdpOut;
  private readonly verify: ((cert: Uint8Array) => boolean) | undefined;
  private readonly acceptAny: boolean;
  private timer: NodeJS.Timeout | undefined;
  private timerAt: number | undefined;
  private ended: boolean;
  private readonly onEnd: (() => void) | undefined;

  /** @internal Use connect() or createServer(). */
  constructor(
    out: UdpOut,
    remoteAddress: string,
    remotePort: number,
    endpoint: DtlsEndpoint,
    opts: DtlsSocketOptions,
    onEnd?: () => void,
  ) {
    super();
    this.out = out;
    this.remoteAddress = remoteAddress;
    this.remotePort = remotePort;
    this.endpoint = endpoint;
    this.verify = opts.verify;
    this.acceptAny =
      opts.remoteFingerprint === undefined && opts.verify === undefined && opts.rejectUnauthorized === false;
    this.timer = undefined;
    this.timerAt = undefined;
    this.ended = false;
    this.onEnd = onEnd;
  }

  get state(): DtlsEndpoint["state"] {
    return this.endpoint.state;
  }

  /** The peer's certificate (DER), once received. */
  get remoteCertificate(): Uint8Array | undefined {
    return this.endpoint.getRemoteCertificate();
  }

  get cipherSuite(): string | undefined {
    return this.endpoint.cipherSuite;
  }

  /** The negotiated SRTP profile name (e.g. "SRTP_AES128_CM_HMAC_SHA1_80"), if any. */
  get srtpProfile(): string | undefined {
    const p = this.endpoint.selectedSrtpProfile;
    return p === undefined ? undefined : SRTP_PROFILE_NAMES[p];
  }

  /** Sends one datagram's worth of application data (must fit one record within the MTU). */
  send(data: Uint8Array | string): void {
    this.endpoint.send(typeof data === "string" ? Buffer.from(data) : data);
    this.drain();
  }

  /** RFC 5705 exporter, argument order as in Node's TLSSocket.exportKeyingMaterial. */
  exportKeyingMaterial(length: number, label: string, context?: Uint8Array): Buffer {
    return Buffer.from(this.endpoint.exportKeyingMaterial(label, context, length));
  }

  /** Sends close_notify and closes. */
  close(): void {
    this.endpoint.close();
    this.drain();
  }

  /** @internal */
  start(): void {
    this.guard(() => this.endpoint.start(monotonicNow()));
  }

  /** @internal */
  input(data: Uint8Array): void {
    if (this.ended) return;
    this.guard(() => this.endpoint.handleDatagram(data, monotonicNow()));
  }

  private onTimer = (): void => {
    this.timer = undefined;
    this.timerAt = undefined;
    this.guard(() => this.endpoint.handleTimeout(monotonicNow()));
  };

  /**
   * Runs a step of the core, then drains. A core that throws on input has broken an invariant:
   * only this connection fails (ARCHITECTURE.md "Errors and bounds"), never the process.
   */
  private guard(step: () => void): void {
    try {
      step();
    } catch (err) {
      if (this.ended) return;
      this.end();
      const e = Object.assign(new Error(`DTLS internal error: ${(err as Error).message}`), {
        code: "DTLS_INTERNAL",
        cause: err,
      });
      process.nextTick(() => {
        this.emit("error", e);
        this.emit("close");
      });
      return;
    }
    this.drain();
  }

  /** @internal The drain loop: datagrams out, events to listeners, re-arm the one timer. */
  drain(): void {
    const ep = this.endpoint;
    for (let d = ep.pollTransmit(); d; d = ep.pollTransmit()) {
      this.out.send(d, this.remotePort, this.remoteAddress);
    }
    for (let e = ep.pollEvent(); e; e = ep.pollEvent()) {
      switch (e.type) {
        case "peerCertificate":
          if (this.acceptAny || this.verify?.(e.der)) ep.setRemoteFingerprints([fingerprint(e.der, "sha-256")]);
          else
            ep.abort(this.verify ? "certificate rejected by verify()" : "no fingerprint or verify() to check the peer");
          // setRemoteFingerprints / abort queue more output: loop again.
          this.drain();
          return;
        case "connected":
          this.emit("connect");
          break;
        case "data":
          this.emit("message", Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength));
          break;
        case "closed":
          // Like net.Socket: 'close' comes on a later tick, so close(); on('close') works.
          this.end();
          process.nextTick(() => this.emit("close"));
          break;
        case "failed": {
          this.end();
          const err = Object.assign(new Error(`DTLS failed: ${e.reason}`), { code: "DTLS_FAILED", alert: e.alert });
          process.nextTick(() => {
            this.emit("error", err);
            this.emit("close");
          });
          break;
        }
      }
    }
    if (this.ended) return;
    const at = ep.nextTimeout();
    if (at === this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = at;
    if (at !== undefined) this.timer = setTimeout(this.onTimer, Math.max(0, at - monotonicNow()));
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.onEnd?.();
  }
}

function endpointOptions(
  role: "client" | "server",
  opts: DtlsSocketOptions,
  certificate: DtlsCertificate,
): DtlsEndpointOptions {
  const fps = parseFingerprints(opts.remoteFingerprint);
  return {
    role,
    certificate,
    ...(fps ? { remoteFingerprints: fps } : {}),
    ...(opts.mtu !== undefined ? { mtu: opts.mtu } : {}),
    ...(opts.srtpProfiles ? { srtpProfiles: opts.srtpProfiles } : {}),
    ...(opts.cipherSuites ? { cipherSuites: opts.cipherSuites } : {}),
    ...(opts.retransmitTimeout !== undefined ? { retransmitTimeout: opts.retransmitTimeout } : {}),
    ...(opts.maxRetransmits !== undefined ? { maxRetransmits: opts.maxRetransmits } : {}),
  };
}

/** Connects to a DTLS server; `onConnect` is added as a 'connect' listener. */
export function connect(opts: DtlsConnectOptions, onConnect?: () => void): DtlsConnection {
  const certificate = opts.certificate ?? generateCertificate();
  const endpoint = new DtlsEndpoint(endpointOptions("client", opts, certificate));
  const out = new UdpOut();
  const conn = new DtlsConnection(out, opts.host, opts.port, endpoint, opts, () => out.close());
  if (onConnect) conn.once("connect", onConnect);
  const open = (address: string): void => {
    if (conn.state !== "new") return; // closed before the lookup finished
    conn.remoteAddress = address;
    const socket = createSocket(isIP(address) === 6 ? "udp6" : "udp4");
    out.socket = socket;
    socket.on("message", (msg, rinfo) => {
      if (rinfo.port === opts.port && rinfo.address === address) conn.input(msg);
    });
    socket.on("error", (err) => conn.emit("error", err));
    socket.bind(opts.localPort ?? 0, opts.localAddress, () => conn.start());
  };
  if (isIP(opts.host)) open(opts.host);
  else {
    lookup(opts.host, (err, address) => {
      if (err) conn.emit("error", err);
      else open(address);
    });
  }
  return conn;
}

/**
 * A DTLS server on one UDP socket. Events: 'connection' (DtlsConnection, after its handshake),
 * 'clientError' (err, conn) for handshakes that fail, 'listening', 'close', 'error'.
 */
export class DtlsServer extends EventEmitter {
  private readonly socket: Socket;
  private readonly out: UdpOut;
  private readonly opts: DtlsServerOptions;
  private readonly certificate: DtlsCertificate;
  private readonly cookieSecret: Uint8Array;
  private readonly connections = new Map<string, DtlsConnection>();
  private closed = false;

  constructor(opts: DtlsServerOptions, family: "udp4" | "udp6") {
    super();
    this.opts = opts;
    this.certificate = opts.certificate ?? generateCertificate();
    this.cookieSecret = cryptoRandom().bytes(32);
    this.socket = createSocket(family);
    this.out = new UdpOut(this.socket);
    this.socket.on("message", (msg, rinfo) => this.onMessage(msg, rinfo));
    this.socket.on("error", (err) => this.emit("error", err));
  }

  /** Our certificate, e.g. to publish its fingerprint. */
  get localCertificate(): DtlsCertificate {
    return this.certificate;
  }

  listen(port = 0, host?: string, cb?: () => void): this {
    this.socket.bind(port, host, () => {
      this.emit("listening");
      cb?.();
    });
    return this;
  }

  address(): { address: string; family: string; port: number } {
    return this.socket.address();
  }

  /** Closes every connection (close_notify) and the socket. */
  close(cb?: () => void): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of [...this.connections.values()]) c.close();
    this.out.close(() => {
      this.emit("close");
      cb?.();
    });
  }

  /** An unprotected ClientHello first fragment whose random differs from the association's. */
  private isNewClientHello(msg: Buffer, conn: DtlsConnection): boolean {
    if (msg.length < 13 + 12 + 34 || msg[0] !== 22 || msg[3] !== 0 || msg[4] !== 0 || msg[13] !== 1) return false;
    const random = conn.endpoint.clientRandom;
    return random === undefined || !msg.subarray(27, 59).equals(random);
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    const key = `${rinfo.address}|${rinfo.port}`;
    const cookies = this.opts.cookies ?? true;
    const existing = this.connections.get(key);
    if (existing) {
      if (!(cookies && existing.state === "connected" && this.isNewClientHello(msg, existing))) {
        existing.input(msg);
        return;
      }
    }
    // Only datagrams that may start an association get this far (the common path above is one lookup).
    const clientId = Buffer.from(key);
    if (existing) {
      // RFC 6347 4.2.8: a fresh ClientHello from the address of an established association (the
      // client restarted). Answer with a cookie; once the client proves reachability, replace it.
      const verdict = statelessServerResponse(msg, this.cookieSecret, clientId);
      if (verdict.action === "reply") this.out.send(verdict.datagram, rinfo.port, rinfo.address);
      if (verdict.action !== "accept") return;
      existing.close();
      this.connections.delete(key);
    }
    if (this.closed || this.connections.size >= (this.opts.maxConnections ?? 1024)) return;
    if (cookies) {
      const verdict = statelessServerResponse(msg, this.cookieSecret, clientId);
      if (verdict.action === "reply") this.out.send(verdict.datagram, rinfo.port, rinfo.address);
      if (verdict.action !== "accept") return;
    }
    const endpoint = new DtlsEndpoint({
      ...endpointOptions("server", this.opts, this.certificate),
      cookies,
      cookieSecret: this.cookieSecret,
      clientId,
    });
    const conn = new DtlsConnection(this.out, rinfo.address, rinfo.port, endpoint, this.opts, () => {
      this.connections.delete(key);
    });
    this.connections.set(key, conn);
    // Until the handshake completes, failures belong to the server ('clientError', like tls.Server).
    const early = (err: Error): void => {
      this.emit("clientError", err, conn);
    };
    conn.on("error", early);
    conn.once("connect", () => {
      conn.off("error", early);
      this.emit("connection", conn);
    });
    conn.start();
    conn.input(msg);
  }
}

/** Creates a DTLS server; `onConnection` is added as a 'connection' listener. */
export function createServer(
  opts: DtlsServerOptions & { family?: "udp4" | "udp6" } = {},
  onConnection?: (conn: DtlsConnection) => void,
): DtlsServer {
  const server = new DtlsServer(opts, opts.family ?? "udp4");
  if (onConnection) server.on("connection", onConnection);
  return server;
}
