// SctpAssociation: one SCTP association over an already secured path (RFC 8261, SCTP over DTLS),
// as a sans-IO PacketCore. It implements RFC 9260's state machine (section 4), association set-up
// with a signed cookie and INIT collision handling (5.1, 5.2.1, 5.2.4 case D), packet validation
// (8.5 verification tags, 6.8 CRC32c or RFC 9653 zero checksum), SACK generation (6.2 delayed
// acks, gap blocks, duplicates), heartbeats and dead-peer detection (8.1, 8.3), graceful shutdown
// (9.2) and ABORT (9.1). Sending lives in sender.ts, receiving order in reassembly.ts and
// TSN bookkeeping in tsn.ts; outgoing/incoming stream reset (RFC 6525) is in reconfig.ts.

import { readU16, readU32, writeU16, writeU32 } from "../bytes/index.js";
import type { PacketCore } from "../core.js";
import { cryptoRandom, type Random } from "../random.js";
import {
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
  CT_RECONFIG,
  CT_SACK,
  CT_SHUTDOWN,
  CT_SHUTDOWN_ACK,
  CT_SHUTDOWN_COMPLETE,
  chunk,
  concat,
  describeCauses,
  FLAG_T,
  parseSack,
  protocolViolationCause,
  type SackInfo,
  tlv,
  userAbortCause,
  writeForwardTsn,
} from "./chunks.js";
import { RtoEstimator } from "./congestion.js";
import { cookieFromInit, initInfoFromCookie, makeCookie, openCookie } from "./cookie.js";
import { readChecksum, sctpChecksum, writeChecksum } from "./crc32c.js";
import { SctpError } from "./errors.js";
import { Heartbeat } from "./heartbeat.js";
import {
  type ResolvedOptions,
  resolveOptions,
  type SctpCloseReason,
  type SctpEvent,
  type SctpOptions,
  type SctpState,
  type SctpStats,
  type SendOptions,
} from "./options.js";
import { type InitInfo, parseInit, writeInit } from "./params.js";
import { Receiver } from "./receiver.js";
import { StreamReset } from "./reconfig.js";
import { OutMessage, Sender } from "./sender.js";

export type { SctpCloseReason, SctpEvent, SctpOptions, SctpState, SctpStats, SendOptions } from "./options.js";

const ESTABLISHED_LIKE = new Set<SctpState>(["established", "shutdown-pending", "shutdown-received", "shutdown-sent"]);

export class SctpAssociation implements PacketCore<SctpEvent> {
  state: SctpState = "closed";
  readonly localPort: number;
  readonly remotePort: number;
  readonly mtu: number;
  /** Largest message reassembled on receipt. */
  readonly maxMessageSize: number;
  /** Largest message send() accepts; the data channel layer sets it from the peer's a=max-message-size. */
  maxSendMessageSize: number;
  readonly receiveWindow: number;
  /** Streams usable for sending / receiving after negotiation (before: what we offer). */
  outboundStreams: number;
  inboundStreams: number;
  readonly stats: SctpStats;
  /** Whether I-DATA was negotiated. */
  iData = false;
  /** Whether the peer accepts zero checksums and we use them. */
  zeroChecksumInUse = false;

  private readonly random: Random;
  private readonly opts: ResolvedOptions;
  private readonly secret: Uint8Array;
  private readonly localTag: number;
  private peerTag = 0;
  private readonly myInitialTsn: number;
  private peerSupportsPr = false;
  private peerSupportsReconfig = false;
  private setupDone = false;
  readonly sender: Sender;
  private readonly rx: Receiver;
  readonly reset: StreamReset;
  private readonly rto: RtoEstimator;
  private now = 0;

  private readonly events: SctpEvent[] = [];
  private eventHead = 0;
  private readonly raw: Uint8Array[] = [];
  private readonly control: Uint8Array[] = [];

  // Timers (absolute ms, undefined when stopped).
  private t1: number | undefined = undefined;
  private t1Count = 0;
  private t1Chunk: Uint8Array | undefined = undefined;
  private t2: number | undefined = undefined;
  private t2Count = 0;
  private readonly heartbeat: Heartbeat;
  private errorCount = 0;

  private sackNeeded = false;
  /** The next bundled packet carries a real CRC32c even with zero checksum negotiated (COOKIE ACK). */
  private crcNext = false;
  private readonly sackScratch: SackInfo = { cumTsn: 0, arwnd: 0, gaps: [], dups: 0 };

  constructor(options: SctpOptions = {}) {
    this.random = options.random ?? cryptoRandom();
    this.opts = resolveOptions(options);
    if (this.opts.mtu < 256 || this.opts.mtu > 65535) throw new SctpError("invalid-option", "mtu out of range");
    this.localPort = this.opts.localPort;
    this.remotePort = this.opts.remotePort;
    this.mtu = this.opts.mtu;
    this.maxMessageSize = this.opts.maxMessageSize;
    this.maxSendMessageSize = this.opts.maxSendMessageSize;
    this.receiveWindow = this.opts.receiveWindow;
    this.outboundStreams = this.opts.outboundStreams;
    this.inboundStreams = this.opts.inboundStreams;
    this.stats = {
      packetsSent: 0,
      packetsReceived: 0,
      bytesSent: 0,
      bytesReceived: 0,
      dataChunksReceived: 0,
      duplicateTsns: 0,
      sacksSent: 0,
      dropped: {},
    };
    this.secret = this.random.bytes(32);
    this.localTag = this.nonZeroU32();
    this.myInitialTsn = this.random.u32();
    this.heartbeat = new Heartbeat(this.opts.heartbeatInterval, this.random);
    this.rto = new RtoEstimator(this.opts.rtoInitial, this.opts.rtoMin, this.opts.rtoMax);
    this.sender = new Sender(this, this.myInitialTsn, this.receiveWindow, this.mtu, this.rto);
    const maxHeld = Math.max(64 * 1024 * 1024, this.receiveWindow + 4 * this.maxMessageSize);
    this.rx = new Receiver(this, this, this.receiveWindow, this.maxMessageSize, maxHeld, this.opts.delayedAckTime);
    this.reset = new StreamReset(this.myInitialTsn);
  }

  private nonZeroU32(): number {
    for (;;) {
      const v = this.random.u32();
      if (v !== 0) return v;
    }
  }

  /** Counts a dropped input by reason (stats.dropped). */
  drop(reason: string): void {
    this.stats.dropped[reason] = (this.stats.dropped[reason] ?? 0) + 1;
  }

  private tick(now: number): void {
    if (now > this.now) this.now = now;
  }

  // ================= API =================

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
    this.tick(now);
    if (
      this.state === "closed"
        ? this.setupDone
        : !ESTABLISHED_LIKE.has(this.state) && this.state !== "cookie-wait" && this.state !== "cookie-echoed"
    )
      throw new SctpError("invalid-state", `send() in state ${this.state}`);
    if (this.state === "shutdown-pending" || this.state === "shutdown-sent" || this.state === "shutdown-received")
      throw new SctpError("invalid-state", "association is shutting down");
    if (!Number.isInteger(streamId) || streamId < 0 || streamId >= this.outboundStreams)
      throw new SctpError("invalid-stream", `stream ${streamId} out of range`);
    if (data.length > this.maxSendMessageSize)
      throw new SctpError("message-too-large", `message of ${data.length} bytes exceeds ${this.maxSendMessageSize}`);
    if (data.length === 0) throw new SctpError("empty-message", "SCTP cannot send an empty message");
    if (this.sender.isResetting(streamId)) throw new SctpError("stream-resetting", `stream ${streamId} is being reset`);
    const maxRtx = options?.maxRetransmits ?? -1;
    const lifetime = options?.maxLifetime;
    const m = new OutMessage(
      streamId,
      ppid >>> 0,
      data,
      options?.unordered === true,
      maxRtx,
      lifetime !== undefined && lifetime >= 0 ? this.now + lifetime : Number.POSITIVE_INFINITY,
    );
    this.sender.enqueue(m);
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

  // ================= PacketCore =================

  pollEvent(): SctpEvent | undefined {
    if (this.eventHead === this.events.length) {
      if (this.eventHead) {
        this.events.length = 0;
        this.eventHead = 0;
      }
      return undefined;
    }
    const e = this.events[this.eventHead]!;
    this.events[this.eventHead++] = undefined as unknown as SctpEvent;
    return e;
  }

  /** MessageSink: complete messages from reassembly. */
  onMessage(streamId: number, ppid: number, data: Uint8Array, unordered: boolean): void {
    this.events.push({ type: "message", streamId, ppid, data, unordered });
  }

  /** SenderSink: bytes that left the send buffer for the first time. */
  onSent(streamId: number, bytes: number): void {
    this.events.push({ type: "sent", streamId, bytes });
  }

  nextTimeout(): number | undefined {
    let t = this.t1;
    const c = (x: number | undefined): void => {
      if (x !== undefined && (t === undefined || x < t)) t = x;
    };
    if (this.state === "closed") return t;
    c(this.t2);
    c(this.rx.ackTimer);
    c(this.heartbeat.timer);
    c(this.reset.timer);
    if (this.setupDone) c(this.sender.t3);
    return t;
  }

  handleTimeout(now: number): void {
    this.tick(now);
    now = this.now;
    if (this.t1 !== undefined && this.t1 <= now) this.onT1();
    if (this.state === "closed") return;
    if (this.t2 !== undefined && this.t2 <= now) this.onT2();
    if (this.rx.ackTimer !== undefined && this.rx.ackTimer <= now) {
      this.rx.ackTimer = undefined;
      this.rx.sackNeeded = true;
    }
    if (this.setupDone && this.sender.t3 !== undefined && this.sender.t3 <= now) {
      this.sender.onT3(now);
      if (++this.errorCount > this.opts.maxRetransmissions) {
        this.closeWithAbort("retransmission-limit", "too many retransmissions");
        return;
      }
    }
    if (this.heartbeat.timer !== undefined && this.heartbeat.timer <= now) this.onHeartbeatTimer();
    if ((this.state as SctpState) === "closed") return;
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

  // ================= receiving =================

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
          this.close("peer-abort", describeCauses(value));
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
        // Reflect the Heartbeat Info parameter unchanged (RFC 9260 8.3).
        this.control.push(chunk(CT_HEARTBEAT_ACK, 0, value));
        return true;
      }
      case CT_HEARTBEAT_ACK:
        this.onHeartbeatAck(value);
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
        this.drop("peer-error");
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

  /** ResetHost: replays a chunk held during a deferred reset. */
  deliverChunk(
    idata: boolean,
    tsn: number,
    sid: number,
    flags: number,
    p: Uint8Array,
    o: number,
    payload: Uint8Array,
  ): void {
    this.rx.deliverChunk(idata, tsn, sid, flags, p, o, payload);
  }

  /** ReceiverHost: the peer broke a rule; the association is aborted. */
  protocolViolation(why: string): void {
    this.closeWithAbort("protocol-error", why);
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
    const rtt = this.heartbeat.onAck(value, this.now);
    if (rtt === undefined) return;
    this.errorCount = 0;
    this.rto.measure(rtt);
  }

  // ================= set-up =================

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
    this.raw.push(this.packet(this.peerTag, [echo], true));
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
      this.drop("stale-cookie");
      return false;
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

  private setup(peerTag: number, peerInitialTsn: number, info: InitInfo): void {
    if (this.setupDone) return;
    this.setupDone = true;
    this.peerTag = peerTag;
    this.outboundStreams = Math.min(this.opts.outboundStreams, info.inboundStreams);
    this.inboundStreams = Math.min(this.opts.inboundStreams, info.outboundStreams);
    this.iData = this.opts.iData && info.iData;
    this.peerSupportsPr = info.forwardTsn;
    this.peerSupportsReconfig = info.reconfig;
    this.zeroChecksumInUse = this.opts.zeroChecksum && info.zeroChecksum;
    this.rx.start(peerInitialTsn, this.iData);
    this.reset.peerReqSn = peerInitialTsn;
    const s = this.sender;
    s.iData = this.iData;
    s.prSupported = this.peerSupportsPr;
    s.peerRwnd = info.arwnd;
    s.cc.ssthresh = info.arwnd;
  }

  private established(): void {
    this.t1 = undefined;
    this.t1Chunk = undefined;
    this.state = "established";
    this.heartbeat.start(this.now);
    this.events.push({ type: "established" });
  }

  /** Whether the peer announced RE-CONFIG (stream reset) support. */
  get peerSupportsStreamReset(): boolean {
    return this.peerSupportsReconfig;
  }

  // ================= shutdown and close =================

  private shutdownChunk(): Uint8Array {
    const v = new Uint8Array(4);
    writeU32(v, 0, this.rx.tsns!.cum);
    return chunk(CT_SHUTDOWN, 0, v);
  }

  private onShutdown(_value: Uint8Array): void {
    if (this.state === "established" || this.state === "shutdown-pending") this.state = "shutdown-received";
    else if (this.state === "shutdown-sent") {
      // Both sides shut down at once (RFC 9260 9.2): answer with SHUTDOWN ACK.
      this.state = "shutdown-received";
    }
  }

  private maybeShutdown(): void {
    if (this.state === "shutdown-pending" && this.sender.idle()) {
      this.state = "shutdown-sent";
      this.control.push(this.shutdownChunk());
      this.t2Count = 0;
      this.t2 = this.now + this.rto.rto;
    } else if (this.state === "shutdown-received" && this.sender.idle()) {
      this.state = "shutdown-ack-sent";
      this.control.push(chunk(CT_SHUTDOWN_ACK, 0, undefined));
      this.t2Count = 0;
      this.t2 = this.now + this.rto.rto;
    }
  }

  private closeWithAbort(reason: SctpCloseReason, why: string): void {
    if (this.state === "closed") return;
    const cause = reason === "protocol-error" ? protocolViolationCause(why) : userAbortCause(why);
    if (this.setupDone) this.raw.push(this.packet(this.peerTag, [chunk(CT_ABORT, 0, cause)], true));
    this.close(reason, why);
  }

  private close(reason: SctpCloseReason, cause: string): void {
    const wasClosed = this.state === "closed" && this.setupDone;
    this.state = "closed";
    this.setupDone = true; // a closed association never comes back
    this.t1 = this.t2 = this.rx.ackTimer = this.heartbeat.timer = undefined;
    this.sender.t3 = undefined;
    this.reset.timer = undefined;
    this.control.length = 0;
    if (!wasClosed) this.events.push(cause ? { type: "closed", reason, cause } : { type: "closed", reason });
  }

  // ================= sending packets =================

  /** Queues a control chunk for the next bundled packet (used by reconfig.ts). */
  queueControl(c: Uint8Array): void {
    this.control.push(c);
  }

  /** Emits an event (used by reconfig.ts). */
  emit(e: SctpEvent): void {
    this.events.push(e);
  }

  get currentRto(): number {
    return this.rto.rto;
  }
  get currentNow(): number {
    return this.now;
  }
  /** Bytes held for reassembly or ordered delivery (incomplete messages, messages waiting for an earlier one). */
  get heldBytes(): number {
    return this.rx.reasm.heldBytes;
  }
  get cumulativeTsn(): number {
    return this.rx.tsns?.cum ?? 0;
  }
  resetIncoming(sid: number): void {
    this.rx.reasm.resetStream(sid);
  }

  private packet(vtag: number, chunks: Uint8Array[], crc: boolean): Uint8Array {
    const body = concat(chunks);
    const p = Buffer.allocUnsafe(12 + body.length);
    writeU16(p, 0, this.localPort);
    writeU16(p, 2, this.remotePort);
    writeU32(p, 4, vtag);
    p.set(body, 12);
    writeU32(p, 8, 0);
    if (crc || !this.zeroChecksumInUse) writeChecksum(p, sctpChecksum(p));
    return p;
  }

  pollTransmit(): Uint8Array | undefined {
    if (this.raw.length) {
      const p = this.raw.shift()!;
      this.stats.packetsSent++;
      this.stats.bytesSent += p.length;
      return p;
    }
    if (!this.setupDone || this.state === "closed" || this.state === "cookie-wait") return undefined;
    const est = ESTABLISHED_LIKE.has(this.state);
    if (est) this.reset.maybeSend(this);
    const s = this.sender;
    const fwd = est && s.fwdTsnNeeded;
    const wantData = est && s.wantsToSend();
    if (!this.control.length && !this.rx.sackNeeded && !fwd && !wantData) {
      if (this.state === "shutdown-pending") this.maybeShutdown();
      return undefined;
    }
    const mtu = this.mtu;
    const buf = Buffer.allocUnsafe(mtu);
    writeU16(buf, 0, this.localPort);
    writeU16(buf, 2, this.remotePort);
    writeU32(buf, 4, this.peerTag);
    writeU32(buf, 8, 0);
    let off = 12;
    let ci = 0;
    const control = this.control;
    while (ci < control.length && off + control[ci]!.length <= mtu) {
      buf.set(control[ci]!, off);
      off += control[ci]!.length;
      ci++;
    }
    if (ci === 0 && control.length) {
      // An oversized control chunk: send it alone.
      const big = control.shift()!;
      return this.finish(this.packet(this.peerTag, [big], false));
    }
    control.splice(0, ci);
    // Bundle a SACK when one is due, or when one is pending anyway and data goes out.
    if (this.rx.tsns && (this.rx.sackNeeded || (wantData && this.rx.ackTimer !== undefined)))
      off = this.rx.writeSack(buf, off, mtu);
    if (fwd) {
      const f = s.forwardTsn();
      s.fwdTsnNeeded = false;
      if (f) {
        if (s.t3 === undefined) s.t3 = this.now + this.rto.rto;
        const c = writeForwardTsn(f.newCum, f.entries, this.iData);
        if (off + c.length <= mtu) {
          buf.set(c, off);
          off += c.length;
        } else {
          this.control.push(c);
        }
      }
    }
    if (est) off = s.fill(buf, off, mtu, this.now);
    if (off === 12) return undefined;
    const p = buf.subarray(0, off);
    if (!this.zeroChecksumInUse || !est || this.crcNext) writeChecksum(p, sctpChecksum(p));
    this.crcNext = false;
    return this.finish(p);
  }

  private finish(p: Uint8Array): Uint8Array {
    this.stats.packetsSent++;
    this.stats.bytesSent += p.length;
    return p;
  }
}
