// The W3C layer's use of JSEP (RFC 8829): what a local description is built from, and what a
// remote description says, in the shape RTCPeerConnection needs. The SDP work itself is the pure
// functions of src/sdp (createOffer, createAnswer, parseRemoteDescription, candidate editing).
import {
  addCandidateToSdp,
  addEndOfCandidates,
  createAnswer,
  createOffer,
  type DescriptionInfo,
  type LocalSectionConfig,
  type MediaAnswerPolicy,
  parseRemoteDescription,
} from "../sdp/index.js";

export interface LocalState {
  sessionId: string;
  /** Our previous local description in this session (its version + 1 is used), if any. */
  previous: string | undefined;
  ufrag: string;
  pwd: string;
  fingerprints: { algorithm: string; value: string }[];
  setup: "actpass" | "active" | "passive";
  includeData: boolean;
  dataMid: string;
  candidates: string[];
  endOfCandidates: boolean;
  maxMessageSize: number;
  /** Every m-line of an offer in order (media and data), when media exists (media-negotiation.ts). */
  sections?: LocalSectionConfig[];
  /** How an answer answers audio/video m-lines; without it they are rejected. */
  media?: MediaAnswerPolicy;
}

export interface RemoteInfo {
  ufrag: string;
  pwd: string;
  iceLite: boolean;
  fingerprints: { algorithm: string; value: string }[];
  setup: "actpass" | "active" | "passive" | "holdconn" | undefined;
  hasData: boolean;
  dataMid: string;
  /** RFC 8841 6: absent -> 65536, 0 -> Infinity. */
  maxMessageSize: number;
  /** Candidate attribute values ("candidate:...") of the transport section. */
  candidates: string[];
  endOfCandidates: boolean;
  mids: string[];
  trickle: boolean;
  parsed: DescriptionInfo;
}

export function buildOffer(s: LocalState): string {
  return createOffer(
    {
      sessionId: s.sessionId,
      iceUfrag: s.ufrag,
      icePwd: s.pwd,
      fingerprints: s.fingerprints,
      candidates: s.candidates,
      endOfCandidates: s.endOfCandidates,
      sections:
        s.sections ??
        (s.includeData ? [{ kind: "application", mid: s.dataMid, maxMessageSize: s.maxMessageSize }] : []),
    },
    s.previous,
  );
}

export function buildAnswer(remote: RemoteInfo, s: LocalState): string {
  return createAnswer(
    remote.parsed.sdp,
    {
      sessionId: s.sessionId,
      iceUfrag: s.ufrag,
      icePwd: s.pwd,
      fingerprints: s.fingerprints,
      candidates: s.candidates,
      endOfCandidates: s.endOfCandidates,
      setup: s.setup === "passive" ? "passive" : "active",
      maxMessageSize: s.maxMessageSize,
      media: s.media,
    },
    s.previous,
  );
}

export type RemoteResult =
  | { ok: true; info: RemoteInfo }
  | { ok: false; syntax: boolean; reason: string; line: number | undefined };

export function readRemote(sdp: string, type: "offer" | "pranswer" | "answer"): RemoteResult {
  const r = parseRemoteDescription(sdp, type);
  if (!r.ok) return { ok: false, syntax: r.errorDetail === "sdp-syntax-error", reason: r.reason, line: r.line };
  const d = r.description;
  if (d.iceUfrag === undefined || d.icePwd === undefined) {
    return { ok: false, syntax: false, reason: "no ICE credentials", line: undefined };
  }
  if (d.fingerprints.length === 0) {
    return { ok: false, syntax: false, reason: "no fingerprint", line: undefined };
  }
  const transportMid = d.transportMid;
  const candidates: string[] = [];
  for (const c of d.candidates)
    if (transportMid === undefined || c.sdpMid === transportMid) candidates.push(c.candidate);
  return {
    ok: true,
    info: {
      ufrag: d.iceUfrag,
      pwd: d.icePwd,
      iceLite: d.iceLite,
      fingerprints: d.fingerprints.map((f) => ({ algorithm: f.algorithm, value: f.value })),
      setup: d.setup,
      hasData: d.sctp !== undefined,
      dataMid: d.sctp?.mid ?? "0",
      maxMessageSize: d.sctp?.maxMessageSize ?? 65536,
      candidates,
      endOfCandidates: d.endOfCandidates,
      mids: d.sections.map((x) => x.mid),
      trickle: d.iceOptions.includes("trickle"),
      parsed: d,
    },
  };
}

/** The description with candidate lines (and end-of-candidates) added to its bundled sections. */
export function withCandidates(sdp: string, candidates: string[], end: boolean, mid?: string): string {
  let out = sdp;
  try {
    for (const c of candidates) out = addCandidateToSdp(out, mid ?? 0, c);
    if (end) out = addEndOfCandidates(out, mid);
  } catch {
    // a description without sections (nothing negotiated yet) has nowhere to put candidates
    return sdp;
  }
  return out;
}
