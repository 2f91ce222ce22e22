// RtpFeedbackChain: the sans-IO RTP/RTCP feedback machinery of one media session (one RTP
// session in the RFC 3550 sense, usually one transceiver or one BUNDLE group), ordered by
// distance from the wire (ARCHITECTURE.md "The W3C layer"): RTCP demultiplexing, then the
// receive side (RTX unwrap, reception statistics, NACK, keyframe requests, transport-wide
// feedback) and the send side (history and retransmission, SR, RTT, keyframe events, delivery
// estimate). One deadline for everything: the periodic compound report (RFC 3550 6.1, 6.2,
// 6.4: SR or RR, SDES CNAME, optional XR RRT/DLRR of RFC 3611) and the feedback timers.
// Feedback (NACK, PLI, FIR, TWCC) leaves at once as reduced-size RTCP (RFC 5506) or, when
// reduced size was not negotiated, in a compound packet behind an empty RR and SDES (RFC 4585
// 3.5.2 immediate mode).
import type { Random } from "../../random.js";
import { rtpError } from "../errors.js";
import { parseRtp, type RtpPacket } from "../packet.js";
import { ntpCompact, parseRtcp, type RtcpPacket, type SdesChunk, serializeRtcp, sizeRtcpPacket } from "../rtcp.js";
import { isDlrr, isRrt, type XrBlock } from "../xr.js";
import type { DeliveryEstimate, DeliveryEstimatorOptions, DeliveryStats } from "./bandwidth.js";
import { rtcpInterval, updateAvgRtcpSize } from "./interval.js";
import type { KeyframeMethod } from "./keyframe.js";
import type { NackOptions } from "./nack.js";
import { ntpFromMs } from "./ntp.js";
import { type FeedbackEvent, FeedbackOutput, type OutputDrops } from "./output.js";
import {
  type InboundStats,
  type MediaKind,
  type ReceiveDrops,
  ReceiveSide,
  type ReceiveStreamConfig,
} from "./receiver.js";
import type { SendHistoryOptions } from "./send-history.js";
import { type OutboundStats, type SendDrops, SendSide, type SendStreamConfig } from "./sender.js";
import type { TwccRecorderOptions, TwccRecorderStats } from "./twcc-recorder.js";

export interface RtpFeedbackOptions {
  /** The SSRC our RR, feedback and XR are sent from (a send stream's SSRC, or a random one). */
  localSsrc: number;
  /** SDES CNAME (RFC 3550 6.5.1; RFC 7022 for how to choose it). */
  cname: string;
  /** Randomness for the report interval and initial sequence numbers. */
  random: Random;
  /** NTP time in ms (since 1900) is `now + ntpOffsetMs`; see ntpOffsetFor(). Default 0. */
  ntpOffsetMs?: number;
  /** Sets the default minimum report interval (1 s video, 5 s audio) and auto-created streams' kind. */
  kind?: MediaKind;
  minRtcpIntervalMs?: number;
  /** RTCP bandwidth in bytes/s (RFC 3550 6.2); undefined: the minimum interval only. */
  rtcpBandwidth?: number;
  /** RFC 5506 reduced-size feedback (a=rtcp-rsize; default true). */
  reducedSize?: boolean;
  /** Negotiated id of the transport-wide sequence number extension (enables TWCC both ways). */
  transportCcExtensionId?: number;
  /** RTX payload type -> associated payload type (a=fmtp:<rtx> apt=<pt>). */
  rtxPayloadTypes?: Readonly<Record<number, number>>;
  /** Payload type -> clock rate: lets packets of SSRCs not added in advance create a stream. */
  payloadClockRates?: Readonly<Record<number, number>>;
  nack?: NackOptions;
  twcc?: TwccRecorderOptions;
  history?: SendHistoryOptions;
  estimator?: DeliveryEstimatorOptions;
  /** Least spacing of keyframe requests per stream (default 300 ms, or the RTT if longer). */
  keyframeMinIntervalMs?: number;
  /** Send XR RRT in reports and use DLRR for RTT as a receiver (a=rtcp-xr:rcvr-rtt=all). */
  xrRtt?: boolean;
  /** Most remote streams (default 32). */
  maxReceiveStreams?: number;
  /** RTT assumed before one is measured (default 100 ms). */
  initialRttMs?: number;
  /** Capacity of each output queue (default 256). */
  maxQueue?: number;
  /** Largest RTCP datagram built for feedback (default 1200 bytes). */
  maxRtcpSize?: number;
}

export interface FeedbackStats {
  inbound: InboundStats[];
  outbound: OutboundStats[];
  /** Current RTT in ms (measured, else the initial guess), and whether it was measured. */
  rtt: number;
  rttMeasured: boolean;
  twcc: TwccRecorderStats;
  delivery: DeliveryStats & { estimate: DeliveryEstimate };
  rtcpPacketsSent: number;
  rtcpPacketsReceived: number;
  dropped: ReceiveDrops & SendDrops & { malformedRtcp: number; queues: OutputDrops };
}

const UDP_IP_OVERHEAD = 28;

function checkSsrc(ssrc: number): void {
  if (!(Number.isInteger(ssrc) && ssrc >= 0 && ssrc <= 0xffffffff)) {
    throw rtpError("ERR_FEEDBACK_CONFIG", `SSRC must be a 32-bit unsigned integer: ${ssrc}`);
  }
}
function checkClockRate(rate: number): void {
  if (!(Number.isFinite(rate) && rate > 0)) throw rtpError("ERR_FEEDBACK_CONFIG", `bad clock rate ${rate}`);
}

export class RtpFeedbackChain {
  private readonly localSsrc: number;
  private readonly cname: string;
  private readonly random: Random;
  private readonly ntpOffset: number;
  private readonly minInterval: number;
  private readonly rtcpBandwidth: number | undefined;
  private readonly reducedSize: boolean;
  private readonly xrRtt: boolean;
  private readonly initialRtt: number;
  private readonly maxRtcpSize: number;
  private readonly out: FeedbackOutput;
  readonly receive: ReceiveSide;
  readonly send: SendSide;
  private now: number;
  private nextReportAt: number | undefined;
  private initial: boolean;
  private weSent: boolean;
  private avgRtcpSize: number;
  private closed: boolean;
  private rtcpSent: number;
  private rtcpReceived: number;
  private malformedRtcp: number;

  constructor(options: RtpFeedbackOptions) {
    // Misuse throws here, not later from inside handleTimeout when a report is serialised.
    const cnameBytes = new TextEncoder().encode(options.cname).length;
    if (cnameBytes === 0 || cnameBytes > 255)
      throw rtpError("ERR_FEEDBACK_CONFIG", "cname must be 1-255 bytes of UTF-8");
    checkSsrc(options.localSsrc);
    const id = options.transportCcExtensionId;
    if (id !== undefined && !(Number.isInteger(id) && id >= 1 && id <= 255)) {
      throw rtpError("ERR_FEEDBACK_CONFIG", "transportCcExtensionId must be 1-255");
    }
    this.localSsrc = options.localSsrc >>> 0;
    this.cname = options.cname;
    this.random = options.random;
    this.ntpOffset = options.ntpOffsetMs ?? 0;
    const kind = options.kind ?? "video";
    this.minInterval = options.minRtcpIntervalMs ?? (kind === "audio" ? 5000 : 1000);
    this.rtcpBandwidth = options.rtcpBandwidth;
    this.reducedSize = options.reducedSize ?? true;
    this.xrRtt = options.xrRtt ?? false;
    this.initialRtt = options.initialRttMs ?? 100;
    this.maxRtcpSize = options.maxRtcpSize ?? 1200;
    this.out = new FeedbackOutput(options.maxQueue ?? 256);
    const toMap = (r: Readonly<Record<number, number>> | undefined): Map<number, number> =>
      new Map(Object.entries(r ?? {}).map(([k, v]) => [Number(k), v]));
    this.receive = new ReceiveSide(
      {
        localSsrc: this.localSsrc,
        kind,
        rtxPayloadTypes: toMap(options.rtxPayloadTypes),
        payloadClockRates: toMap(options.payloadClockRates),
        transportCcExtensionId: options.transportCcExtensionId,
        twcc: options.twcc ?? {},
        nack: options.nack ?? {},
        keyframeMinIntervalMs: options.keyframeMinIntervalMs ?? 300,
        maxStreams: options.maxReceiveStreams ?? 32,
      },
      this.out,
    );
    this.send = new SendSide(
      {
        random: options.random,
        transportCcExtensionId: options.transportCcExtensionId,
        history: options.history ?? {},
        estimator: options.estimator ?? {},
        maxNackSequences: 1024,
      },
      this.out,
    );
    this.now = Number.NEGATIVE_INFINITY;
    this.nextReportAt = undefined;
    this.initial = true;
    this.weSent = false;
    this.avgRtcpSize = 100;
    this.closed = false;
    this.rtcpSent = 0;
    this.rtcpReceived = 0;
    this.malformedRtcp = 0;
  }

  /** The current RTT (ms): from report blocks as a sender, XR DLRR as a receiver, else a guess. */
  get rtt(): number {
    return this.send.rtt ?? this.receive.xrRtt ?? this.initialRtt;
  }

  addReceiveStream(config: ReceiveStreamConfig): void {
    checkSsrc(config.ssrc);
    checkClockRate(config.clockRate);
    if (config.rtxSsrc !== undefined) checkSsrc(config.rtxSsrc);
    this.receive.addStream(config);
  }
  removeReceiveStream(ssrc: number): void {
    this.receive.removeStream(ssrc);
  }
  addSendStream(config: SendStreamConfig): void {
    checkSsrc(config.ssrc);
    checkClockRate(config.clockRate);
    if (config.rtx !== undefined) {
      checkSsrc(config.rtx.ssrc);
      for (const pt of config.rtx.payloadTypes.values()) {
        if (!(Number.isInteger(pt) && pt >= 0 && pt <= 127))
          throw rtpError("ERR_FEEDBACK_CONFIG", `bad RTX payload type ${pt}`);
      }
    }
    this.send.addStream(config);
  }
  removeSendStream(ssrc: number): void {
    this.send.removeStream(ssrc);
  }
  /** See SendSide.setTimestampMapping: the media clock of a send stream at `now`. */
  setTimestampMapping(ssrc: number, rtpTimestamp: number, now: number): void {
    this.send.setTimestampMapping(ssrc, rtpTimestamp, now);
  }

  /** Advances the clock (time going backwards is ignored) and starts the report timer. */
  private tick(now: number): number {
    if (now > this.now) this.now = now;
    if (this.nextReportAt === undefined && !this.closed) this.scheduleReport(this.now);
    return this.now;
  }

  /**
   * A received (SRTP-unprotected) RTP packet. Returns the media packet to give the depacketizer
   * (an RTX packet comes back unwrapped as its original), or undefined when dropped.
   */
  handleRtp(data: Uint8Array, now: number): RtpPacket | undefined {
    const p = parseRtp(data);
    if (p === undefined) {
      this.tick(now);
      this.receive.drops.malformed++;
      return undefined;
    }
    return this.handleParsedRtp(p, data.length, now);
  }

  /** handleRtp for a packet the caller parsed already; `size` is its length in bytes. */
  handleParsedRtp(p: RtpPacket, size: number, now: number): RtpPacket | undefined {
    const t = this.tick(now);
    const media = this.receive.handleRtp(p, size, t, this.rtt);
    this.frameFeedback();
    return media;
  }

  /** An RTP packet we are about to protect and send (kept by reference for retransmission). */
  handleOutgoingRtp(data: Uint8Array, now: number): void {
    const t = this.tick(now);
    this.send.handleOutgoingRtp(data, t);
    this.weSent = true;
  }

  /** A received (SRTCP-unprotected) compound or reduced-size RTCP packet. Never throws. */
  handleRtcp(data: Uint8Array, now: number): void {
    const t = this.tick(now);
    const packets = parseRtcp(data);
    if (packets === undefined) {
      this.malformedRtcp++;
      return;
    }
    this.rtcpReceived++;
    this.avgRtcpSize = updateAvgRtcpSize(this.avgRtcpSize, data.length + UDP_IP_OVERHEAD);
    const ntpNow = t + this.ntpOffset;
    for (const p of packets) this.dispatch(p, t, ntpNow);
    this.frameFeedback();
  }

  private dispatch(p: RtcpPacket, now: number, ntpNow: number): void {
    switch (p.type) {
      case "sr":
        this.receive.handleSenderReport(p, now);
        for (const b of p.reports) this.send.handleReportBlock(b, ntpNow);
        break;
      case "rr":
        for (const b of p.reports) this.send.handleReportBlock(b, ntpNow);
        break;
      case "nack":
        this.send.handleNack(p, now, this.rtt);
        break;
      case "pli":
        this.send.handlePli(p.mediaSsrc);
        break;
      case "fir":
        this.send.handleFir(p);
        break;
      case "remb":
        this.out.queueEvent({ type: "remb", bitrate: p.bitrate, ssrcs: p.ssrcs });
        break;
      case "twcc":
        this.send.handleTwcc(p);
        break;
      case "xr":
        for (const b of p.blocks) {
          if (isRrt(b)) this.send.handleRrt(p.senderSsrc, b, now);
          else if (isDlrr(b)) this.receive.handleDlrr(b, ntpNow);
        }
        break;
      case "bye":
        for (const ssrc of p.ssrcs) {
          if (this.receive.hasStream(ssrc)) this.out.queueEvent({ type: "bye", ssrc, reason: p.reason });
        }
        break;
      default:
        break;
    }
  }

  /**
   * Asks the sender of a received stream for a keyframe (the depacketizer saw an undecodable
   * frame). Rate limited per stream; returns whether a request was queued.
   */
  requestKeyframe(ssrc: number, now: number, method: KeyframeMethod = "pli"): boolean {
    const t = this.tick(now);
    const sent = this.receive.requestKeyframe(ssrc, method, t, this.rtt);
    this.frameFeedback();
    return sent;
  }

  handleTimeout(now: number): void {
    const t = this.tick(now);
    this.receive.handleTimeout(t, this.rtt);
    if (this.nextReportAt !== undefined && t >= this.nextReportAt) this.sendReport(t);
    this.frameFeedback();
  }

  nextTimeout(): number | undefined {
    const r = this.receive.nextTimeout();
    if (r === undefined) return this.nextReportAt;
    return this.nextReportAt === undefined ? r : Math.min(r, this.nextReportAt);
  }

  pollRtcp(): Uint8Array | undefined {
    return this.out.rtcp.shift();
  }
  /** Retransmissions (RTX or original packets) to protect and send. */
  pollRtp(): Uint8Array | undefined {
    return this.out.rtp.shift();
  }
  pollEvent(): FeedbackEvent | undefined {
    return this.out.events.shift();
  }

  /** Sends a final report with BYE for our SSRCs and stops the report timer (RFC 3550 6.6). */
  close(now: number, reason?: string): void {
    if (this.closed) return;
    const t = this.tick(now);
    const packets = this.reportPackets(t);
    const ssrcs = new Set<number>([this.localSsrc]);
    for (const p of packets) if (p.type === "sr") ssrcs.add(p.ssrc);
    packets.push(
      reason === undefined ? { type: "bye", ssrcs: [...ssrcs] } : { type: "bye", ssrcs: [...ssrcs], reason },
    );
    this.emitRtcp(packets);
    this.closed = true;
    this.nextReportAt = undefined;
  }

  private scheduleReport(now: number): void {
    const inbound = this.receive.streamCount;
    const interval = rtcpInterval(
      {
        minIntervalMs: this.minInterval,
        rtcpBandwidth: this.rtcpBandwidth,
        members: 1 + inbound,
        senders: inbound + (this.weSent ? 1 : 0),
        weSent: this.weSent,
        avgRtcpSize: this.avgRtcpSize,
        initial: this.initial,
      },
      this.random,
    );
    this.nextReportAt = now + interval;
  }

  /** SR/RR with report blocks, SDES CNAME, and XR when enabled (RFC 3550 6.1 compound order). */
  private reportPackets(now: number): RtcpPacket[] {
    const packets: RtcpPacket[] = [];
    const blocks = this.receive.reportBlocks(now);
    const srs = this.send.senderReports(now, this.ntpOffset);
    const chunks: SdesChunk[] = [];
    if (srs.length > 0) {
      srs[0]!.reports = blocks.splice(0, 31);
      for (const sr of srs) {
        packets.push(sr);
        chunks.push({ ssrc: sr.ssrc, items: [{ type: 1, value: this.cname }] });
      }
    } else {
      packets.push({ type: "rr", ssrc: this.localSsrc, reports: blocks.splice(0, 31) });
    }
    while (blocks.length > 0) packets.push({ type: "rr", ssrc: this.localSsrc, reports: blocks.splice(0, 31) });
    if (srs.length === 0 || !srs.some((s) => s.ssrc === this.localSsrc)) {
      chunks.unshift({ ssrc: this.localSsrc, items: [{ type: 1, value: this.cname }] });
    }
    packets.push({ type: "sdes", chunks: chunks.slice(0, 31) });
    const xr: XrBlock[] = [];
    if (this.xrRtt) {
      const ntp = ntpFromMs(now + this.ntpOffset);
      xr.push({ blockType: 4, ntpSeconds: ntp.seconds, ntpFraction: ntp.fraction });
      this.receive.rrtSentAt(ntpCompact(ntp.seconds, ntp.fraction));
    }
    const dlrr = this.send.dlrr(now);
    if (dlrr !== undefined) xr.push(dlrr);
    if (xr.length > 0) packets.push({ type: "xr", senderSsrc: this.localSsrc, blocks: xr });
    return packets;
  }

  private sendReport(now: number): void {
    const size = this.emitRtcp(this.reportPackets(now));
    this.avgRtcpSize = updateAvgRtcpSize(this.avgRtcpSize, size + UDP_IP_OVERHEAD);
    this.initial = false;
    this.scheduleReport(now);
    this.weSent = false;
  }

  private emitRtcp(packets: RtcpPacket[]): number {
    const bytes = serializeRtcp(packets);
    this.out.queueRtcp(bytes);
    this.rtcpSent++;
    return bytes.length;
  }

  /** Frames queued feedback messages into RTCP datagrams of at most maxRtcpSize bytes. */
  private frameFeedback(): void {
    if (this.out.feedback.length === 0) return;
    const prefix: RtcpPacket[] = this.reducedSize
      ? []
      : [
          { type: "rr", ssrc: this.localSsrc, reports: [] },
          { type: "sdes", chunks: [{ ssrc: this.localSsrc, items: [{ type: 1, value: this.cname }] }] },
        ];
    let prefixSize = 0;
    for (const p of prefix) prefixSize += sizeRtcpPacket(p);
    let batch: RtcpPacket[] = [...prefix];
    let size = prefixSize;
    for (let p = this.out.feedback.shift(); p !== undefined; p = this.out.feedback.shift()) {
      const n = sizeRtcpPacket(p);
      if (batch.length > prefix.length && size + n > this.maxRtcpSize) {
        this.emitRtcp(batch);
        batch = [...prefix];
        size = prefixSize;
      }
      batch.push(p);
      size += n;
    }
    if (batch.length > prefix.length) this.emitRtcp(batch);
  }

  stats(): FeedbackStats {
    return {
      inbound: this.receive.stats(),
      outbound: this.send.stats(),
      rtt: this.rtt,
      rttMeasured: this.send.rtt !== undefined || this.receive.xrRtt !== undefined,
      twcc: this.receive.twccStats(),
      delivery: { ...this.send.deliveryStats(), estimate: this.send.estimator.estimate() },
      rtcpPacketsSent: this.rtcpSent,
      rtcpPacketsReceived: this.rtcpReceived,
      dropped: {
        ...this.receive.drops,
        ...this.send.drops,
        malformedRtcp: this.malformedRtcp,
        queues: { ...this.out.drops },
      },
    };
  }
}
