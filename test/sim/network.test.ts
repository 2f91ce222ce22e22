// The network simulator itself (test/sim/network.ts): random loss rates, reproducible traces per
// seed, jitter reordering, duplication, MTU drops, and run() failing with the seed on livelock.
import assert from "node:assert/strict";
import { test } from "node:test";
import { connectPair, Network, type PacketCore } from "./network.js";

/** Sends `count` numbered datagrams, one per ms, and records what it receives. */
class Counter implements PacketCore {
  received: number[] = [];
  private out: Uint8Array[] = [];
  private next = 0;
  private at = 0;
  constructor(private count: number) {}
  handleDatagram(data: Uint8Array): void {
    this.received.push(new DataView(data.buffer, data.byteOffset).getUint32(0));
  }
  handleTimeout(now: number): void {
    if (this.next >= this.count) return;
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, this.next++);
    this.out.push(b);
    this.at = now + 1;
  }
  pollTransmit(): Uint8Array | undefined {
    return this.out.shift();
  }
  nextTimeout(): number | undefined {
    return this.next < this.count ? this.at : undefined;
  }
}

test("10% loss drops about 10% of datagrams", () => {
  const net = new Network({ seed: 1 });
  const a = new Counter(20_000);
  const b = new Counter(0);
  connectPair(net, a, b, { link: { latency: 5, loss: 0.1 } });
  net.run();
  const rate = 1 - b.received.length / 20_000;
  assert.ok(rate > 0.09 && rate < 0.11, `loss rate ${rate}`);
  assert.equal(net.stats.lost, 20_000 - b.received.length);
});

test("the same seed gives the same trace; another seed another", () => {
  const trace = (seed: number): string[] => {
    const net = new Network({ seed, trace: true });
    connectPair(net, new Counter(300), new Counter(0), { link: { latency: 5, jitter: 10, loss: 0.2, duplicate: 0.1 } });
    net.run();
    return net.trace!;
  };
  assert.deepEqual(trace(5), trace(5));
  assert.notDeepEqual(trace(5), trace(6));
});

test("jitter reorders, duplication duplicates, MTU drops", () => {
  const net = new Network({ seed: 3 });
  const a = new Counter(1000);
  const b = new Counter(0);
  connectPair(net, a, b, { link: { latency: 5, jitter: 20, duplicate: 0.1 } });
  net.run();
  assert.ok(b.received.length > 1050 && b.received.length < 1150, `${b.received.length}`);
  const sorted = [...b.received].sort((x, y) => x - y);
  assert.notDeepEqual(b.received, sorted);
  const net2 = new Network({ seed: 3 });
  const c = new Counter(10);
  const d = new Counter(0);
  connectPair(net2, c, d, { link: { latency: 5, mtu: 3 } });
  net2.run();
  assert.equal(d.received.length, 0);
  assert.equal(net2.stats.tooBig, 10);
});

test("run fails with the seed on livelock", () => {
  const net = new Network({ seed: 99 });
  const busy: PacketCore = {
    handleDatagram() {},
    handleTimeout() {},
    pollTransmit: () => undefined,
    nextTimeout: () => 0,
  };
  connectPair(net, busy, new Counter(0));
  assert.throws(() => net.run({ maxSteps: 1000 }), /seed 99/);
});
