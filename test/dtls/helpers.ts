// Test helpers for DTLS pairs on the network simulator: certificates made once per process, and
// a client/server pair wired with connectPair and collecting events.
import { type GeneratedCertificate, generateCertificate } from "../../src/dtls/certificate.js";
import { DtlsEndpoint, type DtlsEndpointOptions, type DtlsEvent } from "../../src/dtls/endpoint.js";
import { SeededRandom } from "../../src/random.js";
import { connectPair, type LinkConfig, Network } from "../sim/network.js";

let ecdsa: GeneratedCertificate[] | undefined;
let rsa: GeneratedCertificate | undefined;

export function ecdsaCert(i = 0): GeneratedCertificate {
  if (!ecdsa) ecdsa = [generateCertificate(), generateCertificate(), generateCertificate()];
  return ecdsa[i]!;
}

export function rsaCert(): GeneratedCertificate {
  if (!rsa) rsa = generateCertificate({ keyType: "rsa" });
  return rsa;
}

export interface Pair {
  net: Network;
  client: DtlsEndpoint;
  server: DtlsEndpoint;
  clientEvents: DtlsEvent[];
  serverEvents: DtlsEvent[];
  kick: () => void;
  /** Runs until both are connected (or anything is final); returns whether both connected. */
  handshake: (limitMs?: number) => boolean;
}

export function makePair(
  seed: number,
  opts: {
    link?: LinkConfig;
    client?: Partial<DtlsEndpointOptions>;
    server?: Partial<DtlsEndpointOptions>;
    clientCert?: GeneratedCertificate;
    serverCert?: GeneratedCertificate;
  } = {},
): Pair {
  const net = new Network({ seed });
  const clientCert = opts.clientCert ?? ecdsaCert(0);
  const serverCert = opts.serverCert ?? ecdsaCert(1);
  const client = new DtlsEndpoint({
    role: "client",
    certificate: clientCert,
    remoteFingerprints: serverCert.fingerprints(),
    random: new SeededRandom(seed * 2 + 1),
    ...opts.client,
  });
  const server = new DtlsEndpoint({
    role: "server",
    certificate: serverCert,
    remoteFingerprints: clientCert.fingerprints(),
    random: new SeededRandom(seed * 2 + 2),
    ...opts.server,
  });
  const clientEvents: DtlsEvent[] = [];
  const serverEvents: DtlsEvent[] = [];
  const { kick } = connectPair(net, client, server, {
    ...(opts.link ? { link: opts.link } : {}),
    onEventA: (e) => clientEvents.push(e),
    onEventB: (e) => serverEvents.push(e),
  });
  server.start(net.now);
  client.start(net.now);
  kick();
  const final = (e: DtlsEndpoint): boolean => e.state === "failed" || e.state === "closed";
  const handshake = (limitMs = 120_000): boolean => {
    net.run({
      until: () => (client.state === "connected" && server.state === "connected") || final(client) || final(server),
      untilTime: net.now + limitMs,
      maxSteps: 200_000,
    });
    return client.state === "connected" && server.state === "connected";
  };
  return { net, client, server, clientEvents, serverEvents, kick, handshake };
}

export const SEEDS = [1, 2, 3, 4, 5, 6];
