// RtpPacketizer: turns encoded frames into RTP packets (RFC 3550 section 5.1) for one stream:
// sequence numbers and the timestamp offset start at random values (RFC 3550 5.1), the RTP
// timestamp is offset + media time in clock-rate ticks, and video frames carry the marker on
// their last packet (RFC 7741 4.1, RFC 9628 4.1, RFC 6184 5.1, AV1 RTP spec 7.1); audio sets it
// on the first packet of a talkspurt (RFC 3551 4.1) when asked.

import type { Random } from "../../random.js";
import type { RtpPacketInit } from "../../rtp/index.js";
import { codecError } from "./errors.js";
import type { CodecPayloader } from "./payload.js";

/** RTP header (12) + room for header extensions, the SRTP tag and TURN framing within 1200 bytes. */
export const DEFAULT_MAX_PAYLOAD_SIZE = 1100;

export interface RtpPacketizerOptions {
  payloader: CodecPayloader;
  payloadType: number;
  ssrc: number;
  /** Largest RTP payload in bytes (default 1100). */
  maxPayloadSize?: number;
  /** Where the random initial sequence number and timestamp offset come from. */
  random?: Random;
  /** First sequence number (default: random, or 0 without `random`). */
  sequenceNumber?: number;
  /** RTP timestamp of media time 0 (default: random, or 0 without `random`). */
  timestampOffset?: number;
}

export class RtpPacketizer {
  readonly payloader: CodecPayloader;
  readonly payloadType: number;
  readonly ssrc: number;
  readonly clockRate: number;
  maxPayloadSize: number;
  /** The sequence number the next packet will carry. */
  sequenceNumber: number;
  readonly timestampOffset: number;
  /** Packets and payload bytes produced so far. */
  packets: number;
  bytes: number;

  constructor(opts: RtpPacketizerOptions) {
    if (!Number.isInteger(opts.payloadType) || opts.payloadType < 0 || opts.payloadType > 127)
      throw codecError("ERR_CODEC_OPTIONS", "payloadType must be 0-127");
    const max = opts.maxPayloadSize ?? DEFAULT_MAX_PAYLOAD_SIZE;
    if (!Number.isInteger(max) || max < 16) throw codecError("ERR_CODEC_OPTIONS", "maxPayloadSize must be >= 16");
    this.payloader = opts.payloader;
    this.payloadType = opts.payloadType;
    this.ssrc = opts.ssrc >>> 0;
    this.clockRate = opts.payloader.clockRate;
    this.maxPayloadSize = max;
    this.sequenceNumber = (opts.sequenceNumber ?? (opts.random ? opts.random.u32() : 0)) & 0xffff;
    this.timestampOffset = (opts.timestampOffset ?? (opts.random ? opts.random.u32() : 0)) >>> 0;
    this.packets = 0;
    this.bytes = 0;
  }

  /** The RTP timestamp of media time `ticks` (clock-rate units since the stream began). */
  rtpTimestamp(ticks: number): number {
    return (this.timestampOffset + Math.round(ticks)) >>> 0;
  }

  /** Clock-rate ticks of `ms` milliseconds of media time. */
  ticksFromMs(ms: number): number {
    return Math.round((ms * this.clockRate) / 1000);
  }

  /**
   * Packetizes one frame captured at media time `ticks` (clock-rate units since the stream
   * began: audio sample count, or capture ms x 90 for video). Video: marker on the last packet.
   * Audio: marker only when `marker` is true (first packet after silence).
   */
  packetize(frame: Uint8Array, ticks: number, marker = false): RtpPacketInit[] {
    const payloads = this.payloader.payload(frame, this.maxPayloadSize);
    const timestamp = this.rtpTimestamp(ticks);
    const n = payloads.length;
    const out: RtpPacketInit[] = new Array(n);
    const video = this.payloader.video;
    for (let i = 0; i < n; i++) {
      const payload = payloads[i]!;
      out[i] = {
        marker: video ? i === n - 1 : marker && i === 0,
        payloadType: this.payloadType,
        sequenceNumber: this.sequenceNumber,
        timestamp,
        ssrc: this.ssrc,
        payload,
      };
      this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
      this.bytes += payload.length;
    }
    this.packets += n;
    return out;
  }
}
