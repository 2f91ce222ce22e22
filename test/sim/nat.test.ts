// Tests of the simulated NATs (RFC 4787): each mapping and filtering behaviour, presets, timeouts,
// port allocation, hairpinning, double NAT, and routing rules of private realms.
import assert from "node:assert/strict";
import { test } from "node:test";
import { addressKey, type TransportAddress } from "../../src/address.js";
import { SeededRandom } from "../../src/random.js";
import { Endpoint } from "./endpoint.js";
import { type NatBehaviour, natPresets } from "./nat.js";
import { Network } from "./network.js";

const BEHAVIOURS: NatBehaviour[] = ["endpoint-independent", "address-dependent", "address-and-port-dependent"];
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** One inside host behind a NAT and two outside hosts (S1, S2). */
function world(seed: number, mapping: NatBehaviour, filtering: NatBehaviour, extra: object = {}) {
  const net = new Network({ seed });
  const nat = net.addNat({ publicIp: "203.0.113.1", mapping, filtering, ...extra });
  const inside = new Endpoint(net, "192.168.1.2");
  const s1 = new Endpoint(net, "198.51.100.1");
  const s2 = new Endpoint(net, "198.51.100.2");
  net.attach(inside, [inside.ip], { nat });
  net.attach(s1, [s1.ip]);
  net.attach(s2, [s2.ip]);
  return { net, nat, inside, s1, s2 };
}

test("each mapping behaviour maps as configured", () => {
  for (const seed of [1, 2]) {
    for (const mapping of BEHAVIOURS) {
      const { net, inside, s1, s2 } = world(seed, mapping, "endpoint-independent");
      const ctx = `seed ${seed}, ${mapping} mapping`;
      inside.send(5000, { address: s1.ip, port: 3478 }, bytes("a"));
      inside.send(5000, { address: s1.ip, port: 3479 }, bytes("b"));
      inside.send(5000, { address: s2.ip, port: 3478 }, bytes("c"));
      net.run();
      const seen = [...s1.received, ...s2.received].map((r) => addressKey(r.from));
      assert.equal(seen.length, 3, ctx);
      for (const a of seen) assert.ok(a.startsWith("203.0.113.1:"), `${ctx}: ${a}`);
      const [toS1a, toS1b, toS2] = seen;
      // The first mapping preserves the internal port.
      assert.equal(toS1a, "203.0.113.1:5000", ctx);
      if (mapping === "endpoint-independent") {
        assert.equal(toS1b, toS1a, ctx);
        assert.equal(toS2, toS1a, ctx);
      } else if (mapping === "address-dependent") {
        assert.equal(toS1b, toS1a, ctx);
        assert.notEqual(toS2, toS1a, ctx);
      } else {
        assert.notEqual(toS1b, toS1a, ctx);
        assert.notEqual(toS2, toS1a, ctx);
        assert.notEqual(toS2, toS1b, ctx);
      }
    }
  }
});

test("each filtering behaviour filters as configured, with every mapping behaviour", () => {
  for (const mapping of BEHAVIOURS) {
    for (const filtering of BEHAVIOURS) {
      const ctx = `${mapping} mapping, ${filtering} filtering`;
      const { net, nat, inside, s1, s2 } = world(4, mapping, filtering);
      inside.send(5000, { address: s1.ip, port: 3478 }, bytes("hello"));
      net.run();
      const mapped = s1.received[0]!.from;
      // Replies to the mapped address from: the same endpoint, the same IP on another port, another IP.
      s1.send(3478, mapped, bytes("same"));
      s1.send(9999, mapped, bytes("other-port"));
      s2.send(3478, mapped, bytes("other-ip"));
      // And to a port of the NAT that has no mapping.
      s1.send(3478, { address: nat.publicIp, port: mapped.port + 1 }, bytes("unmapped"));
      net.run();
      const got = inside.received.map((r) => new TextDecoder().decode(r.data));
      const expected =
        filtering === "endpoint-independent"
          ? ["same", "other-port", "other-ip"]
          : filtering === "address-dependent"
            ? ["same", "other-port"]
            : ["same"];
      assert.deepEqual(got, expected, ctx);
      for (const r of inside.received) {
        assert.deepEqual(r.to, { address: inside.ip, port: 5000 }, ctx);
        assert.notEqual(r.from.address, nat.publicIp, ctx); // the source is not rewritten inbound
      }
      assert.equal(nat.stats.filtered, 3 - expected.length, ctx);
      assert.equal(nat.stats.noMapping, 1, ctx);
      assert.equal(net.stats.natDropped, 4 - expected.length, ctx);
    }
  }
});

test("presets are the classic cone and symmetric NATs", () => {
  assert.deepEqual(natPresets.fullCone, { mapping: "endpoint-independent", filtering: "endpoint-independent" });
  assert.deepEqual(natPresets.restrictedCone, { mapping: "endpoint-independent", filtering: "address-dependent" });
  assert.deepEqual(natPresets.portRestrictedCone, {
    mapping: "endpoint-independent",
    filtering: "address-and-port-dependent",
  });
  assert.deepEqual(natPresets.symmetric, {
    mapping: "address-and-port-dependent",
    filtering: "address-and-port-dependent",
  });
  const net = new Network({ seed: 1 });
  const nat = net.addNat({ publicIp: "203.0.113.9", ...natPresets.restrictedCone });
  assert.equal(nat.mapping, "endpoint-independent");
  assert.equal(nat.filtering, "address-dependent");
});

test("a private address is unreachable from outside, and an IP cannot be attached twice", () => {
  const { net, inside, s1 } = world(1, "endpoint-independent", "endpoint-independent");
  s1.send(3478, { address: inside.ip, port: 5000 }, bytes("direct"));
  net.run();
  assert.equal(inside.received.length, 0);
  assert.equal(net.stats.noRoute, 1);
  assert.throws(() => net.attach(new Endpoint(net, "198.51.100.1"), ["198.51.100.1"]), { code: "ERR_SIM_IP_IN_USE" });
  assert.throws(() => net.addNat({ publicIp: "203.0.113.1" }), { code: "ERR_SIM_IP_IN_USE" });
});

test("hosts behind the same NAT talk directly; two of them on one port get different mappings", () => {
  const { net, nat, inside, s1 } = world(1, "endpoint-independent", "address-and-port-dependent");
  const other = new Endpoint(net, "192.168.1.3");
  net.attach(other, [other.ip], { nat });
  inside.send(5000, { address: other.ip, port: 5000 }, bytes("lan"));
  net.run();
  assert.equal(other.received.length, 1);
  assert.deepEqual(other.received[0]!.from, { address: inside.ip, port: 5000 });
  assert.equal(nat.stats.outbound, 0);
  inside.send(5000, { address: s1.ip, port: 3478 }, bytes("x"));
  other.send(5000, { address: s1.ip, port: 3478 }, bytes("y"));
  net.run();
  const [a, b] = s1.received.map((r) => r.from);
  assert.deepEqual(a, { address: nat.publicIp, port: 5000 });
  assert.equal(b!.address, nat.publicIp);
  assert.notEqual(b!.port, 5000);
  // Replies reach the right inside host.
  s1.send(3478, a!, bytes("to-inside"));
  s1.send(3478, b!, bytes("to-other"));
  net.run();
  assert.equal(new TextDecoder().decode(inside.received.at(-1)!.data), "to-inside");
  assert.equal(new TextDecoder().decode(other.received.at(-1)!.data), "to-other");
});

test("mappings time out when idle, outbound traffic refreshes them, inbound only when configured", () => {
  for (const inboundRefresh of [false, true]) {
    const ctx = `inboundRefresh ${inboundRefresh}`;
    const { net, nat, inside, s1 } = world(1, "endpoint-independent", "endpoint-independent", {
      mappingTimeout: 30_000,
      portAllocation: "sequential",
      inboundRefresh,
    });
    inside.send(5000, { address: s1.ip, port: 3478 }, bytes("1"));
    net.run();
    const mapped = s1.received[0]!.from;
    // Keep it alive from inside every 20 s for a minute.
    for (let i = 0; i < 3; i++) {
      net.advance(20_000);
      inside.send(5000, { address: s1.ip, port: 3478 }, bytes("keepalive"));
    }
    net.run();
    s1.send(3478, mapped, bytes("still-open"));
    net.run();
    assert.equal(inside.received.length, 1, ctx);
    // Only inbound traffic for a minute: the mapping survives only if inbound refreshes it.
    for (let i = 0; i < 3; i++) {
      net.advance(20_000);
      s1.send(3478, mapped, bytes("inbound"));
      net.run();
    }
    assert.equal(inside.received.length, inboundRefresh ? 4 : 2, ctx);
    net.advance(30_000);
    s1.send(3478, mapped, bytes("late"));
    net.run();
    assert.equal(nat.stats.mappingsExpired, 1, ctx);
    assert.ok(nat.stats.noMapping >= 1, ctx);
    // A new flow gets a new mapping (sequential allocation: a new port).
    inside.send(5000, { address: s1.ip, port: 3478 }, bytes("again"));
    net.run();
    assert.notEqual(s1.received.at(-1)!.from.port, mapped.port, ctx);
  }
});

test("port allocation: sequential and random stay in range; random is reproducible from the seed", () => {
  const ports = (seed: number, portAllocation: "sequential" | "random"): number[] => {
    const { net, inside, s1 } = world(seed, "address-and-port-dependent", "endpoint-independent", {
      portAllocation,
      portRange: [40000, 40099],
    });
    for (let p = 0; p < 20; p++) inside.send(5000, { address: s1.ip, port: 3000 + p }, bytes("x"));
    net.run();
    return s1.received.map((r) => r.from.port);
  };
  assert.deepEqual(
    ports(1, "sequential"),
    Array.from({ length: 20 }, (_, i) => 40000 + i),
  );
  const r1 = ports(1, "random");
  assert.equal(new Set(r1).size, 20);
  for (const p of r1) assert.ok(p >= 40000 && p <= 40099, `${p}`);
  assert.deepEqual(ports(1, "random"), r1);
  assert.notDeepEqual(ports(2, "random"), r1);
});

test("the mapping table is bounded: new flows beyond it are dropped and counted", () => {
  const { net, nat, inside, s1 } = world(1, "address-and-port-dependent", "endpoint-independent", {
    maxMappings: 10,
  });
  for (let p = 0; p < 15; p++) inside.send(5000, { address: s1.ip, port: 3000 + p }, bytes("x"));
  net.run();
  assert.equal(s1.received.length, 10);
  assert.equal(nat.stats.exhausted, 5);
  assert.equal(nat.size, 10);
  // Ports run out the same way.
  const small = world(1, "address-and-port-dependent", "endpoint-independent", { portRange: [6000, 6002] });
  for (let p = 0; p < 5; p++) small.inside.send(5000, { address: small.s1.ip, port: 3000 + p }, bytes("x"));
  small.net.run();
  assert.equal(small.s1.received.length, 3);
  assert.equal(small.nat.stats.exhausted, 2);
});

test("hairpinning: through the public address only when enabled", () => {
  for (const hairpinning of [false, true]) {
    const { net, nat, inside } = world(1, "endpoint-independent", "endpoint-independent", { hairpinning });
    const other = new Endpoint(net, "192.168.1.3");
    net.attach(other, [other.ip], { nat });
    const s = new Endpoint(net, "198.51.100.7");
    net.attach(s, [s.ip]);
    // `other` opens a mapping; `inside` sends to it through the public address.
    other.send(6000, { address: s.ip, port: 1 }, bytes("open"));
    net.run();
    const otherMapped = s.received[0]!.from;
    inside.send(5000, otherMapped, bytes("hairpin"));
    net.run();
    if (hairpinning) {
      assert.equal(other.received.length, 1);
      // RFC 4787 REQ-9: the source seen is the sender's external mapping, not its private address.
      assert.deepEqual(other.received[0]!.from, { address: nat.publicIp, port: 5000 });
    } else {
      assert.equal(other.received.length, 0);
      assert.equal(nat.stats.hairpinDropped, 1);
    }
  }
});

test("double NAT: a host behind two NATs is translated twice and reachable back", () => {
  const net = new Network({ seed: 1 });
  const outer = net.addNat({ publicIp: "203.0.113.1", ...natPresets.portRestrictedCone });
  const inner = net.addNat({ publicIp: "100.64.0.2", ...natPresets.portRestrictedCone, behind: outer });
  const h = new Endpoint(net, "192.168.1.2");
  net.attach(h, [h.ip], { nat: inner });
  const s = new Endpoint(net, "198.51.100.1", (r) => bytes(addressKey(r.from)));
  net.attach(s, [s.ip]);
  h.send(5000, { address: s.ip, port: 3478 }, bytes("q"));
  net.run();
  assert.equal(s.received[0]!.from.address, "203.0.113.1");
  assert.equal(h.received.length, 1);
  assert.equal(new TextDecoder().decode(h.received[0]!.data), addressKey(s.received[0]!.from));
  assert.equal(inner.stats.outbound, 1);
  assert.equal(outer.stats.inbound, 1);
  assert.equal(inner.stats.inbound, 1);
});

test("links apply to the translated (public) addresses", () => {
  const { net, inside, s1 } = world(1, "endpoint-independent", "endpoint-independent");
  net.setLinks("203.0.113.1", s1.ip, { latency: 77 });
  const at: TransportAddress = { address: s1.ip, port: 3478 };
  inside.send(5000, at, bytes("x"));
  net.run();
  assert.equal(s1.received[0]!.at, 77);
});

test("conservation under random traffic: every datagram sent is delivered or dropped for a counted reason", () => {
  for (const seed of [1, 2, 3, 4]) {
    const net = new Network({
      seed,
      defaultLink: { latency: 5, jitter: 10, loss: 0.05, duplicate: 0.05, mtu: 1000, rate: 200_000, queue: 4000 },
    });
    const presets = Object.values(natPresets);
    const nats = presets.map((p, i) => net.addNat({ publicIp: `203.0.113.${i + 1}`, ...p, maxMappings: 8 }));
    const hosts: Endpoint[] = [];
    nats.forEach((nat, i) => {
      for (const j of [2, 3]) {
        const h = new Endpoint(net, `192.168.${i}.${j}`);
        net.attach(h, [h.ip], { nat });
        hosts.push(h);
      }
    });
    for (const j of [1, 2, 3]) {
      const h = new Endpoint(net, `198.51.100.${j}`, (r) => r.data);
      net.attach(h, [h.ip]);
      hosts.push(h);
    }
    const rnd = new SeededRandom(seed);
    const allIps = [...hosts.map((h) => h.ip), ...nats.map((n) => n.publicIp), "100.64.9.9"];
    for (let i = 0; i < 3000; i++) {
      const from = hosts[rnd.int(hosts.length)]!;
      const to = { address: allIps[rnd.int(allIps.length)]!, port: 5000 + rnd.int(6) };
      from.send(5000 + rnd.int(3), to, new Uint8Array(rnd.int(1200)));
      if (i % 10 === 0) net.advance(rnd.int(50));
    }
    net.run();
    const s = net.stats;
    const outcomes = s.delivered + s.lost + s.tooBig + s.noRoute + s.queueDropped + s.natDropped;
    assert.equal(s.sent + s.duplicated, outcomes, `seed ${seed}: ${JSON.stringify(s)}`);
    const natDrops = nats.reduce(
      (n, nat) => n + nat.stats.noMapping + nat.stats.filtered + nat.stats.hairpinDropped + nat.stats.exhausted,
      0,
    );
    assert.equal(natDrops, s.natDropped, `seed ${seed}`);
    assert.ok(s.delivered > 0 && s.natDropped > 0 && s.noRoute > 0 && s.queueDropped >= 0, `seed ${seed}`);
    for (const nat of nats) assert.ok(nat.size <= 8, `seed ${seed}: ${nat.size} mappings`);
  }
});
