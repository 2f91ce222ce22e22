// An SRTP session: one set of master keys (one direction of a DTLS-SRTP association), with a
// context per SSRC created on demand (RFC 3711 section 3.2.3) and bounded by LRU eviction.
// Implements packet index determination and rollover counter tracking (RFC 3711 section 3.3.1
// and appendix A), replay protection (3.3.2), SRTCP indices with the E flag (3.4), and
// delegates the cryptography to the profile's transform (transform.ts, aes-gcm.ts).
// Unprotect never throws: it returns a reason and counts it.
import { readU16, readU32 } from "../bytes/index.js";
import { AesGcmTransform } from "./aes-gcm.js";
import { deriveSessionKeys, type SrtpSessionKeys } from "./kdf.js";
import { SrtpError, type SrtpProfile, type SrtpProfileParams, srtpProfileParams } from "./profiles.js";
import { REPLAY_DUPLICATE, REPLAY_OK, ReplayWindow } from "./replay.js";
import { AesCmHmacTransform, SRTCP_E_FLAG, type SrtpTransform } from "./transform.js";

export type UnprotectFailure =
  /** Shorter than a header plus tag, or not RTP/RTCP version 2, or a header running past the end. */
  | "too_short"
  /** The tag did not verify. */
  | "auth"
  /** An index already received (inside the replay window). */
  | "replay"
  /** An index older than the replay window, or before the first packet of the stream. */
  | "too_old"
  /** An SSRC without a context while `acceptUnknownSsrc` is false. */
  | "unknown_ssrc";

export type UnprotectResult = { ok: true; packet: Uint8Array } | { ok: false; reason: UnprotectFailure };

export interface SrtpSessionOptions {
  profile: SrtpProfile;
  /** Master key and salt (from srtpKeysFromExporter). Or give `sessionKeys` directly. */
  masterKey?: Uint8Array;
  masterSalt?: Uint8Array;
  sessionKeys?: SrtpSessionKeys;
  /** SRTP replay window in packets, a power of two >= 64 (default 1024). */
  replayWindow?: number;
  /** SRTCP replay window (default 128). */
  rtcpReplayWindow?: number;
  /**
   * Most SSRC contexts per direction (default 512). Receiving contexts beyond it evict the least
   * recently used; sending contexts are never evicted (that would reuse keystream): protect
   * refuses a new SSRC at the cap until removeStream() frees one.
   */
  maxStreams?: number;
  /** Create receiving contexts for SSRCs never seen (default true). */
  acceptUnknownSsrc?: boolean;
}

export interface SrtpStats {
  rtpProtected: number;
  rtpUnprotected: number;
  rtcpProtected: number;
  rtcpUnprotected: number;
  /**
   * Packets protect refused: not RTP/RTCP, an index before the stream's first, SRTCP index
   * exhausted, or a new SSRC beyond maxStreams.
   */
  protectRejected: number;
  /** Receiving contexts evicted to stay under maxStreams. */
  evicted: number;
  dropped: Record<UnprotectFailure, number>;
}

/** Per-SSRC state. For SRTP: ROC and highest sequence number s_l; for SRTCP: the index. */
class StreamContext {
  readonly ssrc: number;
  roc: number;
  /** RFC 3711 s_l: the highest sequence number seen (in the current ROC). */
  highestSeq: number;
  /** Last SRTCP index sent (outbound RTCP contexts). */
  rtcpIndex: number;
  replay: ReplayWindow | undefined;
  lastUsed: number;
  constructor(ssrc: number, replay: ReplayWindow | undefined) {
    this.ssrc = ssrc;
    this.roc = 0;
    this.highestSeq = -1;
    this.rtcpIndex = 0;
    this.replay = replay;
    this.lastUsed = 0;
  }
}

/** RFC 3711 appendix A: the ROC guessed for `seq` given the current ROC and s_l. May be -1. */
export function estimateRoc(roc: number, highestSeq: number, seq: number): number {
  if (highestSeq < 32768) return seq - highestSeq > 32768 ? roc - 1 : roc;
  return highestSeq - 32768 > seq ? roc + 1 : roc;
}

/** Length of an RTP header including CSRCs and the extension, or -1 if it runs past `limit`. */
export function rtpHeaderLength(p: Uint8Array, limit: number): number {
  if (limit < 12 || p[0]! >>> 6 !== 2) return -1;
  let n = 12 + (p[0]! & 0x0f) * 4;
  if (p[0]! & 0x10) {
    if (n + 4 > limit) return -1;
    n += 4 + readU16(p, n + 2) * 4;
  }
  return n > limit ? -1 : n;
}

export class SrtpSession {
  readonly profile: SrtpProfile;
  readonly params: SrtpProfileParams;
  readonly stats: SrtpStats;
  private readonly transform: SrtpTransform;
  private readonly replaySize: number;
  private readonly rtcpReplaySize: number;
  private readonly maxStreams: number;
  private readonly acceptUnknown: boolean;
  private readonly sendRtp: Map<number, StreamContext>;
  private readonly recvRtp: Map<number, StreamContext>;
  private readonly sendRtcp: Map<number, StreamContext>;
  private readonly recvRtcp: Map<number, StreamContext>;
  private tick: number;

  constructor(options: SrtpSessionOptions) {
    this.params = srtpProfileParams(options.profile);
    this.profile = options.profile;
    let keys = options.sessionKeys;
    if (!keys) {
      if (!options.masterKey || !options.masterSalt) {
        throw new SrtpError("ERR_SRTP_NO_KEYS", "SrtpSession needs masterKey and masterSalt, or sessionKeys");
      }
      keys = deriveSessionKeys(options.profile, options.masterKey, options.masterSalt);
    } else {
      checkSessionKeys(this.params, keys);
    }
    this.transform = this.params.aead
      ? new AesGcmTransform(this.params, keys)
      : new AesCmHmacTransform(this.params, keys);
    this.replaySize = options.replayWindow ?? 1024;
    this.rtcpReplaySize = options.rtcpReplayWindow ?? 128;
    // Validate the window sizes now rather than at the first packet.
    new ReplayWindow(this.replaySize);
    new ReplayWindow(this.rtcpReplaySize);
    this.maxStreams = options.maxStreams ?? 512;
    if (!Number.isInteger(this.maxStreams) || this.maxStreams < 1) {
      throw new SrtpError("ERR_SRTP_MAX_STREAMS", "maxStreams must be a positive integer");
    }
    this.acceptUnknown = options.acceptUnknownSsrc ?? true;
    this.sendRtp = new Map();
    this.recvRtp = new Map();
    this.sendRtcp = new Map();
    this.recvRtcp = new Map();
    this.tick = 0;
    this.stats = {
      rtpProtected: 0,
      rtpUnprotected: 0,
      rtcpProtected: 0,
      rtcpUnprotected: 0,
      protectRejected: 0,
      evicted: 0,
      dropped: { too_short: 0, auth: 0, replay: 0, too_old: 0, unknown_ssrc: 0 },
    };
  }

  /** Number of SSRC contexts held (all four directions together). */
  get streamCount(): number {
    return this.sendRtp.size + this.recvRtp.size + this.sendRtcp.size + this.recvRtcp.size;
  }

  /**
   * Declares a receiving SRTP stream and its current rollover counter, for a stream joined
   * mid-way (RFC 3711 3.3.1) or when `acceptUnknownSsrc` is false.
   */
  addReceiveStream(ssrc: number, roc = 0): void {
    const ctx = this.context(this.recvRtp, ssrc >>> 0, true);
    ctx.roc = roc >>> 0;
    ctx.highestSeq = -1;
  }

  /** The sender's rollover counter for an SSRC (0 when unknown). */
  sendRoc(ssrc: number): number {
    return this.sendRtp.get(ssrc >>> 0)?.roc ?? 0;
  }

  /** The receiver's rollover counter for an SSRC, or undefined when it has no context. */
  receiveRoc(ssrc: number): number | undefined {
    return this.recvRtp.get(ssrc >>> 0)?.roc;
  }

  /** Removes every context of an SSRC (after an RTCP BYE, say). */
  removeStream(ssrc: number): void {
    ssrc >>>= 0;
    this.sendRtp.delete(ssrc);
    this.recvRtp.delete(ssrc);
    this.sendRtcp.delete(ssrc);
    this.recvRtcp.delete(ssrc);
  }

  /** Protects an RTP packet: a new buffer, or undefined when it is not a valid RTP packet. */
  protectRtp(packet: Uint8Array): Uint8Array | undefined {
    const hl = rtpHeaderLength(packet, packet.length);
    if (hl < 0) {
      this.stats.protectRejected++;
      return undefined;
    }
    const ssrc = readU32(packet, 8);
    const seq = readU16(packet, 2);
    const ctx = this.sendContext(this.sendRtp, ssrc);
    if (ctx === undefined) {
      this.stats.protectRejected++;
      return undefined;
    }
    let roc = ctx.roc;
    if (ctx.highestSeq < 0) {
      ctx.highestSeq = seq;
    } else {
      roc = estimateRoc(ctx.roc, ctx.highestSeq, seq);
      if (roc < 0) {
        this.stats.protectRejected++;
        return undefined;
      }
      if (roc > ctx.roc) {
        ctx.roc = roc;
        ctx.highestSeq = seq;
      } else if (roc === ctx.roc && seq > ctx.highestSeq) {
        ctx.highestSeq = seq;
      }
    }
    this.stats.rtpProtected++;
    return this.transform.protectRtp(packet, hl, ssrc, roc, seq);
  }

  /** Verifies, replay-checks and decrypts an SRTP packet. Never throws. */
  unprotectRtp(packet: Uint8Array): UnprotectResult {
    const tag = this.transform.rtpTagLength;
    const hl = rtpHeaderLength(packet, packet.length - tag);
    if (hl < 0) return this.fail("too_short");
    const ssrc = readU32(packet, 8);
    const seq = readU16(packet, 2);
    let ctx = this.recvRtp.get(ssrc);
    let roc: number;
    if (ctx === undefined || ctx.highestSeq < 0) {
      if (ctx === undefined && !this.acceptUnknown) return this.fail("unknown_ssrc");
      roc = ctx === undefined ? 0 : ctx.roc;
    } else {
      roc = estimateRoc(ctx.roc, ctx.highestSeq, seq);
      if (roc < 0) return this.fail("too_old");
      const verdict = ctx.replay!.check(roc * 0x10000 + seq);
      if (verdict !== REPLAY_OK) return this.fail(verdict === REPLAY_DUPLICATE ? "replay" : "too_old");
    }
    const out = this.transform.unprotectRtp(packet, hl, ssrc, roc, seq);
    if (out === undefined) return this.fail("auth");
    // Authenticated: only now create or update the context (RFC 3711 3.3.1).
    if (ctx === undefined) ctx = this.context(this.recvRtp, ssrc, true);
    else ctx.lastUsed = ++this.tick;
    if (ctx.highestSeq < 0) {
      ctx.highestSeq = seq;
    } else if (roc > ctx.roc) {
      ctx.roc = roc;
      ctx.highestSeq = seq;
    } else if (roc === ctx.roc && seq > ctx.highestSeq) {
      ctx.highestSeq = seq;
    }
    ctx.replay!.accept(roc * 0x10000 + seq);
    this.stats.rtpUnprotected++;
    return { ok: true, packet: out };
  }

  /** Protects a (compound) RTCP packet with the next SRTCP index of its sender SSRC. */
  protectRtcp(packet: Uint8Array): Uint8Array | undefined {
    if (packet.length < 8 || packet[0]! >>> 6 !== 2) {
      this.stats.protectRejected++;
      return undefined;
    }
    const ssrc = readU32(packet, 4);
    const ctx = this.sendContext(this.sendRtcp, ssrc);
    if (ctx === undefined) {
      this.stats.protectRejected++;
      return undefined;
    }
    // The counter starts at zero and is incremented before use, so the first packet carries 1
    // (as libsrtp does; RFC 3711 3.4 only requires a start at zero and +1 per packet). It must
    // not wrap under one key (RFC 3711 9.2): at 2^31 - 1 the session refuses to protect more.
    if (ctx.rtcpIndex >= 0x7fffffff) {
      this.stats.protectRejected++;
      return undefined;
    }
    const index = ctx.rtcpIndex + 1;
    ctx.rtcpIndex = index;
    this.stats.rtcpProtected++;
    return this.transform.protectRtcp(packet, ssrc, index);
  }

  /** Verifies, replay-checks and decrypts an SRTCP packet. Never throws. */
  unprotectRtcp(packet: Uint8Array): UnprotectResult {
    const t = this.transform;
    const wordAt = packet.length - t.rtcpIndexFromEnd;
    if (packet.length < 8 + 4 + t.rtcpTagLength || packet[0]! >>> 6 !== 2) return this.fail("too_short");
    const ssrc = readU32(packet, 4);
    const word = readU32(packet, wordAt);
    const encrypted = (word & SRTCP_E_FLAG) !== 0;
    const index = word & 0x7fffffff;
    let ctx = this.recvRtcp.get(ssrc);
    if (ctx === undefined && !this.acceptUnknown && !this.recvRtp.has(ssrc)) return this.fail("unknown_ssrc");
    if (ctx !== undefined) {
      const verdict = ctx.replay!.check(index);
      if (verdict !== REPLAY_OK) return this.fail(verdict === REPLAY_DUPLICATE ? "replay" : "too_old");
    }
    const out = t.unprotectRtcp(packet, ssrc, index, encrypted);
    if (out === undefined) return this.fail("auth");
    if (ctx === undefined) ctx = this.context(this.recvRtcp, ssrc, true);
    else ctx.lastUsed = ++this.tick;
    ctx.replay!.accept(index);
    this.stats.rtcpUnprotected++;
    return { ok: true, packet: out };
  }

  private fail(reason: UnprotectFailure): UnprotectResult {
    this.stats.dropped[reason]++;
    return { ok: false, reason };
  }

  /** Gets or creates a context, evicting the least recently used one at the cap. */
  private context(map: Map<number, StreamContext>, ssrc: number, receiving: boolean): StreamContext {
    let ctx = map.get(ssrc);
    if (ctx === undefined) {
      if (map.size >= this.maxStreams) this.evictOldest(map);
      const isRtcp = map === this.recvRtcp || map === this.sendRtcp;
      const replay = receiving ? new ReplayWindow(isRtcp ? this.rtcpReplaySize : this.replaySize) : undefined;
      ctx = new StreamContext(ssrc, replay);
      map.set(ssrc, ctx);
    }
    ctx.lastUsed = ++this.tick;
    return ctx;
  }

  /**
   * A sending context, or undefined at the cap. Sending contexts are never evicted: a context
   * created again would restart its ROC or SRTCP index and reuse keystream (RFC 3711 9.1).
   */
  private sendContext(map: Map<number, StreamContext>, ssrc: number): StreamContext | undefined {
    const ctx = map.get(ssrc);
    if (ctx === undefined && map.size >= this.maxStreams) return undefined;
    return this.context(map, ssrc, false);
  }

  private evictOldest(map: Map<number, StreamContext>): void {
    let oldest: StreamContext | undefined;
    for (const c of map.values()) if (oldest === undefined || c.lastUsed < oldest.lastUsed) oldest = c;
    if (oldest !== undefined) {
      map.delete(oldest.ssrc);
      this.stats.evicted++;
    }
  }
}

function checkSessionKeys(p: SrtpProfileParams, k: SrtpSessionKeys): void {
  const ok =
    k.rtpKey.length === p.keyLength &&
    k.rtcpKey.length === p.keyLength &&
    k.rtpSalt.length === p.saltLength &&
    k.rtcpSalt.length === p.saltLength &&
    k.rtpAuthKey.length === p.authKeyLength &&
    k.rtcpAuthKey.length === p.authKeyLength;
  if (!ok) throw new SrtpError("ERR_SRTP_KEY_LENGTH", `session keys do not match ${p.name}`);
}
