// Outgoing flights and their retransmission (RFC 6347 4.2.4): a flight is a list of complete
// handshake messages (and ChangeCipherSpec) tagged with the epoch they are sent in. Each
// (re)transmission packs them into datagrams no larger than the MTU, fragmenting messages
// where needed (RFC 6347 4.2.3) and using fresh record sequence numbers. The timer starts at
// `initial` ms and doubles per retransmission up to 60 s (RFC 6347 4.2.4.1).

import { HANDSHAKE_HEADER_LENGTH, writeFragmentHeader } from "./messages.js";
import { CONTENT_CHANGE_CIPHER_SPEC, CONTENT_HANDSHAKE, RECORD_HEADER_LENGTH } from "./record.js";

export type FlightItem = { kind: "handshake"; epoch: number; message: Uint8Array } | { kind: "ccs"; epoch: number };

/** What the packer needs from the record layer: seal a record in an epoch, and its overhead. */
export interface RecordSealer {
  sealRecord(type: number, epoch: number, fragment: Uint8Array): Uint8Array;
  overhead(epoch: number): number;
}

/** Smallest handshake fragment worth starting in a partly filled datagram. */
const MIN_FRAGMENT = 64;
export const MAX_RETRANSMIT_TIMEOUT = 60_000;
const CCS_BODY = Uint8Array.of(1);

/** Packs a flight into datagrams of at most `mtu` bytes. */
export function packFlight(items: readonly FlightItem[], mtu: number, sealer: RecordSealer): Uint8Array[] {
  const datagrams: Uint8Array[] = [];
  let parts: Uint8Array[] = [];
  let used = 0;
  const flush = (): void => {
    if (parts.length === 0) return;
    const d = new Uint8Array(used);
    let o = 0;
    for (const p of parts) {
      d.set(p, o);
      o += p.length;
    }
    datagrams.push(d);
    parts = [];
    used = 0;
  };
  const push = (rec: Uint8Array): void => {
    parts.push(rec);
    used += rec.length;
  };
  for (const item of items) {
    const recordOverhead = RECORD_HEADER_LENGTH + sealer.overhead(item.epoch);
    if (item.kind === "ccs") {
      if (used + recordOverhead + 1 > mtu) flush();
      push(sealer.sealRecord(CONTENT_CHANGE_CIPHER_SPEC, item.epoch, CCS_BODY));
      continue;
    }
    const msg = item.message;
    const total = msg.length - HANDSHAKE_HEADER_LENGTH;
    const fixed = recordOverhead + HANDSHAKE_HEADER_LENGTH;
    let off = 0;
    do {
      const remaining = total - off;
      let space = mtu - used - fixed;
      if (space < Math.min(remaining, MIN_FRAGMENT) && used > 0) {
        flush();
        space = mtu - fixed;
      }
      if (space <= 0 && remaining > 0) throw new Error(`MTU ${mtu} too small for a handshake fragment`);
      const n = Math.max(0, Math.min(space, remaining));
      const frag = new Uint8Array(HANDSHAKE_HEADER_LENGTH + n);
      // Message header fields come from the unfragmented header of `msg`.
      writeFragmentHeader(frag, 0, msg[0]!, total, (msg[4]! << 8) | msg[5]!, off, n);
      frag.set(msg.subarray(HANDSHAKE_HEADER_LENGTH + off, HANDSHAKE_HEADER_LENGTH + off + n), HANDSHAKE_HEADER_LENGTH);
      push(sealer.sealRecord(CONTENT_HANDSHAKE, item.epoch, frag));
      off += n;
    } while (off < total);
  }
  flush();
  return datagrams;
}

/** The retransmission state of the flight we sent last. */
export class FlightTimer {
  readonly initial: number;
  readonly maxRetransmits: number;
  /** Current timeout value (ms). */
  timeout: number;
  /** Absolute deadline, or undefined when not waiting for a reply. */
  deadline: number | undefined;
  retransmits: number;

  constructor(initial: number, maxRetransmits: number) {
    this.initial = initial;
    this.maxRetransmits = maxRetransmits;
    this.timeout = initial;
    this.deadline = undefined;
    this.retransmits = 0;
  }

  /** A new flight was sent and expects a reply. */
  start(now: number): void {
    this.timeout = this.initial;
    this.retransmits = 0;
    this.deadline = now + this.timeout;
  }

  stop(): void {
    this.deadline = undefined;
  }

  /** The timer fired: returns false when retransmissions are exhausted. */
  backoff(now: number): boolean {
    if (this.retransmits >= this.maxRetransmits) return false;
    this.retransmits++;
    this.timeout = Math.min(this.timeout * 2, MAX_RETRANSMIT_TIMEOUT);
    this.deadline = now + this.timeout;
    return true;
  }
}
