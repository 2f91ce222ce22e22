// DTLS 1.2 handshake messages: the 12-byte handshake header with message_seq and fragment
// fields (RFC 6347 4.2.2), and the bodies used by an ECDHE handshake with mutual certificate
// authentication (RFC 5246 7.4, RFC 6347 4.2.1 HelloVerifyRequest, RFC 8422 5.4/5.7).
// Parsers return undefined on malformed input; writers return complete unfragmented messages.
import { Reader, readU16, readU24, Writer, writeU16, writeU24 } from "../bytes/index.js";
import { type Extension, parseExtensions, writeExtensions } from "./extensions.js";

export const HT_HELLO_REQUEST = 0;
export const HT_CLIENT_HELLO = 1;
export const HT_SERVER_HELLO = 2;
export const HT_HELLO_VERIFY_REQUEST = 3;
export const HT_CERTIFICATE = 11;
export const HT_SERVER_KEY_EXCHANGE = 12;
export const HT_CERTIFICATE_REQUEST = 13;
export const HT_SERVER_HELLO_DONE = 14;
export const HT_CERTIFICATE_VERIFY = 15;
export const HT_CLIENT_KEY_EXCHANGE = 16;
export const HT_FINISHED = 20;

export const HANDSHAKE_HEADER_LENGTH = 12;

export interface HandshakeFragment {
  msgType: number;
  length: number;
  messageSeq: number;
  fragmentOffset: number;
  fragmentLength: number;
  /** View of the fragment bytes. */
  body: Uint8Array;
}

/** Reads one handshake fragment at `o` within `end`; undefined if malformed. */
export function readFragment(b: Uint8Array, o: number, end: number): HandshakeFragment | undefined {
  if (o + HANDSHAKE_HEADER_LENGTH > end) return undefined;
  const msgType = b[o]!;
  const length = readU24(b, o + 1);
  const messageSeq = readU16(b, o + 4);
  const fragmentOffset = readU24(b, o + 6);
  const fragmentLength = readU24(b, o + 9);
  const start = o + HANDSHAKE_HEADER_LENGTH;
  if (start + fragmentLength > end || fragmentOffset + fragmentLength > length) return undefined;
  return {
    msgType,
    length,
    messageSeq,
    fragmentOffset,
    fragmentLength,
    body: b.subarray(start, start + fragmentLength),
  };
}

/** A complete message with an unfragmented header: the form that goes into the transcript. */
export function buildMessage(msgType: number, messageSeq: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(HANDSHAKE_HEADER_LENGTH + body.length);
  writeFragmentHeader(out, 0, msgType, body.length, messageSeq, 0, body.length);
  out.set(body, HANDSHAKE_HEADER_LENGTH);
  return out;
}

export function writeFragmentHeader(
  out: Uint8Array,
  o: number,
  msgType: number,
  length: number,
  messageSeq: number,
  fragmentOffset: number,
  fragmentLength: number,
): number {
  out[o] = msgType;
  writeU24(out, o + 1, length);
  writeU16(out, o + 4, messageSeq);
  writeU24(out, o + 6, fragmentOffset);
  writeU24(out, o + 9, fragmentLength);
  return o + HANDSHAKE_HEADER_LENGTH;
}

// ---- ClientHello (RFC 6347 4.2.1: DTLS adds the cookie) ----

export interface ClientHello {
  version: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cookie: Uint8Array;
  cipherSuites: number[];
  compressionMethods: Uint8Array;
  extensions: Extension[];
}

export function parseClientHello(body: Uint8Array): ClientHello | undefined {
  const r = new Reader(body);
  const version = r.u16();
  const random = r.view(32);
  const sessionId = r.vector(1);
  const cookie = r.vector(1);
  const suites = r.vector(2);
  const compressionMethods = r.vector(1);
  if (r.failed || suites.length % 2 !== 0 || sessionId.length > 32) return undefined;
  let extensions: Extension[] = [];
  if (r.remaining > 0) {
    const block = r.vector(2);
    if (r.failed || r.remaining !== 0) return undefined;
    const parsed = parseExtensions(block);
    if (!parsed) return undefined;
    extensions = parsed;
  }
  const cipherSuites: number[] = [];
  for (let i = 0; i < suites.length; i += 2) cipherSuites.push((suites[i]! << 8) | suites[i + 1]!);
  return { version, random, sessionId, cookie, cipherSuites, compressionMethods, extensions };
}

export function writeClientHello(ch: ClientHello): Uint8Array {
  const w = new Writer(512);
  w.u16(ch.version).bytes(ch.random).vector(1, ch.sessionId).vector(1, ch.cookie);
  w.u16(ch.cipherSuites.length * 2);
  for (const s of ch.cipherSuites) w.u16(s);
  w.vector(1, ch.compressionMethods);
  writeExtensions(w, ch.extensions);
  return w.finish();
}

/**
 * The prefix of a ClientHello that a stateless cookie covers, read from the first fragment
 * (RFC 6347 4.2.1): everything from client_version through compression_methods, and where the
 * cookie sits. Undefined if the fragment does not contain it all.
 */
export function clientHelloCookieView(
  fragment: Uint8Array,
): { version: number; cookie: Uint8Array; before: Uint8Array; after: Uint8Array } | undefined {
  const r = new Reader(fragment);
  const version = r.u16();
  r.skip(32);
  r.vector(1);
  const cookieStart = r.offset;
  const cookie = r.vector(1);
  const afterStart = r.offset;
  r.vector(2);
  r.vector(1);
  if (r.failed) return undefined;
  return {
    version,
    cookie,
    before: fragment.subarray(0, cookieStart),
    after: fragment.subarray(afterStart, r.offset),
  };
}

// ---- ServerHello ----

export interface ServerHello {
  version: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuite: number;
  compressionMethod: number;
  extensions: Extension[];
}

export function parseServerHello(body: Uint8Array): ServerHello | undefined {
  const r = new Reader(body);
  const version = r.u16();
  const random = r.view(32);
  const sessionId = r.vector(1);
  const cipherSuite = r.u16();
  const compressionMethod = r.u8();
  if (r.failed) return undefined;
  let extensions: Extension[] = [];
  if (r.remaining > 0) {
    const block = r.vector(2);
    if (r.failed || r.remaining !== 0) return undefined;
    const parsed = parseExtensions(block);
    if (!parsed) return undefined;
    extensions = parsed;
  }
  return { version, random, sessionId, cipherSuite, compressionMethod, extensions };
}

export function writeServerHello(sh: ServerHello): Uint8Array {
  const w = new Writer(128);
  w.u16(sh.version).bytes(sh.random).vector(1, sh.sessionId).u16(sh.cipherSuite).u8(sh.compressionMethod);
  writeExtensions(w, sh.extensions);
  return w.finish();
}

// ---- HelloVerifyRequest ----

export function parseHelloVerifyRequest(body: Uint8Array): { version: number; cookie: Uint8Array } | undefined {
  const r = new Reader(body);
  const version = r.u16();
  const cookie = r.vector(1);
  if (r.failed || r.remaining !== 0) return undefined;
  return { version, cookie };
}

export function writeHelloVerifyRequest(version: number, cookie: Uint8Array): Uint8Array {
  return new Writer(3 + cookie.length).u16(version).vector(1, cookie).finish();
}

// ---- Certificate (RFC 5246 7.4.2) ----

export function parseCertificateList(body: Uint8Array): Uint8Array[] | undefined {
  const r = new Reader(body);
  const list = r.vector(3);
  if (r.failed || r.remaining !== 0) return undefined;
  const lr = new Reader(list);
  const out: Uint8Array[] = [];
  while (lr.remaining > 0) {
    const cert = lr.vector(3);
    if (lr.failed || cert.length === 0) return undefined;
    out.push(cert);
  }
  return out;
}

export function writeCertificateList(certs: readonly Uint8Array[]): Uint8Array {
  const w = new Writer(64);
  const done = w.lengthPrefix(3);
  for (const c of certs) w.vector(3, c);
  done();
  return w.finish();
}

// ---- ServerKeyExchange for ECDHE (RFC 8422 5.4) ----

export interface ServerKeyExchange {
  group: number;
  publicKey: Uint8Array;
  /** The ServerECDHParams bytes that the signature covers (after the randoms). */
  params: Uint8Array;
  signatureScheme: number;
  signature: Uint8Array;
}

export function parseServerKeyExchange(body: Uint8Array): ServerKeyExchange | undefined {
  const r = new Reader(body);
  const curveType = r.u8();
  const group = r.u16();
  const publicKey = r.vector(1);
  const paramsEnd = r.offset;
  const signatureScheme = r.u16();
  const signature = r.vector(2);
  if (r.failed || r.remaining !== 0 || curveType !== 3 || publicKey.length === 0) return undefined;
  return { group, publicKey, params: body.subarray(0, paramsEnd), signatureScheme, signature };
}

/** ServerECDHParams: named_curve(3), group, public point. */
export function writeEcdhParams(group: number, publicKey: Uint8Array): Uint8Array {
  return new Writer(4 + publicKey.length).u8(3).u16(group).vector(1, publicKey).finish();
}

export function writeSignedBody(prefix: Uint8Array, scheme: number, signature: Uint8Array): Uint8Array {
  return new Writer(prefix.length + 4 + signature.length).bytes(prefix).u16(scheme).vector(2, signature).finish();
}

// ---- CertificateRequest (RFC 5246 7.4.4) ----

export interface CertificateRequest {
  certificateTypes: Uint8Array;
  signatureSchemes: number[];
}

export function parseCertificateRequest(body: Uint8Array): CertificateRequest | undefined {
  const r = new Reader(body);
  const certificateTypes = r.vector(1);
  const schemes = r.vector(2);
  r.vector(2); // certificate_authorities: ignored
  if (r.failed || r.remaining !== 0 || schemes.length % 2 !== 0) return undefined;
  const signatureSchemes: number[] = [];
  for (let i = 0; i < schemes.length; i += 2) signatureSchemes.push((schemes[i]! << 8) | schemes[i + 1]!);
  return { certificateTypes, signatureSchemes };
}

export const CERT_TYPE_RSA_SIGN = 1;
export const CERT_TYPE_ECDSA_SIGN = 64;

export function writeCertificateRequest(types: readonly number[], schemes: readonly number[]): Uint8Array {
  const w = new Writer(8 + schemes.length * 2);
  w.vector(1, Uint8Array.from(types));
  w.u16(schemes.length * 2);
  for (const s of schemes) w.u16(s);
  w.u16(0);
  return w.finish();
}

// ---- ClientKeyExchange for ECDHE (RFC 8422 5.7) ----

export function parseClientKeyExchange(body: Uint8Array): Uint8Array | undefined {
  const r = new Reader(body);
  const point = r.vector(1);
  if (r.failed || r.remaining !== 0 || point.length === 0) return undefined;
  return point;
}

export function writeClientKeyExchange(publicKey: Uint8Array): Uint8Array {
  return new Writer(1 + publicKey.length).vector(1, publicKey).finish();
}

// ---- CertificateVerify (RFC 5246 7.4.8) ----

export function parseDigitallySigned(body: Uint8Array): { scheme: number; signature: Uint8Array } | undefined {
  const r = new Reader(body);
  const scheme = r.u16();
  const signature = r.vector(2);
  if (r.failed || r.remaining !== 0) return undefined;
  return { scheme, signature };
}
