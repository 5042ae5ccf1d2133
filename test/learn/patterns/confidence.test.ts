import { describe, expect, it } from "vitest";
import {
  addObservation,
  betaCdf,
  betaQuantile,
  confidenceOf,
  decayTo,
  decayWeight,
  logGamma,
  resolveConfidence,
  sampleBeta,
  sampleGamma,
  seededRandom,
} from "../../../src/learn/patterns/confidence.js";

const DAY = 86_400_000;
const fresh = (s: number, f: number, at = 0) => ({ successWeight: s, failureWeight: f, at });

/** Density of Beta(a, b) integrated with Simpson's rule: an independent check of the continued fraction. */
function integratedCdf(x: number, a: number, b: number): number {
  const n = 20_000;
  const h = x / n;
  const logNorm = logGamma(a + b) - logGamma(a) - logGamma(b);
  const pdf = (t: number) => (t <= 0 ? 0 : Math.exp(logNorm + (a - 1) * Math.log(t) + (b - 1) * Math.log(1 - t)));
  let sum = pdf(0) + pdf(x);
  for (let i = 1; i < n; i++) sum += (i % 2 === 1 ? 4 : 2) * pdf(i * h);
  return (sum * h) / 3;
}

describe("Beta distribution", () => {
  it("logGamma matches factorials", () => {
    expect(Math.exp(logGamma(5))).toBeCloseTo(24, 9);
    expect(Math.exp(logGamma(0.5))).toBeCloseTo(Math.sqrt(Math.PI), 12);
  });

  it("the CDF has the closed forms of integer parameters", () => {
    // Beta(2, 1): x²; Beta(1, 3): 1 − (1 − x)³; Beta(1, 1): x.
    for (const x of [0.1, 0.37, 0.5, 0.93]) {
      expect(betaCdf(x, 2, 1)).toBeCloseTo(x * x, 12);
      expect(betaCdf(x, 1, 3)).toBeCloseTo(1 - (1 - x) ** 3, 12);
      expect(betaCdf(x, 1, 1)).toBeCloseTo(x, 12);
    }
    expect(betaCdf(0, 3, 4)).toBe(0);
    expect(betaCdf(1, 3, 4)).toBe(1);
  });

  it("the CDF agrees with numerical integration for fractional (decayed) parameters", () => {
    for (const [a, b] of [[2.5, 7.3], [1.4, 1.1], [12.2, 3.7]] as const) {
      for (const x of [0.2, 0.5, 0.8]) expect(betaCdf(x, a, b)).toBeCloseTo(integratedCdf(x, a, b), 6);
    }
  });

  it("quantiles invert the CDF", () => {
    expect(betaQuantile(0.05, 1, 1)).toBeCloseTo(0.05, 9);
    expect(betaQuantile(0.05, 2, 1)).toBeCloseTo(Math.sqrt(0.05), 9);
    expect(betaQuantile(0.05, 1, 2)).toBeCloseTo(1 - Math.sqrt(0.95), 9);
    const q = betaQuantile(0.05, 10, 2);
    expect(betaCdf(q, 10, 2)).toBeCloseTo(0.05, 9);
    expect(() => betaQuantile(1, 2, 2)).toThrow(/quantile probability must be in \(0, 1\)/);
  });
});

describe("confidence", () => {
  it("ranks by the lower bound: more evidence of the same rate is trusted more", () => {
    const few = confidenceOf(fresh(2, 0), 0);
    const many = confidenceOf(fresh(20, 0), 0);
    const mixed = confidenceOf(fresh(9, 1), 0);
    const poor = confidenceOf(fresh(1, 9), 0);
    expect(many.lowerBound).toBeGreaterThan(mixed.lowerBound);
    expect(mixed.lowerBound).toBeGreaterThan(few.lowerBound);
    expect(few.lowerBound).toBeGreaterThan(poor.lowerBound);
    // Exact values with the uniform prior: Beta(3, 1) has 5% quantile 0.05^(1/3).
    expect(few.lowerBound).toBeCloseTo(Math.cbrt(0.05), 8);
    expect(few.mean).toBeCloseTo(0.75, 12);
    expect(few.upperBound).toBeCloseTo(Math.cbrt(0.95), 8);
  });

  it("an unseen pattern has the prior's bounds", () => {
    const unseen = confidenceOf(fresh(0, 0), 0);
    expect(unseen.mean).toBe(0.5);
    expect(unseen.lowerBound).toBeCloseTo(0.05, 9);
    expect(unseen.upperBound).toBeCloseTo(0.95, 9);
  });

  it("takes a configurable prior and quantile", () => {
    const options = resolveConfidence({ priorAlpha: 2, priorBeta: 8, quantile: 0.1 });
    const c = confidenceOf(fresh(0, 0), 0, options);
    expect(c.mean).toBeCloseTo(0.2, 12);
    expect(betaCdf(c.lowerBound, 2, 8)).toBeCloseTo(0.1, 9);
    expect(() => resolveConfidence({ priorAlpha: 0 })).toThrow(/priorAlpha must be a positive number/);
    expect(() => resolveConfidence({ quantile: 0.7 })).toThrow(/quantile must be between 0 and 0.5/);
    expect(() => resolveConfidence({ halfLifeDays: -1 })).toThrow(/halfLifeDays/);
  });
});

describe("decay", () => {
  it("halves an observation's weight every half-life", () => {
    expect(decayWeight(0, 90)).toBe(1);
    expect(decayWeight(90 * DAY, 90)).toBeCloseTo(0.5, 12);
    expect(decayWeight(180 * DAY, 90)).toBeCloseTo(0.25, 12);
    expect(decayWeight(-5 * DAY, 90)).toBe(1);
  });

  it("running sums equal the sum of each observation's own weight", () => {
    let counts = fresh(0, 0, 0);
    const times = [0, 10 * DAY, 45 * DAY, 200 * DAY];
    const outcomes = [true, false, true, true];
    times.forEach((t, i) => {
      counts = addObservation(counts, outcomes[i] as boolean, t, 90);
    });
    const now = 300 * DAY;
    const expectedSuccess = times.filter((_, i) => outcomes[i]).reduce((s, t) => s + decayWeight(now - t, 90), 0);
    const expectedFailure = times.filter((_, i) => !outcomes[i]).reduce((s, t) => s + decayWeight(now - t, 90), 0);
    const atNow = decayTo(counts, now, 90);
    expect(atNow.successWeight).toBeCloseTo(expectedSuccess, 12);
    expect(atNow.failureWeight).toBeCloseTo(expectedFailure, 12);
  });

  it("old evidence counts less: a record from a year ago is less certain than the same record today", () => {
    const record = fresh(20, 1, 0);
    const today = confidenceOf(record, 0);
    const yearLater = confidenceOf(record, 365 * DAY);
    expect(yearLater.lowerBound).toBeLessThan(today.lowerBound);
    expect(yearLater.posterior.alpha).toBeCloseTo(1 + 20 * decayWeight(365 * DAY, 90), 9);
  });
});

describe("sampling", () => {
  it("a seeded source repeats exactly", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const draws = Array.from({ length: 5 }, () => sampleBeta({ alpha: 3, beta: 4 }, a));
    expect(Array.from({ length: 5 }, () => sampleBeta({ alpha: 3, beta: 4 }, b))).toEqual(draws);
    expect(draws.every((x) => x > 0 && x < 1)).toBe(true);
  });

  it.each([
    [0.5, 0.5],
    [1, 1],
    [3, 7],
    [30, 2],
    [2.7, 0.3],
  ])("Beta(%s, %s) draws have the right mean and variance", (alpha, beta) => {
    const random = seededRandom(7);
    const n = 20_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const x = sampleBeta({ alpha, beta }, random);
      sum += x;
      sumSq += x * x;
    }
    const mean = sum / n;
    const variance = sumSq / n - mean * mean;
    const s = alpha + beta;
    expect(mean).toBeCloseTo(alpha / s, 2);
    expect(variance).toBeCloseTo((alpha * beta) / (s * s * (s + 1)), 2);
  });

  it("Gamma draws have mean equal to the shape, below and above 1", () => {
    for (const shape of [0.4, 2, 9]) {
      const random = seededRandom(11);
      let sum = 0;
      for (let i = 0; i < 20_000; i++) sum += sampleGamma(shape, random);
      expect(sum / 20_000).toBeCloseTo(shape, 1);
    }
    expect(() => sampleGamma(0, Math.random)).toThrow(/gamma shape must be positive/);
  });
});
