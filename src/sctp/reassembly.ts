// Receive-side reassembly and delivery order: RFC 9260 6.5 (ordered delivery by SSN per stream,
// unordered delivery at once), 6.9 (fragments B..E on consecutive TSNs), RFC 8260 2.1 (I-DATA:
// fragments grouped by stream, U flag and MID, ordered by FSN) and the receiver side of
// RFC 3758 3.6 / RFC 8260 2.3 (FORWARD TSN and I-FORWARD-TSN skip abandoned messages). Incoming
// stream reset (RFC 6525 5.2.2) restarts a stream's sequence numbers.
// A single-fragment message is delivered as a view of the packet; a fragmented one is copied once.
import { FLAG_B, FLAG_E, FLAG_U, type ForwardEntry } from "./chunks.js";
import { tsnLe, tsnLt } from "./tsn.js";

/** Where complete messages go (the association, which turns them into events). */
export interface MessageSink {
  onMessage(streamId: number, ppid: number, data: Uint8Array, unordered: boolean): void;
}

class Frag {
  constructor(
    readonly tsn: number,
    readonly sid: number,
    readonly seq: number,
    readonly ppid: number,
    readonly fsn: number,
    readonly flags: number,
    readonly data: Uint8Array,
  ) {}
}

class Pending {
  constructor(
    readonly ppid: number,
    readonly data: Uint8Array,
  ) {}
}

/** An I-DATA message being reassembled. */
class Partial {
  frags: Frag[] = [];
  bytes = 0;
  lastFsn = -1;
  ppid = 0;
  hasB = false;
}

class InStream {
  /** Next SSN (DATA) or ordered MID (I-DATA) to deliver. */
  next = 0;
  pending: Map<number, Pending> | undefined = undefined;
  ordered: Map<number, Partial> | undefined = undefined;
  unordered: Map<number, Partial> | undefined = undefined;
}

/** 16-bit serial comparison a < b (SSNs). */
function ssnLt(a: number, b: number): boolean {
  return ((((a - b) << 16) >> 16) | 0) < 0;
}

export const REASM_OK = 0;
/** The peer broke a rule (inconsistent fragments, a message over the size limit). */
export const REASM_VIOLATION = 1;

export class Reassembly {
  iData = false;
  /** Bytes held in fragments of incomplete messages and in messages waiting for an earlier one. */
  heldBytes = 0;
  private readonly streams = new Map<number, InStream>();
  /** DATA fragments by TSN. */
  private readonly frags = new Map<number, Frag>();

  constructor(
    private readonly sink: MessageSink,
    readonly maxMessageSize: number,
  ) {}

  private stream(sid: number): InStream {
    let s = this.streams.get(sid);
    if (!s) {
      s = new InStream();
      this.streams.set(sid, s);
    }
    return s;
  }

  /** A new (non-duplicate) DATA chunk. */
  data(tsn: number, sid: number, ssn: number, ppid: number, flags: number, payload: Uint8Array): number {
    const unordered = (flags & FLAG_U) !== 0;
    if ((flags & (FLAG_B | FLAG_E)) === (FLAG_B | FLAG_E)) {
      if (payload.length > this.maxMessageSize) return REASM_VIOLATION;
      if (unordered) this.sink.onMessage(sid, ppid, payload, true);
      else this.ordered(sid, this.stream(sid), ssn, ppid, payload, 0xffff);
      return REASM_OK;
    }
    const frags = this.frags;
    const f = new Frag(tsn, sid, ssn, ppid, 0, flags, payload);
    frags.set(tsn, f);
    this.heldBytes += payload.length;
    // A complete run B..E through this TSN is only possible if both neighbours are there (or it is an end).
    if ((flags & FLAG_E) === 0 && !frags.has((tsn + 1) >>> 0)) return REASM_OK;
    if ((flags & FLAG_B) === 0 && !frags.has((tsn - 1) >>> 0)) return REASM_OK;
    let first = tsn;
    let g: Frag = f;
    while ((g.flags & FLAG_B) === 0) {
      const p = frags.get((first - 1) >>> 0);
      if (!p) return REASM_OK;
      g = p;
      first = (first - 1) >>> 0;
    }
    const head = g;
    let last = tsn;
    g = f;
    while ((g.flags & FLAG_E) === 0) {
      const n = frags.get((last + 1) >>> 0);
      if (!n) return REASM_OK;
      g = n;
      last = (last + 1) >>> 0;
    }
    let total = 0;
    let consistent = true;
    for (let t = first; ; t = (t + 1) >>> 0) {
      const x = frags.get(t)!;
      total += x.data.length;
      if (x.sid !== sid || (x.flags & FLAG_U) !== (flags & FLAG_U) || (!unordered && x.seq !== ssn)) consistent = false;
      if (t === last) break;
    }
    if (!consistent || total > this.maxMessageSize) return REASM_VIOLATION;
    const out = Buffer.allocUnsafe(total);
    let o = 0;
    for (let t = first; ; t = (t + 1) >>> 0) {
      const x = frags.get(t)!;
      out.set(x.data, o);
      o += x.data.length;
      frags.delete(t);
      if (t === last) break;
    }
    this.heldBytes -= total;
    if (unordered) this.sink.onMessage(sid, head.ppid, out, true);
    else this.ordered(sid, this.stream(sid), ssn, head.ppid, out, 0xffff);
    return REASM_OK;
  }

  /** A new (non-duplicate) I-DATA chunk; `ppidOrFsn` is the PPID when B is set, else the FSN. */
  idata(tsn: number, sid: number, mid: number, ppidOrFsn: number, flags: number, payload: Uint8Array): number {
    const unordered = (flags & FLAG_U) !== 0;
    const s = this.stream(sid);
    if ((flags & (FLAG_B | FLAG_E)) === (FLAG_B | FLAG_E)) {
      if (payload.length > this.maxMessageSize) return REASM_VIOLATION;
      if (unordered) this.sink.onMessage(sid, ppidOrFsn, payload, true);
      else this.ordered(sid, s, mid, ppidOrFsn, payload, 0xffffffff);
      return REASM_OK;
    }
    if (!unordered && tsnLt(mid, s.next)) return REASM_OK; // a message already skipped
    let map = unordered ? s.unordered : s.ordered;
    if (!map) {
      map = new Map();
      if (unordered) s.unordered = map;
      else s.ordered = map;
    }
    let p = map.get(mid);
    if (!p) {
      p = new Partial();
      map.set(mid, p);
    }
    const isB = (flags & FLAG_B) !== 0;
    const fsn = isB ? 0 : ppidOrFsn;
    if (isB) {
      if (p.hasB) return REASM_VIOLATION;
      p.hasB = true;
      p.ppid = ppidOrFsn;
    }
    if (flags & FLAG_E) {
      if (p.lastFsn >= 0) return REASM_VIOLATION;
      p.lastFsn = fsn;
    }
    p.frags.push(new Frag(tsn, sid, mid, 0, fsn, flags, payload));
    p.bytes += payload.length;
    this.heldBytes += payload.length;
    if (p.bytes > this.maxMessageSize) return REASM_VIOLATION;
    if (!p.hasB || p.lastFsn < 0 || p.frags.length !== p.lastFsn + 1) return REASM_OK;
    const frags = p.frags;
    let sorted = true;
    for (let i = 0; i < frags.length; i++) {
      if (frags[i]!.fsn !== i) {
        sorted = false;
        break;
      }
    }
    if (!sorted) {
      frags.sort((a, b) => a.fsn - b.fsn);
      for (let i = 0; i < frags.length; i++) if (frags[i]!.fsn !== i) return REASM_VIOLATION;
    }
    const out = Buffer.allocUnsafe(p.bytes);
    let o = 0;
    for (const x of frags) {
      out.set(x.data, o);
      o += x.data.length;
    }
    map.delete(mid);
    this.heldBytes -= p.bytes;
    if (unordered) this.sink.onMessage(sid, p.ppid, out, true);
    else this.ordered(sid, s, mid, p.ppid, out, 0xffffffff);
    return REASM_OK;
  }

  private ordered(sid: number, s: InStream, seq: number, ppid: number, data: Uint8Array, mask: number): void {
    if (seq === s.next) {
      this.sink.onMessage(sid, ppid, data, false);
      s.next = mask === 0xffff ? (seq + 1) & 0xffff : (seq + 1) >>> 0;
      if (s.pending?.size) this.flush(sid, s, mask);
      return;
    }
    const ahead = mask === 0xffff ? ssnLt(s.next, seq) : tsnLt(s.next, seq);
    if (!ahead) return; // older than what was delivered or skipped
    if (!s.pending) s.pending = new Map();
    if (s.pending.has(seq)) return;
    s.pending.set(seq, new Pending(ppid, data));
    this.heldBytes += data.length;
  }

  private flush(sid: number, s: InStream, mask: number): void {
    const pending = s.pending!;
    for (;;) {
      const m = pending.get(s.next);
      if (!m) return;
      pending.delete(s.next);
      this.heldBytes -= m.data.length;
      this.sink.onMessage(sid, m.ppid, m.data, false);
      s.next = mask === 0xffff ? (s.next + 1) & 0xffff : (s.next + 1) >>> 0;
    }
  }

  /** FORWARD TSN (RFC 3758 3.6): drop fragments of abandoned messages, skip SSNs, deliver what is now in order. */
  forwardData(newCum: number, entries: ForwardEntry[]): void {
    const below: number[] = [];
    for (const t of this.frags.keys()) if (tsnLe(t, newCum)) below.push(t);
    if (below.length) {
      below.sort((a, b) => (tsnLt(a, b) ? -1 : 1));
      // Walk runs of consecutive TSNs. A fragment whose message lacks a TSN at or below newCum
      // belongs to an abandoned message; a message still open past newCum is kept.
      let i = 0;
      while (i < below.length) {
        let j = i;
        while (j + 1 < below.length && below[j + 1] === (below[j]! + 1) >>> 0) j++;
        const runEndsAtCum = below[j] === newCum;
        let k = i;
        while (k <= j) {
          const f = this.frags.get(below[k]!)!;
          if ((f.flags & FLAG_B) === 0) {
            this.dropFrag(below[k]!);
            k++;
            continue;
          }
          // A message starting at k: find its end in this run.
          let e = k;
          while (e <= j && (this.frags.get(below[e]!)!.flags & FLAG_E) === 0) e++;
          if (e > j && runEndsAtCum) break; // continues beyond newCum: keep
          const stop = Math.min(e, j);
          for (let x = k; x <= stop; x++) this.dropFrag(below[x]!);
          k = stop + 1;
        }
        i = j + 1;
      }
    }
    for (const e of entries) {
      if (e.unordered) continue;
      const s = this.stream(e.sid);
      if (ssnLt(e.seq, s.next)) continue;
      this.skipTo(e.sid, s, e.seq, 0xffff);
    }
  }

  /** I-FORWARD-TSN (RFC 8260 2.3): drop partial messages up to each (stream, U, MID), skip ordered MIDs. */
  forwardIData(entries: ForwardEntry[]): void {
    for (const e of entries) {
      const s = this.stream(e.sid);
      const map = e.unordered ? s.unordered : s.ordered;
      if (map) {
        for (const [mid, p] of map) {
          if (tsnLe(mid, e.seq)) {
            this.heldBytes -= p.bytes;
            map.delete(mid);
          }
        }
      }
      if (!e.unordered && !tsnLt(e.seq, s.next)) this.skipTo(e.sid, s, e.seq, 0xffffffff);
    }
  }

  /** Delivers waiting messages up to `seq` in order, then moves `next` past it and goes on. */
  private skipTo(sid: number, s: InStream, seq: number, mask: number): void {
    const pending = s.pending;
    if (pending?.size) {
      const keys = [...pending.keys()].filter((k) => (mask === 0xffff ? !ssnLt(seq, k) : tsnLe(k, seq)));
      keys.sort((a, b) => (mask === 0xffff ? (ssnLt(a, b) ? -1 : 1) : tsnLt(a, b) ? -1 : 1));
      for (const k of keys) {
        const m = pending.get(k)!;
        pending.delete(k);
        this.heldBytes -= m.data.length;
        this.sink.onMessage(sid, m.ppid, m.data, false);
      }
    }
    s.next = mask === 0xffff ? (seq + 1) & 0xffff : (seq + 1) >>> 0;
    if (pending?.size) this.flush(sid, s, mask);
  }

  private dropFrag(tsn: number): void {
    const f = this.frags.get(tsn);
    if (!f) return;
    this.frags.delete(tsn);
    this.heldBytes -= f.data.length;
  }

  /** Incoming stream reset (RFC 6525 5.2.2): sequence numbers start again at 0. */
  resetStream(sid: number): void {
    const s = this.streams.get(sid);
    if (!s) return;
    for (const m of s.pending?.values() ?? []) this.heldBytes -= m.data.length;
    for (const p of s.ordered?.values() ?? []) this.heldBytes -= p.bytes;
    for (const p of s.unordered?.values() ?? []) this.heldBytes -= p.bytes;
    this.streams.delete(sid);
  }
}
