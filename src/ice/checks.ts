// The incoming side of the check engine (RFC 8445 7.3 answering checks: authentication, 7.3.1.1
// role conflicts, 7.3.1.3 peer-reflexive candidates, 7.3.1.4 triggered checks, 7.3.1.5
// USE-CANDIDATE; 7.2.5 reading responses: valid pairs, 487, non-symmetric failures) and the
// answers to server-reflexive gathering requests. IceAgent (agent.ts) adds the public API.
import { addressKey, sameAddress, type TransportAddress } from "../address.js";
import { readU32, toHex } from "../bytes/index.js";
import {
  Attr,
  buildUnknownAttributesResponse,
  parseStun,
  StunClass,
  type StunMessage,
  StunMethod,
  verifyFingerprint,
  verifyIntegrity,
} from "../stun/index.js";
import { MAX_EARLY_CHECKS, makeCreds, type PendingTx } from "./base.js";
import { type CandidatePair, type LocalCandidate, pairKey } from "./checklist.js";
import { buildCheckResponse, buildRoleConflict } from "./messages.js";
import { IcePacer } from "./pacer.js";

export { makeCreds };

/** The check engine under IceAgent: what arrives (requests, responses) on top of the pacer. */
export abstract class IceCore extends IcePacer {
  // ---------------------------------------------------------------- STUN input

  protected handleStun(data: Uint8Array, from: TransportAddress, to: TransportAddress): void {
    const r = parseStun(data);
    if (!r.ok) {
      this.drop(r.reason);
      return;
    }
    const msg = r.msg;
    if (msg.fingerprintOffset >= 0 && !verifyFingerprint(msg)) {
      this.drop("bad-fingerprint");
      return;
    }
    if (msg.cls === StunClass.Request) {
      if (msg.method !== StunMethod.Binding) {
        this.drop("not-binding");
        return;
      }
      this.handleRequest(msg, from, to);
    } else if (msg.cls === StunClass.Indication) {
      this.drop("indication");
    } else {
      this.handleResponse(msg, from, to);
    }
  }

  protected handleRequest(msg: StunMessage, from: TransportAddress, to: TransportAddress): void {
    const local = this.locals.host(addressKey(to));
    if (!local) {
      this.drop("unknown-local");
      return;
    }
    if (msg.integrityOffset < 0) {
      this.drop("no-integrity");
      return;
    }
    // Connectivity checks always carry FINGERPRINT (RFC 8445 7.2.2); handleStun verified it.
    if (msg.fingerprintOffset < 0) {
      this.drop("no-fingerprint");
      return;
    }
    const username = msg.getString(Attr.Username);
    if (username === undefined) {
      this.drop("no-username");
      return;
    }
    const colon = username.indexOf(":");
    const lu = colon < 0 ? username : username.slice(0, colon);
    const creds = lu === this.local.ufrag ? this.local : this.prevLocal?.ufrag === lu ? this.prevLocal : undefined;
    if (!creds) {
      this.drop("unknown-ufrag");
      return;
    }
    if (!verifyIntegrity(msg, creds.key)) {
      this.drop("bad-integrity");
      return;
    }
    if (msg.unknownRequired) {
      const resp = buildUnknownAttributesResponse(msg, { integrity: creds.key, fingerprint: true });
      if (resp) this.queue(to, from, resp);
      return;
    }
    this.stats.checksReceived++;
    // With the previous generation's credentials on the old selected path: a consent check there.
    // On any other path it is a peer that has not seen our new credentials yet checking a new path
    // (a browser restarting ICE pairs its new ports with our old candidates): a check like any.
    const old = this.selected;
    const oldPath =
      creds !== this.local &&
      old !== undefined &&
      old.generation !== this.generation &&
      sameAddress(old.remote.address, from) &&
      old.local.baseKey === local.baseKey;
    // Role conflict (RFC 8445 7.3.1.1).
    const theirs = msg.get(this.controlling ? Attr.IceControlling : Attr.IceControlled);
    if (theirs && theirs.length === 8 && !oldPath) {
      const hi = readU32(theirs, 0);
      const lo = readU32(theirs, 4);
      const oursWins = this.tieHi > hi || (this.tieHi === hi && this.tieLo >= lo);
      if (this.controlling === oursWins) {
        this.queue(to, from, buildRoleConflict(msg, creds.key, this.software));
        return;
      }
      this.setRole(!this.controlling);
    }
    this.queue(to, from, buildCheckResponse(msg, from, creds.key, this.software));
    this.stats.responsesSent++;
    if (oldPath) {
      old.requestsReceived++;
      old.responsesSent++;
      old.lastHeard = this.now;
      return;
    }
    const priority = msg.getU32(Attr.Priority) ?? 0;
    const useCandidate = msg.has(Attr.UseCandidate);
    if (!this.remote) {
      if (this.earlyChecks.length >= MAX_EARLY_CHECKS) this.earlyChecks.shift();
      this.earlyChecks.push({ local, from, priority, useCandidate });
      return;
    }
    this.processCheck(local, from, priority, useCandidate, this.now);
  }

  /** The pair side of an authenticated incoming check (RFC 8445 7.3.1.3-7.3.1.5). */
  protected processCheck(
    local: LocalCandidate,
    from: TransportAddress,
    priority: number,
    useCandidate: boolean,
    now: number,
  ): void {
    let remote = this.remotes.get(from);
    if (!remote) {
      // Peer-reflexive remote candidate (7.3.1.3), paired with the base the check came in on.
      if (this.remotes.full) {
        this.drop("remote-limit");
        return;
      }
      remote = this.remotes.storePrflx(from, priority);
    }
    let pair = this.checklist.get(pairKey(local.baseKey, remote.key));
    if (!pair) {
      pair = this.pairUp(local, remote);
      if (!pair) {
        this.drop("pair-limit");
        return;
      }
    }
    pair.requestsReceived++;
    pair.lastHeard = now;
    pair.responsesSent++;
    if (!pair.remoteChecked) {
      pair.remoteChecked = true;
      this.dataPairs.set(pair.key, pair);
    }
    if (useCandidate && !this.controlling) {
      // Nominated by the controlling peer. It nominates a pair after its own check on it
      // succeeded (its request reached us, our response reached it), so the path works both ways
      // even if our check has not completed: select now, as browsers do. (During an ICE restart a
      // browser's old-generation port may answer our new checks with 401 until it is pruned.)
      pair.useCandidateReceived = true;
      this.nominate(pair, now);
    }
    if (pair.state !== "succeeded" && pair.state !== "in-progress") this.checklist.trigger(pair);
    this.scheduleChecks(now);
  }

  protected handleResponse(msg: StunMessage, from: TransportAddress, to: TransportAddress): void {
    const tid = toHex(msg.transactionId);
    const now = this.now;
    const g = this.gatherer.handleResponse(tid, msg, from, to, now);
    if (g === "bad-source") {
      this.drop("gather-source");
      return;
    }
    if (g) {
      const r = g.mapped && this.locals.addReflexive(g.local, g.mapped, g.server, this.local.ufrag);
      if (r) this.emitCandidate(r.candidate);
      if (g.error) this.emitCandidateError(g.error);
      this.maybeGatheringComplete();
      return;
    }
    const p = this.txs.get(tid);
    if (!p) {
      if (!this.gatherer.owns(tid)) this.drop("unknown-transaction");
      return;
    }
    if (!verifyIntegrity(msg, p.key)) {
      // An unauthenticated error (e.g. 401 from a browser port of the previous generation during
      // a restart) is not trusted to fail the pair: the transaction keeps retransmitting.
      this.drop(
        msg.cls === StunClass.ErrorResponse && msg.integrityOffset < 0
          ? "unauthenticated-error-response"
          : "bad-response-integrity",
      );
      return;
    }
    const pair = p.pair;
    if (!sameAddress(from, pair.remote.address) || !sameAddress(to, pair.local.base)) {
      // Non-symmetric (7.2.5.2.1): the check fails.
      this.txs.delete(tid);
      p.tx.cancel();
      this.pairFailed(pair, p, now);
      return;
    }
    if (!p.tx.handleResponse(msg, now)) return;
    this.txs.delete(tid);
    const ev = p.tx.pollEvent();
    this.stats.responsesReceived++;
    pair.responsesReceived++;
    if (ev?.type === "error") {
      if (ev.code === 487 && p.kind === "check") {
        // Role conflict (7.2.5.1): switch if we have not already, and try again.
        if (p.controlling === this.controlling) this.setRole(!this.controlling);
        pair.nominating = false;
        this.checklist.trigger(pair);
        this.scheduleChecks(now);
      } else {
        this.pairFailed(pair, p, now);
      }
      return;
    }
    if (ev?.type !== "success") return;
    pair.lastHeard = now;
    pair.currentRtt = ev.rtt;
    pair.totalRtt += ev.rtt;
    const mapped = msg.getAddress(Attr.XorMappedAddress);
    if (mapped && (!pair.mapped || !sameAddress(mapped, pair.mapped))) {
      pair.mapped = mapped;
      pair.seenLocal = undefined;
    }
    if (pair === this.selected) this.consent.answered(now);
    if (p.kind === "consent") return;
    const wasValid = pair.valid;
    pair.state = "succeeded";
    pair.valid = true;
    this.dataPairs.set(pair.key, pair);
    if (!wasValid) {
      this.checklist.unfreeze(pair.foundation);
      if (!this.selected) this.pushEvent({ type: "writable" });
    }
    if (p.useCandidate && this.controlling) {
      pair.nominating = false;
      this.nominate(pair, now);
    } else if (!this.controlling && pair.useCandidateReceived) {
      this.nominate(pair, now);
    }
    if (this.controlling) this.maybeNominate(now, false);
    if (this.controlling && pair !== this.selected && !p.useCandidate) this.maybeFailover(pair, now);
  }

  protected onTxTimeout(p: PendingTx, now: number): void {
    if (p.kind === "consent") return; // consent expiry is judged by time, not by one transaction
    this.pairFailed(p.pair, p, now);
  }

  protected pairFailed(pair: CandidatePair, p: PendingTx, now: number): void {
    if (p.useCandidate) pair.nominating = false;
    if (pair.valid) {
      // A valid pair whose later check (nomination) failed stays valid; try nominating again.
      if (this.controlling) this.maybeNominate(now, false);
      return;
    }
    pair.state = "failed";
    if (this.controlling) this.maybeNominate(now, false);
  }
}
