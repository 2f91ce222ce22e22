// Tests of the simulator's link models: Gilbert-Elliott bursty loss and the rate limit with its
// bounded tail-drop queue.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Endpoint } from "./endpoint.js";
import { Network } from "./network.js";

const SEEDS = [1, 2, 3];

/** A network with two attached hosts, a = 10.0.0.1 and b = 10.0.0.2. */
function twoHosts(seed: number): { net: Network; a: Endpoint; b: Endpoint } {
  const net = new Network({ seed });
  const a = new Endpoint(net, "10.0.0.1");
  const b = new Endpoint(net, "10.0.0.2");
  net.attach(a, [a.ip]);
  net.attach(b, [b.ip]);
  return { net, a, b };
}

/** Sends `n` 4-byte numbered datagrams from a to b, one per `gap` ms; returns the numbers b received. */
function stream(net: Network, a: Endpoint, b: Endpoint, n: number, size = 4, gap = 1): number[] {
  for (let i = 0; i < n; i++) {
    const data = new Uint8Array(size);
    new DataView(data.buffer).setUint32(0, i);
    a.send(1000, { address: b.ip, port: 2000 }, data);
    net.advance(gap);
  }
  net.run();
  return b.received.map((r) => new DataView(r.data.buffer, r.data.byteOffset).getUint32(0));
}

/** Mean length of runs of consecutive missing numbers in 0..n-1. */
function meanLossRun(got: number[], n: number): number {
  const have = new Uint8Array(n);
  for (const x of got) have[x] = 1;
  let runs = 0;
  let lost = 0;
  for (let i = 0; i < n; i++) {
    if (have[i]) continue;
    lost++;
    if (i === 0 || have[i - 1]) runs++;
  }
  return runs === 0 ? 0 : lost / runs;
}

test("Gilbert-Elliott loss averages pGB/(pGB+pBG) and comes in bursts", () => {
  const n = 20_000;
  for (const seed of SEEDS) {
    const { net, a, b } = twoHosts(seed);
    net.setLink(a.ip, b.ip, { latency: 5, burst: { pGoodToBad: 0.05, pBadToGood: 0.25 } });
    const got = stream(net, a, b, n);
    const rate = 1 - got.length / n;
    const expected = 0.05 / 0.3;
    assert.ok(Math.abs(rate - expected) < 0.025, `seed ${seed}: loss ${rate}, expected about ${expected}`);
    assert.equal(net.stats.lost, n - got.length, `seed ${seed}`);
    // Mean burst length 1/pBadToGood = 4 (independent loss at this rate would give about 1.2).
    const run = meanLossRun(got, n);
    assert.ok(run > 3.3 && run < 4.8, `seed ${seed}: mean loss run ${run}`);
  }
});

test("Gilbert-Elliott with partial loss in each state", () => {
  const n = 20_000;
  for (const seed of SEEDS) {
    const { net, a, b } = twoHosts(seed);
    const burst = { pGoodToBad: 0.1, pBadToGood: 0.1, lossGood: 0.02, lossBad: 0.5 };
    net.setLink(a.ip, b.ip, { latency: 5, burst });
    const got = stream(net, a, b, n);
    const rate = 1 - got.length / n;
    // Half the time in each state: 0.5 * 0.02 + 0.5 * 0.5 = 0.26.
    assert.ok(Math.abs(rate - 0.26) < 0.03, `seed ${seed}: loss ${rate}`);
  }
});

test("a rate limit serialises datagrams and tail-drops beyond the queue", () => {
  for (const seed of SEEDS) {
    const { net, a, b } = twoHosts(seed);
    // 10 kB/s, 1,000-byte datagrams: 100 ms each on the wire; the queue holds 5 of them.
    net.setLink(a.ip, b.ip, { latency: 20, rate: 10_000, queue: 5_000 });
    const got = stream(net, a, b, 200, 1000);
    assert.equal(got.length + net.stats.queueDropped, 200, `seed ${seed}`);
    // 5 accepted at once, then one more each time a slot frees (every 100 ms of the 200 ms burst).
    assert.ok(got.length >= 6 && got.length <= 8, `seed ${seed}: ${got.length} delivered`);
    assert.equal(net.stats.lost, 0);
    const at = b.received.map((r) => r.at);
    assert.equal(at[0], 20 + 100, `seed ${seed}: first arrival`);
    for (let i = 1; i < at.length; i++) {
      assert.ok(Math.abs(at[i]! - at[i - 1]! - 100) < 1e-6, `seed ${seed}: spacing ${at[i]! - at[i - 1]!}`);
    }
    // In order: a queue does not reorder.
    assert.deepEqual(
      got,
      [...got].sort((x, y) => x - y),
    );
  }
});

test("below the rate nothing is dropped and delay is latency plus serialisation", () => {
  const { net, a, b } = twoHosts(7);
  net.setLink(a.ip, b.ip, { latency: 10, rate: 1_000_000, queue: 10_000 });
  // 500 bytes every 1 ms = 500 kB/s, half the rate: each takes 0.5 ms on the wire.
  const got = stream(net, a, b, 1000, 500);
  assert.equal(got.length, 1000);
  assert.equal(net.stats.queueDropped, 0);
  b.received.forEach((r, i) => {
    assert.ok(Math.abs(r.at - (i + 10.5)) < 1e-6, `datagram ${i} at ${r.at}`);
  });
});

test("a saturated link delivers at its rate over time", () => {
  const { net, a, b } = twoHosts(11);
  net.setLink(a.ip, b.ip, { latency: 0, rate: 100_000, queue: 20_000 });
  // Offer 1,200 kB/s for 2 s into a 100 kB/s link.
  stream(net, a, b, 2000, 1200);
  const bytes = b.received.reduce((s, r) => s + r.data.length, 0);
  const last = b.received.at(-1)!.at;
  const rate = (bytes * 1000) / last;
  assert.ok(Math.abs(rate - 100_000) < 1_000, `rate ${rate}`);
  // What is still queued when the sender stops drains after it: at most queue/rate = 200 ms.
  assert.ok(last > 2000 && last <= 2000 + 200 + 12, `last arrival ${last}`);
  assert.ok(net.stats.queueDropped > 1500, `${net.stats.queueDropped} dropped`);
});

test("scheduled actions run at their virtual time, before deliveries due then", () => {
  const { net, a, b } = twoHosts(5);
  net.setLink(a.ip, b.ip, { latency: 5 });
  // The link goes down at t=50 and comes back at t=80 (loss applies when a datagram is sent).
  net.schedule(50, () => net.setLink(a.ip, b.ip, { latency: 5, loss: 1 }));
  net.schedule(80, () => net.setLink(a.ip, b.ip, { latency: 5 }));
  const order: string[] = [];
  net.schedule(30, () => order.push(`action@${net.now}`));
  const got = stream(net, a, b, 100);
  assert.deepEqual(
    got,
    Array.from({ length: 100 }, (_, i) => i).filter((i) => i < 50 || i >= 80),
  );
  assert.deepEqual(order, ["action@30"]);
  assert.equal(net.stats.lost, 30);
});
