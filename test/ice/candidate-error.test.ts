// candidate-error events of the ICE agent (webrtc-pc 4.8.2 icecandidateerror) on the network
// simulator: STUN servers answering gathering requests with error responses (401, 420, 500),
// servers that never answer (701 once per URL when the RFC 8489 transaction of every host gives
// up, in virtual time), a server reachable from one host only (no 701), malformed ERROR-CODEs,
// servers the agent cannot use at all (turn: URLs), and gathering still completing in every case.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { TransportAddress } from "../../src/address.js";
import { IceAgent, type IceAgentOptions, type IceEvent } from "../../src/ice/index.js";
import { SeededRandom } from "../../src/random.js";
import { buildErrorResponse, parseStun, StunBuilder, StunClass, StunMethod } from "../../src/stun/index.js";
import { Network, type SimHost } from "../sim/network.js";
import { AgentHost, connected, makePair } from "./harness.js";

type ErrorEvent = Extract<IceEvent, { type: "candidate-error" }>;

/** A STUN "server" that answers every Binding request with one error response (or a broken one). */
class ErrorServer implements SimHost {
  requests = 0;
  private readonly out: { from: TransportAddress; to: TransportAddress; data: Uint8Array }[] = [];
  constructor(
    private readonly code: number,
    private readonly reason: string,
    private readonly malformed = false,
  ) {}
  handleDatagram(data: Uint8Array, from: TransportAddress, to: TransportAddress): void {
    const r = parseStun(data);
    if (!r.ok || r.msg.cls !== StunClass.Request || r.msg.method !== StunMethod.Binding) return;
    this.requests++;
    const bytes = this.malformed
      ? new StunBuilder(StunMethod.Binding, StunClass.ErrorResponse, r.msg.transactionId).finish({ fingerprint: true })
      : buildErrorResponse(r.msg, this.code, this.reason, { fingerprint: true });
    this.out.push({ from: to, to: from, data: bytes });
  }
  handleTimeout(): void {}
  pollTransmit() {
    return this.out.shift();
  }
  nextTimeout(): number | undefined {
    return undefined;
  }
}

function lone(net: Network, seed: number, ips: string[], options: Partial<IceAgentOptions>): AgentHost {
  const agent = new IceAgent({ controlling: true, random: new SeededRandom(seed), ...options });
  const host = new AgentHost(agent, net, "A");
  net.attach(host, ips);
  for (const ip of ips) agent.addLocalAddress({ address: ip, port: 5000 }, net.now);
  agent.endOfLocalAddresses(net.now);
  host.kick();
  return host;
}

const errorsOf = (h: AgentHost): ErrorEvent[] => h.events.filter((e): e is ErrorEvent => e.type === "candidate-error");
const gatheringOf = (h: AgentHost): string[] =>
  h.events.flatMap((e) => (e.type === "gathering-state" ? [e.state] : []));
/** Index of the "complete" gathering-state event (every candidate-error must come before it). */
const completeAt = (h: AgentHost): number =>
  h.events.findIndex((e) => e.type === "gathering-state" && e.state === "complete");

test("error responses (401, 420, 500) are reported per host and server with code, reason and URL", () => {
  for (const seed of [1, 2, 3]) {
    const ctx = `seed ${seed}`;
    const net = new Network({ seed, defaultLink: { latency: 10, jitter: 3 } });
    const servers = [
      { ip: "192.0.2.1", code: 401, reason: "Unauthorized" },
      { ip: "192.0.2.2", code: 420, reason: "Unknown Attribute" },
      { ip: "192.0.2.3", code: 500, reason: "Server Error" },
    ];
    for (const s of servers) net.attach(new ErrorServer(s.code, s.reason), [s.ip]);
    const a = lone(net, seed, ["10.0.0.1", "10.0.0.2"], {
      stunServers: servers.map((s) => ({ address: s.ip, port: 3478, url: `stun:server-${s.code}.example:3478` })),
    });
    net.run({ until: () => a.agent.gatheringState === "complete", untilTime: 10_000 });
    assert.equal(a.agent.gatheringState, "complete", ctx);
    // Every server answered: gathering ends after one round trip, not after a timeout.
    assert.ok(net.now < 100, `${ctx}: completed at ${net.now}`);
    const errs = errorsOf(a);
    assert.equal(errs.length, 6, `${ctx}: ${JSON.stringify(errs)}`);
    for (const s of servers) {
      for (const ip of ["10.0.0.1", "10.0.0.2"]) {
        const e = errs.find((x) => x.code === s.code && x.address === ip);
        assert.ok(e, `${ctx}: ${s.code} for ${ip}`);
        assert.equal(e.url, `stun:server-${s.code}.example:3478`, ctx);
        assert.equal(e.port, 5000, ctx);
        assert.equal(e.text, s.reason, ctx);
      }
    }
    assert.ok(!errs.some((e) => e.code === 701), ctx);
    const last = a.events.lastIndexOf(errs[errs.length - 1]!);
    assert.ok(last < completeAt(a), `${ctx}: errors come before gathering completes`);
    // Only host candidates: an error response gives no srflx candidate.
    assert.equal(a.agent.getLocalCandidates().length, 2, ctx);
  }
});

test("a server that never answers: one 701 per URL when every host's request gave up (RFC 8489 timing)", () => {
  for (const seed of [1, 2]) {
    const ctx = `seed ${seed}`;
    const net = new Network({ seed, defaultLink: { latency: 10 } });
    // Nothing is attached at 192.0.2.99: the requests vanish.
    const a = lone(net, seed, ["10.0.0.1", "10.0.0.2"], {
      stunServers: [
        { address: "192.0.2.99", port: 3478, url: "stun:gone.example:3478" },
        { address: "192.0.2.98", port: 19302 },
      ],
    });
    let firstErrorAt: number | undefined;
    a.onEvent = (e) => {
      if (e.type === "candidate-error" && firstErrorAt === undefined) firstErrorAt = net.now;
    };
    net.run({ until: () => a.agent.gatheringState === "complete", untilTime: 10_000 });
    assert.equal(a.agent.gatheringState, "complete", ctx);
    const errs = errorsOf(a);
    assert.deepEqual(
      errs.map((e) => [e.url, e.code, e.address, e.port]),
      [
        ["stun:gone.example:3478", 701, "10.0.0.1", 5000],
        ["stun:192.0.2.98:19302", 701, "10.0.0.1", 5000],
      ],
      ctx,
    );
    assert.ok(errs[0]!.text.length > 0, ctx);
    // Sends at 0, 500 and 1500 ms; the transaction gives up Rm*RTO = 2000 ms after the last send.
    assert.equal(firstErrorAt, 3500, ctx);
    assert.ok(a.events.lastIndexOf(errs[1]!) < completeAt(a), ctx);
    assert.deepEqual(gatheringOf(a), ["gathering", "complete"], ctx);
  }
});

test("gatherRto shortens the wait for an unreachable server", () => {
  const net = new Network({ seed: 4, defaultLink: { latency: 5 } });
  const a = lone(net, 4, ["10.0.0.1"], { stunServers: [{ address: "192.0.2.99", port: 3478 }], gatherRto: 50 });
  net.run({ until: () => a.agent.gatheringState === "complete", untilTime: 10_000 });
  assert.equal(net.now, 350);
  assert.deepEqual(
    errorsOf(a).map((e) => e.code),
    [701],
  );
});

test("a server that answers one host but not the other is reachable: no 701", () => {
  const net = new Network({ seed: 5, defaultLink: { latency: 10 } });
  net.attach(new ErrorServer(500, "Server Error"), ["192.0.2.1"]);
  net.setLink("10.0.0.2", "192.0.2.1", { latency: 10, loss: 1 });
  const a = lone(net, 5, ["10.0.0.1", "10.0.0.2"], { stunServers: [{ address: "192.0.2.1", port: 3478 }] });
  net.run({ until: () => a.agent.gatheringState === "complete", untilTime: 10_000 });
  assert.equal(a.agent.gatheringState, "complete");
  // The answered host's error only; the other host's request timed out quietly.
  assert.deepEqual(
    errorsOf(a).map((e) => [e.code, e.address]),
    [[500, "10.0.0.1"]],
  );
  assert.ok(net.now >= 3500, `${net.now}`);
});

test("an error response without a valid ERROR-CODE ends the request without an event", () => {
  const net = new Network({ seed: 6, defaultLink: { latency: 10 } });
  net.attach(new ErrorServer(0, "", true), ["192.0.2.1"]);
  const a = lone(net, 6, ["10.0.0.1"], { stunServers: [{ address: "192.0.2.1", port: 3478 }] });
  net.run({ until: () => a.agent.gatheringState === "complete", untilTime: 10_000 });
  assert.equal(a.agent.gatheringState, "complete");
  assert.ok(net.now < 100, `${net.now}`);
  assert.equal(errorsOf(a).length, 0);
});

test("unusable servers (turn: without a TURN client) are reported once per gathering round, at once", () => {
  const net = new Network({ seed: 7, defaultLink: { latency: 10 } });
  const unusable = [
    { url: "turn:turn.example:3478?transport=udp", text: "TURN is not supported" },
    { url: "turns:turn.example:5349", text: "TURN is not supported" },
  ];
  const a = lone(net, 7, ["10.0.0.1", "10.0.0.2"], { unusableServers: unusable });
  // Reported with the first host candidate, before gathering completes (nothing else pending).
  assert.deepEqual(
    errorsOf(a).map((e) => [e.url, e.code, e.address, e.port, e.text]),
    unusable.map((u) => [u.url, 701, "10.0.0.1", 5000, u.text]),
  );
  assert.equal(a.agent.gatheringState, "complete");
  assert.ok(a.events.lastIndexOf(errorsOf(a)[1]!) < completeAt(a));
  // An ICE restart gathers again: reported again, once.
  a.events.length = 0;
  a.agent.restart(net.now);
  a.kick();
  assert.deepEqual(
    errorsOf(a).map((e) => e.url),
    unusable.map((u) => u.url),
  );
});

test("failing servers do not stop two agents from connecting", () => {
  for (const seed of [1, 2, 3]) {
    const ctx = `seed ${seed}`;
    const net = new Network({ seed, defaultLink: { latency: 8, jitter: 2 } });
    net.attach(new ErrorServer(401, "Unauthorized"), ["192.0.2.1"]);
    const options: Partial<IceAgentOptions> = {
      stunServers: [
        { address: "192.0.2.1", port: 3478 },
        { address: "192.0.2.99", port: 3478 },
      ],
      unusableServers: [{ url: "turn:192.0.2.7", text: "TURN is not supported" }],
    };
    const { a, b, start } = makePair(net, seed, { ips: ["10.0.0.1"], options }, { ips: ["10.0.0.2"], options });
    start();
    net.run({
      until: () => connected(a.state) && connected(b.state) && a.agent.gatheringState === "complete",
      untilTime: 20_000,
    });
    assert.ok(connected(a.state) && connected(b.state), `${ctx}: ${a.state}/${b.state}`);
    assert.equal(b.agent.gatheringState, "complete", ctx);
    assert.deepEqual(
      errorsOf(a)
        .map((e) => e.code)
        .sort(),
      [401, 701, 701],
      ctx,
    );
  }
});
