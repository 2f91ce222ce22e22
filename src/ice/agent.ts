// The sans-IO ICE agent (RFC 8445 full implementation, one component, as WebRTC uses it):
// host and server-reflexive gathering (5.1.1), trickle (RFC 8838), connectivity checks with
// pacing, triggered checks, role conflicts and regular nomination (6.1.4, 7.2, 7.3, 8.1), accepting
// aggressive nomination when controlled, ICE-lite peers (2.5), consent freshness (RFC 7675),
// restart (9), mDNS candidates resolved by the driver, and the application data path.
// States follow RTCIceTransportState. No sockets or timers here: see ARCHITECTURE.md.
import { addressKey, canonicalIP, familyOf, parseIP, type TransportAddress } from "../address.js";
import { readU32, toHex } from "../bytes/index.js";
import type { DatagramCore, Transmit } from "../core.js";
import { cryptoRandom, type Random } from "../random.js";
import {
  Attr,
  buildUnknownAttributesResponse,
  crc32,
  isStunMessage,
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
import {
  candidatePriority,
  formatCandidate,
  type IceCandidate,
  isMdnsName,
  isUdp,
  localPreference,
  parseCandidate,
} from "./candidate.js";
import { CandidatePair, Checklist, type LocalCandidate, pairKey, type RemoteCandidate } from "./checklist.js";
import { buildBindingRequest, buildCheck, buildCheckResponse, buildRoleConflict, randomIceString } from "./messages.js";
import type {
  IceAgentOptions,
  IceAgentStats,
  IceEvent,
  IceGatheringState,
  IceTransportState,
  LocalAddressOptions,
  PairStats,
} from "./types.js";

interface Creds {
  ufrag: string;
  pwd: string;
  key: StunKey;
}

interface PendingTx {
  kind: "check" | "consent" | "gather";
  tx: StunClientTransaction;
  pair: CandidatePair | undefined;
  useCandidate: boolean;
  controlling: boolean;
  local: LocalCandidate | undefined;
  server: TransportAddress | undefined;
  key: StunKey | undefined;
}

interface EarlyCheck {
  local: LocalCandidate;
  from: TransportAddress;
  priority: number;
  useCandidate: boolean;
}

const CHECK_TX = { rc: 7, rm: 8, maxRto: 1600 };
const CONSENT_TX = { rto: 500, rc: 4, rm: 4 };
const GATHER_TX = { rto: 500, rc: 3, rm: 4 };
const MAX_REMOTE_CANDIDATES = 200;
const MAX_EARLY_CHECKS = 32;
const MAX_MDNS_NAMES = 32;
const MAX_OUT = 4096;
const MAX_EVENTS = 8192;
/** While disconnected, consent checks are sent this often (ms) so recovery is seen quickly. */
const DISCONNECTED_INTERVAL = 1000;

export class IceAgentError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export class IceAgent implements DatagramCore<IceEvent> {
  readonly stats: IceAgentStats = {
    checksSent: 0,
    checksReceived: 0,
    responsesSent: 0,
    responsesReceived: 0,
    consentRequestsSent: 0,
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

  private readonly random: Random;
  private readonly opts: Required<Omit<IceAgentOptions, "random" | "ufrag" | "pwd" | "software" | "controlling">>;
  private readonly software: string | undefined;
  private local: Creds;
  private prevLocal: Creds | undefined = undefined;
  private remote: Creds | undefined = undefined;
  private prevRemote: Creds | undefined = undefined;
  private generation = 0;
  private tieHi: number;
  private tieLo: number;

  private readonly hosts: LocalCandidate[] = [];
  private readonly hostByBase = new Map<string, LocalCandidate>();
  private readonly hostInfo = new Map<string, LocalAddressOptions>();
  private readonly reflexive: LocalCandidate[] = [];
  private readonly remotes = new Map<string, RemoteCandidate>();
  private readonly remoteList: RemoteCandidate[] = [];
  private readonly pendingMdns = new Map<string, IceCandidate[]>();
  private readonly earlyChecks: EarlyCheck[] = [];
  private checklist: Checklist;
  /** Pairs whose remote may send us data (valid, or checked us with our password), by pair key. */
  private readonly dataPairs = new Map<string, CandidatePair>();
  private readonly txs = new Map<string, PendingTx>();
  private gatherPending = 0;
  private localAddressesDone = false;
  private prflxCounter = 0;

  private selected: CandidatePair | undefined = undefined;
  private nextCheckAt: number | undefined = undefined;
  private lastCheckAt = Number.NEGATIVE_INFINITY;
  private nominateAt: number | undefined = undefined;
  private consentNextAt: number | undefined = undefined;
  private lastConsent = 0;
  private consentOutstandingSince: number | undefined = undefined;
  private disconnected = false;
  private consentLost = false;
  private allFailedSince: number | undefined = undefined;
  private closed = false;

  private readonly out: Transmit[] = [];
  private outHead = 0;
  private readonly events: IceEvent[] = [];
  private eventHead = 0;
  private now = 0;
  private deadline: number | undefined = undefined;
  private deadlineDirty = true;

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
  }

  // ---------------------------------------------------------------- public API

  get localCredentials(): { ufrag: string; pwd: string } {
    return { ufrag: this.local.ufrag, pwd: this.local.pwd };
  }

  /** A bound local socket: becomes a host candidate (and, for IPv4, srflx gathering starts). */
  addLocalAddress(addr: TransportAddress, now: number, opts: LocalAddressOptions = {}): IceCandidate {
    this.tick(now);
    if (this.closed) throw new IceAgentError("ICE_CLOSED", "agent is closed");
    if (!parseIP(addr.address)) throw new IceAgentError("ICE_BAD_ADDRESS", `not an IP address: ${addr.address}`);
    const baseKey = addressKey(addr);
    const existing = this.hostByBase.get(baseKey);
    if (existing) return existing.candidate;
    this.hostInfo.set(baseKey, opts);
    const host = this.makeHost(addr, baseKey);
    this.hosts.push(host);
    this.hostByBase.set(baseKey, host);
    this.setGathering("gathering");
    this.emitCandidate(host.candidate);
    this.startGather(host, now);
    if (this.remote) for (const r of this.remoteList) this.pairUp(host, r);
    this.afterChange(now);
    return host.candidate;
  }

  /** The driver has added every local address: gathering completes once srflx requests finish. */
  endOfLocalAddresses(now: number): void {
    this.tick(now);
    this.localAddressesDone = true;
    if (this.gatheringState === "new") this.setGathering("gathering");
    this.maybeGatheringComplete();
    this.afterChange(now);
  }

  /** The remote ufrag and password (may come after gathering and after checks arrived). */
  setRemoteCredentials(ufrag: string, pwd: string, now: number, opts: { lite?: boolean } = {}): void {
    this.tick(now);
    if (this.closed) throw new IceAgentError("ICE_CLOSED", "agent is closed");
    if (this.remote && this.remote.ufrag === ufrag && this.remote.pwd === pwd) return;
    if (this.remote) throw new IceAgentError("ICE_CREDENTIALS_SET", "remote credentials already set; restart first");
    this.remote = makeCreds(ufrag, pwd);
    if (opts.lite) {
      this.remoteLite = true;
      if (!this.controlling) this.setRole(true);
    }
    for (const r of this.remoteList) for (const h of this.hosts) this.pairUp(h, r);
    const early = this.earlyChecks.splice(0);
    for (const e of early) this.processCheck(e.local, e.from, e.priority, e.useCandidate, now);
    this.afterChange(now);
  }

  /**
   * A remote candidate (an IceCandidate or an SDP candidate line), or null for end-of-candidates.
   * Candidates of another ufrag (an older generation), RTCP components and TCP are ignored.
   */
  addRemoteCandidate(c: IceCandidate | string | null, now: number): void {
    this.tick(now);
    if (this.closed) throw new IceAgentError("ICE_CLOSED", "agent is closed");
    if (c === null) {
      this.remoteEndOfCandidates = true;
      this.afterChange(now);
      return;
    }
    const cand = typeof c === "string" ? parseCandidate(c) : c;
    if (!cand) throw new IceAgentError("ICE_BAD_CANDIDATE", `cannot parse candidate: ${String(c)}`);
    if (cand.ufrag !== undefined && this.remote && cand.ufrag !== this.remote.ufrag) {
      this.drop("stale-candidate");
      return;
    }
    if (cand.component !== 1) {
      this.drop("candidate-component");
      return;
    }
    if (isMdnsName(cand.address)) {
      const list = this.pendingMdns.get(cand.address);
      if (list) list.push(cand);
      else if (this.pendingMdns.size < MAX_MDNS_NAMES) {
        this.pendingMdns.set(cand.address, [cand]);
        this.pushEvent({ type: "mdns-query", name: cand.address });
      } else this.drop("mdns-limit");
      return;
    }
    this.addResolvedRemote(cand, cand.address, now);
    this.afterChange(now);
  }

  /** The driver's answer to an mdns-query event (undefined when the name did not resolve). */
  resolveMdns(name: string, ip: string | undefined, now: number): void {
    this.tick(now);
    const list = this.pendingMdns.get(name);
    if (!list) return;
    this.pendingMdns.delete(name);
    if (ip === undefined || !parseIP(ip)) {
      this.drop("mdns-unresolved", list.length);
    } else {
      for (const c of list) this.addResolvedRemote(c, ip, now);
    }
    this.afterChange(now);
  }

  /**
   * ICE restart (RFC 8445 section 9): new local credentials now, new remote ones later with
   * setRemoteCredentials. The selected pair keeps carrying data until a new one is selected.
   */
  restart(now: number, ufrag?: string, pwd?: string, opts: { controlling?: boolean } = {}): void {
    this.tick(now);
    if (this.closed) throw new IceAgentError("ICE_CLOSED", "agent is closed");
    this.prevLocal = this.local;
    this.prevRemote = this.remote;
    this.local = makeCreds(ufrag ?? randomIceString(this.random, 4), pwd ?? randomIceString(this.random, 24));
    this.remote = undefined;
    this.generation++;
    for (const [tid, p] of this.txs) {
      if (p.kind === "consent") continue;
      p.tx.cancel();
      this.txs.delete(tid);
    }
    this.checklist = new Checklist(this.opts.maxPairs);
    this.dataPairs.clear();
    if (this.selected) this.dataPairs.set(this.selected.key, this.selected);
    this.remotes.clear();
    this.remoteList.length = 0;
    this.pendingMdns.clear();
    this.earlyChecks.length = 0;
    this.reflexive.length = 0;
    this.remoteEndOfCandidates = false;
    this.remoteLite = false;
    this.nominateAt = undefined;
    this.allFailedSince = undefined;
    this.gatherPending = 0;
    if (opts.controlling !== undefined && opts.controlling !== this.controlling) this.setRole(opts.controlling);
    // Regather: the same sockets, candidates of the new generation.
    this.gatheringState = "new";
    if (this.hosts.length > 0) this.setGathering("gathering");
    const hosts = this.hosts.splice(0);
    this.hostByBase.clear();
    for (const h of hosts) {
      const host = this.makeHost(h.base, h.baseKey);
      this.hosts.push(host);
      this.hostByBase.set(host.baseKey, host);
      this.emitCandidate(host.candidate);
      this.startGather(host, now);
    }
    if (!this.selected && this.state !== "new") this.consentLost = false;
    this.afterChange(now);
  }

  /** Sends application data on the selected pair. False (and counted) when there is none. */
  send(data: Uint8Array): boolean {
    const p = this.selected;
    if (!p || this.consentLost || this.closed) {
      this.drop("send-without-pair");
      return false;
    }
    if (this.out.length - this.outHead >= MAX_OUT) {
      this.drop("send-queue-full");
      return false;
    }
    this.out.push({ from: p.local.base, to: p.remote.address, data });
    p.packetsSent++;
    p.bytesSent += data.length;
    p.lastSent = this.now;
    this.stats.packetsSent++;
    this.stats.bytesSent += data.length;
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.txs.values()) p.tx.cancel();
    this.txs.clear();
    this.nextCheckAt = undefined;
    this.consentNextAt = undefined;
    this.nominateAt = undefined;
    this.setState("closed");
    this.deadlineDirty = true;
  }

  getLocalCandidates(): IceCandidate[] {
    return [...this.hosts.map((h) => h.candidate), ...this.reflexive.map((r) => r.candidate)];
  }

  getRemoteCandidates(): IceCandidate[] {
    return this.remoteList.map((r) => r.candidate);
  }

  /** The selected pair (RTCIceTransport.getSelectedCandidatePair). */
  getSelectedPair(): { local: IceCandidate; remote: IceCandidate } | undefined {
    const p = this.selected;
    return p ? { local: this.localOf(p), remote: p.remote.candidate } : undefined;
  }

  /** Candidate-pair stats for every pair of the current generation (and the selected one). */
  getPairStats(): PairStats[] {
    const pairs = [...this.checklist.pairs];
    if (this.selected && !pairs.includes(this.selected)) pairs.push(this.selected);
    return pairs.map((p) => ({
      id: p.id,
      state: p.state,
      nominated: p.nominated,
      local: this.localOf(p),
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
    }));
  }

  // ---------------------------------------------------------------- DatagramCore

  handleDatagram(data: Uint8Array, from: TransportAddress, to: TransportAddress, now: number): void {
    if (now > this.now) this.now = now;
    if (this.closed) return;
    if (data.length >= 20 && data[0]! < 2 && isStunMessage(data)) {
      this.handleStun(data, from, to);
      this.afterChange(this.now);
      return;
    }
    // Application data: only from a remote that proved itself on this socket.
    let p = this.selected;
    if (
      !p ||
      p.remote.address.port !== from.port ||
      p.remote.address.address !== from.address ||
      p.local.base.port !== to.port ||
      p.local.base.address !== to.address
    ) {
      p = this.dataPairs.get(pairKey(addressKey(to), addressKey(from)));
      if (!p) {
        this.drop(data.length > 0 && data[0]! < 4 ? "bad-stun" : "no-pair");
        return;
      }
    }
    p.packetsReceived++;
    p.bytesReceived += data.length;
    p.lastReceived = this.now;
    this.stats.packetsReceived++;
    this.stats.bytesReceived += data.length;
    this.pushEvent({ type: "data", data, from });
  }

  handleTimeout(now: number): void {
    this.tick(now);
    if (this.closed) return;
    now = this.now;
    for (const [tid, p] of this.txs) {
      p.tx.handleTimeout(now);
      const bytes = p.tx.pollTransmit(now);
      if (bytes) this.transmitTx(p, bytes);
      const ev = p.tx.pollEvent();
      if (ev?.type === "timeout") {
        this.txs.delete(tid);
        this.onTxTimeout(p, now);
      }
    }
    this.runConsent(now);
    if (this.nextCheckAt !== undefined && now >= this.nextCheckAt) this.checkTick(now);
    if (this.nominateAt !== undefined && now >= this.nominateAt) this.maybeNominate(now, true);
    this.afterChange(now);
  }

  pollTransmit(): Transmit | undefined {
    if (this.outHead >= this.out.length) {
      if (this.outHead > 0) {
        this.out.length = 0;
        this.outHead = 0;
      }
      return undefined;
    }
    return this.out[this.outHead++];
  }

  pollEvent(): IceEvent | undefined {
    if (this.eventHead >= this.events.length) {
      if (this.eventHead > 0) {
        this.events.length = 0;
        this.eventHead = 0;
      }
      return undefined;
    }
    return this.events[this.eventHead++];
  }

  nextTimeout(): number | undefined {
    if (!this.deadlineDirty) return this.deadline;
    this.deadlineDirty = false;
    if (this.closed) return (this.deadline = undefined);
    let t = Number.POSITIVE_INFINITY;
    for (const p of this.txs.values()) {
      const d = p.tx.nextTimeout();
      if (d !== undefined && d < t) t = d;
    }
    if (this.nextCheckAt !== undefined && this.nextCheckAt < t) t = this.nextCheckAt;
    if (this.nominateAt !== undefined && this.nominateAt < t) t = this.nominateAt;
    if (this.selected && !this.consentLost) {
      if (this.consentNextAt !== undefined && this.consentNextAt < t) t = this.consentNextAt;
      if (this.consentOutstandingSince !== undefined && !this.disconnected) {
        t = Math.min(t, this.consentOutstandingSince + this.opts.disconnectedTimeout);
      }
      t = Math.min(t, this.lastConsent + this.opts.consentTimeout);
    }
    if (this.allFailedSince !== undefined && !this.selected && this.state !== "failed")
      t = Math.min(t, this.allFailedSince + this.opts.failTimeout);
    this.deadline = t === Number.POSITIVE_INFINITY ? undefined : Math.max(t, this.now);
    return this.deadline;
  }

  // ---------------------------------------------------------------- STUN input

  private handleStun(data: Uint8Array, from: TransportAddress, to: TransportAddress): void {
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

  private handleRequest(msg: StunMessage, from: TransportAddress, to: TransportAddress): void {
    const local = this.hostByBase.get(addressKey(to));
    if (!local) {
      this.drop("unknown-local");
      return;
    }
    if (msg.integrityOffset < 0) {
      this.drop("no-integrity");
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
    // Role conflict (RFC 8445 7.3.1.1).
    const theirs = msg.get(this.controlling ? Attr.IceControlling : Attr.IceControlled);
    if (theirs && theirs.length === 8 && creds === this.local) {
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
    if (creds !== this.local) {
      // A consent check of the previous generation on the old selected pair.
      const old = this.selected;
      if (old && sameAddr(old.remote.address, from) && old.local.baseKey === local.baseKey) {
        old.requestsReceived++;
        old.responsesSent++;
      }
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
  private processCheck(
    local: LocalCandidate,
    from: TransportAddress,
    priority: number,
    useCandidate: boolean,
    now: number,
  ): void {
    let remote = this.remotes.get(addressKey(from));
    if (!remote) {
      // Peer-reflexive remote candidate (7.3.1.3).
      if (this.remoteList.length >= MAX_REMOTE_CANDIDATES) {
        this.drop("remote-limit");
        return;
      }
      const cand: IceCandidate = {
        foundation: `prflx${++this.prflxCounter}`,
        component: 1,
        protocol: "udp",
        priority,
        address: from.address,
        port: from.port,
        type: "prflx",
      };
      remote = this.storeRemote(cand, from);
      for (const h of this.hosts) if (h !== local) this.pairUp(h, remote);
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
    pair.responsesSent++;
    if (!pair.remoteChecked) {
      pair.remoteChecked = true;
      this.dataPairs.set(pair.key, pair);
    }
    if (useCandidate && !this.controlling) {
      pair.useCandidateReceived = true;
      if (pair.state === "succeeded") this.nominate(pair, now);
    }
    if (pair.state !== "succeeded" && pair.state !== "in-progress") this.checklist.trigger(pair);
    this.scheduleChecks(now);
  }

  private handleResponse(msg: StunMessage, from: TransportAddress, to: TransportAddress): void {
    const tid = toHex(msg.transactionId);
    const p = this.txs.get(tid);
    if (!p) {
      this.drop("unknown-transaction");
      return;
    }
    const now = this.now;
    if (p.kind === "gather") {
      if (!sameAddr(from, p.server!) || !sameAddr(to, p.local!.base)) {
        this.drop("gather-source");
        return;
      }
      if (!p.tx.handleResponse(msg, now)) return;
      this.txs.delete(tid);
      p.tx.pollEvent();
      this.gatherDone();
      if (msg.cls === StunClass.SuccessResponse) {
        const mapped = msg.getAddress(Attr.XorMappedAddress) ?? msg.getAddress(Attr.MappedAddress);
        if (mapped) this.addReflexive(p.local!, mapped, p.server!);
      }
      this.maybeGatheringComplete();
      return;
    }
    if (!p.key || !verifyIntegrity(msg, p.key)) {
      this.drop("bad-response-integrity");
      return;
    }
    const pair = p.pair!;
    if (!sameAddr(from, pair.remote.address) || !sameAddr(to, pair.local.base)) {
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
    pair.currentRtt = ev.rtt;
    pair.totalRtt += ev.rtt;
    pair.mapped = msg.getAddress(Attr.XorMappedAddress);
    if (pair === this.selected) this.consentAnswered(now);
    if (p.kind === "consent") return;
    const wasValid = pair.valid;
    pair.state = "succeeded";
    pair.valid = true;
    this.dataPairs.set(pair.key, pair);
    if (!wasValid) this.checklist.unfreeze(pair.foundation);
    if (p.useCandidate && this.controlling) {
      pair.nominating = false;
      this.nominate(pair, now);
    } else if (!this.controlling && pair.useCandidateReceived) {
      this.nominate(pair, now);
    }
    if (this.controlling) this.maybeNominate(now, false);
  }

  private onTxTimeout(p: PendingTx, now: number): void {
    if (p.kind === "gather") {
      this.gatherDone();
      this.maybeGatheringComplete();
      return;
    }
    if (p.kind === "consent") return; // consent expiry is judged by time, not by one transaction
    this.pairFailed(p.pair!, p, now);
  }

  private pairFailed(pair: CandidatePair, p: PendingTx, now: number): void {
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

  private pairUp(local: LocalCandidate, remote: RemoteCandidate): CandidatePair | undefined {
    if (!this.remote) return undefined;
    if (familyOf(local.base.address) !== familyOf(remote.address.address)) return undefined;
    const existing = this.checklist.get(pairKey(local.baseKey, remote.key));
    if (existing) return existing;
    const pair = new CandidatePair(local, remote, this.generation, this.controlling);
    return this.checklist.add(pair) ? pair : undefined;
  }

  /** Work for the pacer: ordinary checks until a pair of this generation is selected, then triggered only. */
  private ordinaryChecks(): boolean {
    return !(this.selected && this.selected.generation === this.generation);
  }

  private scheduleChecks(now: number): void {
    if (!this.remote || this.closed || !this.checklist.hasWork(this.ordinaryChecks())) {
      this.nextCheckAt = undefined;
      return;
    }
    const at = Math.max(now, this.lastCheckAt + this.opts.ta);
    if (this.nextCheckAt === undefined || at < this.nextCheckAt) this.nextCheckAt = at;
  }

  private checkTick(now: number): void {
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

  private sendCheck(pair: CandidatePair, now: number, useCandidate: boolean, kind: "check" | "consent"): void {
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
      local: undefined,
      server: undefined,
      key: remote.key,
    };
    this.txs.set(toHex(tid), p);
    const first = tx.pollTransmit(now);
    if (first) this.transmitTx(p, first);
  }

  private transmitTx(p: PendingTx, bytes: Uint8Array): void {
    if (p.kind === "gather") {
      this.queue(p.local!.base, p.server!, bytes);
      return;
    }
    const pair = p.pair!;
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

  private setRole(controlling: boolean): void {
    this.controlling = controlling;
    this.checklist.resort(controlling);
    for (const p of this.checklist.pairs) p.nominating = false;
    this.nominateAt = undefined;
    this.pushEvent({ type: "role-change", controlling });
  }

  /** Controlling side: nominate the best valid pair when nothing better is pending or the delay ran out. */
  private maybeNominate(now: number, timerFired: boolean): void {
    if (!this.controlling || this.closed || !this.remote) {
      this.nominateAt = undefined;
      return;
    }
    if (!this.ordinaryChecks()) {
      this.nominateAt = undefined;
      return;
    }
    for (const p of this.checklist.pairs) if (p.nominating) return;
    const best = this.checklist.bestValid();
    if (!best) {
      this.nominateAt = undefined;
      return;
    }
    const due = timerFired || (this.nominateAt !== undefined && now >= this.nominateAt);
    if (this.remoteLite || due || !this.checklist.betterPending(best)) {
      this.nominateAt = undefined;
      best.nominating = true;
      this.checklist.trigger(best);
      this.scheduleChecks(now);
    } else if (this.nominateAt === undefined) {
      this.nominateAt = now + this.opts.nominationDelay;
    }
  }

  /** A pair is nominated: select it (controlled side keeps the better of competing nominations). */
  private nominate(pair: CandidatePair, now: number): void {
    pair.nominated = true;
    const cur = this.selected;
    if (
      !this.controlling &&
      cur &&
      cur !== pair &&
      cur.generation === pair.generation &&
      !this.consentLost &&
      !this.disconnected &&
      (cur.priHi > pair.priHi || (cur.priHi === pair.priHi && cur.priLo > pair.priLo))
    ) {
      return;
    }
    this.select(pair, now);
  }

  private select(pair: CandidatePair, now: number): void {
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
      this.dataPairs.delete(prev.key);
      this.prevLocal = undefined;
      this.prevRemote = undefined;
    }
    this.lastConsent = now;
    this.consentOutstandingSince = undefined;
    this.disconnected = false;
    this.consentLost = false;
    this.consentNextAt = now + this.jitter(this.opts.consentInterval);
    this.nominateAt = undefined;
    this.pushEvent({ type: "selected-pair", local: this.localOf(pair), remote: pair.remote.candidate });
  }

  private jitter(ms: number): number {
    return ms * (0.8 + 0.4 * this.random.float());
  }

  // ---------------------------------------------------------------- consent freshness (RFC 7675)

  private runConsent(now: number): void {
    const p = this.selected;
    if (!p || this.consentLost) return;
    if (now >= this.lastConsent + this.opts.consentTimeout) {
      this.consentLost = true;
      this.consentNextAt = undefined;
      for (const [tid, t] of this.txs) {
        if (t.kind === "consent") {
          t.tx.cancel();
          this.txs.delete(tid);
        }
      }
      return;
    }
    if (
      this.consentOutstandingSince !== undefined &&
      !this.disconnected &&
      now >= this.consentOutstandingSince + this.opts.disconnectedTimeout
    ) {
      this.disconnected = true;
      this.consentNextAt = Math.min(this.consentNextAt ?? now, now + this.jitter(DISCONNECTED_INTERVAL));
    }
    if (this.consentNextAt !== undefined && now >= this.consentNextAt) {
      this.sendCheck(p, now, false, "consent");
      if (this.consentOutstandingSince === undefined) this.consentOutstandingSince = now;
      this.consentNextAt = now + this.jitter(this.disconnected ? DISCONNECTED_INTERVAL : this.opts.consentInterval);
    }
  }

  private consentAnswered(now: number): void {
    this.lastConsent = now;
    this.consentOutstandingSince = undefined;
    if (this.disconnected) {
      this.disconnected = false;
      this.consentNextAt = now + this.jitter(this.opts.consentInterval);
    }
  }

  // ---------------------------------------------------------------- candidates and gathering

  private makeHost(addr: TransportAddress, baseKey: string): LocalCandidate {
    const v6 = familyOf(addr.address) === 6;
    let index = 0;
    for (const h of this.hosts) if ((familyOf(h.base.address) === 6) === v6) index++;
    const pref = localPreference(v6, index);
    const info = this.hostInfo.get(baseKey) ?? {};
    const candidate: IceCandidate = {
      foundation: foundationFor("host", addr.address, ""),
      component: 1,
      protocol: "udp",
      priority: candidatePriority("host", pref),
      address: addr.address,
      port: addr.port,
      type: "host",
      generation: 0,
      ufrag: this.local.ufrag,
      networkId: info.networkId,
      networkCost: info.networkCost,
    };
    return { candidate, base: addr, baseKey, prflxPriority: candidatePriority("prflx", pref) };
  }

  private emitCandidate(c: IceCandidate): void {
    this.pushEvent({ type: "candidate", candidate: c, line: formatCandidate(c) });
  }

  private setGathering(s: IceGatheringState): void {
    if (this.gatheringState === s) return;
    this.gatheringState = s;
    this.pushEvent({ type: "gathering-state", state: s });
  }

  private startGather(host: LocalCandidate, now: number): void {
    if (familyOf(host.base.address) !== 4) return;
    for (const server of this.opts.stunServers) {
      if (familyOf(server.address) !== 4) continue;
      const tid = this.random.bytes(12);
      const tx = new StunClientTransaction(buildBindingRequest(tid), now, GATHER_TX);
      const p: PendingTx = {
        kind: "gather",
        tx,
        pair: undefined,
        useCandidate: false,
        controlling: this.controlling,
        local: host,
        server,
        key: undefined,
      };
      this.txs.set(toHex(tid), p);
      this.gatherPending++;
      const first = tx.pollTransmit(now);
      if (first) this.transmitTx(p, first);
    }
  }

  private gatherDone(): void {
    if (this.gatherPending > 0) this.gatherPending--;
  }

  private maybeGatheringComplete(): void {
    if (this.localAddressesDone && this.gatherPending === 0 && this.gatheringState === "gathering") {
      this.setGathering("complete");
    }
  }

  private addReflexive(local: LocalCandidate, mapped: TransportAddress, server: TransportAddress): void {
    if (sameAddr(mapped, local.base)) return;
    for (const r of this.reflexive) if (sameAddr(r.candidate as TransportAddress, mapped)) return;
    const hostPref = (local.candidate.priority >>> 8) & 0xffff;
    const candidate: IceCandidate = {
      foundation: foundationFor("srflx", local.base.address, server.address),
      component: 1,
      protocol: "udp",
      priority: candidatePriority("srflx", hostPref),
      address: mapped.address,
      port: mapped.port,
      type: "srflx",
      relatedAddress: local.base.address,
      relatedPort: local.base.port,
      generation: 0,
      ufrag: this.local.ufrag,
      networkId: local.candidate.networkId,
      networkCost: local.candidate.networkCost,
    };
    // Pairs are not formed from srflx candidates: checks leave from the base (RFC 8445 6.1.2.4).
    this.reflexive.push({ candidate, base: local.base, baseKey: local.baseKey, prflxPriority: local.prflxPriority });
    this.emitCandidate(candidate);
  }

  private addResolvedRemote(cand: IceCandidate, ip: string, now: number): void {
    if (!isUdp(cand)) {
      this.drop("tcp-candidate");
      return;
    }
    if (!parseIP(ip)) {
      this.drop("bad-candidate-address");
      return;
    }
    const address = { address: canonicalIP(ip), port: cand.port };
    const existing = this.remotes.get(addressKey(address));
    if (existing) {
      if (existing.candidate.type === "prflx") {
        existing.candidate = cand;
        this.checklist.resort(this.controlling);
      }
      return;
    }
    if (this.remoteList.length >= MAX_REMOTE_CANDIDATES) {
      this.drop("remote-limit");
      return;
    }
    const remote = this.storeRemote(cand, address);
    if (this.remote) for (const h of this.hosts) this.pairUp(h, remote);
    this.scheduleChecks(now);
  }

  private storeRemote(cand: IceCandidate, address: TransportAddress): RemoteCandidate {
    const remote: RemoteCandidate = { candidate: cand, address, key: addressKey(address) };
    this.remotes.set(remote.key, remote);
    this.remoteList.push(remote);
    return remote;
  }

  /** The local candidate of a pair as a peer sees it: srflx or prflx when checks reported a mapping. */
  private localOf(p: CandidatePair): IceCandidate {
    const m = p.mapped;
    if (!m || sameAddr(m, p.local.base)) return p.local.candidate;
    for (const r of this.reflexive) if (r.baseKey === p.local.baseKey && sameAddr(r.candidate, m)) return r.candidate;
    return {
      ...p.local.candidate,
      type: "prflx",
      priority: p.local.prflxPriority,
      address: m.address,
      port: m.port,
      relatedAddress: p.local.base.address,
      relatedPort: p.local.base.port,
    };
  }

  // ---------------------------------------------------------------- state

  private afterChange(now: number): void {
    this.scheduleChecks(now);
    this.updateState(now);
    this.deadlineDirty = true;
  }

  private updateState(now: number): void {
    if (this.closed) return;
    if (this.selected) {
      this.allFailedSince = undefined;
      if (this.consentLost) {
        this.setState("failed");
        return;
      }
      if (this.disconnected) {
        this.setState("disconnected");
        return;
      }
      const done =
        this.selected.generation === this.generation &&
        this.remoteEndOfCandidates &&
        this.gatheringState === "complete" &&
        !this.checklist.hasWork(false) &&
        this.pendingMdns.size === 0;
      this.setState(done ? "completed" : "connected");
      return;
    }
    if (!this.remote) return;
    let pendingChecks = this.earlyChecks.length > 0 || this.pendingMdns.size > 0;
    if (!pendingChecks) for (const p of this.txs.values()) if (p.kind === "check") pendingChecks = true;
    if (!pendingChecks && this.checklist.allFailed()) {
      if (this.allFailedSince === undefined) this.allFailedSince = now;
      const ended = this.remoteEndOfCandidates || this.remoteLite;
      if (
        (ended && this.gatheringState === "complete" && this.checklist.size > 0) ||
        (ended && this.gatheringState === "complete" && this.remoteList.length === 0) ||
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

  private setState(s: IceTransportState): void {
    if (this.state === s) return;
    // Browsers always report "connected" before "completed".
    if (s === "completed" && this.state !== "connected") this.setState("connected");
    this.state = s;
    this.pushEvent({ type: "state", state: s });
  }

  // ---------------------------------------------------------------- plumbing

  private tick(now: number): void {
    if (now > this.now) this.now = now;
  }

  private drop(reason: string, n = 1): void {
    this.stats.dropped[reason] = (this.stats.dropped[reason] ?? 0) + n;
  }

  private pushEvent(e: IceEvent): void {
    if (this.events.length - this.eventHead >= MAX_EVENTS) {
      this.drop("event-queue-full");
      return;
    }
    this.events.push(e);
  }

  private queue(from: TransportAddress, to: TransportAddress, data: Uint8Array): void {
    if (this.out.length - this.outHead >= MAX_OUT) {
      this.drop("transmit-queue-full");
      return;
    }
    this.out.push({ from, to, data });
  }
}

function makeCreds(ufrag: string, pwd: string): Creds {
  return { ufrag, pwd, key: shortTermKey(pwd) };
}

function sameAddr(a: TransportAddress, b: TransportAddress): boolean {
  return a.port === b.port && a.address === b.address;
}

/** Foundation: equal for candidates of one type, base IP and server (RFC 8445 5.1.1.3). */
function foundationFor(type: string, baseIp: string, server: string): string {
  return String(crc32(Buffer.from(`${type}|${baseIp}|${server}|udp`)));
}
