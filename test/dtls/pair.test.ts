// DTLS client/server pairs on the network simulator: clean handshakes, every suite, both groups,
// ECDSA and RSA certificates, application data both ways, exporter, SRTP profile, close_notify.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DtlsEndpoint } from "../../src/dtls/endpoint.js";
import {
  CIPHER_SUITES,
  GROUP_SECP256R1,
  GROUP_SECP384R1,
  GROUP_X25519,
  SRTP_AEAD_AES_128_GCM,
  SRTP_AES128_CM_HMAC_SHA1_80,
} from "../../src/dtls/suites.js";
import { SeededRandom } from "../../src/random.js";
import { ecdsaCert, makePair, rsaCert } from "./helpers.js";

function exchange(p: ReturnType<typeof makePair>): void {
  const msgA = new TextEncoder().encode("hello from client");
  const msgB = new Uint8Array(1000).map((_, i) => i & 255);
  p.client.send(msgA);
  p.server.send(msgB);
  p.kick();
  p.net.run({ maxSteps: 10_000 });
  const gotB = p.serverEvents.filter((e) => e.type === "data").map((e) => (e.type === "data" ? e.data : undefined));
  const gotA = p.clientEvents.filter((e) => e.type === "data").map((e) => (e.type === "data" ? e.data : undefined));
  assert.deepEqual(
    gotB.map((d) => Buffer.from(d!).toString("hex")),
    [Buffer.from(msgA).toString("hex")],
  );
  assert.deepEqual(
    gotA.map((d) => Buffer.from(d!).toString("hex")),
    [Buffer.from(msgB).toString("hex")],
  );
}

test("handshake completes on a clean link and data flows both ways", () => {
  const p = makePair(1);
  assert.ok(p.handshake(), `states ${p.client.state}/${p.server.state}`);
  assert.equal(p.client.cipherSuite, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
  assert.equal(p.server.cipherSuite, p.client.cipherSuite);
  assert.equal(p.server.stats.helloVerifyRequests, 1);
  assert.equal(p.client.selectedSrtpProfile, SRTP_AEAD_AES_128_GCM);
  assert.equal(p.server.selectedSrtpProfile, SRTP_AEAD_AES_128_GCM);
  const c = p.clientEvents.find((e) => e.type === "connected");
  assert.deepEqual(c, { type: "connected", srtpProfile: SRTP_AEAD_AES_128_GCM });
  assert.deepEqual(p.client.getRemoteCertificate(), ecdsaCert(1).der);
  assert.deepEqual(p.server.getRemoteCertificate(), ecdsaCert(0).der);
  exchange(p);
  assert.equal(p.client.stats.bytesSent, p.server.stats.bytesReceived);
  assert.equal(p.server.stats.bytesSent, p.client.stats.bytesReceived);
  assert.ok(p.client.stats.bytesSent > 800, `${p.client.stats.bytesSent}`);
});

test("exporter gives the same keying material on both sides", () => {
  const p = makePair(2);
  assert.ok(p.handshake());
  const a = p.client.exportKeyingMaterial("EXTRACTOR-dtls_srtp", undefined, 60);
  const b = p.server.exportKeyingMaterial("EXTRACTOR-dtls_srtp", undefined, 60);
  assert.equal(a.length, 60);
  assert.deepEqual(a, b);
  const withCtx = p.client.exportKeyingMaterial("EXPORTER-test", new Uint8Array([1, 2]), 32);
  assert.deepEqual(withCtx, p.server.exportKeyingMaterial("EXPORTER-test", new Uint8Array([1, 2]), 32));
  assert.notDeepEqual(withCtx, p.client.exportKeyingMaterial("EXPORTER-test", undefined, 32));
});

for (const suite of CIPHER_SUITES) {
  test(`suite ${suite.name}`, () => {
    const rsa = suite.auth === "rsa";
    const p = makePair(3, {
      client: { cipherSuites: [suite.id] },
      ...(rsa ? { serverCert: rsaCert() } : {}),
    });
    assert.ok(p.handshake(), `states ${p.client.state}/${p.server.state}: ${JSON.stringify(p.clientEvents)}`);
    assert.equal(p.client.cipherSuite, suite.name);
    exchange(p);
  });
}

for (const group of [GROUP_X25519, GROUP_SECP256R1, GROUP_SECP384R1]) {
  test(`key exchange group ${group}`, () => {
    const p = makePair(4, { client: { groups: [group] } });
    assert.ok(p.handshake());
    exchange(p);
  });
}

test("RSA client certificate with an ECDSA server", () => {
  const p = makePair(5, { clientCert: rsaCert() });
  assert.ok(p.handshake(), JSON.stringify(p.serverEvents));
  exchange(p);
});

test("SRTP profile: server preference wins among the client's offer", () => {
  const p = makePair(6, {
    client: { srtpProfiles: [SRTP_AES128_CM_HMAC_SHA1_80, SRTP_AEAD_AES_128_GCM] },
    server: { srtpProfiles: [SRTP_AES128_CM_HMAC_SHA1_80] },
  });
  assert.ok(p.handshake());
  assert.equal(p.client.selectedSrtpProfileName, "SRTP_AES128_CM_HMAC_SHA1_80");
  assert.equal(p.server.selectedSrtpProfile, SRTP_AES128_CM_HMAC_SHA1_80);
});

test("close_notify closes the other side", () => {
  const p = makePair(7);
  assert.ok(p.handshake());
  p.client.close();
  p.kick();
  p.net.run({ maxSteps: 1000 });
  assert.equal(p.client.state, "closed");
  assert.equal(p.server.state, "closed");
  assert.ok(p.serverEvents.some((e) => e.type === "closed"));
});

/** Content types of the DTLS records in one datagram (RFC 6347 4.1: 13-byte headers). */
function recordTypes(d: Uint8Array): number[] {
  const out: number[] = [];
  for (let o = 0; o + 13 <= d.length; o += 13 + ((d[o + 11]! << 8) | d[o + 12]!)) out.push(d[o]!);
  return out;
}

test("the server's first application record shares the datagram of its last flight, and is not retransmitted with it", () => {
  for (const seed of [1, 2]) {
    const [cc, sc] = [ecdsaCert(0), ecdsaCert(1)];
    const client = new DtlsEndpoint({
      role: "client",
      certificate: cc,
      remoteFingerprints: sc.fingerprints(),
      random: new SeededRandom(seed),
      cookies: false,
    });
    const server = new DtlsEndpoint({
      role: "server",
      certificate: sc,
      remoteFingerprints: cc.fingerprints(),
      random: new SeededRandom(seed + 100),
      cookies: false,
    });
    server.start(0);
    client.start(0);
    let lastClientFlight: Uint8Array[] = [];
    for (let i = 0; i < 5 && server.state !== "connected"; i++) {
      lastClientFlight = [];
      for (let d = client.pollTransmit(); d; d = client.pollTransmit()) {
        lastClientFlight.push(d);
        server.handleDatagram(d, 10);
      }
      if ((server.state as string) === "connected") break;
      for (let d = server.pollTransmit(); d; d = server.pollTransmit()) client.handleDatagram(d, 10);
    }
    assert.equal(server.state, "connected", `seed ${seed}`);
    const init = new TextEncoder().encode("SCTP INIT");
    server.send(init);
    const out: Uint8Array[] = [];
    for (let d = server.pollTransmit(); d; d = server.pollTransmit()) out.push(d);
    assert.deepEqual(out.map(recordTypes), [[20, 22, 23]], `seed ${seed}: CCS, Finished and the data in one datagram`);
    client.handleDatagram(out[0]!, 11);
    assert.equal(client.state, "connected");
    const got: string[] = [];
    for (let e = client.pollEvent(); e; e = client.pollEvent())
      if (e.type === "data") got.push(Buffer.from(e.data).toString());
    assert.deepEqual(got, ["SCTP INIT"]);
    // The client's flight again (as if the server's had been lost): the server repeats its flight alone.
    for (const d of lastClientFlight) server.handleDatagram(d, 1000);
    const again: Uint8Array[] = [];
    for (let d = server.pollTransmit(); d; d = server.pollTransmit()) again.push(d);
    assert.deepEqual(again.map(recordTypes), [[20, 22]], `seed ${seed}: retransmitted flight without the data`);
    // Later data goes in datagrams of its own.
    server.send(init);
    client.send(init);
    assert.deepEqual(recordTypes(server.pollTransmit()!), [23]);
    assert.deepEqual(recordTypes(client.pollTransmit()!), [23]);
  }
});
