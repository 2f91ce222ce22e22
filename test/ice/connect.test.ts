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
  }
});
