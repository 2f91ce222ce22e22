// Roles: conflicts resolved in both directions with 487 and the tie-breaker (RFC 8445 7.3.1.1,
// 7.2.5.1), an ICE-lite peer (2.5: we control and nominate), and a controlling peer using
// aggressive nomination (USE-CANDIDATE on every check) which the controlled agent accepts.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { TransportAddress } from "../../src/address.js";
import { IceAgent } from "../../src/ice/index.js";
import { SeededRandom } from "../../src/random.js";
import {
  Attr,
  parseStun,
  StunBuilder,
  StunClass,
  StunMethod,
  shortTermKey,
  verifyFingerprint,
  verifyIntegrity,
} from "../../src/stun/index.js";
import { Endpoint } from "../sim/endpoint.js";
import { Network } from "../sim/network.js";
import { AgentHost, connected, makePair } from "./harness.js";

const SEEDS = [1, 2, 3, 4, 5, 6];

for (const [label, controlling] of [
  ["both controlling", true],
  ["both controlled", false],
] as const) {
  test(`role conflict, ${label}: resolved by 487 and the tie-breaker; both connect`, () => {
    for (const seed of SEEDS) {
      const net = new Network({ seed, defaultLink: { latency: 10, jitter: 4 } });
      const { a, b, start } = makePair(
        net,
        seed,
        { ips: ["10.0.0.1"], options: { controlling } },
        { ips: ["10.0.0.2"], options: { controlling } },
      );
      start();
      net.run({ until: () => connected(a.state) && connected(b.state), maxSteps: 100_000, untilTime: 10_000 });
      assert.ok(connected(a.state) && connected(b.state), `seed ${seed}: ${a.state}/${b.state}`);
      assert.notEqual(a.agent.controlling, b.agent.controlling, `seed ${seed}: roles differ`);
      const changes = [...a.events, ...b.events].filter((e) => e.type === "role-change");
      assert.ok(changes.length >= 1, `seed ${seed}`);
      net.advance(1000, 100_000);
      assert.notEqual(a.agent.controlling, b.agent.controlling, `seed ${seed}: roles stay resolved`);
    }
  });
}

/** A minimal ICE-lite peer: answers authenticated checks, never sends any. Records USE-CANDIDATE. */
function litePeer(net: Network, ip: string, ufrag: string, pwd: string) {
  const key = shortTermKey(pwd);
  const nominated: TransportAddress[] = [];
  const ep = new Endpoint(net, ip, (r) => {
    const p = parseStun(r.data);
    if (!p.ok || p.msg.cls !== StunClass.Request) return undefined;
    if (!verifyFingerprint(p.msg) || !verifyIntegrity(p.msg, key)) return undefined;
    if (!p.msg.getString(Attr.Username)?.startsWith(`${ufrag}:`)) return undefined;
    if (p.msg.has(Attr.UseCandidate)) nominated.push(r.from);
    return new StunBuilder(StunMethod.Binding, StunClass.SuccessResponse, p.msg.transactionId)
      .addAddress(Attr.XorMappedAddress, r.from)
      .finish({ integrity: key, fingerprint: true });
  });
  net.attach(ep, [ip]);
  return { ep, nominated };
}

test("an ICE-lite peer: the full agent takes control, nominates and keeps consent", () => {
  for (const seed of SEEDS) {
    const net = new Network({ seed, defaultLink: { latency: 10, loss: 0.1 } });
    const agent = new IceAgent({ controlling: false, random: new SeededRandom(seed) });
    const host = new AgentHost(agent, net, "full");
    net.attach(host, ["10.0.0.1"]);
    const lite = litePeer(net, "10.0.0.9", "lite", "litepasswordlitepassword");
    agent.addLocalAddress({ address: "10.0.0.1", port: 5000 }, net.now);
    agent.endOfLocalAddresses(net.now);
    agent.setRemoteCredentials("lite", "litepasswordlitepassword", net.now, { lite: true });
    agent.addRemoteCandidate("candidate:1 1 udp 2130706431 10.0.0.9 3478 typ host", net.now);
    agent.addRemoteCandidate(null, net.now);
    host.kick();
    assert.equal(agent.controlling, true, `seed ${seed}`);
    net.run({ until: () => connected(host.state), maxSteps: 100_000, untilTime: 10_000 });
    assert.ok(connected(host.state), `seed ${seed}: ${host.state}`);
    assert.ok(lite.nominated.length >= 1, `seed ${seed}: USE-CANDIDATE sent`);
    assert.equal(lite.nominated[0]!.address, "10.0.0.1");
    net.advance(60_000, 1_000_000);
    assert.ok(connected(host.state), `seed ${seed}: consent kept for a minute: ${host.state}`);
    assert.ok(agent.stats.consentRequestsSent >= 10, `seed ${seed}: ${agent.stats.consentRequestsSent}`);
  }
});

test("controlled agent accepts aggressive nomination (USE-CANDIDATE on the first check)", () => {
  for (const seed of SEEDS) {
    const net = new Network({ seed, defaultLink: { latency: 10 } });
    const agent = new IceAgent({
      controlling: false,
      random: new SeededRandom(seed),
      ufrag: "ctld",
      pwd: "controlledpasswordxxxxxx",
    });
    const host = new AgentHost(agent, net, "controlled");
    net.attach(host, ["10.0.0.1"]);
    agent.addLocalAddress({ address: "10.0.0.1", port: 5000 }, net.now);
    agent.endOfLocalAddresses(net.now);
    agent.setRemoteCredentials("aggr", "aggressivepasswordxxxxxx", net.now);
    host.kick();
    // The aggressive peer: one check with USE-CANDIDATE; it answers the agent's checks too.
    const peerKey = shortTermKey("aggressivepasswordxxxxxx");
    const peer = new Endpoint(net, "10.0.0.7", (r) => {
      const p = parseStun(r.data);
      if (!p.ok || p.msg.cls !== StunClass.Request || !verifyIntegrity(p.msg, peerKey)) return undefined;
      return new StunBuilder(StunMethod.Binding, StunClass.SuccessResponse, p.msg.transactionId)
        .addAddress(Attr.XorMappedAddress, r.from)
        .finish({ integrity: peerKey, fingerprint: true });
    });
    net.attach(peer, ["10.0.0.7"]);
    const check = new StunBuilder(StunMethod.Binding, StunClass.Request, new SeededRandom(seed + 100).bytes(12))
      .addString(Attr.Username, "ctld:aggr")
      .addU32(Attr.Priority, 1853817087)
      .addU64(Attr.IceControlling, 0, 1)
      .addFlag(Attr.UseCandidate)
      .finish({ integrity: shortTermKey("controlledpasswordxxxxxx"), fingerprint: true });
    peer.send(4000, { address: "10.0.0.1", port: 5000 }, check);
    net.run({ until: () => connected(host.state), maxSteps: 100_000, untilTime: 5_000 });
    assert.ok(connected(host.state), `seed ${seed}: ${host.state}`);
    net.advance(100, 10_000);
    const sel = agent.getSelectedPair()!;
    assert.equal(sel.remote.type, "prflx", `seed ${seed}`);
    assert.equal(sel.remote.address, "10.0.0.7");
    assert.equal(sel.remote.port, 4000);
    assert.equal(sel.remote.priority, 1853817087);
    // The success response to the peer's check carried XOR-MAPPED-ADDRESS and valid integrity.
    const resp = peer.received
      .map((r) => parseStun(r.data))
      .find((p) => p.ok && p.msg.cls === StunClass.SuccessResponse);
    assert.ok(resp?.ok);
    assert.deepEqual(resp.msg.getAddress(Attr.XorMappedAddress), { address: "10.0.0.7", port: 4000 });
    assert.ok(verifyIntegrity(resp.msg, shortTermKey("controlledpasswordxxxxxx")));
    assert.ok(verifyFingerprint(resp.msg));
  }
});
