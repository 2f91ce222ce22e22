// The send side of an RTP feedback chain: per local SSRC, packet and octet counts and the
// NTP/RTP timestamp mapping for sender reports (RFC 3550 6.4.1), a retransmission history
// answering generic NACKs (RFC 4585 6.2.1) with RTX packets (RFC 4588 4) or, without RTX, the
// original packet; RTT from report blocks (RFC 3550 6.4.1 LSR/DLSR), remote-inbound figures from
// them, keyframe requests received (PLI, FIR with per-sender command numbers, RFC 5104 4.3.1.2)
// surfaced as events, REMB surfaced, and transport-wide sequence numbers stamped on outgoing
// packets with their feedback fed to the delivery estimator (bandwidth.ts). The sender's side of
// XR RTT: DLRR answers to the remote's RRT (RFC 3611 4.5).
import type { Random } from "../../random.js";
import { getRtpExtension, parseRtp, type RtpPacket, setRtpExtensionInPlace } from "../packet.js";
import { ntpCompact, type ReportBlock, rttFromReport, type SenderReport } from "../rtcp.js";
import type { FullIntraRequest, GenericNack } from "../rtcp-feedback.js";
import type { TransportFeedback } from "../twcc.js";
import type { DlrrSubBlock, XrDlrr, XrReceiverReferenceTime } from "../xr.js";
import { DeliveryEstimator, type DeliveryEstimatorOptions, type DeliveryStats } from "./bandwidth.js";
import { compactFromMs, compactNtpFromMs, ntpFromMs, SentNtpTimes } from "./ntp.js";
import type { FeedbackOutput } from "./output.js";
import { wrapRtx } from "./rtx.js";
import { SendHistory, type SendHistoryOptions } from "./send-history.js";

export interface SendStreamConfig {
  ssrc: number;
  clockRate: number;
  /** RTX (RFC 4588) for this stream: its SSRC and, per media payload type, the RTX payload type. */
  rtx?: { ssrc: number; payloadTypes: ReadonlyMap<number, number> };
  /** Keep packets for NACK (default true). */
  nack?: boolean;
}

export interface SendSideOptions {
  random: Random;
  transportCcExtensionId: number | undefined;
  history: SendHistoryOptions;
  estimator: DeliveryEstimatorOptions;
  /** Most sequence numbers answered per NACK message (default 1024); the rest are dropped. */
  maxNackSequences: number;
}

/** What the remote receiver reports about one of our streams (RTCRemoteInboundRtpStreamStats). */
export interface RemoteInboundStats {
  fractionLost: number;
  packetsLost: number;
  /** Seconds. */
  jitter: number;
  /** Milliseconds (W3C stats use seconds), from the latest report block carrying an LSR. */
  roundTripTimeMs: number | undefined;
  roundTripTimeMeasurements: number;
  totalRoundTripTimeMs: number;
  extendedHighestSequence: number;
  reportsReceived: number;
}

export interface OutboundStats {
  ssrc: number;
  packetsSent: number;
  payloadBytesSent: number;
  headerBytesSent: number;
  retransmittedPacketsSent: number;
  retransmittedBytesSent: number;
  nackCount: number;
  pliCount: number;
  firCount: number;
  /** Requested packets not resent: not in the history, too old, or asked again within an RTT. */
  nackRefused: number;
  remote: RemoteInboundStats | undefined;
}

export interface SendDrops {
  malformed: number;
  /** NACKed sequence numbers beyond maxNackSequences in one message. */
  nackOverflow: number;
}

class SendStream {
  readonly config: SendStreamConfig;
  readonly history: SendHistory | undefined;
  packetsSent: number;
  payloadBytes: number;
  headerBytes: number;
  /** An (RTP timestamp, now) pair naming one instant, for the SR's NTP/RTP mapping. */
  lastRtpTimestamp: number;
  lastSentAt: number;
  /** True once setTimestampMapping() anchored the mapping: packets no longer move it. */
  anchored: boolean;
  rtxSequence: number;
  retransmittedPackets: number;
  retransmittedBytes: number;
  nackCount: number;
  nackRefused: number;
  pliCount: number;
  firCount: number;
  /** Last FIR command sequence number per requesting SSRC (bounded by the caller). */
  readonly firSeen: Map<number, number>;
  remote: RemoteInboundStats | undefined;
  constructor(config: SendStreamConfig, history: SendHistoryOptions, random: Random) {
    this.config = config;
    this.history = (config.nack ?? true) ? new SendHistory(history) : undefined;
    this.packetsSent = 0;
    this.payloadBytes = 0;
    this.headerBytes = 0;
    this.lastRtpTimestamp = 0;
    this.lastSentAt = 0;
    this.anchored = false;
    this.rtxSequence = random.int(0x10000);
    this.retransmittedPackets = 0;
    this.retransmittedBytes = 0;
    this.nackCount = 0;
    this.nackRefused = 0;
    this.pliCount = 0;
    this.firCount = 0;
    this.firSeen = new Map();
    this.remote = undefined;
  }
}

const MAX_FIR_SENDERS = 16;
const MAX_RRT_SOURCES = 16;

export class SendSide {
  private readonly opts: SendSideOptions;
  private readonly out: FeedbackOutput;
  private readonly streams: Map<number, SendStream>;
  readonly estimator: DeliveryEstimator;
  private transportSeq: number;
  private readonly seqScratch: Uint8Array;
  /** Remote RRTs (RFC 3611 4.4) to answer with DLRR: ssrc -> [compact NTP, arrival]. */
  private readonly rrts: Map<number, [number, number]>;
  /** Latest RTT from a report block (ms). */
  rtt: number | undefined;
  private readonly srSent: SentNtpTimes;
  readonly drops: SendDrops;

  constructor(opts: SendSideOptions, out: FeedbackOutput) {
    this.opts = opts;
    this.out = out;
    this.streams = new Map();
    this.estimator = new DeliveryEstimator(opts.estimator);
    this.transportSeq = opts.random.int(0x10000);
    this.seqScratch = new Uint8Array(2);
    this.rrts = new Map();
    this.rtt = undefined;
    this.srSent = new SentNtpTimes();
    this.drops = { malformed: 0, nackOverflow: 0 };
  }

  addStream(config: SendStreamConfig): void {
    this.streams.set(config.ssrc >>> 0, new SendStream(config, this.opts.history, this.opts.random));
  }
  removeStream(ssrc: number): void {
    this.streams.delete(ssrc >>> 0);
  }
  get hasStreams(): boolean {
    return this.streams.size > 0;
  }

  /** Stamps the next transport-wide sequence number into a packet carrying the extension. */
  private stampTransportSequence(data: Uint8Array, p: RtpPacket, now: number): void {
    const id = this.opts.transportCcExtensionId;
    if (id === undefined || getRtpExtension(p, id)?.length !== 2) return;
    const seq = this.transportSeq;
    this.transportSeq = (seq + 1) & 0xffff;
    this.seqScratch[0] = seq >>> 8;
    this.seqScratch[1] = seq & 0xff;
    setRtpExtensionInPlace(data, id, this.seqScratch);
    this.estimator.onSent(seq, data.length, now);
  }

  /**
   * An RTP packet about to be protected and sent: counted, stamped with the transport-wide
   * sequence number (in place) and kept for retransmission (by reference: do not reuse it).
   */
  handleOutgoingRtp(data: Uint8Array, now: number): void {
    const p = parseRtp(data);
    if (p === undefined) {
      this.drops.malformed++;
      return;
    }
    this.stampTransportSequence(data, p, now);
    const s = this.streams.get(p.ssrc);
    if (s === undefined) return;
    s.packetsSent++;
    s.payloadBytes += p.payload.length;
    s.headerBytes += data.length - p.payload.length;
    if (!s.anchored) {
      s.lastRtpTimestamp = p.timestamp;
      s.lastSentAt = now;
    }
    s.history?.add(p.sequenceNumber, data, now);
  }

  /** Resends what a generic NACK asks for (RTX when configured), once per RTT per packet. */
  handleNack(nack: GenericNack, now: number, rtt: number): void {
    const s = this.streams.get(nack.mediaSsrc);
    if (s === undefined) return;
    s.nackCount++;
    if (s.history === undefined) return;
    // Walk the items lazily: a 64 KiB NACK names ~280,000 sequence numbers; answer the first ones.
    let budget = this.opts.maxNackSequences;
    for (const item of nack.items) {
      for (let bit = -1; bit < 16; bit++) {
        if (bit >= 0 && ((item.blp >>> bit) & 1) === 0) continue;
        if (budget === 0) {
          this.drops.nackOverflow++;
          continue;
        }
        budget--;
        this.resend(s, (item.pid + bit + 1) & 0xffff, now, rtt);
      }
    }
  }

  private resend(s: SendStream, seq: number, now: number, rtt: number): void {
    const data = s.history!.take(seq, now, rtt);
    if (typeof data === "string") {
      s.nackRefused++;
      return;
    }
    const p = parseRtp(data)!;
    let resend: Uint8Array;
    const rtxPt = s.config.rtx?.payloadTypes.get(p.payloadType);
    if (s.config.rtx !== undefined && rtxPt !== undefined) {
      resend = wrapRtx(data, p, s.config.rtx.ssrc, s.rtxSequence, rtxPt);
      s.rtxSequence = (s.rtxSequence + 1) & 0xffff;
      const q = parseRtp(resend);
      if (q !== undefined) this.stampTransportSequence(resend, q, now);
    } else {
      // The very same bytes, transport-wide sequence number included: SRTP will encrypt them
      // under the same packet index, and different plaintext under a reused index would reuse
      // the keystream (AES-CM) or the nonce (AES-GCM, fatal to its authentication).
      resend = Uint8Array.from(data);
    }
    s.retransmittedPackets++;
    s.retransmittedBytes += p.payload.length;
    this.out.queueRtp(resend);
  }

  handlePli(mediaSsrc: number): void {
    const s = this.streams.get(mediaSsrc);
    if (s === undefined) return;
    s.pliCount++;
    this.out.queueEvent({ type: "keyframe-request", ssrc: mediaSsrc, method: "pli" });
  }

  /** FIR: one request per new command sequence number per requesting SSRC (RFC 5104 4.3.1.2). */
  handleFir(fir: FullIntraRequest): void {
    for (const e of fir.entries) {
      const s = this.streams.get(e.ssrc);
      if (s === undefined) continue;
      if (s.firSeen.get(fir.senderSsrc) === e.sequenceNumber) continue;
      if (!s.firSeen.has(fir.senderSsrc) && s.firSeen.size >= MAX_FIR_SENDERS) s.firSeen.clear();
      s.firSeen.set(fir.senderSsrc, e.sequenceNumber);
      s.firCount++;
      this.out.queueEvent({ type: "keyframe-request", ssrc: e.ssrc, method: "fir" });
    }
  }

  handleTwcc(fb: TransportFeedback): void {
    this.estimator.handleFeedback(fb);
    this.out.queueEvent({ type: "bandwidth", estimate: this.estimator.estimate() });
  }

  /** A report block from an SR or RR: remote-inbound figures and RTT (RFC 3550 6.4.1). */
  handleReportBlock(block: ReportBlock, nowNtpMs: number): void {
    const s = this.streams.get(block.ssrc);
    if (s === undefined) return;
    let r = s.remote;
    if (r === undefined) {
      r = {
        fractionLost: 0,
        packetsLost: 0,
        jitter: 0,
        roundTripTimeMs: undefined,
        roundTripTimeMeasurements: 0,
        totalRoundTripTimeMs: 0,
        extendedHighestSequence: 0,
        reportsReceived: 0,
      };
      s.remote = r;
    }
    r.fractionLost = block.fractionLost / 256;
    r.packetsLost = block.packetsLost;
    r.jitter = block.jitter / s.config.clockRate;
    r.extendedHighestSequence = block.highestSequence;
    r.reportsReceived++;
    // Only an echo of an SR we sent recently measures anything.
    const rtt = this.srSent.has(block.lastSr) ? rttFromReport(compactNtpFromMs(nowNtpMs), block) : undefined;
    if (rtt !== undefined) {
      r.roundTripTimeMs = rtt;
      r.roundTripTimeMeasurements++;
      r.totalRoundTripTimeMs += rtt;
      this.rtt = rtt;
    }
  }

  /** A remote receiver's RRT (RFC 3611 4.4), to be answered with DLRR in our next report. */
  handleRrt(senderSsrc: number, rrt: XrReceiverReferenceTime, now: number): void {
    if (!this.rrts.has(senderSsrc) && this.rrts.size >= MAX_RRT_SOURCES) this.rrts.clear();
    this.rrts.set(senderSsrc, [ntpCompact(rrt.ntpSeconds, rrt.ntpFraction), now]);
  }

  /** The DLRR block answering the RRTs received (undefined when none). */
  dlrr(now: number): XrDlrr | undefined {
    if (this.rrts.size === 0) return undefined;
    const subBlocks: DlrrSubBlock[] = [];
    for (const [ssrc, [lastRr, at]] of this.rrts) {
      subBlocks.push({ ssrc, lastRr, delaySinceLastRr: compactFromMs(now - at) });
    }
    return { blockType: 5, subBlocks };
  }

  /**
   * Anchors the SR's NTP/RTP mapping of a stream: `rtpTimestamp` is the media clock at `now`
   * (for a paced sender whose packets leave after their capture time). Without it, each sent
   * packet is taken as sent at its capture time.
   */
  setTimestampMapping(ssrc: number, rtpTimestamp: number, now: number): void {
    const s = this.streams.get(ssrc >>> 0);
    if (s === undefined) return;
    s.anchored = true;
    s.lastRtpTimestamp = rtpTimestamp >>> 0;
    s.lastSentAt = now;
  }

  /** Sender reports (without report blocks) for the streams that have sent something. */
  senderReports(now: number, ntpOffsetMs: number): SenderReport[] {
    const out: SenderReport[] = [];
    const ntp = ntpFromMs(now + ntpOffsetMs);
    this.srSent.add(ntpCompact(ntp.seconds, ntp.fraction));
    for (const s of this.streams.values()) {
      if (s.packetsSent === 0) continue;
      // The RTP time of `now` extrapolated from the last packet (sent at its capture time).
      const rtp = s.lastRtpTimestamp + Math.round(((now - s.lastSentAt) * s.config.clockRate) / 1000);
      out.push({
        type: "sr",
        ssrc: s.config.ssrc,
        ntpSeconds: ntp.seconds,
        ntpFraction: ntp.fraction,
        rtpTimestamp: rtp >>> 0,
        packetCount: s.packetsSent >>> 0,
        octetCount: s.payloadBytes >>> 0,
        reports: [],
      });
    }
    return out;
  }

  stats(): OutboundStats[] {
    const out: OutboundStats[] = [];
    for (const s of this.streams.values()) {
      out.push({
        ssrc: s.config.ssrc,
        packetsSent: s.packetsSent,
        payloadBytesSent: s.payloadBytes,
        headerBytesSent: s.headerBytes,
        retransmittedPacketsSent: s.retransmittedPackets,
        retransmittedBytesSent: s.retransmittedBytes,
        nackCount: s.nackCount,
        pliCount: s.pliCount,
        firCount: s.firCount,
        nackRefused: s.nackRefused,
        remote: s.remote === undefined ? undefined : { ...s.remote },
      });
    }
    return out;
  }

  deliveryStats(): DeliveryStats {
    return { ...this.estimator.stats };
  }
}
