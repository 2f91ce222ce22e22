// DTLS 1.2 cipher suites Petrel supports: ECDHE with ECDSA or RSA authentication and AEAD
// record protection only (RFC 5288 / RFC 5289 AES-GCM, RFC 7905 ChaCha20-Poly1305), plus the
// named groups (RFC 8422 5.1.1, RFC 7748) and SRTP protection profiles (RFC 5764 4.1.2, RFC 7714 14.2).

export type AeadAlgorithm = "aes-128-gcm" | "aes-256-gcm" | "chacha20-poly1305";
export type SuiteAuth = "ecdsa" | "rsa";

export interface CipherSuite {
  readonly id: number;
  readonly name: string;
  readonly auth: SuiteAuth;
  /** The PRF hash (RFC 5246 5, RFC 5289 3.2). */
  readonly hash: "sha256" | "sha384";
  readonly aead: AeadAlgorithm;
  readonly keyLength: number;
  /** Implicit part of the nonce from the key block: 4 for GCM (salt), 12 for ChaCha20 (RFC 7905 2). */
  readonly fixedIvLength: number;
  /** Explicit nonce carried in each record: 8 for GCM (RFC 5288 3), 0 for ChaCha20. */
  readonly recordIvLength: number;
}

function suite(id: number, name: string, auth: SuiteAuth, hash: "sha256" | "sha384", aead: AeadAlgorithm): CipherSuite {
  const chacha = aead === "chacha20-poly1305";
  return {
    id,
    name,
    auth,
    hash,
    aead,
    keyLength: aead === "aes-128-gcm" ? 16 : 32,
    fixedIvLength: chacha ? 12 : 4,
    recordIvLength: chacha ? 0 : 8,
  };
}

/** Every supported suite, in Petrel's preference order. */
export const CIPHER_SUITES: readonly CipherSuite[] = [
  suite(0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ecdsa", "sha256", "aes-128-gcm"),
  suite(0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ecdsa", "sha384", "aes-256-gcm"),
  suite(0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ecdsa", "sha256", "chacha20-poly1305"),
  suite(0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "rsa", "sha256", "aes-128-gcm"),
  suite(0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "rsa", "sha384", "aes-256-gcm"),
  suite(0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "rsa", "sha256", "chacha20-poly1305"),
];

export function suiteById(id: number): CipherSuite | undefined {
  for (const s of CIPHER_SUITES) if (s.id === id) return s;
  return undefined;
}

export function suiteByName(name: string): CipherSuite | undefined {
  for (const s of CIPHER_SUITES) if (s.name === name) return s;
  return undefined;
}

/** TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 3.3). */
export const EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff;

/** Named groups (RFC 8422 5.1.1 / IANA). */
export const GROUP_SECP256R1 = 23;
export const GROUP_SECP384R1 = 24;
export const GROUP_X25519 = 29;
/**
 * Our key-exchange groups in preference order. secp384r1 is last: rarely chosen for ECDHE, but a
 * TLS 1.2 peer may only use a P-384 ECDSA certificate when the group is listed (RFC 8422 5.1.1).
 */
export const SUPPORTED_GROUPS: readonly number[] = [GROUP_X25519, GROUP_SECP256R1, GROUP_SECP384R1];

/** SRTP protection profiles (RFC 5764 4.1.2, RFC 7714 14.2). */
export const SRTP_AES128_CM_HMAC_SHA1_80 = 0x0001;
export const SRTP_AES128_CM_HMAC_SHA1_32 = 0x0002;
export const SRTP_AEAD_AES_128_GCM = 0x0007;
export const SRTP_AEAD_AES_256_GCM = 0x0008;
export const SRTP_PROFILE_NAMES: Readonly<Record<number, string>> = {
  [SRTP_AES128_CM_HMAC_SHA1_80]: "SRTP_AES128_CM_HMAC_SHA1_80",
  [SRTP_AES128_CM_HMAC_SHA1_32]: "SRTP_AES128_CM_HMAC_SHA1_32",
  [SRTP_AEAD_AES_128_GCM]: "SRTP_AEAD_AES_128_GCM",
  [SRTP_AEAD_AES_256_GCM]: "SRTP_AEAD_AES_256_GCM",
};
/** Default use_srtp preference: GCM first, then the profiles every browser supports. */
export const DEFAULT_SRTP_PROFILES: readonly number[] = [
  SRTP_AEAD_AES_128_GCM,
  SRTP_AEAD_AES_256_GCM,
  SRTP_AES128_CM_HMAC_SHA1_80,
  SRTP_AES128_CM_HMAC_SHA1_32,
];
