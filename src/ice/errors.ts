// Errors thrown by the ICE agent's API on misuse (network input never throws): a stable `code`
// (ICE_CLOSED, ICE_BAD_ADDRESS, ICE_BAD_CANDIDATE, ICE_CREDENTIALS_SET) that the W3C layer maps
// to the DOMException a browser throws.
export class IceAgentError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}
