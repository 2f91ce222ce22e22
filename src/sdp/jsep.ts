// JSEP offer and answer generation as pure functions (RFC 8829 5.2 and 5.3): no network, no clock;
// randomness only through a Random passed in. The offer bundles every section (RFC 8843) with one
// ICE/DTLS transport; the answer mirrors the offer's m-lines, accepting what a section builder
// (src/sdp/sections.ts) supports and rejecting the rest with port 0 while keeping its mid.
// Session id and version: RFC 8829 5.2.1 and 5.2.2 (same id, version + 1 on every new description).
import type { Random } from "../random.js";
import {
  type Fingerprint,
  formatGroup,
  isValidIcePwd,
  isValidIceUfrag,
  parseFingerprint,
  parseGroup,
  parseSetup,
  type SetupRole,
} from "./attributes.js";
import { SdpError } from "./errors.js";
import { MEDIA_SECTION_BUILDER, type MediaAnswerPolicy } from "./media.js";
import { getAttribute, getAttributes, newSession, type SdpMedia, type SessionDescription } from "./model.js";
import { parseSdp } from "./parse.js";
import {
  type AnswerPreferences,
  SECTION_BUILDERS as DATA_BUILDERS,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_SCTP_PORT,
  type LocalSectionConfig,
  type LocalTransport,
  rejectedSection,
  type SectionBuilder,
} from "./sections.js";
import { serializeSdp as serialize } from "./serialize.js";

/** Every m-line kind we build: data (sections.ts) and RTP media (media.ts). */
const SECTION_BUILDERS: Readonly<Record<string, SectionBuilder>> = {
  ...DATA_BUILDERS,
  audio: MEDIA_SECTION_BUILDER,
  video: MEDIA_SECTION_BUILDER,
};

/** What every local description needs: identity, ICE and DTLS parameters, gathered candidates. */
export interface LocalDescriptionBase {
  /** Decimal digits, from newSessionId(). Ignored when a previous description is given. */
  sessionId: string;
  /** The first description's version (default 0). Later ones use previous + 1. */
  sessionVersion?: number;
  iceUfrag: string;
  icePwd: string;
  /** Adds session-level a=ice-lite (RFC 8839 5.3). */
  iceLite?: boolean;
  /** Default ["trickle"]. */
  iceOptions?: string[];
  /** Our certificate fingerprints (at least one). */
  fingerprints: Fingerprint[];
  /** Gathered local candidates ("candidate:..." strings), written into every accepted section. */
  candidates?: string[];
  /** Gathering finished: adds a=end-of-candidates. */
  endOfCandidates?: boolean;
  /** The default candidate for the m= port and c= line; otherwise 9 and IN IP4 0.0.0.0. */
  defaultCandidate?: { address: string; port: number };
}

export interface LocalOfferState extends LocalDescriptionBase {
  /** The m-lines in order. Keep earlier mids in their places in later offers (RFC 8829 5.2.2). */
  sections: LocalSectionConfig[];
  /** Adds a=group:BUNDLE with every mid (default true). */
  bundle?: boolean;
  /**
   * a=setup (default "actpass", what browsers send in every offer). A re-offer may keep the
   * negotiated role instead ("active" or "passive", RFC 8842 5.5).
   */
  setup?: "actpass" | "active" | "passive";
}

export interface LocalAnswerState extends LocalDescriptionBase {
  /** Our role when the offer says actpass: "active" (DTLS client, browsers' choice; default) or "passive". */
  setup?: "active" | "passive";
  /** Our SCTP port for an accepted data section (default 5000). */
  sctpPort?: number;
  /** The largest message we can receive (default 262144; 0 = no limit). */
  maxMessageSize?: number;
  /** How to answer each offered audio/video section (src/sdp/media.ts); without it they are rejected. */
  media?: MediaAnswerPolicy;
}

const ICE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const MID = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]{1,32}$/;

/** A random <sess-id>: 63 bits with the top bit clear, in decimal (RFC 8829 5.2.1). */
export function newSessionId(random: Random): string {
  const hi = random.u32() & 0x7fffffff;
  const lo = random.u32();
  const id = (BigInt(hi) << 32n) | BigInt(lo);
  return (id === 0n ? 1n : id).toString();
}

/** Fresh ICE credentials (RFC 8839 5.4): an 8-character ufrag and a 24-character (144-bit) pwd. */
export function generateIceCredentials(random: Random): { ufrag: string; pwd: string } {
  const b = random.bytes(32);
  let ufrag = "";
  let pwd = "";
  for (let i = 0; i < 8; i++) ufrag += ICE_ALPHABET[b[i]! & 63];
  for (let i = 8; i < 32; i++) pwd += ICE_ALPHABET[b[i]! & 63];
  return { ufrag, pwd };
}

/** `<sess-version>` + 1 as decimal text (versions are 64-bit, so BigInt on this cold path). */
export function nextSessionVersion(version: string): string {
  return (BigInt(version) + 1n).toString();
}

/** Builds an offer. `previous`: our last local description (offer or answer) of this session. */
export function createOffer(local: LocalOfferState, previous?: string | SessionDescription): string {
  checkBase(local);
  const mids = new Set<string>();
  for (const s of local.sections) {
    if (!MID.test(s.mid)) throw invalid(`bad mid "${s.mid}"`);
    if (mids.has(s.mid)) throw invalid(`duplicate mid "${s.mid}"`);
    if (!SECTION_BUILDERS[s.kind]) throw invalid(`no section builder for kind "${s.kind}"`);
    mids.add(s.mid);
  }
  const session = newSession(origin(local, previous));
  if (local.iceLite) session.attributes.push({ key: "ice-lite", value: undefined });
  if (local.bundle !== false && local.sections.length > 0) {
    session.attributes.push({ key: "group", value: formatGroup({ semantics: "BUNDLE", mids: [...mids] }) });
  }
  session.attributes.push({ key: "extmap-allow-mixed", value: undefined });
  session.attributes.push({ key: "msid-semantic", value: " WMS" });
  const transport = localTransport(local, local.setup ?? "actpass");
  for (const s of local.sections) session.media.push(SECTION_BUILDERS[s.kind]!.offer(s, transport));
  return serialize(session);
}

/** Builds an answer to a remote offer (text or parsed). Throws SdpError if the offer does not parse. */
export function createAnswer(
  offer: string | SessionDescription,
  local: LocalAnswerState,
  previous?: string | SessionDescription,
): string {
  checkBase(local);
  const remote = typeof offer === "string" ? parseOrThrow(offer) : offer;
  const session = newSession(origin(local, previous));
  if (local.iceLite) session.attributes.push({ key: "ice-lite", value: undefined });
  const transport = localTransport(local, answerSetup(remote, local.setup));
  const prefs: AnswerPreferences = {
    sctpPort: local.sctpPort ?? DEFAULT_SCTP_PORT,
    maxMessageSize: local.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
    media: local.media,
  };
  const offeredBundle = bundleGroup(remote);
  const accepted = new Set<string>();
  const acceptedPerKind = new Map<string, number>();
  for (const m of remote.media) {
    const mid = getAttribute(m.attributes, "mid");
    const builder = SECTION_BUILDERS[m.kind];
    let answer: SdpMedia | undefined;
    if (builder && !isRejectedOffer(m, mid, offeredBundle)) {
      answer = builder.answer(m, mid, transport, prefs, acceptedPerKind.get(m.kind) ?? 0);
    }
    if (answer) {
      acceptedPerKind.set(m.kind, (acceptedPerKind.get(m.kind) ?? 0) + 1);
      if (mid !== undefined) accepted.add(mid);
      session.media.push(answer);
    } else {
      session.media.push(rejectedSection(m, mid));
    }
  }
  if (offeredBundle) {
    // RFC 8843 7.3: the answer's group keeps the offer's order, minus what we rejected.
    const mids = offeredBundle.filter((mid) => accepted.has(mid));
    if (mids.length) session.attributes.push({ key: "group", value: formatGroup({ semantics: "BUNDLE", mids }) });
  }
  if (getAttribute(remote.attributes, "extmap-allow-mixed") !== undefined) {
    session.attributes.push({ key: "extmap-allow-mixed", value: undefined });
  }
  session.attributes.push({ key: "msid-semantic", value: " WMS" });
  return serialize(session);
}

/** The mids of the offer's first BUNDLE group, or undefined. */
export function bundleGroup(s: SessionDescription): string[] | undefined {
  for (const v of getAttributes(s.attributes, "group")) {
    const g = parseGroup(v);
    if (g && g.semantics === "BUNDLE") return g.mids;
  }
  return undefined;
}

/** Port 0 rejects a section unless it is bundle-only inside a BUNDLE group (RFC 8843 6). */
export function isRejectedOffer(m: SdpMedia, mid: string | undefined, bundle: string[] | undefined): boolean {
  if (m.port !== 0) return false;
  return !(mid !== undefined && bundle?.includes(mid) && getAttribute(m.attributes, "bundle-only") !== undefined);
}

/** Our a=setup in an answer (RFC 8842 5.3 / RFC 4145 4.1), from the offer's setup. */
export function answerSetup(offer: SessionDescription, preferred: "active" | "passive" | undefined): SetupRole {
  let offered: SetupRole | undefined;
  for (const m of offer.media) {
    if (m.port === 0) continue;
    const v = getAttribute(m.attributes, "setup");
    if (v !== undefined) {
      offered = parseSetup(v);
      break;
    }
  }
  if (offered === undefined) {
    const v = getAttribute(offer.attributes, "setup");
    offered = v === undefined ? undefined : parseSetup(v);
  }
  if (offered === "active") return "passive";
  if (offered === "passive") return "active";
  return preferred ?? "active";
}

function origin(local: LocalDescriptionBase, previous: string | SessionDescription | undefined) {
  if (previous !== undefined) {
    const p = typeof previous === "string" ? parseOrThrow(previous) : previous;
    return {
      username: "-",
      sessionId: p.origin.sessionId,
      sessionVersion: nextSessionVersion(p.origin.sessionVersion),
      netType: "IN",
      addrType: "IP4",
      address: "127.0.0.1",
    };
  }
  return {
    username: "-",
    sessionId: local.sessionId,
    sessionVersion: String(local.sessionVersion ?? 0),
    netType: "IN",
    addrType: "IP4",
    address: "127.0.0.1",
  };
}

function localTransport(local: LocalDescriptionBase, setup: SetupRole): LocalTransport {
  return {
    iceUfrag: local.iceUfrag,
    icePwd: local.icePwd,
    iceOptions: local.iceOptions ?? ["trickle"],
    fingerprints: local.fingerprints,
    setup,
    candidates: local.candidates ?? [],
    endOfCandidates: local.endOfCandidates === true,
    defaultCandidate: local.defaultCandidate,
  };
}

function checkBase(local: LocalDescriptionBase): void {
  if (!/^[0-9]{1,20}$/.test(local.sessionId)) throw invalid(`bad session id "${local.sessionId}"`);
  if (!isValidIceUfrag(local.iceUfrag)) throw invalid("ice-ufrag must be 4 to 256 ice-chars (RFC 8839 5.4)");
  if (!isValidIcePwd(local.icePwd)) throw invalid("ice-pwd must be 22 to 256 ice-chars (RFC 8839 5.4)");
  if (local.fingerprints.length === 0) throw invalid("at least one fingerprint is required");
  for (const f of local.fingerprints) {
    if (!parseFingerprint(`${f.algorithm} ${f.value}`)) throw invalid(`bad fingerprint ${f.algorithm} ${f.value}`);
  }
  for (const c of local.candidates ?? []) {
    if (c.includes("\r") || c.includes("\n") || c.trim() === "" || c.trim() === "candidate:") {
      throw invalid("bad candidate string");
    }
  }
}

function parseOrThrow(text: string): SessionDescription {
  const r = parseSdp(text);
  if (!r.ok) throw invalid(`SDP does not parse (line ${r.line}): ${r.reason}`);
  return r.sdp;
}

function invalid(message: string): SdpError {
  return new SdpError("ERR_SDP_INVALID_ARGUMENT", message);
}
