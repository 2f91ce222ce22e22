// Two sans-IO ICE agents (src/ice/) connecting over real UDP on loopback, each run by its own
// UdpDriver: candidates trickled through the event listeners, credentials exchanged directly,
// then application data both ways on the selected pair; close() leaves no socket or timer behind.
import assert from "node:assert/strict";
import { test } from "node:test";
import { IceAgent } from "../../src/ice/agent.js";
import type { IceCandidate } from "../../src/ice/candidate.js";
import type { IceEvent } from "../../src/ice/types.js";
import { UdpDriver } from "../../src/net/driver.js";

interface Side {
  agent: IceAgent;
  driver: UdpDriver<IceEvent>;
  states: string[];
  data: string[];
  candidates: IceCandidate[];
  selected: boolean;
}

function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = (): void => {
      if (cond()) resolve();
      else if (Date.now() - started > ms) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(poll, 5);
    };
    poll();
  });
}

async function pair(addresses: string[]): Promise<[Side, Side]> {
  const sides: Side[] = [];
  for (const controlling of [true, false]) {
    const agent = new IceAgent({ controlling, ta: 20 });
    const side: Side = {
      agent,
      driver: undefined as unknown as UdpDriver<IceEvent>,
      states: [],
      data: [],
      candidates: [],
      selected: false,
    };
    side.driver = new UdpDriver<IceEvent>(agent, {
      addresses,
      onBound: (b, now) => agent.addLocalAddress(b.address, now),
      onEvent: (e) => {
        const other = sides[controlling ? 1 : 0]!;
        switch (e.type) {
          case "candidate":
            side.candidates.push(e.candidate);
            other.agent.addRemoteCandidate(e.line, other.driver.now());
            other.driver.kick();
            break;
          case "gathering-state":
            if (e.state === "complete") {
              other.agent.addRemoteCandidate(null, other.driver.now());
              other.driver.kick();
            }
            break;
          case "state":
            side.states.push(e.state);
            break;
          case "selected-pair":
            side.selected = true;
            break;
          case "data":
            side.data.push(Buffer.from(e.data).toString());
            break;
        }
      },
      onFailed: (err) => {
        throw err;
      },
    });
    sides.push(side);
  }
  const [a, b] = sides as [Side, Side];
  // Credentials first (as signaling would carry them with the SDP), then the sockets.
  a.agent.setRemoteCredentials(b.agent.localCredentials.ufrag, b.agent.localCredentials.pwd, a.driver.now());
  b.agent.setRemoteCredentials(a.agent.localCredentials.ufrag, a.agent.localCredentials.pwd, b.driver.now());
  await a.driver.start();
  await b.driver.start();
  for (const s of [a, b]) {
    s.agent.endOfLocalAddresses(s.driver.now());
    s.driver.kick();
  }
  return [a, b];
}

const connected = (s: Side): boolean => s.agent.state === "connected" || s.agent.state === "completed";

test("two ICE agents connect over real UDP on 127.0.0.1 and exchange data", { timeout: 20_000 }, async () => {
  const [a, b] = await pair(["127.0.0.1"]);
  try {
    await until(() => connected(a) && connected(b) && a.selected && b.selected, "both agents connected");
    assert.equal(a.states[0], "checking", a.states.join(","));
    assert.ok(a.states.includes("connected") || a.states.includes("completed"), a.states.join(","));
    const selA = a.agent.getSelectedPair()!;
    const selB = b.agent.getSelectedPair()!;
    assert.equal(selA.local.address, "127.0.0.1");
    assert.equal(selA.remote.port, selB.local.port);
    assert.equal(selB.remote.port, selA.local.port);
    for (let i = 0; i < 20; i++) {
      assert.ok(a.agent.send(Buffer.from(`a${i}`)));
      assert.ok(b.agent.send(Buffer.from(`b${i}`)));
    }
    a.driver.kick();
    b.driver.kick();
    await until(() => a.data.length === 20 && b.data.length === 20, "40 datagrams");
    // Loopback does not lose or reorder datagrams.
    assert.deepEqual(
      b.data,
      Array.from({ length: 20 }, (_, i) => `a${i}`),
    );
    assert.deepEqual(
      a.data,
      Array.from({ length: 20 }, (_, i) => `b${i}`),
    );
    assert.deepEqual(a.driver.stats.sendErrors, {});
    assert.deepEqual(b.driver.stats.sendErrors, {});
  } finally {
    a.agent.close();
    b.agent.close();
    a.driver.close();
    b.driver.close();
  }
});

test("with 127.0.0.1 and ::1 both bound, the agents still pick one working pair", { timeout: 20_000 }, async (t) => {
  let sides: [Side, Side];
  try {
    sides = await pair(["127.0.0.1", "::1"]);
  } catch (err) {
    t.skip(`cannot bind both loopbacks here: ${err}`);
    return;
  }
  const [a, b] = sides;
  try {
    if (a.driver.localAddresses.length < 2) {
      t.skip("no IPv6 loopback here");
      return;
    }
    await until(() => connected(a) && connected(b) && a.selected && b.selected, "both agents connected");
    const sel = a.agent.getSelectedPair()!;
    assert.equal(sel.local.address.includes(":"), sel.remote.address.includes(":"), "same family on both ends");
    assert.ok(a.agent.send(Buffer.from("hello")));
    a.driver.kick();
    await until(() => b.data.includes("hello"), "data");
  } finally {
    a.agent.close();
    b.agent.close();
    a.driver.close();
    b.driver.close();
  }
});
