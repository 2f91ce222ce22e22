// Test harness for the feedback chain: two RtpFeedbackChains joined by a fake link with virtual
// time (one-way delay, seeded random loss, an optional drop rule), a paced media source on side
// A, and the drain loop of ARCHITECTURE.md (drain polls, then advance to the earliest deadline).
import { SeededRandom } from "../../../src/random.js";
import { RtpFeedbackChain, type RtpFeedbackOptions } from "../../../src/rtp/feedback/index.js";
import type { FeedbackEvent } from "../../../src/rtp/feedback/output.js";
import { isRtcpPacket, type RtpPacket, serializeRtp } from "../../../src/rtp/index.js";

export interface LinkOptions {
  delay: number;
  loss?: number;
  /** Extra drop rule: return true to lose this datagram (n counts datagrams on this link). */
  drop?: (data: Uint8Array, n: number, now: number) => boolean;
  /** Extra delay per datagram (reordering). */
  extraDelay?: (data: Uint8Array, n: number) => number;
}

interface InFlight {
  at: number;
  seq: number;
  data: Uint8Array;
}

export class FakeLink {
  private readonly rng: SeededRandom;
  private readonly opts: LinkOptions;
  private readonly flight: InFlight[];
  private n: number;
  sent: number;
  lost: number;
  constructor(rng: SeededRandom, opts: LinkOptions) {
    this.rng = rng;
    this.opts = opts;
    this.flight = [];
    this.n = 0;
    this.sent = 0;
    this.lost = 0;
  }
  send(data: Uint8Array, now: number): boolean {
    const n = this.n++;
    this.sent++;
    if ((this.opts.loss ?? 0) > 0 && this.rng.float() < this.opts.loss!) {
      this.lost++;
      return false;
    }
    if (this.opts.drop?.(data, n, now)) {
      this.lost++;
      return false;
    }
    // Copy: the receiver parses views, and the sender may keep (and restamp) its buffer.
    const at = now + this.opts.delay + (this.opts.extraDelay?.(data, n) ?? 0);
    this.flight.push({ at, seq: n, data: Uint8Array.from(data) });
    this.flight.sort((x, y) => x.at - y.at || x.seq - y.seq);
    return true;
  }
  next(): number | undefined {
    return this.flight[0]?.at;
  }
  take(now: number): Uint8Array | undefined {
    if (this.flight.length === 0 || this.flight[0]!.at > now) return undefined;
    return this.flight.shift()!.data;
  }
}

export const SSRC_A = 0x1111_1111;
export const RTX_A = 0x1111_2222;
export const SSRC_B = 0x2222_2222;
export const PT = 96;
export const RTX_PT = 97;
export const TWCC_ID = 3;

export interface MediaSource {
  /** ms between packets. */
  interval: number;
  /** Stop sending at this time. */
  until: number;
  payloadSize: number;
  clockRate: number;
  /** First sequence number. */
  firstSeq: number;
}

/** Side A sends media to side B; both exchange RTCP. */
export class Pair {
  readonly a: RtpFeedbackChain;
  readonly b: RtpFeedbackChain;
  readonly ab: FakeLink;
  readonly ba: FakeLink;
  now: number;
  readonly eventsA: FeedbackEvent[];
  readonly eventsB: FeedbackEvent[];
  /** Original sequence number (16-bit) -> time first sent, and -> time delivered to B's depacketizer. */
  readonly sentAt: Map<number, number>;
  readonly deliveredAt: Map<number, number>;
  readonly delivered: RtpPacket[];
  rtcpAtoB: number;
  rtcpBtoA: number;
  private media: MediaSource | undefined;
  private nextMediaAt: number;
  private mediaCount: number;
  readonly seed: number;

  constructor(
    seed: number,
    linkAB: LinkOptions,
    linkBA: LinkOptions,
    optsA: Partial<RtpFeedbackOptions> = {},
    optsB: Partial<RtpFeedbackOptions> = {},
  ) {
    this.seed = seed;
    const rng = new SeededRandom(seed);
    this.a = new RtpFeedbackChain({
      localSsrc: SSRC_A,
      cname: "a",
      random: new SeededRandom(seed + 1000),
      ntpOffsetMs: 3_900_000_000_000,
      transportCcExtensionId: TWCC_ID,
      ...optsA,
    });
    this.b = new RtpFeedbackChain({
      localSsrc: SSRC_B,
      cname: "b",
      random: new SeededRandom(seed + 2000),
      // B's wall clock differs from A's: RTT must not depend on clock agreement.
      ntpOffsetMs: 3_900_000_123_456,
      transportCcExtensionId: TWCC_ID,
      rtxPayloadTypes: { [RTX_PT]: PT },
      ...optsB,
    });
    this.ab = new FakeLink(rng, linkAB);
    this.ba = new FakeLink(new SeededRandom(seed + 7), linkBA);
    this.now = 0;
    this.eventsA = [];
    this.eventsB = [];
    this.sentAt = new Map();
    this.deliveredAt = new Map();
    this.delivered = [];
    this.rtcpAtoB = 0;
    this.rtcpBtoA = 0;
    this.media = undefined;
    this.nextMediaAt = Number.POSITIVE_INFINITY;
    this.mediaCount = 0;
  }

  /** Video from A (SSRC_A, RTX on RTX_A) received by B. */
  withVideo(media: MediaSource, rtx = true): this {
    this.a.addSendStream({
      ssrc: SSRC_A,
      clockRate: media.clockRate,
      rtx: rtx ? { ssrc: RTX_A, payloadTypes: new Map([[PT, RTX_PT]]) } : undefined,
    });
    this.b.addReceiveStream({
      ssrc: SSRC_A,
      clockRate: media.clockRate,
      kind: "video",
      rtxSsrc: rtx ? RTX_A : undefined,
    });
    this.media = media;
    this.nextMediaAt = this.now;
    return this;
  }

  private sendMedia(now: number): void {
    const m = this.media!;
    const seq = (m.firstSeq + this.mediaCount) & 0xffff;
    const packet = serializeRtp({
      payloadType: PT,
      sequenceNumber: seq,
      timestamp: Math.round((now * m.clockRate) / 1000) >>> 0,
      ssrc: SSRC_A,
      marker: true,
      extensions: [{ id: TWCC_ID, data: new Uint8Array(2) }],
      payload: new Uint8Array(m.payloadSize).fill(this.mediaCount & 0xff),
    });
    this.mediaCount++;
    this.sentAt.set(seq, now);
    this.a.handleOutgoingRtp(packet, now);
    this.ab.send(packet, now);
    this.nextMediaAt = now + m.interval >= m.until ? Number.POSITIVE_INFINITY : now + m.interval;
  }

  get mediaSent(): number {
    return this.mediaCount;
  }

  private drain(): void {
    for (;;) {
      let moved = false;
      for (let d = this.a.pollRtcp(); d !== undefined; d = this.a.pollRtcp()) {
        this.rtcpAtoB++;
        this.ab.send(d, this.now);
        moved = true;
      }
      for (let d = this.a.pollRtp(); d !== undefined; d = this.a.pollRtp()) {
        this.ab.send(d, this.now);
        moved = true;
      }
      for (let e = this.a.pollEvent(); e !== undefined; e = this.a.pollEvent()) this.eventsA.push(e);
      for (let d = this.b.pollRtcp(); d !== undefined; d = this.b.pollRtcp()) {
        this.rtcpBtoA++;
        this.ba.send(d, this.now);
        moved = true;
      }
      for (let d = this.b.pollRtp(); d !== undefined; d = this.b.pollRtp()) {
        this.ba.send(d, this.now);
        moved = true;
      }
      for (let e = this.b.pollEvent(); e !== undefined; e = this.b.pollEvent()) this.eventsB.push(e);
      if (!moved) return;
    }
  }

  /** Runs until virtual time `until`; `beforeStep` may inject inputs. */
  run(until: number, maxSteps = 200_000): void {
    for (let steps = 0; ; steps++) {
      if (steps > maxSteps) throw new Error(`seed ${this.seed}: more than ${maxSteps} steps (livelock?)`);
      this.drain();
      let next = Math.min(this.nextMediaAt, this.ab.next() ?? Infinity, this.ba.next() ?? Infinity);
      next = Math.min(next, this.a.nextTimeout() ?? Infinity, this.b.nextTimeout() ?? Infinity);
      if (next > until) {
        this.now = until;
        return;
      }
      if (next > this.now) this.now = next;
      const now = this.now;
      for (let d = this.ab.take(now); d !== undefined; d = this.ab.take(now)) {
        if (isRtcpPacket(d)) this.b.handleRtcp(d, now);
        else {
          const p = this.b.handleRtp(d, now);
          if (p !== undefined) {
            this.delivered.push(p);
            if (!this.deliveredAt.has(p.sequenceNumber)) this.deliveredAt.set(p.sequenceNumber, now);
          }
        }
      }
      for (let d = this.ba.take(now); d !== undefined; d = this.ba.take(now)) {
        if (isRtcpPacket(d)) this.a.handleRtcp(d, now);
        else this.a.handleRtp(d, now);
      }
      if ((this.a.nextTimeout() ?? Infinity) <= now) this.a.handleTimeout(now);
      if ((this.b.nextTimeout() ?? Infinity) <= now) this.b.handleTimeout(now);
      if (this.nextMediaAt <= now) this.sendMedia(now);
    }
  }
}
