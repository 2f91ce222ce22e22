// Binds the Peer core to the real layers: src/ice's IceAgent, src/dtls's DtlsEndpoint and
// src/datachannel's DataChannelEndpoint, each behind the narrow interface of src/peer/layers.ts.
import type { KeyObject } from "node:crypto";
import type { Random } from "../random.js";
import { PeerError } from "./errors.js";
import type { Peer } from "./peer.js";

export interface PeerCoreOptions {
  random: Random;
  certificate: { privateKey: KeyObject; der: Uint8Array };
  /** STUN servers for server-reflexive candidates (host may be a name: resolved by the agent's owner). */
  stunServers: { host: string; port: number; url: string }[];
  now: number;
}

export function createPeerCore(_o: PeerCoreOptions): Peer {
  throw new PeerError("ERR_NOT_SUPPORTED", "the ICE/DTLS/SCTP layers are not wired yet");
}
