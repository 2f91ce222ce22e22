// getStats() for media (webrtc-stats 3.2 RTCCodecStats, 3.3 RTCInboundRtpStreamStats, 3.5
// RTCOutboundRtpStreamStats, 3.4 RTCRemoteInboundRtpStreamStats, 3.6
// RTCRemoteOutboundRtpStreamStats from the remote's sender reports (RFC 3550 6.4.1), 3.7
// RTCMediaSourceStats) read from the media core (src/peer/media.ts: the feedback chain's counters, the depacketizers'
// frame counts, the transceivers' send counts).
import type { MediaSession } from "../peer/media.js";
import type { RedReceiveStats } from "../peer/media-red.js";
import { NTP_UNIX_OFFSET_MS } from "../rtp/feedback/ntp.js";
import type { MediaStreamTrack } from "./media-stream.js";
import type { RTCRtpTransceiver } from "./rtp-transceiver.js";
import type { RTCStats, RTCStatsReport } from "./stats.js";

export interface MediaStatsInput {
  media: MediaSession;
  transceivers: RTCRtpTransceiver[];
  timestamp: number;
  transportId: string;
  /** Milliseconds of the media core's clock at `timestamp` (for lastPacketReceivedTimestamp). */
  now: number;
}

/** Adds the media stats objects to a report. */
export function addMediaStats(report: RTCStatsReport, input: MediaStatsInput): void {
  const { media, timestamp, transportId } = input;
  const st = media.stats();
  const fb = st.feedback;
  const codecIds = new Map<string, string>();
  const codecId = (tid: number, pt: number): string | undefined => codecIds.get(`${tid}/${pt}`);
  const sources = new Map<MediaStreamTrack, string>();
  for (const t of input.transceivers) {
    const state = media.transceiver(t.transceiverId);
    for (const c of state.negotiated?.codecs ?? []) {
      const id = `CIT${transportId}_${c.payloadType}_${state.mid ?? t.transceiverId}`;
      codecIds.set(`${t.transceiverId}/${c.payloadType}`, id);
      const s: RTCStats = {
        id,
        type: "codec",
        timestamp,
        transportId,
        payloadType: c.payloadType,
        mimeType: c.mimeType,
        clockRate: c.clockRate,
      };
      if (c.channels !== undefined) s.channels = c.channels;
      if (c.sdpFmtpLine) s.sdpFmtpLine = c.sdpFmtpLine;
      report.set(id, s);
    }
    const track = t.sender.track;
    if (track && !sources.has(track)) {
      const id = `SO${t.transceiverId}`;
      sources.set(track, id);
      report.set(id, { id, type: "media-source", timestamp, trackIdentifier: track.id, kind: track.kind });
    }
  }
  for (const t of input.transceivers) {
    const state = media.transceiver(t.transceiverId);
    const out = fb?.outbound.find((o) => o.ssrc === state.ssrc);
    if (
      out &&
      (out.packetsSent > 0 || state.currentDirection === "sendrecv" || state.currentDirection === "sendonly")
    ) {
      const id = `OT${transportId}V${state.ssrc}`;
      const s: RTCStats = {
        id,
        type: "outbound-rtp",
        timestamp,
        ssrc: state.ssrc,
        kind: state.kind,
        transportId,
        mid: state.mid,
        packetsSent: out.packetsSent,
        bytesSent: out.payloadBytesSent,
        headerBytesSent: out.headerBytesSent,
        retransmittedPacketsSent: out.retransmittedPacketsSent,
        retransmittedBytesSent: out.retransmittedBytesSent,
        nackCount: out.nackCount,
        active: t.sender.isActive,
      };
      // The pacer's target: min(maxBitrate, remote b=TIAS/AS, REMB) (src/peer/media-pacer.ts).
      const target = media.pacer.target(t.transceiverId);
      if (target !== undefined) s.targetBitrate = target;
      if (state.rtxSsrc !== undefined) s.rtxSsrc = state.rtxSsrc;
      if (state.kind === "video") {
        s.pliCount = out.pliCount;
        s.firCount = out.firCount;
        s.framesEncoded = state.framesSent;
        s.framesSent = state.framesSent;
        s.keyFramesEncoded = state.keyframesSent;
      }
      const cid = state.sendCodec ? codecId(t.transceiverId, state.sendCodec.payloadType) : undefined;
      if (cid) s.codecId = cid;
      const src = t.sender.track ? sources.get(t.sender.track) : undefined;
      if (src) s.mediaSourceId = src;
      if (out.remote) {
        const rid = `RI${transportId}V${state.ssrc}`;
        s.remoteId = rid;
        const r = out.remote;
        const rs: RTCStats = {
          id: rid,
          type: "remote-inbound-rtp",
          timestamp,
          ssrc: state.ssrc,
          kind: state.kind,
          transportId,
          localId: id,
          packetsLost: r.packetsLost,
          fractionLost: r.fractionLost,
          jitter: r.jitter,
          roundTripTimeMeasurements: r.roundTripTimeMeasurements,
          totalRoundTripTime: r.totalRoundTripTimeMs / 1000,
        };
        if (r.roundTripTimeMs !== undefined) rs.roundTripTime = r.roundTripTimeMs / 1000;
        if (cid) rs.codecId = cid;
        report.set(rid, rs);
      }
      report.set(id, s);
    }
  }
  for (const r of st.receive) {
    const t = input.transceivers.find((x) => x.transceiverId === r.transceiver);
    if (!t) continue;
    const state = media.transceiver(t.transceiverId);
    const inb = fb?.inbound.find((x) => x.ssrc === r.ssrc);
    const id = `IT${transportId}V${r.ssrc}`;
    const d = r.depacketizer;
    const s: RTCStats = {
      id,
      type: "inbound-rtp",
      timestamp,
      ssrc: r.ssrc,
      kind: state.kind,
      transportId,
      mid: state.mid,
      trackIdentifier: t.receiver.track.id,
      packetsReceived: inb?.packetsReceived ?? r.packets,
      packetsLost: inb?.packetsLost ?? 0,
      jitter: inb?.jitter ?? 0,
      bytesReceived: inb?.payloadBytesReceived ?? r.bytes,
      headerBytesReceived: inb?.headerBytesReceived ?? 0,
      nackCount: inb?.nackCount ?? 0,
      retransmittedPacketsReceived: inb?.retransmittedPacketsReceived ?? 0,
    };
    if (inb?.lastPacketReceivedAt !== undefined) {
      s.lastPacketReceivedTimestamp = timestamp - (input.now - inb.lastPacketReceivedAt);
    }
    if (state.kind === "video") {
      s.pliCount = inb?.pliCount ?? 0;
      s.firCount = inb?.firCount ?? 0;
      s.framesReceived = d?.frames ?? 0;
      s.framesDecoded = d?.frames ?? 0;
      s.keyFramesDecoded = d?.keyframes ?? 0;
      s.framesDropped = d?.framesDropped ?? 0;
    }
    // RED (RFC 2198, src/peer/media-red.ts): redundancy counted as in-band FEC (webrtc-stats).
    const red = d as Partial<RedReceiveStats> | undefined;
    if (red?.fecPacketsReceived !== undefined) {
      s.fecPacketsReceived = red.fecPacketsReceived;
      s.fecPacketsDiscarded = red.fecPacketsDiscarded ?? 0;
    }
    const cid = codecId(t.transceiverId, r.payloadType);
    if (cid) s.codecId = cid;
    if (inb?.remoteTimestamp !== undefined && inb.lastSenderReportAt !== undefined) {
      // remote-outbound-rtp: what the remote's last SR says it sent, linked both ways.
      const rid = `RO${transportId}V${r.ssrc}`;
      s.remoteId = rid;
      const ro: RTCStats = {
        id: rid,
        type: "remote-outbound-rtp",
        // Remote stats are stamped when their report arrived (webrtc-stats 3.6).
        timestamp: timestamp - (input.now - inb.lastSenderReportAt),
        ssrc: r.ssrc,
        kind: state.kind,
        transportId,
        localId: id,
        packetsSent: inb.remotePacketsSent ?? 0,
        bytesSent: inb.remoteOctetsSent ?? 0,
        // The SR's NTP time (ms since 1900) on the Unix epoch, the remote's clock.
        remoteTimestamp: inb.remoteTimestamp - NTP_UNIX_OFFSET_MS,
        reportsSent: inb.senderReportsReceived,
      };
      // RTT as a receiver (XR DLRR): the latest, and the sum and count of all (webrtc-stats).
      if (inb.receiverRttMs !== undefined) ro.roundTripTime = inb.receiverRttMs / 1000;
      ro.totalRoundTripTime = inb.receiverRttTotalMs / 1000;
      ro.roundTripTimeMeasurements = inb.receiverRttMeasurements;
      if (cid) ro.codecId = cid;
      report.set(rid, ro);
    }
    report.set(id, s);
  }
}
