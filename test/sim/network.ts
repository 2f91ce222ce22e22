// The network simulator: virtual time, a seeded PRNG, a heap of in-flight datagrams keyed by
// (deliverAt, seq), per-direction links (latency, jitter, independent or bursty Gilbert-Elliott
// loss, duplication, reordering, MTU, a rate limit with a bounded tail-drop queue), NAT boxes
// (nat.ts, RFC 4787) with private realms behind them, and hosts that are sans-IO cores. run()
// advances to the earliest delivery or deadline and fails with the seed when it exceeds maxSteps
// (livelock). See ARCHITECTURE.md "Tests".
//
// Addressing: every IP is unique across the whole simulation (private ranges behind two NATs must
// not overlap). A host attached with `{ nat }` lives in that NAT's private realm: what it sends to an
// address outside the realm leaves through the NAT (source translated, maybe several NATs deep), and
// it is reachable from outside only through the NAT's public IP. Links are looked up by the IPs on
// the wire, i.e. after translation (the public IP of the NAT, not the private one).
import { addressKey, type TransportAddress } from "../../src/address.js";
import type { Transmit } from "../../src/core.js";
import { SeededRandom } from "../../src/random.js";
import { MinHeap } from "./heap.js";
import { Nat, type NatConfig } from "./nat.js";

export type Datagram = Transmit;

/** Anything attached to the simulated network: it owns one or more IP addresses. */
export interface SimHost {
  handleDatagram(data: Uint8Array, from: TransportAddress, to: TransportAddress, now: number): void;
  handleTimeout(now: number): void;
  pollTransmit(): Datagram | undefined;
  nextTimeout(): number | undefined;
}

export interface LinkConfig {
  /** One-way delay in ms. */
  latency?: number;
  /** Extra uniform random delay in [0, jitter) ms (jitter reorders datagrams). */
  jitter?: number;
  /** Independent loss probability per datagram. */
  loss?: number;
  /** Probability that a datagram is delivered twice. */
  duplicate?: number;
  /** Probability that a datagram is held back by `reorderDelay` ms (so later ones overtake it). */
  reorder?: number;
  reorderDelay?: number;
  /** Datagrams larger than this are dropped. */
  mtu?: number;
  /**
   * Bursty loss (Gilbert-Elliott, one state per link direction): before each datagram the link moves
   * good->bad with `pGoodToBad` and bad->good with `pBadToGood`, then loses it with the state's loss
   * (default 0 when good, 1 when bad). Applies in addition to `loss`.
   */
  burst?: GilbertElliott;
  /** Bottleneck rate in bytes per second: datagrams are serialised one after another. */
  rate?: number;
  /** Bytes the bottleneck queue holds (including the datagram being sent); beyond it, tail drop. Default 64 KiB. */
  queue?: number;
}

export interface GilbertElliott {
  pGoodToBad: number;
  pBadToGood: number;
  lossGood?: number;
  lossBad?: number;
}

/** Per-direction mutable state of a link (bursty-loss state and the queue's busy time). */
interface LinkState {
  bad: boolean;
  busyUntil: number;
}

interface InFlight extends Datagram {
  at: number;
  seq: number;
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  /** Lost to random or bursty loss. */
  lost: number;
  duplicated: number;
  tooBig: number;
  noRoute: number;
  /** Tail-dropped by a full rate-limit queue. */
  queueDropped: number;
  /** Dropped by a NAT (no mapping, filtered, hairpin, exhausted: see each Nat's stats). */
  natDropped: number;
}

export interface RunOptions {
  /** Stop as soon as this returns true (checked before every step). */
  until?: () => boolean;
  /** Stop when virtual time would pass this (absolute ms). */
  untilTime?: number;
  /** Fail (throw, naming the seed) after this many steps. Default 1,000,000. */
  maxSteps?: number;
}

export class Network {
  readonly random: SeededRandom;
  readonly seed: number;
  now: number;
  readonly stats: NetworkStats = {
    sent: 0,
    delivered: 0,
    lost: 0,
    duplicated: 0,
    tooBig: 0,
    noRoute: 0,
    queueDropped: 0,
    natDropped: 0,
  };
  /** When set, every delivery is appended as "time from->to len". */
  trace: string[] | undefined;
  private readonly hosts = new Map<string, SimHost>();
  private readonly hostList: SimHost[] = [];
  private readonly links = new Map<string, LinkConfig>();
  private readonly linkStates = new Map<string, LinkState>();
  /** NATs by public IP. */
  private readonly nats = new Map<string, Nat>();
  /** The NAT whose private realm an IP is in (absent: the public internet). */
  private readonly realm = new Map<string, Nat>();
  private defaultLink: LinkConfig;
  private readonly heap = new MinHeap<InFlight>();
  private seq = 0;
  private readonly actions = new MinHeap<{ at: number; seq: number; fn: () => void }>();

  constructor(opts: { seed: number; defaultLink?: LinkConfig; start?: number; trace?: boolean }) {
    this.seed = opts.seed;
    this.random = new SeededRandom(opts.seed);
    this.now = opts.start ?? 0;
    this.defaultLink = opts.defaultLink ?? { latency: 10 };
    this.trace = opts.trace ? [] : undefined;
  }

  /** Attaches a host that owns the given IP addresses; with `nat`, they are private addresses behind it. */
  attach(host: SimHost, ips: string[], opts: { nat?: Nat } = {}): void {
    for (const ip of ips) {
      if (this.hosts.get(ip) !== host) this.checkFree(ip);
      this.hosts.set(ip, host);
      if (opts.nat) this.realm.set(ip, opts.nat);
    }
    if (!this.hostList.includes(host)) this.hostList.push(host);
    this.drain(host);
  }

  /**
   * Adds a NAT box owning `cfg.publicIp` (use natPresets for the behaviours). With `behind`, the
   * public IP is itself a private address of another NAT (double NAT).
   */
  addNat(cfg: NatConfig & { behind?: Nat }): Nat {
    this.checkFree(cfg.publicIp);
    const nat = new Nat(cfg, this.random);
    this.nats.set(nat.publicIp, nat);
    if (cfg.behind) this.realm.set(nat.publicIp, cfg.behind);
    return nat;
  }

  /** Removes a host: its IPs become free; datagrams still in flight to them find no route. */
  detach(host: SimHost): void {
    for (const [ip, h] of [...this.hosts]) {
      if (h !== host) continue;
      this.hosts.delete(ip);
      this.realm.delete(ip);
    }
    const i = this.hostList.indexOf(host);
    if (i >= 0) this.hostList.splice(i, 1);
  }

  private checkFree(ip: string): void {
    if (this.nats.has(ip) || this.hosts.has(ip)) {
      throw Object.assign(new Error(`IP ${ip} is already attached`), { code: "ERR_SIM_IP_IN_USE" });
    }
  }

  /** Sets the link used for datagrams from `fromIp` to `toIp` (one direction). */
  setLink(fromIp: string, toIp: string, cfg: LinkConfig): void {
    this.links.set(`${fromIp}>${toIp}`, cfg);
  }

  /** Sets the link in both directions between two IPs. */
  setLinks(ipA: string, ipB: string, cfg: LinkConfig): void {
    this.setLink(ipA, ipB, cfg);
    this.setLink(ipB, ipA, cfg);
  }

  setDefaultLink(cfg: LinkConfig): void {
    this.defaultLink = cfg;
  }

  /** Puts a datagram on the wire as if `from` had sent it now (through its NATs if it is behind some). */
  send(d: Datagram): void {
    this.stats.sent++;
    // Leave private realms until the destination's realm is reached (or the public internet).
    for (let nat = this.realm.get(d.from.address); nat; nat = this.realm.get(d.from.address)) {
      if (this.realm.get(d.to.address) === nat) break;
      const out = nat.outbound(d, this.now);
      if (!out) {
        this.stats.natDropped++;
        return;
      }
      d = out;
    }
    if (this.realm.get(d.to.address) !== this.realm.get(d.from.address)) {
      this.stats.noRoute++; // a private address of a realm the sender is not in
      return;
    }
    const key = `${d.from.address}>${d.to.address}`;
    const link = this.links.get(key) ?? this.defaultLink;
    if (link.mtu !== undefined && d.data.length > link.mtu) {
      this.stats.tooBig++;
      return;
    }
    let departure = this.now;
    if (link.rate || link.burst) {
      let st = this.linkStates.get(key);
      if (!st) {
        st = { bad: false, busyUntil: 0 };
        this.linkStates.set(key, st);
      }
      if (link.rate) {
        const start = Math.max(this.now, st.busyUntil);
        const backlog = ((start - this.now) * link.rate) / 1000;
        if (backlog + d.data.length > (link.queue ?? 65536)) {
          this.stats.queueDropped++;
          return;
        }
        st.busyUntil = departure = start + (d.data.length * 1000) / link.rate;
      }
      if (link.burst) {
        const b = link.burst;
        if (this.random.float() < (st.bad ? b.pBadToGood : b.pGoodToBad)) st.bad = !st.bad;
        const p = st.bad ? (b.lossBad ?? 1) : (b.lossGood ?? 0);
        if (p > 0 && this.random.float() < p) {
          this.stats.lost++;
          return;
        }
      }
    }
    if (link.loss && this.random.float() < link.loss) {
      this.stats.lost++;
      return;
    }
    const copies = link.duplicate && this.random.float() < link.duplicate ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      let delay = departure - this.now + (link.latency ?? 0);
      if (link.jitter) delay += this.random.float() * link.jitter;
      if (link.reorder && this.random.float() < link.reorder) delay += link.reorderDelay ?? (link.latency ?? 10) * 2;
      // Each copy gets its own buffer: a receiver may keep or modify what it is handed.
      this.heap.push({ from: d.from, to: d.to, data: Uint8Array.from(d.data), at: this.now + delay, seq: this.seq++ });
    }
  }

  /**
   * Runs `fn` when virtual time reaches `at` (absolute ms), before deliveries and timeouts due at the
   * same time: change a link, reset a NAT, call a core's API (then drain it) mid-run.
   */
  schedule(at: number, fn: () => void): void {
    this.actions.push({ at: Math.max(at, this.now), seq: this.seq++, fn });
  }

  /** Drains a host's transmit queue onto the wire. */
  drain(host: SimHost): void {
    for (let d = host.pollTransmit(); d; d = host.pollTransmit()) this.send(d);
  }

  /** Advances virtual time, delivering datagrams and firing timeouts. Returns the number of steps. */
  run(opts: RunOptions = {}): number {
    const maxSteps = opts.maxSteps ?? 1_000_000;
    let steps = 0;
    for (;;) {
      if (opts.until?.()) return steps;
      if (++steps > maxSteps) throw this.livelock(maxSteps);
      if (this.step(opts.untilTime) !== "stepped") return steps;
    }
  }

  /**
   * Like run(), but yields to the event loop (setImmediate) before every step, so that owners
   * whose reactions are asynchronous (promise chains, queueMicrotask drains such as SimDriver's
   * kick(), setImmediate tasks) act between deliveries. Returns when `until` holds, at `untilTime`,
   * or when the network stayed idle for `idleYields` consecutive yields (default 20).
   */
  async runAsync(opts: RunOptions & { idleYields?: number } = {}): Promise<number> {
    const maxSteps = opts.maxSteps ?? 1_000_000;
    const idleYields = opts.idleYields ?? 20;
    let steps = 0;
    let idle = 0;
    for (;;) {
      if (opts.until?.()) return steps;
      await new Promise((r) => setImmediate(r));
      if (opts.until?.()) return steps;
      const r = this.step(opts.untilTime);
      if (r === "time-limit") return steps;
      if (r === "idle") {
        if (++idle > idleYields) return steps;
        continue;
      }
      idle = 0;
      if (++steps > maxSteps) throw this.livelock(maxSteps);
    }
  }

  private livelock(maxSteps: number): Error {
    return new Error(`simulation exceeded ${maxSteps} steps at t=${this.now}ms (seed ${this.seed})`);
  }

  /** Does the earliest thing due: an action, a delivery or the timeouts due now. */
  private step(untilTime: number | undefined): "stepped" | "idle" | "time-limit" {
    const next = this.heap.peek();
    let timerAt = Number.POSITIVE_INFINITY;
    for (const h of this.hostList) {
      const t = h.nextTimeout();
      if (t !== undefined && t < timerAt) timerAt = t;
    }
    const deliverAt = next ? next.at : Number.POSITIVE_INFINITY;
    const action = this.actions.peek();
    const actionAt = action ? action.at : Number.POSITIVE_INFINITY;
    const t = Math.min(deliverAt, timerAt, actionAt);
    if (untilTime !== undefined && t > untilTime) {
      // Also when idle (t infinite): time passes to untilTime all the same.
      this.now = Math.max(this.now, untilTime);
      return "time-limit";
    }
    if (t === Number.POSITIVE_INFINITY) return "idle"; // nothing in flight, no deadlines
    if (t > this.now) this.now = t;
    if (actionAt <= deliverAt && actionAt <= timerAt) {
      this.actions.pop()!.fn();
    } else if (deliverAt <= timerAt) {
      this.deliver(this.heap.pop()!);
    } else {
      for (const h of this.hostList) {
        const ht = h.nextTimeout();
        if (ht !== undefined && ht <= this.now) {
          h.handleTimeout(this.now);
          this.drain(h);
        }
      }
    }
    return "stepped";
  }

  /** Hands a datagram that reached its destination IP to the host, through NATs on the way in. */
  private deliver(d: Datagram): void {
    for (let nat = this.nats.get(d.to.address); nat; nat = this.nats.get(d.to.address)) {
      const inside = nat.inbound(d, this.now);
      if (!inside) {
        this.stats.natDropped++;
        return;
      }
      d = inside;
    }
    const host = this.hosts.get(d.to.address);
    if (!host) {
      this.stats.noRoute++;
      return;
    }
    this.stats.delivered++;
    this.trace?.push(`${this.now.toFixed(3)} ${addressKey(d.from)}->${addressKey(d.to)} ${d.data.length}`);
    host.handleDatagram(d.data, d.from, d.to, this.now);
    this.drain(host);
  }

  /** Runs for `ms` of virtual time from now. */
  advance(ms: number, maxSteps?: number): void {
    this.run({ untilTime: this.now + ms, ...(maxSteps !== undefined ? { maxSteps } : {}) });
  }
}

/** A core that exchanges datagrams with exactly one peer and needs no addresses (DTLS, SCTP). */
export interface PacketCore<E = unknown> {
  handleDatagram(data: Uint8Array, now: number): void;
  handleTimeout(now: number): void;
  pollTransmit(): Uint8Array | undefined;
  nextTimeout(): number | undefined;
  /** Optional here so that test doubles need not have one; real cores (src/core.ts) do. */
  pollEvent?(): E | undefined;
}

/** Wraps a PacketCore as a SimHost at `self`, sending everything to `peer`; events go to `onEvent`. */
export class PointToPointHost<E = unknown> implements SimHost {
  constructor(
    readonly core: PacketCore<E>,
    readonly self: TransportAddress,
    readonly peer: TransportAddress,
    readonly onEvent: (ev: E) => void = () => {},
  ) {}
  handleDatagram(data: Uint8Array, _from: TransportAddress, _to: TransportAddress, now: number): void {
    this.core.handleDatagram(data, now);
    this.drainEvents();
  }
  handleTimeout(now: number): void {
    this.core.handleTimeout(now);
    this.drainEvents();
  }
  pollTransmit(): Datagram | undefined {
    const data = this.core.pollTransmit();
    return data ? { from: this.self, to: this.peer, data } : undefined;
  }
  nextTimeout(): number | undefined {
    return this.core.nextTimeout();
  }
  drainEvents(): void {
    if (!this.core.pollEvent) return;
    for (let e = this.core.pollEvent(); e !== undefined; e = this.core.pollEvent()) this.onEvent(e);
  }
}

/**
 * Attaches two PacketCores as 10.0.0.1:5000 and 10.0.0.2:5000 with the given link in both directions.
 * After an API call on a core (outside a delivery), call `kick()` to move its output onto the wire.
 */
export function connectPair<EA, EB>(
  net: Network,
  a: PacketCore<EA>,
  b: PacketCore<EB>,
  opts: { link?: LinkConfig; onEventA?: (e: EA) => void; onEventB?: (e: EB) => void } = {},
): { hostA: PointToPointHost<EA>; hostB: PointToPointHost<EB>; kick: () => void } {
  const addrA = { address: "10.0.0.1", port: 5000 };
  const addrB = { address: "10.0.0.2", port: 5000 };
  const hostA = new PointToPointHost(a, addrA, addrB, opts.onEventA);
  const hostB = new PointToPointHost(b, addrB, addrA, opts.onEventB);
  if (opts.link) {
    net.setLink(addrA.address, addrB.address, opts.link);
    net.setLink(addrB.address, addrA.address, opts.link);
  }
  net.attach(hostA, [addrA.address]);
  net.attach(hostB, [addrB.address]);
  const kick = (): void => {
    hostA.drainEvents();
    hostB.drainEvents();
    net.drain(hostA);
    net.drain(hostB);
  };
  return { hostA, hostB, kick };
}
