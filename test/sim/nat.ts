// A simulated NAT box per RFC 4787 (NAT behavioural requirements for unicast UDP): section 4.1
// (mapping behaviour: endpoint-independent, address-dependent, address-and-port-dependent; port
// assignment and preservation), 4.3 (mapping refresh and timeout), 5 (filtering behaviour:
// endpoint-independent, address-dependent, address-and-port-dependent) and 6 (hairpinning).
// The Network (network.ts) routes through it: outbound() rewrites the source of a datagram leaving
// the private realm, inbound() rewrites the destination of one arriving at the public IP, or drops it
// (counted). Mappings expire lazily from the `now` they are handed; the table is bounded.
import { addressKey, type TransportAddress } from "../../src/address.js";
import type { Transmit } from "../../src/core.js";
import type { Random } from "../../src/random.js";

/** RFC 4787 4.1 (mapping) and 5 (filtering) behaviours. */
export type NatBehaviour = "endpoint-independent" | "address-dependent" | "address-and-port-dependent";

/** How the external port of a new mapping is chosen (RFC 4787 4.2.1). */
export type PortAllocation = "preserve" | "sequential" | "random";

export interface NatBehaviourConfig {
  mapping: NatBehaviour;
  filtering: NatBehaviour;
}

export interface NatConfig extends Partial<NatBehaviourConfig> {
  /** The NAT's external IP address (owned by the NAT on the network). */
  publicIp: string;
  /** Idle time after which a mapping (and its filter state) is removed. Default 120,000 ms (REQ-5). */
  mappingTimeout?: number;
  /** Whether inbound datagrams refresh a mapping (REQ-6 leaves it open). Default false. */
  inboundRefresh?: boolean;
  /** Default "preserve": the internal port when free, else the next free one. */
  portAllocation?: PortAllocation;
  /** External ports used for mappings, inclusive. Default [1024, 65535]. */
  portRange?: [number, number];
  /** Whether a host behind the NAT can reach another through the NAT's public address (REQ-9). Default false. */
  hairpinning?: boolean;
  /** The most mappings kept at once; beyond it new flows are dropped (counted). Default 10,000. */
  maxMappings?: number;
}

/** Common NAT types in the old RFC 3489 vocabulary. */
export const natPresets = {
  fullCone: { mapping: "endpoint-independent", filtering: "endpoint-independent" },
  restrictedCone: { mapping: "endpoint-independent", filtering: "address-dependent" },
  portRestrictedCone: { mapping: "endpoint-independent", filtering: "address-and-port-dependent" },
  symmetric: { mapping: "address-and-port-dependent", filtering: "address-and-port-dependent" },
} as const satisfies Record<string, NatBehaviourConfig>;

export interface NatStats {
  /** Datagrams translated on the way out. */
  outbound: number;
  /** Datagrams translated on the way in. */
  inbound: number;
  /** Inbound datagrams to a port with no mapping. */
  noMapping: number;
  /** Inbound datagrams dropped by the filtering behaviour. */
  filtered: number;
  /** Hairpinned datagrams dropped because hairpinning is off. */
  hairpinDropped: number;
  /** Outbound datagrams dropped because no mapping could be made (table or ports exhausted). */
  exhausted: number;
  /** Mappings created and removed (timed out). */
  mappingsCreated: number;
  mappingsExpired: number;
}

/** The most remote endpoints remembered per mapping for filtering (oldest forgotten first). */
const MAX_PERMISSIONS = 256;

interface Mapping {
  internal: TransportAddress;
  /** The key under which it is found from the inside. */
  key: string;
  external: TransportAddress;
  lastUsed: number;
  /** Remote keys (IP, or IP:port per filtering behaviour) this mapping has sent to. */
  permissions: Set<string>;
}

export class Nat {
  readonly publicIp: string;
  readonly mapping: NatBehaviour;
  readonly filtering: NatBehaviour;
  readonly mappingTimeout: number;
  readonly inboundRefresh: boolean;
  readonly portAllocation: PortAllocation;
  readonly portRange: [number, number];
  readonly hairpinning: boolean;
  readonly maxMappings: number;
  readonly stats: NatStats;
  private readonly random: Random;
  private readonly byInside = new Map<string, Mapping>();
  private readonly byPort = new Map<number, Mapping>();
  private nextPort: number;

  constructor(cfg: NatConfig, random: Random) {
    this.publicIp = cfg.publicIp;
    this.mapping = cfg.mapping ?? "endpoint-independent";
    this.filtering = cfg.filtering ?? "endpoint-independent";
    this.mappingTimeout = cfg.mappingTimeout ?? 120_000;
    this.inboundRefresh = cfg.inboundRefresh ?? false;
    this.portAllocation = cfg.portAllocation ?? "preserve";
    this.portRange = cfg.portRange ?? [1024, 65535];
    this.hairpinning = cfg.hairpinning ?? false;
    this.maxMappings = cfg.maxMappings ?? 10_000;
    if (this.portRange[0] < 1 || this.portRange[1] > 65535 || this.portRange[0] > this.portRange[1]) {
      throw Object.assign(new Error(`bad NAT port range ${this.portRange}`), { code: "ERR_SIM_NAT_CONFIG" });
    }
    this.random = random;
    this.nextPort = this.portRange[0];
    this.stats = {
      outbound: 0,
      inbound: 0,
      noMapping: 0,
      filtered: 0,
      hairpinDropped: 0,
      exhausted: 0,
      mappingsCreated: 0,
      mappingsExpired: 0,
    };
  }

  /** Number of live mappings (expired ones may linger until touched). */
  get size(): number {
    return this.byPort.size;
  }

  /** The external address a datagram from `internal` to `remote` would leave with now, if mapped. */
  mappedAddress(internal: TransportAddress, remote: TransportAddress, now: number): TransportAddress | undefined {
    const m = this.byInside.get(this.insideKey(internal, remote));
    return m && !this.expire(m, now) ? m.external : undefined;
  }

  /** Translates a datagram leaving the private side; undefined when it is dropped (counted). */
  outbound(d: Transmit, now: number): Transmit | undefined {
    const key = this.insideKey(d.from, d.to);
    let m = this.byInside.get(key);
    if (m && this.expire(m, now)) m = undefined;
    if (!m) {
      m = this.create(d.from, key, now);
      if (!m) {
        this.stats.exhausted++;
        return undefined;
      }
    }
    m.lastUsed = now;
    const perm = this.filterKey(d.to);
    if (perm !== undefined && !m.permissions.has(perm)) {
      if (m.permissions.size >= MAX_PERMISSIONS) {
        const oldest = m.permissions.values().next().value as string;
        m.permissions.delete(oldest);
      }
      m.permissions.add(perm);
    }
    this.stats.outbound++;
    return { from: m.external, to: d.to, data: d.data };
  }

  /** Translates a datagram that arrived at the public IP; undefined when it is dropped (counted). */
  inbound(d: Transmit, now: number): Transmit | undefined {
    if (d.from.address === this.publicIp && !this.hairpinning) {
      this.stats.hairpinDropped++;
      return undefined;
    }
    const m = this.byPort.get(d.to.port);
    if (!m || this.expire(m, now)) {
      this.stats.noMapping++;
      return undefined;
    }
    const perm = this.filterKey(d.from);
    if (perm !== undefined && !m.permissions.has(perm)) {
      this.stats.filtered++;
      return undefined;
    }
    if (this.inboundRefresh) m.lastUsed = now;
    this.stats.inbound++;
    return { from: d.from, to: m.internal, data: d.data };
  }

  /** Removes every mapping (as a NAT reboot would). */
  reset(): void {
    this.byInside.clear();
    this.byPort.clear();
  }

  private insideKey(internal: TransportAddress, remote: TransportAddress): string {
    const inside = addressKey(internal);
    switch (this.mapping) {
      case "endpoint-independent":
        return inside;
      case "address-dependent":
        return `${inside}>${remote.address}`;
      case "address-and-port-dependent":
        return `${inside}>${addressKey(remote)}`;
    }
  }

  /** The permission an outbound datagram to `remote` opens; undefined when filtering ignores the remote. */
  private filterKey(remote: TransportAddress): string | undefined {
    switch (this.filtering) {
      case "endpoint-independent":
        return undefined;
      case "address-dependent":
        return remote.address;
      case "address-and-port-dependent":
        return addressKey(remote);
    }
  }

  /** Removes `m` if it has been idle past the timeout; returns whether it did. */
  private expire(m: Mapping, now: number): boolean {
    if (now - m.lastUsed < this.mappingTimeout) return false;
    this.byInside.delete(m.key);
    this.byPort.delete(m.external.port);
    this.stats.mappingsExpired++;
    return true;
  }

  private create(internal: TransportAddress, key: string, now: number): Mapping | undefined {
    if (this.byPort.size >= this.maxMappings) {
      for (const m of [...this.byPort.values()]) this.expire(m, now);
      if (this.byPort.size >= this.maxMappings) return undefined;
    }
    const port = this.allocatePort(internal.port, now);
    if (port === undefined) return undefined;
    const m: Mapping = {
      internal,
      key,
      external: { address: this.publicIp, port },
      lastUsed: now,
      permissions: new Set(),
    };
    this.byInside.set(key, m);
    this.byPort.set(port, m);
    this.stats.mappingsCreated++;
    return m;
  }

  /** A free external port per the allocation policy, or undefined when every port is taken. */
  private allocatePort(wanted: number, now: number): number | undefined {
    const [lo, hi] = this.portRange;
    const span = hi - lo + 1;
    const free = (p: number): boolean => {
      const m = this.byPort.get(p);
      return !m || this.expire(m, now);
    };
    let start: number;
    if (this.portAllocation === "preserve" && wanted >= lo && wanted <= hi) start = wanted;
    else if (this.portAllocation === "random") {
      for (let i = 0; i < 16; i++) {
        const p = lo + this.random.int(span);
        if (free(p)) return p;
      }
      start = lo + this.random.int(span);
    } else start = this.portAllocation === "sequential" ? this.nextPort : lo;
    for (let i = 0; i < span; i++) {
      const p = lo + ((start - lo + i) % span);
      if (free(p)) {
        if (this.portAllocation === "sequential") this.nextPort = p + 1 > hi ? lo : p + 1;
        return p;
      }
    }
    return undefined;
  }
}
