// The outgoing side of the check engine (RFC 8445 6.1.4 pacing, 7.2.1-7.2.4 sending checks,
// 8.1 nomination, 7.2.5.3.4 selection; RFC 7675 consent freshness on the selected pair): the Ta
// pacer, connectivity and consent checks as STUN transactions, role switches, regular
// nomination by the controlling agent, selection (the controlled side keeps the better of
// competing nominations) and failover while the selected pair is disconnected.
import { familyOf } from "../address.js";
import { toHex } from "../bytes/index.js";
import { StunClientTransaction } from "../stun/index.js";
import { IceBase, type PendingTx } from "./base.js";
import { CandidatePair, type LocalCandidate, pairKey, type RemoteCandidate } from "./checklist.js";
import { buildCheck } from "./messages.js";

const CHECK_TX = { rc: 7, rm: 8, maxRto: 1600 };
const CONSENT_TX = { rto: 500, rc: 4, rm: 4 };
/** Controlled side: a selected pair silent this long (ms) yields to a new nomination. */
const SILENT_SWITCH = 1000;

/** Pacing, sending checks, nomination, selection and consent; checks.ts handles what comes back. */
export abstract class IcePacer extends IceBase {
  protected pairUp(local: LocalCandidate, remote: RemoteCandidate): CandidatePair | undefined {
    if (!this.remote) return undefined;
    if (familyOf(local.base.address) !== familyOf(remote.address.address)) return undefined;
    const existing = this.checklist.get(pairKey(local.baseKey, remote.key));
    if (existing) return existing;
    const pair = new CandidatePair(local, remote, this.generation, this.controlling);
    return this.checklist.add(pair) ? pair : undefined;
  }

  /** Work for the pacer: ordinary checks until a pair of this generation is selected, then triggered only. */
  protected ordinaryChecks(): boolean {
    return !(this.selected && this.selected.generation === this.generation);
  }

  protected scheduleChecks(now: number): void {
    if (!this.remote || this.closed || !this.checklist.hasWork(this.ordinaryChecks())) {
      this.nextCheckAt = undefined;
      return;
    }
    const at = Math.max(now, this.lastCheckAt + this.opts.ta);
    if (this.nextCheckAt === undefined || at < this.nextCheckAt) this.nextCheckAt = at;
  }

  protected checkTick(now: number): void {
    this.nextCheckAt = undefined;
    if (!this.remote) return;
    const pair = this.checklist.next(this.ordinaryChecks());
    if (pair) {
      if (pair.state !== "succeeded") pair.state = "in-progress";
      this.sendCheck(pair, now, this.controlling && pair.nominating, "check");
      this.lastCheckAt = now;
    }
    this.scheduleChecks(now);
  }

  protected sendCheck(pair: CandidatePair, now: number, useCandidate: boolean, kind: "check" | "consent"): void {
    const current = pair.generation === this.generation;
    const remote = current ? this.remote : this.prevRemote;
    const local = current ? this.local : this.prevLocal;
    if (!remote || !local) return;
    const tid = this.random.bytes(12);
    const bytes = buildCheck(tid, {
      username: `${remote.ufrag}:${local.ufrag}`,
      key: remote.key,
      priority: pair.local.prflxPriority,
      controlling: this.controlling,
      tieHi: this.tieHi,
      tieLo: this.tieLo,
      useCandidate,
    });
    const tx = new StunClientTransaction(
      bytes,
      now,
      kind === "consent" ? CONSENT_TX : { ...CHECK_TX, rto: this.opts.checkRto },
    );
    const p: PendingTx = {
      kind,
      tx,
      pair,
      useCandidate,
      controlling: this.controlling,
      key: remote.key,
    };
    this.txs.set(toHex(tid), p);
    const first = tx.pollTransmit(now);
    if (first) this.transmitTx(p, first);
  }

  protected transmitTx(p: PendingTx, bytes: Uint8Array): void {
    const pair = p.pair;
    this.queue(pair.local.base, pair.remote.address, bytes);
    if (p.tx.sends !== 1) return;
    if (p.kind === "consent") {
      this.stats.consentRequestsSent++;
      pair.consentRequestsSent++;
    } else {
      this.stats.checksSent++;
      pair.requestsSent++;
    }
  }

  protected setRole(controlling: boolean): void {
    this.controlling = controlling;
    this.checklist.resort(controlling);
    for (const p of this.checklist.pairs) p.nominating = false;
    this.nominateAt = undefined;
    this.pushEvent({ type: "role-change", controlling });
  }

  /** Controlling side: nominate the best valid pair when nothing better is pending or the delay ran out. */
  protected maybeNominate(now: number, timerFired: boolean): void {
    if (!this.controlling || this.closed || !this.remote) {
      this.nominateAt = undefined;
      return;
    }
    if (!this.ordinaryChecks()) {
      this.nominateAt = undefined;
      return;
    }
    for (const p of this.checklist.pairs) {
      if (p.nominating) {
        this.nominateAt = undefined; // a nomination is in flight; its outcome calls back here
        return;
      }
    }
    const best = this.checklist.bestValid();
    if (!best) {
      this.nominateAt = undefined;
      return;
    }
    const due = timerFired || (this.nominateAt !== undefined && now >= this.nominateAt);
    if (this.remoteLite || due || !this.checklist.betterPending(best)) {
      this.nominateAt = undefined;
      best.nominating = true;
      // The nominating check goes out at once rather than after the next Ta tick: it is one
      // request on a pair already proven to work, and waiting a pacing interval delays
      // "connected" (and everything layered on it) for nothing.
      this.checklist.untrigger(best);
      this.sendCheck(best, now, true, "check");
      this.lastCheckAt = now;
      this.scheduleChecks(now);
    } else if (this.nominateAt === undefined) {
      this.nominateAt = now + this.opts.nominationDelay;
    }
  }

  /**
   * A pair is nominated: select it. The controlled side keeps a higher-priority selected pair
   * against a competing nomination (aggressive nomination nominates several) unless that pair
   * has gone quiet, which is how a controlling peer's failover to another pair looks.
   */
  protected nominate(pair: CandidatePair, now: number): void {
    pair.nominated = true;
    const cur = this.selected;
    if (
      !this.controlling &&
      cur &&
      cur !== pair &&
      cur.generation === pair.generation &&
      !this.consent.lost &&
      !this.consent.disconnected &&
      now < Math.max(cur.lastHeard, cur.lastReceived ?? Number.NEGATIVE_INFINITY) + SILENT_SWITCH &&
      (cur.priHi > pair.priHi || (cur.priHi === pair.priHi && cur.priLo > pair.priLo))
    ) {
      return;
    }
    this.select(pair, now);
  }

  protected select(pair: CandidatePair, now: number): void {
    if (this.selected === pair) return;
    const prev = this.selected;
    this.selected = pair;
    for (const [tid, p] of this.txs) {
      if (p.kind === "consent" && p.pair !== pair) {
        p.tx.cancel();
        this.txs.delete(tid);
      }
    }
    if (prev && prev.generation !== pair.generation) {
      // The previous generation's local credentials stay valid (until the next restart) for
      // peers that keep checking with them; its remote ones are no longer used.
      this.dataPairs.delete(prev.key);
      this.prevRemote = undefined;
    }
    this.consent.start(now);
    this.nominateAt = undefined;
    this.stats.selectedPairChanges++;
    this.pushEvent({ type: "selected-pair", local: this.localOf(pair), remote: pair.remote.candidate });
  }

  protected runConsent(now: number): void {
    const p = this.selected;
    if (!p) return;
    const wasLost = this.consent.lost;
    const wasDisconnected = this.consent.disconnected;
    if (this.consent.poll(now)) this.sendCheck(p, now, false, "consent");
    if (this.consent.disconnected && !wasDisconnected && p.generation === this.generation) {
      // The selected pair went quiet: check the other pairs so that a live one can take over.
      for (const q of this.checklist.pairs) if (q !== p) this.checklist.trigger(q);
      this.scheduleChecks(now);
    }
    if (this.consent.lost && !wasLost) {
      // RFC 7675 5.1: consent expired, stop sending on the pair (its checks included).
      for (const [tid, t] of this.txs) {
        if (t.kind === "consent") {
          t.tx.cancel();
          this.txs.delete(tid);
        }
      }
    }
  }

  /**
   * Controlling side, while the selected pair is disconnected: the first other pair whose check
   * succeeds is nominated and takes over (as browsers switch to a writable connection).
   */
  protected maybeFailover(pair: CandidatePair, now: number): void {
    const sel = this.selected;
    if (!sel || !this.consent.disconnected || this.consent.lost || pair.generation !== sel.generation) return;
    for (const q of this.checklist.pairs) if (q.nominating) return;
    pair.nominating = true;
    this.checklist.trigger(pair);
    this.scheduleChecks(now);
  }
}
