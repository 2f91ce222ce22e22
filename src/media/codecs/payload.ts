// The two halves every codec implements: a payloader (one encoded frame -> RTP payloads within an
// MTU budget) and a depayloader (classify one RTP payload; rebuild a frame from the payloads of
// its packets). RtpPacketizer (packetizer.ts) and RtpDepacketizer (depacketizer.ts) add the RTP
// header fields, sequencing, reordering, loss and keyframe handling around them.

/** inspect() bit: this packet is certainly the first packet of a frame. */
export const PKT_START = 1;
/** inspect() bit: this packet is certainly not the first packet of a frame. */
export const PKT_NOT_START = 2;
/** inspect() bit: this packet is certainly the last packet of a frame (audio: every packet). */
export const PKT_END = 4;
/** inspect() result for a payload that can never be part of a valid frame. */
export const PKT_MALFORMED = -1;

export interface CodecPayloader {
  /** RTP clock rate (Hz). */
  readonly clockRate: number;
  /** Video codecs set the RTP marker on the last packet of a frame. */
  readonly video: boolean;
  /**
   * Splits one encoded frame into RTP payloads of at most `maxPayloadSize` bytes each (new
   * buffers). Throws a CodecError when the frame cannot be carried (empty, too large for a
   * codec that cannot fragment, or malformed where the format needs to look inside).
   */
  payload(frame: Uint8Array, maxPayloadSize: number): Uint8Array[];
}

/** A frame rebuilt from its packets' payloads. */
export interface AssembledFrame {
  data: Uint8Array;
  keyframe: boolean;
}

export interface CodecDepayloader {
  readonly clockRate: number;
  /** Video: after a loss, frames are held back until a keyframe (audio frames are independent). */
  readonly video: boolean;
  /** Classifies one payload: PKT_START / PKT_NOT_START / PKT_END bits, or PKT_MALFORMED. */
  inspect(payload: Uint8Array): number;
  /**
   * Rebuilds one frame from the payloads of its packets, in sequence order (`payloads[0..count)`).
   * Returns undefined when they do not form a valid frame. Never throws.
   */
  assemble(payloads: readonly Uint8Array[], count: number): AssembledFrame | undefined;
}

/**
 * The depayloader of audio formats that carry one whole frame per RTP payload (Opus, RFC 7587
 * 4.2; G.711, RFC 3551 4.5.14): every non-empty payload starts and ends a frame.
 */
export class WholeFrameDepayloader implements CodecDepayloader {
  readonly clockRate: number;
  readonly video: boolean;
  constructor(clockRate: number) {
    this.clockRate = clockRate;
    this.video = false;
  }
  inspect(payload: Uint8Array): number {
    return payload.length === 0 ? PKT_MALFORMED : PKT_START | PKT_END;
  }
  assemble(payloads: readonly Uint8Array[], count: number): AssembledFrame | undefined {
    if (count !== 1) return undefined;
    return { data: payloads[0]!, keyframe: true };
  }
}
