// The ICE checklist for one data stream and one component (WebRTC bundles everything and
// multiplexes RTCP): candidate pairs, their priorities (RFC 8445 6.1.2.3, computed exactly as two
// numbers because the 64-bit value does not fit a double), states and foundations (6.1.2.6), the
// cap on pairs (6.1.2.5), the triggered-check queue (6.1.4.1) and the choice of the next pair to
// check on each Ta tick (6.1.4.2: triggered, else highest Waiting, else unfreeze highest Frozen).
import type { TransportAddress } from "../address.js";
import type { IceCandidate } from "./candidate.js";
import type { PairState, PairStats } from "./types.js";

export interface LocalCandidate {
  candidate: IceCandidate;
  /** The local socket address it sends from (its own address for host candidates). */
  base: TransportAddress;
  baseKey: string;
  /** Priority a peer-reflexive candidate learned from this base would get (sent in PRIORITY). */
  prflxPriority: number;
}

export interface RemoteCandidate {
  candidate: IceCandidate;
  /** The resolved transport address checks go to. */
  address: TransportAddress;
  key: string;
}

export class CandidatePair {
  readonly id: string;
  readonly local: LocalCandidate;
  readonly remote: RemoteCandidate;
  readonly key: string;
  /** The ICE generation (restart count) the pair belongs to. */
  readonly generation: number;
  state: PairState;
  priHi: number;
  priLo: number;
  /** A check on this pair has succeeded (RFC 8445 valid list). */
  valid: boolean;
  nominated: boolean;
  /** Controlling: a USE-CANDIDATE check is queued or in flight. */
  nominating: boolean;
  /** Controlled: the peer sent USE-CANDIDATE on this pair. */
  useCandidateReceived: boolean;
  /** The peer proved it knows our password on this pair (so its data is accepted). */
  remoteChecked: boolean;
  triggered: boolean;
  /** The local reflexive address a successful check reported (XOR-MAPPED-ADDRESS). */
  mapped: TransportAddress | undefined;
  /** Cache of the local candidate as the peer sees it (see IceCore.localOf). */
  seenLocal: IceCandidate | undefined = undefined;
  requestsSent = 0;
  requestsReceived = 0;
  responsesSent = 0;
  responsesReceived = 0;
  consentRequestsSent = 0;
  packetsSent = 0;
  packetsReceived = 0;
  bytesSent = 0;
  bytesReceived = 0;
  currentRtt: number | undefined = undefined;
  totalRtt = 0;
  lastSent: number | undefined = undefined;
  lastReceived: number | undefined = undefined;
  /** Last authenticated STUN (check or response) from the peer on this pair. */
  lastHeard = Number.NEGATIVE_INFINITY;

  constructor(local: LocalCandidate, remote: RemoteCandidate, generation: number, controlling: boolean) {
    this.local = local;
    this.remote = remote;
    this.key = pairKey(local.baseKey, remote.key);
    this.id = `${local.candidate.foundation}-${remote.candidate.foundation}-${this.key}`;
    this.generation = generation;
    this.state = "frozen";
    this.priHi = 0;
    this.priLo = 0;
    this.valid = false;
    this.nominated = false;
    this.nominating = false;
    this.useCandidateReceived = false;
    this.remoteChecked = false;
    this.triggered = false;
    this.mapped = undefined;
    this.updatePriority(controlling);
  }

  get foundation(): string {
    return `${this.local.candidate.foundation}:${this.remote.candidate.foundation}`;
  }

  /** RFC 8445 6.1.2.3: 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0), kept as (MIN, 2*MAX+bit). */
  updatePriority(controlling: boolean): void {
    const g = controlling ? this.local.candidate.priority : this.remote.candidate.priority;
    const d = controlling ? this.remote.candidate.priority : this.local.candidate.priority;
    this.priHi = Math.min(g, d);
    this.priLo = 2 * Math.max(g, d) + (g > d ? 1 : 0);
  }

  /** The pair priority as a BigInt (for stats; not used on any hot path). */
  get priority(): bigint {
    return (BigInt(this.priHi) << 32n) + BigInt(this.priLo);
  }
}

export function pairKey(localBaseKey: string, remoteKey: string): string {
  return `${localBaseKey}|${remoteKey}`;
}

/** Orders by descending pair priority. */
export function comparePairs(a: CandidatePair, b: CandidatePair): number {
  return b.priHi - a.priHi || b.priLo - a.priLo;
}

export class Checklist {
  /** Sorted by descending priority. */
  readonly pairs: CandidatePair[] = [];
  private readonly byKey = new Map<string, CandidatePair>();
  private readonly triggeredQueue: CandidatePair[] = [];
  readonly maxPairs: number;

  constructor(maxPairs: number) {
    this.maxPairs = maxPairs;
  }

  get size(): number {
    return this.pairs.length;
  }

  get(key: string): CandidatePair | undefined {
    return this.byKey.get(key);
  }

  /**
   * Adds a pair in Waiting state if no pair of its foundation is Waiting or In-Progress, else Frozen
   * (RFC 8445 6.1.2.6 and RFC 8838 section 10). At the cap, the lowest-priority pair that is not in
   * progress or succeeded makes room, or the new pair is refused (returns false).
   */
  add(pair: CandidatePair): boolean {
    if (this.byKey.has(pair.key)) return false;
    if (this.pairs.length >= this.maxPairs) {
      let victim = -1;
      for (let i = this.pairs.length - 1; i >= 0; i--) {
        const p = this.pairs[i]!;
        if (p.state !== "in-progress" && p.state !== "succeeded" && !p.remoteChecked) {
          victim = i;
          break;
        }
      }
      if (victim < 0 || comparePairs(pair, this.pairs[victim]!) > 0) return false;
      this.remove(this.pairs[victim]!);
    }
    const f = pair.foundation;
    let active = false;
    for (const p of this.pairs) {
      if (p.foundation === f && (p.state === "waiting" || p.state === "in-progress")) {
        active = true;
        break;
      }
    }
    pair.state = active ? "frozen" : "waiting";
    let i = this.pairs.length;
    while (i > 0 && comparePairs(pair, this.pairs[i - 1]!) < 0) i--;
    this.pairs.splice(i, 0, pair);
    this.byKey.set(pair.key, pair);
    return true;
  }

  remove(pair: CandidatePair): void {
    const i = this.pairs.indexOf(pair);
    if (i >= 0) this.pairs.splice(i, 1);
    this.byKey.delete(pair.key);
    const t = this.triggeredQueue.indexOf(pair);
    if (t >= 0) this.triggeredQueue.splice(t, 1);
    pair.triggered = false;
  }

  clear(): void {
    this.pairs.length = 0;
    this.byKey.clear();
    this.triggeredQueue.length = 0;
  }

  /** Recomputes priorities (after a role change or a candidate update) and re-sorts. */
  resort(controlling: boolean): void {
    for (const p of this.pairs) p.updatePriority(controlling);
    this.pairs.sort(comparePairs);
  }

  /** Takes a pair off the triggered queue (its check was sent outside the pacer). */
  untrigger(pair: CandidatePair): void {
    if (!pair.triggered) return;
    const t = this.triggeredQueue.indexOf(pair);
    if (t >= 0) this.triggeredQueue.splice(t, 1);
    pair.triggered = false;
  }

  /** Queues a triggered check (RFC 8445 7.3.1.4); the pair becomes Waiting. */
  trigger(pair: CandidatePair): void {
    if (pair.state !== "in-progress" && pair.state !== "succeeded") pair.state = "waiting";
    if (!pair.triggered) {
      pair.triggered = true;
      this.triggeredQueue.push(pair);
    }
  }

  /** Unfreezes the Frozen pairs of a foundation (RFC 8445 7.2.5.3.3). */
  unfreeze(foundation: string): void {
    for (const p of this.pairs) if (p.state === "frozen" && p.foundation === foundation) p.state = "waiting";
  }

  /** True if `next(false)` would return a pair. */
  hasWork(ordinary: boolean): boolean {
    if (this.triggeredQueue.length > 0) return true;
    if (!ordinary) return false;
    for (const p of this.pairs) if (p.state === "waiting" || p.state === "frozen") return true;
    return false;
  }

  /**
   * The pair to check on this tick: the oldest triggered one, else (when `ordinary`) the highest
   * Waiting, else the highest Frozen (unfrozen). Undefined when there is nothing to do.
   */
  next(ordinary: boolean): CandidatePair | undefined {
    const t = this.triggeredQueue.shift();
    if (t) {
      t.triggered = false;
      return t;
    }
    if (!ordinary) return undefined;
    let frozen: CandidatePair | undefined;
    for (const p of this.pairs) {
      if (p.state === "waiting") return p;
      if (p.state === "frozen" && !frozen) frozen = p;
    }
    return frozen;
  }

  /** No pair can still succeed: all Failed (or none at all). */
  allFailed(): boolean {
    for (const p of this.pairs) if (p.state !== "failed") return false;
    return this.triggeredQueue.length === 0;
  }

  /** The highest-priority valid pair. */
  bestValid(): CandidatePair | undefined {
    for (const p of this.pairs) if (p.valid) return p;
    return undefined;
  }

  /** True if some pair ranked above `pair` may still succeed. */
  betterPending(pair: CandidatePair): boolean {
    for (const p of this.pairs) {
      if (p === pair) return false;
      if (p.state !== "failed" && p.state !== "succeeded") return true;
    }
    return false;
  }
}

/** W3C RTCIceCandidatePairStats-like view of a pair; `local` is the pair's local side as seen by the peer. */
export function pairStats(p: CandidatePair, local: IceCandidate, selected: boolean): PairStats {
  return {
    id: p.id,
    selected,
    state: p.state,
    nominated: p.nominated,
    local,
    remote: p.remote.candidate,
    requestsSent: p.requestsSent,
    requestsReceived: p.requestsReceived,
    responsesSent: p.responsesSent,
    responsesReceived: p.responsesReceived,
    consentRequestsSent: p.consentRequestsSent,
    packetsSent: p.packetsSent,
    packetsReceived: p.packetsReceived,
    bytesSent: p.bytesSent,
    bytesReceived: p.bytesReceived,
    currentRoundTripTime: p.currentRtt === undefined ? undefined : p.currentRtt / 1000,
    totalRoundTripTime: p.totalRtt / 1000,
    lastPacketSentTimestamp: p.lastSent,
    lastPacketReceivedTimestamp: p.lastReceived,
  };
}
