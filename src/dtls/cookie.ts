// Stateless HelloVerifyRequest cookies (RFC 6347 4.2.1): cookie = HMAC-SHA256(secret, client
// identity || ClientHello fields from client_version through compression_methods, without the
// cookie itself). Checked on the first fragment of a ClientHello, so a server answers a flood of
// ClientHellos, even fragmented ones like Chrome's, without keeping any state.
import { createHmac } from "node:crypto";
import { constantTimeEqual, readU16, readU48 } from "../bytes/index.js";
import {
  buildMessage,
  clientHelloCookieView,
  HT_CLIENT_HELLO,
  HT_HELLO_VERIFY_REQUEST,
  readFragment,
  writeHelloVerifyRequest,
} from "./messages.js";
import { CONTENT_HANDSHAKE, DTLS_1_0, plainRecord, RECORD_HEADER_LENGTH } from "./record.js";

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

export type StatelessAction = { action: "accept" } | { action: "reply"; datagram: Uint8Array } | { action: "drop" };

/**
 * For a server holding no state for this client yet: should this datagram create a connection?
 * "accept" when it carries a ClientHello first fragment with a valid cookie, "reply" with a
 * HelloVerifyRequest when the cookie is missing or stale, "drop" otherwise. Allocates nothing
 * per client, so a flood of ClientHellos costs the server no memory.
 */
export function statelessServerResponse(
  datagram: Uint8Array,
  secret: Uint8Array,
  clientId: Uint8Array | undefined,
): StatelessAction {
  let o = 0;
  while (o + RECORD_HEADER_LENGTH <= datagram.length) {
    const type = datagram[o]!;
    const epoch = readU16(datagram, o + 3);
    const recordSeq = readU48(datagram, o + 5);
    const len = readU16(datagram, o + 11);
    const body = o + RECORD_HEADER_LENGTH;
    if (body + len > datagram.length) return { action: "drop" };
    if (type === CONTENT_HANDSHAKE && epoch === 0) {
      const f = readFragment(datagram, body, body + len);
      if (f && f.msgType === HT_CLIENT_HELLO && f.fragmentOffset === 0) {
        const verdict = checkCookie(f.body, secret, clientId);
        if (verdict === "valid") return { action: "accept" };
        if (verdict === "malformed") return { action: "drop" };
        const hvr = helloVerifyRequest(f.body, f.messageSeq, recordSeq, secret, clientId);
        return hvr ? { action: "reply", datagram: hvr } : { action: "drop" };
      }
    }
    o = body + len;
  }
  return { action: "drop" };
}
