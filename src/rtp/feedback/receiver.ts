// The receive side of an RTP feedback chain: per remote SSRC, RTX unwrapping (RFC 4588 4, 5.2)
// ahead of everything else, then reception statistics (RFC 3550 A.1, A.3, A.8), NACK generation
// (RFC 4585 6.2.1) and keyframe requests (RFC 4585 6.3.1, RFC 5104 4.3.1); for the whole
// session, transport-wide feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01) and the
// receiver's side of RTT measurement: LSR/DLSR in report blocks and XR RRT/DLRR (RFC 3611 4.4,
// 4.5). Stages are ordered by distance from the wire; feedback goes to the shared output.

import { decodeTransportSequence } from "../extension-values.js";
import { getRtpExtension, type RtpPacket } from "../packet.js";
import type { ReportBlock, SenderReport } from "../rtcp.js";
import { nackItemsFromLost } from "../rtcp-feedback.js";
import type { XrDlrr } from "../xr.js";
import { type KeyframeMethod, KeyframeRequester } from "./keyframe.js";
import { NackGenerator, type NackOptions, type NackStats } from "./nack.js";
import { compactNtpFromMs, msFromNtp, SentNtpTimes } from "./ntp.js";
import type { FeedbackOutput } from "./output.js";
import { type InboundCounters, ReceptionStatistics } from "./reception.js";
import { unwrapRtx } from "./rtx.js";
import { TwccRecorder, type TwccRecorderOptions, type TwccRecorderStats } from "./twcc-recorder.js";

export type MediaKind = "audio" | "video";

export interface ReceiveStreamConfig {
  ssrc: number;
  clockRate: number;
  kind?: MediaKind;
  /** Send NACKs for this stream (default: true for video, false for audio). */
  nack?: boolean;
  /** The SSRC its retransmissions arrive on (a=ssrc-group:FID), when known in advance. */
  rtxSsrc?: number;
  /** How to ask for a keyframe when NACKs cannot repair a loss (default "pli"; "fir" for ccm fir only). */
  keyframeMethod?: KeyframeMethod;
}

export interface ReceiveSideOptions {
  /** SSRC our RTCP feedback is sent from. */
  localSsrc: number;
  /** Media kind of auto-created streams (default video). */
  kind: MediaKind;
  /** RTX payload type -> associated (original) payload type. */
  rtxPayloadTypes: ReadonlyMap<number, number>;
  /** Payload type -> clock rate; a packet of an unknown SSRC with one of these creates a stream. */
  payloadClockRates: ReadonlyMap<number, number>;
  /** The negotiated id of the transport-wide sequence number header extension. */
  transportCcExtensionId: number | undefined;
  twcc: TwccRecorderOptions;
  nack: NackOptions;
  keyframeMinIntervalMs: number;
  maxStreams: number;
}

export interface InboundStats extends InboundCounters {
  nack: NackStats;
  /** NACK packets sent for this stream. */
  nackCount: number;
  pliCount: number;
  firCount: number;
  /** The remote's last sender report: packets and octets it says it sent. */
  remotePacketsSent: number | undefined;
  remoteOctetsSent: number | undefined;
  /** NTP time (ms since 1900, the sender's clock) of its last sender report. */
  remoteTimestamp: number | undefined;
  senderReportsReceived: number;
  /** `now` when the last sender report arrived. */
  lastSenderReportAt: number | undefined;
  /** RTT measured as a receiver (XR RRT/DLRR, RFC 3611 4.5), ms; undefined when not measured. */
  receiverRttMs: number | undefined;
  /** How many of those measurements there were, and their sum (ms). */
  receiverRttMeasurements: number;
  receiverRttTotalMs: number;
}

export interface ReceiveDrops {
  malformed: number;
  unknownSsrc: number;
  /** RTX packets with an unknown apt or no OSN (padding probes land here too). */
  rtx: number;
  /** Packets whose sequence number jumped too far (RFC 3550 A.1 "bad"). */
  badSequence: number;
  tooManyStreams: number;
}

class ReceiveStream {
  readonly config: ReceiveStreamConfig;
  readonly kind: MediaKind;
  readonly reception: ReceptionStatistics;
  readonly nack: NackGenerator | undefined;
  lastPayloadType: number;
  nackCount: number;
  pliCount: number;
  firCount: number;
  remotePacketsSent: number | undefined;
  remoteOctetsSent: number | undefined;
  remoteTimestamp: number | undefined;
  senderReports: number;
  lastSrAt: number | undefined = undefined;
  constructor(config: ReceiveStreamConfig, kind: MediaKind, nack: NackOptions) {
    this.config = config;
    this.kind = kind;
    this.reception = new ReceptionStatistics(config.ssrc, config.clockRate);
    const wantNack = config.nack ?? kind === "video";
    this.nack = wantNack ? new NackGenerator(nack) : undefined;
    this.lastPayloadType = -1;
    this.nackCount = 0;
    this.pliCount = 0;
    this.firCount = 0;
    this.remotePacketsSent = undefined;
    this.remoteOctetsSent = undefined;
    this.remoteTimestamp = undefined;
    this.senderReports = 0;
  }
}

export class ReceiveSide {
  private readonly opts: ReceiveSideOptions;
  private readonly out: FeedbackOutput;
  private readonly streams: Map<number, ReceiveStream>;
  /** RTX SSRC -> media SSRC. */
  private readonly rtxToMedia: Map<number, number>;
  private readonly keyframes: KeyframeRequester;
  readonly twcc: TwccRecorder;
  private lastMediaSsrc: number;
  /** RTT measured as a receiver (XR DLRR), ms. */
  xrRtt: number | undefined;
  /** XR DLRR measurements: count and sum (ms). */
  xrRttMeasurements = 0;
  xrRttTotal = 0;
  private readonly rrtSent: SentNtpTimes;
  readonly drops: ReceiveDrops;

  constructor(opts: ReceiveSideOptions, out: FeedbackOutput) {
    this.opts = opts;
    this.out = out;
    this.streams = new Map();
    this.rtxToMedia = new Map();
    this.keyframes = new KeyframeRequester(opts.keyframeMinIntervalMs);
    this.twcc = new TwccRecorder(opts.twcc);
    this.lastMediaSsrc = 0;
    this.xrRtt = undefined;
    this.rrtSent = new SentNtpTimes();
    this.drops = { malformed: 0, unknownSsrc: 0, rtx: 0, badSequence: 0, tooManyStreams: 0 };
  }

  addStream(config: ReceiveStreamConfig): void {
    const s = new ReceiveStream(config, config.kind ?? this.opts.kind, this.opts.nack);
    this.streams.set(config.ssrc >>> 0, s);
    if (config.rtxSsrc !== undefined) this.rtxToMedia.set(config.rtxSsrc >>> 0, config.ssrc >>> 0);
  }

  removeStream(ssrc: number): void {
    const s = this.streams.get(ssrc >>> 0);
    if (s === undefined) return;
    this.streams.delete(ssrc >>> 0);
    if (s.config.rtxSsrc !== undefined) this.rtxToMedia.delete(s.config.rtxSsrc >>> 0);
    for (const [rtx, media] of this.rtxToMedia) if (media === ssrc >>> 0) this.rtxToMedia.delete(rtx);
    this.keyframes.remove(ssrc >>> 0);
  }

  get streamCount(): number {
    return this.streams.size;
  }

  hasStream(ssrc: number): boolean {
    return this.streams.has(ssrc >>> 0);
  }

  /** The media SSRC an RTX packet belongs to: configured, or learned from a unique match of apt. */
  private mediaForRtx(rtxSsrc: number, apt: number): number | undefined {
    const known = this.rtxToMedia.get(rtxSsrc);
    if (known !== undefined) return known;
    let found: ReceiveStream | undefined;
    for (const s of this.streams.values()) {
      if (s.config.rtxSsrc !== undefined || s.lastPayloadType !== apt) continue;
      if (found !== undefined) return undefined; // ambiguous
      found = s;
    }
    if (found === undefined) return undefined;
    found.config.rtxSsrc = rtxSsrc;
    this.rtxToMedia.set(rtxSsrc, found.config.ssrc);
    return found.config.ssrc;
  }

  /**
   * One received RTP packet: returns the media packet to hand on (an RTX packet unwrapped into
   * its original stream), or undefined when it was dropped.
   */
  handleRtp(p: RtpPacket, size: number, now: number, rtt: number): RtpPacket | undefined {
    const id = this.opts.transportCcExtensionId;
    if (id !== undefined) {
      const ext = getRtpExtension(p, id);
      const seq = ext === undefined ? undefined : decodeTransportSequence(ext);
      if (seq !== undefined) {
        this.twcc.record(seq, now);
        this.pollTwcc(now);
      }
    }
    let packet = p;
    let retransmission = false;
    let stream = this.streams.get(p.ssrc);
    if (stream === undefined) {
      const apt = this.opts.rtxPayloadTypes.get(p.payloadType);
      if (apt !== undefined) {
        const media = this.mediaForRtx(p.ssrc, apt);
        const unwrapped = media === undefined ? undefined : unwrapRtx(p, media, apt);
        if (unwrapped === undefined) {
          this.drops.rtx++;
          return undefined;
        }
        packet = unwrapped;
        retransmission = true;
        stream = this.streams.get(media!)!;
      } else if (this.rtxToMedia.has(p.ssrc)) {
        // On a known RTX SSRC but not an RTX payload type: nothing to unwrap it with.
        this.drops.rtx++;
        return undefined;
      } else {
        const clockRate = this.opts.payloadClockRates.get(p.payloadType);
        if (clockRate === undefined) {
          this.drops.unknownSsrc++;
          return undefined;
        }
        if (this.streams.size >= this.opts.maxStreams) {
          this.drops.tooManyStreams++;
          return undefined;
        }
        this.addStream({ ssrc: p.ssrc, clockRate });
        stream = this.streams.get(p.ssrc)!;
      }
    }
    if (!retransmission) {
      stream.lastPayloadType = p.payloadType;
      this.lastMediaSsrc = p.ssrc;
    }
    const header = size - packet.payload.length - p.paddingLength;
    const verdict = stream.reception.update(
      packet.sequenceNumber,
      packet.timestamp,
      now,
      packet.payload.length,
      header,
      retransmission,
    );
    if (verdict === "bad") {
      this.drops.badSequence++;
      return undefined;
    }
    if (stream.nack !== undefined) {
      if (verdict === "restart") stream.nack.reset();
      if (retransmission) stream.nack.onRecovered(packet.sequenceNumber);
      else if (stream.nack.onPacket(packet.sequenceNumber, now) && stream.kind === "video") {
        this.requestKeyframe(stream.config.ssrc, stream.config.keyframeMethod ?? "pli", now, rtt);
      }
      const due = stream.nack.nextTimeout();
      if (due !== undefined && due <= now) this.sendNack(stream, now, rtt);
    }
    return packet;
  }

  private sendNack(stream: ReceiveStream, now: number, rtt: number): void {
    const lost = stream.nack!.collect(now, rtt);
    if (lost.length === 0) return;
    const items = nackItemsFromLost(lost);
    stream.nackCount++;
    this.out.queueFeedback({ type: "nack", senderSsrc: this.opts.localSsrc, mediaSsrc: stream.config.ssrc, items });
  }

  private pollTwcc(now: number): void {
    for (const fb of this.twcc.poll(now, this.opts.localSsrc, this.lastMediaSsrc)) this.out.queueFeedback(fb);
  }

  /** Asks the sender of `ssrc` for a keyframe (rate limited). Returns whether a request was queued. */
  requestKeyframe(ssrc: number, method: KeyframeMethod, now: number, rtt: number): boolean {
    const stream = this.streams.get(ssrc >>> 0);
    if (stream === undefined) return false;
    const r = this.keyframes.request(ssrc >>> 0, method, now, rtt);
    if (r === false) return false;
    if (method === "pli") {
      stream.pliCount++;
      this.out.queueFeedback({ type: "pli", senderSsrc: this.opts.localSsrc, mediaSsrc: ssrc >>> 0 });
    } else {
      stream.firCount++;
      this.out.queueFeedback({
        type: "fir",
        senderSsrc: this.opts.localSsrc,
        mediaSsrc: 0,
        entries: [{ ssrc: ssrc >>> 0, sequenceNumber: r as number }],
      });
    }
    return true;
  }

  handleTimeout(now: number, rtt: number): void {
    for (const s of this.streams.values()) {
      const due = s.nack?.nextTimeout();
      if (due !== undefined && due <= now) this.sendNack(s, now, rtt);
    }
    this.pollTwcc(now);
  }

  nextTimeout(): number | undefined {
    let t = this.twcc.nextTimeout() ?? Number.POSITIVE_INFINITY;
    for (const s of this.streams.values()) {
      const d = s.nack?.nextTimeout();
      if (d !== undefined && d < t) t = d;
    }
    return t === Number.POSITIVE_INFINITY ? undefined : t;
  }

  /** A sender report from a remote source: LSR bookkeeping and a sender-report event. */
  handleSenderReport(sr: SenderReport, now: number): void {
    const s = this.streams.get(sr.ssrc);
    if (s === undefined) return;
    s.reception.handleSenderReport(sr, now);
    s.remotePacketsSent = sr.packetCount;
    s.remoteOctetsSent = sr.octetCount;
    s.remoteTimestamp = msFromNtp(sr.ntpSeconds, sr.ntpFraction);
    s.senderReports++;
    s.lastSrAt = now;
    this.out.queueEvent({
      type: "sender-report",
      ssrc: sr.ssrc,
      ntpMs: s.remoteTimestamp,
      rtpTimestamp: sr.rtpTimestamp,
      packetCount: sr.packetCount,
      octetCount: sr.octetCount,
    });
  }

  /** Records an RRT we are sending (its compact NTP time), for handleDlrr to check echoes. */
  rrtSentAt(compact: number): void {
    this.rrtSent.add(compact);
  }

  /** A DLRR block answering our RRT: RTT as a receiver (RFC 3611 4.5). */
  handleDlrr(block: XrDlrr, nowNtpMs: number): void {
    for (const sb of block.subBlocks) {
      if (sb.ssrc !== this.opts.localSsrc >>> 0 || !this.rrtSent.has(sb.lastRr)) continue;
      const rtt = (compactNtpFromMs(nowNtpMs) - sb.lastRr - sb.delaySinceLastRr) >>> 0;
      if (rtt >= 0x80000000) continue;
      this.xrRtt = (rtt * 1000) / 65536;
      this.xrRttMeasurements++;
      this.xrRttTotal += this.xrRtt;
    }
  }

  /** Report blocks for every source heard from (advances their per-report state). */
  reportBlocks(now: number): ReportBlock[] {
    const out: ReportBlock[] = [];
    for (const s of this.streams.values()) if (s.reception.hasReceived) out.push(s.reception.reportBlock(now));
    return out;
  }

  stats(): InboundStats[] {
    const out: InboundStats[] = [];
    for (const s of this.streams.values()) {
      out.push({
        ...s.reception.counters(),
        nack: s.nack ? { ...s.nack.stats } : { requested: 0, recovered: 0, givenUp: 0, overflows: 0 },
        nackCount: s.nackCount,
        pliCount: s.pliCount,
        firCount: s.firCount,
        remotePacketsSent: s.remotePacketsSent,
        remoteOctetsSent: s.remoteOctetsSent,
        remoteTimestamp: s.remoteTimestamp,
        senderReportsReceived: s.senderReports,
        lastSenderReportAt: s.lastSrAt,
        receiverRttMs: this.xrRtt,
        receiverRttMeasurements: this.xrRttMeasurements,
        receiverRttTotalMs: this.xrRttTotal,
      });
    }
    return out;
  }

  twccStats(): TwccRecorderStats {
    return { ...this.twcc.stats };
  }
}
