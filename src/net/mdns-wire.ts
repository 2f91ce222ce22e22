// The DNS message format as multicast DNS uses it (RFC 1035 section 4.1, RFC 6762 sections 5.4,
// 6.7, 10.2 and 18): building a one-shot query for the A and AAAA records of a `.local` name (with
// the unicast-response bit), and reading A/AAAA answers for that name out of a response, name
// compression (RFC 1035 4.1.4) included. Bounds-checked; parsing never throws.
import { formatIP } from "../address.js";
import { readU16, readU32, writeU16 } from "../bytes/index.js";
import { PetrelNetError } from "./errors.js";

export const DNS_TYPE_A = 1;
export const DNS_TYPE_AAAA = 28;
const CLASS_IN = 1;
/** The top bit of the class: QU (unicast response wanted) in questions, cache-flush in answers. */
const CLASS_TOP_BIT = 0x8000;
/** Most compression pointers followed while reading one name (a loop guard). */
const MAX_JUMPS = 32;
const MAX_NAME = 255;

export interface MdnsAnswer {
  family: 4 | 6;
  address: string;
  /** Seconds. */
  ttl: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

/** The name's labels as bytes; throws ERR_NET_MDNS_NAME for a name that is not a valid `.local` name. */
function labelsOf(name: string): Uint8Array[] {
  const trimmed = name.endsWith(".") ? name.slice(0, -1) : name;
  const parts = trimmed.split(".");
  const bad = (why: string): PetrelNetError =>
    new PetrelNetError("ERR_NET_MDNS_NAME", `bad mDNS name "${name}": ${why}`);
  if (parts.length < 2 || parts.at(-1)!.toLowerCase() !== "local") throw bad("not a .local name");
  const labels = parts.map((p) => encoder.encode(p));
  let total = 1;
  for (const l of labels) {
    if (l.length === 0 || l.length > 63) throw bad("empty label or label over 63 bytes");
    total += l.length + 1;
  }
  if (total > MAX_NAME) throw bad("over 255 bytes");
  return labels;
}

/**
 * A query for A and AAAA records of `name` (id 0 per RFC 6762 18.1; the QU bit asks for a unicast
 * reply, RFC 6762 5.4). Throws ERR_NET_MDNS_NAME for a name that is not a valid `.local` name.
 */
export function buildMdnsQuery(name: string, opts: { id?: number; unicastResponse?: boolean } = {}): Uint8Array {
  const labels = labelsOf(name);
  let nameLen = 1;
  for (const l of labels) nameLen += 1 + l.length;
  const qclass = CLASS_IN | (opts.unicastResponse === false ? 0 : CLASS_TOP_BIT);
  // The second question's name is a pointer to the first (offset 12).
  const out = new Uint8Array(12 + nameLen + 4 + 2 + 4);
  writeU16(out, 0, opts.id ?? 0);
  writeU16(out, 2, 0); // standard query
  writeU16(out, 4, 2); // QDCOUNT
  writeU16(out, 6, 0);
  writeU16(out, 8, 0);
  writeU16(out, 10, 0);
  let o = 12;
  for (const l of labels) {
    out[o++] = l.length;
    out.set(l, o);
    o += l.length;
  }
  out[o++] = 0;
  o = writeU16(out, o, DNS_TYPE_A);
  o = writeU16(out, o, qclass);
  o = writeU16(out, o, 0xc000 | 12);
  o = writeU16(out, o, DNS_TYPE_AAAA);
  writeU16(out, o, qclass);
  return out;
}

/**
 * Reads a possibly compressed name at `offset`. Returns the name in lower case (labels joined by
 * dots, no trailing dot) and the offset after it in the record, or undefined when malformed
 * (past the end, pointer loops or forward pointers, reserved label types, over 255 bytes).
 */
export function readDnsName(b: Uint8Array, offset: number): { name: string; end: number } | undefined {
  const labels: string[] = [];
  let o = offset;
  let end = -1;
  let jumps = 0;
  let length = 1;
  for (;;) {
    if (o >= b.length) return undefined;
    const len = b[o]!;
    if (len === 0) {
      if (end < 0) end = o + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (o + 1 >= b.length || ++jumps > MAX_JUMPS) return undefined;
      const target = ((len & 0x3f) << 8) | b[o + 1]!;
      if (target >= o) return undefined; // only backward pointers: no loops
      if (end < 0) end = o + 2;
      o = target;
      continue;
    }
    if (kind !== 0) return undefined; // 0x40 and 0x80 label types are reserved
    if (o + 1 + len > b.length) return undefined;
    length += len + 1;
    if (length > MAX_NAME) return undefined;
    labels.push(decoder.decode(b.subarray(o + 1, o + 1 + len)).toLowerCase());
    o += 1 + len;
  }
  return { name: labels.join("."), end };
}

/** Canonical form of a name for comparison: lower case, no trailing dot. */
export function normalizeDnsName(name: string): string {
  return (name.endsWith(".") ? name.slice(0, -1) : name).toLowerCase();
}

/**
 * The A and AAAA records for `name` in a DNS response (answer and additional sections), in order.
 * Returns [] for anything that is not a well-formed response; never throws.
 */
export function parseMdnsResponse(b: Uint8Array, name: string): MdnsAnswer[] {
  const out: MdnsAnswer[] = [];
  if (b.length < 12) return out;
  const flags = readU16(b, 2);
  if ((flags & 0x8000) === 0 || (flags & 0x7800) !== 0 || (flags & 0x000f) !== 0) return out; // QR, opcode, rcode
  const want = normalizeDnsName(name);
  const qd = readU16(b, 4);
  const records = readU16(b, 6) + readU16(b, 8) + readU16(b, 10);
  let o = 12;
  for (let i = 0; i < qd; i++) {
    const n = readDnsName(b, o);
    if (!n || n.end + 4 > b.length) return out;
    o = n.end + 4;
  }
  for (let i = 0; i < records; i++) {
    const n = readDnsName(b, o);
    if (!n || n.end + 10 > b.length) return out;
    const type = readU16(b, n.end);
    const cls = readU16(b, n.end + 2) & ~CLASS_TOP_BIT;
    const ttl = readU32(b, n.end + 4);
    const rdlen = readU16(b, n.end + 8);
    const rdata = n.end + 10;
    if (rdata + rdlen > b.length) return out;
    o = rdata + rdlen;
    if (cls !== CLASS_IN || n.name !== want) continue;
    if (type === DNS_TYPE_A && rdlen === 4) {
      out.push({ family: 4, address: formatIP(b.subarray(rdata, rdata + 4)), ttl });
    } else if (type === DNS_TYPE_AAAA && rdlen === 16) {
      out.push({ family: 6, address: formatIP(b.subarray(rdata, rdata + 16)), ttl });
    }
  }
  return out;
}
