// Transport addresses (IP + port) shared by STUN, ICE, the simulator and the UDP driver:
// the type, a map key, and conversion between textual IPv4/IPv6 (RFC 5952 form) and bytes.

export interface TransportAddress {
  /** IPv4 dotted quad or IPv6 text (RFC 5952 canonical form when produced here). */
  readonly address: string;
  readonly port: number;
}

export type AddressFamily = 4 | 6;

export function familyOf(address: string): AddressFamily {
  return address.includes(":") ? 6 : 4;
}

/** A string usable as a Map key: "1.2.3.4:5" or "[::1]:5". */
export function addressKey(a: TransportAddress): string {
  return a.address.includes(":") ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

export function sameAddress(a: TransportAddress, b: TransportAddress): boolean {
  return a.port === b.port && a.address === b.address;
}

/** Parses an IPv4 address into 4 bytes, or undefined. */
export function parseIPv4(s: string): Uint8Array | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

/** Parses an IPv6 address (with optional embedded IPv4 tail and zone id) into 16 bytes, or undefined. */
export function parseIPv6(input: string): Uint8Array | undefined {
  let s = input;
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  const out = new Uint8Array(16);
  let tail: Uint8Array | undefined;
  const lastColon = s.lastIndexOf(":");
  if (s.indexOf(".", lastColon) >= 0) {
    tail = parseIPv4(s.slice(lastColon + 1));
    if (!tail) return undefined;
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  if (halves.length === 1 && head.length !== 8) return undefined;
  if (head.length + rest.length > (halves.length === 2 ? 7 : 8)) return undefined;
  const groups: number[] = [];
  for (const g of head) groups.push(parseGroup(g));
  if (halves.length === 2) for (let i = head.length + rest.length; i < 8; i++) groups.push(0);
  for (const g of rest) groups.push(parseGroup(g));
  for (let i = 0; i < 8; i++) {
    const g = groups[i]!;
    if (g < 0) return undefined;
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 255;
  }
  if (tail) out.set(tail, 12);
  return out;
}

function parseGroup(g: string): number {
  return /^[0-9a-fA-F]{1,4}$/.test(g) ? Number.parseInt(g, 16) : -1;
}

/** Parses either family into bytes (4 or 16), or undefined. */
export function parseIP(s: string): Uint8Array | undefined {
  return s.includes(":") ? parseIPv6(s) : parseIPv4(s);
}

/** Formats 4 or 16 bytes as text (IPv6 in RFC 5952 canonical form). */
export function formatIP(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  // The longest run of two or more zero groups becomes "::" (first one on a tie).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/** Canonical text for an IP address string (e.g. "0:0::1" -> "::1"); the input if it does not parse. */
export function canonicalIP(s: string): string {
  const b = parseIP(s);
  return b ? formatIP(b) : s;
}
