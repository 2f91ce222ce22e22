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
