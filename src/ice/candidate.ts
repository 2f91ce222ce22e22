// ICE candidates: the type, priorities and foundations (RFC 8445 section 5.1.2 and 5.1.1.3), and
// the SDP candidate-attribute grammar (RFC 8839 section 5.1) with the extensions browsers add
// (`generation`, `ufrag`, `network-id`, `network-cost`, RFC 6544 `tcptype`), parsed and written
// so that Chrome's and Firefox's lines round-trip byte for byte. Parsing never throws.

export type CandidateType = "host" | "srflx" | "prflx" | "relay";
export type TcpType = "active" | "passive" | "so";

export interface IceCandidate {
  foundation: string;
  component: number;
  /** As written on the line ("udp", "UDP", "tcp"...); compare with `isUdp()`. */
  protocol: string;
  priority: number;
  /** An IP address, or an mDNS name ending in ".local". */
  address: string;
  port: number;
  type: CandidateType;
  relatedAddress?: string | undefined;
  relatedPort?: number | undefined;
  tcpType?: TcpType | undefined;
  generation?: number | undefined;
  ufrag?: string | undefined;
  networkId?: number | undefined;
  networkCost?: number | undefined;
  /** Other name/value extension pairs, in order. */
  extensions?: [string, string][] | undefined;
}

/** Type preferences recommended by RFC 8445 section 5.1.2.2. */
export const TYPE_PREFERENCE: Record<CandidateType, number> = { host: 126, prflx: 110, srflx: 100, relay: 0 };

/** priority = 2^24 * type pref + 2^8 * local pref + (256 - component) (RFC 8445 5.1.2.1). */
export function candidatePriority(type: CandidateType, localPreference: number, component = 1): number {
  return TYPE_PREFERENCE[type] * 0x1000000 + (localPreference & 0xffff) * 0x100 + (256 - component);
}

/**
 * Local preference for the n-th local address of a family: IPv6 above IPv4 (RFC 8421 section 4
 * style), and each interface distinct (earlier added ranks higher).
 */
export function localPreference(ipv6: boolean, index: number): number {
  const base = ipv6 ? 0xffff : 0x7fff;
  return base - Math.min(index, 0x3fff);
}

export function isUdp(c: IceCandidate): boolean {
  return c.protocol.toLowerCase() === "udp";
}

export function isMdnsName(address: string): boolean {
  return address.toLowerCase().endsWith(".local");
}

const ICE_CHARS = /^[A-Za-z0-9+/]+$/;
const TOKEN = /^[!#$%&'*+\-.^_`{|}~A-Za-z0-9]+$/;

/**
 * Parses "candidate:..." or "a=candidate:..." (a trailing CR/LF is ignored). Returns undefined for
 * anything that does not follow RFC 8839's grammar.
 */
export function parseCandidate(line: string): IceCandidate | undefined {
  let s = line.trim();
  if (s.startsWith("a=")) s = s.slice(2);
  if (!s.startsWith("candidate:")) return undefined;
  const parts = s.slice(10).split(" ");
  if (parts.length < 8 || parts[6] !== "typ") return undefined;
  const [foundation, comp, protocol, prio, address, portText, , typ] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (foundation.length === 0 || foundation.length > 32 || !ICE_CHARS.test(foundation)) return undefined;
  const component = parseUint(comp, 256);
  const priority = parseUint(prio, 0xffffffff);
  const port = parseUint(portText, 65535);
  if (component === undefined || component < 1 || priority === undefined || port === undefined) return undefined;
  if (!TOKEN.test(protocol) || address.length === 0) return undefined;
  if (typ !== "host" && typ !== "srflx" && typ !== "prflx" && typ !== "relay") return undefined;
  const c: IceCandidate = { foundation, component, protocol, priority, address, port, type: typ };
  if ((parts.length - 8) % 2 !== 0) return undefined;
  for (let i = 8; i < parts.length; i += 2) {
    const name = parts[i]!;
    const value = parts[i + 1]!;
    if (!TOKEN.test(name) || value.length === 0) return undefined;
    switch (name) {
      case "raddr":
        c.relatedAddress = value;
        break;
      case "rport": {
        const v = parseUint(value, 65535);
        if (v === undefined) return undefined;
        c.relatedPort = v;
        break;
      }
      case "tcptype":
        if (value !== "active" && value !== "passive" && value !== "so") return undefined;
        c.tcpType = value;
        break;
      case "generation":
        c.generation = parseUint(value, 0xffffffff);
        if (c.generation === undefined) return undefined;
        break;
      case "ufrag":
        c.ufrag = value;
        break;
      case "network-id":
        c.networkId = parseUint(value, 0xffffffff);
        if (c.networkId === undefined) return undefined;
        break;
      case "network-cost":
        c.networkCost = parseUint(value, 0xffffffff);
        if (c.networkCost === undefined) return undefined;
        break;
      default:
        if (!c.extensions) c.extensions = [];
        c.extensions.push([name, value]);
    }
  }
  return c;
}

function parseUint(s: string, max: number): number | undefined {
  if (!/^\d{1,10}$/.test(s)) return undefined;
  const v = Number(s);
  return v <= max ? v : undefined;
}

/**
 * Writes the candidate attribute value, "candidate:..." (what RTCIceCandidate.candidate holds),
 * with extensions in the order browsers use.
 */
export function formatCandidate(c: IceCandidate): string {
  let s = `candidate:${c.foundation} ${c.component} ${c.protocol} ${c.priority} ${c.address} ${c.port} typ ${c.type}`;
  if (c.relatedAddress !== undefined) s += ` raddr ${c.relatedAddress}`;
  if (c.relatedPort !== undefined) s += ` rport ${c.relatedPort}`;
  if (c.tcpType !== undefined) s += ` tcptype ${c.tcpType}`;
  if (c.generation !== undefined) s += ` generation ${c.generation}`;
  if (c.ufrag !== undefined) s += ` ufrag ${c.ufrag}`;
  if (c.networkId !== undefined) s += ` network-id ${c.networkId}`;
  if (c.networkCost !== undefined) s += ` network-cost ${c.networkCost}`;
  if (c.extensions) for (const [k, v] of c.extensions) s += ` ${k} ${v}`;
  return s;
}
