// Two agents behind RFC 4787 NATs (test/sim/nat.ts) with a STUN server (test/sim/stun-server.ts):
// server-reflexive gathering, then connection for every NAT pairing where ICE can work without a
// relay, and a clean "failed" where it cannot (symmetric against symmetric or port-restricted).
import assert from "node:assert/strict";
import { test } from "node:test";
import { natPresets } from "../sim/nat.js";
import { Network } from "../sim/network.js";
import { StunServer } from "../sim/stun-server.js";
import { connected, makePair } from "./harness.js";

type Preset = keyof typeof natPresets;
const PRESETS = Object.keys(natPresets) as Preset[];
const STUN = { address: "192.0.2.10", port: 3478 };

function canConnect(x: Preset, y: Preset): boolean {
  const hard = (p: Preset, q: Preset) => p === "symmetric" && (q === "symmetric" || q === "portRestrictedCone");
  return !hard(x, y) && !hard(y, x);
}

function world(seed: number, natA: Preset, natB: Preset) {
  const net = new Network({ seed, defaultLink: { latency: 15, jitter: 4 } });
  const server = new StunServer(STUN.address);
  net.attach(server, [STUN.address]);
  const nA = net.addNat({ publicIp: "203.0.113.1", ...natPresets[natA], portAllocation: "random" });
  const nB = net.addNat({ publicIp: "198.51.100.1", ...natPresets[natB], portAllocation: "random" });
  const setup = makePair(
    net,
    seed,
    { ips: ["192.168.1.2"], nat: nA, options: { stunServers: [STUN] } },
    { ips: ["192.168.2.2"], nat: nB, options: { stunServers: [STUN] } },
  );
  return { net, server, ...setup };
}

test("server-reflexive gathering through a NAT: one srflx candidate, then gathering completes", () => {
  const { net, a, start } = world(1, "fullCone", "fullCone");
  start();
  net.run({ until: () => a.agent.gatheringState === "complete", untilTime: 5000 });
  assert.equal(a.agent.gatheringState, "complete");
  const lines = a.events.flatMap((e) => (e.type === "candidate" ? [e.line] : []));
  assert.equal(lines.length, 2, lines.join("\n"));
  assert.match(lines[0]!, / 192\.168\.1\.2 5000 typ host generation 0 ufrag /);
  assert.match(lines[1]!, / 203\.0\.113\.1 \d+ typ srflx raddr 192\.168\.1\.2 rport 5000 generation 0 ufrag /);
  const states = a.events.flatMap((e) => (e.type === "gathering-state" ? [e.state] : []));
  assert.deepEqual(states, ["gathering", "complete"]);
});

test("gathering completes when the STUN server never answers", () => {
  const net = new Network({ seed: 3, defaultLink: { latency: 10 } });
  const { a, start } = makePair(
    net,
    3,
    { ips: ["10.0.0.1"], options: { stunServers: [{ address: "192.0.2.99", port: 3478 }] } },
    { ips: ["10.0.0.2"] },
  );
  start();
  net.run({ until: () => a.agent.gatheringState === "complete", untilTime: 10_000 });
  assert.equal(a.agent.gatheringState, "complete");
  assert.ok(net.now >= 3000 && net.now <= 4000, `${net.now}`);
  assert.equal(a.agent.getLocalCandidates().length, 1);
});

test("every NAT pairing: connects where ICE can, fails cleanly where it cannot", () => {
  for (const seed of [1, 2]) {
    for (const x of PRESETS) {
      for (const y of PRESETS) {
        const ctx = `seed ${seed}, A ${x}, B ${y}`;
        const { net, a, b, start } = world(seed, x, y);
        start();
        const done = () => (connected(a.state) && connected(b.state)) || (a.state === "failed" && b.state === "failed");
        net.run({ until: done, untilTime: 40_000, maxSteps: 200_000 });
        if (canConnect(x, y)) {
          assert.ok(connected(a.state) && connected(b.state), `${ctx}: ${a.state}/${b.state}`);
          assert.ok(net.now < 3000, `${ctx}: took ${net.now} ms`);
          // Each side's local candidate as seen through its NAT: srflx (or prflx) on the public IP.
          const la = a.agent.getSelectedPair()!.local;
          const lb = b.agent.getSelectedPair()!.local;
          assert.ok(la.type === "srflx" || la.type === "prflx", `${ctx}: ${la.type}`);
          assert.equal(la.address, "203.0.113.1", ctx);
          assert.equal(lb.address, "198.51.100.1", ctx);
          assert.equal(la.relatedAddress, "192.168.1.2", ctx);
          const enc = new TextEncoder();
          a.agent.send(enc.encode("through the NATs"));
          a.kick();
          b.agent.send(enc.encode("and back"));
          b.kick();
          net.advance(200, 100_000);
          assert.equal(b.received.length, 1, ctx);
          assert.equal(a.received.length, 1, ctx);
        } else {
          assert.equal(a.state, "failed", ctx);
          assert.equal(b.state, "failed", ctx);
          assert.ok(net.now < 15_000, `${ctx}: failure took ${net.now} ms`);
          // Failed means quiet: nothing more is sent.
          const sent = net.stats.sent;
          net.advance(30_000, 100_000);
          assert.equal(net.stats.sent, sent, `${ctx}: silent after failure`);
        }
      }
    }
  }
});
