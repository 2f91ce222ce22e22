// The sans-IO STUN client transaction (RFC 8489 section 6.2.1): retransmission schedule with
// the default RTO 500 ms, Rc 7, Rm 16 (sends at 0, 500, 1500, 3500, 7500, 15500, 31500 ms and
// timeout at 39500 ms), success and error outcomes, and mismatched transaction ids ignored.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SeededRandom } from "../../src/random.js";
import {
  buildErrorResponse,
  parseStun,
  StunBuilder,
  StunClass,
  StunClientTransaction,
  StunMethod,
} from "../../src/stun/index.js";

function request(rnd: SeededRandom): Uint8Array {
  return new StunBuilder(StunMethod.Binding, StunClass.Request, rnd.bytes(12)).finish({ fingerprint: true });
}

/** Runs a transaction with no responses and returns the send times and the timeout time. */
function runSilent(t: StunClientTransaction): { sends: number[]; timeoutAt: number } {
  const sends: number[] = [];
  let now = 0;
  for (let guard = 0; guard < 100; guard++) {
    while (t.pollTransmit(now)) sends.push(now);
    const ev = t.pollEvent();
    if (ev) {
      assert.equal(ev.type, "timeout");
      return { sends, timeoutAt: now };
    }
    const next = t.nextTimeout();
    assert.ok(next !== undefined, "a pending transaction always has a deadline");
    now = next;
    t.handleTimeout(now);
  }
  throw new Error("transaction never ended");
}

test("default schedule: 7 sends, timeout at 39.5 s", () => {
  const t = new StunClientTransaction(request(new SeededRandom(1)), 0);
  const { sends, timeoutAt } = runSilent(t);
  assert.deepEqual(sends, [0, 500, 1500, 3500, 7500, 15500, 31500]);
  assert.equal(timeoutAt, 39500);
  assert.equal(t.state, "timed-out");
  assert.equal(t.nextTimeout(), undefined);
});

test("configurable RTO, Rc, Rm and RTO cap", () => {
  const t = new StunClientTransaction(request(new SeededRandom(2)), 0, { rto: 100, rc: 4, rm: 2, maxRto: 200 });
  const { sends, timeoutAt } = runSilent(t);
  assert.deepEqual(sends, [0, 100, 300, 500]);
  assert.equal(timeoutAt, 700);
});

test("success and error responses complete the transaction once; other ids are ignored", () => {
  const rnd = new SeededRandom(3);
  const req = request(rnd);
  const t = new StunClientTransaction(req, 1000);
  assert.ok(t.pollTransmit(1000));
  assert.equal(t.pollTransmit(1000), undefined, "no duplicate send before the RTO");
  const other = parseStun(new StunBuilder(1, StunClass.SuccessResponse, rnd.bytes(12)).finish());
  assert.ok(other.ok);
  assert.equal(t.handleResponse(other.msg, 1010), false);
  const ok = parseStun(new StunBuilder(1, StunClass.SuccessResponse, req.subarray(8, 20)).finish());
  assert.ok(ok.ok);
  assert.equal(t.handleResponse(ok.msg, 1042), true);
  const ev = t.pollEvent();
  assert.equal(ev?.type, "success");
  if (ev?.type === "success") {
    assert.equal(ev.rtt, 42);
    assert.equal(ev.retransmitted, false);
  }
  assert.equal(t.handleResponse(ok.msg, 1050), false, "a duplicate response is not a second outcome");
  assert.equal(t.pollEvent(), undefined);
  assert.equal(t.nextTimeout(), undefined);

  const t2 = new StunClientTransaction(req, 0);
  t2.pollTransmit(0);
  const parsedReq = parseStun(req);
  assert.ok(parsedReq.ok);
  const err = parseStun(buildErrorResponse(parsedReq.msg, 487, "Role Conflict"));
  assert.ok(err.ok);
  assert.ok(t2.handleResponse(err.msg, 20));
  const ev2 = t2.pollEvent();
  assert.equal(ev2?.type, "error");
  if (ev2?.type === "error") assert.equal(ev2.code, 487);
  assert.equal(t2.state, "failed");
});

test("a request is not a response, and cancel stops retransmission silently", () => {
  const req = request(new SeededRandom(4));
  const t = new StunClientTransaction(req, 0);
  t.pollTransmit(0);
  const self = parseStun(req);
  assert.ok(self.ok);
  assert.equal(t.handleResponse(self.msg, 5), false);
  t.cancel();
  t.handleTimeout(10_000);
  assert.equal(t.pollTransmit(10_000), undefined);
  assert.equal(t.pollEvent(), undefined);
  assert.equal(t.state, "cancelled");
});
