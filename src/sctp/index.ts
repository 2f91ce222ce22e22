// petrel/sctp: SCTP (RFC 9260) as WebRTC carries it over DTLS (RFC 8261), as a sans-IO PacketCore.
// Extensions: PR-SCTP (RFC 3758), stream reconfiguration (RFC 6525), I-DATA message interleaving
// (RFC 8260), zero checksum over DTLS (RFC 9653), SACK-IMMEDIATELY (RFC 7053, on receipt).
//
// Usage (both WebRTC peers connect; an INIT collision is handled):
//
//   const sctp = new SctpAssociation({ random: cryptoRandom() });
//   sctp.connect(now);
//   sctp.send(streamId, 51, bytes, { unordered: false }, now);
//   // driver loop, after every input:
//   //   for (let p; (p = sctp.pollTransmit()); ) dtls.send(p);
//   //   for (let e; (e = sctp.pollEvent()); ) handle(e);   // "established", "message", "sent", ...
//   //   const t = sctp.nextTimeout();                        // call handleTimeout(now) then
//   sctp.handleDatagram(decryptedDtlsRecord, now);
//
// handleDatagram keeps views into the bytes it is given (message events, reassembly): pass a
// buffer that is not reused afterwards. send() keeps a reference to `data` until acknowledged:
// do not modify it afterwards. Packets returned by pollTransmit belong to the caller.
export { SctpAssociation } from "./association.js";
export { crc32c } from "./crc32c.js";
export { SctpError } from "./errors.js";
export type {
  SctpCloseReason,
  SctpEvent,
  SctpOptions,
  SctpState,
  SctpStats,
  SendOptions,
} from "./options.js";
