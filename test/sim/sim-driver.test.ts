// SimDriver: the same owner glue as the real-UDP ICE test (test/net/ice-loopback.test.ts) runs on
// the simulator in virtual time: two ICE agents behind NATs, a STUN server node, candidates
// trickled through event listeners and kick(), driven by net.runAsync().
import assert from "node:assert/strict";
import { test } from "node:test";
import { IceAgent } from "../../src/ice/agent.js";
import type { IceCandidate } from "../../src/ice/candidate.js";
import type { IceEvent } from "../../src/ice/types.js";
import { SeededRandom } from "../../src/random.js";
import { type NatBehaviourConfig, natPresets } from "./nat.js";
import { Network } from "./network.js";
import { SimDriver } from "./sim-driver.js";
import { StunServer } from "./stun-server.js";

interface Side {
  agent: IceAgent;
  driver: SimDriver<IceEvent>;
  states: string[];
  data: string[];
  candidates: IceCandidate[];
}

const STUN = { address: "198.51.100.1", port: 3478 };

function setUp(seed: number, natA: NatBehaviourConfig, natB: NatBehaviourConfig) {
  const net = new Network({ seed, defaultLink: { latency: 20, jitter: 5 } });
  const stun = new StunServer(STUN.address);
  net.attach(stun, [STUN.address]);
  const nats = [net.addNat({ publicIp: "203.0.113.1", ...natA }), net.addNat({ publicIp: "203.0.113.2", ...natB })];
  const sides: Side[] = [];
  for (const i of [0, 1]) {
    const agent = new IceAgent({ controlling: i === 0, random: new SeededRandom(seed * 10 + i), stunServers: [STUN] });
    const side: Side = {
      agent,
      driver: undefined as unknown as SimDriver<IceEvent>,
      states: [],
      data: [],
      candidates: [],
    };
    side.driver = new SimDriver<IceEvent>(net, agent, {
      ips: [`192.168.${i + 1}.2`],
      nat: nats[i]!,
      onBound: (b, now) => agent.addLocalAddress(b.address, now),
      onEvent: (e) => {
        const other = sides[1 - i]!;
        if (e.type === "candidate") {
          side.candidates.push(e.candidate);
          other.agent.addRemoteCandidate(e.line, other.driver.now());
          other.driver.kick();
        } else if (e.type === "gathering-state" && e.state === "complete") {
          other.agent.addRemoteCandidate(null, other.driver.now());
          other.driver.kick();
        } else if (e.type === "state") side.states.push(e.state);
        else if (e.type === "data") side.data.push(Buffer.from(e.data).toString());
      },
    });
    sides.push(side);
  }
  const [a, b] = sides as [Side, Side];
  a.agent.setRemoteCredentials(b.agent.localCredentials.ufrag, b.agent.localCredentials.pwd, 0);
  b.agent.setRemoteCredentials(a.agent.localCredentials.ufrag, a.agent.localCredentials.pwd, 0);
  return { net, a, b, stun };
}

async function start(s: Side): Promise<void> {
  await s.driver.start();
  s.agent.endOfLocalAddresses(s.driver.now());
  s.driver.kick();
}

const connected = (s: Side): boolean => s.agent.state === "connected" || s.agent.state === "completed";

test("ICE through a port-restricted cone and a full-cone NAT on SimDrivers: srflx, then data", async () => {
  for (const seed of [1, 2]) {
    const { net, a, b, stun } = setUp(seed, natPresets.portRestrictedCone, natPresets.fullCone);
    await start(a);
    await start(b);
    await net.runAsync({ until: () => connected(a) && connected(b), untilTime: 30_000 });
    assert.ok(connected(a) && connected(b), `seed ${seed}: states ${a.states} / ${b.states}`);
    // Each side learned its NAT mapping from the STUN server node.
    const srflxA = a.candidates.find((c) => c.type === "srflx");
    assert.equal(srflxA?.address, "203.0.113.1", `seed ${seed}`);
    assert.ok(stun.stats.requests >= 2, `seed ${seed}`);
    const sel = a.agent.getSelectedPair()!;
    assert.equal(sel.remote.address, "203.0.113.2", `seed ${seed}: the peer is reached at its NAT's address`);
    assert.ok(a.agent.send(Buffer.from("through two NATs")));
    a.driver.kick();
    await net.runAsync({ until: () => b.data.length > 0, untilTime: net.now + 1000 });
    assert.deepEqual(b.data, ["through two NATs"], `seed ${seed}`);
    a.driver.close();
    b.driver.close();
  }
});

test("ICE between two symmetric NATs on SimDrivers fails cleanly (no relay)", async () => {
  const { net, a, b } = setUp(3, natPresets.symmetric, natPresets.symmetric);
  await start(a);
  await start(b);
  await net.runAsync({ until: () => a.agent.state === "failed" && b.agent.state === "failed", untilTime: 120_000 });
  assert.equal(a.agent.state, "failed", a.states.join(","));
  assert.equal(b.agent.state, "failed", b.states.join(","));
  assert.ok(!a.states.includes("connected"));
  a.driver.close();
  b.driver.close();
});
