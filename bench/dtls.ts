// DTLS record-layer benchmark: a connected pair of DtlsEndpoints in memory (no simulator), one side
// sending 1,200-byte records (and other sizes) that the other decrypts. Prints microseconds per
// record for encrypt+decrypt and MB/s per suite, plus the raw RecordCipher cost for comparison.
// Run: npx tsc -p . --outDir .build/dtls && node .build/dtls/bench/dtls.js
import { performance } from "node:perf_hooks";
import { generateCertificate } from "../src/dtls/certificate.js";
import { DtlsEndpoint } from "../src/dtls/endpoint.js";
import { RecordCipher, type RecordHeader, readRecordHeader } from "../src/dtls/record.js";
import { CIPHER_SUITES, suiteById } from "../src/dtls/suites.js";
import { SeededRandom } from "../src/random.js";

const a = generateCertificate();
const b = generateCertificate();

function pair(suite: number): [DtlsEndpoint, DtlsEndpoint] {
  const client = new DtlsEndpoint({
    role: "client",
    certificate: a,
    remoteFingerprints: b.fingerprints(),
    cipherSuites: [suite],
    mtu: 1500,
    random: new SeededRandom(1),
  });
  const server = new DtlsEndpoint({
    role: "server",
    certificate: b,
    remoteFingerprints: a.fingerprints(),
    mtu: 1500,
    random: new SeededRandom(2),
  });
  server.start(0);
  client.start(0);
  for (let i = 0; i < 20 && (client.state !== "connected" || server.state !== "connected"); i++) {
    for (let d = client.pollTransmit(); d; d = client.pollTransmit()) server.handleDatagram(d, i);
    for (let d = server.pollTransmit(); d; d = server.pollTransmit()) client.handleDatagram(d, i);
  }
  while (client.pollEvent());
  while (server.pollEvent());
  if (client.state !== "connected") throw new Error("handshake failed");
  return [client, server];
}

function endpointRun(suiteId: number, size: number, count: number): { us: number; mbps: number } {
  const [client, server] = pair(suiteId);
  const payload = new Uint8Array(size).fill(7);
  let bytes = 0;
  const batch = 32;
  const t0 = performance.now();
  for (let i = 0; i < count; i += batch) {
    for (let j = 0; j < batch; j++) client.send(payload);
    for (let d = client.pollTransmit(); d; d = client.pollTransmit()) server.handleDatagram(d, 1);
    for (let e = server.pollEvent(); e; e = server.pollEvent()) if (e.type === "data") bytes += e.data.length;
  }
  const ms = performance.now() - t0;
  if (bytes !== Math.ceil(count / batch) * batch * size) throw new Error(`lost data: ${bytes}`);
  return { us: (ms * 1000) / Math.ceil(count / batch) / batch, mbps: bytes / 1e6 / (ms / 1000) };
}

function rawRun(suiteId: number, size: number, count: number): number {
  const suite = suiteById(suiteId)!;
  const key = new Uint8Array(suite.keyLength).fill(1);
  const iv = new Uint8Array(suite.fixedIvLength).fill(2);
  const enc = new RecordCipher(suite, key, iv);
  const dec = new RecordCipher(suite, key, iv);
  const payload = new Uint8Array(size).fill(7);
  const h: RecordHeader = { type: 0, version: 0, epoch: 0, sequence: 0, length: 0 };
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const rec = enc.seal(23, 1, i, payload);
    readRecordHeader(rec, 0, rec.length, h);
    if (!dec.open(rec, 0, h)) throw new Error("open failed");
  }
  return ((performance.now() - t0) * 1000) / count;
}

const N = Number(process.env.DTLS_BENCH_N ?? 40_000);
console.log("== DTLS 1.2 record layer (encrypt + decrypt, one process, no network)");
console.log("suite                                            size  endpoint us/rec    MB/s   raw cipher us/rec");
for (const s of CIPHER_SUITES.filter((x) => x.auth === "ecdsa")) {
  for (const size of s.id === 0xc02b ? [100, 1200] : [1200]) {
    endpointRun(s.id, size, 4000); // warm-up
    const r = endpointRun(s.id, size, N);
    const raw = rawRun(s.id, size, N);
    console.log(
      `${s.name.padEnd(48)} ${String(size).padStart(5)}  ${r.us.toFixed(2).padStart(14)}  ${r.mbps.toFixed(1).padStart(6)}  ${raw.toFixed(2).padStart(18)}`,
    );
  }
}

// Handshake cost: complete client+server handshakes in memory (ECDHE X25519, ECDSA P-256, cookies on).
{
  const n = 100;
  pair(0xc02b);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) pair(0xc02b);
  const ms = (performance.now() - t0) / n;
  console.log(`\nfull handshake (both sides, in memory, X25519 + ECDSA P-256): ${ms.toFixed(2)} ms`);
}
