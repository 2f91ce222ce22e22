// The sending half of a DtlsEndpoint's record layer (RFC 6347 4.1): write epochs and sequence
// numbers, the write cipher, and the queue of outgoing datagrams. Handshake flights are packed
// into datagrams here (flight.ts), and the first application record may join the datagram of the
// flight still queued (RFC 6347 4.1.1: several records per datagram).
import { type FlightItem, packFlight, type RecordSealer } from "./flight.js";
import type { DtlsStats } from "./options.js";
import { CONTENT_APPLICATION_DATA, plainRecord, type RecordCipher } from "./record.js";

export class RecordWriter implements RecordSealer {
  /** Epoch 1's cipher, once the keys are known. */
  cipher: RecordCipher | undefined;
  /** The epoch alerts go out in: 1 once our ChangeCipherSpec has been sent. */
  epoch: number;
  private readonly stats: DtlsStats;
  /** The next sequence number per epoch (0 and 1). */
  private readonly seq: number[];
  private tx: Uint8Array[];
  private head: number;
  /** The last datagram of the flight just queued, while it waits in `tx` (see sealData()). */
  private flightTail: Uint8Array | undefined;

  constructor(stats: DtlsStats) {
    this.cipher = undefined;
    this.epoch = 0;
    this.stats = stats;
    this.seq = [0, 0];
    this.tx = [];
    this.head = 0;
    this.flightTail = undefined;
  }

  /** Datagrams queued and not yet polled. */
  get queued(): number {
    return this.tx.length - this.head;
  }

  /** Our first records must not look like replays of a HelloVerifyRequest (RFC 6347 4.2.1). */
  skipEpoch0To(recordSeq: number): void {
    this.seq[0] = Math.max(this.seq[0]!, recordSeq);
  }

  sealRecord(type: number, epoch: number, fragment: Uint8Array): Uint8Array {
    const seq = this.seq[epoch]!++;
    this.stats.recordsSent++;
    if (epoch === 0) return plainRecord(type, seq, fragment);
    return this.cipher!.seal(type, epoch, seq, fragment);
  }

  overhead(epoch: number): number {
    return epoch === 0 ? 0 : this.cipher!.overhead;
  }

  /**
   * Seals one application data record and queues it. The first one (the SCTP INIT) joins our
   * last handshake flight's datagram while that is still queued and there is room within `mtu`:
   * one datagram less on the set-up's critical path. A flight retransmission repeats the
   * handshake records only.
   */
  sealData(data: Uint8Array, mtu: number): void {
    const record = this.cipher!.seal(CONTENT_APPLICATION_DATA, 1, this.seq[1]!++, data);
    this.stats.recordsSent++;
    const tail = this.flightTail;
    const tx = this.tx;
    if (tail && tx.length > this.head && tx[tx.length - 1] === tail) {
      if (tail.length + record.length <= mtu) {
        const both = new Uint8Array(tail.length + record.length);
        both.set(tail, 0);
        both.set(record, tail.length);
        tx[tx.length - 1] = both;
        this.flightTail = both;
        return;
      }
    }
    this.flightTail = undefined;
    tx.push(record);
  }

  /** Packs a flight (or its retransmission) into datagrams within `mtu` and queues them. */
  queueFlight(items: FlightItem[], mtu: number): void {
    for (const d of packFlight(items, mtu, this)) this.tx.push(d);
    this.flightTail = this.tx[this.tx.length - 1];
    for (const it of items) if (it.kind === "ccs") this.epoch = 1;
  }

  /** Queues a datagram made elsewhere (a HelloVerifyRequest, an alert). */
  push(d: Uint8Array): void {
    this.tx.push(d);
  }

  poll(): Uint8Array | undefined {
    if (this.head >= this.tx.length) return undefined;
    const d = this.tx[this.head]!;
    this.tx[this.head++] = undefined as unknown as Uint8Array;
    if (d === this.flightTail) this.flightTail = undefined;
    if (this.head === this.tx.length) {
      this.tx.length = 0;
      this.head = 0;
    }
    this.stats.datagramsSent++;
    this.stats.bytesSent += d.length;
    return d;
  }
}
