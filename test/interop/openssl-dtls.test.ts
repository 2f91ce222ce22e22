// Interop with OpenSSL's DTLS 1.2 (openssl s_server / s_client) over real UDP on 127.0.0.1, both
// directions: handshake with ECDSA P-256 (and RSA) certificates made by openssl on the fly, every
// suite both sides support, X25519 and P-256, use_srtp, application data byte-exact both ways,
// the RFC 5705 exporter (EXTRACTOR-dtls_srtp, 60 bytes) equal to what openssl prints, and a
// mismatched fingerprint failing the handshake.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { generateCertificate } from "../../src/dtls/certificate.js";
import { GROUP_SECP256R1, GROUP_X25519, SRTP_AES128_CM_HMAC_SHA1_80 } from "../../src/dtls/suites.js";
import { connect, createServer, type DtlsConnection } from "../../src/net/dtls-socket.js";
import { freePort, requireTool } from "./tools.js";

const OPENSSL_PATHS = ["/usr/bin/openssl", "openssl"];
const children = new Set<ChildProcess>();
let dir = "";
const ours = generateCertificate();

interface PeerCert {
  cert: string;
  key: string;
  fingerprint: string;
}
const certs: Record<"ecdsa" | "rsa" | "p384", PeerCert> = {
  ecdsa: { cert: "", key: "", fingerprint: "" },
  rsa: { cert: "", key: "", fingerprint: "" },
  p384: { cert: "", key: "", fingerprint: "" },
};

before(() => {
  dir = mkdtempSync(join(tmpdir(), "petrel-dtls-"));
});

after(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function makeCerts(openssl: string): void {
  if (certs.ecdsa.cert) return;
  for (const kind of ["ecdsa", "rsa", "p384"] as const) {
    const key = join(dir, `${kind}.key`);
    const cert = join(dir, `${kind}.pem`);
    const alg =
      kind === "rsa"
        ? ["-newkey", "rsa:2048"]
        : ["-newkey", "ec", "-pkeyopt", `ec_paramgen_curve:${kind === "ecdsa" ? "prime256v1" : "secp384r1"}`];
    execFileSync(
      openssl,
      ["req", "-x509", ...alg, "-nodes", "-keyout", key, "-out", cert, "-subj", "/CN=openssl", "-days", "2"],
      {
        stdio: "ignore",
      },
    );
    const x = new X509Certificate(readFileSync(cert));
    certs[kind] = { cert, key, fingerprint: `sha-256 ${x.fingerprint256}` };
  }
}

/** An openssl child whose stdout+stderr accumulate in `out`. */
class OpenSsl {
  out = "";
  readonly child: ChildProcess;
  constructor(openssl: string, args: string[]) {
    this.child = spawn(openssl, args, { stdio: ["pipe", "pipe", "pipe"] });
    children.add(this.child);
    this.child.stdout!.on("data", (d: Buffer) => {
      this.out += d.toString("latin1");
    });
    this.child.stderr!.on("data", (d: Buffer) => {
      this.out += d.toString("latin1");
    });
  }
  async waitFor(re: RegExp, ms = 8000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = this.out.match(re);
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`openssl output never matched ${re}:\n${this.out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  write(s: string): void {
    this.child.stdin!.write(s);
  }
  stop(): void {
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
    children.delete(this.child);
  }
}

/** openssl s_server on 127.0.0.1:port with this certificate, for one connection. */
function sServer(openssl: string, port: number, cert: PeerCert, extra: string[] = []): OpenSsl {
  const args = ["-accept", `127.0.0.1:${port}`, "-cert", cert.cert, "-key", cert.key, ...extra, "-naccept", "1"];
  return new OpenSsl(openssl, ["s_server", "-dtls1_2", ...args]);
}

/** openssl s_client connecting to 127.0.0.1:port with this certificate. */
function sClient(openssl: string, port: number, cert: PeerCert, extra: string[] = []): OpenSsl {
  return new OpenSsl(openssl, [
    "s_client",
    "-dtls1_2",
    "-connect",
    `127.0.0.1:${port}`,
    "-cert",
    cert.cert,
    "-key",
    cert.key,
    ...extra,
  ]);
}

const EXPORT_ARGS = ["-keymatexport", "EXTRACTOR-dtls_srtp", "-keymatexportlen", "60"];
const KEYING = /Keying material: ([0-9A-F]{120})/;

async function nextMessage(conn: DtlsConnection): Promise<string> {
  const [m] = (await once(conn, "message")) as [Buffer];
  return m.toString("latin1");
}

const CLIENT_CASES = [
  { suite: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", cert: "ecdsa" },
  { suite: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", cert: "ecdsa" },
  { suite: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", cert: "ecdsa" },
  { suite: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", cert: "rsa" },
  { suite: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", cert: "rsa" },
  { suite: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", cert: "rsa" },
] as const;

for (const c of CLIENT_CASES) {
  test(`Petrel client -> openssl s_server: ${c.suite}`, { timeout: 20_000 }, async (t) => {
    const openssl = requireTool(t, "openssl", OPENSSL_PATHS);
    if (!openssl) return;
    makeCerts(openssl);
    const peer = certs[c.cert];
    const port = await freePort();
    const srv = sServer(openssl, port, peer, ["-verify", "1", "-use_srtp", "SRTP_AES128_CM_SHA1_80", ...EXPORT_ARGS]);
    try {
      await srv.waitFor(/ACCEPT/);
      const conn = connect({
        host: "127.0.0.1",
        port,
        certificate: ours,
        remoteFingerprint: peer.fingerprint,
        cipherSuites: [c.suite],
        retransmitTimeout: 200,
      });
      await once(conn, "connect");
      assert.equal(conn.cipherSuite, c.suite);
      assert.equal(conn.srtpProfile, "SRTP_AES128_CM_HMAC_SHA1_80");
      const [, theirs] = await srv.waitFor(KEYING);
      assert.equal(conn.exportKeyingMaterial(60, "EXTRACTOR-dtls_srtp").toString("hex").toUpperCase(), theirs);
      await srv.waitFor(/SRTP Extension negotiated, profile=SRTP_AES128_CM_SHA1_80/);
      const payload = `petrel->openssl ${c.suite} \u00e9\u00ff`;
      conn.send(Buffer.from(`${payload}\n`, "latin1"));
      await srv.waitFor(new RegExp(payload));
      const got = nextMessage(conn);
      srv.write("openssl->petrel 0123456789\n");
      assert.equal(await got, "openssl->petrel 0123456789\n");
      conn.close();
      await once(conn, "close");
    } finally {
      srv.stop();
    }
  });
}

for (const group of [GROUP_X25519, GROUP_SECP256R1]) {
  test(`Petrel client offers only group ${group}: openssl agrees`, { timeout: 20_000 }, async (t) => {
    const openssl = requireTool(t, "openssl", OPENSSL_PATHS);
    if (!openssl) return;
    makeCerts(openssl);
    // With only x25519 offered, an ECDSA P-256 certificate is unusable in TLS 1.2 (RFC 8422 5.1.1
    // ties the certificate's curve to supported_groups, and openssl enforces it): use RSA there.
    const kind = group === GROUP_X25519 ? certs.rsa : certs.ecdsa;
    const port = await freePort();
    const srv = sServer(openssl, port, kind);
    try {
      await srv.waitFor(/ACCEPT/);
      const { DtlsEndpoint } = await import("../../src/dtls/endpoint.js");
      // Drive a core directly over a socket to pick the group.
      const sock = createSocket("udp4");
      await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
      const ep = new DtlsEndpoint({
        role: "client",
        certificate: ours,
        remoteFingerprints: [{ algorithm: "sha-256", value: kind.fingerprint.split(" ")[1]! }],
        groups: [group],
      });
      const flush = (): void => {
        for (let d = ep.pollTransmit(); d; d = ep.pollTransmit()) sock.send(d, port, "127.0.0.1");
      };
      const connected = new Promise<void>((resolve, reject) => {
        sock.on("message", (m) => {
          ep.handleDatagram(m, performance.now());
          flush();
          for (let e = ep.pollEvent(); e; e = ep.pollEvent()) {
            if (e.type === "connected") resolve();
            if (e.type === "failed") reject(new Error(e.reason));
          }
        });
      });
      ep.start(performance.now());
      flush();
      await connected;
      const name = group === GROUP_X25519 ? /X25519/i : /(P-256|prime256v1|secp256r1)/i;
      ep.close();
      flush();
      sock.close();
      await srv.waitFor(/CIPHER is/);
      assert.match(srv.out, /Shared groups: .*/);
      assert.ok(name.test(srv.out.match(/Supported groups: (.*)/)?.[1] ?? ""), srv.out);
    } finally {
      srv.stop();
    }
  });
}

const SERVER_CASES = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-RSA-CHACHA20-POLY1305",
];
let ourRsa: ReturnType<typeof generateCertificate> | undefined;

for (const cipher of SERVER_CASES) {
  test(`openssl s_client -> Petrel server: ${cipher}`, { timeout: 20_000 }, async (t) => {
    const openssl = requireTool(t, "openssl", OPENSSL_PATHS);
    if (!openssl) return;
    makeCerts(openssl);
    if (cipher.includes("RSA")) ourRsa ??= generateCertificate({ keyType: "rsa" });
    const server = createServer({
      certificate: cipher.includes("RSA") ? ourRsa! : ours,
      remoteFingerprint: certs.ecdsa.fingerprint,
      srtpProfiles: [SRTP_AES128_CM_HMAC_SHA1_80],
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = server.address().port;
    const connP = once(server, "connection") as Promise<[DtlsConnection]>;
    const cli = sClient(openssl, port, certs.ecdsa, [
      "-cipher",
      cipher,
      "-use_srtp",
      "SRTP_AES128_CM_SHA1_80",
      ...EXPORT_ARGS,
    ]);
    try {
      const [conn] = await connP;
      const [, theirs] = await cli.waitFor(KEYING);
      assert.equal(conn.exportKeyingMaterial(60, "EXTRACTOR-dtls_srtp").toString("hex").toUpperCase(), theirs);
      assert.equal(conn.srtpProfile, "SRTP_AES128_CM_HMAC_SHA1_80");
      await cli.waitFor(new RegExp(`Cipher is ${cipher}`));
      const got = nextMessage(conn);
      cli.write("openssl->petrel server\n");
      assert.equal(await got, "openssl->petrel server\n");
      conn.send("petrel server->openssl\n");
      await cli.waitFor(/petrel server->openssl/);
    } finally {
      cli.stop();
      await new Promise<void>((r) => server.close(r));
    }
  });
}

test("a mismatched fingerprint for openssl's certificate fails the handshake", { timeout: 20_000 }, async (t) => {
  const openssl = requireTool(t, "openssl", OPENSSL_PATHS);
  if (!openssl) return;
  makeCerts(openssl);
  const port = await freePort();
  const srv = sServer(openssl, port, certs.ecdsa);
  try {
    await srv.waitFor(/ACCEPT/);
    const conn = connect({ host: "127.0.0.1", port, certificate: ours, remoteFingerprint: certs.rsa.fingerprint });
    const [err] = (await once(conn, "error")) as [Error & { alert?: number }];
    assert.match(err.message, /fingerprint/);
    assert.equal(conn.state, "failed");
    assert.doesNotMatch(srv.out, /CIPHER is/, "openssl must not complete the handshake");
  } finally {
    srv.stop();
  }
});

test("openssl s_client with a certificate we do not expect is refused by the Petrel server", {
  timeout: 20_000,
}, async (t) => {
  const openssl = requireTool(t, "openssl", OPENSSL_PATHS);
  if (!openssl) return;
  makeCerts(openssl);
  const server = createServer({ certificate: ours, remoteFingerprint: certs.rsa.fingerprint });
  let connections = 0;
  const clientErrors: Error[] = [];
  server.on("connection", () => connections++);
  server.on("clientError", (err: Error) => clientErrors.push(err));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const cli = sClient(openssl, server.address().port, certs.ecdsa);
  try {
    await cli.waitFor(/alert bad certificate|bad certificate/i);
    assert.equal(connections, 0);
    assert.match(clientErrors[0]?.message ?? "", /fingerprint/);
  } finally {
    cli.stop();
    await new Promise<void>((r) => server.close(r));
  }
});

test("small MTUs both ways: our 300-byte fragments reassembled by openssl, openssl's by us", {
  timeout: 20_000,
}, async (t) => {
  const openssl = requireTool(t, "openssl", OPENSSL_PATHS);
  if (!openssl) return;
  makeCerts(openssl);
  const port = await freePort();
  const srv = sServer(openssl, port, certs.rsa, ["-verify", "1", "-mtu", "300", ...EXPORT_ARGS]);
  try {
    await srv.waitFor(/ACCEPT/);
    const conn = connect({
      host: "127.0.0.1",
      port,
      certificate: ourRsa ?? (ourRsa = generateCertificate({ keyType: "rsa" })),
      remoteFingerprint: certs.rsa.fingerprint,
      mtu: 300,
      retransmitTimeout: 200,
    });
    await once(conn, "connect");
    const [, theirs] = await srv.waitFor(KEYING);
    assert.equal(conn.exportKeyingMaterial(60, "EXTRACTOR-dtls_srtp").toString("hex").toUpperCase(), theirs);
    assert.ok(conn.endpoint.stats.datagramsSent >= 6, "our RSA certificate flight was fragmented");
    const got = nextMessage(conn);
    srv.write("small mtu\n");
    assert.equal(await got, "small mtu\n");
    conn.close();
  } finally {
    srv.stop();
  }
});

test("openssl with an ECDSA P-384 certificate, both directions", { timeout: 20_000 }, async (t) => {
  const openssl = requireTool(t, "openssl", OPENSSL_PATHS);
  if (!openssl) return;
  makeCerts(openssl);
  // openssl as server, Petrel as client.
  const port = await freePort();
  const srv = sServer(openssl, port, certs.p384, EXPORT_ARGS);
  try {
    await srv.waitFor(/ACCEPT/);
    const conn = connect({ host: "127.0.0.1", port, certificate: ours, remoteFingerprint: certs.p384.fingerprint });
    await once(conn, "connect");
    const [, theirs] = await srv.waitFor(KEYING);
    assert.equal(conn.exportKeyingMaterial(60, "EXTRACTOR-dtls_srtp").toString("hex").toUpperCase(), theirs);
    conn.close();
  } finally {
    srv.stop();
  }
  // openssl as client presenting the P-384 certificate, Petrel as server.
  const server = createServer({ certificate: ours, remoteFingerprint: certs.p384.fingerprint });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const connP = once(server, "connection") as Promise<[DtlsConnection]>;
  const cli = sClient(openssl, server.address().port, certs.p384, EXPORT_ARGS);
  try {
    const [conn] = await connP;
    const [, theirs] = await cli.waitFor(KEYING);
    assert.equal(conn.exportKeyingMaterial(60, "EXTRACTOR-dtls_srtp").toString("hex").toUpperCase(), theirs);
  } finally {
    cli.stop();
    await new Promise<void>((r) => server.close(r));
  }
});
