// A sans-IO STUN server node (RFC 8489 section 6.3: receiving a request; 14.2 XOR-MAPPED-ADDRESS;
// 6.3.1.1 the 420 response for unknown comprehension-required attributes; 14.7 FINGERPRINT echoed
// when the request has one). It owns one IP on the simulated network and answers Binding requests
// on every port of it (or the listed ports), telling each client the transport address its request
// came from: behind a NAT, the NAT's mapping. It records what it saw for tests. It is both a SimHost
// and a DatagramCore, so it can also run over real UDP under the UdpDriver.
import type { TransportAddress } from "../../src/address.js";
import type { DatagramCore, Transmit } from "../../src/core.js";
import {
  Attr,
  buildErrorResponse,
  buildUnknownAttributesResponse,
  parseStun,
  StunBuilder,
  StunClass,
  StunMethod,
  verifyFingerprint,
} from "../../src/stun/index.js";
import type { SimHost } from "./network.js";

export interface StunServerOptions {
  /** Answer only on these ports (default: every port of the IP). */
  ports?: number[];
  /** Also add the RFC 3489 MAPPED-ADDRESS. Default false. */
  mappedAddress?: boolean;
  /** SOFTWARE attribute in responses. */
  software?: string;
  /** How many requests `seen` keeps (oldest dropped). Default 10,000. */
  maxSeen?: number;
}

export interface StunServerStats {
  requests: number;
  responses: number;
  errorResponses: number;
  /** Datagrams dropped, by reason. */
  dropped: Record<string, number>;
}

export interface SeenRequest {
  /** The source of the request as it arrived (the client's reflexive address). */
  from: TransportAddress;
  /** The server address it was sent to. */
  to: TransportAddress;
  at: number;
  transactionId: Uint8Array;
}

/** The most responses waiting to be polled; beyond it requests are dropped (counted). */
const MAX_QUEUE = 4096;

export class StunServer implements SimHost, DatagramCore<never> {
  readonly ip: string;
  readonly seen: SeenRequest[] = [];
  readonly stats: StunServerStats = { requests: 0, responses: 0, errorResponses: 0, dropped: {} };
  private readonly opts: StunServerOptions;
  private readonly out: Transmit[] = [];

  constructor(ip: string, opts: StunServerOptions = {}) {
    this.ip = ip;
    this.opts = opts;
  }

  /** The reflexive addresses this server has seen, in arrival order. */
  seenFrom(): TransportAddress[] {
    return this.seen.map((s) => s.from);
  }

  /** Queues an arbitrary datagram from `ip:fromPort` (to probe NAT filtering); the network drains it. */
  sendRaw(fromPort: number, to: TransportAddress, data: Uint8Array): void {
    this.out.push({ from: { address: this.ip, port: fromPort }, to, data });
  }

  handleDatagram(data: Uint8Array, from: TransportAddress, to: TransportAddress, now: number): void {
    const dropped = this.answer(data, from, to, now);
    if (dropped) this.stats.dropped[dropped] = (this.stats.dropped[dropped] ?? 0) + 1;
  }

  /** Queues the response to one datagram; returns why it was dropped instead, if it was. */
  private answer(data: Uint8Array, from: TransportAddress, to: TransportAddress, now: number): string | undefined {
    if (this.opts.ports && !this.opts.ports.includes(to.port)) return "closed-port";
    const parsed = parseStun(data);
    if (!parsed.ok) return parsed.reason;
    const req = parsed.msg;
    if (req.cls !== StunClass.Request) return "not-request";
    if (req.fingerprintOffset >= 0 && !verifyFingerprint(req)) return "bad-fingerprint";
    if (this.out.length >= MAX_QUEUE) return "queue-full";
    this.stats.requests++;
    const fingerprint = req.fingerprintOffset >= 0;
    const reply = { fingerprint, ...(this.opts.software ? { software: this.opts.software } : {}) };
    let response: Uint8Array | undefined = buildUnknownAttributesResponse(req, reply);
    if (!response && req.method !== StunMethod.Binding) {
      response = buildErrorResponse(req, 400, "Bad Request: only Binding is served", reply);
    }
    if (response) {
      this.stats.errorResponses++;
    } else {
      if (this.seen.length >= (this.opts.maxSeen ?? 10_000)) this.seen.shift();
      this.seen.push({
        from: { address: from.address, port: from.port },
        to,
        at: now,
        transactionId: req.transactionId,
      });
      const b = new StunBuilder(StunMethod.Binding, StunClass.SuccessResponse, req.transactionId);
      b.addAddress(Attr.XorMappedAddress, from);
      if (this.opts.mappedAddress) b.addAddress(Attr.MappedAddress, from);
      if (this.opts.software) b.addString(Attr.Software, this.opts.software);
      response = b.finish({ fingerprint });
      this.stats.responses++;
    }
    this.out.push({ from: to, to: { address: from.address, port: from.port }, data: response });
    return undefined;
  }

  handleTimeout(): void {}

  pollTransmit(): Transmit | undefined {
    return this.out.shift();
  }

  pollEvent(): undefined {
    return undefined;
  }

  nextTimeout(): number | undefined {
    return undefined;
  }
}
