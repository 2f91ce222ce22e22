// The RTCP report interval (RFC 3550 section 6.2 and 6.3.1, appendix A.7): the deterministic
// interval from the session bandwidth share, the member count and the average RTCP size, never
// below a minimum (WebRTC practice: 1 s for video, 5 s for audio; RFC 3550 6.2 allows a reduced
// minimum), halved for the first report, then randomised uniformly in [0.5, 1.5] times itself so
// that participants do not synchronise. Timer reconsideration and the e - 3/2 compensation
// (6.3.1) matter for large multicast groups only and are not applied to these point-to-point
// sessions.
import type { Random } from "../../random.js";

export interface RtcpIntervalInput {
  /** Minimum interval in ms (e.g. 1000 video, 5000 audio). */
  minIntervalMs: number;
  /** RTCP bandwidth in bytes per second (5% of the session bandwidth); undefined: minimum only. */
  rtcpBandwidth?: number;
  /** Session members (including us) and active senders. */
  members: number;
  senders: number;
  /** Whether we sent RTP since the last report. */
  weSent: boolean;
  /** Average compound RTCP packet size in bytes (including UDP/IP overhead per 6.2). */
  avgRtcpSize: number;
  /** True before the first report: the minimum is halved (6.2). */
  initial: boolean;
}

/** The deterministic interval Td in ms (A.7 rtcp_interval without the randomisation). */
export function deterministicInterval(x: RtcpIntervalInput): number {
  const tmin = x.initial ? x.minIntervalMs / 2 : x.minIntervalMs;
  if (x.rtcpBandwidth === undefined || x.rtcpBandwidth <= 0) return tmin;
  let n = Math.max(1, x.members);
  let bw = x.rtcpBandwidth;
  // Senders get a quarter of the RTCP bandwidth when they are at most a quarter of the members.
  if (x.senders > 0 && x.senders <= n * 0.25) {
    if (x.weSent) {
      bw *= 0.25;
      n = x.senders;
    } else {
      bw *= 0.75;
      n -= x.senders;
    }
  }
  return Math.max(tmin, ((x.avgRtcpSize * n) / bw) * 1000);
}

/** The randomised interval: Td times a uniform factor in [0.5, 1.5). */
export function rtcpInterval(x: RtcpIntervalInput, random: Random): number {
  return deterministicInterval(x) * (0.5 + random.float());
}

/** Updates the running average RTCP packet size (A.7: avg = 1/16 * size + 15/16 * avg). */
export function updateAvgRtcpSize(avg: number, packetSize: number): number {
  return packetSize / 16 + (avg * 15) / 16;
}
