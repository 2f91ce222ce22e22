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

// The parsers and the formatter scan characters by index (no split, regular expressions or
// intermediate arrays): ICE and STUN call them for every candidate and mapped address.

/** Parses an IPv4 address (four decimal groups of 1-3 digits, each <= 255) into 4 bytes, or undefined. */
export function parseIPv4(s: string): Uint8Array | undefined {
  const n = s.length;
  if (n < 7 || n > 15) return undefined;
  const out = new Uint8Array(4);
  let part = 0;
  let v = 0;
  let digits = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits > 3) return undefined;
      v = v * 10 + (c - 48);
    } else if (c === 46 && digits > 0 && v <= 255 && part < 3) {
      out[part++] = v;
      v = 0;
      digits = 0;
    } else return undefined;
  }
  if (part !== 3 || digits === 0 || v > 255) return undefined;
  out[3] = v;
  return out;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Parses an IPv6 address (with optional embedded IPv4 tail and zone id) into 16 bytes, or undefined. */
export function parseIPv6(input: string): Uint8Array | undefined {
  const zone = input.indexOf("%");
  const end = zone >= 0 ? zone : input.length;
  if (end < 2) return undefined;
  const out = new Uint8Array(16);
  let n = 0; // groups written
  let gap = -1; // the group index where "::" stands
  let i = 0;
  if (input.charCodeAt(0) === 58) {
    if (input.charCodeAt(1) !== 58) return undefined;
    gap = 0;
    i = 2;
    if (i === end) return out;
  }
  for (;;) {
    const start = i;
    let v = 0;
    for (
      let h = i < end ? hexDigit(input.charCodeAt(i)) : -1;
      h >= 0;
      h = i < end ? hexDigit(input.charCodeAt(i)) : -1
    ) {
      v = v * 16 + h;
      i++;
    }
    if (i < end && input.charCodeAt(i) === 46) {
      // An IPv4 tail (RFC 4291 2.2 form 3): the last two groups.
      if (n > 6) return undefined;
      const tail = parseIPv4(input.slice(start, end));
      if (!tail) return undefined;
      out.set(tail, 2 * n);
      n += 2;
      break;
    }
    if (i === start || i - start > 4 || n === 8) return undefined;
    out[2 * n] = v >> 8;
    out[2 * n + 1] = v & 255;
    n++;
    if (i === end) break;
    if (input.charCodeAt(i) !== 58) return undefined;
    i++;
    if (i < end && input.charCodeAt(i) === 58) {
      if (gap >= 0) return undefined;
      gap = n;
      i++;
      if (i === end) break;
    } else if (i === end) return undefined;
  }
  if (gap < 0) return n === 8 ? out : undefined;
  if (n > 7) return undefined;
  // The groups after "::" move to the end; the gap becomes zeros.
  const dst = 16 - 2 * (n - gap);
  out.copyWithin(dst, 2 * gap, 2 * n);
  out.fill(0, 2 * gap, dst);
  return out;
}

/** Parses either family into bytes (4 or 16), or undefined. */
export function parseIP(s: string): Uint8Array | undefined {
  return s.includes(":") ? parseIPv6(s) : parseIPv4(s);
}

/** Formats 4 or 16 bytes as text (IPv6 in RFC 5952 canonical form). */
export function formatIP(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  // The longest run of two or more zero groups becomes "::" (first one on a tie).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (b[2 * i] !== 0 || b[2 * i + 1] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && b[2 * j] === 0 && b[2 * j + 1] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  let s = "";
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += "::";
      i += bestLen - 1;
      continue;
    }
    if (i > 0 && i !== bestStart + bestLen) s += ":";
    s += ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16);
  }
  return s;
}

/** Canonical text for an IP address string (e.g. "0:0::1" -> "::1"); the input if it does not parse. */
export function canonicalIP(s: string): string {
  const b = parseIP(s);
  return b ? formatIP(b) : s;
}
