// Randomness for cores. A core never calls Math.random() or crypto directly: it is handed a
// Random. Production uses CryptoRandom (pooled crypto.randomFillSync); tests use SeededRandom
// (xoshiro128**) so that a run is reproducible from its seed. SeededRandom is NOT for secrets.
import { randomFillSync } from "node:crypto";

export interface Random {
  /** Fills `out` with random bytes and returns it. */
  fill(out: Uint8Array): Uint8Array;
  /** A new array of `n` random bytes. */
  bytes(n: number): Uint8Array;
  /** A uniform unsigned 32-bit integer. */
  u32(): number;
  /** A uniform float in [0, 1). */
  float(): number;
  /** A uniform integer in [0, n). */
  int(n: number): number;
}

abstract class RandomBase implements Random {
  abstract fill(out: Uint8Array): Uint8Array;
  abstract u32(): number;
  bytes(n: number): Uint8Array {
    return this.fill(new Uint8Array(n));
  }
  float(): number {
    // 53 bits of randomness from two draws.
    return ((this.u32() >>> 5) * 67108864 + (this.u32() >>> 6)) / 9007199254740992;
  }
  int(n: number): number {
    return Math.floor(this.float() * n);
  }
}

const POOL_SIZE = 4096;

/** Cryptographically secure randomness from OpenSSL, drawn from a pool refilled in bulk. */
export class CryptoRandom extends RandomBase {
  private pool: Uint8Array;
  private pos: number;
  constructor() {
    super();
    this.pool = new Uint8Array(POOL_SIZE);
    this.pos = POOL_SIZE;
  }
  fill(out: Uint8Array): Uint8Array {
    if (out.length > POOL_SIZE / 4) return randomFillSync(out);
    if (this.pos + out.length > POOL_SIZE) {
      randomFillSync(this.pool);
      this.pos = 0;
    }
    out.set(this.pool.subarray(this.pos, this.pos + out.length));
    // Wipe what was handed out so it cannot leak through a later view of the pool.
    this.pool.fill(0, this.pos, this.pos + out.length);
    this.pos += out.length;
    return out;
  }
  u32(): number {
    const b = this.fill(new Uint8Array(4));
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  }
}

/** Deterministic xoshiro128** seeded through splitmix32. For tests and simulations only. */
export class SeededRandom extends RandomBase {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  readonly seed: number;
  constructor(seed: number) {
    super();
    this.seed = seed >>> 0;
    let x = this.seed;
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }
  fill(out: Uint8Array): Uint8Array {
    for (let i = 0; i < out.length; i += 4) {
      const v = this.u32();
      out[i] = v;
      if (i + 1 < out.length) out[i + 1] = v >>> 8;
      if (i + 2 < out.length) out[i + 2] = v >>> 16;
      if (i + 3 < out.length) out[i + 3] = v >>> 24;
    }
    return out;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

let shared: CryptoRandom | undefined;
/** The process-wide crypto-backed Random used by drivers and the public API. */
export function cryptoRandom(): CryptoRandom {
  if (!shared) shared = new CryptoRandom();
  return shared;
}
