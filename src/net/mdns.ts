// One-shot multicast DNS resolution of a `.local` name (RFC 6762 section 5.1: one-shot queries
// from an ephemeral port, answered by unicast per 6.7; 5.4 the QU bit; 11: IP TTL 255), as needed
// for ICE candidates that hide their address behind an mDNS name (draft-ietf-mmusic-mdns-ice-
// candidates). Queries for A and AAAA go to 224.0.0.251:5353 and [ff02::fb]:5353; the first
// answer for the name wins; undefined after the timeout. Malformed packets are ignored.
import { createSocket, type Socket } from "node:dgram";
import { familyOf, type TransportAddress } from "../address.js";
import { buildMdnsQuery, parseMdnsResponse } from "./mdns-wire.js";

export const MDNS_IPV4: TransportAddress = { address: "224.0.0.251", port: 5353 };
export const MDNS_IPV6: TransportAddress = { address: "ff02::fb", port: 5353 };

export interface MdnsResolveOptions {
  /** Give up after this many ms. Default 2,000. */
  timeout?: number;
  /** Accept only this family's answers. Default: the first A or AAAA answer. */
  family?: 4 | 6;
  /** Where queries go (injectable for tests). Default [MDNS_IPV4, MDNS_IPV6]. */
  targets?: TransportAddress[];
  /** Resend the query this often until answered (RFC 6762 5.1 leaves it to the querier). Default 1,000 ms. */
  retransmit?: number;
  /**
   * The local address of the interface multicast queries leave from (IPv4 address or IPv6
   * interface scope such as "::%lo"); default: the OS's choice. Tests keep traffic on this machine
   * with "127.0.0.1".
   */
  multicastInterface?: { v4?: string; v6?: string };
  /** Aborting resolves with undefined at once. */
  signal?: AbortSignal;
}

/**
 * Resolves `name` (e.g. "1f4712db-ea17-4bcf-a596-105139dfd8bf.local") to an IP address, or
 * undefined when nobody answers in time. Throws ERR_NET_MDNS_NAME (synchronously) for a name that is
 * not a valid `.local` name; network trouble (no IPv6, no multicast route) only means no answer.
 */
export function resolveMdns(name: string, opts: MdnsResolveOptions = {}): Promise<string | undefined> {
  const query = buildMdnsQuery(name);
  const targets = opts.targets ?? [MDNS_IPV4, MDNS_IPV6];
  return new Promise((resolve) => {
    const sockets: { socket: Socket; family: 4 | 6; ready: boolean }[] = [];
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    let resend: NodeJS.Timeout | undefined;
    const finish = (address: string | undefined): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      if (resend) clearInterval(resend);
      opts.signal?.removeEventListener("abort", onAbort);
      for (const s of sockets) closeQuietly(s.socket);
      resolve(address);
    };
    const onAbort = (): void => finish(undefined);
    if (opts.signal?.aborted) return finish(undefined);
    opts.signal?.addEventListener("abort", onAbort);
    const onMessage = (msg: Buffer): void => {
      for (const a of parseMdnsResponse(msg, name)) {
        if (a.ttl === 0) continue; // a goodbye (RFC 6762 10.1)
        if (opts.family !== undefined && a.family !== opts.family) continue;
        finish(a.address);
        return;
      }
    };
    const sendFrom = (s: (typeof sockets)[number]): void => {
      if (!s.ready) return;
      for (const t of targets) {
        if (familyOf(t.address) !== s.family) continue;
        try {
          s.socket.send(query, t.port, t.address, ignore);
        } catch {
          // A closed socket or a bad target: no answer from there.
        }
      }
    };
    for (const family of [4, 6] as const) {
      if (!targets.some((t) => familyOf(t.address) === family)) continue;
      const socket = createSocket({ type: family === 4 ? "udp4" : "udp6", ipv6Only: family === 6 });
      const entry = { socket, family, ready: false };
      sockets.push(entry);
      socket.on("message", onMessage);
      // A socket that cannot bind or send is simply not used.
      socket.on("error", () => {
        entry.ready = false;
        closeQuietly(socket);
      });
      socket.bind(0, () => {
        if (done) return;
        try {
          socket.setMulticastTTL(255);
          socket.setMulticastLoopback(true);
          const iface = family === 4 ? opts.multicastInterface?.v4 : opts.multicastInterface?.v6;
          if (iface) socket.setMulticastInterface(iface);
        } catch {
          // Not fatal: unicast targets still work.
        }
        entry.ready = true;
        sendFrom(entry);
      });
    }
    timer = setTimeout(() => finish(undefined), opts.timeout ?? 2000);
    const every = opts.retransmit ?? 1000;
    if (every > 0) resend = setInterval(() => sockets.forEach(sendFrom), every);
  });
}

/** Send errors (no route, no IPv6) just mean no answer from there. */
function ignore(): void {}

function closeQuietly(s: Socket): void {
  try {
    s.close();
  } catch {
    // already closed
  }
}
