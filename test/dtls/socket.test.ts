// The Node API for DTLS alone (src/net/dtls-socket.ts) on 127.0.0.1: Petrel client to Petrel
// server with fingerprints, a verify() callback, rejectUnauthorized: false, a refused certificate
// reported as the server's 'clientError', several clients on one server, close both ways.
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { performance } from "node:perf_hooks";
import { test } from "node:test";
import { connect, createServer, type DtlsConnection, DtlsEndpoint, type DtlsServer } from "../../src/dtls/index.js";
import { ecdsaCert } from "./helpers.js";

async function listen(server: DtlsServer): Promise<number> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return server.address().port;
}

const fp = (i: number): string => `sha-256 ${ecdsaCert(i).fingerprints()[0]!.value}`;

test("connect() to createServer(): data both ways, exporter equal, close reaches the server", {
  timeout: 10_000,
}, async () => {
  const serverConns: DtlsConnection[] = [];
  const server = createServer({ certificate: ecdsaCert(1), remoteFingerprint: fp(0) }, (c) => {
    serverConns.push(c);
    c.on("message", (m: Buffer) => c.send(Buffer.concat([Buffer.from("echo:"), m])));
  });
  const port = await listen(server);
  const conn = connect({ host: "127.0.0.1", port, certificate: ecdsaCert(0), remoteFingerprint: fp(1) });
  await once(conn, "connect");
  assert.equal(conn.cipherSuite, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
  assert.equal(conn.srtpProfile, "SRTP_AEAD_AES_128_GCM");
  assert.deepEqual(conn.remoteCertificate, ecdsaCert(1).der);
  const reply = once(conn, "message");
  conn.send("ping");
  assert.equal(((await reply) as [Buffer])[0].toString(), "echo:ping");
  assert.equal(serverConns.length, 1);
  assert.deepEqual(
    conn.exportKeyingMaterial(60, "EXTRACTOR-dtls_srtp"),
    serverConns[0]!.exportKeyingMaterial(60, "EXTRACTOR-dtls_srtp"),
  );
  const serverClosed = once(serverConns[0]!, "close");
  conn.close();
  await once(conn, "close");
  await serverClosed;
  await new Promise<void>((r) => server.close(r));
});

test("verify() and rejectUnauthorized: false; a refused client is a 'clientError'", { timeout: 10_000 }, async () => {
  const seen: Uint8Array[] = [];
  const server = createServer({
    certificate: ecdsaCert(1),
    verify: (der) => {
      seen.push(der);
      return Buffer.from(der).equals(Buffer.from(ecdsaCert(0).der));
    },
  });
  const clientErrors: Error[] = [];
  server.on("clientError", (e: Error) => clientErrors.push(e));
  const port = await listen(server);
  const good = connect({ host: "127.0.0.1", port, certificate: ecdsaCert(0), rejectUnauthorized: false });
  await once(good, "connect");
  assert.equal(seen.length, 1);
  const bad = connect({ host: "127.0.0.1", port, certificate: ecdsaCert(2), rejectUnauthorized: false });
  const [err] = (await once(bad, "error")) as [Error & { alert?: number }];
  assert.match(err.message, /bad_certificate/);
  assert.equal(err.alert, 42);
  assert.equal(clientErrors.length, 1);
  assert.match(clientErrors[0]!.message, /verify/);
  // Without fingerprint, verify() or rejectUnauthorized: false the client refuses the server.
  const strict = connect({ host: "127.0.0.1", port, certificate: ecdsaCert(0) });
  const [err2] = (await once(strict, "error")) as [Error];
  assert.match(err2.message, /no fingerprint or verify/);
  good.close();
  await new Promise<void>((r) => server.close(r));
});

test("one server, several clients at once, each its own connection", { timeout: 10_000 }, async () => {
  const server = createServer({ certificate: ecdsaCert(1), rejectUnauthorized: false }, (c) => {
    c.on("message", (m: Buffer) => c.send(m));
  });
  const port = await listen(server);
  const clients = [0, 1, 2, 3].map((i) =>
    connect({ host: "127.0.0.1", port, certificate: ecdsaCert(i % 3), remoteFingerprint: fp(1) }),
  );
  await Promise.all(clients.map((c) => once(c, "connect")));
  const replies = await Promise.all(
    clients.map((c, i) => {
      const p = once(c, "message");
      c.send(`client ${i}`);
      return p.then(([m]) => (m as Buffer).toString());
    }),
  );
  assert.deepEqual(replies, ["client 0", "client 1", "client 2", "client 3"]);
  for (const c of clients) c.close();
  await new Promise<void>((r) => server.close(r));
});

test("connect() resolves a host name", { timeout: 10_000 }, async () => {
  const server = createServer({ certificate: ecdsaCert(1), rejectUnauthorized: false });
  const port = await listen(server);
  const conn = connect({ host: "localhost", port, certificate: ecdsaCert(0), remoteFingerprint: fp(1) });
  await once(conn, "connect");
  assert.equal(conn.remoteAddress, "127.0.0.1");
  conn.close();
  await new Promise<void>((r) => server.close(r));
});

test("a client that restarts on the same port replaces its old association (RFC 6347 4.2.8)", {
  timeout: 10_000,
}, async (t) => {
  const conns: DtlsConnection[] = [];
  const server = createServer({ certificate: ecdsaCert(1), rejectUnauthorized: false }, (c) => {
    conns.push(c);
    c.on("message", (m: Buffer) => c.send(m));
  });
  const port = await listen(server);
  // First client: a bare endpoint on a socket we drop without close_notify (a crash).
  const sock = createSocket("udp4");
  // A failed assertion must not leave sockets that keep the test process alive.
  t.after(() => {
    server.close();
    try {
      sock.close();
    } catch {
      // closed by the test already
    }
  });
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
  const localPort = sock.address().port;
  const ep = new DtlsEndpoint({
    role: "client",
    certificate: ecdsaCert(0),
    remoteFingerprints: ecdsaCert(1).fingerprints(),
  });
  const flush = (): void => {
    for (let d = ep.pollTransmit(); d; d = ep.pollTransmit()) sock.send(d, port, "127.0.0.1");
  };
  sock.on("message", (m) => {
    ep.handleDatagram(m, performance.now());
    flush();
  });
  ep.start(performance.now());
  flush();
  // The server has its connection once the client's Finished arrived; the client is connected once
  // the server's Finished arrives after that: wait for both (under load they are apart).
  for (let i = 0; i < 500 && (conns.length === 0 || ep.state !== "connected"); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(ep.state, "connected");
  assert.equal(conns.length, 1);
  const oldClosed = once(conns[0]!, "close");
  await new Promise<void>((r) => sock.close(r));
  // Second client from the same address and port.
  const conn = connect({ host: "127.0.0.1", port, localPort, certificate: ecdsaCert(2), remoteFingerprint: fp(1) });
  await once(conn, "connect");
  await oldClosed;
  const reply = once(conn, "message");
  conn.send("new life");
  assert.equal(((await reply) as [Buffer])[0].toString(), "new life");
  assert.equal(conns.length, 2);
  conn.close();
  await new Promise<void>((r) => server.close(r));
});

test("a core that throws fails only its own connection", { timeout: 10_000 }, async () => {
  const server = createServer({ certificate: ecdsaCert(1), rejectUnauthorized: false }, (c) => {
    c.on("message", (m: Buffer) => c.send(m));
  });
  const port = await listen(server);
  const a = connect({ host: "127.0.0.1", port, certificate: ecdsaCert(0), remoteFingerprint: fp(1) });
  const b = connect({ host: "127.0.0.1", port, certificate: ecdsaCert(2), remoteFingerprint: fp(1) });
  await Promise.all([once(a, "connect"), once(b, "connect")]);
  a.endpoint.handleDatagram = () => {
    throw new Error("broken invariant");
  };
  const failed = once(a, "error");
  a.send("boom");
  const [err] = (await failed) as [Error & { code?: string }];
  assert.equal(err.code, "DTLS_INTERNAL");
  const reply = once(b, "message");
  b.send("still fine");
  assert.equal(((await reply) as [Buffer])[0].toString(), "still fine");
  b.close();
  await new Promise<void>((r) => server.close(r));
});
