// Untrusted and unusual input: forged checks (bad integrity, wrong ufrag, no integrity) are
// dropped and counted and create no state; data from unknown sources is dropped; an
// authenticated check with an unknown comprehension-required attribute gets 420; mDNS host
// candidates resolved by the driver, or left unresolved (connection through peer-reflexive
// candidates); the 100-pair cap; and API misuse errors.
import assert from "node:assert/strict";
import { test } from "node:test";
import { IceAgent } from "../../src/ice/index.js";
import { SeededRandom } from "../../src/random.js";
import { Attr, parseStun, StunBuilder, StunClass, StunMethod, shortTermKey } from "../../src/stun/index.js";
import { Endpoint } from "../sim/endpoint.js";
import { Network } from "../sim/network.js";
import { connected, makePair } from "./harness.js";

const SEEDS = [1, 2, 3, 4];

test("forged checks are dropped, counted, unanswered and create no state", () => {
  for (const seed of SEEDS) {
    const net = new Network({ seed, defaultLink: { latency: 10 } });
    const { a, b, start } = makePair(net, seed, { ips: ["10.0.0.1"] }, { ips: ["10.0.0.2"] });
    start();
    net.run({ until: () => connected(a.state) && connected(b.state), maxSteps: 100_000 });
    const attacker = new Endpoint(net, "10.0.0.66");
    net.attach(attacker, ["10.0.0.66"]);
    const ufrag = b.agent.localCredentials.ufrag;
    const rnd = new SeededRandom(seed);
    const check = (username: string, key: string | undefined, extra?: (sb: StunBuilder) => void): Uint8Array => {
      const sb = new StunBuilder(StunMethod.Binding, StunClass.Request, rnd.bytes(12))
        .addString(Attr.Username, username)
        .addU32(Attr.Priority, 1)
        .addU64(Attr.IceControlling, 0, 0)
        .addFlag(Attr.UseCandidate);
      extra?.(sb);
      return sb.finish({ ...(key ? { integrity: shortTermKey(key) } : {}), fingerprint: true });
    };
    const remotesBefore = b.agent.getRemoteCandidates().length;
    const pairsBefore = b.agent.getPairStats().length;
    const to = { address: "10.0.0.2", port: 5000 };
    attacker.send(6000, to, check(`${ufrag}:evil`, "not-the-password-at-all"));
    attacker.send(6000, to, check("nope:evil", b.agent.localCredentials.pwd));
    attacker.send(6000, to, check(`${ufrag}:evil`, undefined));
    attacker.send(6000, to, new TextEncoder().encode("not stun, not from a peer"));
    attacker.send(6000, to, new StunBuilder(1, StunClass.SuccessResponse, rnd.bytes(12)).finish({ fingerprint: true }));
    const bad = Uint8Array.from(check(`${ufrag}:evil`, "x"));
    bad[bad.length - 1]! ^= 0xff;
    attacker.send(6000, to, bad);
    // A's address but the wrong port: not a known pair, so not data.
    attacker.send(6001, to, new Uint8Array([23, 254, 253, 0]));
    net.advance(200, 10_000);
    const d = b.agent.stats.dropped;
    assert.equal(d["bad-integrity"], 1, `seed ${seed}: ${JSON.stringify(d)}`);
    assert.equal(d["unknown-ufrag"], 1, `seed ${seed}`);
    assert.equal(d["no-integrity"], 1, `seed ${seed}`);
    assert.equal(d["unknown-transaction"], 1, `seed ${seed}`);
    assert.equal(d["bad-fingerprint"], 1, `seed ${seed}`);
    assert.equal(d["no-pair"], 2, `seed ${seed}`);
    assert.equal(attacker.received.length, 0, `seed ${seed}: nothing answered`);
    assert.equal(b.agent.getRemoteCandidates().length, remotesBefore, `seed ${seed}`);
    assert.equal(b.agent.getPairStats().length, pairsBefore, `seed ${seed}`);
    assert.equal(b.received.length, 0, `seed ${seed}: no data event`);
    assert.ok(connected(b.state), `seed ${seed}`);
    // An authenticated check with an unknown comprehension-required attribute: 420.
    attacker.send(
      6002,
      to,
      check(`${ufrag}:evil`, b.agent.localCredentials.pwd, (sb) => sb.add(0x7eee, new Uint8Array(4))),
    );
    net.advance(100, 10_000);
    assert.equal(attacker.received.length, 1, `seed ${seed}`);
    const r = parseStun(attacker.received[0]!.data);
    assert.ok(r.ok);
    assert.equal(r.msg.errorCode()?.code, 420);
    assert.deepEqual(r.msg.unknownAttributes(), [0x7eee]);
  }
});

for (const resolve of [true, false]) {
  test(`mDNS host candidates ${resolve ? "resolved by the driver" : "left unresolved: peer-reflexive"}`, () => {
    for (const seed of SEEDS) {
      const net = new Network({ seed, defaultLink: { latency: 10 } });
      const name = "3bd84cde-e727-47dc-b338-83aeceae0da9.local";
      const setup = makePair(
        net,
        seed,
        { ips: ["10.0.0.1"] },
        { ips: ["10.0.0.2"] },
        { mapLine: (from, line) => (from === "a" ? line.replace("10.0.0.1", name) : line) },
      );
      const { a, b, sig } = setup;
      const queries: string[] = [];
      const orig = b.onEvent;
      b.onEvent = (e) => {
        orig(e);
        if (e.type === "mdns-query") {
          queries.push(e.name);
          sig.send(() => {
            b.agent.resolveMdns(e.name, resolve ? "10.0.0.1" : undefined, net.now);
            b.kick();
          }, 50);
        }
      };
      setup.start();
      net.run({ until: () => connected(a.state) && connected(b.state), maxSteps: 100_000, untilTime: 10_000 });
      assert.ok(connected(a.state) && connected(b.state), `seed ${seed}`);
      assert.deepEqual(queries, [name], `seed ${seed}`);
      const remote = b.agent.getSelectedPair()!.remote;
      net.advance(500, 100_000); // the answer to the mDNS query (50 ms) may come after connecting
      const after = b.agent.getSelectedPair()!.remote;
      assert.equal(after.port, 5000);
      if (resolve) {
        assert.equal(after.type, "host", `seed ${seed}`);
        assert.equal(after.address, name, `seed ${seed}: the candidate keeps its mDNS name`);
      } else {
        assert.equal(remote.type, "prflx", `seed ${seed}`);
        assert.equal(remote.address, "10.0.0.1", `seed ${seed}`);
        assert.equal(b.agent.stats.dropped["mdns-unresolved"], 1, `seed ${seed}`);
      }
    }
  });
}

test("at most 100 pairs; the highest-priority ones are kept", () => {
  const agent = new IceAgent({ controlling: true, random: new SeededRandom(1) });
  agent.addLocalAddress({ address: "10.0.0.1", port: 5000 }, 0);
  agent.setRemoteCredentials("rrrr", "remotepasswordremotepass", 0);
  for (let i = 0; i < 150; i++) {
    agent.addRemoteCandidate(`candidate:${i} 1 udp ${1000 + i} 10.1.${i >> 8}.${i & 255} 9 typ host`, 0);
  }
  const pairs = agent.getPairStats();
  assert.equal(pairs.length, 100);
  const prios = pairs.map((p) => p.remote.priority).sort((x, y) => x - y);
  assert.equal(prios[0], 1050, "the 50 lowest-priority candidates were not paired");
});

test("API misuse throws errors with stable codes", () => {
  const agent = new IceAgent({ controlling: true, random: new SeededRandom(1) });
  assert.throws(() => agent.addRemoteCandidate("candidate:garbage", 0), { code: "ICE_BAD_CANDIDATE" });
  assert.throws(() => agent.addLocalAddress({ address: "nope", port: 1 }, 0), { code: "ICE_BAD_ADDRESS" });
  agent.setRemoteCredentials("abcd", "passwordpasswordpassword", 0);
  assert.throws(() => agent.setRemoteCredentials("efgh", "passwordpasswordpassword", 0), {
    code: "ICE_CREDENTIALS_SET",
  });
  agent.close();
  assert.throws(() => agent.addLocalAddress({ address: "10.0.0.1", port: 1 }, 0), { code: "ICE_CLOSED" });
  assert.equal(agent.state, "closed");
  assert.equal(agent.send(new Uint8Array(1)), false);
});
