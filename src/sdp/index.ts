// petrel/sdp: SDP parsing and serialisation (RFC 8866) and JSEP offer/answer as pure functions
// (RFC 8829, with RFC 8839 ICE, RFC 8841 SCTP, RFC 8843 BUNDLE, RFC 8122 fingerprint, RFC 4145 setup).
//
//   const r = parseSdp(text);                       // { ok, sdp } or { ok: false, reason, line }
//   serializeSdp(r.sdp) === text;                   // byte-exact for well-formed CRLF input
//   const offer = createOffer({ sessionId: newSessionId(rnd), iceUfrag, icePwd, fingerprints,
//                               sections: [{ kind: "application", mid: "0" }] });
//   const info = parseRemoteDescription(answerText, "answer", { offer });  // ufrag, pwd, role, sctp...
export * from "./attributes.js";
export * from "./candidates.js";
export * from "./errors.js";
export * from "./jsep.js";
export * from "./media.js";
export * from "./model.js";
export * from "./parse.js";
export * from "./remote.js";
export * from "./rtp.js";
export * from "./sections.js";
export * from "./serialize.js";
