// Starting a real coturn (`turnserver`) on loopback for interop tests: a generated minimal config
// (UDP only on 127.0.0.1, no TLS/DTLS/TCP, no CLI, a private SQLite user db, a long-term user for
// TURN tests), readiness by STUN Binding, and a stop() that always kills it. Used by
// coturn.test.ts and reusable by TURN/ICE interop tests.
import { type ChildProcess, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Attr, parseStun, StunBuilder, StunClass, StunMethod } from "../../src/stun/index.js";
import { freePort } from "./tools.js";

export interface Coturn {
  /** The STUN/TURN UDP port on 127.0.0.1. */
  port: number;
  /** Long-term credentials accepted for TURN. */
  username: string;
  password: string;
  realm: string;
  /** The server's log so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

/** Sends Binding requests to 127.0.0.1:port until one is answered (or `timeoutMs` passes). */
export async function waitForStun(port: number, timeoutMs: number): Promise<boolean> {
  const s = createSocket("udp4");
  s.bind(0, "127.0.0.1");
  await once(s, "listening");
  try {
    const deadline = Date.now() + timeoutMs;
    let answered = false;
    s.on("message", (m) => {
      const p = parseStun(m);
      if (p.ok && p.msg.cls === StunClass.SuccessResponse && p.msg.has(Attr.XorMappedAddress)) answered = true;
    });
    while (!answered && Date.now() < deadline) {
      const req = new StunBuilder(StunMethod.Binding, StunClass.Request, new Uint8Array(12).fill(7)).finish({
        fingerprint: true,
      });
      s.send(req, port, "127.0.0.1");
      await new Promise((r) => setTimeout(r, 100));
    }
    return answered;
  } finally {
    s.close();
  }
}

/** Starts turnserver at `path` on a free loopback port; rejects (after killing it) if it never answers. */
export async function startCoturn(path: string): Promise<Coturn> {
  const dir = mkdtempSync(join(tmpdir(), "petrel-coturn-"));
  const port = await freePort();
  const relayBase = 40000 + Math.floor(Math.random() * 20000);
  const username = "petrel";
  const password = "petrel-secret";
  const realm = "petrel.test";
  const logFile = join(dir, "turn.log");
  const config = [
    "listening-ip=127.0.0.1",
    `listening-port=${port}`,
    "relay-ip=127.0.0.1",
    `min-port=${relayBase}`,
    `max-port=${relayBase + 200}`,
    "no-tcp",
    "no-tls",
    "no-dtls",
    "no-cli",
    "no-rfc5780",
    "fingerprint",
    "lt-cred-mech",
    `user=${username}:${password}`,
    `realm=${realm}`,
    "allow-loopback-peers",
    `userdb=${join(dir, "turndb")}`,
    `pidfile=${join(dir, "turn.pid")}`,
    `log-file=${logFile}`,
    "simple-log",
    "no-stdout-log",
    "",
  ].join("\n");
  const confPath = join(dir, "turnserver.conf");
  writeFileSync(confPath, config);
  const child: ChildProcess = spawn(path, ["-c", confPath], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    if (stderr.length < 20_000) stderr += d.toString();
  });
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  const log = (): string => {
    let text = "";
    try {
      text = readFileSync(logFile, "utf8");
    } catch {
      // no log yet
    }
    return `${text}\n${stderr}`.slice(-4000);
  };
  const stop = async (): Promise<void> => {
    if (!exited) {
      const gone = once(child, "exit");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 2000);
      await gone;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const ready = await waitForStun(port, 8000);
  if (!ready || exited) {
    const text = log();
    await stop();
    throw new Error(`turnserver did not answer STUN on 127.0.0.1:${port}\n${text}`);
  }
  return { port, username, password, realm, log, stop };
}
