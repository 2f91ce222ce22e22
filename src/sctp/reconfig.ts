// Stream reconfiguration (RFC 6525) as WebRTC uses it to close data channels (RFC 8831 6.7):
// sending Outgoing SSN Reset Requests once the streams' queued data has TSNs (5.1.2), answering
// the peer's requests with request sequence number checks (5.2.1), deferred reset processing
// while earlier TSNs are missing (5.2.2), and retransmission of an unanswered request.
// Incoming Reset, SSN/TSN Reset and Add Streams requests are answered "Denied".
import { readU16, readU32 } from "../bytes/index.js";
import {
  CT_RECONFIG,
  chunk,
  parseTlvs,
  RESULT_BAD_SEQUENCE,
  RESULT_DENIED,
  RESULT_IN_PROGRESS,
  RESULT_NOTHING_TO_DO,
  RESULT_PERFORMED,
  RP_OUTGOING_RESET,
  RP_RESPONSE,
  writeOutgoingResetRequest,
  writeReconfigResponse,
} from "./chunks.js";
import type { Sender } from "./sender.js";
import { tsnLe, tsnLt } from "./tsn.js";

/** What the reset logic needs from its association. */
export interface ResetHost {
  readonly sender: Sender;
  readonly peerSupportsStreamReset: boolean;
  readonly currentRto: number;
  readonly currentNow: number;
  readonly cumulativeTsn: number;
  queueControl(c: Uint8Array): void;
  emit(e: { type: "stream-reset" | "reset-done" | "reset-failed"; streamIds: number[] }): void;
  resetIncoming(sid: number): void;
  deliverChunk(
    idata: boolean,
    tsn: number,
    sid: number,
    flags: number,
    p: Uint8Array,
    o: number,
    payload: Uint8Array,
  ): void;
}

interface Held {
  idata: boolean;
  tsn: number;
  sid: number;
  flags: number;
  p: Uint8Array;
  o: number;
  payload: Uint8Array;
}

/** Streams named in one Outgoing SSN Reset Request (2 bytes each: 512 bytes fits any packet). */
const MAX_RESET_STREAMS = 256;
/** Chunks held during deferred reset processing, at most. */
const MAX_HELD = 65536;

export class StreamReset {
  myReqSn: number;
  peerReqSn = 0;
  /** Streams waiting for an outgoing reset request. */
  pending: number[] = [];
  timer: number | undefined = undefined;
  retransmit = false;
  private inFlight: { sn: number; ids: number[]; chunk: Uint8Array } | undefined = undefined;
  private deferred: { sn: number; ids: Set<number>; list: number[]; lastTsn: number } | undefined = undefined;
  private held: Held[] = [];
  private lastResponse: { sn: number; result: number } | undefined = undefined;

  constructor(initialTsn: number) {
    this.myReqSn = initialTsn;
  }

  /** Sends (or re-sends) a request when one is due. */
  maybeSend(a: ResetHost): void {
    if (this.inFlight) {
      if (this.retransmit) {
        this.retransmit = false;
        a.queueControl(this.inFlight.chunk);
        this.timer = a.currentNow + a.currentRto;
      }
      return;
    }
    if (!this.pending.length) return;
    // At most MAX_RESET_STREAMS per request, so that the chunk always fits in one packet.
    const ready = this.pending.filter((id) => a.sender.streamDrained(id)).slice(0, MAX_RESET_STREAMS);
    if (!ready.length) return;
    this.pending = this.pending.filter((id) => !ready.includes(id));
    if (!a.peerSupportsStreamReset) {
      for (const id of ready) a.sender.setResetting(id, false);
      a.emit({ type: "reset-failed", streamIds: ready });
      return;
    }
    const lastTsn = (a.sender.nextTsn - 1) >>> 0;
    const c = chunk(
      CT_RECONFIG,
      0,
      writeOutgoingResetRequest(this.myReqSn, (this.peerReqSn - 1) >>> 0, lastTsn, ready),
    );
    this.inFlight = { sn: this.myReqSn, ids: ready, chunk: c };
    a.queueControl(c);
    this.timer = a.currentNow + a.currentRto;
  }

  onChunk(a: ResetHost, value: Uint8Array): void {
    const params = parseTlvs(value, 0, value.length);
    if (!params) return;
    for (const prm of params) {
      const v = prm.value;
      if (prm.type === RP_RESPONSE) {
        if (v.length >= 8) this.onResponse(a, readU32(v, 0), readU32(v, 4));
        continue;
      }
      if (v.length < 4) continue;
      const sn = readU32(v, 0);
      if (sn === (this.peerReqSn - 1) >>> 0 && this.lastResponse && this.lastResponse.sn === sn) {
        // A retransmitted request: repeat the answer.
        this.respond(a, sn, this.deferred && this.deferred.sn === sn ? RESULT_IN_PROGRESS : this.lastResponse.result);
        continue;
      }
      if (sn !== this.peerReqSn) {
        this.respond(a, sn, RESULT_BAD_SEQUENCE);
        continue;
      }
      this.peerReqSn = (this.peerReqSn + 1) >>> 0;
      if (prm.type !== RP_OUTGOING_RESET || v.length < 12) {
        this.answer(a, sn, RESULT_DENIED);
        continue;
      }
      const lastTsn = readU32(v, 8);
      const ids: number[] = [];
      for (let o = 12; o + 2 <= v.length; o += 2) ids.push(readU16(v, o));
      if (this.deferred) {
        this.answer(a, sn, RESULT_DENIED);
        continue;
      }
      if (tsnLe(lastTsn, a.cumulativeTsn)) {
        this.perform(a, ids);
        this.answer(a, sn, RESULT_PERFORMED);
      } else {
        this.deferred = { sn, ids: new Set(ids), list: ids, lastTsn };
        this.answer(a, sn, RESULT_IN_PROGRESS);
      }
    }
  }

  private answer(a: ResetHost, sn: number, result: number): void {
    this.lastResponse = { sn, result };
    this.respond(a, sn, result);
  }

  private respond(a: ResetHost, sn: number, result: number): void {
    a.queueControl(chunk(CT_RECONFIG, 0, writeReconfigResponse(sn, result)));
  }

  private onResponse(a: ResetHost, sn: number, result: number): void {
    const f = this.inFlight;
    if (!f || sn !== f.sn) return;
    if (result === RESULT_IN_PROGRESS) {
      this.timer = a.currentNow + a.currentRto;
      return;
    }
    this.inFlight = undefined;
    this.timer = undefined;
    this.myReqSn = (this.myReqSn + 1) >>> 0;
    if (result === RESULT_PERFORMED || result === RESULT_NOTHING_TO_DO) {
      for (const id of f.ids) {
        a.sender.resetSequence(id);
        a.sender.setResetting(id, false);
      }
      a.emit({ type: "reset-done", streamIds: f.ids });
    } else {
      for (const id of f.ids) a.sender.setResetting(id, false);
      a.emit({ type: "reset-failed", streamIds: f.ids });
    }
  }

  private perform(a: ResetHost, ids: number[]): void {
    for (const id of ids) a.resetIncoming(id);
    a.emit({ type: "stream-reset", streamIds: ids });
  }

  /** Whether DATA on `sid` with this TSN must wait for a deferred reset (RFC 6525 5.2.2). */
  holds(sid: number, tsn: number): boolean {
    const d = this.deferred;
    if (!d) return false;
    return d.ids.has(sid) && tsnLt(d.lastTsn, tsn);
  }

  hold(idata: boolean, tsn: number, sid: number, flags: number, p: Uint8Array, o: number, payload: Uint8Array): void {
    if (this.held.length < MAX_HELD) this.held.push({ idata, tsn, sid, flags, p, o, payload });
  }

  /** Completes a deferred reset once every TSN up to the peer's last assigned one is in. */
  afterCumAdvance(a: ResetHost, cum: number): void {
    const d = this.deferred;
    if (!d || !tsnLe(d.lastTsn, cum)) return;
    this.deferred = undefined;
    this.perform(a, d.list);
    this.lastResponse = { sn: d.sn, result: RESULT_PERFORMED };
    this.respond(a, d.sn, RESULT_PERFORMED);
    const held = this.held;
    this.held = [];
    held.sort((x, y) => (tsnLt(x.tsn, y.tsn) ? -1 : 1));
    for (const h of held) a.deliverChunk(h.idata, h.tsn, h.sid, h.flags, h.p, h.o, h.payload);
  }
}
