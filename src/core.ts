// The sans-IO contract shared by every core (ARCHITECTURE.md "The sans-IO contract").
// A core takes bytes and time in and gives datagrams, events and a next deadline out; the driver
// (src/net/) or the simulator (test/sim/) runs the drain loop. No sockets, timers or clocks here.
import type { TransportAddress } from "./address.js";

/** A datagram leaving or entering a core that owns local addresses (ICE agent, Peer). */
export interface Transmit {
  /** The local socket address it leaves from (or arrived on). */
  from: TransportAddress;
  /** The remote address it goes to. */
  to: TransportAddress;
  data: Uint8Array;
}

/** A core attached to the network through local addresses: the ICE agent, the Peer. */
export interface DatagramCore<E = unknown> {
  handleDatagram(data: Uint8Array, from: TransportAddress, to: TransportAddress, now: number): void;
  handleTimeout(now: number): void;
  pollTransmit(): Transmit | undefined;
  pollEvent(): E | undefined;
  nextTimeout(): number | undefined;
}

/** A core that talks to exactly one peer over an already-established path (DTLS, SCTP). */
export interface PacketCore<E = unknown> {
  handleDatagram(data: Uint8Array, now: number): void;
  handleTimeout(now: number): void;
  pollTransmit(): Uint8Array | undefined;
  pollEvent(): E | undefined;
  nextTimeout(): number | undefined;
}
