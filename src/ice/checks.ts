// The connectivity-check engine under the ICE agent (RFC 8445 sections 6.1.4, 7.2, 7.3, 8.1):
// answering checks (authentication, role conflicts, peer-reflexive candidates, triggered checks,
// USE-CANDIDATE), sending paced checks and consent checks as STUN transactions, reading their
// responses (valid pairs, 487, non-symmetric failures), nomination and selection, consent
// freshness (RFC 7675) and the RTCIceTransportState derived from it all. IceAgent (agent.ts) adds
// the public API on top: candidates, credentials, restart, gathering and the data path.
import { addressKey, familyOf, sameAddress, type TransportAddress } from "../address.js";
import { readU32, toHex } from "../bytes/index.js";
import type { Transmit } from "../core.js";
import { cryptoRandom, type Random } from "../random.js";
import {
  Attr,
  buildUnknownAttributesResponse,
  parseStun,
  StunClass,
  StunClientTransaction,
  type StunKey,
  type StunMessage,
  StunMethod,
  shortTermKey,
  verifyFingerprint,
  verifyIntegrity,
} from "../stun/index.js";
import { formatCandidate, type IceCandidate } from "./candidate.js";
import { CandidatePair, Checklist, type LocalCandidate, pairKey, type RemoteCandidate } from "./checklist.js";
import { ConsentMonitor } from "./consent.js";
import { Gatherer } from "./gather.js";
import { LocalCandidates } from "./local.js";
import { buildCheck, buildCheckResponse, buildRoleConflict, randomIceString } from "./messages.js";
import { BoundedQueue } from "./queue.js";
import { RemoteCandidates } from "./remote.js";
import type { IceAgentOptions, IceAgentStats, IceEvent, IceGatheringState, IceTransportState } from "./types.js";

export interface Creds {
  ufrag: string;
  pwd: string;
  key: StunKey;
}

export interface PendingTx {
  kind: "check" | "consent";
  tx: StunClientTransaction;
  pair: CandidatePair;
  useCandidate: boolean;
  controlling: boolean;
  key: StunKey;
}

export interface EarlyCheck {
  local: LocalCandidate;
  from: TransportAddress;
  priority: number;
  useCandidate: boolean;
}

const CHECK_TX = { rc: 7, rm: 8, maxRto: 1600 };
const CONSENT_TX = { rto: 500, rc: 4, rm: 4 };
export const MAX_EARLY_CHECKS = 32;
/** Controlled side: a selected pair silent this long (ms) yields to a new nomination. */
const SILENT_SWITCH = 1000;
const MAX_OUT = 4096;
const MAX_EVENTS = 8192;

/** The state and check machinery of an ICE agent; use IceAgent, which adds the public API. */
export abstract class IceCore {
  readonly stats: IceAgentStats = {
    checksSent: 0,
    checksReceived: 0,
    responsesSent: 0,
    responsesReceived: 0,
    consentRequestsSent: 0,
    selectedPairChanges: 0,
    packetsSent: 0,
    packetsReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    dropped: {},
  };
  state: IceTransportState = "new";
  gatheringState: IceGatheringState = "new";
  controlling: boolean;
  /** True once the remote side signalled end-of-candidates for the current generation. */
  remoteEndOfCandidates = false;
  /** Set when the remote agent is ICE-lite (we then always control). */
  remoteLite = false;

  protected readonly random: Random;
  protected readonly opts: Required<Omit<IceAgentOptions, "random" | "ufrag" | "pwd" | "software" | "controlling">>;
  protected readonly software: string | undefined;
  protected local: Creds;
  protected prevLocal: Creds | undefined = undefined;
  protected remote: Creds | undefined = undefined;
  protected prevRemote: Creds | undefined = undefined;
  protected generation = 0;
  protected tieHi: number;
  protected tieLo: number;

  protected readonly locals = new LocalCandidates();
  protected readonly remotes = new RemoteCandidates();
  protected readonly earlyChecks: EarlyCheck[] = [];
  protected checklist: Checklist;
  /** Pairs whose remote may send us data (valid, or checked us with our password), by pair key. */
  protected readonly dataPairs = new Map<string, CandidatePair>();
  protected readonly txs = new Map<string, PendingTx>();
  protected readonly gatherer: Gatherer;
  protected readonly sendFn = (from: TransportAddress, to: TransportAddress, data: Uint8Array): void =>
    this.queue(from, to, data);
  protected localAddressesDone = false;

  protected selected: CandidatePair | undefined = undefined;
  protected nextCheckAt: number | undefined = undefined;
  protected lastCheckAt = Number.NEGATIVE_INFINITY;
  protected nominateAt: number | undefined = undefined;
  protected readonly consent: ConsentMonitor;
  protected allFailedSince: number | undefined = undefined;
  protected closed = false;

  protected readonly out = new BoundedQueue<Transmit>(MAX_OUT);
  protected readonly events = new BoundedQueue<IceEvent>(MAX_EVENTS);
  protected now = 0;
  protected deadline: number | undefined = undefined;
  protected deadlineDirty = true;

  constructor(options: IceAgentOptions) {
    this.random = options.random ?? cryptoRandom();
    this.controlling = options.controlling;
    this.software = options.software;
    this.opts = {
      stunServers: options.stunServers ?? [],
      ta: options.ta ?? 50,
      checkRto: options.checkRto ?? 250,
      nominationDelay: options.nominationDelay ?? 500,
      consentInterval: options.consentInterval ?? 5000,
      disconnectedTimeout: options.disconnectedTimeout ?? 2500,
      consentTimeout: options.consentTimeout ?? 30000,
      failTimeout: options.failTimeout ?? 30000,
      maxPairs: options.maxPairs ?? 100,
    };
    this.local = makeCreds(
      options.ufrag ?? randomIceString(this.random, 4),
      options.pwd ?? randomIceString(this.random, 24),
    );
    this.tieHi = this.random.u32();
    this.tieLo = this.random.u32();
    this.checklist = new Checklist(this.opts.maxPairs);
    this.gatherer = new Gatherer(options.stunServers ?? [], this.random);
    this.consent = new ConsentMonitor(
      this.opts.consentInterval,
      this.opts.disconnectedTimeout,
      this.opts.consentTimeout,
      this.random,
    );
  }

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

  // ---------------------------------------------------------------- checks and nomination

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

  /** A pair is nominated: select it (controlled side keeps the better of competing nominations). */
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

  // ---------------------------------------------------------------- candidates and gathering

  protected emitCandidate(c: IceCandidate): void {
    this.pushEvent({ type: "candidate", candidate: c, line: formatCandidate(c) });
  }

  protected setGathering(s: IceGatheringState): void {
    if (this.gatheringState === s) return;
    this.gatheringState = s;
    this.pushEvent({ type: "gathering-state", state: s });
  }

  protected maybeGatheringComplete(): void {
    if (this.localAddressesDone && this.gatherer.pending === 0 && this.gatheringState === "gathering") {
      this.setGathering("complete");
    }
  }

  /** The pair's local candidate as the peer sees it (the same object on every call). */
  protected localOf(p: CandidatePair): IceCandidate {
    if (!p.seenLocal) p.seenLocal = this.locals.asSeen(p.local, p.mapped);
    return p.seenLocal;
  }

  // ---------------------------------------------------------------- state

  protected afterChange(now: number): void {
    this.scheduleChecks(now);
    this.updateState(now);
    this.deadlineDirty = true;
  }

  protected updateState(now: number): void {
    if (this.closed) return;
    if (this.selected) {
      this.allFailedSince = undefined;
      if (this.consent.lost) {
        this.setState("failed");
        return;
      }
      if (this.consent.disconnected) {
        this.setState("disconnected");
        return;
      }
      // Once completed, later triggered checks (a peer re-checking a pair) do not undo it.
      const done =
        this.selected.generation === this.generation &&
        (this.state === "completed" ||
          (this.remoteEndOfCandidates &&
            this.gatheringState === "complete" &&
            !this.checklist.hasWork(false) &&
            this.remotes.pendingMdns === 0));
      this.setState(done ? "completed" : "connected");
      return;
    }
    if (!this.remote) return;
    let pendingChecks = this.earlyChecks.length > 0 || this.remotes.pendingMdns > 0;
    if (!pendingChecks) for (const p of this.txs.values()) if (p.kind === "check") pendingChecks = true;
    if (!pendingChecks && this.checklist.allFailed()) {
      if (this.allFailedSince === undefined) this.allFailedSince = now;
      const ended = this.remoteEndOfCandidates || this.remoteLite;
      if (
        (ended && this.gatheringState === "complete" && this.checklist.size > 0) ||
        now >= this.allFailedSince + this.opts.failTimeout
      ) {
        this.setState("failed");
        return;
      }
    } else {
      this.allFailedSince = undefined;
    }
    if (this.checklist.size > 0 || this.stats.checksReceived > 0) this.setState("checking");
  }

  protected setState(s: IceTransportState): void {
    if (this.state === s) return;
    // Browsers always report "connected" before "completed".
    if (s === "completed" && this.state !== "connected") this.setState("connected");
    this.state = s;
    this.pushEvent({ type: "state", state: s });
  }

  // ---------------------------------------------------------------- plumbing

  protected tick(now: number): void {
    if (now > this.now) this.now = now;
  }

  protected drop(reason: string, n = 1): void {
    this.stats.dropped[reason] = (this.stats.dropped[reason] ?? 0) + n;
  }

  protected pushEvent(e: IceEvent): void {
    if (!this.events.push(e)) this.drop("event-queue-full");
  }

  protected queue(from: TransportAddress, to: TransportAddress, data: Uint8Array): void {
    if (!this.out.push({ from, to, data })) this.drop("transmit-queue-full");
  }
}

export function makeCreds(ufrag: string, pwd: string): Creds {
  return { ufrag, pwd, key: shortTermKey(pwd) };
}
