// Errors of the W3C layer: the DOMException names a browser throws (WebIDL, W3C webrtc-pc
// section 4 and 6), RTCError (webrtc-pc 11.1) and the mapping from the stable `code` of an
// error raised by a lower layer (PetrelError-style `{ code }`) to the DOMException a browser
// would throw for the same misuse.

export type DomErrorName =
  | "InvalidStateError"
  | "OperationError"
  | "InvalidAccessError"
  | "SyntaxError"
  | "InvalidModificationError"
  | "NotSupportedError"
  | "NotReadableError"
  | "NotFoundError"
  | "DataError"
  | "AbortError"
  | "NetworkError";

/** A DOMException with the given name. `code` (legacy numeric code) comes from the name. */
export function domError(name: DomErrorName, message: string): DOMException {
  return new DOMException(message, name);
}

export function invalidState(message: string): DOMException {
  return new DOMException(message, "InvalidStateError");
}

/** A real TypeError (what WebIDL conversions throw), carrying a stable code for tests. */
export function typeError(message: string): TypeError {
  return new TypeError(message);
}

/** A RangeError, as WebIDL [EnforceRange] conversions throw... (webrtc-pc uses TypeError there). */
export function rangeError(message: string): RangeError {
  return new RangeError(message);
}

export type RTCErrorDetailType =
  | "data-channel-failure"
  | "dtls-failure"
  | "fingerprint-failure"
  | "sctp-failure"
  | "sdp-syntax-error"
  | "hardware-encoder-not-available"
  | "hardware-encoder-error";

export interface RTCErrorInit {
  errorDetail: RTCErrorDetailType;
  sdpLineNumber?: number | null;
  sctpCauseCode?: number | null;
  receivedAlert?: number | null;
  sentAlert?: number | null;
  httpRequestStatusCode?: number | null;
}

/** webrtc-pc 11.1: an OperationError DOMException with WebRTC specific details. */
export class RTCError extends DOMException {
  readonly errorDetail: RTCErrorDetailType;
  readonly sdpLineNumber: number | null;
  readonly sctpCauseCode: number | null;
  readonly receivedAlert: number | null;
  readonly sentAlert: number | null;
  readonly httpRequestStatusCode: number | null;
  constructor(init: RTCErrorInit, message = "") {
    super(message, "OperationError");
    if (!init || typeof init.errorDetail !== "string") throw new TypeError("RTCError: errorDetail is required");
    this.errorDetail = init.errorDetail;
    this.sdpLineNumber = init.sdpLineNumber ?? null;
    this.sctpCauseCode = init.sctpCauseCode ?? null;
    this.receivedAlert = init.receivedAlert ?? null;
    this.sentAlert = init.sentAlert ?? null;
    this.httpRequestStatusCode = init.httpRequestStatusCode ?? null;
  }
}

/**
 * Stable codes of the lower layers (and of this layer) and the DOMException each becomes. A code
 * not listed falls back on its words: "STATE" -> InvalidStateError, "SIZE"/"TOO_BIG"/"RANGE" ->
 * TypeError, "PARSE"/"SYNTAX" -> SyntaxError, "UNSUPPORTED" -> NotSupportedError, else
 * OperationError.
 */
const CODE_TO_NAME: Record<string, DomErrorName | "TypeError" | "RangeError"> = {
  ERR_INVALID_STATE: "InvalidStateError",
  ERR_CLOSED: "InvalidStateError",
  ERR_NOT_OPEN: "InvalidStateError",
  ERR_MESSAGE_TOO_BIG: "TypeError",
  ERR_TOO_BIG: "TypeError",
  ERR_INVALID_ARGUMENT: "TypeError",
  ERR_ID_IN_USE: "OperationError",
  ERR_NO_STREAM_ID: "OperationError",
  ERR_SDP_PARSE: "SyntaxError",
  ERR_SDP_INVALID: "InvalidAccessError",
  ERR_NOT_SUPPORTED: "NotSupportedError",
  ERR_CERTIFICATE_EXPIRED: "InvalidAccessError",
  ERR_INVALID_MODIFICATION: "InvalidModificationError",
};

function nameForCode(code: string): DomErrorName | "TypeError" | "RangeError" {
  const known = CODE_TO_NAME[code];
  if (known) return known;
  const c = code.toUpperCase();
  if (c.includes("STATE") || c.includes("CLOSED")) return "InvalidStateError";
  if (c.includes("TOO_BIG") || c.includes("SIZE") || c.includes("RANGE") || c.includes("ARGUMENT")) return "TypeError";
  if (c.includes("PARSE") || c.includes("SYNTAX")) return "SyntaxError";
  if (c.includes("UNSUPPORTED") || c.includes("NOT_SUPPORTED")) return "NotSupportedError";
  return "OperationError";
}

/**
 * Converts whatever a lower layer threw into what a browser would throw. DOMExceptions and
 * TypeErrors pass through; an Error with a string `code` is mapped; anything else becomes an
 * OperationError carrying the original as `cause`.
 */
export function toWebError(err: unknown): Error {
  if (err instanceof DOMException || err instanceof TypeError || err instanceof RangeError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = err && typeof err === "object" && "code" in err ? (err as { code: unknown }).code : undefined;
  const name = typeof code === "string" ? nameForCode(code) : "OperationError";
  if (name === "TypeError") return new TypeError(message, { cause: err });
  if (name === "RangeError") return new RangeError(message, { cause: err });
  const e = new DOMException(message, name);
  Object.defineProperty(e, "cause", { value: err, configurable: true, writable: true });
  return e;
}
