// Editing candidates in a description after it was created (RFC 8829 5.7, RFC 8839 4.2 and 5.1,
// RFC 8840 for end-of-candidates): pc.localDescription gains each gathered candidate and finally
// a=end-of-candidates; pc.remoteDescription gains each candidate given to addIceCandidate.
// The candidate text is kept as given (src/ice/candidate.ts parses it).
import { candidateString } from "./attributes.js";
import { SdpError } from "./errors.js";
import { getAttribute, type SdpAttribute, type SdpMedia, type SessionDescription } from "./model.js";
import { parseSdp } from "./parse.js";
import { serializeSdp } from "./serialize.js";

/** A media section by mid (string) or m-line index (number). */
export type SectionRef = string | number;

/**
 * Adds a candidate ("candidate:...", "a=candidate:..." or the bare value) to one section and returns
 * the new text. A candidate already present is not added twice. Throws SdpError for an unknown
 * section, an empty candidate or SDP that does not parse (the caller's own description).
 */
export function addCandidateToSdp(sdp: string, section: SectionRef, candidateLine: string): string {
  const s = parseOwn(sdp);
  const m = findSection(s, section);
  const c = candidateString(candidateLine);
  if (!c) throw new SdpError("ERR_SDP_INVALID_ARGUMENT", "empty or malformed candidate");
  const value = c.slice(10);
  const a = m.attributes;
  let lastCandidate = -1;
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.key !== "candidate") continue;
    if (a[i]!.value === value) return sdp;
    lastCandidate = i;
  }
  const attr: SdpAttribute = { key: "candidate", value };
  a.splice(insertionPoint(a, lastCandidate), 0, attr);
  return serializeSdp(s);
}

/**
 * Adds a=end-of-candidates to one section, or to every section that is not rejected when `section`
 * is undefined. Sections that already have it are left alone.
 */
export function addEndOfCandidates(sdp: string, section?: SectionRef): string {
  const s = parseOwn(sdp);
  const targets = section === undefined ? s.media.filter((m) => m.port !== 0) : [findSection(s, section)];
  let changed = false;
  for (const m of targets) {
    const a = m.attributes;
    if (getAttribute(a, "end-of-candidates") !== undefined) continue;
    let lastCandidate = -1;
    for (let i = 0; i < a.length; i++) if (a[i]!.key === "candidate") lastCandidate = i;
    a.splice(lastCandidate >= 0 ? lastCandidate + 1 : a.length, 0, { key: "end-of-candidates", value: undefined });
    changed = true;
  }
  return changed ? serializeSdp(s) : sdp;
}

/** Removes every candidate and end-of-candidates line (e.g. before an ICE restart offer). */
export function removeCandidates(sdp: string): string {
  const s = parseOwn(sdp);
  for (const m of s.media) {
    m.attributes = m.attributes.filter((a) => a.key !== "candidate" && a.key !== "end-of-candidates");
  }
  return serializeSdp(s);
}

/** After the last candidate; else before end-of-candidates or ice-ufrag (where browsers put them); else at the end. */
function insertionPoint(a: SdpAttribute[], lastCandidate: number): number {
  if (lastCandidate >= 0) return lastCandidate + 1;
  for (let i = 0; i < a.length; i++) if (a[i]!.key === "end-of-candidates") return i;
  for (let i = 0; i < a.length; i++) if (a[i]!.key === "ice-ufrag") return i;
  return a.length;
}

function findSection(s: SessionDescription, ref: SectionRef): SdpMedia {
  if (typeof ref === "number") {
    const m = Number.isInteger(ref) && ref >= 0 ? s.media[ref] : undefined;
    if (!m) throw new SdpError("ERR_SDP_NO_SUCH_SECTION", `no m-line with index ${ref}`);
    return m;
  }
  for (const m of s.media) if (getAttribute(m.attributes, "mid") === ref) return m;
  throw new SdpError("ERR_SDP_NO_SUCH_SECTION", `no m-line with mid "${ref}"`);
}

function parseOwn(sdp: string): SessionDescription {
  const r = parseSdp(sdp);
  if (!r.ok) throw new SdpError("ERR_SDP_INVALID_ARGUMENT", `SDP does not parse (line ${r.line}): ${r.reason}`);
  return r.sdp;
}
