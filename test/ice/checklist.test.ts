// The checklist alone (RFC 8445 6.1.2): pair priority formula and its role symmetry, ordering,
// initial Waiting/Frozen states by foundation, unfreezing, the triggered queue before ordinary
// checks, frozen pairs checked when nothing waits, and the cap.
import assert from "node:assert/strict";
import { test } from "node:test";
import { addressKey } from "../../src/address.js";
import { candidatePriority, type IceCandidate } from "../../src/ice/candidate.js";
import { CandidatePair, Checklist, type LocalCandidate, type RemoteCandidate } from "../../src/ice/checklist.js";

function local(ip: string, foundation: string, priority: number): LocalCandidate {
  const base = { address: ip, port: 1 };
  const candidate: IceCandidate = {
    foundation,
    component: 1,
    protocol: "udp",
    priority,
    address: ip,
    port: 1,
    type: "host",
  };
  return { candidate, base, baseKey: addressKey(base), prflxPriority: priority - 1 };
}
function remote(ip: string, foundation: string, priority: number): RemoteCandidate {
  const address = { address: ip, port: 2 };
  const candidate: IceCandidate = {
    foundation,
    component: 1,
    protocol: "udp",
    priority,
    address: ip,
    port: 2,
    type: "host",
  };
  return { candidate, address, key: addressKey(address) };
}

test("pair priority: 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D), the same number on both sides", () => {
  const g = candidatePriority("host", 65535);
  const d = candidatePriority("srflx", 100);
  const mine = new CandidatePair(local("10.0.0.1", "1", g), remote("10.0.0.2", "2", d), 0, true);
  const theirs = new CandidatePair(local("10.0.0.2", "2", d), remote("10.0.0.1", "1", g), 0, false);
  const expected = (1n << 32n) * BigInt(Math.min(g, d)) + 2n * BigInt(Math.max(g, d)) + (g > d ? 1n : 0n);
  assert.equal(mine.priority, expected);
  assert.equal(theirs.priority, expected);
  mine.updatePriority(false);
  assert.notEqual(mine.priority, expected, "the G>D bit flips with the role");
});

test("initial states by foundation, ordering, unfreezing, triggered first, frozen when nothing waits", () => {
  const cl = new Checklist(100);
  const l1 = local("10.0.0.1", "L1", 300);
  const l2 = local("10.0.0.3", "L2", 200);
  const r1 = remote("10.0.0.2", "R1", 300);
  const r2 = remote("10.0.0.4", "R1", 100);
  const p11 = new CandidatePair(l1, r1, 0, true);
  const p12 = new CandidatePair(l1, r2, 0, true);
  const p21 = new CandidatePair(l2, r1, 0, true);
  assert.ok(cl.add(p12));
  assert.ok(cl.add(p11));
  assert.ok(cl.add(p21));
  assert.equal(cl.add(new CandidatePair(l1, r1, 0, true)), false, "no duplicate pair");
  assert.deepEqual(cl.pairs, [p11, p21, p12], "sorted by priority");
  // p12 came first in foundation L1:R1 so it is Waiting; p11 shares it, so Frozen; p21 has its own.
  assert.equal(p12.state, "waiting");
  assert.equal(p11.state, "frozen");
  assert.equal(p21.state, "waiting");
  assert.equal(cl.next(true), p21, "highest Waiting first");
  p21.state = "in-progress";
  assert.equal(cl.next(true), p12);
  p12.state = "succeeded";
  cl.unfreeze(p12.foundation);
  assert.equal(p11.state, "waiting");
  cl.trigger(p12);
  assert.equal(p12.state, "succeeded", "triggering a succeeded pair keeps it succeeded");
  assert.equal(cl.next(false), p12, "triggered even when ordinary checks are off");
  assert.equal(cl.next(false), undefined);
  const cl2 = new Checklist(100);
  const a = new CandidatePair(l1, r1, 0, true);
  const b = new CandidatePair(l1, r2, 0, true);
  cl2.add(a);
  cl2.add(b);
  a.state = "failed";
  assert.equal(b.state, "frozen");
  assert.equal(cl2.next(true), b, "a Frozen pair is checked when nothing is Waiting");
  assert.equal(cl2.allFailed(), false);
  b.state = "failed";
  assert.equal(cl2.allFailed(), true);
});

test("the cap evicts the lowest-priority idle pair, never one in progress", () => {
  const cl = new Checklist(3);
  const l = local("10.0.0.1", "L", 1000);
  const pairs = [10, 20, 30].map((p, i) => new CandidatePair(l, remote(`10.1.0.${i}`, `R${i}`, p), 0, true));
  for (const p of pairs) assert.ok(cl.add(p));
  pairs[0]!.state = "in-progress";
  const better = new CandidatePair(l, remote("10.2.0.1", "X", 40), 0, true);
  assert.ok(cl.add(better));
  assert.equal(cl.size, 3);
  assert.ok(cl.pairs.includes(pairs[0]!), "the in-progress pair stays");
  assert.ok(!cl.pairs.includes(pairs[1]!), "the lowest idle pair went");
  const worse = new CandidatePair(l, remote("10.2.0.2", "Y", 1), 0, true);
  assert.equal(cl.add(worse), false, "a pair below everything evictable is refused");
});
