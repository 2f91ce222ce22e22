// DTMF for the media session, sans-IO: the RTCDTMFSender playout (webrtc-pc 7.2: one tone after
// another, `duration` then `interToneGap`, ',' pauses 2 s, a tonechange per step and '' at the
// end) and its telephone-event packets (RFC 4733 2.5.1: one packet every 50 ms with the event's
// start timestamp, the marker on the first, the duration so far; three packets with the E bit at
// the end; 16-bit durations that would overflow start a new segment, 2.5.1.3), sent in the audio
// stream's SSRC and sequence space (2.6.2) by src/peer/media.ts. Receiving: telephone-event
// packets are decoded and each event reported once (the repeated and end packets are the same
// event: same RTP timestamp; packets older than the last event, serial comparison, are ignored
// when within one event's span of it and the last event is under REMOTE_FORGET_MS old;
// later segments of a long event continue it, their span counted in the stream's clock).

import type { RtpPacket } from "../rtp/packet.js";
import { decodeTelephoneEvent, dtmfEventCode, dtmfTone, encodeTelephoneEvent } from "../rtp/telephone-event.js";
import type { NegotiatedCodec } from "../sdp/media.js";
import { PeerError } from "./errors.js";

/** What the DTMF core needs of a transceiver (src/peer/media.ts TransceiverState). */
export interface DtmfTransceiver {
  readonly id: number;
  readonly kind: "audio" | "video";
  stopped: boolean;
  currentDirection: string | undefined;
  negotiated: { codecs: NegotiatedCodec[] } | undefined;
  sendCodec: NegotiatedCodec | undefined;
}

export type DtmfEvent =
  /** The sender's playout moved to `tone` ('' when the tone buffer ran out). */
  | { type: "tonechange"; transceiver: number; tone: string }
  /** A telephone event received from the remote (reported once per event). */
  | { type: "dtmf"; transceiver: number; ssrc: number; tone: string; event: number; rtpTimestamp: number };

/** A telephone-event packet to send; media.ts adds SSRC, sequence number and extensions. */
export interface DtmfPacket {
  transceiver: number;
  payloadType: number;
  /** The event (segment) start in codec clock ticks of media time (media.ts adds the offset). */
  ticks: number;
  marker: boolean;
  payload: Uint8Array;
}

/** Packets of an event every 50 ms (RFC 4733 2.5.1.2 suggests 50 ms for DTMF). */
export const DTMF_PACKET_INTERVAL_MS = 50;
/** The E-bit packets are sent three times, this far apart (before the next tone: gap >= 30 ms). */
const END_SPACING_MS = 10;
/** The pause a ',' makes (webrtc-pc 7.2). */
export const DTMF_COMMA_PAUSE_MS = 2000;
/** DTMF tone volume in -dBm0 (RFC 4733 2.3.4; a typical level). */
const VOLUME = 10;
const MAX_QUEUE = 64;
const MAX_REMOTE = 64;
/** A remote SSRC's last event is forgotten after this long without telephone events. */
const REMOTE_FORGET_MS = 5000;

interface Tone {
  event: number;
  payloadType: number;
  /** The event codec's clock (durations). */
  clockRate: number;
  /** Stream ticks per event tick (the timestamp is in the audio stream's clock). */
  scale: number;
  startAt: number;
  endAt: number;
  startTicks: number;
  /** Ticks of the segments already closed (RFC 4733 2.5.1.3). */
  segmentOffset: number;
  nextPacketAt: number;
  first: boolean;
  endsSent: number;
}

interface SenderState {
  buffer: string;
  duration: number;
  gap: number;
  /** When the playout task runs next; undefined = not scheduled. */
  nextAt: number | undefined;
  tone: Tone | undefined;
}

const isTelephoneEvent = (c: NegotiatedCodec) => c.mimeType.toLowerCase() === "audio/telephone-event";

/**
 * Telephone-event payload types per negotiation, so that each received packet costs one lookup:
 * each with the most RTP timestamp ticks one segment of a long event can span (RFC 4733 2.5.1.3:
 * 0xFFFF event-clock ticks, in the audio stream's clock: an 8 kHz event beside 48 kHz Opus spans
 * six times as many stream ticks).
 */
const eventTypes = new WeakMap<object, Map<number, number>>();
function telephoneEventTypes(n: { codecs: NegotiatedCodec[] }): Map<number, number> {
  let m = eventTypes.get(n);
  if (!m) {
    m = new Map();
    let streamRate = 0;
    for (const c of n.codecs) if (!isTelephoneEvent(c) && c.clockRate > streamRate) streamRate = c.clockRate;
    for (const c of n.codecs) {
      if (!isTelephoneEvent(c)) continue;
      const scale = c.clockRate > 0 && streamRate > c.clockRate ? Math.ceil(streamRate / c.clockRate) : 1;
      m.set(c.payloadType, 0x10000 * scale);
    }
    eventTypes.set(n, m);
  }
  return m;
}
const sends = (d: string | undefined) => d === "sendrecv" || d === "sendonly";

/** The negotiated telephone-event payload type DTMF is sent with (telephoneEventCodec). */
export function telephoneEventPayloadType(t: DtmfTransceiver): number | undefined {
  return telephoneEventCodec(t)?.payloadType;
}

/**
 * The telephone-event codec to send with: the one at the send codec's clock rate (RFC 4733 2.6.2),
 * else the first one (Firefox offers only telephone-event/8000 beside Opus: durations then count
 * in the event's clock while the RTP timestamp stays the audio stream's).
 */
function telephoneEventCodec(t: DtmfTransceiver): NegotiatedCodec | undefined {
  const c = t.sendCodec;
  if (!c || t.kind !== "audio") return undefined;
  const events = t.negotiated?.codecs.filter(isTelephoneEvent) ?? [];
  return events.find((x) => x.clockRate === c.clockRate) ?? events[0];
}

/** Whether DTMF can be sent on the transceiver now ([[CanInsertDTMF]], webrtc-pc 7.2). */
export function canInsertDtmf(t: DtmfTransceiver): boolean {
  return !t.stopped && sends(t.currentDirection) && telephoneEventPayloadType(t) !== undefined;
}

export class MediaDtmf {
  private readonly lookup: (id: number) => DtmfTransceiver | undefined;
  private readonly senders = new Map<number, SenderState>();
  /** Media time of the last frame sent per transceiver: ticks at a `now`. */
  private readonly clock = new Map<number, { ticks: number; at: number }>();
  /** Per remote SSRC: the last event reported (RTP timestamp and code) and whether it ended. */
  private readonly remote = new Map<number, { timestamp: number; event: number; ended: boolean; at: number }>();
  private readonly packets: DtmfPacket[] = [];
  private readonly events: DtmfEvent[] = [];
  /** stale: telephone-event packets older than the SSRC's last event (ignored). */
  readonly stats = { packetsSent: 0, eventsReceived: 0, malformed: 0, stale: 0, queueDrops: 0 };

  constructor(lookup: (id: number) => DtmfTransceiver | undefined) {
    this.lookup = lookup;
  }

  /**
   * Replaces the tone buffer (webrtc-pc 7.2 insertDTMF steps 6-10; the W3C layer validates and
   * clamps first). Starts the playout at `now` unless one is scheduled.
   */
  insert(t: DtmfTransceiver, tones: string, duration: number, gap: number, now: number): void {
    if (!canInsertDtmf(t)) throw new PeerError("ERR_INVALID_STATE", "DTMF cannot be sent on this transceiver");
    for (const ch of tones) {
      if (ch !== "," && dtmfEventCode(ch) < 0) throw new PeerError("ERR_INVALID_ARGUMENT", `bad DTMF tone "${ch}"`);
    }
    let s = this.senders.get(t.id);
    if (!s) {
      s = { buffer: "", duration, gap, nextAt: undefined, tone: undefined };
      this.senders.set(t.id, s);
    }
    s.buffer = tones.toUpperCase();
    s.duration = duration;
    s.gap = gap;
    if (s.buffer !== "" && s.nextAt === undefined) s.nextAt = now;
  }

  /** How many remote SSRCs' last events are kept (at most 64). */
  get remoteSsrcCount(): number {
    return this.remote.size;
  }

  toneBuffer(id: number): string {
    return this.senders.get(id)?.buffer ?? "";
  }

  /** Media time of a frame just sent (for the events' RTP timestamps). */
  noteFrame(id: number, ticks: number, now: number): void {
    const c = this.clock.get(id);
    if (c) {
      c.ticks = ticks;
      c.at = now;
    } else this.clock.set(id, { ticks, at: now });
  }

  private mediaTicks(id: number, clockRate: number, now: number): number {
    const c = this.clock.get(id);
    if (!c) return Math.round((now * clockRate) / 1000);
    return c.ticks + Math.round(((now - c.at) * clockRate) / 1000);
  }

  /** Stops the playout of a transceiver (stopped, or no longer sending): no more events. */
  forget(id: number): void {
    this.senders.delete(id);
    this.clock.delete(id);
  }

  handleTimeout(now: number): void {
    for (const [id, s] of this.senders) {
      const t = this.lookup(id);
      if (!t || !canInsertDtmf(t)) {
        this.senders.delete(id);
        continue;
      }
      if (s.nextAt !== undefined && now >= s.nextAt) this.playout(t, s, now);
      const tone = s.tone;
      if (tone && now >= tone.nextPacketAt) this.sendTone(id, s, tone, now);
      if (s.nextAt === undefined && !s.tone) this.senders.delete(id);
    }
  }

  /** The playout task (webrtc-pc 7.2 insertDTMF step 10). */
  private playout(t: DtmfTransceiver, s: SenderState, now: number): void {
    if (s.buffer === "") {
      s.nextAt = undefined;
      this.queueEvent({ type: "tonechange", transceiver: t.id, tone: "" });
      return;
    }
    const ch = s.buffer[0]!;
    s.buffer = s.buffer.slice(1);
    if (ch === ",") {
      s.nextAt = now + DTMF_COMMA_PAUSE_MS;
      this.queueEvent({ type: "tonechange", transceiver: t.id, tone: "," });
      return;
    }
    const te = telephoneEventCodec(t)!;
    const pt = te.payloadType;
    const clockRate = te.clockRate;
    const streamRate = t.sendCodec!.clockRate;
    s.tone = {
      event: dtmfEventCode(ch),
      payloadType: pt,
      clockRate,
      scale: streamRate / clockRate,
      startAt: now,
      endAt: now + s.duration,
      startTicks: this.mediaTicks(t.id, streamRate, now),
      segmentOffset: 0,
      nextPacketAt: now,
      first: true,
      endsSent: 0,
    };
    s.nextAt = now + s.duration + s.gap;
    this.queueEvent({ type: "tonechange", transceiver: t.id, tone: ch });
  }

  private sendTone(id: number, s: SenderState, tone: Tone, now: number): void {
    const ticksOf = (ms: number) => Math.round((ms * tone.clockRate) / 1000);
    const total = ticksOf(tone.endAt - tone.startAt);
    if (tone.endsSent === 0 && now < tone.endAt) {
      // An interim packet: the duration up to the next update (RFC 4733 2.5.1.2).
      const elapsed = Math.min(total, ticksOf(now - tone.startAt + DTMF_PACKET_INTERVAL_MS));
      this.closeSegments(id, tone, elapsed);
      this.queuePacket(id, tone, false, elapsed - tone.segmentOffset);
      tone.nextPacketAt = Math.min(now + DTMF_PACKET_INTERVAL_MS, tone.endAt);
      return;
    }
    this.closeSegments(id, tone, total);
    this.queuePacket(id, tone, true, total - tone.segmentOffset);
    if (++tone.endsSent >= 3) s.tone = undefined;
    else tone.nextPacketAt = now + END_SPACING_MS;
  }

  /** Durations past 0xFFFF close the segment (E clear: the event goes on) and start a new one (RFC 4733 2.5.1.3). */
  private closeSegments(id: number, tone: Tone, elapsed: number): void {
    while (elapsed - tone.segmentOffset > 0xffff) {
      this.queuePacket(id, tone, false, 0xffff);
      tone.segmentOffset += 0xffff;
    }
  }

  private queuePacket(id: number, tone: Tone, end: boolean, duration: number): void {
    if (this.packets.length >= MAX_QUEUE) {
      this.stats.queueDrops++;
      return;
    }
    this.packets.push({
      transceiver: id,
      payloadType: tone.payloadType,
      ticks: tone.startTicks + Math.round(tone.segmentOffset * tone.scale),
      marker: tone.first,
      payload: encodeTelephoneEvent({ event: tone.event, end, volume: VOLUME, duration }),
    });
    tone.first = false;
    this.stats.packetsSent++;
  }

  nextTimeout(): number | undefined {
    let due: number | undefined;
    for (const s of this.senders.values()) {
      if (s.nextAt !== undefined && (due === undefined || s.nextAt < due)) due = s.nextAt;
      const p = s.tone?.nextPacketAt;
      if (p !== undefined && (due === undefined || p < due)) due = p;
    }
    return due;
  }

  pollPacket(): DtmfPacket | undefined {
    return this.packets.shift();
  }

  pollEvent(): DtmfEvent | undefined {
    return this.events.shift();
  }

  /**
   * A received media packet of a transceiver: true when it is telephone-event (consumed here and
   * reported once per event), false for anything else.
   */
  receive(t: DtmfTransceiver, p: RtpPacket, now: number): boolean {
    const n = t.negotiated;
    const span = n ? telephoneEventTypes(n).get(p.payloadType) : undefined;
    if (span === undefined) return false;
    const e = decodeTelephoneEvent(p.payload);
    if (!e) {
      this.stats.malformed++;
      return true;
    }
    let last = this.remote.get(p.ssrc);
    // Forgotten after a silence: a timestamp jump (or 2^31 ticks of quiet) is not mistaken for old.
    if (last && now - last.at > REMOTE_FORGET_MS) {
      this.remote.delete(p.ssrc);
      last = undefined;
    }
    if (last) last.at = now;
    if (last && last.timestamp === p.timestamp && last.event === e.event) {
      last.ended ||= e.end;
      return true;
    }
    // Older than the last event (serial comparison, RFC 3550 timestamps wrap) by at most one
    // event's span: a reordered or repeated packet of an event already reported. Further back is
    // a timestamp jump: a new event.
    const back = last ? (last.timestamp - p.timestamp) | 0 : 0;
    if (back > 0 && back <= span) {
      this.stats.stale++;
      return true;
    }
    // A later segment of a long event (RFC 4733 2.5.1.3): same event, no marker, not ended.
    const continued =
      last !== undefined &&
      !p.marker &&
      !last.ended &&
      last.event === e.event &&
      (p.timestamp - last.timestamp) >>> 0 <= span;
    if (last) {
      last.timestamp = p.timestamp;
      last.event = e.event;
      last.ended = e.end;
    } else {
      if (this.remote.size >= MAX_REMOTE) this.remote.delete(this.remote.keys().next().value!);
      this.remote.set(p.ssrc, { timestamp: p.timestamp, event: e.event, ended: e.end, at: now });
    }
    if (continued) return true;
    this.stats.eventsReceived++;
    this.queueEvent({
      type: "dtmf",
      transceiver: t.id,
      ssrc: p.ssrc,
      tone: dtmfTone(e.event) ?? "",
      event: e.event,
      rtpTimestamp: p.timestamp,
    });
    return true;
  }

  private queueEvent(e: DtmfEvent): void {
    if (this.events.length >= MAX_QUEUE) {
      this.events.shift();
      this.stats.queueDrops++;
    }
    this.events.push(e);
  }
}
