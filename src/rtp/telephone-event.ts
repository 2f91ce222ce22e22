// The RTP payload for named telephone events (RFC 4733 section 2.3): one 4-byte block
//   event (8) | E (1) | R (1) | volume (6) | duration (16)
// and the DTMF event codes 0-15 (RFC 4733 section 3.2, Table 7). A payload may carry several
// blocks (RFC 4733 2.5.1.5, redundancy); decodeTelephoneEvent reads the last one, which is the
// current event. Pure functions; the sending schedule lives in src/peer/media-dtmf.ts.

/** One telephone-event block. */
export interface TelephoneEvent {
  /** The event code (0-255); DTMF digits are 0-15. */
  event: number;
  /** The E bit: this packet ends the event. */
  end: boolean;
  /** Power level in -dBm0, 0-63 (DTMF tones); 0 for events without a level. */
  volume: number;
  /** Duration so far in RTP timestamp units (16 bits). */
  duration: number;
}

/** The size of one event block. */
export const TELEPHONE_EVENT_SIZE = 4;

const DTMF_CHARS = "0123456789*#ABCD";

/** The DTMF event code of a tone character (0-9, *, #, A-D; lowercase a-d too), or -1. */
export function dtmfEventCode(tone: string): number {
  return tone.length === 1 ? DTMF_CHARS.indexOf(tone.toUpperCase()) : -1;
}

/** The tone character of a DTMF event code 0-15, or undefined for other events. */
export function dtmfTone(event: number): string | undefined {
  return event >= 0 && event < 16 ? DTMF_CHARS[event] : undefined;
}

/** Writes one block at `offset`; returns the offset after it. */
export function writeTelephoneEvent(e: TelephoneEvent, out: Uint8Array, offset: number): number {
  out[offset] = e.event & 0xff;
  out[offset + 1] = (e.end ? 0x80 : 0) | (e.volume & 0x3f);
  out[offset + 2] = (e.duration >>> 8) & 0xff;
  out[offset + 3] = e.duration & 0xff;
  return offset + TELEPHONE_EVENT_SIZE;
}

/** A new 4-byte payload for one event. */
export function encodeTelephoneEvent(e: TelephoneEvent): Uint8Array {
  const out = new Uint8Array(TELEPHONE_EVENT_SIZE);
  writeTelephoneEvent(e, out, 0);
  return out;
}

/**
 * The event of a telephone-event payload (the last block when there are several), or undefined
 * when the payload is not a whole number of blocks (RFC 4733 2.3: R is ignored on receipt).
 */
export function decodeTelephoneEvent(payload: Uint8Array): TelephoneEvent | undefined {
  const n = payload.length;
  if (n < TELEPHONE_EVENT_SIZE || n % TELEPHONE_EVENT_SIZE !== 0) return undefined;
  const o = n - TELEPHONE_EVENT_SIZE;
  const b1 = payload[o + 1]!;
  return {
    event: payload[o]!,
    end: (b1 & 0x80) !== 0,
    volume: b1 & 0x3f,
    duration: (payload[o + 2]! << 8) | payload[o + 3]!,
  };
}
