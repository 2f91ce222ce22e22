// Stateless HelloVerifyRequest cookies (RFC 6347 4.2.1): cookie = HMAC-SHA256(secret, client
// identity || ClientHello fields from client_version through compression_methods, without the
// cookie itself). Checked on the first fragment of a ClientHello, so a server answers a flood of
// ClientHellos, even fragmented ones like Chrome's, without keeping any state.
import { createHmac } from "node:crypto";
import { constantTimeEqual } from "../bytes/index.js";
import { buildMessage, clientHelloCookieView, HT_HELLO_VERIFY_REQUEST, writeHelloVerifyRequest } from "./messages.js";
import { CONTENT_HANDSHAKE, DTLS_1_0, plainRecord } from "./record.js";

export const COOKIE_LENGTH = 32;

export function computeCookie(
  secret: Uint8Array,
  clientId: Uint8Array | undefined,
  before: Uint8Array,
  after: Uint8Array,
): Uint8Array {
  const h = createHmac("sha256", secret);
  if (clientId) h.update(clientId);
  return new Uint8Array(h.update(before).update(after).digest());
}

export type CookieVerdict = "valid" | "missing" | "invalid" | "malformed";

/** Checks the cookie in the first fragment of a ClientHello body. */
export function checkCookie(fragment: Uint8Array, secret: Uint8Array, clientId: Uint8Array | undefined): CookieVerdict {
  const v = clientHelloCookieView(fragment);
  if (!v) return "malformed";
  if (v.cookie.length === 0) return "missing";
  return constantTimeEqual(v.cookie, computeCookie(secret, clientId, v.before, v.after)) ? "valid" : "invalid";
}

/**
 * The HelloVerifyRequest datagram answering a ClientHello's first fragment: the message_seq and the
 * record sequence number echo the ClientHello's (RFC 6347 4.2.1); server_version is DTLS 1.0 as
 * the RFC recommends. Undefined when the fragment is malformed.
 */
export function helloVerifyRequest(
  fragment: Uint8Array,
  messageSeq: number,
  recordSeq: number,
  secret: Uint8Array,
  clientId: Uint8Array | undefined,
): Uint8Array | undefined {
  const v = clientHelloCookieView(fragment);
  if (!v) return undefined;
  const cookie = computeCookie(secret, clientId, v.before, v.after);
  const msg = buildMessage(HT_HELLO_VERIFY_REQUEST, messageSeq, writeHelloVerifyRequest(DTLS_1_0, cookie));
  return plainRecord(CONTENT_HANDSHAKE, recordSeq, msg, DTLS_1_0);
}
