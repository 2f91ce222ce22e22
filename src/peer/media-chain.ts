// The RTP feedback chain of one BUNDLE transport kept in line with its transceivers: one RTCP
// session per transport (RFC 8843 9.3), rebuilt when the payload types, RTX mapping (RFC 4588 8.6),
// clock rates, transport-wide-cc extension id or reduced-size RTCP (RFC 5506) it was built with
// change; send streams (with RTX and NACK history for video, RFC 4585 6.2.1) and receive streams
// (NACK, and PLI or FIR per the negotiated feedback, RFC 4585 6.3.1 / RFC 5104 4.3.1) are added once.
import type { Random } from "../random.js";
import { RtpFeedbackChain } from "../rtp/feedback/index.js";
import { EXT_URI, type NegotiatedCodec } from "../sdp/media.js";
import { keyframeMethod, type TransceiverState } from "./media-types.js";

export class MediaFeedbackStreams {
  private readonly random: Random;
  private readonly cname: string;
  private readonly ntpOffset: number;
  chain: RtpFeedbackChain | undefined = undefined;
  /** What the chain was built with. */
  private key = "";
  /** The send streams added to the chain (SSRC -> "pt/rtxPt") and the receive SSRCs. */
  private sendStreams = new Map<number, string>();
  private receiveStreams = new Set<number>();

  constructor(random: Random, cname: string, ntpOffset: number) {
    this.random = random;
    this.cname = cname;
    this.ntpOffset = ntpOffset;
  }

  /** The chain for these transceivers: the current one, or a new one when its parameters changed. */
  update(transceivers: readonly TransceiverState[], newSsrc: () => number): RtpFeedbackChain {
    const rtx: Record<number, number> = {};
    const rates: Record<number, number> = {};
    let twcc: number | undefined;
    let rsize = true;
    for (const t of transceivers) {
      const n = t.negotiated;
      if (!n || t.stopped) continue;
      for (const c of n.codecs) {
        rates[c.payloadType] = c.clockRate;
        if (c.rtxPayloadType !== undefined) rtx[c.rtxPayloadType] = c.payloadType;
      }
      twcc ??= n.extensions.get(EXT_URI.transportWideCc);
      rsize &&= n.rtcpRsize;
    }
    const key = JSON.stringify([rtx, rates, twcc, rsize]);
    if (this.chain && key === this.key) return this.chain;
    const first = transceivers[0];
    this.chain = new RtpFeedbackChain({
      localSsrc: first ? first.ssrc : newSsrc(),
      cname: this.cname,
      random: this.random,
      ntpOffsetMs: this.ntpOffset,
      kind: transceivers.some((t) => t.kind === "video") ? "video" : "audio",
      reducedSize: rsize,
      transportCcExtensionId: twcc,
      rtxPayloadTypes: rtx,
      payloadClockRates: rates,
    });
    this.key = key;
    this.receiveStreams.clear();
    this.sendStreams.clear();
    return this.chain;
  }

  /** A sending transceiver's stream, (re)added when its codec or RTX payload type changed. */
  addSend(chain: RtpFeedbackChain, t: TransceiverState, c: NegotiatedCodec): void {
    const rtxPt = c.rtxPayloadType;
    const sendKey = `${c.payloadType}/${rtxPt}`;
    if (this.sendStreams.get(t.ssrc) === sendKey) return;
    chain.removeSendStream(t.ssrc);
    chain.addSendStream({
      ssrc: t.ssrc,
      clockRate: c.clockRate,
      rtx:
        rtxPt !== undefined && t.rtxSsrc !== undefined
          ? { ssrc: t.rtxSsrc, payloadTypes: new Map([[c.payloadType, rtxPt]]) }
          : undefined,
      nack: t.kind === "video",
    });
    this.sendStreams.set(t.ssrc, sendKey);
  }

  /** A transceiver not sending now (recvonly/inactive/stopped): its send stream leaves the chain. */
  removeSend(chain: RtpFeedbackChain, t: TransceiverState): void {
    if (this.sendStreams.delete(t.ssrc)) chain.removeSendStream(t.ssrc);
  }

  /** The remote sources a receiving transceiver's description announced (a=ssrc). */
  addReceive(chain: RtpFeedbackChain, t: TransceiverState): void {
    const n = t.negotiated;
    if (!n) return;
    const codec = n.codecs[0];
    for (const src of n.remoteSources) {
      if (this.receiveStreams.has(src.ssrc)) continue;
      this.receiveStreams.add(src.ssrc);
      chain.addReceiveStream({
        ssrc: src.ssrc,
        clockRate: codec?.clockRate ?? 90000,
        kind: t.kind,
        rtxSsrc: src.rtxSsrc,
        nack: codec?.feedback.includes("nack") ?? false,
        keyframeMethod: keyframeMethod(codec),
      });
    }
  }
}
