// Hostile input to a connected agent: 60,000 random, truncated and bit-flipped datagrams (many
// of them mutated valid checks and responses carrying the right credentials) from known and
// unknown sources. Nothing may throw, no state may be created for what fails authentication, and
// the agent must stay connected with its selected pair unchanged.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { TransportAddress } from "../../src/address.js";
import { SeededRandom } from "../../src/random.js";
import { Attr, StunBuilder, StunClass, StunMethod, shortTermKey } from "../../src/stun/index.js";
import { Network } from "../sim/network.js";
import { connected, makePair } from "./harness.js";

test("60,000 mutated datagrams: no exception, no state from unauthenticated input, still connected", () => {
  for (const seed of [1, 2]) {
    const net = new Network({ seed, defaultLink: { latency: 10 } });
    const { a, b, start } = makePair(net, seed, { ips: ["10.0.0.1"] }, { ips: ["10.0.0.2"] });
    start();
    net.run({ until: () => connected(a.state) && connected(b.state), maxSteps: 100_000 });
    const agent = b.agent;
    const before = agent.getSelectedPair()!;
    const remotes = agent.getRemoteCandidates().length;
    const rnd = new SeededRandom(seed + 1000);
    const key = shortTermKey(agent.localCredentials.pwd);
    const username = `${agent.localCredentials.ufrag}:${a.agent.localCredentials.ufrag}`;
    const to: TransportAddress = { address: "10.0.0.2", port: 5000 };
    const sources: TransportAddress[] = [
      { address: "10.0.0.1", port: 5000 },
      { address: "10.0.0.1", port: 5001 },
      { address: "10.9.9.9", port: 1234 },
      { address: "fd00::9", port: 1 },
    ];
    const validCheck = (): Uint8Array =>
      new StunBuilder(StunMethod.Binding, StunClass.Request, rnd.bytes(12))
        .addString(Attr.Username, username)
        .addU32(Attr.Priority, rnd.u32())
        .addU64(Attr.IceControlling, rnd.u32(), rnd.u32())
        .addFlag(Attr.UseCandidate)
        .finish({ integrity: key, fingerprint: true });
    const validResponse = (): Uint8Array =>
      new StunBuilder(StunMethod.Binding, StunClass.SuccessResponse, rnd.bytes(12))
        .addAddress(Attr.XorMappedAddress, { address: "10.0.0.2", port: 5000 })
        .finish({ integrity: key, fingerprint: true });
    let now = net.now;
    for (let i = 0; i < 30_000; i++) {
      let d: Uint8Array;
      const kind = i % 4;
      if (kind === 0) d = rnd.bytes(rnd.int(200));
      else {
        d = Uint8Array.from(kind === 3 ? validResponse() : validCheck());
        if (kind === 2) d = d.subarray(0, rnd.int(d.length));
        else {
          // 1-3 flips at distinct bytes, so the message always differs from the authentic one.
          const at = new Set<number>();
          const flips = 1 + rnd.int(3);
          while (at.size < flips) at.add(rnd.int(d.length));
          for (const o of at) d[o]! ^= 1 << rnd.int(8);
        }
      }
      const from = sources[rnd.int(sources.length)]!;
      try {
        agent.handleDatagram(d, from, to, now);
        if (i % 100 === 0) {
          now += 1;
          agent.handleTimeout(now);
        }
        for (let t = agent.pollTransmit(); t; t = agent.pollTransmit());
        for (let e = agent.pollEvent(); e; e = agent.pollEvent());
      } catch (e) {
        assert.fail(`seed ${seed} case ${i}: ${(e as Error).stack}\n${Buffer.from(d).toString("hex")}`);
      }
    }
    assert.equal(agent.getRemoteCandidates().length, remotes, `seed ${seed}: no candidates from forged input`);
    assert.deepEqual(agent.getSelectedPair(), before, `seed ${seed}`);
    assert.ok(connected(agent.state), `seed ${seed}: ${agent.state}`);
    const dropped = Object.values(agent.stats.dropped).reduce((x, y) => x + y, 0);
    assert.ok(dropped > 25_000, `seed ${seed}: ${JSON.stringify(agent.stats.dropped)}`);
  }
});
