// Local interface addresses usable for host candidates (RFC 8445 5.1.1.1): what
// os.networkInterfaces() reports, filtered. IPv6 link-local (fe80::/10) addresses are skipped
// (they need a scope id to be usable), so are IPv4-mapped and unspecified ones; IPv4 link-local
// (169.254/16) is used only when nothing better exists; loopback only when asked for or when nothing
// else exists.
import { type NetworkInterfaceInfo, networkInterfaces } from "node:os";
import { type AddressFamily, canonicalIP, parseIP } from "../address.js";

export interface InterfaceAddress {
  /** The interface name ("eth0", "lo", ...). */
  name: string;
  /** The address in canonical text form (RFC 5952 for IPv6). */
  address: string;
  family: AddressFamily;
  /** Loopback (or otherwise internal) interface. */
  internal: boolean;
}

export interface InterfaceOptions {
  /** Include loopback addresses even when others exist. Default false. */
  loopback?: boolean;
  /** Include IPv4 addresses. Default true. */
  ipv4?: boolean;
  /** Include IPv6 addresses. Default true. */
  ipv6?: boolean;
  /** Only these interface names. */
  names?: string[];
  /** What os.networkInterfaces() returns (injectable for tests). */
  source?: NodeJS.Dict<NetworkInterfaceInfo[]>;
}

/** Usable interface addresses, non-loopback ones first, in the order the OS reports them. */
export function listInterfaceAddresses(opts: InterfaceOptions = {}): InterfaceAddress[] {
  const source = opts.source ?? networkInterfaces();
  const wantV4 = opts.ipv4 ?? true;
  const wantV6 = opts.ipv6 ?? true;
  const normal: InterfaceAddress[] = [];
  const linkLocal4: InterfaceAddress[] = [];
  const loopback: InterfaceAddress[] = [];
  const seen = new Set<string>();
  for (const [name, infos] of Object.entries(source)) {
    if (!infos || (opts.names && !opts.names.includes(name))) continue;
    for (const info of infos) {
      // Node 18.0-18.3 reported the family as a number; accept both.
      const f = info.family as string | number;
      const family: AddressFamily | undefined = f === "IPv4" || f === 4 ? 4 : f === "IPv6" || f === 6 ? 6 : undefined;
      if (family === undefined || (family === 4 && !wantV4) || (family === 6 && !wantV6)) continue;
      const bytes = parseIP(info.address);
      if (!bytes || bytes.length !== (family === 4 ? 4 : 16)) continue;
      const address = canonicalIP(info.address);
      if (seen.has(address)) continue;
      const kind = classify(bytes);
      if (kind === "unusable") continue;
      seen.add(address);
      const entry: InterfaceAddress = { name, address, family, internal: info.internal || kind === "loopback" };
      if (kind === "loopback" || info.internal) loopback.push(entry);
      else if (kind === "link-local-v4") linkLocal4.push(entry);
      else normal.push(entry);
    }
  }
  const out = normal.length > 0 ? normal : linkLocal4;
  if (opts.loopback || out.length === 0) out.push(...loopback);
  return out;
}

type Kind = "normal" | "loopback" | "link-local-v4" | "unusable";

function classify(b: Uint8Array): Kind {
  if (b.length === 4) {
    if (b[0] === 127) return "loopback";
    if (b[0] === 169 && b[1] === 254) return "link-local-v4";
    if (b[0] === 0 || b[0]! >= 224) return "unusable"; // unspecified, multicast, reserved
    return "normal";
  }
  let zeroPrefix = true;
  for (let i = 0; i < 15; i++) if (b[i] !== 0) zeroPrefix = false;
  if (zeroPrefix && b[15] === 1) return "loopback";
  if (zeroPrefix) return "unusable"; // ::
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return "unusable"; // fe80::/10 needs a scope id
  if (b[0] === 0xff) return "unusable"; // multicast
  let mapped = b[10] === 0xff && b[11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) if (b[i] !== 0) mapped = false;
  if (mapped) return "unusable"; // ::ffff:a.b.c.d
  return "normal";
}
