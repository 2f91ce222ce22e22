// A plain UDP endpoint for simulator tests: it owns one IP, sends datagrams from any port on demand
// and records everything it receives (with source, destination and arrival time). Optionally it
// answers each datagram through a responder function (an echo, a reflector).
import type { TransportAddress } from "../../src/address.js";
import type { Datagram, Network, SimHost } from "./network.js";

export interface Received {
  data: Uint8Array;
  from: TransportAddress;
  to: TransportAddress;
  at: number;
}

/** Given a received datagram, returns the reply payload (sent back to its source) or undefined. */
export type Responder = (r: Received) => Uint8Array | undefined;

export class Endpoint implements SimHost {
  readonly received: Received[] = [];
  /** The most datagrams kept in `received` (older ones are discarded). */
  maxReceived = 100_000;
  private readonly out: Datagram[] = [];

  constructor(
    readonly net: Network,
    readonly ip: string,
    readonly respond?: Responder,
  ) {}

  /** Sends `data` from `ip:fromPort` to `to` now (puts it on the wire immediately). */
  send(fromPort: number, to: TransportAddress, data: Uint8Array): void {
    this.out.push({ from: { address: this.ip, port: fromPort }, to, data });
    this.net.drain(this);
  }

  /** Datagrams received from a given address (ip, or ip and port). */
  receivedFrom(address: string, port?: number): Received[] {
    return this.received.filter((r) => r.from.address === address && (port === undefined || r.from.port === port));
  }

  handleDatagram(data: Uint8Array, from: TransportAddress, to: TransportAddress, now: number): void {
    const r: Received = { data, from, to, at: now };
    if (this.received.length >= this.maxReceived) this.received.shift();
    this.received.push(r);
    const reply = this.respond?.(r);
    if (reply) this.out.push({ from: to, to: from, data: reply });
  }
  handleTimeout(): void {}
  pollTransmit(): Datagram | undefined {
    return this.out.shift();
  }
  nextTimeout(): number | undefined {
    return undefined;
  }
}
