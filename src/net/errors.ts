// Errors thrown by src/net/ for API misuse and unrecoverable setup failures (binding). Each has a
// stable `code` (ERR_NET_*) that callers and the W3C layer can map; network input never throws.
export class PetrelNetError extends Error {
  readonly code: string;
  constructor(code: string, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "PetrelNetError";
    this.code = code;
  }
}
