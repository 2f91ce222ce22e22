// Life after connecting: consent freshness (RFC 7675) taking the state to disconnected, back to
// connected, and to failed; a peer that closes is detected; ICE restart (RFC 8445 section 9)
// keeps data flowing on the old pair until a new one is selected, and a peer still using our old
// ufrag on a new path is followed; failover to another pair when the selected one dies.
import assert from "node:assert/strict";
import { test } from "node:test";
import { IceAgent } from "../../src/ice/index.js";
import { SeededRandom } from "../../src/random.js";
import {
  Attr,
  parseStun,
  StunBuilder,
  StunClass,
  StunMethod,
  shortTermKey,
  verifyIntegrity,
} from "../../src/stun/index.js";
import { Endpoint } from "../sim/endpoint.js";
import { Network } from "../sim/network.js";
import { AgentHost, connected, makePair } from "./harness.js";

const SEEDS = [1, 2, 3, 4];
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function connectedPair(seed: number) {
  const net = new Network({ seed, defaultLink: { latency: 10 } });
  const setup = makePair(net, seed, { ips: ["10.0.0.1"] }, { ips: ["10.0.0.2"] });
  setup.start();
  net.run({ until: () => connected(setup.a.state) && connected(setup.b.state), maxSteps: 100_000 });
  assert.ok(connected(setup.a.state) && connected(setup.b.state), `seed ${seed}`);
  net.advance(1000, 100_000);
  return { net, ...setup };
}

test("a blackholed path goes disconnected within a consent interval, recovers, then fails after 30 s", () => {
  for (const seed of SEEDS) {
    const { net, a, b } = connectedPair(seed);
    const cut = net.now;
    net.setLink("10.0.0.1", "10.0.0.2", { latency: 10, loss: 1 });
    net.setLink("10.0.0.2", "10.0.0.1", { latency: 10, loss: 1 });
    net.run({ until: () => a.state === "disconnected" && b.state === "disconnected", untilTime: cut + 20_000 });
    assert.equal(a.state, "disconnected", `seed ${seed}`);
    assert.equal(b.state, "disconnected", `seed ${seed}`);
    // At most one consent interval (6 s with jitter) plus the 2.5 s timeout.
    assert.ok(net.now - cut <= 8600, `seed ${seed}: took ${net.now - cut} ms`);
    // Restore the link: consent responses return and the state goes back to connected.
    net.setLink("10.0.0.1", "10.0.0.2", { latency: 10 });
    net.setLink("10.0.0.2", "10.0.0.1", { latency: 10 });
    const restored = net.now;
    net.run({ until: () => connected(a.state) && connected(b.state), untilTime: restored + 5000 });
    assert.ok(connected(a.state) && connected(b.state), `seed ${seed}: ${a.state}/${b.state}`);
    assert.ok(net.now - restored <= 2000, `seed ${seed}: recovery took ${net.now - restored} ms`);
    // Cut again, for good: failed 30 s after the last consent response.
    const cut2 = net.now;
    net.setLink("10.0.0.1", "10.0.0.2", { latency: 10, loss: 1 });
    net.setLink("10.0.0.2", "10.0.0.1", { latency: 10, loss: 1 });
    net.run({ until: () => a.state === "failed" && b.state === "failed", untilTime: cut2 + 60_000 });
    assert.equal(a.state, "failed", `seed ${seed}`);
    assert.equal(b.state, "failed", `seed ${seed}`);
    assert.ok(net.now - cut2 <= 30_000, `seed ${seed}: ${net.now - cut2}`);
    assert.ok(net.now - cut2 >= 20_000, `seed ${seed}: ${net.now - cut2}`);
    assert.deepEqual(
      a.states.slice(-5),
      ["disconnected", "connected", "completed", "disconnected", "failed"],
      `seed ${seed}`,
    );
    assert.equal(a.agent.send(enc("x")), false, "no data after consent is lost");
    // A failed agent goes quiet: no timers left running that send.
    const sent = net.stats.sent;
    net.advance(60_000, 100_000);
    assert.equal(net.stats.sent, sent, `seed ${seed}: silent after failure`);
  }
});

test("a peer that closes is detected: disconnected, then failed", () => {
  for (const seed of SEEDS) {
    const { net, a, b } = connectedPair(seed);
    b.agent.close();
    b.kick();
    assert.equal(b.state, "closed");
    const t0 = net.now;
    net.run({ until: () => a.state === "disconnected", untilTime: t0 + 20_000 });
    assert.equal(a.state, "disconnected", `seed ${seed}`);
    net.run({ until: () => a.state === "failed", untilTime: t0 + 60_000 });
    assert.equal(a.state, "failed", `seed ${seed}`);
    assert.equal(b.agent.nextTimeout(), undefined);
  }
});

test("ICE restart: data keeps flowing on the old pair until a new pair is selected", () => {
  for (const seed of SEEDS) {
    const { net, a, b, sig } = connectedPair(seed);
    const selectedBefore = a.events.filter((e) => e.type === "selected-pair").length;
    const oldUfrag = a.agent.localCredentials.ufrag;
    a.agent.restart(net.now);
    a.kick();
    assert.notEqual(a.agent.localCredentials.ufrag, oldUfrag);
    // The restart offer reaches B after 100 ms; B restarts and answers 100 ms later.
    sig.send(() => {
      b.agent.restart(net.now);
      const ca = a.agent.localCredentials;
      b.agent.setRemoteCredentials(ca.ufrag, ca.pwd, net.now);
      b.kick();
      sig.send(() => {
        const cb = b.agent.localCredentials;
        a.agent.setRemoteCredentials(cb.ufrag, cb.pwd, net.now);
        a.kick();
      }, 100);
    }, 100);
    // Send a datagram every 10 ms throughout; with a lossless link every one must arrive.
    let sent = 0;
    const before = b.received.length;
    for (let t = 0; t < 2000; t += 10) {
      assert.ok(a.agent.send(enc(`d${sent}`)), `seed ${seed}: send at +${t} ms`);
      sent++;
      a.kick();
      net.advance(10, 100_000);
      assert.ok(connected(a.state), `seed ${seed}: ${a.state} at +${t}`);
    }
    net.advance(100, 100_000);
    assert.equal(b.received.length - before, sent, `seed ${seed}: all data arrived across the restart`);
    const selectedAfter = a.events.filter((e) => e.type === "selected-pair").length;
    assert.equal(selectedAfter, selectedBefore + 1, `seed ${seed}: a new pair was selected`);
    assert.equal(a.agent.stats.selectedPairChanges, 2, `seed ${seed}`);
    const newLines = a.events.filter((e) => e.type === "candidate" && e.line.includes(a.agent.localCredentials.ufrag));
    assert.ok(newLines.length >= 1, `seed ${seed}: candidates regathered with the new ufrag`);
    // The new generation keeps consent by itself.
    net.advance(40_000, 1_000_000);
    assert.ok(connected(a.state) && connected(b.state), `seed ${seed}: ${a.state}/${b.state}`);
  }
});

test("failover: the selected path dies, another interface pair takes over without a restart", () => {
  for (const seed of SEEDS) {
    const net = new Network({ seed, defaultLink: { latency: 10 } });
    const setup = makePair(net, seed, { ips: ["10.0.0.1", "10.1.0.1"] }, { ips: ["10.0.0.2", "10.1.0.2"] });
    const { a, b } = setup;
    setup.start();
    net.run({ until: () => connected(a.state) && connected(b.state), maxSteps: 100_000 });
    net.advance(1000, 100_000);
    const before = a.agent.getSelectedPair()!;
    // Cut the selected path in both directions (the other interfaces stay up).
    net.setLink(before.local.address, before.remote.address, { latency: 10, loss: 1 });
    net.setLink(before.remote.address, before.local.address, { latency: 10, loss: 1 });
    const cut = net.now;
    net.run({ until: () => a.state === "disconnected", untilTime: cut + 20_000, maxSteps: 1_000_000 });
    assert.equal(a.state, "disconnected", `seed ${seed}`);
    const agreeOnNewPair = (): boolean => {
      const x = a.agent.getSelectedPair()!;
      const y = b.agent.getSelectedPair()!;
      return (
        connected(a.state) &&
        connected(b.state) &&
        x !== undefined &&
        x.local.address === y.remote.address &&
        x.remote.address === y.local.address &&
        `${x.local.address}>${x.remote.address}` !== `${before.local.address}>${before.remote.address}`
      );
    };
    net.run({ until: agreeOnNewPair, untilTime: net.now + 10_000, maxSteps: 1_000_000 });
    assert.ok(connected(a.state) && connected(b.state), `seed ${seed}: ${a.state}/${b.state}`);
    const after = a.agent.getSelectedPair()!;
    const afterB = b.agent.getSelectedPair()!;
    assert.notEqual(
      `${after.local.address}>${after.remote.address}`,
      `${before.local.address}>${before.remote.address}`,
    );
    assert.equal(after.local.address, afterB.remote.address, `seed ${seed}: both ends moved to the same pair`);
    assert.equal(after.remote.address, afterB.local.address, `seed ${seed}`);
    assert.ok(net.now - cut < 12_000, `seed ${seed}: took ${net.now - cut} ms`);
    a.agent.send(enc("after failover"));
    a.kick();
    net.advance(100, 100_000);
    assert.equal(new TextDecoder().decode(b.received.at(-1)!), "after failover", `seed ${seed}`);
    // And it holds: no failure 40 s later.
    net.advance(40_000, 1_000_000);
    assert.ok(connected(a.state) && connected(b.state), `seed ${seed}: ${a.state}/${b.state}`);
  }
});

test("restart: a peer still using our previous ufrag on a new path is followed (as Chrome does)", () => {
  for (const seed of SEEDS) {
    const net = new Network({ seed, defaultLink: { latency: 10 } });
    const agent = new IceAgent({ controlling: false, random: new SeededRandom(seed), consentInterval: 1000 });
    const host = new AgentHost(agent, net, "controlled");
    net.attach(host, ["10.0.0.1"]);
    agent.addLocalAddress({ address: "10.0.0.1", port: 5000 }, net.now);
    agent.endOfLocalAddresses(net.now);
    // The peer: answers checks with whichever of its passwords the request names.
    const peerCreds = new Map([
      ["peer1", "peerpasswordnumberone111"],
      ["peer2", "peerpasswordnumbertwo222"],
    ]);
    const peer = new Endpoint(net, "10.0.0.7", (r) => {
      const p = parseStun(r.data);
      if (!p.ok || p.msg.cls !== StunClass.Request) return undefined;
      const user = p.msg.getString(Attr.Username) ?? "";
      const pwd = peerCreds.get(user.split(":")[0]!);
      if (!pwd || !verifyIntegrity(p.msg, shortTermKey(pwd))) return undefined;
      return new StunBuilder(StunMethod.Binding, StunClass.SuccessResponse, p.msg.transactionId)
        .addAddress(Attr.XorMappedAddress, r.from)
        .finish({ integrity: shortTermKey(pwd), fingerprint: true });
    });
    net.attach(peer, ["10.0.0.7"]);
    const rnd = new SeededRandom(seed + 50);
    const check = (username: string, pwd: string) =>
      new StunBuilder(StunMethod.Binding, StunClass.Request, rnd.bytes(12))
        .addString(Attr.Username, username)
        .addU32(Attr.Priority, 1853817087)
        .addU64(Attr.IceControlling, 0, 1)
        .addFlag(Attr.UseCandidate)
        .finish({ integrity: shortTermKey(pwd), fingerprint: true });
    const to = { address: "10.0.0.1", port: 5000 };
    agent.setRemoteCredentials("peer1", peerCreds.get("peer1")!, net.now);
    host.kick();
    const old = agent.localCredentials;
    peer.send(4000, to, check(`${old.ufrag}:peer1`, old.pwd));
    net.advance(200, 10_000);
    assert.ok(connected(host.state), `seed ${seed}: ${host.state}`);
    // We restart and learn the peer's new credentials; the peer, from a new port, still checks
    // with our previous ufrag and password, and nominates that path.
    agent.restart(net.now);
    agent.setRemoteCredentials("peer2", peerCreds.get("peer2")!, net.now);
    host.kick();
    peer.send(4001, to, check(`${old.ufrag}:peer2`, old.pwd));
    net.advance(200, 10_000);
    const sel = agent.getSelectedPair()!;
    assert.equal(sel.remote.port, 4001, `seed ${seed}: the new path is selected`);
    assert.equal(agent.stats.selectedPairChanges, 2);
    // Consent on it uses the peer's new credentials and holds; old-ufrag checks are still answered.
    net.advance(5000, 100_000);
    assert.ok(connected(host.state), `seed ${seed}: ${host.state}`);
    assert.ok(agent.stats.consentRequestsSent >= 4);
    const answered = peer.received.filter((r) => r.to.port === 4001).length;
    peer.send(4001, to, check(`${old.ufrag}:peer2`, old.pwd));
    net.advance(100, 10_000);
    assert.ok(peer.received.filter((r) => r.to.port === 4001).length > answered, `seed ${seed}`);
    assert.equal(agent.stats.dropped["unknown-ufrag"] ?? 0, 0, `seed ${seed}`);
  }
});
