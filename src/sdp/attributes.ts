// Typed readers and writers for the attribute values JSEP needs. Each parser takes the text after
// `a=key:` and returns a plain object, or undefined when the value is malformed (never throws).
// RFC 8122 section 5 (fingerprint), RFC 4145 section 4 (setup), RFC 8839 section 5 (ice-ufrag,
// ice-pwd, ice-options), RFC 5888 / RFC 8843 (group, mid), RFC 8841 section 5 and 6 (sctp-port,
// max-message-size), RFC 8866 section 6 (rtpmap, fmtp, direction), RFC 4585 section 4.2 (rtcp-fb),
// RFC 8285 section 5 (extmap), RFC 8830 (msid), RFC 5576 (ssrc, ssrc-group).
// Candidate values are deliberately NOT parsed here: src/ice/candidate.ts owns that grammar.

export interface Fingerprint {
  /** Lower-case hash function name as in the SDP, e.g. "sha-256". */
  algorithm: string;
  /** Upper-case colon-separated hex, e.g. "AB:CD:...". */
  value: string;
}

/** Digest sizes in bytes for the hash functions of RFC 8122 section 5 (the IANA registry). */
export const FINGERPRINT_SIZES: Readonly<Record<string, number>> = {
  "sha-1": 20,
  "sha-224": 28,
  "sha-256": 32,
  "sha-384": 48,
  "sha-512": 64,
  md5: 16,
  md2: 16,
};

const HEX_PAIRS = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})*$/;
const DIGITS = /^[0-9]+$/;
const ICE_CHARS = /^[A-Za-z0-9+/]+$/;

export function parseFingerprint(value: string): Fingerprint | undefined {
  const sp = value.indexOf(" ");
  if (sp <= 0) return undefined;
  const algorithm = value.slice(0, sp).toLowerCase();
  const hex = value.slice(sp + 1).trim();
  if (!HEX_PAIRS.test(hex)) return undefined;
  const size = FINGERPRINT_SIZES[algorithm];
  if (size !== undefined && (hex.length + 1) / 3 !== size) return undefined;
  return { algorithm, value: hex.toUpperCase() };
}

export function formatFingerprint(f: Fingerprint): string {
  return `${f.algorithm} ${f.value}`;
}

export type SetupRole = "active" | "passive" | "actpass" | "holdconn";

export function parseSetup(value: string): SetupRole | undefined {
  const v = value.trim();
  return v === "active" || v === "passive" || v === "actpass" || v === "holdconn" ? v : undefined;
}

export type Direction = "sendrecv" | "sendonly" | "recvonly" | "inactive";
export const DIRECTIONS: readonly Direction[] = ["sendrecv", "sendonly", "recvonly", "inactive"];

/** The last direction attribute in a list (media level wins over session level: caller's job). */
export function findDirection(attrs: readonly { key: string }[]): Direction | undefined {
  let d: Direction | undefined;
  for (const a of attrs) if ((DIRECTIONS as readonly string[]).includes(a.key)) d = a.key as Direction;
  return d;
}

/** RFC 8839 5.4: ice-ufrag is 4 to 256 ice-chars. */
export function isValidIceUfrag(v: string): boolean {
  return v.length >= 4 && v.length <= 256 && ICE_CHARS.test(v);
}
/** RFC 8839 5.4: ice-pwd is 22 to 256 ice-chars. */
export function isValidIcePwd(v: string): boolean {
  return v.length >= 22 && v.length <= 256 && ICE_CHARS.test(v);
}

/**
 * `a=ice-options:trickle ice2` to its tokens. RFC 8839 5.6 separates them with spaces;
 * libdatachannel writes `ice2,trickle`, so commas are accepted too.
 */
export function parseIceOptions(value: string): string[] {
  return value.split(/[ ,]/).filter((t) => t.length > 0);
}

export interface Group {
  semantics: string;
  mids: string[];
}

/** `a=group:BUNDLE 0 1 2` (RFC 5888 section 5). */
export function parseGroup(value: string): Group | undefined {
  const p = value.split(" ").filter((t) => t.length > 0);
  if (p.length === 0) return undefined;
  return { semantics: p[0]!, mids: p.slice(1) };
}

export function formatGroup(g: Group): string {
  return g.mids.length ? `${g.semantics} ${g.mids.join(" ")}` : g.semantics;
}

/** A non-negative decimal integer no larger than `max`, or undefined. */
export function parseUint(value: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = value.trim();
  if (!DIGITS.test(v) || v.length > 16) return undefined;
  const n = Number(v);
  return n <= max ? n : undefined;
}

/** `a=sctp-port` (RFC 8841 5.1): a port number 0..65535. */
export function parseSctpPort(value: string): number | undefined {
  return parseUint(value, 65535);
}

/** `a=max-message-size` (RFC 8841 6.1): bytes; 0 means no limit (returned as 0, caller decides). */
export function parseMaxMessageSize(value: string): number | undefined {
  return parseUint(value);
}

export interface Rtpmap {
  payloadType: number;
  encodingName: string;
  clockRate: number;
  /** The encoding parameters (audio channels), when given. */
  channels: number | undefined;
}

/** `a=rtpmap:111 opus/48000/2` (RFC 8866 6.6). */
export function parseRtpmap(value: string): Rtpmap | undefined {
  const sp = value.indexOf(" ");
  if (sp <= 0) return undefined;
  const payloadType = parseUint(value.slice(0, sp), 127);
  const parts = value
    .slice(sp + 1)
    .trim()
    .split("/");
  if (payloadType === undefined || parts.length < 2 || parts.length > 3 || !parts[0]) return undefined;
  const clockRate = parseUint(parts[1]!);
  const channels = parts.length === 3 ? parseUint(parts[2]!) : undefined;
  if (clockRate === undefined || (parts.length === 3 && channels === undefined)) return undefined;
  return { payloadType, encodingName: parts[0]!, clockRate, channels };
}

export function formatRtpmap(r: Rtpmap): string {
  const base = `${r.payloadType} ${r.encodingName}/${r.clockRate}`;
  return r.channels === undefined ? base : `${base}/${r.channels}`;
}

export interface Fmtp {
  format: string;
  /** The parameter text verbatim, e.g. "minptime=10;useinbandfec=1". */
  parameters: string;
  /** `key=value` pairs split on ";" (keys as written; a bare token maps to ""). */
  params: Map<string, string>;
}

/** `a=fmtp:111 minptime=10;useinbandfec=1` (RFC 8866 6.15). */
export function parseFmtp(value: string): Fmtp | undefined {
  const sp = value.indexOf(" ");
  if (sp <= 0) return undefined;
  const format = value.slice(0, sp);
  const parameters = value.slice(sp + 1);
  const params = new Map<string, string>();
  for (const part of parameters.split(";")) {
    const t = part.trim();
    if (!t) continue;
    const eq = t.indexOf("=");
    if (eq < 0) params.set(t, "");
    else params.set(t.slice(0, eq).trim(), t.slice(eq + 1).trim());
  }
  return { format, parameters, params };
}

export interface RtcpFb {
  /** A payload type or "*". */
  format: string;
  type: string;
  subtype: string | undefined;
}

/** `a=rtcp-fb:96 nack pli` (RFC 4585 4.2). */
export function parseRtcpFb(value: string): RtcpFb | undefined {
  const p = value.split(" ").filter((t) => t.length > 0);
  if (p.length < 2) return undefined;
  return { format: p[0]!, type: p[1]!, subtype: p.length > 2 ? p.slice(2).join(" ") : undefined };
}

export interface Extmap {
  id: number;
  direction: Direction | undefined;
  uri: string;
  attributes: string | undefined;
}

/** `a=extmap:2/recvonly urn:... [attributes]` (RFC 8285 section 5). */
export function parseExtmap(value: string): Extmap | undefined {
  const p = value.split(" ").filter((t) => t.length > 0);
  if (p.length < 2) return undefined;
  const [idPart, dirPart] = p[0]!.split("/");
  const id = parseUint(idPart ?? "", 4096);
  if (id === undefined || id === 0) return undefined;
  let direction: Direction | undefined;
  if (dirPart !== undefined) {
    if (!(DIRECTIONS as readonly string[]).includes(dirPart)) return undefined;
    direction = dirPart as Direction;
  }
  return { id, direction, uri: p[1]!, attributes: p.length > 2 ? p.slice(2).join(" ") : undefined };
}

export interface Msid {
  streamId: string;
  trackId: string | undefined;
}

/** `a=msid:<stream id> [<track id>]` (RFC 8830 section 2). */
export function parseMsid(value: string): Msid | undefined {
  const p = value.split(" ").filter((t) => t.length > 0);
  if (p.length < 1 || p.length > 2) return undefined;
  return { streamId: p[0]!, trackId: p[1] };
}

export interface SsrcAttribute {
  ssrc: number;
  attribute: string;
  value: string | undefined;
}

/** `a=ssrc:1234 cname:abc` (RFC 5576 4.1). */
export function parseSsrc(value: string): SsrcAttribute | undefined {
  const sp = value.indexOf(" ");
  const ssrc = parseUint(sp < 0 ? value : value.slice(0, sp), 0xffffffff);
  if (ssrc === undefined || sp < 0) return undefined;
  const rest = value.slice(sp + 1);
  const colon = rest.indexOf(":");
  if (colon === 0 || rest.length === 0) return undefined;
  return colon < 0
    ? { ssrc, attribute: rest, value: undefined }
    : { ssrc, attribute: rest.slice(0, colon), value: rest.slice(colon + 1) };
}

export interface SsrcGroup {
  semantics: string;
  ssrcs: number[];
}

/** `a=ssrc-group:FID 1 2` (RFC 5576 4.2). */
export function parseSsrcGroup(value: string): SsrcGroup | undefined {
  const p = value.split(" ").filter((t) => t.length > 0);
  if (p.length < 1) return undefined;
  const ssrcs: number[] = [];
  for (const t of p.slice(1)) {
    const n = parseUint(t, 0xffffffff);
    if (n === undefined) return undefined;
    ssrcs.push(n);
  }
  return { semantics: p[0]!, ssrcs };
}

/**
 * A candidate attribute as the W3C API carries it: "candidate:<value>". Accepts the value with or
 * without the "candidate:" or "a=candidate:" prefix and trailing CR/LF; undefined when empty.
 */
export function candidateString(line: string): string | undefined {
  let v = line.trim();
  if (v.startsWith("a=")) v = v.slice(2);
  if (v.startsWith("candidate:")) v = v.slice(10);
  v = v.trim();
  if (!v || v.includes("\n") || v.includes("\r")) return undefined;
  return `candidate:${v}`;
}
