// Real-UDP loopback tests of the UdpDriver with a trivial echo core: receive/echo, events after
// the drain, the single timer (never early), kick coalescing, send errors counted, a throwing core
// failed alone, port ranges, close, a core that stays due does not starve timers and I/O.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { once } from "node:events";
import { test } from "node:test";
import type { TransportAddress } from "../../src/address.js";
import type { DatagramCore, Transmit } from "../../src/core.js";
import { UdpDriver } from "../../src/net/driver.js";

type EchoEvent =
  | { type: "rx"; text: string; from: TransportAddress; to: TransportAddress }
  | { type: "tick"; now: number };

/** Echoes every datagram back to its sender; fires "tick" events at scheduled deadlines. */
class EchoCore implements DatagramCore<EchoEvent> {
  out: Transmit[] = [];
  events: EchoEvent[] = [];
  deadlines: number[] = [];
  local: TransportAddress | undefined;
  timeouts: { now: number; due: number }[] = [];
  throwOnData = false;
  handleDatagram(data: Uint8Array, from: TransportAddress, to: TransportAddress): void {
    if (this.throwOnData) throw new Error("invariant broken");
    const copy = Uint8Array.from(data);
    this.out.push({ from: to, to: { address: from.address, port: from.port }, data: copy });
    this.events.push({ type: "rx", text: Buffer.from(copy).toString(), from, to });
  }
  handleTimeout(now: number): void {
    const due = this.nextTimeout();
    if (due === undefined) return;
    this.timeouts.push({ now, due });
    while (this.deadlines.length > 0 && this.deadlines[0]! <= now) {
      this.deadlines.shift();
      this.events.push({ type: "tick", now });
    }
  }
  pollTransmit(): Transmit | undefined {
    return this.out.shift();
  }
  pollEvent(): EchoEvent | undefined {
    return this.events.shift();
  }
  nextTimeout(): number | undefined {
    return this.deadlines[0];
  }
  /** An API call: queue a datagram from the bound socket. */
  send(to: TransportAddress, text: string): void {
    this.out.push({ from: this.local!, to, data: Buffer.from(text) });
  }
  schedule(at: number): void {
    this.deadlines.push(at);
    this.deadlines.sort((a, b) => a - b);
  }
}

async function client(): Promise<{ socket: Socket; port: number; next: () => Promise<string> }> {
  const socket = createSocket("udp4");
  socket.bind(0, "127.0.0.1");
  await once(socket, "listening");
  const queue: string[] = [];
  const waiters: ((s: string) => void)[] = [];
  socket.on("message", (m) => {
    const w = waiters.shift();
    if (w) w(m.toString());
    else queue.push(m.toString());
  });
  const next = (): Promise<string> => {
    const q = queue.shift();
    return q !== undefined ? Promise.resolve(q) : new Promise((r) => waiters.push(r));
  };
  return { socket, port: socket.address().port, next };
}

async function startEcho(core = new EchoCore(), extra: Partial<ConstructorParameters<typeof UdpDriver>[1]> = {}) {
  const events: EchoEvent[] = [];
  const driver = new UdpDriver<EchoEvent>(core, {
    addresses: ["127.0.0.1"],
    onBound: (b) => {
      core.local = b.address;
    },
    onEvent: (e) => events.push(e),
    ...(extra as object),
  });
  const bound = await driver.start();
  return { core, driver, events, bound };
}

test("echo over real UDP on loopback: datagram in, core output out, events after the drain", {
  timeout: 20_000,
}, async () => {
  const { driver, events, bound } = await startEcho();
  const c = await client();
  try {
    assert.equal(bound.length, 1);
    assert.equal(bound[0]!.address.address, "127.0.0.1");
    assert.ok(bound[0]!.address.port > 0);
    for (const text of ["ping", "pong", "x".repeat(1200)]) {
      c.socket.send(text, bound[0]!.address.port, "127.0.0.1");
      assert.equal(await c.next(), text);
    }
    const rx = events.filter((e) => e.type === "rx");
    assert.equal(rx.length, 3);
    const first = rx[0] as Extract<EchoEvent, { type: "rx" }>;
    // `from` is dgram's RemoteInfo as it is (a TransportAddress with extra fields: no copy per datagram).
    assert.deepEqual([first.from.address, first.from.port], ["127.0.0.1", c.port]);
    assert.deepEqual(first.to, bound[0]!.address);
    assert.equal(driver.stats.datagramsReceived, 3);
    assert.equal(driver.stats.datagramsSent, 3);
    assert.equal(driver.stats.bytesSent, 4 + 4 + 1200);
  } finally {
    c.socket.close();
    driver.close();
  }
});

test("one timer: handleTimeout runs at or after each deadline, never before", { timeout: 20_000 }, async () => {
  const core = new EchoCore();
  const { driver, events } = await startEcho(core);
  try {
    const now = performance.now();
    // Scheduled out of order; a later call brings an earlier deadline (the timer must be re-armed).
    core.schedule(now + 40);
    driver.kick();
    await new Promise((r) => setImmediate(r));
    core.schedule(now + 5);
    core.schedule(now + 20);
    driver.kick();
    while (events.filter((e) => e.type === "tick").length < 3) await new Promise((r) => setTimeout(r, 5));
    for (const t of core.timeouts) assert.ok(t.now >= t.due, `handleTimeout at ${t.now} before its deadline ${t.due}`);
    const ticks = events.filter((e) => e.type === "tick").map((e) => (e as { now: number }).now);
    assert.ok(ticks[0]! >= now + 5 && ticks[2]! >= now + 40, `${ticks}`);
    assert.equal(core.deadlines.length, 0);
  } finally {
    driver.close();
  }
});

test("kick() coalesces a burst of API calls into one drain", { timeout: 20_000 }, async () => {
  const core = new EchoCore();
  const { driver } = await startEcho(core);
  const c = await client();
  try {
    const before = driver.stats.drains;
    for (let i = 0; i < 50; i++) {
      core.send({ address: "127.0.0.1", port: c.port }, `m${i}`);
      driver.kick();
    }
    assert.equal(driver.stats.drains, before, "no drain happens synchronously");
    const got: string[] = [];
    for (let i = 0; i < 50; i++) got.push(await c.next());
    assert.equal(driver.stats.drains, before + 1);
    assert.deepEqual(
      got,
      Array.from({ length: 50 }, (_, i) => `m${i}`),
    );
  } finally {
    c.socket.close();
    driver.close();
  }
});

test("send errors are counted, never thrown; unknown source sockets are counted", { timeout: 20_000 }, async () => {
  const core = new EchoCore();
  const { driver } = await startEcho(core);
  try {
    core.send({ address: "::1", port: 9 }, "wrong family");
    core.send({ address: "127.0.0.1", port: 0 }, "bad port");
    core.out.push({
      from: { address: "10.9.9.9", port: 1 },
      to: { address: "127.0.0.1", port: 9 },
      data: Buffer.from("x"),
    });
    driver.kick();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(driver.stats.sendErrors["EAFNOSUPPORT"], 1);
    const otherErrors = Object.entries(driver.stats.sendErrors).filter(([k]) => k !== "EAFNOSUPPORT");
    assert.equal(
      otherErrors.reduce((s, [, n]) => s + n, 0),
      1,
      JSON.stringify(driver.stats.sendErrors),
    );
    assert.equal(driver.stats.noSocket, 1);
    assert.equal(driver.failed, undefined);
  } finally {
    driver.close();
  }
});

test("a core that throws is failed alone: onFailed, its sockets closed, the other driver unaffected", {
  timeout: 20_000,
}, async () => {
  const failures: unknown[] = [];
  const bad = await startEcho(new EchoCore(), { onFailed: (e: unknown) => failures.push(e) });
  const good = await startEcho();
  const c = await client();
  try {
    bad.core.throwOnData = true;
    c.socket.send("boom", bad.bound[0]!.address.port, "127.0.0.1");
    while (failures.length === 0) await new Promise((r) => setTimeout(r, 5));
    assert.match(String(failures[0]), /invariant broken/);
    assert.ok(bad.driver.closed);
    assert.match(String(bad.driver.failed), /invariant broken/);
    c.socket.send("still alive", good.bound[0]!.address.port, "127.0.0.1");
    assert.equal(await c.next(), "still alive");
  } finally {
    c.socket.close();
    good.driver.close();
    bad.driver.close();
  }
});

test("a port range binds within the range; a taken port is skipped", { timeout: 20_000 }, async () => {
  const base = 20000 + Math.floor(Math.random() * 20000);
  const a = await startEcho(new EchoCore(), { portRange: [base, base + 20] });
  const b = await startEcho(new EchoCore(), { portRange: [base, base + 20] });
  try {
    const pa = a.bound[0]!.address.port;
    const pb = b.bound[0]!.address.port;
    assert.ok(pa >= base && pa <= base + 20 && pb >= base && pb <= base + 20, `${pa} ${pb}`);
    assert.notEqual(pa, pb);
    const full = new UdpDriver(new EchoCore(), { addresses: ["127.0.0.1"], portRange: [pa, pa] });
    await assert.rejects(full.start(), { code: "ERR_NET_NO_SOCKET" });
    full.close();
  } finally {
    a.driver.close();
    b.driver.close();
  }
});

test("close() is idempotent; start after close and twice are rejected", { timeout: 20_000 }, async () => {
  const { driver } = await startEcho();
  await assert.rejects(driver.start(), { code: "ERR_NET_STARTED" });
  // Also while the first start() is still binding.
  const fresh = new UdpDriver(new EchoCore(), { addresses: ["127.0.0.1"] });
  const first = fresh.start();
  await assert.rejects(fresh.start(), { code: "ERR_NET_STARTED" });
  assert.equal((await first).length, 1);
  fresh.close();
  driver.close();
  driver.close();
  assert.ok(driver.closed);
  assert.deepEqual(driver.localAddresses, []);
  driver.kick();
  await assert.rejects(driver.start(), { code: "ERR_NET_CLOSED" });
});

test("an onBound that throws rejects start() and leaves no socket open", { timeout: 20_000 }, async () => {
  const driver = new UdpDriver(new EchoCore(), {
    addresses: ["127.0.0.1"],
    onBound: () => {
      throw Object.assign(new Error("no thanks"), { code: "OWNER_REFUSED" });
    },
  });
  await assert.rejects(driver.start(), { code: "OWNER_REFUSED" });
  assert.ok(driver.closed);
  assert.deepEqual(driver.localAddresses, []);
});

test("with unref, an idle driver does not keep the process alive; without it, it does", {
  timeout: 20_000,
}, async () => {
  const driverUrl = new URL("../../src/net/driver.js", import.meta.url).href;
  const script = (unref: boolean): string => `
    import { UdpDriver } from ${JSON.stringify(driverUrl)};
    const core = { handleDatagram() {}, handleTimeout() {}, pollTransmit() {}, pollEvent() {}, nextTimeout: () => performance.now() + 60000 };
    const d = new UdpDriver(core, { addresses: ["127.0.0.1"], unref: ${unref} });
    await d.start();
    console.log("started");`;
  // Gives up `grace` ms after the child printed "started" (or 15 s after spawning).
  const run = (unref: boolean, grace: number): Promise<string> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, ["--input-type=module", "-e", script(unref)], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      const giveUp = (): void => {
        child.kill();
        resolve(`still running after: ${out.trim()}`);
      };
      let timer = setTimeout(giveUp, 15_000);
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("started")) {
          clearTimeout(timer);
          timer = setTimeout(giveUp, grace);
        }
      });
      child.on("exit", (code) => {
        clearTimeout(timer);
        resolve(`exited ${code} after: ${out.trim()}`);
      });
    });
  const [unrefd, refd] = await Promise.all([run(true, 10_000), run(false, 500)]);
  assert.equal(unrefd, "exited 0 after: started");
  assert.equal(refd, "still running after: started");
});

test("close() first sends what the core still has queued, then releases the port", { timeout: 20_000 }, async () => {
  const core = new EchoCore();
  const { driver, bound } = await startEcho(core);
  const c = await client();
  try {
    // An API call that queues a last datagram, then close at once (no kick, no drain in between).
    core.send({ address: "127.0.0.1", port: c.port }, "bye");
    driver.close();
    assert.equal(await c.next(), "bye");
    assert.equal(driver.stats.datagramsSent, 1);
    // Nothing is received after close; the port becomes free again.
    const port = bound[0]!.address.port;
    let rebound = false;
    for (let i = 0; i < 100 && !rebound; i++) {
      await new Promise((r) => setTimeout(r, 10));
      const s = createSocket("udp4");
      rebound = await new Promise<boolean>((resolve) => {
        s.once("error", () => resolve(false));
        s.bind({ port, address: "127.0.0.1", exclusive: true }, () => resolve(true));
      });
      s.close();
    }
    assert.ok(rebound, `port ${port} still bound after close`);
  } finally {
    c.socket.close();
  }
});

test("an address that cannot be bound is skipped and counted; the others still work", { timeout: 20_000 }, async () => {
  // 192.0.2.254 (TEST-NET-1) is not an address of this machine: bind fails with EADDRNOTAVAIL.
  const core = new EchoCore();
  const bound: string[] = [];
  const driver = new UdpDriver(core, {
    addresses: ["192.0.2.254", "127.0.0.1"],
    onBound: (b) => bound.push(b.address.address),
  });
  try {
    await driver.start();
    assert.deepEqual(bound, ["127.0.0.1"]);
    assert.equal(driver.stats.bindFailures, 1);
    const none = new UdpDriver(new EchoCore(), { addresses: ["192.0.2.254"] });
    await assert.rejects(none.start(), (err: Error & { code?: string; cause?: { code?: string } }) => {
      assert.equal(err.code, "ERR_NET_NO_SOCKET");
      assert.equal((err.cause as { code?: string }).code, "ERR_NET_BIND");
      return true;
    });
  } finally {
    driver.close();
  }
});

/** Always due (its deadline stays in the past) and emits an event per timeout; stops being due at `limit`. */
class StuckCore implements DatagramCore<{ type: "tick" }> {
  timeouts = 0;
  datagrams = 0;
  pending = 0;
  constructor(readonly limit: number) {}
  handleDatagram(): void {
    this.datagrams++;
  }
  handleTimeout(): void {
    if (this.timeouts >= this.limit) return;
    this.timeouts++;
    this.pending++;
  }
  pollTransmit(): Transmit | undefined {
    return undefined;
  }
  pollEvent(): { type: "tick" } | undefined {
    if (this.pending === 0) return undefined;
    this.pending--;
    return { type: "tick" };
  }
  nextTimeout(): number | undefined {
    return this.timeouts >= this.limit ? undefined : 0;
  }
}

test("a core that stays due and emits an event per timeout does not starve timers or I/O", {
  timeout: 20_000,
}, async () => {
  // Without a bound on microtask passes this loops in microtasks until `limit`: the timer and the
  // datagram would only come after it (the limit turns a hang into a failure).
  const limit = 200_000;
  const core = new StuckCore(limit);
  let events = 0;
  const driver = new UdpDriver(core, { addresses: ["127.0.0.1"], onEvent: () => events++ });
  const c = await client();
  try {
    const bound = await driver.start();
    let timerAt = -1;
    const timerRan = new Promise<void>((resolve) =>
      setTimeout(() => {
        timerAt = core.timeouts;
        resolve();
      }, 0),
    );
    c.socket.send("x", bound[0]!.address.port, "127.0.0.1");
    await timerRan;
    assert.ok(timerAt < limit, `setTimeout(0) ran only after ${timerAt} timeouts`);
    while (core.datagrams === 0 && core.timeouts < limit) await new Promise((r) => setImmediate(r));
    assert.equal(core.datagrams, 1, "the datagram arrived while the core was still due");
    assert.ok(core.timeouts < limit, `the datagram arrived only after ${core.timeouts} timeouts`);
    assert.ok(core.timeouts > 0 && events > 0, "the due deadline still runs");
  } finally {
    c.socket.close();
    driver.close();
  }
});
