// The synchronization and contributing sources heard on each receiving transceiver (webrtc-pc
// 5.3.4 RTCRtpSynchronizationSource / RTCRtpContributingSource): the SSRC of each media packet
// and the CSRC list a mixer put in it (RFC 3550 5.1), with the last RTP timestamp and time, and
// audio levels from the client-to-mixer extension for the SSRC (RFC 6464) and the mixer-to-client
// extension for the CSRCs (RFC 6465), as linear values 10^(-level/20) (127 = silence = 0).
// Entries older than 10 s are dropped on reading; each transceiver keeps at most MAX_SOURCES.
import { getRtpExtension, type RtpPacket } from "../rtp/index.js";

export const SSRC_AUDIO_LEVEL_URI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
export const CSRC_AUDIO_LEVEL_URI = "urn:ietf:params:rtp-hdrext:csrc-audio-level";

/** How long a source stays listed (webrtc-pc 5.3.4: 10 seconds). */
export const SOURCE_WINDOW_MS = 10_000;
/** Most sources kept per transceiver and kind (SSRC or CSRC); the oldest goes first. */
export const MAX_SOURCES = 64;

export interface HeardSource {
  source: number;
  /** `now` (core ms) of the last packet. */
  at: number;
  rtpTimestamp: number;
  /** Linear 0..1 (webrtc-pc audioLevel), when the packet carried a level. */
  audioLevel: number | undefined;
}

interface Heard {
  ssrcs: Map<number, HeardSource>;
  csrcs: Map<number, HeardSource>;
}

/** RFC 6464/6465 level in -dBov (0-127) to webrtc-pc's linear audioLevel; 127 is silence. */
export function audioLevelFromDbov(level: number): number {
  return level >= 127 ? 0 : 10 ** (-level / 20);
}

/** What the tracker needs of a transceiver. */
export interface SourceTransceiver {
  readonly id: number;
  negotiated: { extensions: Map<string, number> } | undefined;
}

export class SourceTracker {
  private readonly heard = new Map<number, Heard>();

  /** A media packet routed to a transceiver (RTX unwrapped). */
  onPacket(t: SourceTransceiver, p: RtpPacket, now: number): void {
    let h = this.heard.get(t.id);
    if (!h) {
      h = { ssrcs: new Map(), csrcs: new Map() };
      this.heard.set(t.id, h);
    }
    const ext = t.negotiated?.extensions;
    let level: number | undefined;
    let csrcLevels: Uint8Array | undefined;
    if (ext && p.extensionProfile >= 0) {
      const id = ext.get(SSRC_AUDIO_LEVEL_URI);
      const data = id !== undefined ? getRtpExtension(p, id) : undefined;
      if (data && data.length >= 1) level = audioLevelFromDbov(data[0]! & 0x7f);
      const cid = ext.get(CSRC_AUDIO_LEVEL_URI);
      if (cid !== undefined && p.csrcs.length > 0) csrcLevels = getRtpExtension(p, cid);
    }
    put(h.ssrcs, p.ssrc, p.timestamp, level, now);
    for (let i = 0; i < p.csrcs.length; i++) {
      // RFC 6465 3: one level byte per CSRC, in the CSRC list's order (the top bit is 0).
      const l = csrcLevels && i < csrcLevels.length ? audioLevelFromDbov(csrcLevels[i]! & 0x7f) : undefined;
      put(h.csrcs, p.csrcs[i]!, p.timestamp, l, now);
    }
  }

  /** Sources heard in the last 10 s, newest first. */
  synchronizationSources(id: number, now: number): HeardSource[] {
    return this.read(this.heard.get(id)?.ssrcs, now);
  }

  contributingSources(id: number, now: number): HeardSource[] {
    return this.read(this.heard.get(id)?.csrcs, now);
  }

  forget(id: number): void {
    this.heard.delete(id);
  }

  private read(m: Map<number, HeardSource> | undefined, now: number): HeardSource[] {
    if (!m) return [];
    const out: HeardSource[] = [];
    for (const [k, s] of m) {
      if (now - s.at > SOURCE_WINDOW_MS) m.delete(k);
      else out.push({ ...s });
    }
    return out.sort((a, b) => b.at - a.at);
  }
}

function put(
  m: Map<number, HeardSource>,
  source: number,
  rtpTimestamp: number,
  level: number | undefined,
  now: number,
) {
  const s = m.get(source);
  if (s) {
    // Updated in place (the per-packet path): no allocation.
    s.at = now;
    s.rtpTimestamp = rtpTimestamp;
    s.audioLevel = level;
    return;
  }
  if (m.size >= MAX_SOURCES) {
    // Full (rare): the least recently heard source goes.
    let oldest: HeardSource | undefined;
    for (const x of m.values()) if (!oldest || x.at < oldest.at) oldest = x;
    m.delete(oldest!.source);
  }
  m.set(source, { source, at: now, rtpTimestamp, audioLevel: level });
}
