// Ephemeral ECDH for the ECDHE suites (RFC 8422 5.4, 5.10): X25519 (RFC 7748 6.1, 32-byte
// u-coordinates), secp256r1 and secp384r1 (uncompressed points, RFC 8422 5.4.1). Private keys come
// from the core's Random so simulations are reproducible.
import { createECDH, createPrivateKey, createPublicKey, diffieHellman } from "node:crypto";
import type { Random } from "../random.js";
import { GROUP_SECP256R1, GROUP_SECP384R1, GROUP_X25519 } from "./suites.js";

export interface KeyShare {
  readonly group: number;
  readonly publicKey: Uint8Array;
  /** The shared secret with the peer's public value; undefined when the value is invalid. */
  computeSecret(peer: Uint8Array): Uint8Array | undefined;
}

const X25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
const X25519_SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");
/** NIST curves: OpenSSL name, scalar size and group order n (a private scalar must be in [1, n)). */
const NIST: Record<number, { curve: string; size: number; order: Buffer }> = {
  [GROUP_SECP256R1]: {
    curve: "prime256v1",
    size: 32,
    order: Buffer.from("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", "hex"),
  },
  [GROUP_SECP384R1]: {
    curve: "secp384r1",
    size: 48,
    order: Buffer.from(
      "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973",
      "hex",
    ),
  },
};

export function isSupportedGroup(group: number): boolean {
  return group === GROUP_X25519 || NIST[group] !== undefined;
}

export function generateKeyShare(group: number, random: Random): KeyShare {
  if (group === GROUP_X25519) {
    const priv = random.bytes(32);
    const privateKey = createPrivateKey({
      key: Buffer.concat([X25519_PKCS8_PREFIX, priv]),
      format: "der",
      type: "pkcs8",
    });
    const spki = createPublicKey(privateKey).export({ type: "spki", format: "der" });
    const publicKey = new Uint8Array(spki.subarray(spki.length - 32));
    return {
      group,
      publicKey,
      computeSecret(peer) {
        if (peer.length !== 32) return undefined;
        try {
          const publicKeyObj = createPublicKey({
            key: Buffer.concat([X25519_SPKI_PREFIX, peer]),
            format: "der",
            type: "spki",
          });
          const secret = diffieHellman({ privateKey, publicKey: publicKeyObj });
          // An all-zero result means a low-order point (RFC 7748 6.1).
          let acc = 0;
          for (const b of secret) acc |= b;
          return acc === 0 ? undefined : new Uint8Array(secret);
        } catch {
          return undefined; // node:crypto rejects bad keys by throwing
        }
      },
    };
  }
  const nist = NIST[group];
  if (nist) {
    const ecdh = createECDH(nist.curve);
    let priv: Uint8Array;
    do priv = random.bytes(nist.size);
    while (Buffer.compare(Buffer.from(priv), nist.order) >= 0 || priv.every((b) => b === 0));
    ecdh.setPrivateKey(priv);
    const publicKey = new Uint8Array(ecdh.getPublicKey());
    return {
      group,
      publicKey,
      computeSecret(peer) {
        if (peer.length !== publicKey.length || peer[0] !== 4) return undefined;
        try {
          return new Uint8Array(ecdh.computeSecret(peer));
        } catch {
          return undefined; // point not on the curve
        }
      },
    };
  }
  throw new Error(`unsupported group ${group}`);
}
