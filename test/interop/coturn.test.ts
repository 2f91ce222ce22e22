// Interop with a real STUN server, coturn (Debian package `coturn`), on loopback: a Binding request
// built by src/stun/ gets an XOR-MAPPED-ADDRESS equal to the client socket's address, both from a
// plain dgram socket and from a sans-IO client core run by the UdpDriver (retransmissions by
// StunClientTransaction). The server is always killed in `after`.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { after, before, test } from "node:test";
import type { TransportAddress } from "../../src/address.js";
import type { DatagramCore, Transmit } from "../../src/core.js";
import { IceAgent } from "../../src/ice/agent.js";
import type { IceEvent } from "../../src/ice/types.js";
import { UdpDriver } from "../../src/net/driver.js";
import { cryptoRandom } from "../../src/random.js";
import {
  Attr,
  parseStun,
  StunBuilder,
  StunClass,
  StunClientTransaction,
  StunMethod,
  verifyFingerprint,
} from "../../src/stun/index.js";
import { type Coturn, startCoturn } from "./coturn.js";
import { requireTool } from "./tools.js";

/** The first candidate that exists (absolute path) or is on PATH. */
function findTool(candidates: string[]): string | undefined {
  for (const c of candidates) {
    if (c.includes("/")) {
      if (existsSync(c)) return c;
      continue;
    }
    try {
      const p = execFileSync("sh", ["-c", `command -v ${c}`], { encoding: "utf8" }).trim();
      if (p) return p;
    } catch {
      // not on PATH
    }
  }
  return undefined;
}

const PATHS = ["/usr/bin/turnserver", "turnserver"];
let server: Coturn | undefined;
let startError: unknown;

before(async () => {
  // requireTool needs a TestContext, so each test checks again; here: start it if it is there.
  const path = findTool(PATHS);
  if (!path) return;
  try {
    server = await startCoturn(path);
  } catch (err) {
    startError = err;
  }
});

after(async () => {
  await server?.stop();
});

function running(t: import("node:test").TestContext): Coturn | undefined {
  if (!requireTool(t, "coturn", PATHS)) return undefined;
  if (startError) throw startError;
  assert.ok(server, "coturn was not started");
  return server;
}

test("coturn answers our Binding request with our socket's address (XOR-MAPPED-ADDRESS)", {
  timeout: 20_000,
}, async (t) => {
  const srv = running(t);
  if (!srv) return;
  const s = createSocket("udp4");
  s.bind(0, "127.0.0.1");
  await once(s, "listening");
  try {
    const tid = cryptoRandom().bytes(12);
    const req = new StunBuilder(StunMethod.Binding, StunClass.Request, tid).finish({ fingerprint: true });
    const got = once(s, "message") as Promise<[Buffer]>;
    s.send(req, srv.port, "127.0.0.1");
    const [msg] = await Promise.race([
      got,
      new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`no answer\n${srv.log()}`)), 3000)),
    ]);
    const p = parseStun(msg);
    assert.ok(p.ok, `unparsable response ${msg.toString("hex")}`);
    assert.equal(p.msg.cls, StunClass.SuccessResponse);
    assert.equal(p.msg.method, StunMethod.Binding);
    assert.deepEqual([...p.msg.transactionId], [...tid]);
    assert.deepEqual(p.msg.getAddress(Attr.XorMappedAddress), { address: "127.0.0.1", port: s.address().port });
    if (p.msg.fingerprintOffset >= 0) assert.ok(verifyFingerprint(p.msg), "coturn's FINGERPRINT verifies");
  } finally {
    s.close();
  }
});

type ClientEvent = { type: "mapped"; address: TransportAddress; rtt: number } | { type: "failed"; why: string };

/** A sans-IO Binding client: one transaction from the first bound address to the server. */
class BindingClient implements DatagramCore<ClientEvent> {
  private tx: StunClientTransaction | undefined;
  private local: TransportAddress | undefined;
  private readonly events: ClientEvent[] = [];
  constructor(readonly server: TransportAddress) {}
  start(local: TransportAddress, now: number): void {
    this.local = local;
    const req = new StunBuilder(StunMethod.Binding, StunClass.Request, cryptoRandom().bytes(12)).finish({
      fingerprint: true,
    });
    this.tx = new StunClientTransaction(req, now, { rto: 100 });
  }
  handleDatagram(data: Uint8Array, _from: TransportAddress, _to: TransportAddress, now: number): void {
    const p = parseStun(data);
    if (!p.ok || !this.tx) return;
    this.tx.handleResponse(p.msg, now);
    this.collect();
  }
  handleTimeout(now: number): void {
    this.tx?.handleTimeout(now);
    this.collect();
  }
  private collect(): void {
    const e = this.tx?.pollEvent();
    if (!e) return;
    if (e.type === "success") {
      const a = e.response.getAddress(Attr.XorMappedAddress);
      this.events.push(a ? { type: "mapped", address: a, rtt: e.rtt } : { type: "failed", why: "no address" });
    } else this.events.push({ type: "failed", why: e.type });
  }
  pollTransmit(): Transmit | undefined {
    const data = this.tx?.pollTransmit();
    return data && this.local ? { from: this.local, to: this.server, data } : undefined;
  }
  pollEvent(): ClientEvent | undefined {
    return this.events.shift();
  }
  nextTimeout(): number | undefined {
    return this.tx?.nextTimeout();
  }
}

test("the UdpDriver runs a sans-IO Binding client against coturn", { timeout: 20_000 }, async (t) => {
  const srv = running(t);
  if (!srv) return;
  const core = new BindingClient({ address: "127.0.0.1", port: srv.port });
  let resolveEvent: (e: ClientEvent) => void = () => {};
  const event = new Promise<ClientEvent>((r) => {
    resolveEvent = r;
  });
  const driver = new UdpDriver(core, {
    addresses: ["127.0.0.1"],
    onBound: (b, now) => core.start(b.address, now),
    onEvent: resolveEvent,
  });
  try {
    const [bound] = await driver.start();
    const e = await event;
    assert.equal(e.type, "mapped", JSON.stringify(e));
    assert.deepEqual((e as { address: TransportAddress }).address, bound!.address);
    assert.ok(driver.stats.datagramsSent >= 1 && driver.stats.datagramsReceived >= 1);
    assert.deepEqual(driver.stats.sendErrors, {});
  } finally {
    driver.close();
  }
});

test("an IceAgent configured with coturn as STUN server gathers through it", { timeout: 20_000 }, async (t) => {
  const srv = running(t);
  if (!srv) return;
  const agent = new IceAgent({ controlling: true, stunServers: [{ address: "127.0.0.1", port: srv.port }] });
  const events: IceEvent[] = [];
  let complete = false;
  const driver = new UdpDriver<IceEvent>(agent, {
    addresses: ["127.0.0.1"],
    onBound: (b, now) => agent.addLocalAddress(b.address, now),
    onEvent: (e) => {
      events.push(e);
      if (e.type === "gathering-state" && e.state === "complete") complete = true;
    },
  });
  try {
    await driver.start();
    agent.endOfLocalAddresses(driver.now());
    driver.kick();
    // A lost or unanswered request would keep gathering open for the whole STUN transaction
    // (about 40 s): completing within a few seconds means coturn's response was accepted.
    const started = Date.now();
    while (!complete && Date.now() - started < 8000) await new Promise((r) => setTimeout(r, 10));
    assert.ok(complete, `gathering did not complete\n${srv.log()}`);
    const candidates = events.flatMap((e) => (e.type === "candidate" ? [e.candidate] : []));
    const host = candidates.find((c) => c.type === "host");
    assert.ok(host, "a host candidate");
    // On loopback the server-reflexive address equals the host address; browsers drop such a
    // duplicate, and so may the agent. If it kept it, it must be exactly the host address.
    for (const c of candidates.filter((c) => c.type === "srflx")) {
      assert.deepEqual([c.address, c.port], [host.address, host.port]);
      assert.deepEqual([c.relatedAddress, c.relatedPort], [host.address, host.port]);
    }
    assert.ok(driver.stats.datagramsReceived >= 1, "coturn answered");
    assert.deepEqual(agent.stats.dropped, {}, "the response was accepted (no drops)");
  } finally {
    agent.close();
    driver.close();
  }
});

/**
 * A one-client userspace NAT on loopback: what the inside socket sends to `listen` leaves from a
 * separate outside socket to `server`, and replies come back from `listen`. coturn then sees the
 * outside socket's address, which differs from the client's host address: a real srflx.
 */
async function loopbackNat(server: { address: string; port: number }) {
  const inside = createSocket("udp4");
  const outside = createSocket("udp4");
  inside.bind(0, "127.0.0.1");
  outside.bind(0, "127.0.0.1");
  await Promise.all([once(inside, "listening"), once(outside, "listening")]);
  let client: { address: string; port: number } | undefined;
  inside.on("message", (m, r) => {
    client = { address: r.address, port: r.port };
    outside.send(m, server.port, server.address);
  });
  outside.on("message", (m, r) => {
    if (client && r.port === server.port && r.address === server.address) inside.send(m, client.port, client.address);
  });
  return {
    listen: { address: "127.0.0.1", port: inside.address().port },
    mapped: { address: "127.0.0.1", port: outside.address().port },
    close: () => {
      inside.close();
      outside.close();
    },
  };
}

test("through a loopback NAT, coturn's answer gives the IceAgent a real srflx candidate", {
  timeout: 20_000,
}, async (t) => {
  const srv = running(t);
  if (!srv) return;
  const nat = await loopbackNat({ address: "127.0.0.1", port: srv.port });
  const agent = new IceAgent({ controlling: true, stunServers: [nat.listen] });
  const events: IceEvent[] = [];
  const driver = new UdpDriver<IceEvent>(agent, {
    addresses: ["127.0.0.1"],
    onBound: (b, now) => agent.addLocalAddress(b.address, now),
    onEvent: (e) => events.push(e),
  });
  try {
    const [bound] = await driver.start();
    agent.endOfLocalAddresses(driver.now());
    driver.kick();
    const complete = (): boolean => events.some((e) => e.type === "gathering-state" && e.state === "complete");
    const started = Date.now();
    while (!complete() && Date.now() - started < 8000) await new Promise((r) => setTimeout(r, 10));
    assert.ok(complete(), `gathering did not complete\n${srv.log()}`);
    const srflx = events.flatMap((e) => (e.type === "candidate" && e.candidate.type === "srflx" ? [e] : []));
    assert.equal(srflx.length, 1, JSON.stringify(events));
    const c = srflx[0]!.candidate;
    assert.deepEqual([c.address, c.port], [nat.mapped.address, nat.mapped.port]);
    assert.deepEqual([c.relatedAddress, c.relatedPort], [bound!.address.address, bound!.address.port]);
    assert.match(srflx[0]!.line, / typ srflx raddr 127\.0\.0\.1 rport \d+/);
  } finally {
    agent.close();
    driver.close();
    nat.close();
  }
});
