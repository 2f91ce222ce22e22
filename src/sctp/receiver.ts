// The receiving half of an association: DATA / I-DATA acceptance against the receive window and
// the reassembly bound (RFC 9260 6.2), TSN bookkeeping, SACK generation with gap ack blocks and
// duplicate TSNs (6.2, 3.3.4) and the delayed-ack rule (every second packet, a timer, at once on a
// gap, a duplicate or the I bit of RFC 7053), and FORWARD TSN / I-FORWARD-TSN on receipt
// (RFC 3758 3.6, RFC 8260 2.3). Complete messages go from reassembly.ts to the association.
import { readU16, readU32, writeU16, writeU32 } from "../bytes/index.js";
import { CT_ERROR, CT_SACK, chunk, DATA_HEADER, FLAG_I, IDATA_HEADER, parseForwardTsn, tlv } from "./chunks.js";
import { type MessageSink, REASM_OK, Reassembly } from "./reassembly.js";
import type { ResetHost, StreamReset } from "./reconfig.js";
import { ADD_DUPLICATE, ADD_NEW, ReceivedTsns, tsnDiff } from "./tsn.js";

/** What the receiver needs from its association. */
export interface ReceiverHost extends ResetHost {
  readonly stats: { dataChunksReceived: number; duplicateTsns: number; sacksSent: number };
  readonly inboundStreams: number;
  readonly iData: boolean;
  readonly reset: StreamReset;
  drop(reason: string): void;
  protocolViolation(why: string): void;
}

export class Receiver {
  tsns: ReceivedTsns | undefined = undefined;
  readonly reasm: Reassembly;
  sackNeeded = false;
  /** Delayed SACK deadline. */
  ackTimer: number | undefined = undefined;
  private dataPacketsSinceSack = 0;

  constructor(
    private readonly host: ReceiverHost,
    sink: MessageSink,
    readonly receiveWindow: number,
    maxMessageSize: number,
    private readonly maxHeld: number,
    private readonly delayedAckTime: number,
  ) {
    this.reasm = new Reassembly(sink, maxMessageSize);
  }

  start(peerInitialTsn: number, iData: boolean): void {
    this.tsns = new ReceivedTsns(peerInitialTsn);
    this.reasm.iData = iData;
  }

  onData(idata: boolean, flags: number, p: Uint8Array, o: number, len: number): void {
    const hdr = idata ? IDATA_HEADER : DATA_HEADER;
    if (idata !== this.host.iData) {
      this.host.drop("wrong-data-type");
      return;
    }
    if (len <= hdr) {
      this.host.drop("empty-data");
      return;
    }
    const tsns = this.tsns!;
    const tsn = readU32(p, o + 4);
    const sid = readU16(p, o + 8);
    const n = len - hdr;
    this.host.stats.dataChunksReceived++;
    const d = tsnDiff(tsn, tsns.cum);
    if (d > 1 && !tsns.has(tsn)) {
      if (tsns.aheadBytes + n > this.receiveWindow) {
        this.sackNeeded = true;
        this.host.drop("window-full");
        return;
      }
    }
    if (d > 0 && this.reasm.heldBytes + n > this.maxHeld) {
      this.sackNeeded = true;
      this.host.drop("reassembly-full");
      return;
    }
    if (flags & FLAG_I) this.sackNeeded = true; // RFC 7053: the sender asks for an immediate SACK
    const r = tsns.add(tsn, d > 1 ? n : 0);
    if (r === ADD_DUPLICATE) {
      this.host.stats.duplicateTsns++;
      this.sackNeeded = true;
      return;
    }
    if (r !== ADD_NEW) {
      this.host.drop("tsn-too-far");
      return;
    }
    if (sid >= this.host.inboundStreams) {
      this.host.queueControl(chunk(CT_ERROR, 0, tlv(1, Uint8Array.of(sid >> 8, sid, 0, 0))));
      this.host.drop("invalid-stream");
      return;
    }
    const payload = p.subarray(o + hdr, o + len);
    if (this.host.reset.holds(sid, tsn)) {
      this.host.reset.hold(idata, tsn, sid, flags, p, o, payload);
      return;
    }
    this.deliverChunk(idata, tsn, sid, flags, p, o, payload);
  }

  /** Hands a new DATA / I-DATA chunk to reassembly (also used to replay chunks held during a reset). */
  deliverChunk(
    idata: boolean,
    tsn: number,
    sid: number,
    flags: number,
    p: Uint8Array,
    o: number,
    payload: Uint8Array,
  ): void {
    const res = idata
      ? this.reasm.idata(tsn, sid, readU32(p, o + 12), readU32(p, o + 16), flags, payload)
      : this.reasm.data(tsn, sid, readU16(p, o + 10), readU32(p, o + 12), flags, payload);
    if (res !== REASM_OK) this.host.protocolViolation("inconsistent or oversized message fragments");
  }

  afterData(hadGaps: boolean): void {
    const tsns = this.tsns!;
    this.dataPacketsSinceSack++;
    if (tsns.hasGaps() || hadGaps || tsns.dups.length > 0 || this.dataPacketsSinceSack >= 2) this.sackNeeded = true;
    else if (this.ackTimer === undefined) this.ackTimer = this.host.currentNow + this.delayedAckTime;
    this.host.reset.afterCumAdvance(this.host, tsns.cum);
  }

  onForwardTsn(idata: boolean, value: Uint8Array): void {
    const f = parseForwardTsn(value, idata);
    if (!f) {
      this.host.drop("malformed-forward-tsn");
      return;
    }
    const tsns = this.tsns!;
    this.sackNeeded = true;
    if (!tsns.forward(f.newCum)) return;
    if (idata) this.reasm.forwardIData(f.entries);
    else this.reasm.forwardData(f.newCum, f.entries);
    this.host.reset.afterCumAdvance(this.host, tsns.cum);
  }

  writeSack(buf: Uint8Array, off: number, limit: number): number {
    const t = this.tsns!;
    const room = limit - off - 16;
    if (room < 0) return off;
    let ngaps = t.ranges.length >> 1;
    let ndups = t.dups.length;
    if (ngaps * 4 > room) ngaps = room >> 2;
    if (ngaps * 4 + ndups * 4 > room) ndups = (room - ngaps * 4) >> 2;
    const len = 16 + ngaps * 4 + ndups * 4;
    buf[off] = CT_SACK;
    buf[off + 1] = 0;
    writeU16(buf, off + 2, len);
    writeU32(buf, off + 4, t.cum);
    writeU32(buf, off + 8, Math.max(0, this.receiveWindow - t.aheadBytes));
    writeU16(buf, off + 12, ngaps);
    writeU16(buf, off + 14, ndups);
    let o = off + 16;
    for (let i = 0; i < ngaps; i++) {
      writeU16(buf, o, (t.ranges[2 * i]! - t.cum) >>> 0);
      writeU16(buf, o + 2, (t.ranges[2 * i + 1]! - t.cum) >>> 0);
      o += 4;
    }
    for (let i = 0; i < ndups; i++) {
      writeU32(buf, o, t.dups[i]!);
      o += 4;
    }
    t.dups.length = 0;
    this.sackNeeded = false;
    this.ackTimer = undefined;
    this.dataPacketsSinceSack = 0;
    this.host.stats.sacksSent++;
    return o;
  }
}
