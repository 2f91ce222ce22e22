// Audio and video m-lines for JSEP offers and answers (RFC 8829 5.2.1, 5.3.1, 5.7/5.8 negotiated
// parameters): codec negotiation with RTX (RFC 4588 8.6, apt), H.264 profile and level matching
// (RFC 6184 8.2.2: profile and packetization-mode must match; the level is the lower one unless
// both sides allow level asymmetry), VP9 profile-id (RFC 9628 6), AV1 profile; rtcp-fb
// (RFC 4585 4.2, RFC 5104 7.1, goog-remb, transport-cc), header extensions (RFC 8285 6: the answer
// keeps the offerer's ids for the ones we support), rtcp-mux (RFC 5761, required), rtcp-rsize
// (RFC 5506), msid (RFC 8830), ssrc / ssrc-group FID (RFC 5576), telephone-event (RFC 4733 2.4.1),
// direction answered per RFC 8829 5.3.1 / RFC 3264 6.1, audio RED (RFC 2198 5: red/48000/2 with
// fmtp "<opus>/<opus>", answered only when every payload type it names is answered too; video
// red/ulpfec are never answered: we do no FEC). Pure functions; the media layer reads the
// result with negotiateMedia().

import { parseRedFmtp } from "../rtp/red.js";
import { type Direction, formatRtpmap, type RtcpFb } from "./attributes.js";
import { newMedia, type SdpMedia } from "./model.js";
import { type RtpCodec, type RtpSectionInfo, readRtpSection } from "./rtp.js";
import { type AnswerPreferences, type LocalTransport, type SectionBuilder, writeTransport } from "./sections.js";

/** A codec as the W3C API describes one (RTCRtpCodec), with the payload type we offer it on. */
export interface CodecSpec {
  /** "audio/opus", "video/VP8", "video/H264", ... */
  mimeType: string;
  clockRate: number;
  /** Audio channels (default 1; Opus is always 2 in SDP). */
  channels?: number;
  /** The a=fmtp parameters, e.g. "minptime=10;useinbandfec=1". */
  sdpFmtpLine?: string;
  /** The payload type in our offers (default: picked from the dynamic range). */
  payloadType?: number;
}

/** What a sending transceiver writes into its section. */
export interface SenderDescription {
  /** MediaStream ids (a=msid per stream, or "-" when none). */
  streamIds: string[];
  trackId: string;
  ssrc: number;
  /** The RTX SSRC (a=ssrc-group:FID ssrc rtxSsrc) for video. */
  rtxSsrc?: number;
  cname: string;
}

/** An audio or video m-line of a local offer. */
export interface MediaSectionConfig {
  kind: "audio" | "video";
  mid: string;
  /** The transceiver's direction. */
  direction: Direction;
  /** A stopped transceiver: offered with port 0 (RFC 8829 5.2.2). */
  stopped?: boolean;
  /** Codec preferences in order (default DEFAULT_AUDIO_CODECS / DEFAULT_VIDEO_CODECS). */
  codecs?: CodecSpec[];
  /** Offer RTX for video codecs (default true). */
  rtx?: boolean;
  /** Header extensions to offer (default the supported ones for the kind with Chrome's ids). */
  extensions?: { uri: string; id: number }[];
  /** Present when the transceiver has something to send. */
  sender?: SenderDescription;
}

/** How we answer one offered audio/video section. */
export interface MediaAnswerConfig {
  /** The transceiver's direction; the answer is its intersection with the offer's reverse. */
  direction: Direction;
  codecs?: CodecSpec[];
  rtx?: boolean;
  sender?: SenderDescription;
}

/**
 * Decides for each offered audio/video section (in m-line order) how to answer it, or undefined
 * to reject it. Without a policy (AnswerPreferences.media) media sections are rejected.
 */
export type MediaAnswerPolicy = (offered: RtpSectionInfo, mid: string | undefined) => MediaAnswerConfig | undefined;

export const MEDIA_PROTOCOL = "UDP/TLS/RTP/SAVPF";

export const EXT_URI = {
  mid: "urn:ietf:params:rtp-hdrext:sdes:mid",
  rid: "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
  repairedRid: "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
  absSendTime: "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
  transportWideCc: "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
  audioLevel: "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
} as const;

/** The header extensions we understand, per kind, with the ids Chrome uses in its offers. */
export const DEFAULT_EXTENSIONS: Readonly<Record<"audio" | "video", readonly { uri: string; id: number }[]>> = {
  audio: [
    { uri: EXT_URI.audioLevel, id: 1 },
    { uri: EXT_URI.absSendTime, id: 2 },
    { uri: EXT_URI.transportWideCc, id: 3 },
    { uri: EXT_URI.mid, id: 4 },
  ],
  video: [
    { uri: EXT_URI.absSendTime, id: 2 },
    { uri: EXT_URI.transportWideCc, id: 3 },
    { uri: EXT_URI.mid, id: 4 },
    { uri: EXT_URI.rid, id: 10 },
    { uri: EXT_URI.repairedRid, id: 11 },
  ],
};

export const DEFAULT_AUDIO_CODECS: readonly CodecSpec[] = [
  {
    mimeType: "audio/opus",
    clockRate: 48000,
    channels: 2,
    sdpFmtpLine: "minptime=10;useinbandfec=1",
    payloadType: 111,
  },
  // Opus redundancy (RFC 2198) after Opus as browsers list it, so a peer keeps sending plain Opus
  // unless RED is put first (setCodecPreferences). The fmtp names the Opus payload type we offer.
  { mimeType: "audio/red", clockRate: 48000, channels: 2, sdpFmtpLine: "111/111", payloadType: 63 },
  { mimeType: "audio/PCMU", clockRate: 8000, payloadType: 0 },
  { mimeType: "audio/PCMA", clockRate: 8000, payloadType: 8 },
  // DTMF (RFC 4733) at Opus's clock and at 8 kHz for G.711, on Chrome's payload types.
  { mimeType: "audio/telephone-event", clockRate: 48000, payloadType: 110 },
  { mimeType: "audio/telephone-event", clockRate: 8000, payloadType: 126 },
];

export const DEFAULT_VIDEO_CODECS: readonly CodecSpec[] = [
  { mimeType: "video/VP8", clockRate: 90000, payloadType: 96 },
  { mimeType: "video/VP9", clockRate: 90000, sdpFmtpLine: "profile-id=0", payloadType: 98 },
  {
    mimeType: "video/H264",
    clockRate: 90000,
    sdpFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
    payloadType: 102,
  },
  {
    mimeType: "video/H264",
    clockRate: 90000,
    sdpFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
    payloadType: 108,
  },
  { mimeType: "video/AV1", clockRate: 90000, payloadType: 45 },
];

/** The rtcp-fb values we honour, per kind. */
const VIDEO_FEEDBACK = ["goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"];
const AUDIO_FEEDBACK = ["transport-cc"];

function fbString(fb: RtcpFb): string {
  return fb.subtype === undefined ? fb.type : `${fb.type} ${fb.subtype}`;
}

function parseParams(line: string | undefined): Map<string, string> {
  const m = new Map<string, string>();
  if (!line) return m;
  for (const part of line.split(";")) {
    const t = part.trim();
    if (!t) continue;
    const eq = t.indexOf("=");
    if (eq < 0) m.set(t.toLowerCase(), "");
    else m.set(t.slice(0, eq).trim().toLowerCase(), t.slice(eq + 1).trim());
  }
  return m;
}

function lower(params: Map<string, string>): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of params) m.set(k.toLowerCase(), v);
  return m;
}

function codecName(mimeType: string): string {
  const slash = mimeType.indexOf("/");
  return slash >= 0 ? mimeType.slice(slash + 1) : mimeType;
}

// ---- H.264 profile-level-id (RFC 6184 8.1, Table 5) ----

export interface H264ProfileLevel {
  profile: string;
  /** level_idc, with level 1b as 9 (between 1.0 = 10 and 1.1 = 11). */
  level: number;
}

/** Classifies a profile-level-id (default "420010"); undefined for an unknown profile. */
export function parseH264ProfileLevelId(value: string | undefined): H264ProfileLevel | undefined {
  const v = value ?? "420010";
  if (!/^[0-9a-fA-F]{6}$/.test(v)) return undefined;
  const idc = Number.parseInt(v.slice(0, 2), 16);
  const iop = Number.parseInt(v.slice(2, 4), 16);
  let level = Number.parseInt(v.slice(4, 6), 16);
  const cs0 = (iop & 0x80) !== 0;
  const cs1 = (iop & 0x40) !== 0;
  const cs3 = (iop & 0x10) !== 0;
  let profile: string | undefined;
  if (idc === 0x42) profile = cs1 ? "constrained-baseline" : "baseline";
  else if (idc === 0x4d) profile = cs0 ? "constrained-baseline" : "main";
  else if (idc === 0x58) profile = cs0 && cs1 ? "constrained-baseline" : cs0 ? "baseline" : "extended";
  else if (idc === 0x64) profile = (iop & 0x0c) === 0x0c ? "constrained-high" : "high";
  else if (idc === 0x6e) profile = "high-10";
  else if (idc === 0x7a) profile = "high-422";
  else if (idc === 0xf4) profile = "high-444";
  if (profile === undefined) return undefined;
  if (level === 11 && cs3 && (idc === 0x42 || idc === 0x4d || idc === 0x58)) level = 9;
  return { profile, level };
}

function h264Params(p: Map<string, string>): { pl: H264ProfileLevel | undefined; mode: string; asym: boolean } {
  return {
    pl: parseH264ProfileLevelId(p.get("profile-level-id")),
    mode: p.get("packetization-mode") ?? "0",
    asym: p.get("level-asymmetry-allowed") === "1",
  };
}

/**
 * Whether an offered codec matches one of ours, and the fmtp line to answer it with (or "" for
 * none); undefined when it does not match.
 */
export function matchCodec(offered: RtpCodec, ours: CodecSpec): string | undefined {
  const name = offered.name ?? staticName(offered.payloadType);
  if (!name || name.toLowerCase() !== codecName(ours.mimeType).toLowerCase()) return undefined;
  const rate = offered.clockRate ?? staticRate(offered.payloadType);
  if (rate !== ours.clockRate) return undefined;
  const n = name.toLowerCase();
  if (n === "opus") {
    if ((offered.channels ?? 1) !== 2) return undefined;
  } else if ((offered.channels ?? 1) !== (ours.channels ?? 1)) return undefined;
  const theirs = lower(offered.parameters);
  const mine = parseParams(ours.sdpFmtpLine);
  switch (n) {
    case "h264": {
      const a = h264Params(theirs);
      const b = h264Params(mine);
      if (!a.pl || !b.pl || a.pl.profile !== b.pl.profile || a.mode !== b.mode) return undefined;
      const level = a.asym && b.asym ? b.pl.level : Math.min(a.pl.level, b.pl.level);
      const plid = (theirs.get("profile-level-id") ?? "420010").slice(0, 4).toLowerCase();
      const levelHex = (level === 9 ? 11 : level).toString(16).padStart(2, "0");
      const parts: string[] = [];
      if (a.asym) parts.push("level-asymmetry-allowed=1");
      parts.push(`packetization-mode=${a.mode}`);
      parts.push(`profile-level-id=${plid}${levelHex}`);
      return parts.join(";");
    }
    case "vp9": {
      if ((theirs.get("profile-id") ?? "0") !== (mine.get("profile-id") ?? "0")) return undefined;
      return theirs.has("profile-id") ? `profile-id=${theirs.get("profile-id")}` : "";
    }
    case "av1": {
      if ((theirs.get("profile") ?? "0") !== (mine.get("profile") ?? "0")) return undefined;
      return [...offered.parameters].map(([k, v]) => (v === "" ? k : `${k}=${v}`)).join(";");
    }
    case "opus":
      return ours.sdpFmtpLine ?? "";
    default:
      return ours.sdpFmtpLine ?? "";
  }
}

/**
 * RED (RFC 2198) is answered with the offerer's fmtp only when it names codecs answered too (it
 * is useless without them); a RED we cannot carry is removed from the picks.
 */
function answerRed(picks: { offered: RtpCodec; fmtp: string }[]): void {
  for (let i = picks.length - 1; i >= 0; i--) {
    const c = picks[i]!.offered;
    if (c.name?.toLowerCase() !== "red") continue;
    const line = [...c.parameters].map(([k, v]) => (v === "" ? k : `${k}=${v}`)).join(";");
    const pts = parseRedFmtp(line);
    const ok = pts?.every((pt) =>
      picks.some((p) => p.offered.payloadType === pt && p.offered.name?.toLowerCase() !== "red"),
    );
    if (ok) picks[i]!.fmtp = line;
    else picks.splice(i, 1);
  }
}

function staticName(pt: number): string | undefined {
  return pt === 0 ? "PCMU" : pt === 8 ? "PCMA" : pt === 9 ? "G722" : undefined;
}
function staticRate(pt: number): number | undefined {
  return pt === 0 || pt === 8 || pt === 9 ? 8000 : undefined;
}

/** Reverses a direction for the other side's point of view. */
export function reverseDirection(d: Direction): Direction {
  return d === "sendonly" ? "recvonly" : d === "recvonly" ? "sendonly" : d;
}

/** The answer's direction: what we want, limited by what the offer allows (RFC 8829 5.3.1). */
export function answerDirection(offered: Direction, ours: Direction): Direction {
  const offerSends = offered === "sendrecv" || offered === "sendonly";
  const offerRecvs = offered === "sendrecv" || offered === "recvonly";
  const send = offerRecvs && (ours === "sendrecv" || ours === "sendonly");
  const recv = offerSends && (ours === "sendrecv" || ours === "recvonly");
  return send && recv ? "sendrecv" : send ? "sendonly" : recv ? "recvonly" : "inactive";
}

function writeCodec(
  m: SdpMedia,
  pt: number,
  name: string,
  rate: number,
  channels: number | undefined,
  fmtp: string,
  fb: string[],
): void {
  m.formats.push(String(pt));
  const a = m.attributes;
  a.push({ key: "rtpmap", value: formatRtpmap({ payloadType: pt, encodingName: name, clockRate: rate, channels }) });
  for (const f of fb) a.push({ key: "rtcp-fb", value: `${pt} ${f}` });
  if (fmtp) a.push({ key: "fmtp", value: `${pt} ${fmtp}` });
}

function writeRtx(m: SdpMedia, rtxPt: number, apt: number, rate: number): void {
  m.formats.push(String(rtxPt));
  m.attributes.push({ key: "rtpmap", value: `${rtxPt} rtx/${rate}` });
  m.attributes.push({ key: "fmtp", value: `${rtxPt} apt=${apt}` });
}

/** a=ssrc-group:FID and a=ssrc cname/msid lines of a sending section (RFC 5576 4.1, 4.2). */
function writeSsrcs(m: SdpMedia, s: SenderDescription, withRtx: boolean): void {
  const a = m.attributes;
  const list = withRtx && s.rtxSsrc !== undefined ? [s.ssrc, s.rtxSsrc] : [s.ssrc];
  if (list.length === 2) a.push({ key: "ssrc-group", value: `FID ${list[0]} ${list[1]}` });
  const stream = s.streamIds[0] ?? "-";
  for (const ssrc of list) {
    a.push({ key: "ssrc", value: `${ssrc} cname:${s.cname}` });
    a.push({ key: "ssrc", value: `${ssrc} msid:${stream} ${s.trackId}` });
  }
}

/** a=msid lines (RFC 8830 2), one per stream, "-" for a track without a stream. */
function writeMsids(m: SdpMedia, s: SenderDescription): void {
  const streams = s.streamIds.length ? s.streamIds : ["-"];
  for (const id of streams) m.attributes.push({ key: "msid", value: `${id} ${s.trackId}` });
}

const sends = (d: Direction) => d === "sendrecv" || d === "sendonly";

/** An offered audio/video section. */
export function offerMediaSection(config: MediaSectionConfig, transport: LocalTransport): SdpMedia {
  const kind = config.kind;
  const m = newMedia(kind, 9, MEDIA_PROTOCOL, []);
  writeTransport(m, transport);
  if (config.stopped) m.port = 0;
  const a = m.attributes;
  a.push({ key: "mid", value: config.mid });
  for (const e of config.extensions ?? DEFAULT_EXTENSIONS[kind]) a.push({ key: "extmap", value: `${e.id} ${e.uri}` });
  a.push({ key: config.direction, value: undefined });
  const codecs = config.codecs ?? (kind === "audio" ? DEFAULT_AUDIO_CODECS : DEFAULT_VIDEO_CODECS);
  const used = new Set<number>();
  for (const c of codecs) if (c.payloadType !== undefined) used.add(c.payloadType);
  let nextPt = 96;
  const freePt = (): number => {
    while (used.has(nextPt) && nextPt < 128) nextPt++;
    if (nextPt >= 128) return -1;
    used.add(nextPt);
    return nextPt;
  };
  const mediaAttrsAt = a.length;
  for (const c of codecs) {
    const isRed = codecName(c.mimeType).toLowerCase() === "red";
    // RED carries Opus: offered (audio only) when Opus is, its fmtp naming Opus's payload type.
    const redOf = isRed ? codecs.find((x) => codecName(x.mimeType).toLowerCase() === "opus")?.payloadType : undefined;
    if (isRed && (kind !== "audio" || redOf === undefined)) continue;
    const pt = c.payloadType ?? freePt();
    if (pt < 0) break;
    used.add(pt);
    const fb = kind === "video" ? VIDEO_FEEDBACK : codecName(c.mimeType).toLowerCase() === "opus" ? AUDIO_FEEDBACK : [];
    const fmtp = isRed ? `${redOf}/${redOf}` : (c.sdpFmtpLine ?? "");
    writeCodec(m, pt, codecName(c.mimeType), c.clockRate, c.channels, fmtp, fb);
    if (kind === "video" && config.rtx !== false) {
      const rtxPt = pt + 1 < 128 && !used.has(pt + 1) ? pt + 1 : freePt();
      if (rtxPt >= 0) {
        used.add(rtxPt);
        writeRtx(m, rtxPt, pt, c.clockRate);
      }
    }
  }
  // Chrome's order: msid, rtcp-mux, rtcp-rsize before the codecs; ssrc lines at the end.
  const tail = a.splice(mediaAttrsAt);
  const sender = config.sender && sends(config.direction) ? config.sender : undefined;
  if (sender) writeMsids(m, sender);
  a.push({ key: "rtcp-mux", value: undefined });
  a.push({ key: "rtcp-rsize", value: undefined });
  a.push(...tail);
  if (sender) writeSsrcs(m, sender, kind === "video" && config.rtx !== false);
  return m;
}

/** True for an RTP profile we can answer (SRTP with feedback, RFC 5124; DTLS-SRTP per RFC 5764). */
function isSecureRtp(protocol: string): boolean {
  return protocol === "UDP/TLS/RTP/SAVPF" || protocol === "TCP/TLS/RTP/SAVPF" || protocol === "RTP/SAVPF";
}

/** Answers one offered audio/video section, or undefined to reject it. */
export function answerMediaSection(
  offered: SdpMedia,
  mid: string | undefined,
  transport: LocalTransport,
  config: MediaAnswerConfig,
): SdpMedia | undefined {
  const kind = offered.kind;
  if ((kind !== "audio" && kind !== "video") || !isSecureRtp(offered.protocol)) return undefined;
  const info = readRtpSection(offered);
  if (!info.rtcpMux) return undefined; // RFC 8829 5.1.3: we require rtcp-mux
  const ours = config.codecs ?? (kind === "audio" ? DEFAULT_AUDIO_CODECS : DEFAULT_VIDEO_CODECS);
  const rtxFor = new Map<number, RtpCodec>();
  for (const c of info.codecs) {
    if (c.name?.toLowerCase() !== "rtx") continue;
    const apt = Number(lower(c.parameters).get("apt"));
    if (Number.isInteger(apt) && !rtxFor.has(apt)) rtxFor.set(apt, c);
  }
  const supportedFb = kind === "video" ? VIDEO_FEEDBACK : AUDIO_FEEDBACK;
  const wildcard = info.wildcardFeedback.map(fbString);
  // Our preference order when codecs were given, else the offer's.
  const picks: { offered: RtpCodec; fmtp: string; rank: number }[] = [];
  for (const c of info.codecs) {
    if (c.name?.toLowerCase() === "rtx") continue;
    for (let i = 0; i < ours.length; i++) {
      const fmtp = matchCodec(c, ours[i]!);
      if (fmtp !== undefined) {
        picks.push({ offered: c, fmtp, rank: config.codecs ? i : picks.length });
        break;
      }
    }
  }
  answerRed(picks);
  if (picks.length === 0) return undefined;
  picks.sort((x, y) => x.rank - y.rank);
  const m = newMedia(kind, 9, offered.protocol, []);
  writeTransport(m, transport);
  const a = m.attributes;
  if (mid !== undefined) a.push({ key: "mid", value: mid });
  const supportedExt = DEFAULT_EXTENSIONS[kind].map((e) => e.uri);
  for (const e of info.extensions) {
    if (supportedExt.includes(e.uri) && e.direction !== "recvonly" && e.direction !== "inactive") {
      a.push({ key: "extmap", value: `${e.id} ${e.uri}` });
    }
  }
  const direction = answerDirection(info.direction, config.direction);
  a.push({ key: direction, value: undefined });
  const sender = config.sender && sends(direction) ? config.sender : undefined;
  if (sender) writeMsids(m, sender);
  a.push({ key: "rtcp-mux", value: undefined });
  if (info.rtcpRsize) a.push({ key: "rtcp-rsize", value: undefined });
  for (const p of picks) {
    const c = p.offered;
    const name = c.name ?? staticName(c.payloadType)!;
    const rate = c.clockRate ?? staticRate(c.payloadType)!;
    const fb: string[] = [];
    for (const f of [...c.feedback.map(fbString), ...wildcard]) {
      if (supportedFb.includes(f) && !fb.includes(f)) fb.push(f);
    }
    writeCodec(m, c.payloadType, name, rate, c.channels, p.fmtp, fb);
    const rtx = rtxFor.get(c.payloadType);
    if (rtx && kind === "video" && config.rtx !== false) writeRtx(m, rtx.payloadType, c.payloadType, rate);
  }
  if (sender) writeSsrcs(m, sender, kind === "video" && rtxFor.size > 0 && config.rtx !== false);
  return m;
}

/** The builder registered for "audio" and "video" in JSEP (src/sdp/jsep.ts). */
export const MEDIA_SECTION_BUILDER: SectionBuilder = {
  offer(config, transport) {
    if (config.kind !== "audio" && config.kind !== "video") throw new Error("not a media section config");
    return offerMediaSection(config, transport);
  },
  answer(offered, mid, transport, prefs: AnswerPreferences) {
    const policy = prefs.media;
    if (!policy) return undefined;
    const config = policy(readRtpSection(offered), mid);
    return config ? answerMediaSection(offered, mid, transport, config) : undefined;
  },
};

// ---- What was negotiated (RFC 8829 5.7 / 5.8), read by the media layer ----

export interface NegotiatedCodec {
  payloadType: number;
  mimeType: string;
  clockRate: number;
  channels: number | undefined;
  sdpFmtpLine: string;
  /** rtcp-fb values ("nack", "nack pli", "ccm fir", "transport-cc", "goog-remb"). */
  feedback: string[];
  /** The RTX payload type for this codec, when negotiated. */
  rtxPayloadType: number | undefined;
}

export interface RemoteSource {
  ssrc: number;
  rtxSsrc: number | undefined;
  cname: string | undefined;
}

export interface NegotiatedMedia {
  kind: "audio" | "video";
  mid: string | undefined;
  /** Our direction after the answer. */
  direction: Direction;
  /** In preference order (the answer's). */
  codecs: NegotiatedCodec[];
  /** Header extension URI -> id. */
  extensions: Map<string, number>;
  rtcpRsize: boolean;
  /** The remote's announced send streams (a=ssrc, FID groups). */
  remoteSources: RemoteSource[];
  /** The remote's msid: stream ids and track id. */
  remoteStreamIds: string[];
  remoteTrackId: string | undefined;
  /** The remote section's b=TIAS / b=AS (RFC 3890 6.2; AS in kbps), the lower, in bits/s. */
  remoteMaxBitrate: number | undefined;
}

/** The lower of b=TIAS (bits/s) and b=AS (kbit/s) of a section, in bits/s; undefined when neither. */
export function bandwidthLimit(bandwidths: readonly { type: string; value: number }[]): number | undefined {
  let limit: number | undefined;
  for (const b of bandwidths) {
    if (!(b.value > 0)) continue;
    const t = b.type.toUpperCase();
    const bps = t === "TIAS" ? b.value : t === "AS" ? b.value * 1000 : undefined;
    if (bps !== undefined && (limit === undefined || bps < limit)) limit = bps;
  }
  return limit;
}

/**
 * The negotiated parameters of one audio/video section from the local and remote sections of a
 * completed offer/answer. `localIsAnswer`: the local section is the answer.
 */
export function negotiateMedia(local: SdpMedia, remote: SdpMedia, localIsAnswer: boolean): NegotiatedMedia {
  const answer = readRtpSection(localIsAnswer ? local : remote);
  const theirs = readRtpSection(remote);
  const direction = localIsAnswer ? answer.direction : reverseDirection(answer.direction);
  const rtxByApt = new Map<number, number>();
  for (const c of answer.codecs) {
    if (c.name?.toLowerCase() !== "rtx") continue;
    const apt = Number(lower(c.parameters).get("apt"));
    if (Number.isInteger(apt)) rtxByApt.set(apt, c.payloadType);
  }
  const codecs: NegotiatedCodec[] = [];
  for (const c of answer.codecs) {
    const name = c.name ?? staticName(c.payloadType);
    if (!name || name.toLowerCase() === "rtx") continue;
    const fb = [...c.feedback.map(fbString), ...answer.wildcardFeedback.map(fbString)];
    codecs.push({
      payloadType: c.payloadType,
      mimeType: `${answer.kind}/${name}`,
      clockRate: c.clockRate ?? staticRate(c.payloadType) ?? 90000,
      channels: c.channels,
      sdpFmtpLine: [...c.parameters].map(([k, v]) => (v === "" ? k : `${k}=${v}`)).join(";"),
      feedback: [...new Set(fb)],
      rtxPayloadType: rtxByApt.get(c.payloadType),
    });
  }
  const extensions = new Map<string, number>();
  for (const e of answer.extensions) extensions.set(e.uri, e.id);
  const rtxOf = new Map<number, number>();
  const isRtx = new Set<number>();
  for (const g of theirs.ssrcGroups) {
    if (g.semantics === "FID" && g.ssrcs.length >= 2) {
      rtxOf.set(g.ssrcs[0]!, g.ssrcs[1]!);
      isRtx.add(g.ssrcs[1]!);
    }
  }
  const remoteSources: RemoteSource[] = [];
  for (const [ssrc, attrs] of theirs.ssrcs) {
    if (isRtx.has(ssrc)) continue;
    remoteSources.push({ ssrc, rtxSsrc: rtxOf.get(ssrc), cname: attrs.find((x) => x.attribute === "cname")?.value });
  }
  const msid = theirs.msids;
  return {
    kind: answer.kind === "audio" ? "audio" : "video",
    mid: answer.mid,
    direction,
    codecs,
    extensions,
    rtcpRsize: answer.rtcpRsize,
    remoteSources,
    remoteStreamIds: msid.map((x) => x.streamId).filter((x) => x !== "-"),
    remoteTrackId: msid[0]?.trackId,
    remoteMaxBitrate: bandwidthLimit(remote.bandwidths),
  };
}
