// RTCConfiguration (webrtc-pc 4.2.1-4.2.5): defaults, WebIDL enum checks (TypeError), ICE server
// URL validation per RFC 7064 (stun/stuns) and RFC 7065 (turn/turns) with the exceptions
// webrtc-pc 4.4.1.6 "set a configuration" prescribes, and the rules of setConfiguration().
import { RTCCertificate } from "./certificate.js";
import { domError } from "./errors.js";

export type RTCIceTransportPolicy = "relay" | "all";
export type RTCBundlePolicy = "balanced" | "max-compat" | "max-bundle";
export type RTCRtcpMuxPolicy = "require" | "negotiate";

export interface RTCIceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export interface RTCConfiguration {
  iceServers?: RTCIceServer[];
  iceTransportPolicy?: RTCIceTransportPolicy;
  bundlePolicy?: RTCBundlePolicy;
  rtcpMuxPolicy?: RTCRtcpMuxPolicy;
  certificates?: RTCCertificate[];
  iceCandidatePoolSize?: number;
  peerIdentity?: string;
}

/** A validated configuration, every member present (what getConfiguration() returns a copy of). */
export interface ResolvedConfiguration {
  iceServers: RTCIceServer[];
  iceTransportPolicy: RTCIceTransportPolicy;
  bundlePolicy: RTCBundlePolicy;
  rtcpMuxPolicy: RTCRtcpMuxPolicy;
  certificates: RTCCertificate[];
  iceCandidatePoolSize: number;
}

/** One parsed STUN/TURN URL. */
export interface IceServerUrl {
  scheme: "stun" | "stuns" | "turn" | "turns";
  host: string;
  port: number;
  transport: "udp" | "tcp" | undefined;
  username: string | undefined;
  credential: string | undefined;
  url: string;
}

function enumValue<T extends string>(name: string, value: unknown, allowed: readonly T[], dflt: T): T {
  if (value === undefined) return dflt;
  const s = String(value);
  if (!(allowed as readonly string[]).includes(s)) {
    throw new TypeError(`The provided value '${s}' is not a valid enum value of type ${name}`);
  }
  return s as T;
}

/**
 * Parses one STUN/TURN URL (RFC 7064 3.1 / RFC 7065 3.1). Throws SyntaxError when malformed or
 * when a stun(s) URL carries a query (webrtc-pc: "?transport" only for turn).
 */
export function parseIceServerUrl(url: string): Omit<IceServerUrl, "username" | "credential"> {
  const m = /^(stuns?|turns?):(.*)$/i.exec(url);
  if (!m) throw domError("SyntaxError", `Invalid ICE server URL scheme: ${url}`);
  const scheme = m[1]!.toLowerCase() as IceServerUrl["scheme"];
  let rest = m[2]!;
  let transport: "udp" | "tcp" | undefined;
  const q = rest.indexOf("?");
  if (q >= 0) {
    const query = rest.slice(q + 1);
    rest = rest.slice(0, q);
    if (scheme === "stun" || scheme === "stuns") throw domError("SyntaxError", `A ${scheme} URL has no query: ${url}`);
    const t = /^transport=(udp|tcp)$/i.exec(query);
    if (!t) throw domError("SyntaxError", `Invalid query in ICE server URL: ${url}`);
    transport = t[1]!.toLowerCase() as "udp" | "tcp";
  }
  if (rest.startsWith("//") || rest.includes("/") || rest.includes("@")) {
    throw domError("SyntaxError", `Invalid ICE server URL: ${url}`);
  }
  let host: string;
  let portText: string | undefined;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close < 0) throw domError("SyntaxError", `Invalid IPv6 host in ${url}`);
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after) {
      if (!after.startsWith(":")) throw domError("SyntaxError", `Invalid ICE server URL: ${url}`);
      portText = after.slice(1);
    }
    if (!/^[0-9a-fA-F:.]+$/.test(host)) throw domError("SyntaxError", `Invalid IPv6 host in ${url}`);
  } else {
    const colon = rest.indexOf(":");
    host = colon >= 0 ? rest.slice(0, colon) : rest;
    portText = colon >= 0 ? rest.slice(colon + 1) : undefined;
    if (!/^[A-Za-z0-9._~%!$&'()*+,;=-]+$/.test(host)) throw domError("SyntaxError", `Invalid host in ${url}`);
  }
  const secure = scheme === "stuns" || scheme === "turns";
  let port = secure ? 5349 : 3478;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535 || Number(portText) === 0) {
      throw domError("SyntaxError", `Invalid port in ${url}`);
    }
    port = Number(portText);
  }
  return { scheme, host, port, transport, url };
}

/** Validates iceServers (webrtc-pc "validate an ICE server") and returns every parsed URL. */
export function parseIceServers(servers: unknown): IceServerUrl[] {
  if (servers === undefined) return [];
  if (servers === null || typeof servers !== "object" || !(Symbol.iterator in servers)) {
    throw new TypeError("iceServers must be a sequence of RTCIceServer");
  }
  const out: IceServerUrl[] = [];
  for (const server of servers as Iterable<unknown>) {
    if (!server || typeof server !== "object") throw new TypeError("An RTCIceServer must be an object");
    const s = server as Partial<RTCIceServer>;
    if (s.urls === undefined) throw new TypeError("RTCIceServer.urls is required");
    const urls = typeof s.urls === "string" ? [s.urls] : Array.from(s.urls as Iterable<unknown>, String);
    if (urls.length === 0) throw domError("SyntaxError", "RTCIceServer.urls is empty");
    for (const url of urls) {
      const parsed = parseIceServerUrl(url);
      const turn = parsed.scheme === "turn" || parsed.scheme === "turns";
      if (turn) {
        if (s.username === undefined || s.credential === undefined) {
          throw domError("InvalidAccessError", `A TURN server needs username and credential: ${url}`);
        }
        if (Buffer.byteLength(String(s.username)) > 509) {
          throw domError("InvalidAccessError", "The TURN username is longer than 509 bytes (RFC 8489 14.3)");
        }
      }
      out.push({
        ...parsed,
        username: s.username === undefined ? undefined : String(s.username),
        credential: s.credential === undefined ? undefined : String(s.credential),
      });
    }
  }
  return out;
}

function copyServers(servers: unknown): RTCIceServer[] {
  if (servers === undefined) return [];
  return Array.from(servers as Iterable<RTCIceServer>, (s) => {
    const copy: RTCIceServer = { urls: typeof s.urls === "string" ? s.urls : Array.from(s.urls, String) };
    if (s.username !== undefined) copy.username = String(s.username);
    if (s.credential !== undefined) copy.credential = String(s.credential);
    return copy;
  });
}

/**
 * Validates a configuration for the constructor (webrtc-pc 4.4.1.1 and 4.4.1.6) and fills in
 * defaults. `now` is wall-clock ms (for certificate expiry).
 */
export function resolveConfiguration(config: unknown, now: number): ResolvedConfiguration {
  if (config === null || config === undefined) config = {};
  if (typeof config !== "object") throw new TypeError("RTCConfiguration must be an object");
  const c = config as RTCConfiguration;
  if ((c as { iceServers?: unknown }).iceServers === null) throw new TypeError("iceServers must not be null");
  const iceTransportPolicy = enumValue("RTCIceTransportPolicy", c.iceTransportPolicy, ["relay", "all"], "all");
  const bundlePolicy = enumValue(
    "RTCBundlePolicy",
    c.bundlePolicy,
    ["balanced", "max-compat", "max-bundle"],
    "balanced",
  );
  const rtcpMuxPolicy = enumValue("RTCRtcpMuxPolicy", c.rtcpMuxPolicy, ["require", "negotiate"], "require");
  if (rtcpMuxPolicy === "negotiate") {
    throw domError("NotSupportedError", "rtcpMuxPolicy 'negotiate' is not supported (RTCP is always multiplexed)");
  }
  let iceCandidatePoolSize = 0;
  if (c.iceCandidatePoolSize !== undefined) {
    const n = Number(c.iceCandidatePoolSize);
    if (!Number.isFinite(n) || n < 0 || n > 255) throw new TypeError("iceCandidatePoolSize must be in 0..255");
    iceCandidatePoolSize = Math.trunc(n);
  }
  const certificates: RTCCertificate[] = [];
  if (c.certificates !== undefined) {
    for (const cert of c.certificates) {
      if (!(cert instanceof RTCCertificate)) throw new TypeError("certificates must hold RTCCertificate objects");
      if (cert.expires <= now) throw domError("InvalidAccessError", "A certificate has expired");
      certificates.push(cert);
    }
  }
  parseIceServers(c.iceServers);
  return {
    iceServers: copyServers(c.iceServers),
    iceTransportPolicy,
    bundlePolicy,
    rtcpMuxPolicy,
    certificates,
    iceCandidatePoolSize,
  };
}

/**
 * setConfiguration() (webrtc-pc 4.4.1.6): the new configuration must keep certificates,
 * bundlePolicy and rtcpMuxPolicy (InvalidModificationError), and may change
 * iceCandidatePoolSize only before a local description is set.
 */
export function updateConfiguration(
  current: ResolvedConfiguration,
  config: unknown,
  now: number,
  localDescriptionSet: boolean,
): ResolvedConfiguration {
  const next = resolveConfiguration(config, now);
  const c = (config ?? {}) as RTCConfiguration;
  if (c.certificates !== undefined) {
    const same =
      next.certificates.length === current.certificates.length &&
      next.certificates.every((x, i) => x === current.certificates[i]);
    if (!same) throw domError("InvalidModificationError", "certificates cannot be changed");
  }
  next.certificates = current.certificates;
  if (next.bundlePolicy !== current.bundlePolicy) {
    throw domError("InvalidModificationError", "bundlePolicy cannot be changed");
  }
  if (next.rtcpMuxPolicy !== current.rtcpMuxPolicy) {
    throw domError("InvalidModificationError", "rtcpMuxPolicy cannot be changed");
  }
  if (next.iceCandidatePoolSize !== current.iceCandidatePoolSize && localDescriptionSet) {
    throw domError("InvalidModificationError", "iceCandidatePoolSize cannot change after setLocalDescription");
  }
  return next;
}

/** A deep copy for getConfiguration(). */
export function copyConfiguration(c: ResolvedConfiguration): ResolvedConfiguration {
  return {
    iceServers: copyServers(c.iceServers),
    iceTransportPolicy: c.iceTransportPolicy,
    bundlePolicy: c.bundlePolicy,
    rtcpMuxPolicy: c.rtcpMuxPolicy,
    certificates: c.certificates.slice(),
    iceCandidatePoolSize: c.iceCandidatePoolSize,
  };
}
