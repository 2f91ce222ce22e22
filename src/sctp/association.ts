// SctpAssociation: one SCTP association over an already secured path (RFC 8261, SCTP over DTLS),
// as a sans-IO PacketCore. This file has its API and inputs: RFC 9260's state machine (section 4),
// association set-up with a signed cookie and INIT collision handling (5.1, 5.2.1, 5.2.4 case D),
// packet validation (8.5 verification tags, 6.8 CRC32c or RFC 9653 zero checksum), chunk dispatch,
// timers (T1, T2, T3 via the sender, heartbeats and dead-peer detection of 8.1 / 8.3), shutdown
// (9.2) and ABORT (9.1). Shared state and packet assembly: association-base.ts; sending: sender.ts;
// receiving: receiver.ts, reassembly.ts, tsn.ts; stream reset (RFC 6525): reconfig.ts.
import { readU16, readU32, writeU32 } from "../bytes/index.js";
import type { PacketCore } from "../core.js";
import { AssociationBase, ESTABLISHED_LIKE } from "./association-base.js";
import {
  CAUSE_STALE_COOKIE,
  CT_ABORT,
  CT_COOKIE_ACK,
  CT_COOKIE_ECHO,
  CT_DATA,
  CT_ERROR,
  CT_FORWARD_TSN,
  CT_HEARTBEAT,
  CT_HEARTBEAT_ACK,
  CT_I_DATA,
  CT_I_FORWARD_TSN,
  CT_INIT,
  CT_INIT_ACK,
  CT_PAD,
  CT_RECONFIG,
  CT_SACK,
  CT_SHUTDOWN,
  CT_SHUTDOWN_ACK,
  CT_SHUTDOWN_COMPLETE,
  chunk,
  describeCauses,
  FLAG_T,
  parseSack,
  tlv,
  userAbortCause,
} from "./chunks.js";
import { cookieFromInit, initInfoFromCookie, makeCookie, openCookie } from "./cookie.js";
import { readChecksum, sctpChecksum } from "./crc32c.js";
import { SctpError } from "./errors.js";
import type { SctpEvent, SctpState, SendOptions } from "./options.js";
import { parseInit, writeInit } from "./params.js";
import { OutMessage } from "./send-queue.js";

export type { SctpCloseReason, SctpEvent, SctpOptions, SctpState, SctpStats, SendOptions } from "./options.js";

export class SctpAssociation extends AssociationBase implements PacketCore<SctpEvent> {
  /** Starts the association (both WebRTC peers do this; an INIT collision is handled). */
  connect(now: number): void {
    this.tick(now);
    if (this.state !== "closed" || this.setupDone)
      throw new SctpError("invalid-state", `connect() in state ${this.state}`);
    const init = chunk(
      CT_INIT,
      0,
      writeInit(this.initFields(), { iData: this.opts.iData, zeroChecksum: this.opts.zeroChecksum }, undefined),
    );
    this.state = "cookie-wait";
    this.t1Chunk = init;
    this.t1Count = 0;
    this.t1 = this.now + this.rto.rto;
    this.raw.push(this.packet(0, [init], true));
  }

  /** An ERROR chunk: a Stale Cookie error while our COOKIE ECHO is out restarts with a new INIT (RFC 9260 5.2.6). */
  private onError(value: Uint8Array): void {
    this.drop("peer-error");
    if (this.state !== "cookie-echoed" || value.length < 4 || readU16(value, 0) !== CAUSE_STALE_COOKIE) return;
    const init = chunk(
      CT_INIT,
      0,
      writeInit(this.initFields(), { iData: this.opts.iData, zeroChecksum: this.opts.zeroChecksum }, undefined),
    );
    this.state = "cookie-wait";
    this.t1Chunk = init;
    this.t1 = this.now + this.rto.rto;
    this.raw.push(this.packet(0, [init], true));
  }

  private initFields() {
    return {
      initiateTag: this.localTag,
      arwnd: this.receiveWindow,
      outboundStreams: this.opts.outboundStreams,
      inboundStreams: this.opts.inboundStreams,
      initialTsn: this.myInitialTsn,
    };
  }

  /** Queues a message. Throws SctpError on misuse (closed, bad stream, too large). */
  send(streamId: number, ppid: number, data: Uint8Array, options: SendOptions | undefined, now: number): void {
    if (now > this.now) this.now = now;
    if (this.state !== "established") this.checkCanSend();
    if (!(streamId >= 0 && streamId < this.outboundStreams && (streamId | 0) === streamId))
      throw new SctpError("invalid-stream", `stream ${streamId} out of range`);
    const n = data.length;
    if (n > this.maxSendMessageSize)
      throw new SctpError("message-too-large", `message of ${n} bytes exceeds ${this.maxSendMessageSize}`);
    if (n === 0) throw new SctpError("empty-message", "SCTP cannot send an empty message");
    let unordered = false;
    let maxRtx = -1;
    let expires = Number.POSITIVE_INFINITY;
    if (options !== undefined) {
      unordered = options.unordered === true;
      if (options.maxRetransmits !== undefined) maxRtx = options.maxRetransmits;
      const life = options.maxLifetime;
      if (life !== undefined && life >= 0) expires = this.now + life;
    }
    if (!this.sender.enqueue(new OutMessage(streamId, ppid >>> 0, data, unordered, maxRtx, expires)))
      throw new SctpError("stream-resetting", `stream ${streamId} is being reset`);
    this.sender.refreshBurst();
  }

  private checkCanSend(): void {
    const st = this.state;
    if (st === "closed" ? this.setupDone : st !== "cookie-wait" && st !== "cookie-echoed")
      throw new SctpError(
        "invalid-state",
        st.startsWith("shutdown") ? "association is shutting down" : `send() in state ${st}`,
      );
  }

  bufferedAmount(streamId: number): number {
    return this.sender.bufferedAmount(streamId);
  }

  /** Resets our outgoing streams (RFC 6525 5.1.2) after the data queued on them has been sent. */
  resetStreams(ids: number[], now: number): void {
    this.tick(now);
    if (!ESTABLISHED_LIKE.has(this.state) && this.state !== "cookie-wait" && this.state !== "cookie-echoed")
      throw new SctpError("invalid-state", `resetStreams() in state ${this.state}`);
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.outboundStreams)
        throw new SctpError("invalid-stream", `stream ${id} out of range`);
    }
    for (const id of ids) {
      if (this.sender.isResetting(id)) continue;
      this.sender.setResetting(id, true);
      this.reset.pending.push(id);
    }
  }

  /** Graceful close (RFC 9260 9.2): sends what is queued, then SHUTDOWN. */
  shutdown(now: number): void {
    this.tick(now);
    if (this.state === "established") {
      this.state = "shutdown-pending";
      this.maybeShutdown();
    } else if (this.state === "cookie-wait" || this.state === "cookie-echoed")
      this.abort("shutdown before established");
  }

  /** Immediate close (RFC 9260 9.1): sends ABORT with a User-Initiated Abort cause. */
  abort(reason = ""): void {
    if (this.state === "closed" && !this.setupDone) {
      this.close("user-abort", reason);
      return;
    }
    if (this.state === "closed") return;
    this.raw.push(this.packet(this.peerTag, [chunk(CT_ABORT, 0, userAbortCause(reason))], true));
    this.close("user-abort", reason);
  }

  handleTimeout(now: number): void {
    this.tick(now);
    this.sender.refreshBurst();
    now = this.now;
    if (this.t1 !== undefined && this.t1 <= now) this.onT1();
    if (this.state === "closed") return;
    if (this.t2 !== undefined && this.t2 <= now) this.onT2();
    if (this.rx.ackTimer !== undefined && this.rx.ackTimer <= now) {
      this.rx.ackTimer = undefined;
      this.rx.sackNeeded = true;
    }
    if (this.setupDone && this.sender.t3 !== undefined && this.sender.t3 <= now) {
      // RFC 8899 4.3: a timeout above the base PLPMTU may be a black hole; the retransmissions go
      // out at the base size (every DATA chunk was cut to fit it).
      if (this.pmtud.onRetransmitTimeout(now, this.rto.rto)) this.sender.cc.mtu = this.pmtud.mtu;
      this.sender.onT3(now);
      if (++this.errorCount > this.opts.maxRetransmissions) {
        this.closeWithAbort("retransmission-limit", "too many retransmissions");
        return;
      }
    }
    if (this.heartbeat.timer !== undefined && this.heartbeat.timer <= now) this.onHeartbeatTimer();
    if ((this.state as SctpState) === "closed") return;
    if (this.pmtud.timer !== undefined && this.pmtud.timer <= now) this.onProbeTimer();
    if (this.reset.timer !== undefined && this.reset.timer <= now) {
      this.reset.timer = undefined;
      this.reset.retransmit = true;
    }
    if (this.setupDone) this.sender.expire(now);
  }

  private onT1(): void {
    if (this.state !== "cookie-wait" && this.state !== "cookie-echoed") {
      this.t1 = undefined;
      return;
    }
    if (++this.t1Count > this.opts.maxInitRetransmits) {
      this.t1 = undefined;
      this.close("retransmission-limit", "no answer to INIT / COOKIE ECHO");
      return;
    }
    this.rto.backoff();
    this.t1 = this.now + this.rto.rto;
    if (this.state === "cookie-wait") this.raw.push(this.packet(0, [this.t1Chunk!], true));
    else this.raw.push(this.packet(this.peerTag, [this.t1Chunk!], true));
  }

  private onT2(): void {
    if (++this.t2Count > this.opts.maxRetransmissions) {
      this.t2 = undefined;
      this.closeWithAbort("retransmission-limit", "no answer to SHUTDOWN");
      return;
    }
    this.rto.backoff();
    this.t2 = this.now + this.rto.rto;
    if (this.state === "shutdown-sent") this.control.push(this.shutdownChunk());
    else if (this.state === "shutdown-ack-sent") this.control.push(chunk(CT_SHUTDOWN_ACK, 0, undefined));
  }

  private onHeartbeatTimer(): void {
    const hb = this.heartbeat;
    if (hb.takeMissed()) {
      this.rto.backoff();
      if (++this.errorCount > this.opts.maxRetransmissions) {
        this.closeWithAbort("dead-peer", "peer stopped answering heartbeats");
        return;
      }
    }
    const c = hb.fire(this.now, this.rto.rto, this.state === "established" && !this.sender.hasOutstanding());
    if (c) this.control.push(c);
  }

  /** RFC 8899 6.2.1: a probe is a packet of its own (HEARTBEAT + PAD), sent only when established. */
  private onProbeTimer(): void {
    if (this.state !== "established") {
      this.pmtud.timer = this.now + this.rto.rto;
      return;
    }
    const probe = this.pmtud.onTimer(this.now, this.rto.rto);
    if (probe) this.raw.push(this.packet(this.peerTag, [probe], false));
  }

  handleDatagram(p: Uint8Array, now: number): void {
    this.tick(now);
    now = this.now;
    this.stats.packetsReceived++;
    this.stats.bytesReceived += p.length;
    if (p.length < 16) {
      this.drop("short");
      return;
    }
    if (readU16(p, 2) !== this.localPort) {
      this.drop("port");
      return;
    }
    const sum = readChecksum(p);
    if (!(sum === 0 && this.opts.zeroChecksum) && sctpChecksum(p) !== sum) {
      this.drop("checksum");
      return;
    }
    const vtag = readU32(p, 4);
    const first = p[12]!;
    // Chunks that must be alone or carry special tag rules (RFC 9260 8.5.1).
    if (first === CT_INIT) {
      this.onInit(p, vtag);
      return;
    }
    if (this.state === "closed" && first !== CT_COOKIE_ECHO) {
      // Out of the blue (RFC 9260 8.4 item 5): a SHUTDOWN ACK gets a SHUTDOWN COMPLETE with the T bit,
      // so a peer whose SHUTDOWN COMPLETE from us was lost can close too.
      if (first === CT_SHUTDOWN_ACK)
        this.raw.push(this.packet(vtag, [chunk(CT_SHUTDOWN_COMPLETE, FLAG_T, undefined)], true));
      // Item 8: anything else but ABORT / SHUTDOWN COMPLETE / COOKIE ACK / ERROR gets an ABORT (T bit),
      // so a peer that still thinks the association is up learns at once that it is gone.
      else if (
        this.setupDone &&
        first !== CT_ABORT &&
        first !== CT_SHUTDOWN_COMPLETE &&
        first !== CT_COOKIE_ACK &&
        first !== CT_ERROR
      )
        this.raw.push(this.packet(vtag, [chunk(CT_ABORT, FLAG_T, undefined)], true));
      this.drop("no-association");
      return;
    }
    let o = 12;
    let gotData = false;
    const hadGaps = this.rx.tsns?.hasGaps() ?? false;
    while (o + 4 <= p.length) {
      const type = p[o]!;
      const flags = p[o + 1]!;
      const len = readU16(p, o + 2);
      if (len < 4 || o + len > p.length) {
        this.drop("malformed");
        break;
      }
      const value = p.subarray(o + 4, o + len);
      if (type === CT_COOKIE_ECHO) {
        if (!this.onCookieEcho(value, vtag)) return;
      } else if (type === CT_ABORT || type === CT_SHUTDOWN_COMPLETE) {
        const expected = flags & FLAG_T ? this.peerTag : this.localTag;
        if (vtag !== expected || this.state === "closed") {
          this.drop("vtag");
          return;
        }
        if (type === CT_ABORT) {
          this.close("peer-abort", describeCauses(value), value.length >= 4 ? (value[0]! << 8) | value[1]! : undefined);
          return;
        }
        if (this.state === "shutdown-ack-sent") this.close("shutdown", "");
        return;
      } else {
        if (vtag !== this.localTag) {
          this.drop("vtag");
          return;
        }
        if (!this.onChunk(type, flags, p, o, len, value)) return;
        if (type === CT_DATA || type === CT_I_DATA) gotData = true;
      }
      if (this.state === "closed") return;
      o += (len + 3) & ~3;
    }
    if (gotData) this.rx.afterData(hadGaps);
    this.maybeShutdown();
  }

  /** Returns false to stop processing the packet. */
  private onChunk(type: number, flags: number, p: Uint8Array, o: number, len: number, value: Uint8Array): boolean {
    switch (type) {
      case CT_DATA:
      case CT_I_DATA:
        if (!this.acceptsData()) {
          this.drop("state");
          return true;
        }
        this.rx.onData(type === CT_I_DATA, flags, p, o, len);
        return true;
      case CT_SACK:
        if (!this.acceptsData()) return true;
        this.onSack(value);
        return true;
      case CT_INIT_ACK:
        this.onInitAck(value);
        return false;
      case CT_COOKIE_ACK:
        if (this.state === "cookie-echoed") this.established();
        return true;
      case CT_HEARTBEAT: {
        // Only an established peer sends heartbeats: like DATA, one in COOKIE-ECHOED means our
        // COOKIE ACK was lost (acceptsData() moves us to ESTABLISHED).
        this.acceptsData();
        // Reflect the Heartbeat Info parameter unchanged (RFC 9260 8.3).
        this.control.push(chunk(CT_HEARTBEAT_ACK, 0, value));
        return true;
      }
      case CT_HEARTBEAT_ACK:
        this.onHeartbeatAck(value);
        return true;
      case CT_PAD:
        // RFC 4820 3: padding (of a path MTU probe) is ignored.
        return true;
      case CT_FORWARD_TSN:
      case CT_I_FORWARD_TSN:
        if (!this.acceptsData()) return true;
        this.rx.onForwardTsn(type === CT_I_FORWARD_TSN, value);
        return true;
      case CT_RECONFIG:
        if (!this.setupDone) return true;
        this.reset.onChunk(this, value);
        return true;
      case CT_SHUTDOWN:
        this.onShutdown(value);
        return true;
      case CT_SHUTDOWN_ACK:
        if (this.state === "shutdown-sent" || this.state === "shutdown-ack-sent") {
          this.t2 = undefined;
          this.raw.push(this.packet(this.peerTag, [chunk(CT_SHUTDOWN_COMPLETE, 0, undefined)], false));
          this.close("shutdown", "");
          return false;
        }
        return true;
      case CT_ERROR:
        this.onError(value);
        return true;
      default:
        // RFC 9260 3.2: the upper two bits of an unknown chunk type say what to do.
        if ((type & 0x40) !== 0) this.control.push(chunk(CT_ERROR, 0, tlv(6, p.subarray(o, o + len))));
        if ((type & 0x80) === 0) {
          this.drop("unknown-chunk");
          return false;
        }
        return true;
    }
  }

  private acceptsData(): boolean {
    if (this.state === "cookie-echoed" && this.setupDone) {
      // The peer is established (our COOKIE ACK was lost or overtaken): so are we.
      this.established();
    }
    return ESTABLISHED_LIKE.has(this.state) || this.state === "shutdown-ack-sent";
  }

  private onSack(value: Uint8Array): void {
    const s = this.sackScratch;
    if (!parseSack(value, s)) {
      this.drop("malformed-sack");
      return;
    }
    if (this.sender.onSack(s, this.now)) {
      this.errorCount = 0;
      this.heartbeat.peerAlive();
    }
  }

  private onHeartbeatAck(value: Uint8Array): void {
    if (this.pmtud.onAck(value, this.now)) {
      this.sender.cc.mtu = this.pmtud.mtu;
      return;
    }
    const rtt = this.heartbeat.onAck(value, this.now);
    if (rtt === undefined) return;
    this.errorCount = 0;
    this.rto.measure(rtt);
  }

  private onInit(p: Uint8Array, vtag: number): void {
    if (vtag !== 0) {
      this.drop("vtag");
      return;
    }
    const len = readU16(p, 14);
    if (len < 20 || 12 + len > p.length) {
      this.drop("malformed");
      return;
    }
    const info = parseInit(p.subarray(16, 12 + len));
    if (!info) {
      this.drop("malformed-init");
      return;
    }
    if (this.state === "shutdown-ack-sent") return;
    // RFC 9260 5.1 / 5.2.1 / 5.2.2: answer with an INIT ACK carrying a cookie; keep no new state.
    // Our tag and initial TSN are fixed per association, so a collision (both sides sent INIT)
    // answers with the same values our own INIT carried.
    const cookie = makeCookie(cookieFromInit(info, this.localTag, this.myInitialTsn, this.now), this.secret);
    const ack = chunk(
      CT_INIT_ACK,
      0,
      writeInit(
        this.initFields(),
        { iData: this.opts.iData, zeroChecksum: this.opts.zeroChecksum },
        cookie,
        info.unrecognized,
      ),
    );
    this.raw.push(this.packet(info.initiateTag, [ack], true));
    this.stats.initAcksSent++;
  }

  private onInitAck(value: Uint8Array): void {
    if (this.state !== "cookie-wait") return;
    const info = parseInit(value);
    if (!info?.cookie) {
      this.drop("malformed-init-ack");
      return;
    }
    this.setup(info.initiateTag, info.initialTsn, info);
    const echo = chunk(CT_COOKIE_ECHO, 0, info.cookie);
    this.state = "cookie-echoed";
    this.t1Chunk = echo;
    this.t1Count = 0;
    this.t1 = this.now + this.rto.rto;
    // First in the next packet, with whatever DATA is queued by then (pollTransmit).
    this.control.unshift(echo);
    this.echoQueued = true;
  }

  /** Returns false when the packet must be discarded. */
  private onCookieEcho(value: Uint8Array, vtag: number): boolean {
    const c = openCookie(value, this.secret);
    if (!c) {
      this.drop("bad-cookie");
      return false;
    }
    if (vtag !== c.myTag || c.myTag !== this.localTag) {
      this.drop("vtag");
      return false;
    }
    if (this.now - c.created > this.opts.cookieLifetime || c.created > this.now) {
      // A stale cookie only matters when it would create state (RFC 9260 5.1.5). If this peer is
      // the one we are connecting to or are connected to (an INIT collision, or case D of 5.2.4),
      // nothing new is created from it and it is accepted. Otherwise: Stale Cookie error (5.2.6).
      const known =
        this.state === "cookie-wait" ||
        this.state === "cookie-echoed" ||
        (this.setupDone && this.state !== "closed" && c.peerTag === this.peerTag);
      if (!known) {
        this.drop("stale-cookie");
        const staleness = new Uint8Array(4);
        writeU32(
          staleness,
          0,
          Math.min(0xffffffff, Math.round((this.now - c.created - this.opts.cookieLifetime) * 1000)),
        );
        this.raw.push(this.packet(c.peerTag, [chunk(CT_ERROR, 0, tlv(CAUSE_STALE_COOKIE, staleness))], true));
        return false;
      }
    }
    if (this.setupDone && c.peerTag !== this.peerTag) {
      // A restart (RFC 9260 5.2.4 case A) or a stale collision cookie (case C): not supported here.
      this.drop("cookie-mismatch");
      return false;
    }
    if (!this.setupDone) this.setup(c.peerTag, c.peerInitialTsn, initInfoFromCookie(c));
    if (this.state === "cookie-wait" || this.state === "cookie-echoed" || this.state === "closed") this.established();
    this.control.push(chunk(CT_COOKIE_ACK, 0, undefined));
    this.crcNext = true;
    return true;
  }

  private onShutdown(value: Uint8Array): void {
    // The Cumulative TSN Ack of a SHUTDOWN acknowledges our data like a SACK would (RFC 9260 9.2).
    if (value.length >= 4 && this.setupDone) {
      const s = this.sackScratch;
      s.cumTsn = readU32(value, 0);
      s.arwnd = this.sender.peerRwnd;
      s.gaps.length = 0;
      s.dups = 0;
      this.sender.onSack(s, this.now);
    }
    if (this.state === "established" || this.state === "shutdown-pending") this.state = "shutdown-received";
    else if (this.state === "shutdown-sent") {
      // Both sides shut down at once (RFC 9260 9.2): answer with SHUTDOWN ACK.
      this.state = "shutdown-received";
    }
  }
}
