// petrel/sctp: SCTP (RFC 9260) over DTLS (RFC 8261) as WebRTC data channels use it, as a sans-IO
// PacketCore. Extensions: PR-SCTP (RFC 3758), stream reset (RFC 6525), I-DATA (RFC 8260),
// zero checksum (RFC 9653).
export {
  SctpAssociation,
  type SctpCloseReason,
  type SctpEvent,
  type SctpOptions,
  type SctpState,
  type SctpStats,
  type SendOptions,
} from "./association.js";
export { crc32c } from "./crc32c.js";
export { SctpError } from "./errors.js";
