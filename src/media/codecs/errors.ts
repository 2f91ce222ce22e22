// Errors for API misuse of the codec packetizers (a frame that cannot be carried, bad options).
// Depacketizers never throw on network input: they drop and count. `code` is stable.

export class CodecError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "CodecError";
    this.code = code;
  }
}

export function codecError(code: string, message: string): CodecError {
  return new CodecError(code, message);
}
