// Shared helpers for the SDP tests: a fixed DTLS fingerprint, seeded local offer/answer states for
// the JSEP functions (RFC 8829), and unwrapping parse results (failing the test with the reason).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { SeededRandom } from "../../src/random.js";
import {
  type DescriptionInfo,
  generateIceCredentials,
  type LocalAnswerState,
  type LocalOfferState,
  newSessionId,
  parseLocalDescription,
  parseRemoteDescription,
  parseSdp,
  type SdpType,
  type SessionDescription,
} from "../../src/sdp/index.js";

export const FP = {
  algorithm: "sha-256",
  value: "0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9",
};

/** A fixture from test/fixtures/sdp. */
export const load = (name: string): string => readFileSync(`test/fixtures/sdp/${name}`, "utf8");

/** An offerer's state from a seed: session id and ICE credentials drawn from it, one data channel section. */
export function offerState(seed = 1, extra: Partial<LocalOfferState> = {}): LocalOfferState {
  const rnd = new SeededRandom(seed);
  const { ufrag, pwd } = generateIceCredentials(rnd);
  return {
    sessionId: newSessionId(rnd),
    iceUfrag: ufrag,
    icePwd: pwd,
    fingerprints: [FP],
    sections: [{ kind: "application", mid: "0" }],
    ...extra,
  };
}

/** An answerer's state from a seed. */
export function answerState(seed = 2, extra: Partial<LocalAnswerState> = {}): LocalAnswerState {
  const rnd = new SeededRandom(seed);
  const { ufrag, pwd } = generateIceCredentials(rnd);
  return { sessionId: newSessionId(rnd), iceUfrag: ufrag, icePwd: pwd, fingerprints: [FP], ...extra };
}

export function remote(text: string, type: SdpType = "offer", offer?: string): DescriptionInfo {
  const r = parseRemoteDescription(text, type, offer === undefined ? {} : { offer });
  if (!r.ok) assert.fail(`rejected: ${r.reason}`);
  return r.description;
}

export function local(text: string, type: SdpType, offer?: string): DescriptionInfo {
  const r = parseLocalDescription(text, type, offer === undefined ? {} : { offer });
  if (!r.ok) assert.fail(`rejected: ${r.reason}`);
  return r.description;
}

export function parsed(text: string): SessionDescription {
  const r = parseSdp(text);
  if (!r.ok) assert.fail(`parse failed at ${r.line}: ${r.reason}`);
  return r.sdp;
}
