// Errors for API misuse in the RTP/RTCP layer (building a packet that cannot be encoded).
// Parsers never throw: they return undefined. `code` is stable (see ARCHITECTURE.md "Errors").

export class RtpError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "RtpError";
    this.code = code;
  }
}

export function rtpError(code: string, message: string): RtpError {
  return new RtpError(code, message);
}
