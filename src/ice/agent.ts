// The sans-IO ICE agent (RFC 8445 full implementation, one component, as WebRTC uses it):
// host and server-reflexive gathering (5.1.1), trickle (RFC 8838), connectivity checks with
// pacing, triggered checks, role conflicts and regular nomination (6.1.4, 7.2, 7.3, 8.1), accepting
// aggressive nomination when controlled, ICE-lite peers (2.5), consent freshness (RFC 7675),
// restart (9), mDNS candidates resolved by the driver, and the application data path. STUN
// servers that fail gathering are reported as candidate-error events (webrtc-pc 4.8.2).
// States follow RTCIceTransportState. No sockets or timers here: see ARCHITECTURE.md.
import { addressKey, canonicalIP, parseIP, type TransportAddress } from "../address.js";
import type { DatagramCore, Transmit } from "../core.js";
import { isStunMessage } from "../stun/index.js";
import { type IceCandidate, isMdnsName, isUdp, parseCandidate } from "./candidate.js";
import { Checklist, type LocalCandidate, pairKey, pairStats } from "./checklist.js";
import { IceCore, makeCreds } from "./checks.js";
import { IceAgentError } from "./errors.js";
import type { GatherError } from "./gather.js";
import { randomIceString } from "./messages.js";
import type { IceEvent, LocalAddressOptions, PairStats } from "./types.js";

export { IceAgentError };

export class IceAgent extends IceCore implements DatagramCore<IceEvent> {
  // ---------------------------------------------------------------- public API

  /** Local ufrag and password (RTCIceTransport.getLocalParameters). */
  get localCredentials(): { ufrag: string; pwd: string } {
    return { ufrag: this.local.ufrag, pwd: this.local.pwd };
  }

  /** Remote ufrag and password once set (RTCIceTransport.getRemoteParameters). */
  get remoteCredentials(): { ufrag: string; pwd: string } | undefined {
    return this.remote ? { ufrag: this.remote.ufrag, pwd: this.remote.pwd } : undefined;
  }

  /** RTCIceTransport.role. */
  get role(): "controlling" | "controlled" {
    return this.controlling ? "controlling" : "controlled";
  }

  /** A bound local socket: becomes a host candidate (and, for IPv4, srflx gathering starts). */
  addLocalAddress(addr: TransportAddress, now: number, opts: LocalAddressOptions = {}): IceCandidate {
    this.tick(now);
    if (this.closed) throw new IceAgentError("ICE_CLOSED", "agent is closed");
    if (!parseIP(addr.address)) throw new IceAgentError("ICE_BAD_ADDRESS", `not an IP address: ${addr.address}`);
    const baseKey = addressKey(addr);
    const existing = this.locals.host(baseKey);
    if (existing) return existing.candidate;
    const host = this.locals.addHost({ address: addr.address, port: addr.port }, baseKey, opts, this.local.ufrag);
    this.setGathering("gathering");
    this.emitCandidate(host.candidate);
    this.startGather(host, now);
    if (this.remote) for (const r of this.remotes.list) this.pairUp(host, r);
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
    for (const r of this.remotes.list) {
      if (r.candidate.type === "prflx") continue; // learned from a check: paired with its own base only
      for (const h of this.locals.hosts) this.pairUp(h, r);
    }
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
      const r = this.remotes.queueMdns(cand);
      if (r === "query") this.pushEvent({ type: "mdns-query", name: cand.address });
      else if (r === "limit") this.drop("mdns-limit");
      this.afterChange(now);
      return;
    }
    this.addResolvedRemote(cand, cand.address, now);
    this.afterChange(now);
  }

  /** The driver's answer to an mdns-query event (undefined when the name did not resolve). */
  resolveMdns(name: string, ip: string | undefined, now: number): void {
    this.tick(now);
    const list = this.remotes.takeMdns(name);
    if (!list) return;
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
    if (this.selected && this.consent.lost) {
      // A dead pair carries nothing: start afresh.
      this.dataPairs.delete(this.selected.key);
      this.selected = undefined;
    }
    this.prevLocal = this.selected ? this.local : undefined;
    this.prevRemote = this.selected ? this.remote : undefined;
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
    this.earlyChecks.length = 0;
    this.remoteEndOfCandidates = false;
    this.remoteLite = false;
    this.nominateAt = undefined;
    this.allFailedSince = undefined;
    this.gatherer.clear();
    this.unusableReported = false;
    if (opts.controlling !== undefined && opts.controlling !== this.controlling) this.setRole(opts.controlling);
    // Regather: the same sockets, candidates of the new generation.
    this.gatheringState = "new";
    const hosts = this.locals.regenerate(this.local.ufrag);
    if (hosts.length > 0) this.setGathering("gathering");
    for (const host of hosts) {
      this.emitCandidate(host.candidate);
      this.startGather(host, now);
    }
    this.maybeGatheringComplete();
    if (!this.selected && this.state !== "closed") this.setState("new");
    this.afterChange(now);
  }

  /**
   * Sends application data on the selected pair, or before selection on the best valid pair
   * (RFC 8445 12.1). False (and counted) when there is none.
   */
  send(data: Uint8Array): boolean {
    const p = this.selected ?? this.checklist.bestValid();
    if (!p || this.consent.lost || this.closed) {
      this.drop("send-without-pair");
      return false;
    }
    if (!this.out.push({ from: p.local.base, to: p.remote.address, data })) {
      this.drop("send-queue-full");
      return false;
    }
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
    this.gatherer.clear();
    this.nextCheckAt = undefined;
    this.consent.stop();
    this.nominateAt = undefined;
    this.setState("closed");
    this.deadlineDirty = true;
  }

  getLocalCandidates(): IceCandidate[] {
    return this.locals.all();
  }

  getRemoteCandidates(): IceCandidate[] {
    return this.remotes.list.map((r) => r.candidate);
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
    return pairs.map((p) => pairStats(p, this.localOf(p), p === this.selected));
  }

  /** Stats of the selected pair (W3C RTCIceTransport stats' selectedCandidatePairId target). */
  getSelectedPairStats(): PairStats | undefined {
    const p = this.selected;
    return p ? pairStats(p, this.localOf(p), true) : undefined;
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
    const gatherErrors: GatherError[] = [];
    if (this.gatherer.handleTimeout(now, this.sendFn, gatherErrors) > 0) {
      // Reported before "complete": a 701 is fired only while gathering (webrtc-pc 4.8.2).
      for (const e of gatherErrors) this.emitCandidateError(e);
      this.maybeGatheringComplete();
    }
    this.runConsent(now);
    if (this.nextCheckAt !== undefined && now >= this.nextCheckAt) this.checkTick(now);
    if (this.nominateAt !== undefined && now >= this.nominateAt) this.maybeNominate(now, true);
    this.afterChange(now);
  }

  pollTransmit(): Transmit | undefined {
    return this.out.poll();
  }

  pollEvent(): IceEvent | undefined {
    return this.events.poll();
  }

  nextTimeout(): number | undefined {
    if (!this.deadlineDirty) return this.deadline;
    this.deadlineDirty = false;
    if (this.closed) return (this.deadline = undefined);
    let t = this.gatherer.deadline() ?? Number.POSITIVE_INFINITY;
    for (const p of this.txs.values()) {
      const d = p.tx.nextTimeout();
      if (d !== undefined && d < t) t = d;
    }
    if (this.nextCheckAt !== undefined && this.nextCheckAt < t) t = this.nextCheckAt;
    if (this.nominateAt !== undefined && this.nominateAt < t) t = this.nominateAt;
    if (this.selected) {
      const c = this.consent.deadline();
      if (c !== undefined && c < t) t = c;
    }
    if (this.allFailedSince !== undefined && !this.selected && this.state !== "failed")
      t = Math.min(t, this.allFailedSince + this.opts.failTimeout);
    this.deadline = t === Number.POSITIVE_INFINITY ? undefined : Math.max(t, this.now);
    return this.deadline;
  }

  // ---------------------------------------------------------------- candidates

  protected startGather(host: LocalCandidate, now: number): void {
    this.gatherer.start(host, now, this.sendFn);
    this.reportUnusableServers(host);
  }

  protected addResolvedRemote(cand: IceCandidate, ip: string, now: number): void {
    if (!isUdp(cand)) {
      this.drop("tcp-candidate");
      return;
    }
    if (!parseIP(ip)) {
      this.drop("bad-candidate-address");
      return;
    }
    const address = { address: canonicalIP(ip), port: cand.port };
    const existing = this.remotes.get(address);
    if (existing) {
      if (existing.candidate.type === "prflx") {
        // A signalled candidate we already met as peer-reflexive (RFC 8838 11.4): adopt its details.
        existing.candidate = cand;
        this.checklist.resort(this.controlling);
        if (this.remote) for (const h of this.locals.hosts) this.pairUp(h, existing);
      }
      return;
    }
    if (this.remotes.full) {
      this.drop("remote-limit");
      return;
    }
    const remote = this.remotes.store(cand, address);
    if (this.remote) for (const h of this.locals.hosts) this.pairUp(h, remote);
    this.scheduleChecks(now);
  }
}
