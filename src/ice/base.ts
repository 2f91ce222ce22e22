// The state under the ICE agent (RFC 8445 6.1.2 checklist state, 6.1.3 states of the agent):
// options, credentials, candidates, the checklist, pending STUN transactions, the
// RTCIceTransportState and RTCIceGatheringState derived from them (webrtc-pc 5.6), the event
// and transmit queues and drop counters. The pacer (pacer.ts) and check handling (checks.ts)
// build on it; IceAgent (agent.ts) adds the public API.
import type { TransportAddress } from "../address.js";
import type { Transmit } from "../core.js";
import { cryptoRandom, type Random } from "../random.js";
import { type StunClientTransaction, type StunKey, shortTermKey } from "../stun/index.js";
import { formatCandidate, type IceCandidate, isMdnsName } from "./candidate.js";
import { type CandidatePair, Checklist, type LocalCandidate } from "./checklist.js";
import { ConsentMonitor } from "./consent.js";
import { type GatherError, Gatherer, UNREACHABLE } from "./gather.js";
import { LocalCandidates } from "./local.js";
import { randomIceString } from "./messages.js";
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

export const MAX_EARLY_CHECKS = 32;
const MAX_OUT = 4096;
const MAX_EVENTS = 8192;

/** The state of an ICE agent; the pacer and check handling build on it, IceAgent adds the public API. */
export abstract class IceBase {
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
  protected readonly opts: Required<
    Omit<IceAgentOptions, "random" | "ufrag" | "pwd" | "software" | "controlling" | "unusableServers">
  >;
  /** Servers reported as 701 when a gathering round starts (IceAgentOptions.unusableServers). */
  protected readonly unusableServers: { url: string; text: string }[];
  /** Whether this gathering round reported them already. */
  protected unusableReported = false;
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
      gatherRto: options.gatherRto ?? 500,
    };
    this.unusableServers = (options.unusableServers ?? []).map((u) => ({ url: u.url, text: u.text }));
    this.local = makeCreds(
      options.ufrag ?? randomIceString(this.random, 4),
      options.pwd ?? randomIceString(this.random, 24),
    );
    this.tieHi = this.random.u32();
    this.tieLo = this.random.u32();
    this.checklist = new Checklist(this.opts.maxPairs);
    this.gatherer = new Gatherer(options.stunServers ?? [], this.random, this.opts.gatherRto);
    this.consent = new ConsentMonitor(
      this.opts.consentInterval,
      this.opts.disconnectedTimeout,
      this.opts.consentTimeout,
      this.random,
    );
  }

  /** Arms the pacer (pacer.ts) when there is check work. */
  protected abstract scheduleChecks(now: number): void;

  // ---------------------------------------------------------------- candidates and gathering

  protected emitCandidate(c: IceCandidate): void {
    this.pushEvent({ type: "candidate", candidate: c, line: formatCandidate(c) });
  }

  /**
   * webrtc-pc 4.8.2: `address` is the local address the server was (or would have been) reached
   * from, null when that address is not exposed in a local candidate (an mDNS-hidden host; Petrel
   * signals host candidates with their IPs, so it is the host's IP), and `port` is null with it.
   */
  protected emitCandidateError(e: GatherError): void {
    const c = e.local.candidate;
    const hidden = isMdnsName(c.address);
    this.pushEvent({
      type: "candidate-error",
      url: e.url,
      address: hidden ? null : c.address,
      port: hidden ? null : c.port,
      code: e.code,
      text: e.text,
    });
  }

  /**
   * The servers the agent cannot use at all, once per gathering round from its first host
   * candidate. What a browser does with a server it cannot use is report 701 ("no host candidate
   * can reach the server") while gathering; without a TURN client (or for a name that did not
   * resolve) no request can ever reach it, so the answer is known at once: waiting a pretend
   * timeout would only delay the report, and gathering completes without it as it would.
   */
  protected reportUnusableServers(host: LocalCandidate): void {
    if (this.unusableReported || this.unusableServers.length === 0) return;
    this.unusableReported = true;
    for (const u of this.unusableServers) {
      this.emitCandidateError({ url: u.url, local: host, code: UNREACHABLE, text: u.text });
    }
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
