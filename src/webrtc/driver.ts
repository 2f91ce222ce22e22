// The seam between RTCPeerConnection and the I/O that runs its Peer core: a PeerDriver drains the
// core, owns sockets and the timer, and hands events back synchronously after each drain. The
// default is src/net's UdpDriver on real UDP; tests inject one running on the simulator.

import type { PeerEvent } from "../peer/events.js";
import type { Peer } from "../peer/peer.js";

export interface PeerDriver {
  /** Schedules one drain of the core (queueMicrotask), after API calls changed it. */
  kick(): void;
  /** Stops timers and closes sockets after a last drain. */
  close(): void;
  /** Resolves an mDNS name (RFC 6762) to an address, or undefined. */
  resolveMdns(name: string): Promise<string | undefined>;
}

export interface DriverContext {
  peer: Peer;
  /** Events polled from the core, in order, delivered after each drain (never mid-step). */
  onEvent(ev: PeerEvent): void;
  /** The core threw (a broken invariant): only this connection fails. */
  onFailure(err: unknown): void;
  /** Gather host candidates on loopback addresses too (default true). */
  includeLoopback?: boolean;
}

export type DriverFactory = (ctx: DriverContext) => PeerDriver;
