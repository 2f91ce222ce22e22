// Reading a session description into what the transports need (RFC 8829 5.8 and 5.9):
// ICE credentials and ice-lite (RFC 8839 5), fingerprints (RFC 8122 5), setup and the resulting
// DTLS role (RFC 4145 4, RFC 8842), the SCTP port and max-message-size (RFC 8841 5, 6), candidates
// with their mid and m-line index, end-of-candidates, mids and the BUNDLE group (RFC 8843).
// Never throws: a description that does not parse or is not usable gives { ok: false } with a
// reason and the DOMException name the W3C layer should reject with.
import {
  candidateString,
  type Direction,
  type Fingerprint,
  findDirection,
  isValidIcePwd,
  isValidIceUfrag,
  parseFingerprint,
  parseIceOptions,
  parseMaxMessageSize,
  parseSctpPort,
  parseSetup,
  type SetupRole,
} from "./attributes.js";
import { bundleGroup, isRejectedOffer } from "./jsep.js";
import { getAttribute, getAttributes, type SdpMedia, type SessionDescription } from "./model.js";
import { parseSdp } from "./parse.js";
import { DEFAULT_SCTP_PORT, dataSectionFormat } from "./sections.js";

export type SdpType = "offer" | "pranswer" | "answer";

/** A candidate as RTCIceCandidateInit carries it. */
export interface SdpCandidate {
  /** "candidate:..." */
  candidate: string;
  sdpMid: string;
  sdpMLineIndex: number;
  usernameFragment: string | undefined;
}

export interface SectionInfo {
  index: number;
  /** The a=mid value; for legacy SDP without mids (and no BUNDLE), the m-line index as text. */
  mid: string;
  kind: string;
  port: number;
  protocol: string;
  formats: string[];
  rejected: boolean;
  bundled: boolean;
  direction: Direction;
  iceUfrag: string | undefined;
  icePwd: string | undefined;
  setup: SetupRole | undefined;
  candidates: SdpCandidate[];
  endOfCandidates: boolean;
}

export interface SctpInfo {
  mid: string;
  index: number;
  port: number;
  /** RFC 8841 6: absent means 65536; 0 ("no limit") is given as Infinity. */
  maxMessageSize: number;
}

export interface DescriptionInfo {
  type: SdpType;
  sdp: SessionDescription;
  sessionId: string;
  sessionVersion: string;
  /** The section whose transport everything uses: the first BUNDLE mid, else the first accepted one. */
  transportMid: string | undefined;
  iceUfrag: string | undefined;
  icePwd: string | undefined;
  iceLite: boolean;
  iceOptions: string[];
  fingerprints: Fingerprint[];
  /** a=setup of the transport section (media level, else session level). */
  setup: SetupRole | undefined;
  /**
   * Our DTLS role implied by this description: for a remote description, the opposite of its
   * setup (an offer's actpass means we answer active and are the client); for a local one, its own
   * setup (undefined for our actpass offer: the answer decides).
   */
  dtlsRole: "client" | "server" | undefined;
  sctp: SctpInfo | undefined;
  candidates: SdpCandidate[];
  /** Every accepted section has a=end-of-candidates (or the session level has it). */
  endOfCandidates: boolean;
  mids: string[];
  bundle: string[] | undefined;
  sections: SectionInfo[];
}

export type DescriptionError = {
  ok: false;
  reason: string;
  /** The DOMException name: OperationError for syntax (errorDetail sdp-syntax-error), else InvalidAccessError. */
  errorName: "OperationError" | "InvalidAccessError";
  errorDetail: "sdp-syntax-error" | undefined;
  /** 1-based line of a syntax error. */
  line: number | undefined;
};

export type DescriptionResult = { ok: true; description: DescriptionInfo } | DescriptionError;

export interface DescriptionOptions {
  /** For an answer: the offer it answers (ours), checked for matching m-lines and mids. */
  offer?: string | SessionDescription;
}

/** Reads and validates a description received from the other side. */
export function parseRemoteDescription(
  sdp: string | SessionDescription,
  type: SdpType,
  options: DescriptionOptions = {},
): DescriptionResult {
  return describe(sdp, type, "remote", options);
}

/** Reads and validates one of our own descriptions (possibly edited by the application). */
export function parseLocalDescription(
  sdp: string | SessionDescription,
  type: SdpType,
  options: DescriptionOptions = {},
): DescriptionResult {
  return describe(sdp, type, "local", options);
}

/** True when the ICE credentials changed between two descriptions from the same side (an ICE restart). */
export function isIceRestart(previous: DescriptionInfo | undefined, next: DescriptionInfo): boolean {
  if (!previous || previous.iceUfrag === undefined) return false;
  return previous.iceUfrag !== next.iceUfrag || previous.icePwd !== next.icePwd;
}

function describe(
  input: string | SessionDescription,
  type: SdpType,
  side: "local" | "remote",
  options: DescriptionOptions,
): DescriptionResult {
  if (type !== "offer" && type !== "answer" && type !== "pranswer") return fail(`unknown SDP type "${String(type)}"`);
  let s: SessionDescription;
  if (typeof input === "string") {
    const r = parseSdp(input);
    if (!r.ok) {
      return {
        ok: false,
        reason: r.reason,
        errorName: "OperationError",
        errorDetail: "sdp-syntax-error",
        line: r.line,
      };
    }
    s = r.sdp;
  } else {
    s = input;
  }
  const bundle = bundleGroup(s);
  const sessionUfrag = getAttribute(s.attributes, "ice-ufrag");
  const sessionPwd = getAttribute(s.attributes, "ice-pwd");
  const sessionSetupText = getAttribute(s.attributes, "setup");
  const sessionDirection = findDirection(s.attributes) ?? "sendrecv";
  const sessionEoc = getAttribute(s.attributes, "end-of-candidates") !== undefined;
  const mids: string[] = [];
  const sections: SectionInfo[] = [];
  const hasMids = s.media.some((m) => getAttribute(m.attributes, "mid") !== undefined);
  for (let i = 0; i < s.media.length; i++) {
    const m = s.media[i]!;
    let mid = getAttribute(m.attributes, "mid");
    if (mid === undefined) {
      if (bundle || hasMids) return fail(`m-line ${i} has no a=mid`);
      mid = String(i);
    } else {
      mid = mid.trim();
      if (!mid) return fail(`m-line ${i} has an empty a=mid`);
    }
    if (mids.includes(mid)) return fail(`duplicate mid "${mid}"`);
    mids.push(mid);
    const ufrag = getAttribute(m.attributes, "ice-ufrag") ?? sessionUfrag;
    const setupText = getAttribute(m.attributes, "setup") ?? sessionSetupText;
    let setup: SetupRole | undefined;
    if (setupText !== undefined) {
      setup = parseSetup(setupText);
      if (!setup) return fail(`bad a=setup "${setupText}" in m-line ${i}`);
    }
    const candidates: SdpCandidate[] = [];
    for (const v of getAttributes(m.attributes, "candidate")) {
      const c = candidateString(v);
      if (c) candidates.push({ candidate: c, sdpMid: mid, sdpMLineIndex: i, usernameFragment: ufrag });
    }
    sections.push({
      index: i,
      mid,
      kind: m.kind,
      port: m.port,
      protocol: m.protocol,
      formats: m.formats,
      // In an answer a bundled section may carry port 0 (RFC 8843 7.3.1); only the group counts.
      rejected: type === "offer" ? isRejectedOffer(m, mid, bundle) : m.port === 0 && !bundle?.includes(mid),
      bundled: bundle?.includes(mid) ?? false,
      direction: findDirection(m.attributes) ?? sessionDirection,
      iceUfrag: ufrag,
      icePwd: getAttribute(m.attributes, "ice-pwd") ?? sessionPwd,
      setup,
      candidates,
      endOfCandidates: sessionEoc || getAttribute(m.attributes, "end-of-candidates") !== undefined,
    });
  }
  if (bundle) {
    for (const mid of bundle) if (!mids.includes(mid)) return fail(`BUNDLE group names unknown mid "${mid}"`);
  }
  if (options.offer !== undefined && type !== "offer") {
    const err = checkAgainstOffer(sections, options.offer);
    if (err) return fail(err);
  }

  // The transport section: the first mid of the BUNDLE group if that section is accepted, else the
  // first accepted section (RFC 8843 7: the offerer/answerer tagged m-section).
  let transport: SectionInfo | undefined;
  if (bundle && bundle.length > 0) {
    const t = sections.find((x) => x.mid === bundle[0]);
    if (t && !t.rejected) transport = t;
  }
  transport ??= sections.find((x) => !x.rejected);

  const fingerprints: Fingerprint[] = [];
  let iceUfrag: string | undefined;
  let icePwd: string | undefined;
  let setup: SetupRole | undefined;
  let dtlsRole: "client" | "server" | undefined;
  if (transport) {
    const m = s.media[transport.index]!;
    iceUfrag = transport.iceUfrag;
    icePwd = transport.icePwd;
    if (iceUfrag === undefined) return fail(`missing a=ice-ufrag for mid "${transport.mid}"`, "InvalidAccessError");
    if (icePwd === undefined) return fail(`missing a=ice-pwd for mid "${transport.mid}"`, "InvalidAccessError");
    if (!isValidIceUfrag(iceUfrag)) return fail(`bad a=ice-ufrag "${iceUfrag}"`, "InvalidAccessError");
    if (!isValidIcePwd(icePwd)) return fail("bad a=ice-pwd (RFC 8839 5.4: 22 to 256 ice-chars)", "InvalidAccessError");
    const mediaFps = getAttributes(m.attributes, "fingerprint");
    for (const v of mediaFps.length ? mediaFps : getAttributes(s.attributes, "fingerprint")) {
      const f = parseFingerprint(v);
      if (!f) return fail(`bad a=fingerprint "${v}"`, "InvalidAccessError");
      fingerprints.push(f);
    }
    if (fingerprints.length === 0) return fail("missing a=fingerprint (DTLS is required)", "InvalidAccessError");
    setup = transport.setup;
    const role = dtlsRoleFor(setup, type, side);
    if (typeof role === "string" && role.startsWith("!")) return fail(role.slice(1), "InvalidAccessError");
    dtlsRole = role as "client" | "server" | undefined;
  }

  let sctp: SctpInfo | undefined;
  for (const sec of sections) {
    if (sec.rejected) continue;
    const m = s.media[sec.index]!;
    const format = dataSectionFormat(m);
    if (format === undefined) continue;
    // The legacy form carries the SCTP port as the m-line's format.
    const portText = format === "legacy" ? m.formats[0] : getAttribute(m.attributes, "sctp-port");
    const port = portText === undefined ? DEFAULT_SCTP_PORT : parseSctpPort(portText);
    if (port === undefined) return fail(`bad a=sctp-port "${portText}"`);
    const mmsText = getAttribute(m.attributes, "max-message-size");
    const mms = mmsText === undefined ? 65536 : parseMaxMessageSize(mmsText);
    if (mms === undefined) return fail(`bad a=max-message-size "${mmsText}"`);
    sctp = { mid: sec.mid, index: sec.index, port, maxMessageSize: mms === 0 ? Number.POSITIVE_INFINITY : mms };
    break;
  }

  const candidates: SdpCandidate[] = [];
  for (const sec of sections) for (const c of sec.candidates) candidates.push(c);
  const accepted = sections.filter((x) => !x.rejected);
  const iceOptionsText = transport
    ? (getAttribute(s.media[transport.index]!.attributes, "ice-options") ?? getAttribute(s.attributes, "ice-options"))
    : getAttribute(s.attributes, "ice-options");
  return {
    ok: true,
    description: {
      type,
      sdp: s,
      sessionId: s.origin.sessionId,
      sessionVersion: s.origin.sessionVersion,
      transportMid: transport?.mid,
      iceUfrag,
      icePwd,
      iceLite: getAttribute(s.attributes, "ice-lite") !== undefined,
      iceOptions: iceOptionsText === undefined ? [] : parseIceOptions(iceOptionsText),
      fingerprints,
      setup,
      dtlsRole,
      sctp,
      candidates,
      endOfCandidates: accepted.length > 0 && accepted.every((x) => x.endOfCandidates),
      mids,
      bundle,
      sections,
    },
  };
}

/** Our DTLS role, or "!reason" when the setup value is not allowed for this type. */
function dtlsRoleFor(setup: SetupRole | undefined, type: SdpType, side: "local" | "remote"): string | undefined {
  if (setup === "holdconn") return "!a=setup:holdconn is not supported";
  if (type === "offer") {
    // RFC 8842 5.2: an offer says actpass; accept active/passive from non-browser offerers too.
    if (side === "local") return setup === "active" ? "client" : setup === "passive" ? "server" : undefined;
    if (setup === "active") return "server";
    return "client"; // passive, actpass, or absent (treated as actpass): we answer active
  }
  if (setup === "actpass") return "!an answer must not say a=setup:actpass (RFC 8842 5.3)";
  if (side === "local") return setup === "passive" ? "server" : "client";
  // Absent in an answer means active (RFC 4145 4): the remote connects, we are the server.
  return setup === "passive" ? "client" : "server";
}

function checkAgainstOffer(sections: SectionInfo[], offer: string | SessionDescription): string | undefined {
  let o: SessionDescription;
  if (typeof offer === "string") {
    const r = parseSdp(offer);
    if (!r.ok) return "the offer being answered does not parse";
    o = r.sdp;
  } else {
    o = offer;
  }
  if (o.media.length !== sections.length) {
    return `answer has ${sections.length} m-lines but the offer has ${o.media.length}`;
  }
  for (let i = 0; i < o.media.length; i++) {
    const om: SdpMedia = o.media[i]!;
    const mid = getAttribute(om.attributes, "mid");
    if (om.kind !== sections[i]!.kind) return `m-line ${i} kind "${sections[i]!.kind}" differs from the offer's`;
    if (mid !== undefined && mid !== sections[i]!.mid)
      return `m-line ${i} mid "${sections[i]!.mid}" differs from the offer's "${mid}"`;
  }
  return undefined;
}

function fail(
  reason: string,
  errorName: "OperationError" | "InvalidAccessError" = "InvalidAccessError",
): DescriptionError {
  return { ok: false, reason, errorName, errorDetail: undefined, line: undefined };
}
