// The Node API for DTLS alone (src/net/dtls-socket.ts) on 127.0.0.1: Petrel client to Petrel
// server with fingerprints, a verify() callback, rejectUnauthorized: false, a refused certificate
// reported as the server's 'clientError', several clients on one server, close both ways.
import assert from "node:assert/strict";
import { once } from "node:events";
import { test } from "node:test";
import { connect, createServer, type DtlsConnection, type DtlsServer } from "../../src/dtls/index.js";
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
