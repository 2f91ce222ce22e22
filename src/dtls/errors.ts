// Errors thrown by the DTLS layer on API misuse (never for network input, which is dropped and
// counted). Each carries a stable `code` that the W3C layer can map to a DOMException.

export type DtlsErrorCode =
  | "INVALID_STATE"
  | "MESSAGE_TOO_LARGE"
  | "QUEUE_FULL"
  | "INVALID_ARGUMENT"
  | "UNSUPPORTED"
  | "EXPORTER_UNAVAILABLE";

export class DtlsError extends Error {
  readonly code: DtlsErrorCode;
  constructor(code: DtlsErrorCode, message: string) {
    super(message);
    this.name = "DtlsError";
    this.code = code;
  }
}
