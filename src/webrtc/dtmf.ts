// RTCDTMFSender and RTCDTMFToneChangeEvent (webrtc-pc section 7): a thin handle over the media
// core's DTMF playout (src/peer/media-dtmf.ts, RFC 4733 telephone-event packets in the audio
// stream). insertDTMF validates and clamps (7.2: duration 40-6000 ms, interToneGap 30-6000 ms,
// tones 0-9 A-D # * and ','), the tone buffer lives in the core, and `tonechange` is dispatched
// as a task on the connection's event queue (src/webrtc/announcer.ts: ordered with its other
// events, none after close()) for each tone the core starts ('' when the buffer runs out).
// Received telephone events are offered to petrel/nonstandard's onDtmf(receiver, listener)
// (DtmfListeners), through the same queue. A sender whose track is RTP-fed (createRtpTrack)
// cannot insert DTMF: the caller owns that stream's sequence numbers, which telephone-event
// packets would have to share (RFC 4733 2.6.2), so canInsertDTMF is false and insertDTMF throws
// InvalidStateError.
import { canInsertDtmf } from "../peer/media-dtmf.js";
import { dtmfEventCode } from "../rtp/telephone-event.js";
import { domError, invalidState } from "./errors.js";
import { defineEventHandlers } from "./events.js";
import { type MediaHost, runTask } from "./rtp-transceiver.js";

export class RTCDTMFToneChangeEvent extends Event {
  readonly tone: string;
  constructor(type: string, init: EventInit & { tone?: string } = {}) {
    super(type, init);
    this.tone = init.tone ?? "";
  }
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** webrtc-pc 7.2 insertDTMF clamps, in ms. */
export const DTMF_DURATION = { min: 40, max: 6000, default: 100 } as const;
export const DTMF_GAP = { min: 30, max: 6000, default: 70 } as const;

export class RTCDTMFSender extends EventTarget {
  declare ontonechange: ((this: RTCDTMFSender, ev: RTCDTMFToneChangeEvent) => unknown) | null;
  private readonly host: MediaHost;
  private readonly id: number;
  private readonly rtpFed: () => boolean;

  /** Petrel-internal: made by an audio RTCRtpSender; `rtpFed`: its track is fed RTP packets. */
  constructor(host: MediaHost, transceiverId: number, rtpFed: () => boolean = () => false) {
    super();
    this.host = host;
    this.id = transceiverId;
    this.rtpFed = rtpFed;
  }

  /**
   * [[CanInsertDTMF]]: sending audio with telephone-event negotiated (at the codec's clock rate,
   * else any), from a frame-fed track (not an RTP-fed one: its sequence numbers are the caller's).
   */
  get canInsertDTMF(): boolean {
    if (this.host.isClosed || this.rtpFed()) return false;
    return canInsertDtmf(this.host.media.transceiver(this.id));
  }

  /** The tones still to be played. */
  get toneBuffer(): string {
    return this.host.media.dtmf.toneBuffer(this.id);
  }

  /** webrtc-pc 7.2 insertDTMF(tones, duration = 100, interToneGap = 70). */
  insertDTMF(tones: string, duration: number = DTMF_DURATION.default, interToneGap: number = DTMF_GAP.default): void {
    const t = this.host.media.transceiver(this.id);
    if (this.host.isClosed || t.stopped) throw invalidState("the transceiver is stopped");
    if (t.currentDirection !== "sendrecv" && t.currentDirection !== "sendonly")
      throw invalidState("the transceiver is not sending");
    if (!canInsertDtmf(t)) throw invalidState("telephone-event was not negotiated");
    if (this.rtpFed()) throw invalidState("the track is RTP-fed: its sequence numbers are the caller's (no DTMF)");
    const text = String(tones).toUpperCase();
    for (const ch of text) {
      if (ch !== "," && dtmfEventCode(ch) < 0) {
        throw new DOMException(`"${ch}" is not a DTMF tone`, "InvalidCharacterError");
      }
    }
    const d = clamp(Math.trunc(Number(duration)) || 0, DTMF_DURATION.min, DTMF_DURATION.max);
    const g = clamp(Math.trunc(Number(interToneGap)) || 0, DTMF_GAP.min, DTMF_GAP.max);
    try {
      this.host.media.dtmf.insert(t, text, d, g, this.host.now());
    } catch (e) {
      throw domError("InvalidStateError", (e as Error).message);
    }
    this.host.kick();
  }

  /** Petrel-internal: the core moved to `tone`; fired as a task on the connection's queue. */
  toneChanged(tone: string): void {
    runTask(this.host, () => this.dispatchEvent(new RTCDTMFToneChangeEvent("tonechange", { tone })));
  }
}
defineEventHandlers(RTCDTMFSender.prototype, ["tonechange"]);

/** A telephone event received on an RTCRtpReceiver (petrel/nonstandard onDtmf). */
export interface ReceivedDtmf {
  /** "0"-"9", "*", "#", "A"-"D"; "" for a non-DTMF event code. */
  tone: string;
  /** The RFC 4733 event code. */
  event: number;
  ssrc: number;
  /** The event's RTP timestamp (its start). */
  rtpTimestamp: number;
}

/** Listeners of one receiver's telephone events. */
export class DtmfListeners {
  private readonly listeners = new Set<(d: ReceivedDtmf) => void>();
  private readonly schedule: (fn: () => void) => void;
  /** `schedule` queues a task (the connection's event queue). */
  constructor(schedule: (fn: () => void) => void = setImmediate) {
    this.schedule = schedule;
  }
  add(fn: (d: ReceivedDtmf) => void): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }
  /** Calls the listeners as a task (never from inside a core drain). */
  emit(d: ReceivedDtmf): void {
    if (this.listeners.size === 0) return;
    this.schedule(() => {
      for (const fn of [...this.listeners]) fn(d);
    });
  }
}
