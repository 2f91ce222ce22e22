// Packetization Layer Path MTU Discovery for SCTP (RFC 8899 section 6.2, as RFC 8261 section 5
// asks of SCTP over DTLS). The association starts at the base PLPMTU (its `mtu` option) and, once
// established, probes larger sizes with a HEARTBEAT chunk padded by a PAD chunk (RFC 8899 6.2.1,
// RFC 4820) when the peer lists PAD in its Supported Extensions (RFC 5061 4.2.7). Some stacks
// reject a packet with a chunk type they do not know (contrary to RFC 9260 3.2), so for a peer
// that does not list PAD the padding goes inside the Heartbeat Information instead: the peer
// echoes it, the HEARTBEAT ACK is as large as the probe, and a probe then only succeeds when
// both directions carry that size (never larger than the forward path takes).
// A probe left unanswered MAX_PROBES times ends the search (SEARCH_COMPLETE); a new search starts
// after PMTU_RAISE_TIMER. Black-hole detection (RFC 8899 4.3, 5.2): a T3-rtx expiry while above
// the base drops straight back to the base, then the search restarts from there.
//
// DATA chunks are always cut to fit the base PLPMTU, and larger packets only bundle more of them:
// after a fall back to the base every outstanding chunk still fits a packet, so nothing is lost.
import { readU32, writeU16, writeU32 } from "../bytes/index.js";
import type { Random } from "../random.js";
import { CT_HEARTBEAT, CT_PAD } from "./chunks.js";
import { P_HEARTBEAT_INFO } from "./params.js";

/** Probed packet sizes (SCTP common header included), smallest first, capped by `max`. */
const PROBE_SIZES = [1400, 4096, 8192, 16384];
/** RFC 8899 5.1.2 MAX_PROBES. */
const MAX_PROBES = 3;
/** RFC 8899 5.1.1 PMTU_RAISE_TIMER: a completed search is retried after this long (ms). */
const RAISE_INTERVAL = 600_000;
/** Marks our Heartbeat Information as a probe ("PMTU"); ordinary heartbeats carry a time there. */
const PROBE_MAGIC = 0x504d5455;
/** Heartbeat Information of a probe: magic, size, nonce. */
const PROBE_INFO = 12;
/** HEARTBEAT chunk with one Heartbeat Info parameter: chunk header + parameter header + info. */
const PROBE_HEARTBEAT = 4 + 4 + PROBE_INFO;

export interface PathMtuStats {
  /** The current PLPMTU. */
  mtu: number;
  probesSent: number;
  probesAcked: number;
  blackHoles: number;
}

export class PathMtu {
  /** The current PLPMTU: the largest SCTP packet the association sends. */
  mtu: number;
  /** When to send the next probe or give up on the outstanding one; undefined when idle. */
  timer: number | undefined = undefined;
  readonly stats: PathMtuStats;
  private sizes: number[];
  /** Index in `sizes` of the size being probed. */
  private next = 0;
  private probeCount = 0;
  private nonce = 0;
  private outstanding = false;
  /** Established and not yet searched: the first backlog of data starts the search. */
  armed = false;
  /** The peer listed PAD in its Supported Extensions (set at association set-up). */
  peerSupportsPad = false;

  constructor(
    readonly base: number,
    max: number,
    private readonly random: Random,
  ) {
    this.mtu = base;
    this.stats = { mtu: base, probesSent: 0, probesAcked: 0, blackHoles: 0 };
    this.sizes = probeSizes(base, max);
  }

  /**
   * A new ceiling for the search (0: never above the base). Above it, the PLPMTU goes back to the
   * base and a search under way ends; an association not yet searching searches up to it.
   */
  setMax(max: number): void {
    this.sizes = probeSizes(this.base, max);
    const top = this.sizes.length ? this.sizes[this.sizes.length - 1]! : this.base;
    if (this.mtu > top) this.mtu = this.stats.mtu = this.base;
    if (this.timer !== undefined) {
      this.outstanding = false;
      this.probeCount = 0;
      this.next = this.firstAbove(this.mtu);
      if (this.next >= this.sizes.length) this.timer = undefined;
    }
    if (!this.enabled) this.armed = false;
  }

  /** Whether probing can ever raise the PLPMTU. */
  get enabled(): boolean {
    return this.sizes.length > 0;
  }

  /**
   * The association is established: the search starts once data is waiting beyond what a packet
   * took (`demand`), so idle or lightly used associations never send probes.
   */
  arm(): void {
    this.armed = this.enabled;
  }

  /** Data is backing up: start the search now if it is armed. */
  demand(now: number): void {
    if (!this.armed) return;
    this.armed = false;
    this.start(now);
  }

  /** Starts a search from the current PLPMTU right away. */
  start(now: number): void {
    this.armed = false;
    if (!this.enabled) return;
    this.next = this.firstAbove(this.mtu);
    this.probeCount = 0;
    this.outstanding = false;
    this.timer = this.next < this.sizes.length ? now : undefined;
  }

  stop(): void {
    this.armed = false;
    this.timer = undefined;
    this.outstanding = false;
  }

  /** The timer fired: the chunks of the next probe packet (HEARTBEAT, PAD), or undefined. */
  onTimer(now: number, rto: number): Uint8Array | undefined {
    if (this.outstanding) {
      this.outstanding = false;
      if (this.probeCount >= MAX_PROBES) {
        // This size does not get through: the search is complete until the raise timer.
        this.timer = now + RAISE_INTERVAL;
        this.next = this.sizes.length;
        return undefined;
      }
    } else if (this.next >= this.sizes.length) {
      // The raise timer: search again from the current PLPMTU.
      this.start(now);
      if (this.timer === undefined) return undefined;
    }
    const size = this.sizes[this.next]!;
    this.probeCount++;
    this.outstanding = true;
    this.nonce = this.random.u32();
    this.timer = now + rto;
    this.stats.probesSent++;
    return probeChunks(size - 12, this.nonce, this.peerSupportsPad);
  }

  /**
   * A HEARTBEAT ACK's Heartbeat Info parameter (header included). Returns false when it is not a
   * probe of ours (an ordinary heartbeat), true when it was (whether or not it raised the PLPMTU).
   */
  onAck(param: Uint8Array, now: number): boolean {
    if (param.length < 4 + PROBE_INFO || readU32(param, 4) !== PROBE_MAGIC) return false;
    const size = readU32(param, 8);
    if (!this.outstanding || readU32(param, 12) !== this.nonce || size !== this.sizes[this.next]) return true;
    this.outstanding = false;
    this.stats.probesAcked++;
    this.mtu = this.stats.mtu = size;
    this.next++;
    this.probeCount = 0;
    this.timer = this.next < this.sizes.length ? now : now + RAISE_INTERVAL;
    return true;
  }

  /** T3-rtx expired: if above the base, assume a black hole, fall back and search again. */
  onRetransmitTimeout(now: number, rto: number): boolean {
    if (this.mtu <= this.base) return false;
    this.stats.blackHoles++;
    this.mtu = this.stats.mtu = this.base;
    this.start(now);
    // Let the retransmissions at the base size go first.
    if (this.timer !== undefined) this.timer = now + rto;
    return true;
  }

  private firstAbove(mtu: number): number {
    let i = 0;
    while (i < this.sizes.length && this.sizes[i]! <= mtu) i++;
    return i;
  }
}

function probeSizes(base: number, max: number): number[] {
  const cap = Math.max(base, max) & ~3;
  const sizes = PROBE_SIZES.filter((s) => s > base && s < cap);
  if (cap > base) sizes.push(cap);
  return sizes;
}

/**
 * The chunks of a probe, `bytes` in all (a multiple of 4): a HEARTBEAT carrying probe info, then
 * a PAD chunk; or, without PAD, one HEARTBEAT whose Heartbeat Information is padded with zeros.
 */
function probeChunks(bytes: number, nonce: number, pad: boolean): Uint8Array {
  const out = Buffer.allocUnsafe(bytes);
  const hb = pad ? PROBE_HEARTBEAT : bytes;
  out[0] = CT_HEARTBEAT;
  out[1] = 0;
  writeU16(out, 2, hb);
  writeU16(out, 4, P_HEARTBEAT_INFO);
  writeU16(out, 6, hb - 4);
  writeU32(out, 8, PROBE_MAGIC);
  writeU32(out, 12, bytes + 12);
  writeU32(out, 16, nonce);
  if (pad) {
    out[PROBE_HEARTBEAT] = CT_PAD;
    out[PROBE_HEARTBEAT + 1] = 0;
    writeU16(out, PROBE_HEARTBEAT + 2, bytes - PROBE_HEARTBEAT);
    out.fill(0, PROBE_HEARTBEAT + 4);
  } else {
    out.fill(0, PROBE_HEARTBEAT);
  }
  return out;
}
