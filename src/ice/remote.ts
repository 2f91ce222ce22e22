// Remote candidates: those signalled (trickled, RFC 8838) and those learned from checks
// (peer-reflexive, RFC 8445 7.3.1.3), found by transport address; mDNS names (".local", as
// browsers hide host addresses) waiting for the driver to resolve them. Bounded.
import type { TransportAddress } from "../address.js";
import { addressKey } from "../address.js";
import type { IceCandidate } from "./candidate.js";
import type { RemoteCandidate } from "./checklist.js";

const MAX_REMOTE_CANDIDATES = 200;
const MAX_MDNS_NAMES = 32;
const MAX_PER_NAME = 16;

export class RemoteCandidates {
  readonly list: RemoteCandidate[] = [];
  private readonly byKey = new Map<string, RemoteCandidate>();
  private readonly mdns = new Map<string, IceCandidate[]>();
  private prflxCounter = 0;

  get(address: TransportAddress): RemoteCandidate | undefined {
    return this.byKey.get(addressKey(address));
  }

  get full(): boolean {
    return this.list.length >= MAX_REMOTE_CANDIDATES;
  }

  /** Names still waiting for resolveMdns. */
  get pendingMdns(): number {
    return this.mdns.size;
  }

  store(cand: IceCandidate, address: TransportAddress): RemoteCandidate {
    const remote: RemoteCandidate = { candidate: cand, address, key: addressKey(address) };
    this.byKey.set(remote.key, remote);
    this.list.push(remote);
    return remote;
  }

  /** A peer-reflexive candidate for the source of a check, with the check's PRIORITY. */
  storePrflx(from: TransportAddress, priority: number): RemoteCandidate {
    const cand: IceCandidate = {
      foundation: `prflx${++this.prflxCounter}`,
      component: 1,
      protocol: "udp",
      priority,
      address: from.address,
      port: from.port,
      type: "prflx",
    };
    return this.store(cand, { address: from.address, port: from.port });
  }

  /** Queues an mDNS candidate: "query" when the name is new (ask the driver), "queued", or "limit". */
  queueMdns(cand: IceCandidate): "query" | "queued" | "limit" {
    const list = this.mdns.get(cand.address);
    if (list) {
      if (list.length >= MAX_PER_NAME) return "limit";
      list.push(cand);
      return "queued";
    }
    if (this.mdns.size >= MAX_MDNS_NAMES) return "limit";
    this.mdns.set(cand.address, [cand]);
    return "query";
  }

  takeMdns(name: string): IceCandidate[] | undefined {
    const list = this.mdns.get(name);
    this.mdns.delete(name);
    return list;
  }

  clear(): void {
    this.list.length = 0;
    this.byKey.clear();
    this.mdns.clear();
  }
}
