// SimDriver: the simulator's stand-in for src/net's UdpDriver. It runs one DatagramCore on the
// simulated network with the same owner-facing shape (start() reporting bound addresses through
// onBound, onEvent after each drain, onFailed, kick() coalesced on a microtask, now(), close()), so
// owner code written for real UDP (an ICE agent's glue, an RTCPeerConnection's driver factory) runs
// unchanged in virtual time, behind NATs and over lossy links. Drive the network with
// `net.runAsync()` so that microtask drains and promise chains run between deliveries.
import type { TransportAddress } from "../../src/address.js";
import type { DatagramCore } from "../../src/core.js";
import type { Nat } from "./nat.js";
import type { Datagram, Network, SimHost } from "./network.js";

export interface SimBoundAddress {
  address: TransportAddress;
  interfaceName: string | undefined;
}

export interface SimDriverOptions<E> {
  /** The host's IPs (one "socket" each); private addresses when `nat` is given. */
  ips: string[];
  /** The NAT the host sits behind. */
  nat?: Nat;
  /** The port of every socket. Default 5000. */
  port?: number;
  onBound?: (bound: SimBoundAddress, now: number) => void;
  onEvent?: (event: E) => void;
  onFailed?: (error: unknown) => void;
}

export class SimDriver<E = unknown> implements SimHost {
  readonly net: Network;
  readonly core: DatagramCore<E>;
  readonly stats = { drains: 0, datagramsReceived: 0, datagramsSent: 0 };
  private readonly opts: SimDriverOptions<E>;
  private bound: TransportAddress[] = [];
  private kicked = false;
  private closedFlag = false;
  private hasFailed = false;
  private failure: unknown;

  constructor(net: Network, core: DatagramCore<E>, opts: SimDriverOptions<E>) {
    this.net = net;
    this.core = core;
    this.opts = opts;
  }

  /** Attaches the host and reports each address through onBound (as UdpDriver.start does). */
  async start(): Promise<SimBoundAddress[]> {
    if (this.closedFlag) throw Object.assign(new Error("the driver is closed"), { code: "ERR_NET_CLOSED" });
    const port = this.opts.port ?? 5000;
    this.bound = this.opts.ips.map((address) => ({ address, port }));
    this.net.attach(this, this.opts.ips, this.opts.nat ? { nat: this.opts.nat } : {});
    const out = this.bound.map((address) => ({ address, interfaceName: undefined }));
    const now = this.now();
    if (this.opts.onBound) for (const b of out) this.opts.onBound(b, now);
    this.drain();
    return out;
  }

  /** Virtual time: the `now` for API calls on the core. */
  now(): number {
    return this.net.now;
  }

  get localAddresses(): TransportAddress[] {
    return this.closedFlag ? [] : this.bound;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  get failed(): unknown {
    return this.failure;
  }

  kick(): void {
    if (this.kicked || this.closedFlag || this.hasFailed) return;
    this.kicked = true;
    queueMicrotask(() => {
      this.kicked = false;
      this.drain();
    });
  }

  /** Sends what the core still has queued, then leaves the network. */
  close(): void {
    if (this.closedFlag) return;
    if (!this.hasFailed) this.guard(() => this.sendAll());
    this.closedFlag = true;
    this.net.detach(this);
  }

  // SimHost: the network calls these.
  handleDatagram(data: Uint8Array, from: TransportAddress, to: TransportAddress, now: number): void {
    if (this.closedFlag || this.hasFailed) return;
    this.stats.datagramsReceived++;
    if (this.guard(() => this.core.handleDatagram(data, from, to, now))) this.drain();
  }

  handleTimeout(now: number): void {
    if (this.closedFlag || this.hasFailed) return;
    if (this.guard(() => this.core.handleTimeout(now))) this.drain();
  }

  /** Always empty: drain() puts the core's datagrams on the wire itself, before events go out. */
  pollTransmit(): Datagram | undefined {
    return undefined;
  }

  nextTimeout(): number | undefined {
    if (this.closedFlag || this.hasFailed) return undefined;
    let t: number | undefined;
    this.guard(() => {
      t = this.core.nextTimeout();
    });
    return t;
  }

  private sendAll(): void {
    for (let t = this.core.pollTransmit(); t; t = this.core.pollTransmit()) {
      this.stats.datagramsSent++;
      this.net.send(t);
    }
  }

  private drain(): void {
    if (this.closedFlag || this.hasFailed) return;
    this.stats.drains++;
    const events: E[] = [];
    const ok = this.guard(() => {
      this.sendAll();
      for (let e = this.core.pollEvent(); e !== undefined; e = this.core.pollEvent()) events.push(e);
    });
    if (!ok) return;
    const listener = this.opts.onEvent;
    if (listener) for (const e of events) listener(e);
    if (events.length > 0) this.kick();
  }

  /** Runs `fn`; a throw fails the core (onFailed) and returns false. */
  private guard(fn: () => void): boolean {
    try {
      fn();
      return true;
    } catch (err) {
      if (!this.hasFailed) {
        this.hasFailed = true;
        this.failure = err;
        this.net.detach(this);
        this.opts.onFailed?.(err);
      }
      return false;
    }
  }
}
