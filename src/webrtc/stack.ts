// How an RTCPeerConnection gets its Peer core and the I/O that runs it: createPeer() binds the
// layers (src/peer/stack.ts) and defaultDriverFactory() runs the core on real UDP sockets with
// src/net's UdpDriver, gathering host candidates from the interfaces (loopback included, as
// Chromium does, so that two connections in one process reach each other), and resolveStunHosts()
// looks up the stun: servers' names.
import { lookup } from "node:dns/promises";
import { parseIP, type TransportAddress } from "../address.js";
import { monotonicNow } from "../clock.js";
import { listInterfaceAddresses, UdpDriver } from "../net/index.js";
import { resolveMdns } from "../net/mdns.js";
import type { PeerEvent } from "../peer/events.js";
import type { Peer } from "../peer/peer.js";
import { createPeerCore } from "../peer/stack.js";
import type { Random } from "../random.js";
import { ntpOffsetFor } from "../rtp/feedback/ntp.js";
import type { CertificateMaterial } from "./certificate.js";
import type { IceServerUrl } from "./configuration.js";
import type { DriverContext, PeerDriver } from "./driver.js";

export interface CreatePeerOptions {
  random: Random;
  certificate: CertificateMaterial;
  stunServers: IceServerUrl[];
  iceTransportPolicy: "all" | "relay";
  now: number;
  /** ICE agent timers (tests: a short gathering retransmission timeout). */
  ice?: { gatherRto?: number };
}

export function createPeer(o: CreatePeerOptions): Peer {
  return createPeerCore({
    random: o.random,
    certificate: o.certificate,
    stunServers: o.stunServers
      .filter((s) => s.scheme === "stun")
      .map((s) => ({ host: s.host, port: s.port, url: s.url })),
    unusableServers: unusableServers(o.stunServers),
    now: o.now,
    // Sender reports carry wall-clock NTP time (RFC 3550 6.4.1), not the monotonic clock.
    ntpOffsetMs: ntpOffsetFor(Date.now(), o.now),
    // RFC 8445 14.2 allows Ta down to 5 ms: ordinary checks of the pairs behind the first reach
    // them sooner; 100 pairs are still paced over 0.5 s.
    ice: { ta: ICE_TA, ...o.ice },
  });
}

/**
 * The configured servers Petrel cannot use: turn:/turns: (no TURN client yet) and stuns: (no
 * STUN over TLS). Rather than ignoring them silently, each is reported as an icecandidateerror
 * with errorCode 701, what a browser reports for a server no host candidate can reach.
 */
export function unusableServers(urls: IceServerUrl[]): { url: string; text: string }[] {
  const out: { url: string; text: string }[] = [];
  for (const u of urls) {
    if (u.scheme === "turn" || u.scheme === "turns") out.push({ url: u.url, text: "TURN is not supported" });
    else if (u.scheme === "stuns") out.push({ url: u.url, text: "STUN over TLS (stuns) is not supported" });
  }
  return out;
}

/** The pacing interval of connectivity checks (ms). */
const ICE_TA = 5;

/** SO_RCVBUF/SO_SNDBUF asked for (the OS caps it at net.core.rmem_max / wmem_max). */
const SOCKET_BUFFER = 4 * 1024 * 1024;

/** How long one os.networkInterfaces() answer serves new connections (ms). */
const INTERFACES_TTL = 1000;
const interfaceCache = new Map<boolean, { at: number; list: ReturnType<typeof listInterfaceAddresses> }>();

/**
 * The interface addresses for a new connection. os.networkInterfaces() costs 0.1 ms or more (one
 * getifaddrs and a JS object per address), so connections created within a second share one answer.
 */
function interfaceAddresses(loopback: boolean): ReturnType<typeof listInterfaceAddresses> {
  const now = monotonicNow();
  const hit = interfaceCache.get(loopback);
  if (hit && now - hit.at < INTERFACES_TTL) return hit.list.slice();
  const list = listInterfaceAddresses({ loopback });
  interfaceCache.set(loopback, { at: now, list });
  return list.slice();
}

/** Runs a Peer over real UDP (one socket per interface address, one timer). */
export function defaultDriverFactory(ctx: DriverContext): PeerDriver {
  const addresses = interfaceAddresses(ctx.includeLoopback ?? true);
  const driver = new UdpDriver<PeerEvent>(ctx.peer, {
    addresses,
    // Bursts of a fast sender outrun a 208 KiB default receive buffer (drops, then SCTP recovery).
    bufferSize: SOCKET_BUFFER,
    onBound: (bound, now) => ctx.peer.addLocalAddress(bound.address, now),
    onEvent: (ev) => ctx.onEvent(ev),
    onFailed: (err) => ctx.onFailure(err),
  });
  driver.start().then(
    () => {
      if (driver.closed) return;
      ctx.peer.localAddressesDone(monotonicNow());
      driver.kick();
    },
    (err) => {
      if (!driver.closed) ctx.onFailure(err);
    },
  );
  return {
    kick: () => driver.kick(),
    close: () => {
      // Let what close() queued (SCTP ABORT/SHUTDOWN, close_notify) leave first.
      driver.kick();
      queueMicrotask(() => queueMicrotask(() => driver.close()));
    },
    resolveMdns: (name) => resolveMdns(name),
  };
}

/**
 * IP addresses of the stun: servers whose host is a name (IP literals are passed on directly),
 * and the URLs whose name did not resolve: no srflx candidate, and a 701 icecandidateerror, as
 * browsers report a failed STUN host lookup.
 */
export async function resolveStunHosts(
  urls: IceServerUrl[],
  lookupHost: (host: string) => Promise<string>,
): Promise<{ resolved: (TransportAddress & { url: string })[]; failed: { url: string; text: string }[] }> {
  const resolved: (TransportAddress & { url: string })[] = [];
  const failed: { url: string; text: string }[] = [];
  await Promise.all(
    urls
      .filter((u) => u.scheme === "stun" && !parseIP(u.host))
      .map(async (u) => {
        try {
          resolved.push({ address: await lookupHost(u.host), port: u.port, url: u.url });
        } catch {
          failed.push({ url: u.url, text: "STUN host lookup failed" });
        }
      }),
  );
  return { resolved, failed };
}

export async function lookupIPv4(host: string): Promise<string> {
  return (await lookup(host, { family: 4 })).address;
}
