// SDP text to the structured model (RFC 8866 section 5; line order per section 5 and 9).
// Never throws on bad input: returns { ok: false, reason, line } (1-based line number) so the
// W3C layer can reject setRemoteDescription with an RTCError "sdp-syntax-error" and sdpLineNumber.
// Accepts CRLF or bare LF line endings and skips blank lines; attribute values are kept verbatim.
import {
  newMedia,
  newSession,
  type SdpAttribute,
  type SdpBandwidth,
  type SdpConnection,
  type SdpMedia,
  type SdpOrigin,
  type SessionDescription,
} from "./model.js";

export type SdpParseResult = { ok: true; sdp: SessionDescription } | { ok: false; reason: string; line: number };

export interface SdpParseOptions {
  /** Longest accepted text in characters (default 1 MiB): signaling input is untrusted. */
  maxLength?: number;
  /** Most media sections accepted (default 1024). */
  maxMediaSections?: number;
}

const DEFAULT_MAX_LENGTH = 1 << 20;
const DEFAULT_MAX_MEDIA = 1024;
const DIGITS = /^[0-9]+$/;
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;
/** Line types allowed at session level and in media sections (RFC 8866 section 5). */
const SESSION_TYPES = "vosiuepcbtrzka";
const MEDIA_TYPES = "icbka";

class Failure {
  constructor(
    readonly reason: string,
    readonly line: number,
  ) {}
}

/** Parses SDP text. The result carries either the description or the reason it was rejected. */
export function parseSdp(text: string, options: SdpParseOptions = {}): SdpParseResult {
  if (typeof text !== "string") return { ok: false, reason: "SDP is not a string", line: 0 };
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  const maxMedia = options.maxMediaSections ?? DEFAULT_MAX_MEDIA;
  if (text.length > maxLength) return { ok: false, reason: `SDP longer than ${maxLength} characters`, line: 0 };
  const r = parseLines(text, maxMedia);
  if (r instanceof Failure) return { ok: false, reason: r.reason, line: r.line };
  return { ok: true, sdp: r };
}

function parseLines(text: string, maxMedia: number): SessionDescription | Failure {
  let session: SessionDescription | undefined;
  let media: SdpMedia | undefined;
  let lineNo = 0;
  let sawTiming = false;
  let expect = "v"; // the first three lines are fixed: v, o, s
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = text.length;
    let line = text.slice(pos, end);
    pos = end + 1;
    lineNo++;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line.length === 0) continue;
    if (line.length < 2 || line.charCodeAt(1) !== 61 /* = */)
      return new Failure(`malformed line "${clip(line)}"`, lineNo);
    if (line.includes("\r") || line.includes("\0")) return new Failure("stray CR or NUL inside a line", lineNo);
    const type = line[0]!;
    const value = line.slice(2);
    if (expect !== "") {
      if (type !== expect) return new Failure(`expected "${expect}=" line, got "${type}="`, lineNo);
      if (type === "v") {
        if (value !== "0") return new Failure(`unsupported SDP version "${clip(value)}"`, lineNo);
        expect = "o";
        continue;
      }
      if (type === "o") {
        const origin = parseOrigin(value);
        if (!origin) return new Failure(`malformed origin "${clip(value)}"`, lineNo);
        session = newSession(origin);
        session.timings = []; // from the t= lines (s= comes next)
        expect = "s";
        continue;
      }
      session!.sessionName = value;
      expect = "";
      continue;
    }
    const s = session!;
    if (media === undefined && type !== "m") {
      if (!SESSION_TYPES.includes(type)) return new Failure(`unknown line type "${type}="`, lineNo);
      switch (type) {
        case "v":
        case "o":
        case "s":
          return new Failure(`duplicate "${type}=" line`, lineNo);
        case "i":
          if (s.information !== undefined) return new Failure('duplicate "i=" line', lineNo);
          s.information = value;
          break;
        case "u":
          if (s.uri !== undefined) return new Failure('duplicate "u=" line', lineNo);
          s.uri = value;
          break;
        case "e":
          s.emails.push(value);
          break;
        case "p":
          s.phones.push(value);
          break;
        case "c": {
          if (s.connection) return new Failure('duplicate session "c=" line', lineNo);
          const c = parseConnection(value);
          if (!c) return new Failure(`malformed connection "${clip(value)}"`, lineNo);
          s.connection = c;
          break;
        }
        case "b": {
          const b = parseBandwidth(value);
          if (!b) return new Failure(`malformed bandwidth "${clip(value)}"`, lineNo);
          s.bandwidths.push(b);
          break;
        }
        case "t": {
          const parts = value.split(" ");
          if (parts.length !== 2 || !DIGITS.test(parts[0]!) || !DIGITS.test(parts[1]!))
            return new Failure(`malformed timing "${clip(value)}"`, lineNo);
          s.timings.push({ start: parts[0]!, stop: parts[1]!, repeats: [] });
          sawTiming = true;
          break;
        }
        case "r": {
          const t = s.timings[s.timings.length - 1];
          if (!t) return new Failure('"r=" line without a preceding "t=" line', lineNo);
          t.repeats.push(value);
          break;
        }
        case "z":
          if (s.zone !== undefined) return new Failure('duplicate "z=" line', lineNo);
          s.zone = value;
          break;
        case "k":
          if (s.key !== undefined) return new Failure('duplicate "k=" line', lineNo);
          s.key = value;
          break;
        case "a": {
          const a = parseAttribute(value);
          if (!a) return new Failure(`malformed attribute "${clip(value)}"`, lineNo);
          s.attributes.push(a);
          break;
        }
      }
      continue;
    }
    if (type === "m") {
      if (!sawTiming) return new Failure('missing "t=" line before the first media section', lineNo);
      if (s.media.length >= maxMedia) return new Failure(`more than ${maxMedia} media sections`, lineNo);
      const m = parseMediaLine(value);
      if (!m) return new Failure(`malformed media line "${clip(value)}"`, lineNo);
      s.media.push(m);
      media = m;
      continue;
    }
    const sec = media as SdpMedia;
    if (!MEDIA_TYPES.includes(type)) {
      if (SESSION_TYPES.includes(type)) return new Failure(`"${type}=" line not allowed in a media section`, lineNo);
      return new Failure(`unknown line type "${type}="`, lineNo);
    }
    switch (type) {
      case "i":
        if (sec.title !== undefined) return new Failure('duplicate "i=" line in media section', lineNo);
        sec.title = value;
        break;
      case "c": {
        if (sec.connection) return new Failure('duplicate "c=" line in media section', lineNo);
        const c = parseConnection(value);
        if (!c) return new Failure(`malformed connection "${clip(value)}"`, lineNo);
        sec.connection = c;
        break;
      }
      case "b": {
        const b = parseBandwidth(value);
        if (!b) return new Failure(`malformed bandwidth "${clip(value)}"`, lineNo);
        sec.bandwidths.push(b);
        break;
      }
      case "k":
        if (sec.key !== undefined) return new Failure('duplicate "k=" line in media section', lineNo);
        sec.key = value;
        break;
      case "a": {
        const a = parseAttribute(value);
        if (!a) return new Failure(`malformed attribute "${clip(value)}"`, lineNo);
        sec.attributes.push(a);
        break;
      }
    }
  }
  if (expect !== "" || !session) return new Failure(`missing "${expect || "v"}=" line`, lineNo);
  if (!sawTiming) return new Failure('missing "t=" line', lineNo);
  return session;
}

function parseOrigin(value: string): SdpOrigin | undefined {
  const p = value.split(" ");
  if (p.length !== 6) return undefined;
  const [username, sessionId, sessionVersion, netType, addrType, address] = p as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!username || !DIGITS.test(sessionId) || !DIGITS.test(sessionVersion)) return undefined;
  if (sessionId.length > 20 || sessionVersion.length > 20) return undefined;
  if (!TOKEN.test(netType) || !TOKEN.test(addrType) || !address) return undefined;
  return { username, sessionId, sessionVersion, netType, addrType, address };
}

function parseConnection(value: string): SdpConnection | undefined {
  const p = value.split(" ");
  if (p.length !== 3 || !TOKEN.test(p[0]!) || !TOKEN.test(p[1]!) || !p[2]) return undefined;
  return { netType: p[0]!, addrType: p[1]!, address: p[2]! };
}

function parseBandwidth(value: string): SdpBandwidth | undefined {
  const i = value.indexOf(":");
  if (i <= 0) return undefined;
  const type = value.slice(0, i);
  const v = value.slice(i + 1);
  if (!TOKEN.test(type) || !DIGITS.test(v) || v.length > 15) return undefined;
  return { type, value: Number(v) };
}

function parseAttribute(value: string): SdpAttribute | undefined {
  const i = value.indexOf(":");
  const key = i < 0 ? value : value.slice(0, i);
  if (!TOKEN.test(key)) return undefined;
  return { key, value: i < 0 ? undefined : value.slice(i + 1) };
}

function parseMediaLine(value: string): SdpMedia | undefined {
  const p = value.split(" ");
  if (p.length < 3) return undefined;
  const kind = p[0]!;
  const portText = p[1]!;
  const protocol = p[2]!;
  if (!TOKEN.test(kind) || !protocol || protocol.includes("\t")) return undefined;
  let portCount: number | undefined;
  let port: string = portText;
  const slash = portText.indexOf("/");
  if (slash >= 0) {
    const count = portText.slice(slash + 1);
    port = portText.slice(0, slash);
    if (!DIGITS.test(count) || count.length > 5) return undefined;
    portCount = Number(count);
  }
  if (!DIGITS.test(port) || port.length > 5 || Number(port) > 65535) return undefined;
  const formats = p.slice(3);
  for (const f of formats) if (!f) return undefined;
  const m = newMedia(kind, Number(port), protocol, formats);
  m.portCount = portCount;
  return m;
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
