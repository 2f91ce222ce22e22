// The structured SDP model (RFC 8866 section 5): a session description with its session-level
// fields and media sections, plus the helpers that read and edit attribute lists.
// Attributes stay in document order as {key, value} pairs so that anything this library does not
// interpret (and every line it does) serialises back byte for byte.

/** One `a=` line: `a=key` (a property attribute, value undefined) or `a=key:value` (value verbatim). */
export interface SdpAttribute {
  key: string;
  value: string | undefined;
}

/** `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>` (RFC 8866 5.2). */
export interface SdpOrigin {
  username: string;
  /** Decimal digits; kept as text because it is a 64-bit quantity. */
  sessionId: string;
  /** Decimal digits; kept as text for the same reason (see nextSessionVersion). */
  sessionVersion: string;
  netType: string;
  addrType: string;
  address: string;
}

/** `c=<nettype> <addrtype> <connection-address>` (RFC 8866 5.7). */
export interface SdpConnection {
  netType: string;
  addrType: string;
  /** Address verbatim, including any `/ttl/count` suffix. */
  address: string;
}

/** `b=<bwtype>:<bandwidth>` (RFC 8866 5.8). */
export interface SdpBandwidth {
  type: string;
  value: number;
}

/** `t=<start-time> <stop-time>` with the `r=` lines that follow it (RFC 8866 5.9, 5.10). */
export interface SdpTiming {
  start: string;
  stop: string;
  repeats: string[];
}

/** One media section: the `m=` line and the lines under it (RFC 8866 5.14). */
export interface SdpMedia {
  /** `audio`, `video`, `application`, ... */
  kind: string;
  port: number;
  /** The `/<number of ports>` suffix of the port, when present. */
  portCount: number | undefined;
  protocol: string;
  formats: string[];
  /** `i=` */
  title: string | undefined;
  connection: SdpConnection | undefined;
  bandwidths: SdpBandwidth[];
  /** `k=` (obsolete, kept for round trips) */
  key: string | undefined;
  attributes: SdpAttribute[];
}

/** A whole session description. */
export interface SessionDescription {
  version: number;
  origin: SdpOrigin;
  /** `s=` */
  sessionName: string;
  /** `i=` */
  information: string | undefined;
  /** `u=` */
  uri: string | undefined;
  /** `e=` lines */
  emails: string[];
  /** `p=` lines */
  phones: string[];
  connection: SdpConnection | undefined;
  bandwidths: SdpBandwidth[];
  timings: SdpTiming[];
  /** `z=` */
  zone: string | undefined;
  /** `k=` */
  key: string | undefined;
  attributes: SdpAttribute[];
  media: SdpMedia[];
}

/** A new media section with empty optional parts. */
export function newMedia(kind: string, port: number, protocol: string, formats: string[]): SdpMedia {
  return {
    kind,
    port,
    portCount: undefined,
    protocol,
    formats,
    title: undefined,
    connection: undefined,
    bandwidths: [],
    key: undefined,
    attributes: [],
  };
}

/** A new session description with the fixed lines JSEP uses (`s=-`, `t=0 0`). */
export function newSession(origin: SdpOrigin): SessionDescription {
  return {
    version: 0,
    origin,
    sessionName: "-",
    information: undefined,
    uri: undefined,
    emails: [],
    phones: [],
    connection: undefined,
    bandwidths: [],
    timings: [{ start: "0", stop: "0", repeats: [] }],
    zone: undefined,
    key: undefined,
    attributes: [],
    media: [],
  };
}

/** The value of the first attribute named `key` ("" for a property attribute), or undefined. */
export function getAttribute(attrs: readonly SdpAttribute[], key: string): string | undefined {
  for (const a of attrs) if (a.key === key) return a.value ?? "";
  return undefined;
}

/** The values of every attribute named `key`, in order ("" for property attributes). */
export function getAttributes(attrs: readonly SdpAttribute[], key: string): string[] {
  const out: string[] = [];
  for (const a of attrs) if (a.key === key) out.push(a.value ?? "");
  return out;
}

export function hasAttribute(attrs: readonly SdpAttribute[], key: string): boolean {
  for (const a of attrs) if (a.key === key) return true;
  return false;
}

/** Media-level value if present, else session-level (RFC 8866 5.13 scoping). */
export function getScopedAttribute(
  session: SessionDescription,
  media: SdpMedia | undefined,
  key: string,
): string | undefined {
  const v = media ? getAttribute(media.attributes, key) : undefined;
  return v !== undefined ? v : getAttribute(session.attributes, key);
}

/** Removes every attribute named `key`; returns how many were removed. */
export function removeAttributes(attrs: SdpAttribute[], key: string): number {
  let w = 0;
  for (let r = 0; r < attrs.length; r++) {
    const a = attrs[r]!;
    if (a.key !== key) attrs[w++] = a;
  }
  const removed = attrs.length - w;
  attrs.length = w;
  return removed;
}

/** Finds a media section by `a=mid`. */
export function findMediaByMid(session: SessionDescription, mid: string): SdpMedia | undefined {
  for (const m of session.media) if (getAttribute(m.attributes, "mid") === mid) return m;
  return undefined;
}

/** A deep copy (descriptions are small; used before editing one that others may hold). */
export function cloneSession(s: SessionDescription): SessionDescription {
  return {
    ...s,
    origin: { ...s.origin },
    emails: [...s.emails],
    phones: [...s.phones],
    connection: s.connection ? { ...s.connection } : undefined,
    bandwidths: s.bandwidths.map((b) => ({ ...b })),
    timings: s.timings.map((t) => ({ ...t, repeats: [...t.repeats] })),
    attributes: s.attributes.map((a) => ({ ...a })),
    media: s.media.map((m) => ({
      ...m,
      formats: [...m.formats],
      connection: m.connection ? { ...m.connection } : undefined,
      bandwidths: m.bandwidths.map((b) => ({ ...b })),
      attributes: m.attributes.map((a) => ({ ...a })),
    })),
  };
}
