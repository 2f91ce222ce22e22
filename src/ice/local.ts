// Local candidates: host candidates made from the driver's bound sockets and server-reflexive
// ones learned from STUN servers (RFC 8445 5.1.1.1-5.1.1.2), with priorities (5.1.2: IPv6 above
// IPv4, every interface distinct) and foundations (5.1.1.3: same type, base IP and server give the
// same foundation). Also how a pair's local side looks to a peer (srflx or prflx once a check
// reported the NAT mapping).
import { familyOf, sameAddress, type TransportAddress } from "../address.js";
import { crc32 } from "../stun/index.js";
import { candidatePriority, type IceCandidate, localPreference } from "./candidate.js";
import type { LocalCandidate } from "./checklist.js";
import type { LocalAddressOptions } from "./types.js";

/** Foundation: equal for candidates of one type, base IP and server (RFC 8445 5.1.1.3). */
export function foundationFor(type: string, baseIp: string, server: string): string {
  return String(crc32(Buffer.from(`${type}|${baseIp}|${server}|udp`)));
}

export class LocalCandidates {
  readonly hosts: LocalCandidate[] = [];
  readonly reflexive: LocalCandidate[] = [];
  private readonly byBase = new Map<string, LocalCandidate>();
  private readonly info = new Map<string, LocalAddressOptions>();

  /** The host candidate whose socket is `baseKey` (addressKey of the local address). */
  host(baseKey: string): LocalCandidate | undefined {
    return this.byBase.get(baseKey);
  }

  addHost(addr: TransportAddress, baseKey: string, opts: LocalAddressOptions, ufrag: string): LocalCandidate {
    this.info.set(baseKey, opts);
    const host = this.makeHost(addr, baseKey, ufrag);
    this.hosts.push(host);
    this.byBase.set(baseKey, host);
    return host;
  }

  /** New host candidates for the same sockets under a new ufrag (ICE restart); srflx ones are dropped. */
  regenerate(ufrag: string): LocalCandidate[] {
    const old = this.hosts.splice(0);
    this.byBase.clear();
    this.reflexive.length = 0;
    for (const h of old) {
      const host = this.makeHost(h.base, h.baseKey, ufrag);
      this.hosts.push(host);
      this.byBase.set(host.baseKey, host);
    }
    return this.hosts;
  }

  private makeHost(addr: TransportAddress, baseKey: string, ufrag: string): LocalCandidate {
    const v6 = familyOf(addr.address) === 6;
    let index = 0;
    for (const h of this.hosts) if ((familyOf(h.base.address) === 6) === v6) index++;
    const pref = localPreference(v6, index);
    const info = this.info.get(baseKey) ?? {};
    const candidate: IceCandidate = {
      foundation: foundationFor("host", addr.address, ""),
      component: 1,
      protocol: "udp",
      priority: candidatePriority("host", pref),
      address: addr.address,
      port: addr.port,
      type: "host",
      generation: 0,
      ufrag,
      networkId: info.networkId,
      networkCost: info.networkCost,
    };
    return { candidate, base: addr, baseKey, prflxPriority: candidatePriority("prflx", pref) };
  }

  /**
   * A server-reflexive candidate from a STUN server's answer, or undefined when it is the base
   * itself (no NAT) or already known. No pairs are formed from it: checks leave from the base
   * (RFC 8445 6.1.2.4).
   */
  addReflexive(
    local: LocalCandidate,
    mapped: TransportAddress,
    server: TransportAddress,
    ufrag: string,
  ): LocalCandidate | undefined {
    if (sameAddress(mapped, local.base)) return undefined;
    for (const r of this.reflexive) if (sameAddress(r.candidate, mapped)) return undefined;
    const hostPref = (local.candidate.priority >>> 8) & 0xffff;
    const candidate: IceCandidate = {
      foundation: foundationFor("srflx", local.base.address, server.address),
      component: 1,
      protocol: "udp",
      priority: candidatePriority("srflx", hostPref),
      address: mapped.address,
      port: mapped.port,
      type: "srflx",
      relatedAddress: local.base.address,
      relatedPort: local.base.port,
      generation: 0,
      ufrag,
      networkId: local.candidate.networkId,
      networkCost: local.candidate.networkCost,
    };
    const r = { candidate, base: local.base, baseKey: local.baseKey, prflxPriority: local.prflxPriority };
    this.reflexive.push(r);
    return r;
  }

  /** The local candidate of a pair as the peer sees it: srflx or prflx when a check reported a mapping. */
  asSeen(local: LocalCandidate, mapped: TransportAddress | undefined): IceCandidate {
    if (!mapped || sameAddress(mapped, local.base)) return local.candidate;
    for (const r of this.reflexive)
      if (r.baseKey === local.baseKey && sameAddress(r.candidate, mapped)) return r.candidate;
    return {
      ...local.candidate,
      type: "prflx",
      priority: local.prflxPriority,
      address: mapped.address,
      port: mapped.port,
      relatedAddress: local.base.address,
      relatedPort: local.base.port,
    };
  }

  all(): IceCandidate[] {
    return [...this.hosts.map((h) => h.candidate), ...this.reflexive.map((r) => r.candidate)];
  }
}
