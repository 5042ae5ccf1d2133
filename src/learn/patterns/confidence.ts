/**
 * How much a pattern can be trusted, from its successes and failures: a Beta posterior over its success
 * rate, with old observations counting less than new ones.
 *
 * Ranking uses the posterior's exact 5% quantile, not `mean − 1.645·sd`. The normal approximation is
 * symmetric, so for the small, lopsided counts typical here (3 successes, 0 failures) it overshoots
 * past 1 or undershoots past 0 and ranks patterns with few observations inconsistently; the quantile
 * of the Beta itself respects its skew and stays in [0, 1]. With the uniform prior an unseen pattern
 * has a lower bound of 0.05, one merged use gives 0.22, nine successes out of ten give 0.66.
 */

export interface ConfidenceOptions {
  /** Beta prior: pseudo-successes. */
  priorAlpha?: number;
  /** Beta prior: pseudo-failures. */
  priorBeta?: number;
  /** An observation this old counts half. */
  halfLifeDays?: number;
  /** Which posterior quantile ranks patterns (0.05: "95% sure the success rate is at least this"). */
  quantile?: number;
}

export interface ResolvedConfidenceOptions {
  priorAlpha: number;
  priorBeta: number;
  halfLifeDays: number;
  quantile: number;
}

export const DEFAULT_CONFIDENCE: ResolvedConfidenceOptions = {
  priorAlpha: 1,
  priorBeta: 1,
  halfLifeDays: 90,
  quantile: 0.05,
};

const DAY_MS = 86_400_000;

export function resolveConfidence(options: ConfidenceOptions = {}): ResolvedConfidenceOptions {
  const resolved = { ...DEFAULT_CONFIDENCE, ...stripUndefined(options) };
  if (!(resolved.priorAlpha > 0)) throw new Error(`priorAlpha must be a positive number, got ${resolved.priorAlpha}`);
  if (!(resolved.priorBeta > 0)) throw new Error(`priorBeta must be a positive number, got ${resolved.priorBeta}`);
  if (!(resolved.halfLifeDays > 0)) throw new Error(`halfLifeDays must be a positive number, got ${resolved.halfLifeDays}`);
  if (!(resolved.quantile > 0 && resolved.quantile < 0.5)) {
    throw new Error(`quantile must be between 0 and 0.5 (exclusive), got ${resolved.quantile}`);
  }
  return resolved;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Weight of an observation `ageMs` old: 1 when new, 1/2 after one half-life. Future times count as new. */
export function decayWeight(ageMs: number, halfLifeDays: number): number {
  return Math.pow(2, -Math.max(0, ageMs) / (halfLifeDays * DAY_MS));
}

/**
 * Decayed observation weights kept as running sums: both sums share one reference time, so decaying them
 * to `now` is one multiplication, and adding an observation is "decay to now, then add 1". This is exactly
 * the sum of 2^(−age/halfLife) over all observations, without storing each one.
 */
export interface DecayedCounts {
  successWeight: number;
  failureWeight: number;
  /** Epoch ms the weights are valid at. */
  at: number;
}

export function decayTo(counts: DecayedCounts, now: number, halfLifeDays: number): DecayedCounts {
  const factor = decayWeight(now - counts.at, halfLifeDays);
  return { successWeight: counts.successWeight * factor, failureWeight: counts.failureWeight * factor, at: Math.max(now, counts.at) };
}

export function addObservation(counts: DecayedCounts, success: boolean, now: number, halfLifeDays: number): DecayedCounts {
  const current = decayTo(counts, now, halfLifeDays);
  return success
    ? { ...current, successWeight: current.successWeight + 1 }
    : { ...current, failureWeight: current.failureWeight + 1 };
}

export interface BetaPosterior {
  alpha: number;
  beta: number;
}

export function posterior(counts: DecayedCounts, now: number, options: ResolvedConfidenceOptions = DEFAULT_CONFIDENCE): BetaPosterior {
  const decayed = decayTo(counts, now, options.halfLifeDays);
  return { alpha: options.priorAlpha + decayed.successWeight, beta: options.priorBeta + decayed.failureWeight };
}

export function betaMean({ alpha, beta }: BetaPosterior): number {
  return alpha / (alpha + beta);
}

export function betaVariance({ alpha, beta }: BetaPosterior): number {
  const s = alpha + beta;
  return (alpha * beta) / (s * s * (s + 1));
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; relative error below 1e-14). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const z = x - 1;
  let sum = c[0] as number;
  for (let i = 1; i < 9; i++) sum += (c[i] as number) / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-13) break;
  }
  return h;
}

function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

function cdfWith(x: number, a: number, b: number, lnB: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(a * Math.log(x) + b * Math.log(1 - x) - lnB);
  // The continued fraction converges fast only on one side of the mean; use the symmetry on the other.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** Regularized incomplete beta I_x(a, b): the CDF of Beta(a, b) at x. */
export function betaCdf(x: number, a: number, b: number): number {
  return cdfWith(x, a, b, logBeta(a, b));
}

/**
 * The p-quantile of Beta(a, b): Newton steps on the CDF, each kept inside a shrinking bracket and
 * replaced by bisection when it would leave it, so it always converges (in a handful of steps here,
 * which matters when a retrieval ranks a few hundred candidates).
 */
export function betaQuantile(p: number, a: number, b: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`quantile probability must be in (0, 1), got ${p}`);
  const lnB = logBeta(a, b);
  let lo = 0;
  let hi = 1;
  let x = a / (a + b);
  for (let i = 0; i < 100; i++) {
    const f = cdfWith(x, a, b, lnB) - p;
    if (f === 0) return x;
    if (f < 0) lo = x;
    else hi = x;
    const density = Math.exp((a - 1) * Math.log(x) + (b - 1) * Math.log(1 - x) - lnB);
    let next = x - f / density;
    if (!(next > lo && next < hi) || !Number.isFinite(next)) next = (lo + hi) / 2;
    if (Math.abs(next - x) < 1e-12 || hi - lo < 1e-12) return next;
    x = next;
  }
  return x;
}

export interface Confidence {
  /** Posterior mean success rate. */
  mean: number;
  /** The `quantile` (default 5%) of the posterior: the rate we are 95% sure the pattern reaches. */
  lowerBound: number;
  /** The mirror quantile (default 95%): how good the pattern could plausibly be. */
  upperBound: number;
  posterior: BetaPosterior;
}

export function confidenceOf(counts: DecayedCounts, now: number, options: ResolvedConfidenceOptions = DEFAULT_CONFIDENCE): Confidence {
  const post = posterior(counts, now, options);
  return {
    mean: betaMean(post),
    lowerBound: betaQuantile(options.quantile, post.alpha, post.beta),
    upperBound: betaQuantile(1 - options.quantile, post.alpha, post.beta),
    posterior: post,
  };
}

/** A standard normal draw from two uniforms (Box–Muller); `random` returns values in [0, 1). */
export function sampleStandardNormal(random: () => number): number {
  let u = random();
  while (u <= Number.MIN_VALUE) u = random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * A Gamma(shape, 1) draw by Marsaglia and Tsang (2000). For shape < 1 it draws Gamma(shape + 1) and
 * scales by U^(1/shape), the standard boost, since the squeeze method needs shape ≥ 1.
 */
export function sampleGamma(shape: number, random: () => number): number {
  if (!(shape > 0)) throw new Error(`gamma shape must be positive, got ${shape}`);
  if (shape < 1) {
    let u = random();
    while (u <= Number.MIN_VALUE) u = random();
    return sampleGamma(shape + 1, random) * Math.pow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = sampleStandardNormal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (u > 0 && Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** A Beta(alpha, beta) draw as X / (X + Y) with X ~ Gamma(alpha), Y ~ Gamma(beta). */
export function sampleBeta({ alpha, beta }: BetaPosterior, random: () => number): number {
  const x = sampleGamma(alpha, random);
  const y = sampleGamma(beta, random);
  return x + y === 0 ? 0.5 : x / (x + y);
}

/** A small seeded generator (mulberry32) for tests, benchmarks and reproducible selection. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
