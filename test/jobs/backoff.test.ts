import { describe, expect, it } from "vitest";
import { backoffDelayMs, defaultBackoff, seededRandom } from "../../src/jobs/backoff.js";

describe("backoffDelayMs", () => {
  const policy = { baseMs: 1_000, maxMs: 60_000, jitterRatio: 0.2 };

  it("doubles per failed attempt, adding jitter in proportion to the delay", () => {
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(n, () => 0, policy))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(backoffDelayMs(3, () => 0.5, policy)).toBe(4_400);
    expect(backoffDelayMs(1, () => 0.999, policy)).toBe(1_200);
  });

  it("never exceeds the cap, however many attempts", () => {
    expect(backoffDelayMs(7, () => 0, policy)).toBe(60_000);
    expect(backoffDelayMs(6, () => 0.99, policy)).toBe(38_336);
    expect(backoffDelayMs(7, () => 0.99, policy)).toBe(60_000);
    expect(backoffDelayMs(5_000, () => 0.5, policy)).toBe(60_000);
  });

  it("has defaults of 5 s growing to at most 15 minutes", () => {
    expect(backoffDelayMs(1, () => 0)).toBe(5_000);
    expect(backoffDelayMs(20, () => 0.7)).toBe(defaultBackoff.maxMs);
  });
});

describe("seededRandom", () => {
  it("repeats its sequence for a seed, differs across seeds, and stays in [0, 1)", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const seqA = Array.from({ length: 1000 }, () => a());
    const seqB = Array.from({ length: 1000 }, () => b());
    const seqC = Array.from({ length: 1000 }, () => c());
    expect(seqA).toEqual(seqB);
    expect(seqA).not.toEqual(seqC);
    expect(seqA.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = seqA.reduce((s, x) => s + x, 0) / seqA.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });
});
