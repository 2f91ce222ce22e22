// The shapes shared by the media session's parts (src/peer/media.ts, media-send.ts,
// media-chain.ts): a transceiver's state (RFC 8829 5.7/5.8: SSRCs, direction, negotiated
// parameters), the session's events and statistics, and the small rules they all use: which
// negotiated directions send or receive, and PLI versus FIR (RFC 4585 6.3.1, RFC 5104 4.3.1).
import type { RtpPacketizer } from "../media/codecs/index.js";
import type { ReceivedFrame } from "../media/frame.js";
import type { Random } from "../random.js";
import type { FeedbackStats } from "../rtp/feedback/index.js";
import type { RtpPacket } from "../rtp/index.js";
import type { Direction } from "../sdp/attributes.js";
import type { NegotiatedCodec, NegotiatedMedia } from "../sdp/media.js";
import type { SrtpProfile, SrtpStats } from "../srtp/index.js";
import type { DtmfEvent } from "./media-dtmf.js";
import type { DemuxDrops, ReceiveStreamStats } from "./media-receive.js";

export type MediaKind = "audio" | "video";

export interface MediaSessionOptions {
  random: Random;
  /** RTCP CNAME (RFC 7022: random per connection). */
  cname: string;
  /** NTP ms = now + ntpOffsetMs (see ntpOffsetFor in petrel/rtp/feedback). Default 0. */
  ntpOffsetMs?: number;
  /** Largest RTP payload (default 1100). */
  maxPayloadSize?: number;
}

export type MediaEvent =
  /** A frame assembled from a remote stream. */
  | { type: "frame"; transceiver: number; ssrc: number; frame: ReceivedFrame }
  /** A received media packet (RTX unwrapped, after SRTP), for transceivers with raw RTP enabled. */
  | { type: "rtp"; transceiver: number; packet: RtpPacket }
  /** The first packet of a remote stream on a transceiver. */
  | { type: "remote-stream"; transceiver: number; ssrc: number }
  /** The remote asked for a keyframe of what we send (PLI or FIR). */
  | { type: "keyframe-request"; transceiver: number }
  | { type: "bye"; transceiver: number; ssrc: number }
  /** DTMF (src/peer/media-dtmf.ts): the sender's tonechange, a received telephone event. */
  | DtmfEvent
  /** The bitrate an encoder should aim for (src/peer/media-pacer.ts): min(limit, REMB). */
  | { type: "target-bitrate"; transceiver: number; bitrate: number | undefined };

export interface TransceiverState {
  readonly id: number;
  readonly kind: MediaKind;
  mid: string | undefined;
  direction: Direction;
  /** The negotiated direction (undefined before the first negotiation). */
  currentDirection: Direction | undefined;
  stopped: boolean;
  /** Our SSRC (and RTX SSRC for video), fixed for the transceiver's life. */
  readonly ssrc: number;
  readonly rtxSsrc: number | undefined;
  negotiated: NegotiatedMedia | undefined;
  /** Emit `rtp` events for received packets. */
  rawRtp: boolean;
  /** The codec frames are sent with (first negotiated, or setSendCodec). */
  sendCodec: NegotiatedCodec | undefined;
  packetizer: RtpPacketizer | undefined;
  /** Frames and bytes handed to sendFrame. */
  framesSent: number;
  keyframesSent: number;
}

export interface MediaSessionStats {
  srtp: { send: SrtpStats | undefined; receive: SrtpStats | undefined; profile: SrtpProfile | undefined };
  feedback: FeedbackStats | undefined;
  demux: DemuxDrops;
  receive: ReceiveStreamStats[];
  dropped: { beforeKeys: number; srtp: number; srtcp: number; queue: number; malformed: number };
}

/** PLI unless only FIR was negotiated (RFC 4585 6.3.1, RFC 5104 4.3.1). */
export function keyframeMethod(c: NegotiatedCodec | undefined): "pli" | "fir" {
  return c && !c.feedback.includes("nack pli") && c.feedback.includes("ccm fir") ? "fir" : "pli";
}

/** The transceiver sends RTP in this negotiated direction. */
export const sends = (d: Direction | undefined): boolean => d === "sendrecv" || d === "sendonly";
/** The transceiver receives RTP in this negotiated direction. */
export const receives = (d: Direction | undefined): boolean => d === "sendrecv" || d === "recvonly";

/** A short-term persistent RTCP CNAME (RFC 7022 4.1): 96 random bits, base64 (16 characters). */
export function randomCname(random: Random): string {
  return Buffer.from(random.bytes(12)).toString("base64");
}

/** A new transceiver's state: nothing negotiated or sent yet. */
export function newTransceiverState(
  id: number,
  kind: MediaKind,
  direction: Direction,
  ssrc: number,
  rtxSsrc: number | undefined,
): TransceiverState {
  return {
    id,
    kind,
    mid: undefined,
    direction,
    currentDirection: undefined,
    stopped: false,
    ssrc,
    rtxSsrc,
    negotiated: undefined,
    rawRtp: false,
    sendCodec: undefined,
    packetizer: undefined,
    framesSent: 0,
    keyframesSent: 0,
  };
}
