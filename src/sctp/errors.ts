// Errors thrown on API misuse by the SCTP and data channel layers (ARCHITECTURE.md "Errors and
// bounds"): an Error with a stable `code` that the W3C layer maps to a DOMException.
export class SctpError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "SctpError";
    this.code = code;
  }
}
