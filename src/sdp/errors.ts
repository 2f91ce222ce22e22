// Errors thrown by the SDP layer on API misuse (never on bad SDP input, which is reported as a
// result with a reason). Each carries a stable `code` that src/webrtc/errors.ts maps to a DOMException.

export type SdpErrorCode =
  /** An argument is out of range or malformed (e.g. an ice-ufrag that RFC 8839 does not allow). */
  | "ERR_SDP_INVALID_ARGUMENT"
  /** The referenced media section (mid or m-line index) does not exist. */
  | "ERR_SDP_NO_SUCH_SECTION";

export class SdpError extends Error {
  readonly code: SdpErrorCode;
  constructor(code: SdpErrorCode, message: string) {
    super(message);
    this.name = "SdpError";
    this.code = code;
  }
}
