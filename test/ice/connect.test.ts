// Two ICE agents on the simulator: they connect, select the same pair, carry data both ways;
// also under 30% loss, with trickled candidates arriving late, and with ICE-lite-like setups.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Network } from "../sim/network.js";
import { connected, makePair } from "./harness.js";

const SEEDS = [1, 2, 3, 4, 5];
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

test("two agents connect, agree on the selected pair and exchange data", () => {
  for (const seed of SEEDS) {
    const net = new Network({ seed, defaultLink: { latency: 10 } });
    const { a, b, start } = makePair(net, seed, { ips: ["10.0.0.1"] }, { ips: ["10.0.0.2"] });
    start();
    net.run({ until: () => connected(a.state) && connected(b.state), maxSteps: 10_000 });
    assert.ok(connected(a.state) && connected(b.state), `seed ${seed}: ${a.state}/${b.state}`);
    assert.ok(net.now < 500, `seed ${seed}: took ${net.now} ms`);
    const sa = a.agent.getSelectedPair()!;
    const sb = b.agent.getSelectedPair()!;
    assert.equal(sa.remote.address, "10.0.0.2", `seed ${seed}`);
    assert.equal(sb.remote.address, "10.0.0.1", `seed ${seed}`);
    assert.ok(a.agent.send(enc("hello b")));
    a.kick();
    assert.ok(b.agent.send(enc("hello a")));
    b.kick();
    net.advance(100, 10_000);
    assert.deepEqual(
      b.received.map((d) => new TextDecoder().decode(d)),
      ["hello b"],
      `seed ${seed}`,
    );
    assert.deepEqual(
      a.received.map((d) => new TextDecoder().decode(d)),
      ["hello a"],
      `seed ${seed}`,
    );
    // Both reach completed: end-of-candidates was exchanged and nothing is pending.
    net.advance(2000, 100_000);
    assert.equal(a.state, "completed", `seed ${seed}`);
    assert.equal(b.state, "completed", `seed ${seed}`);
    assert.deepEqual(a.states, ["checking", "connected", "completed"], `seed ${seed}`);
    // Stats: the nominated pair's RTT is the 2 x 10 ms link delay; counters add up.
    const pa = a.agent.getPairStats().find((p) => p.nominated)!;
    assert.equal(pa.selected, true);
    assert.deepEqual(a.agent.getSelectedPairStats(), pa);
    const sel = a.agent.getSelectedPair()!;
    assert.equal(pa.local, sel.local, "the same candidate objects in stats and getSelectedPair");
    assert.equal(pa.remote, sel.remote);
    assert.equal(pa.currentRoundTripTime, 0.02, `seed ${seed}`);
    assert.equal(pa.state, "succeeded");
    assert.ok(pa.requestsSent >= 1 && pa.responsesReceived >= 1 && pa.requestsReceived >= 1, `seed ${seed}`);
    assert.equal(pa.packetsSent, 1);
    assert.equal(pa.bytesSent, 7);
    assert.equal(pa.packetsReceived, 1);
    assert.equal(a.agent.stats.checksSent, b.agent.stats.checksReceived, `seed ${seed}`);
    assert.equal(a.agent.stats.responsesReceived, b.agent.stats.responsesSent, `seed ${seed}`);
  }
});

test("connects under 30% loss in both directions", () => {
  for (const seed of SEEDS) {
    const net = new Network({ seed, defaultLink: { latency: 15, jitter: 5, loss: 0.3 } });
    const { a, b, start } = makePair(net, seed, { ips: ["10.0.0.1"] }, { ips: ["10.0.0.2"] });
    start();
    net.run({ until: () => connected(a.state) && connected(b.state), maxSteps: 100_000, untilTime: 20_000 });
    assert.ok(connected(a.state) && connected(b.state), `seed ${seed}: ${a.state}/${b.state} at ${net.now}`);
    const sa = a.agent.getSelectedPair()!;
    const sb = b.agent.getSelectedPair()!;
    assert.equal(sa.remote.port, 5000, `seed ${seed}`);
    assert.equal(`${sb.remote.address}`, "10.0.0.1", `seed ${seed}`);
    // Data gets through (some of it: the link is lossy).
    for (let i = 0; i < 50; i++) a.agent.send(enc(`m${i}`));
    a.kick();
    net.advance(200, 100_000);
    assert.ok(b.received.length > 20, `seed ${seed}: ${b.received.length} of 50 arrived`);
  }
});

test("multihomed, dual-stack agents pick the IPv6 pair and agree on it", () => {
  for (const seed of SEEDS) {
    const net = new Network({ seed, defaultLink: { latency: 5, jitter: 3 } });
    const { a, b, start } = makePair(
      net,
      seed,
      { ips: ["10.0.0.1", "192.168.0.1", "fd00::1"] },
      { ips: ["10.0.0.2", "192.168.0.2", "fd00::2"] },
    );
    start();
    net.run({ until: () => connected(a.state) && connected(b.state), maxSteps: 100_000, untilTime: 10_000 });
    assert.ok(connected(a.state) && connected(b.state), `seed ${seed}`);
    assert.equal(a.agent.getSelectedPair()!.remote.address, "fd00::2", `seed ${seed}`);
    assert.equal(b.agent.getSelectedPair()!.remote.address, "fd00::1", `seed ${seed}`);
    // Cross-family pairs are never formed: 3 x 3 addresses give 1 (v6) + 4 (v4) pairs.
    assert.equal(a.agent.getPairStats().length, 5, `seed ${seed}`);
  }
});

test("trickled candidates and credentials arriving late (500 ms signaling) still connect", () => {
  for (const seed of SEEDS) {
    const net = new Network({ seed, defaultLink: { latency: 10 } });
    const { a, b, start } = makePair(net, seed, { ips: ["10.0.0.1"] }, { ips: ["10.0.0.2"] }, { signalingDelay: 500 });
    start();
    net.run({ until: () => connected(a.state) && connected(b.state), maxSteps: 100_000, untilTime: 10_000 });
    assert.ok(connected(a.state) && connected(b.state), `seed ${seed}`);
    assert.ok(net.now < 1000, `seed ${seed}: ${net.now}`);
  }
});

test("checks that arrive before the remote credentials are answered and used later", () => {
  for (const seed of SEEDS) {
    const net = new Network({ seed, defaultLink: { latency: 10 } });
    // B hears A's credentials and candidates quickly; A hears B's credentials only after 3 s
    // and never gets B's candidate (B is learned as peer-reflexive).
    const { a, b, start } = makePair(
      net,
      seed,
      { ips: ["10.0.0.1"] },
      { ips: ["10.0.0.2"] },
      { signalingDelay: 5, credsDelayToA: 3000, mapLine: (from, line) => (from === "b" ? undefined : line) },
    );
    start();
    net.advance(1000, 100_000);
    assert.ok(!connected(a.state), `seed ${seed}`);
    assert.ok(a.agent.stats.responsesSent > 0, `seed ${seed}: A answered B's checks without B's password`);
    assert.equal(a.agent.getRemoteCandidates().length, 0, `seed ${seed}`);
    net.run({ until: () => connected(a.state) && connected(b.state), maxSteps: 100_000, untilTime: 10_000 });
    assert.ok(connected(a.state) && connected(b.state), `seed ${seed}`);
    assert.ok(net.now >= 3000, `seed ${seed}`);
    assert.equal(a.agent.getSelectedPair()!.remote.type, "prflx", `seed ${seed}`);
  }
});

test("duplicated and reordered datagrams: connects once, no spurious state changes", () => {
  for (const seed of SEEDS) {
    const net = new Network({
      seed,
      defaultLink: { latency: 10, jitter: 20, duplicate: 0.3, reorder: 0.3, reorderDelay: 40 },
    });
    const { a, b, start } = makePair(net, seed, { ips: ["10.0.0.1", "10.1.0.1"] }, { ips: ["10.0.0.2", "10.1.0.2"] });
    start();
    net.run({ until: () => connected(a.state) && connected(b.state), maxSteps: 100_000, untilTime: 10_000 });
    assert.ok(connected(a.state) && connected(b.state), `seed ${seed}`);
    net.advance(20_000, 1_000_000);
    assert.deepEqual(a.states, ["checking", "connected", "completed"], `seed ${seed}: ${a.states}`);
    assert.equal(a.agent.stats.selectedPairChanges, 1, `seed ${seed}`);
    assert.equal(b.agent.stats.selectedPairChanges, 1, `seed ${seed}`);
    const sa = a.agent.getSelectedPair()!;
    const sb = b.agent.getSelectedPair()!;
    assert.equal(sa.local.address, sb.remote.address, `seed ${seed}: both ends agree`);
    assert.equal(sa.remote.address, sb.local.address, `seed ${seed}: both ends agree`);
  }
});
