// Path MTU discovery (RFC 8899 6.2.1, src/sctp/pmtud.ts) on the simulator: the packet size stays at
// the base on a 1200-byte path, grows to the largest probe that fits a 9000-byte path, falls back to
// the base when the path shrinks mid-transfer (black hole, RFC 8899 4.3) without losing data,
// searches only once data backs up, and honours `pmtud: false` / `maxPacketSize`.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { SctpEvent, SctpOptions } from "../../src/sctp/index.js";
import type { LinkConfig } from "../sim/network.js";
import { establish, makePair, type Pair } from "./pair.js";
import { checkMessage, messageBytes } from "./transfer.js";

const SEEDS = [1, 2, 3];
const SIZE = 30000;

/** a sends `count` messages of SIZE bytes on stream 1; returns a counter of those b received intact. */
function startTransfer(seed: number, link: LinkConfig, count: number, opts: SctpOptions = {}) {
  const got = { n: 0 };
  const p: Pair = makePair(seed, link, {
    a: opts,
    b: opts,
    keep: false,
    onB: (e: SctpEvent) => {
      if (e.type !== "message") return;
      checkMessage(1, got.n, e.data, SIZE, `seed ${seed}`);
      got.n++;
    },
  });
  establish(p);
  for (let i = 0; i < count; i++) p.a.send(1, 53, messageBytes(1, i, SIZE), undefined, p.net.now);
  p.kick();
  return { p, got };
}

/** Largest datagram each direction carried, seen by wrapping the network's delivery. */
function watchSizes(p: Pair): { max: number } {
  const seen = { max: 0 };
  const orig = p.b.handleDatagram.bind(p.b);
  p.b.handleDatagram = (d: Uint8Array, now: number) => {
    if (d.length > seen.max) seen.max = d.length;
    orig(d, now);
  };
  return seen;
}

test("a 1200-byte path: probes are lost and the packet size stays at the base", () => {
  for (const seed of SEEDS) {
    const { p, got } = startTransfer(seed, { latency: 10, mtu: 1200 }, 20);
    p.net.run({ until: () => got.n === 20, untilTime: p.net.now + 60000, maxSteps: 200000 });
    assert.equal(got.n, 20, `seed ${seed}: all delivered`);
    p.net.advance(10000);
    assert.equal(p.a.mtu, 1140, `seed ${seed}`);
    assert.ok(p.a.stats.pmtu.probesSent >= 3, `seed ${seed}: probed`);
    assert.equal(p.a.stats.pmtu.probesAcked, 0, `seed ${seed}`);
    assert.equal(p.a.state, "established", `seed ${seed}: lost probes do not count against the peer`);
  }
});

test("a 9000-byte path: the packet size grows to the largest probe that fits, and data uses it", () => {
  for (const seed of SEEDS) {
    const { p, got } = startTransfer(seed, { latency: 10, mtu: 9000 }, 60);
    const seen = watchSizes(p);
    p.net.run({ until: () => got.n === 60, untilTime: p.net.now + 60000, maxSteps: 200000 });
    assert.equal(got.n, 60, `seed ${seed}: all delivered`);
    assert.equal(p.a.mtu, 8192, `seed ${seed}`);
    assert.equal(p.a.stats.pmtu.mtu, 8192, `seed ${seed}`);
    assert.ok(seen.max > 4096 && seen.max <= 9000, `seed ${seed}: largest packet ${seen.max}`);
    assert.equal(p.a.stats.sending.t3Expiries, 0, `seed ${seed}`);
  }
});

test("the path shrinks mid-transfer: black hole detected, back to the base, nothing lost", () => {
  for (const seed of SEEDS) {
    const link = { latency: 10, mtu: 9000 };
    const { p, got } = startTransfer(seed, link, 200);
    p.net.run({ until: () => p.a.mtu === 8192 && got.n >= 20, untilTime: p.net.now + 60000, maxSteps: 200000 });
    assert.equal(p.a.mtu, 8192, `seed ${seed}: grew first`);
    assert.ok(got.n < 200, `seed ${seed}: still transferring`);
    p.net.setLinks("10.0.0.1", "10.0.0.2", { latency: 10, mtu: 1200 });
    p.net.run({ until: () => got.n === 200, untilTime: p.net.now + 120000, maxSteps: 500000 });
    assert.equal(got.n, 200, `seed ${seed}: every message delivered intact after the fall back`);
    assert.equal(p.a.mtu, 1140, `seed ${seed}`);
    assert.ok(p.a.stats.pmtu.blackHoles >= 1, `seed ${seed}`);
    assert.equal(p.a.state, "established", `seed ${seed}`);
  }
});

test("an unlimited path reaches maxPacketSize; pmtud: false and a lower maxPacketSize are honoured", () => {
  for (const [opts, want] of [
    [{}, 16384],
    [{ maxPacketSize: 6000 }, 6000],
    [{ pmtud: false }, 1140],
    [{ mtu: 1400, maxPacketSize: 1000 }, 1400],
  ] as [SctpOptions, number][]) {
    const { p, got } = startTransfer(7, { latency: 5 }, 10, opts);
    p.net.run({ until: () => got.n === 10, untilTime: p.net.now + 60000, maxSteps: 200000 });
    p.net.advance(5000);
    assert.equal(got.n, 10);
    assert.equal(p.a.mtu, want, JSON.stringify(opts));
    // b only acknowledges: with no data backing up it never searches.
    assert.equal(p.b.mtu, opts.mtu ?? 1140, JSON.stringify(opts));
    assert.equal(p.b.stats.pmtu.probesSent, 0, JSON.stringify(opts));
    if (opts.pmtud === false) assert.equal(p.a.stats.pmtu.probesSent, 0);
  }
});

test("setMaxPacketSize: 0 keeps the base (no probes); lowering it under the current size drops to the base", () => {
  for (const seed of SEEDS) {
    const held = startTransfer(seed, { latency: 5 }, 0);
    held.p.a.setMaxPacketSize(0);
    for (let i = 0; i < 10; i++) held.p.a.send(1, 53, messageBytes(1, i, SIZE), undefined, held.p.net.now);
    held.p.kick();
    held.p.net.run({ until: () => held.got.n === 10, untilTime: held.p.net.now + 60000, maxSteps: 200000 });
    assert.equal(held.got.n, 10, `seed ${seed}`);
    assert.equal(held.p.a.mtu, 1140, `seed ${seed}`);
    assert.equal(held.p.a.stats.pmtu.probesSent, 0, `seed ${seed}`);

    const { p, got } = startTransfer(seed, { latency: 5 }, 200);
    p.net.run({ until: () => p.a.mtu === 16384, untilTime: p.net.now + 60000, maxSteps: 200000 });
    assert.equal(p.a.mtu, 16384, `seed ${seed}`);
    p.a.setMaxPacketSize(4096);
    assert.equal(p.a.mtu, 1140, `seed ${seed}: above the new ceiling, back to the base`);
    p.net.run({ until: () => got.n === 200, untilTime: p.net.now + 60000, maxSteps: 500000 });
    assert.equal(got.n, 200, `seed ${seed}`);
    assert.ok(p.a.mtu <= 4096, `seed ${seed}: ${p.a.mtu}`);
  }
});
