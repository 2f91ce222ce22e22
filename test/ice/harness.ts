// Test harness for ICE agents on the network simulator: a SimHost wrapper that drains an agent's
// events as they happen, a signaling channel with virtual-time delay (a host with no IP whose
// timer delivers messages), and a helper that wires two agents together (credentials and trickled
// candidates through the signaling channel).
import type { TransportAddress } from "../../src/address.js";
import { IceAgent, type IceAgentOptions, type IceEvent, type IceTransportState } from "../../src/ice/index.js";
import { SeededRandom } from "../../src/random.js";
import type { Nat } from "../sim/nat.js";
import type { Datagram, LinkConfig, Network, SimHost } from "../sim/network.js";

export class AgentHost implements SimHost {
  readonly events: IceEvent[] = [];
  readonly states: IceTransportState[] = [];
  readonly received: Uint8Array[] = [];
  onEvent: (e: IceEvent) => void = () => {};
  constructor(
    readonly agent: IceAgent,
    readonly net: Network,
    readonly name: string,
  ) {}
  handleDatagram(data: Uint8Array, from: TransportAddress, to: TransportAddress, now: number): void {
    this.agent.handleDatagram(data, from, to, now);
    this.drainEvents();
  }
  handleTimeout(now: number): void {
    this.agent.handleTimeout(now);
    this.drainEvents();
  }
  pollTransmit(): Datagram | undefined {
    return this.agent.pollTransmit();
  }
  nextTimeout(): number | undefined {
    return this.agent.nextTimeout();
  }
  drainEvents(): void {
    for (let e = this.agent.pollEvent(); e; e = this.agent.pollEvent()) {
      if (e.type === "data") {
        this.received.push(e.data);
        continue;
      }
      this.events.push(e);
      if (e.type === "state") this.states.push(e.state);
      this.onEvent(e);
    }
  }
  /** After an API call outside a delivery: collect events and put output on the wire. */
  kick(): void {
    this.drainEvents();
    this.net.drain(this);
  }
  get state(): IceTransportState {
    return this.agent.state;
  }
}

/** Delivers callbacks after a delay in virtual time (a signaling server). */
export class Signaling implements SimHost {
  private readonly queue: { at: number; seq: number; fn: () => void }[] = [];
  private seq = 0;
  constructor(
    readonly net: Network,
    public delay: number,
  ) {
    net.attach(this, []);
  }
  send(fn: () => void, delay = this.delay): void {
    this.queue.push({ at: this.net.now + delay, seq: this.seq++, fn });
    this.queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
  }
  handleDatagram(): void {}
  handleTimeout(now: number): void {
    while (this.queue.length > 0 && this.queue[0]!.at <= now) this.queue.shift()!.fn();
  }
  pollTransmit(): Datagram | undefined {
    return undefined;
  }
  nextTimeout(): number | undefined {
    return this.queue[0]?.at;
  }
}

export interface SideConfig {
  ips: string[];
  port?: number;
  nat?: Nat;
  options?: Partial<IceAgentOptions>;
  /** Addresses given to the agent, if not the plain ips (e.g. to hide them). */
  link?: LinkConfig;
}

export interface PairSetup {
  a: AgentHost;
  b: AgentHost;
  sig: Signaling;
  /** Starts gathering on both sides and exchanges credentials and candidates. */
  start(): void;
}

/**
 * Two agents (A controlling unless overridden) on `net`, wired through a signaling channel.
 * `mapLine` may rewrite or drop (return undefined) candidate lines on their way to the peer.
 */
export function makePair(
  net: Network,
  seed: number,
  sideA: SideConfig,
  sideB: SideConfig,
  opts: {
    signalingDelay?: number;
    mapLine?: (from: "a" | "b", line: string) => string | undefined;
    sendEndOfCandidates?: boolean;
    /** Delay of the credentials sent to A (B's) and to B (A's); default the signaling delay. */
    credsDelayToA?: number;
    credsDelayToB?: number;
  } = {},
): PairSetup {
  const agentA = new IceAgent({ controlling: true, random: new SeededRandom(seed * 7 + 1), ...sideA.options });
  const agentB = new IceAgent({ controlling: false, random: new SeededRandom(seed * 7 + 2), ...sideB.options });
  const a = new AgentHost(agentA, net, "A");
  const b = new AgentHost(agentB, net, "B");
  net.attach(a, sideA.ips, sideA.nat ? { nat: sideA.nat } : {});
  net.attach(b, sideB.ips, sideB.nat ? { nat: sideB.nat } : {});
  const sig = new Signaling(net, opts.signalingDelay ?? 20);
  const wire = (from: AgentHost, to: AgentHost, tag: "a" | "b"): void => {
    from.onEvent = (e) => {
      if (e.type === "candidate") {
        const line = opts.mapLine ? opts.mapLine(tag, e.line) : e.line;
        if (line === undefined) return;
        sig.send(() => {
          to.agent.addRemoteCandidate(line, net.now);
          to.kick();
        });
      } else if (e.type === "gathering-state" && e.state === "complete" && opts.sendEndOfCandidates !== false) {
        sig.send(() => {
          to.agent.addRemoteCandidate(null, net.now);
          to.kick();
        });
      }
    };
  };
  wire(a, b, "a");
  wire(b, a, "b");
  const start = (): void => {
    for (const [side, cfg] of [
      [a, sideA],
      [b, sideB],
    ] as const) {
      for (const ip of cfg.ips) side.agent.addLocalAddress({ address: ip, port: cfg.port ?? 5000 }, net.now);
      side.agent.endOfLocalAddresses(net.now);
      side.kick();
    }
    const ca = agentA.localCredentials;
    const cb = agentB.localCredentials;
    sig.send(() => {
      agentB.setRemoteCredentials(ca.ufrag, ca.pwd, net.now);
      b.kick();
    }, opts.credsDelayToB);
    sig.send(() => {
      agentA.setRemoteCredentials(cb.ufrag, cb.pwd, net.now);
      a.kick();
    }, opts.credsDelayToA);
  };
  return { a, b, sig, start };
}

export const connected = (s: IceTransportState): boolean => s === "connected" || s === "completed";
