// Randomised soak on the simulator: 40 seeded worlds with 1-3 interfaces per side (some IPv6),
// random loss, jitter, duplication and signaling delay, random initial roles (sometimes both the
// same), sometimes a NAT with a STUN server. Each must connect, both ends must agree on the pair,
// stay connected for a virtual minute, keep the check traffic bounded (consent only, no storm),
// and never livelock the simulator (maxSteps).
import assert from "node:assert/strict";
import { test } from "node:test";
import { SeededRandom } from "../../src/random.js";
import { natPresets } from "../sim/nat.js";
import { Network } from "../sim/network.js";
import { StunServer } from "../sim/stun-server.js";
import { connected, makePair, type SideConfig } from "./harness.js";

test("40 random worlds: connect, agree, stay up for a minute with bounded traffic, no livelock", () => {
  for (let seed = 1; seed <= 40; seed++) {
    const r = new SeededRandom(seed * 97);
    const loss = r.float() * 0.15;
    const net = new Network({
      seed,
      defaultLink: { latency: 5 + r.int(40), jitter: r.int(10), loss, duplicate: r.float() * 0.05 },
    });
    const withNat = r.float() < 0.3;
    const stun = { address: "192.0.2.10", port: 3478 };
    if (withNat) net.attach(new StunServer(stun.address), [stun.address]);
    const side = (n: number): SideConfig => {
      const count = 1 + r.int(3);
      const ips: string[] = [];
      for (let i = 0; i < count; i++) ips.push(i === 2 && r.float() < 0.5 ? `fd00::${i}:${n}` : `10.${i}.0.${n}`);
      return { ips, options: { controlling: r.float() < 0.5, stunServers: withNat ? [stun] : [] } };
    };
    const A = side(1);
    const B = side(2);
    if (withNat) {
      A.ips = ["192.168.1.2"];
      A.nat = net.addNat({ publicIp: "203.0.113.1", ...natPresets.portRestrictedCone });
    }
    const ctx = `seed ${seed}: A ${A.ips} (${A.options!.controlling}), B ${B.ips} (${B.options!.controlling}), loss ${loss.toFixed(2)}${withNat ? ", NAT" : ""}`;
    const { a, b, start } = makePair(net, seed, A, B, { signalingDelay: r.int(300) });
    start();
    net.run({ until: () => connected(a.state) && connected(b.state), untilTime: 30_000, maxSteps: 200_000 });
    assert.ok(connected(a.state) && connected(b.state), `${ctx}: ${a.state}/${b.state}`);
    net.advance(3000, 200_000);
    const sa = a.agent.getSelectedPair()!;
    const sb = b.agent.getSelectedPair()!;
    assert.notEqual(a.agent.controlling, b.agent.controlling, ctx);
    if (!withNat) {
      assert.equal(`${sa.local.address}:${sa.local.port}`, `${sb.remote.address}:${sb.remote.port}`, ctx);
      assert.equal(`${sa.remote.address}:${sa.remote.port}`, `${sb.local.address}:${sb.local.port}`, ctx);
    }
    const sent0 = net.stats.sent;
    net.advance(60_000, 500_000);
    // Loss can cause a transient disconnected state, but not a failure within a minute at <= 15%.
    assert.notEqual(a.state, "failed", ctx);
    assert.notEqual(b.state, "failed", ctx);
    // Consent is ~1 request (+ response, + retransmissions under loss) per 5 s per side.
    const perSecond = (net.stats.sent - sent0) / 60;
    assert.ok(perSecond < 3, `${ctx}: ${perSecond.toFixed(1)} datagrams/s in steady state`);
  }
});
