// The TLS 1.2 pseudo-random function and the secrets derived with it: P_hash and PRF
// (RFC 5246 5), master secret (RFC 5246 8.1) and extended master secret (RFC 7627 4),
// key block (RFC 5246 6.3), Finished verify_data (RFC 5246 7.4.9) and the keying material
// exporter (RFC 5705 4).
import { createHash, createHmac } from "node:crypto";
import { concatBytes } from "../bytes/index.js";
import { DtlsError } from "./errors.js";

export type PrfHash = "sha256" | "sha384";

const ASCII = new TextEncoder();

/** P_hash(secret, seed) truncated to `length` bytes (RFC 5246 5). */
export function pHash(hash: PrfHash, secret: Uint8Array, seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let a: Uint8Array = createHmac(hash, secret).update(seed).digest(); // A(1)
  let off = 0;
  while (off < length) {
    const block = createHmac(hash, secret).update(a).update(seed).digest();
    const n = Math.min(block.length, length - off);
    out.set(block.subarray(0, n), off);
    off += n;
    if (off < length) a = createHmac(hash, secret).update(a).digest();
  }
  return out;
}

/** PRF(secret, label, seed) = P_hash(secret, label + seed) (RFC 5246 5). */
export function prf(hash: PrfHash, secret: Uint8Array, label: string, seed: Uint8Array, length: number): Uint8Array {
  const l = ASCII.encode(label);
  const s = new Uint8Array(l.length + seed.length);
  s.set(l, 0);
  s.set(seed, l.length);
  return pHash(hash, secret, s, length);
}

/** master_secret (RFC 5246 8.1). */
export function masterSecret(
  hash: PrfHash,
  preMaster: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): Uint8Array {
  return prf(hash, preMaster, "master secret", concatBytes([clientRandom, serverRandom]), 48);
}

/** Extended master secret over the session hash (RFC 7627 4). */
export function extendedMasterSecret(hash: PrfHash, preMaster: Uint8Array, sessionHash: Uint8Array): Uint8Array {
  return prf(hash, preMaster, "extended master secret", sessionHash, 48);
}

export interface AeadKeys {
  clientWriteKey: Uint8Array;
  serverWriteKey: Uint8Array;
  clientWriteIv: Uint8Array;
  serverWriteIv: Uint8Array;
}

/** The key block for an AEAD suite: no MAC keys (RFC 5246 6.3, RFC 5288 3). */
export function keyBlock(
  hash: PrfHash,
  master: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  keyLength: number,
  ivLength: number,
): AeadKeys {
  const block = prf(
    hash,
    master,
    "key expansion",
    concatBytes([serverRandom, clientRandom]),
    2 * (keyLength + ivLength),
  );
  let o = 0;
  const take = (n: number): Uint8Array => {
    const v = block.slice(o, o + n);
    o += n;
    return v;
  };
  const clientWriteKey = take(keyLength);
  const serverWriteKey = take(keyLength);
  const clientWriteIv = take(ivLength);
  const serverWriteIv = take(ivLength);
  return { clientWriteKey, serverWriteKey, clientWriteIv, serverWriteIv };
}

/** verify_data of a Finished message (RFC 5246 7.4.9); 12 bytes. */
export function finishedVerifyData(
  hash: PrfHash,
  master: Uint8Array,
  role: "client" | "server",
  transcript: Uint8Array,
): Uint8Array {
  const digest = createHash(hash).update(transcript).digest();
  return prf(hash, master, role === "client" ? "client finished" : "server finished", digest, 12);
}

/** Labels the exporter must refuse: the TLS 1.2 key schedule's own (RFC 5705 4, RFC 7627). */
const EXPORTER_FORBIDDEN = new Set([
  "client finished",
  "server finished",
  "master secret",
  "key expansion",
  "extended master secret",
]);

/**
 * RFC 5705 keying material exporter; `context` undefined means "no context" (not empty). Throws
 * DtlsError INVALID_ARGUMENT for a reserved label or a length outside 1..65535.
 */
export function exportKeyingMaterial(
  hash: PrfHash,
  master: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  label: string,
  context: Uint8Array | undefined,
  length: number,
): Uint8Array {
  if (EXPORTER_FORBIDDEN.has(label)) throw new DtlsError("INVALID_ARGUMENT", `reserved exporter label ${label}`);
  if (!Number.isInteger(length) || length <= 0 || length > 65535) {
    throw new DtlsError("INVALID_ARGUMENT", "length must be 1..65535");
  }
  let seed: Uint8Array;
  if (context === undefined) seed = concatBytes([clientRandom, serverRandom]);
  else {
    const len = new Uint8Array([context.length >>> 8, context.length & 255]);
    seed = concatBytes([clientRandom, serverRandom, len, context]);
  }
  return prf(hash, master, label, seed, length);
}
