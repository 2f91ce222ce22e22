// petrel/sdp: SDP parsing and serialisation (RFC 8866) and JSEP offer/answer as pure functions
// (RFC 8829, with RFC 8839 ICE, RFC 8841 SCTP, RFC 8843 BUNDLE, RFC 8122 fingerprint, RFC 4145 setup).
export * from "./attributes.js";
export * from "./errors.js";
export * from "./model.js";
export * from "./parse.js";
export * from "./serialize.js";
