// Path heartbeats (RFC 9260 8.3): a HEARTBEAT with our send time and a nonce every HB.interval
// while the association is idle, RTT samples from HEARTBEAT ACKs, and one error count per
// heartbeat left unanswered for an RTO (dead-peer detection of 8.1 is the association's).
import { readU32, writeU32 } from "../bytes/index.js";
import type { Random } from "../random.js";
import { CT_HEARTBEAT, chunk, tlv } from "./chunks.js";
import { P_HEARTBEAT_INFO } from "./params.js";

export class Heartbeat {
  /** Deadline of the next heartbeat or of the wait for its ACK; undefined when stopped. */
  timer: number | undefined = undefined;
  outstanding = false;
  private nonce = 0;

  constructor(
    private readonly interval: number,
    private readonly random: Random,
  ) {}

  start(now: number): void {
    this.timer = now + this.interval;
  }

  /** Anything acknowledged proves the peer alive: a pending heartbeat no longer counts as missed. */
  peerAlive(): void {
    this.outstanding = false;
  }

  /** Whether the previous heartbeat went unanswered (the caller counts an error). */
  takeMissed(): boolean {
    const missed = this.outstanding;
    this.outstanding = false;
    return missed;
  }

  /** The HEARTBEAT chunk to send now, or undefined (and a later retry) when not idle. */
  fire(now: number, rto: number, idle: boolean): Uint8Array | undefined {
    if (!idle) {
      this.timer = now + this.interval;
      return undefined;
    }
    const info = new Uint8Array(12);
    Buffer.from(info.buffer).writeDoubleBE(now, 0);
    this.nonce = this.random.u32();
    writeU32(info, 8, this.nonce);
    this.outstanding = true;
    this.timer = now + rto;
    return chunk(CT_HEARTBEAT, 0, tlv(P_HEARTBEAT_INFO, info));
  }

  /** A HEARTBEAT ACK: returns the RTT sample, or undefined if it is not the answer we wait for. */
  onAck(value: Uint8Array, now: number): number | undefined {
    if (value.length < 16 || !this.outstanding) return undefined;
    const info = value.subarray(4);
    if (readU32(info, 8) !== this.nonce) return undefined;
    const sent = Buffer.from(info.buffer, info.byteOffset, 8).readDoubleBE(0);
    this.outstanding = false;
    this.timer = now + this.interval;
    return now - sent;
  }
}
