// DTLS client/server pairs on the network simulator: clean handshakes, every suite, both groups,
// ECDSA and RSA certificates, application data both ways, exporter, SRTP profile, close_notify.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CIPHER_SUITES,
  GROUP_SECP256R1,
  GROUP_SECP384R1,
  GROUP_X25519,
  SRTP_AEAD_AES_128_GCM,
  SRTP_AES128_CM_HMAC_SHA1_80,
} from "../../src/dtls/suites.js";
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
