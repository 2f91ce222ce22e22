// The state and plumbing shared by SctpAssociation (association.ts): fields and options, the event
// queue, packet assembly with control-chunk bundling, SACK bundling and the zero-checksum rule
// (RFC 9260 6.8 / RFC 9653 5), negotiation results (RFC 9260 5.1, RFC 8260, RFC 3758, RFC 6525),
// graceful shutdown sequencing (9.2) and closing. The protocol's input handling is in association.ts.
import { writeU16, writeU32 } from "../bytes/index.js";
import { cryptoRandom, type Random } from "../random.js";
import {
  CT_ABORT,
  CT_SHUTDOWN,
  CT_SHUTDOWN_ACK,
  chunk,
  concat,
  protocolViolationCause,
  type SackInfo,
  userAbortCause,
  writeForwardTsn,
} from "./chunks.js";
import { RtoEstimator } from "./congestion.js";
import { sctpChecksum, writeChecksum } from "./crc32c.js";
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
} from "./options.js";
import type { InitInfo } from "./params.js";
import { PathMtu } from "./pmtud.js";
import { Receiver } from "./receiver.js";
import { StreamReset } from "./reconfig.js";
import { Sender } from "./sender.js";

export const ESTABLISHED_LIKE = new Set<SctpState>([
  "established",
  "shutdown-pending",
  "shutdown-received",
  "shutdown-sent",
]);

/**
 * Packets are assembled here (pollTransmit runs synchronously, one association at a time): a packet
 * filling most of it takes the buffer over, a smaller one is copied out to its own size, so a
 * SACK never pins a 16 KiB allocation and an idle association holds no packet buffer.
 */
let scratch: Buffer | undefined;

/** The earlier of two optional deadlines. */
function earlier(a: number | undefined, b: number | undefined): number | undefined {
  return b !== undefined && (a === undefined || b < a) ? b : a;
}

export abstract class AssociationBase {
  state: SctpState = "closed";
  readonly localPort: number;
  readonly remotePort: number;
  /** Path MTU discovery (RFC 8899); `mtu` is its current PLPMTU. */
  readonly pmtud: PathMtu;
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

  protected readonly random: Random;
  protected readonly opts: ResolvedOptions;
  protected readonly secret: Uint8Array;
  protected readonly localTag: number;
  protected peerTag = 0;
  /** The COOKIE ECHO waits in `control` for the next packet, which may carry DATA too. */
  protected echoQueued = false;
  protected readonly myInitialTsn: number;
  protected peerSupportsPr = false;
  protected peerSupportsReconfig = false;
  protected setupDone = false;
  readonly sender: Sender;
  protected readonly rx: Receiver;
  readonly reset: StreamReset;
  protected readonly rto: RtoEstimator;
  protected now = 0;

  protected readonly events: SctpEvent[] = [];
  protected eventHead = 0;
  protected readonly raw: Uint8Array[] = [];
  protected readonly control: Uint8Array[] = [];

  // Timers (absolute ms, undefined when stopped).
  protected t1: number | undefined = undefined;
  protected t1Count = 0;
  protected t1Chunk: Uint8Array | undefined = undefined;
  protected t2: number | undefined = undefined;
  protected t2Count = 0;
  protected readonly heartbeat: Heartbeat;
  protected errorCount = 0;

  /** The next bundled packet carries a real CRC32c even with zero checksum negotiated (COOKIE ACK). */
  protected crcNext = false;
  protected readonly sackScratch: SackInfo = { cumTsn: 0, arwnd: 0, gaps: [], dups: 0 };

  constructor(options: SctpOptions = {}) {
    this.random = options.random ?? cryptoRandom();
    this.opts = resolveOptions(options);
    if (this.opts.mtu < 256 || this.opts.mtu > 65535) throw new SctpError("invalid-option", "mtu out of range");
    this.localPort = this.opts.localPort;
    this.remotePort = this.opts.remotePort;
    if (this.opts.maxPacketSize > 65535) throw new SctpError("invalid-option", "maxPacketSize out of range");
    this.pmtud = new PathMtu(this.opts.mtu, this.opts.pmtud ? this.opts.maxPacketSize : 0, this.random);
    this.maxMessageSize = this.opts.maxMessageSize;
    this.maxSendMessageSize = this.opts.maxSendMessageSize;
    this.receiveWindow = this.opts.receiveWindow;
    this.outboundStreams = this.opts.outboundStreams;
    this.inboundStreams = this.opts.inboundStreams;
    this.secret = this.random.bytes(32);
    this.localTag = this.nonZeroU32();
    this.myInitialTsn = this.random.u32();
    this.heartbeat = new Heartbeat(this.opts.heartbeatInterval, this.random);
    this.rto = new RtoEstimator(this.opts.rtoInitial, this.opts.rtoMin, this.opts.rtoMax);
    this.sender = new Sender(this, this.myInitialTsn, this.receiveWindow, this.opts.mtu, this.rto, this.opts.maxBurst);
    this.stats = {
      packetsSent: 0,
      packetsReceived: 0,
      bytesSent: 0,
      bytesReceived: 0,
      dataChunksReceived: 0,
      duplicateTsns: 0,
      sacksSent: 0,
      initAcksSent: 0,
      dropped: {},
      sending: this.sender.stats,
      pmtu: this.pmtud.stats,
    };
    const maxHeld = Math.max(64 * 1024 * 1024, this.receiveWindow + 4 * this.maxMessageSize);
    this.rx = new Receiver(this, this, this.receiveWindow, this.maxMessageSize, maxHeld, this.opts.delayedAckTime);
    this.reset = new StreamReset(this.myInitialTsn);
  }

  /** The largest SCTP packet sent now: the base PLPMTU (the `mtu` option) or what probing proved. */
  get mtu(): number {
    return this.pmtud.mtu;
  }

  /**
   * Changes how far path MTU discovery may raise the packet size (bytes; 0 keeps the base), e.g.
   * when the path changes. Ignored with `pmtud: false`.
   */
  setMaxPacketSize(bytes: number): void {
    if (!this.opts.pmtud) return;
    this.pmtud.setMax(Math.min(bytes, 65535));
    this.sender.cc.mtu = this.pmtud.mtu;
  }

  protected nonZeroU32(): number {
    for (;;) {
      const v = this.random.u32();
      if (v !== 0) return v;
    }
  }

  /** Counts a dropped input by reason (stats.dropped). */
  drop(reason: string): void {
    this.stats.dropped[reason] = (this.stats.dropped[reason] ?? 0) + 1;
  }

  protected tick(now: number): void {
    if (now > this.now) this.now = now;
  }

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
    // Called after every drain: plain comparisons, no closure per call.
    let t = this.t1;
    if (this.state === "closed") return t;
    t = earlier(t, this.t2);
    t = earlier(t, this.rx.ackTimer);
    t = earlier(t, this.heartbeat.timer);
    t = earlier(t, this.pmtud.timer);
    t = earlier(t, this.reset.timer);
    if (this.setupDone) t = earlier(t, this.sender.t3);
    return t;
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

  protected setup(peerTag: number, peerInitialTsn: number, info: InitInfo): void {
    if (this.setupDone) return;
    this.setupDone = true;
    this.peerTag = peerTag;
    this.outboundStreams = Math.min(this.opts.outboundStreams, info.inboundStreams);
    this.inboundStreams = Math.min(this.opts.inboundStreams, info.outboundStreams);
    this.iData = this.opts.iData && info.iData;
    this.peerSupportsPr = info.forwardTsn;
    this.peerSupportsReconfig = info.reconfig;
    this.zeroChecksumInUse = this.opts.zeroChecksum && info.zeroChecksum;
    this.pmtud.peerSupportsPad = info.pad;
    this.rx.start(peerInitialTsn, this.iData);
    this.reset.peerReqSn = peerInitialTsn;
    const s = this.sender;
    s.iData = this.iData;
    s.prSupported = this.peerSupportsPr;
    s.peerRwnd = info.arwnd;
    s.cc.ssthresh = info.arwnd;
  }

  protected established(): void {
    this.t1 = undefined;
    this.t1Chunk = undefined;
    this.state = "established";
    this.heartbeat.start(this.now);
    this.pmtud.arm();
    this.events.push({ type: "established" });
  }

  /** Whether the peer announced RE-CONFIG (stream reset) support. */
  get peerSupportsStreamReset(): boolean {
    return this.peerSupportsReconfig;
  }

  protected shutdownChunk(): Uint8Array {
    const v = new Uint8Array(4);
    writeU32(v, 0, this.rx.tsns!.cum);
    return chunk(CT_SHUTDOWN, 0, v);
  }

  protected maybeShutdown(): void {
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

  protected closeWithAbort(reason: SctpCloseReason, why: string): void {
    if (this.state === "closed") return;
    const cause = reason === "protocol-error" ? protocolViolationCause(why) : userAbortCause(why);
    if (this.setupDone) this.raw.push(this.packet(this.peerTag, [chunk(CT_ABORT, 0, cause)], true));
    this.close(reason, why);
  }

  protected close(reason: SctpCloseReason, cause: string, causeCode?: number): void {
    const wasClosed = this.state === "closed" && this.setupDone;
    this.state = "closed";
    this.setupDone = true; // a closed association never comes back
    this.t1 = this.t2 = this.rx.ackTimer = this.heartbeat.timer = undefined;
    this.pmtud.stop();
    this.sender.t3 = undefined;
    this.reset.timer = undefined;
    this.control.length = 0;
    if (wasClosed) return;
    const e: SctpEvent = { type: "closed", reason };
    if (cause) e.cause = cause;
    if (causeCode !== undefined) e.causeCode = causeCode;
    this.events.push(e);
  }

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

  protected packet(vtag: number, chunks: Uint8Array[], crc: boolean): Uint8Array {
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
    // DATA may ride in the COOKIE ECHO's packet, and in no other until the COOKIE ACK (RFC 9260 5.1 D).
    const withEcho = this.echoQueued && this.state === "cookie-echoed";
    this.echoQueued = false;
    const wantData = (est || withEcho) && s.wantsToSend();
    if (!this.control.length && !this.rx.sackNeeded && !fwd && !wantData) {
      if (this.state === "shutdown-pending") this.maybeShutdown();
      return undefined;
    }
    const mtu = this.mtu;
    if (!scratch || scratch.length < mtu) scratch = Buffer.allocUnsafe(Math.max(mtu, 16384));
    const buf = scratch;
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
    if (withEcho) off = s.fill(buf, off, mtu, this.now);
    if (est) {
      off = s.fill(buf, off, mtu, this.now);
      // More data waiting than this packet took: worth finding out whether larger packets pass.
      if (this.pmtud.armed && s.totalBuffered > 0) this.pmtud.demand(this.now);
    }
    if (off === 12) return undefined;
    let p: Uint8Array = buf.subarray(0, off);
    if (!this.zeroChecksumInUse || !est || this.crcNext) writeChecksum(p, sctpChecksum(p));
    this.crcNext = false;
    if (off > buf.length >>> 1) scratch = undefined;
    else {
      const own = Buffer.allocUnsafe(off);
      own.set(p);
      p = own;
    }
    return this.finish(p);
  }

  protected finish(p: Uint8Array): Uint8Array {
    this.stats.packetsSent++;
    this.stats.bytesSent += p.length;
    return p;
  }
}
