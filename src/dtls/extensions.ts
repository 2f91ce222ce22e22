// Hello extensions DTLS 1.2 needs for WebRTC: supported_groups and ec_point_formats (RFC 8422
// 5.1), signature_algorithms (RFC 5246 7.4.1.4.1), use_srtp (RFC 5764 4.1.1),
// extended_master_secret (RFC 7627 5.1) and renegotiation_info (RFC 5746 3.2). Unknown
// extensions (supported_versions, key_share, ALPN, record_size_limit, ...) are kept as raw
// bytes and ignored by the handshake.
import { Reader, Writer } from "../bytes/index.js";

export const EXT_SUPPORTED_GROUPS = 10;
export const EXT_EC_POINT_FORMATS = 11;
export const EXT_SIGNATURE_ALGORITHMS = 13;
export const EXT_USE_SRTP = 14;
export const EXT_EXTENDED_MASTER_SECRET = 23;
export const EXT_SUPPORTED_VERSIONS = 43;
export const EXT_RENEGOTIATION_INFO = 0xff01;

export interface Extension {
  type: number;
  data: Uint8Array;
}

/**
 * Parses an extensions block (the bytes after the 2-byte total length). Returns undefined on a
 * malformed block or a duplicated type (RFC 5246 7.4.1.4).
 */
export function parseExtensions(bytes: Uint8Array): Extension[] | undefined {
  const r = new Reader(bytes);
  const out: Extension[] = [];
  while (r.remaining > 0) {
    const type = r.u16();
    const data = r.vector(2);
    if (r.failed) return undefined;
    for (const e of out) if (e.type === type) return undefined;
    out.push({ type, data });
  }
  return out;
}

export function findExtension(exts: readonly Extension[], type: number): Uint8Array | undefined {
  for (const e of exts) if (e.type === type) return e.data;
  return undefined;
}

export function writeExtensions(w: Writer, exts: readonly Extension[]): void {
  if (exts.length === 0) return; // an absent block is valid and what old peers expect
  const done = w.lengthPrefix(2);
  for (const e of exts) w.u16(e.type).vector(2, e.data);
  done();
}

/** A list of uint16 with a 2-byte length (supported_groups, signature_algorithms). */
export function encodeU16List(values: readonly number[]): Uint8Array {
  const w = new Writer(2 + values.length * 2);
  w.u16(values.length * 2);
  for (const v of values) w.u16(v);
  return w.finish();
}

export function parseU16List(data: Uint8Array): number[] | undefined {
  const r = new Reader(data);
  const list = r.vector(2);
  if (r.failed || r.remaining !== 0 || list.length % 2 !== 0) return undefined;
  const out: number[] = [];
  for (let i = 0; i < list.length; i += 2) out.push((list[i]! << 8) | list[i + 1]!);
  return out;
}

/** ec_point_formats with only "uncompressed" (RFC 8422 5.1.2). */
export const EC_POINT_FORMATS_UNCOMPRESSED: Uint8Array = Uint8Array.of(1, 0);

export function pointFormatsAllowUncompressed(data: Uint8Array): boolean {
  const r = new Reader(data);
  const list = r.vector(1);
  if (r.failed) return false;
  return list.includes(0);
}

export interface UseSrtp {
  profiles: number[];
  mki: Uint8Array;
}

export function encodeUseSrtp(profiles: readonly number[], mki: Uint8Array = new Uint8Array(0)): Uint8Array {
  const w = new Writer(5 + profiles.length * 2 + mki.length);
  w.u16(profiles.length * 2);
  for (const p of profiles) w.u16(p);
  w.vector(1, mki);
  return w.finish();
}

export function parseUseSrtp(data: Uint8Array): UseSrtp | undefined {
  const r = new Reader(data);
  const list = r.vector(2);
  const mki = r.vector(1);
  if (r.failed || r.remaining !== 0 || list.length % 2 !== 0) return undefined;
  const profiles: number[] = [];
  for (let i = 0; i < list.length; i += 2) profiles.push((list[i]! << 8) | list[i + 1]!);
  return { profiles, mki };
}

/** renegotiation_info for an initial handshake: an empty renegotiated_connection. */
export const RENEGOTIATION_INFO_INITIAL: Uint8Array = Uint8Array.of(0);
