/** How long a transiently failed job waits before its next attempt. */
export interface BackoffPolicy {
  /** Delay after the first failed attempt. */
  baseMs: number;
  /** No computed delay exceeds this (a server's retry-after may still ask for longer). */
  maxMs: number;
  /** Extra random fraction of the delay, 0..jitterRatio, so jobs failed together do not retry together. */
  jitterRatio: number;
}

export const defaultBackoff: BackoffPolicy = { baseMs: 5_000, maxMs: 15 * 60_000, jitterRatio: 0.2 };

/** Returns a number in [0, 1). */
export type RandomSource = () => number;

/**
 * Delay before attempt `failedAttempts + 1`: base · 2^(failedAttempts − 1), plus up to jitterRatio of that
 * at random, capped at maxMs.
 */
export function backoffDelayMs(failedAttempts: number, random: RandomSource, policy: BackoffPolicy = defaultBackoff): number {
  const n = Math.max(1, Math.floor(failedAttempts));
  // 2^n overflows to Infinity long after the cap applies; min() keeps the arithmetic finite.
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(n - 1, 52));
  const jitter = exponential * policy.jitterRatio * random();
  return Math.round(Math.min(policy.maxMs, exponential + jitter));
}

/** mulberry32: a small seeded generator, so backoff and tests are reproducible. */
export function seededRandom(seed: number): RandomSource {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
