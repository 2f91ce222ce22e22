// Test helpers: two SctpAssociations on the network simulator, with their events collected.

import { SeededRandom } from "../../src/random.js";
import { SctpAssociation, type SctpEvent, type SctpOptions } from "../../src/sctp/index.js";
import { connectPair, type LinkConfig, Network } from "../sim/network.js";

export interface Pair {
  net: Network;
  a: SctpAssociation;
  b: SctpAssociation;
  eventsA: SctpEvent[];
  eventsB: SctpEvent[];
  kick: () => void;
}

export function makePair(
  seed: number,
  link: LinkConfig,
  opts: {
    a?: SctpOptions;
    b?: SctpOptions;
    onA?: (e: SctpEvent) => void;
    onB?: (e: SctpEvent) => void;
    keep?: boolean;
  } = {},
): Pair {
  const net = new Network({ seed, defaultLink: link });
  const a = new SctpAssociation({ random: new SeededRandom(seed * 2 + 1), ...opts.a });
  const b = new SctpAssociation({ random: new SeededRandom(seed * 2 + 2), ...opts.b });
  const eventsA: SctpEvent[] = [];
  const eventsB: SctpEvent[] = [];
  const keep = opts.keep ?? true;
  const { kick } = connectPair(net, a, b, {
    link,
    onEventA: (e) => {
      if (keep) eventsA.push(e);
      opts.onA?.(e);
    },
    onEventB: (e) => {
      if (keep) eventsB.push(e);
      opts.onB?.(e);
    },
  });
  return { net, a, b, eventsA, eventsB, kick };
}

/** Both sides connect (as WebRTC peers do) and the simulation runs until both are established. */
export function establish(p: Pair): void {
  p.a.connect(p.net.now);
  p.b.connect(p.net.now);
  p.kick();
  p.net.run({ until: () => p.a.state === "established" && p.b.state === "established", maxSteps: 100000 });
}

/**
 * Wraps a core so a test can drop chosen outgoing packets (e.g. the first INIT). `drop` sees each
 * packet and returns true to lose it.
 */
export class DropFilter<E> {
  dropped = 0;
  constructor(
    readonly core: {
      handleDatagram(d: Uint8Array, now: number): void;
      handleTimeout(now: number): void;
      pollTransmit(): Uint8Array | undefined;
      pollEvent(): E | undefined;
      nextTimeout(): number | undefined;
    },
    public drop: (p: Uint8Array) => boolean,
  ) {}
  handleDatagram(d: Uint8Array, now: number): void {
    this.core.handleDatagram(d, now);
  }
  handleTimeout(now: number): void {
    this.core.handleTimeout(now);
  }
  pollTransmit(): Uint8Array | undefined {
    for (let p = this.core.pollTransmit(); p; p = this.core.pollTransmit()) {
      if (!this.drop(p)) return p;
      this.dropped++;
    }
    return undefined;
  }
  pollEvent(): E | undefined {
    return this.core.pollEvent();
  }
  nextTimeout(): number | undefined {
    return this.core.nextTimeout();
  }
}

/** The type of the first chunk in an SCTP packet. */
export function firstChunk(p: Uint8Array): number {
  return p[12]!;
}
