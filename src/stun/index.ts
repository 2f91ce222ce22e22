// petrel/stun: the public STUN API (RFC 8489, RFC 5769 vectors, ICE attributes of RFC 8445 and
// TURN attributes of RFC 8656). Parse with `parseStun` (or test with `isStunMessage`), build with
// `StunBuilder`, protect and check with the integrity helpers, retransmit with
// `StunClientTransaction`.
//
//   const key = shortTermKey(password);
//   const req = new StunBuilder(StunMethod.Binding, StunClass.Request, random.bytes(12))
//     .addString(Attr.Username, "rfrag:lfrag")
//     .addU32(Attr.Priority, 1853824767)
//     .finish({ integrity: key, fingerprint: true });
//   const r = parseStun(datagram);           // { ok: true, msg } | { ok: false, reason }
//   if (r.ok && verifyFingerprint(r.msg) && verifyIntegrity(r.msg, key)) {
//     const mapped = r.msg.getAddress(Attr.XorMappedAddress);
//   }
export { buildErrorResponse, buildUnknownAttributesResponse, StunBuilder } from "./builder.js";
export {
  Attr,
  classOf,
  FINGERPRINT_XOR,
  HEADER_SIZE,
  isComprehensionRequired,
  isKnownAttribute,
  MAGIC_COOKIE,
  messageType,
  methodOf,
  PasswordAlgorithm,
  StunClass,
  StunMethod,
} from "./constants.js";
export {
  computeFingerprint,
  computeHmac,
  crc32,
  longTermKey,
  StunKey,
  shortTermKey,
  userhash,
  verifyFingerprint,
  verifyIntegrity,
  verifyIntegritySha256,
} from "./integrity.js";
export type {
  StunAttribute,
  StunErrorCode,
  StunParseFailure,
  StunParseResult,
  StunPasswordAlgorithm,
} from "./message.js";
export { isStunMessage, parseStun, StunMessage } from "./message.js";
export type { StunTransactionEvent, StunTransactionOptions, StunTransactionState } from "./transaction.js";
export { StunClientTransaction } from "./transaction.js";
