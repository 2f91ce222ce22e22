// DTLS pairs under hostile networks and inputs: loss, reordering, duplication and a small MTU
// (several seeds); wrong fingerprints; fingerprints that arrive late; replayed, truncated and
// garbage records (dropped and counted, never thrown); a ClientHello flood leaving no state.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DtlsEndpoint, type DtlsEvent } from "../../src/dtls/endpoint.js";
import { buildMessage, HT_CLIENT_HELLO } from "../../src/dtls/messages.js";
import { CONTENT_ALERT, CONTENT_HANDSHAKE } from "../../src/dtls/record.js";
import { SeededRandom } from "../../src/random.js";
import { ecdsaCert, makePair, SEEDS } from "./helpers.js";

function collectData(events: DtlsEvent[]): string[] {
  return events.flatMap((e) => (e.type === "data" ? [Buffer.from(e.data).toString()] : []));
}

test("handshake completes under 30% loss, reordering and duplication", () => {
  for (const seed of SEEDS) {
    const p = makePair(seed, {
      link: { latency: 20, jitter: 15, loss: 0.3, duplicate: 0.1, reorder: 0.2, reorderDelay: 40 },
      client: { retransmitTimeout: 100, maxRetransmits: 12 },
      server: { retransmitTimeout: 100, maxRetransmits: 12 },
    });
    assert.ok(
      p.handshake(),
      `seed ${seed}: client ${p.client.state} server ${p.server.state} ${JSON.stringify(p.clientEvents.concat(p.serverEvents).filter((e) => e.type === "failed"))}`,
    );
    assert.ok(p.client.stats.retransmissions + p.server.stats.retransmissions > 0, `seed ${seed}: no retransmission`);
    assert.deepEqual(
      p.client.exportKeyingMaterial("EXTRACTOR-dtls_srtp", undefined, 60),
      p.server.exportKeyingMaterial("EXTRACTOR-dtls_srtp", undefined, 60),
      `seed ${seed}`,
    );
  }
});

test("handshake completes with a 500-byte MTU: flights fragmented, reassembled", () => {
  for (const seed of SEEDS.slice(0, 3)) {
    const p = makePair(seed, {
      link: { latency: 5, mtu: 500, loss: 0.1 },
      client: { mtu: 500, retransmitTimeout: 100 },
      server: { mtu: 500, retransmitTimeout: 100 },
      serverCert: ecdsaCert(2),
    });
    assert.ok(p.handshake(), `seed ${seed}: ${p.client.state}/${p.server.state}`);
    assert.equal(p.net.stats.tooBig, 0, `seed ${seed}: a datagram exceeded the MTU`);
    p.client.send(new Uint8Array(500 - 13 - 24));
    assert.throws(() => p.client.send(new Uint8Array(500 - 13 - 24 + 1)), { code: "MESSAGE_TOO_LARGE" });
  }
});

test("a wrong fingerprint fails both sides with bad_certificate", () => {
  for (const seed of SEEDS.slice(0, 3)) {
    const p = makePair(seed, { client: { remoteFingerprints: ecdsaCert(2).fingerprints() } });
    p.handshake();
    p.net.run({ maxSteps: 10_000 });
    assert.equal(p.client.state, "failed", `seed ${seed}`);
    assert.equal(p.server.state, "failed", `seed ${seed}`);
    const cf = p.clientEvents.find((e) => e.type === "failed");
    const sf = p.serverEvents.find((e) => e.type === "failed");
    assert.match((cf as { reason: string }).reason, /fingerprint/);
    assert.equal((sf as { alert?: number }).alert, 42, `seed ${seed}: server saw ${JSON.stringify(sf)}`);
  }
});

test("server checks the client's fingerprint too", () => {
  const p = makePair(11, { server: { remoteFingerprints: [{ algorithm: "sha-256", value: "00:11" }] } });
  p.handshake();
  p.net.run({ maxSteps: 10_000 });
  assert.equal(p.server.state, "failed");
  assert.equal(p.client.state, "failed");
});

test("fingerprints set after the certificate arrived: connected only once verified", () => {
  const p = makePair(12, { client: { remoteFingerprints: undefined }, server: { remoteFingerprints: undefined } });
  p.net.run({ maxSteps: 10_000 });
  assert.equal(p.client.state, "connecting");
  assert.equal(p.server.state, "connecting");
  assert.ok(p.clientEvents.some((e) => e.type === "peerCertificate"));
  p.server.setRemoteFingerprints(ecdsaCert(0).fingerprints());
  p.kick();
  assert.equal(p.server.state, "connected");
  // Data from the server reaches the client before the client knows the fingerprint: held back.
  p.server.send(new TextEncoder().encode("early"));
  p.kick();
  p.net.run({ maxSteps: 1000 });
  assert.deepEqual(collectData(p.clientEvents), []);
  assert.throws(() => p.client.exportKeyingMaterial("EXTRACTOR-dtls_srtp", undefined, 60), {
    code: "EXPORTER_UNAVAILABLE",
  });
  p.client.setRemoteFingerprints([
    { algorithm: "SHA-256", value: ecdsaCert(1).fingerprints()[0]!.value.toLowerCase() },
  ]);
  p.kick();
  assert.equal(p.client.state, "connected");
  assert.deepEqual(collectData(p.clientEvents), ["early"]);
});

test("sha-1, sha-384 and sha-512 fingerprints verify", async () => {
  const { fingerprint } = await import("../../src/dtls/fingerprint.js");
  for (const alg of ["sha-1", "sha-384", "sha-512"]) {
    const p = makePair(13, { client: { remoteFingerprints: [fingerprint(ecdsaCert(1).der, alg)] } });
    assert.ok(p.handshake(), alg);
  }
});

test("replayed, truncated, tampered and garbage records are dropped and counted", () => {
  const p = makePair(14);
  assert.ok(p.handshake());
  // Capture a real application record from the client.
  p.client.send(new TextEncoder().encode("once"));
  const rec = p.client.pollTransmit()!;
  p.client.send(new TextEncoder().encode("never"));
  const tampered = Uint8Array.from(p.client.pollTransmit()!);
  const now = p.net.now;
  p.server.handleDatagram(rec, now);
  p.server.handleDatagram(rec, now); // replay
  tampered[tampered.length - 1]! ^= 1;
  p.server.handleDatagram(tampered, now);
  p.server.handleDatagram(rec.subarray(0, rec.length - 5), now); // truncated
  p.server.handleDatagram(new Uint8Array([0x17, 0xfe, 0xfd, 0, 1, 0, 0]), now); // short header
  p.server.handleDatagram(new Uint8Array([0x63, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0, 0]), now); // bad version
  const rand = new SeededRandom(99);
  for (let i = 0; i < 300; i++) p.server.handleDatagram(rand.bytes(1 + rand.int(200)), now);
  const events: string[] = [];
  for (let e = p.server.pollEvent(); e; e = p.server.pollEvent())
    if (e.type === "data") events.push(Buffer.from(e.data).toString());
  assert.deepEqual(events, ["once"]);
  const d = p.server.stats.dropped;
  assert.equal(d.replay, 1);
  assert.ok(d.badMac >= 1, JSON.stringify(d));
  assert.ok(d.garbage >= 2, JSON.stringify(d));
  assert.equal(p.server.state, "connected");
  // Old records stay out of the window but new ones pass after many have gone by.
  for (let i = 0; i < 100; i++) p.client.send(Uint8Array.of(i));
  const later: Uint8Array[] = [];
  for (let x = p.client.pollTransmit(); x; x = p.client.pollTransmit()) later.push(x);
  for (const x of later.reverse()) p.server.handleDatagram(x, now); // newest first: the oldest 36 fall out of the 64 window
  let n = 0;
  for (let e = p.server.pollEvent(); e; e = p.server.pollEvent()) if (e.type === "data") n++;
  assert.equal(n, 64);
});

test("random bytes never throw at any stage of the handshake", () => {
  for (const seed of SEEDS) {
    const rand = new SeededRandom(seed);
    const p = makePair(seed);
    for (let step = 0; step < 40; step++) {
      p.net.run({ untilTime: p.net.now + 7 });
      const junk = rand.bytes(rand.int(300));
      if (junk.length > 13 && rand.float() < 0.5) {
        junk[0] = 22;
        junk[1] = 0xfe;
        junk[2] = 0xfd;
        junk[3] = 0;
        junk[4] = rand.int(2);
      }
      p.client.handleDatagram(junk, p.net.now);
      p.server.handleDatagram(junk, p.net.now);
      p.kick();
    }
    // The junk was dropped and counted, and did not stop the handshake.
    const dropped = (s: { dropped: Record<string, number> }): number =>
      Object.values(s.dropped).reduce((a, b) => a + b, 0);
    assert.ok(dropped(p.client.stats) > 0 && dropped(p.server.stats) > 0, `seed ${seed}: nothing counted as dropped`);
    assert.ok(p.handshake(), `seed ${seed}: ${p.client.state}/${p.server.state}`);
  }
});

test("a ClientHello flood without cookies leaves the server with no per-peer state", () => {
  const server = new DtlsEndpoint({ role: "server", certificate: ecdsaCert(1), random: new SeededRandom(5) });
  server.start(0);
  let hvr = 0;
  for (let i = 0; i < 500; i++) {
    const client = new DtlsEndpoint({ role: "client", certificate: ecdsaCert(0), random: new SeededRandom(1000 + i) });
    client.start(0);
    server.handleDatagram(client.pollTransmit()!, i);
    for (let d = server.pollTransmit(); d; d = server.pollTransmit()) {
      hvr++;
      assert.equal(d[13], 3, "HelloVerifyRequest");
    }
  }
  assert.equal(hvr, 500);
  assert.equal(server.stats.helloVerifyRequests, 500);
  assert.equal(server.hasHandshakeState, false);
  assert.equal(server.nextTimeout(), undefined);
});

test("cookies off: the server answers the first ClientHello with its flight (Firefox-style)", () => {
  const p = makePair(15, { server: { cookies: false } });
  assert.ok(p.handshake());
  assert.equal(p.server.stats.helloVerifyRequests, 0);
});

test("handshake gives up after the retransmissions when the peer is gone", () => {
  const client = new DtlsEndpoint({
    role: "client",
    certificate: ecdsaCert(0),
    random: new SeededRandom(1),
    retransmitTimeout: 100,
    maxRetransmits: 3,
  });
  client.start(0);
  const sent: number[] = [];
  let t = 0;
  for (let i = 0; i < 10 && client.state === "connecting"; i++) {
    while (client.pollTransmit()) sent.push(t);
    t = client.nextTimeout()!;
    client.handleTimeout(t);
  }
  assert.equal(client.state, "failed");
  assert.deepEqual(sent, [0, 100, 300, 700]); // 100, then doubling (RFC 6347 4.2.4.1)
});

test("renegotiation is refused with a no_renegotiation warning; the connection stays up", () => {
  const p = makePair(16);
  assert.ok(p.handshake());
  // A new ClientHello inside the established connection (epoch 1, next message_seq).
  const hello = buildMessage(HT_CLIENT_HELLO, 6, new Uint8Array(40)); // after ClientHello 1 .. Finished 5
  p.server.handleDatagram(p.client.sealRecord(CONTENT_HANDSHAKE, 1, hello), p.net.now);
  const out = p.server.pollTransmit();
  assert.ok(out, "server answers");
  assert.equal(out[0], CONTENT_ALERT);
  p.client.handleDatagram(out, p.net.now);
  assert.equal(p.server.state, "connected");
  assert.equal(p.client.state, "connected");
  p.client.send(new TextEncoder().encode("still here"));
  p.kick();
  p.net.run({ maxSteps: 1000 });
  assert.deepEqual(collectData(p.serverEvents), ["still here"]);
});

test("client flight 5 delivered in reverse order (Finished before ClientKeyExchange) completes without retransmission", () => {
  const mk = (role: "client" | "server", i: number, fpOf: number): DtlsEndpoint =>
    new DtlsEndpoint({
      role,
      certificate: ecdsaCert(i),
      remoteFingerprints: ecdsaCert(fpOf).fingerprints(),
      random: new SeededRandom(40 + i),
      mtu: 250,
    });
  const client = mk("client", 0, 1);
  const server = mk("server", 1, 0);
  server.start(0);
  client.start(0);
  const drain = (e: DtlsEndpoint): Uint8Array[] => {
    const out: Uint8Array[] = [];
    for (let d = e.pollTransmit(); d; d = e.pollTransmit()) out.push(d);
    return out;
  };
  for (let round = 0; round < 2; round++) {
    for (const d of drain(client)) server.handleDatagram(d, 1);
    for (const d of drain(server)) client.handleDatagram(d, 1);
  }
  // Now the client has sent flight 5 (in several datagrams at this MTU): deliver it backwards.
  const flight5 = drain(client);
  assert.ok(flight5.length >= 3, `flight 5 in ${flight5.length} datagrams`);
  for (const d of flight5.reverse()) server.handleDatagram(d, 2);
  assert.equal(server.state, "connected");
  for (const d of drain(server)) client.handleDatagram(d, 3);
  assert.equal(client.state, "connected");
  assert.equal(client.stats.retransmissions + server.stats.retransmissions, 0);
});

test("server: a ClientHello before start() is answered; start() afterwards is harmless", () => {
  const p = makePair(17, { server: { cookies: false } });
  // makePair started both; make a fresh server that is not started.
  const server = new DtlsEndpoint({
    role: "server",
    certificate: ecdsaCert(1),
    remoteFingerprints: ecdsaCert(0).fingerprints(),
    random: new SeededRandom(3),
    cookies: false,
  });
  const client = new DtlsEndpoint({
    role: "client",
    certificate: ecdsaCert(0),
    remoteFingerprints: ecdsaCert(1).fingerprints(),
    random: new SeededRandom(4),
  });
  client.start(0);
  server.handleDatagram(client.pollTransmit()!, 1);
  assert.equal(server.state, "connecting");
  assert.ok(server.pollTransmit(), "flight 4 sent");
  server.start(2);
  assert.equal(server.state, "connecting");
  assert.throws(() => client.start(3), { code: "INVALID_STATE" });
  assert.ok(p.handshake());
});

test("bit flips and truncation of real handshake datagrams never throw", () => {
  // Seed 1002 once reached a certificate whose SPKI node:crypto refused to decode (a throw).
  for (let seed = 1000; seed < 1030; seed++) {
    const rand = new SeededRandom(seed);
    const mutate = (core: DtlsEndpoint): void => {
      const inner = core.handleDatagram.bind(core);
      core.handleDatagram = (data: Uint8Array, now: number): void => {
        let d = data;
        if (rand.float() < 0.3) {
          d = Uint8Array.from(data);
          const flips = 1 + rand.int(3);
          for (let i = 0; i < flips; i++) d[rand.int(d.length)]! ^= 1 << rand.int(8);
          if (rand.float() < 0.3) d = d.subarray(0, rand.int(d.length));
        }
        inner(d, now);
      };
    };
    const p = makePair(seed, {
      client: { retransmitTimeout: 50, maxRetransmits: 8, mtu: 300 + (seed % 900) },
      server: { retransmitTimeout: 50, maxRetransmits: 8, cookies: seed % 2 === 0 },
    });
    mutate(p.client);
    mutate(p.server);
    p.handshake(60_000);
    const legal = ["connecting", "connected", "failed", "closed"];
    assert.ok(legal.includes(p.client.state) && legal.includes(p.server.state), `seed ${seed}`);
  }
});
