// API misuse errors of the Peer core: an Error with a stable `code` (ARCHITECTURE.md "Errors and
// bounds"); src/webrtc/errors.ts maps each code to the DOMException a browser throws.

export type PeerErrorCode =
  | "ERR_INVALID_STATE"
  | "ERR_CLOSED"
  | "ERR_NOT_OPEN"
  | "ERR_MESSAGE_TOO_BIG"
  | "ERR_ID_IN_USE"
  | "ERR_NO_STREAM_ID"
  | "ERR_INVALID_ARGUMENT"
  | "ERR_NOT_SUPPORTED";

export class PeerError extends Error {
  readonly code: PeerErrorCode;
  constructor(code: PeerErrorCode, message: string) {
    super(message);
    this.name = "PeerError";
    this.code = code;
  }
}
