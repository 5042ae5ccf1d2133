import { describe, expect, it } from "vitest";
import { compatibilityScore, emptyCounts, observationsOf } from "../../../src/learn/libraries/index.js";
import type { OutcomeCounts } from "../../../src/learn/libraries/index.js";

const counts = (c: Partial<OutcomeCounts>): OutcomeCounts => ({ ...emptyCounts(), ...c });
/** n CI runs that imported and ran the library. */
const passes = (n: number) => ({ importOk: n, execOk: n });

describe("compatibility score", () => {
  it("shows no confidence label below the minimum number of observations", () => {
    const s = compatibilityScore(counts(passes(2)));
    expect(s.n).toBe(2);
    expect(s.confidence).toBeNull();
    expect(s.label).toBe("not enough data (n=2)");
    expect(s.score).toBeCloseTo(3 / 4, 3);
    expect(compatibilityScore(counts({ importFailed: 4 })).label).toBe("not enough data (n=4)");
    expect(compatibilityScore(emptyCounts()).label).toBe("not enough data (n=0)");
  });

  it("says High once enough runs passed, Low once enough failed", () => {
    const good = compatibilityScore(counts(passes(5)));
    expect(good).toMatchObject({ n: 5, successes: 5, failures: 0, confidence: "High" });
    expect(good.score).toBeCloseTo(6 / 7, 3);
    expect(good.label).toBe("High confidence (score 0.86, n=5)");
    const bad = compatibilityScore(counts({ importFailed: 3, conflict: 2 }));
    expect(bad).toMatchObject({ n: 5, failures: 5, confidence: "Low" });
    expect(bad.label).toBe("Low confidence (score 0.14, n=5)");
  });

  it("keeps a flaky library with mixed outcomes at Neutral", () => {
    expect(compatibilityScore(counts({ ...passes(6), importOk: 9, execFailed: 3, importFailed: 3 })).confidence).toBe("Neutral");
    expect(compatibilityScore(counts({ ...passes(4), importFailed: 1 })).confidence).toBe("Neutral");
    expect(compatibilityScore(counts({ ...passes(8), conflict: 2 })).confidence).toBe("Neutral");
    expect(compatibilityScore(counts({ ...passes(20), conflict: 2 })).confidence).toBe("High");
  });

  it("takes the minimum from the options", () => {
    // Past a lowered minimum the label is given, and three clean runs are still too few for High.
    expect(compatibilityScore(counts(passes(3)), { minObservations: 3 }).label).toBe("Neutral confidence (score 0.80, n=3)");
    expect(compatibilityScore(counts(passes(2)), { minObservations: 3 }).confidence).toBeNull();
    expect(compatibilityScore(counts(passes(5)), { minObservations: 10 }).label).toBe("not enough data (n=5)");
  });

  it("counts one observation per CI run", () => {
    // A run that imported the library and then failed inside it records import_ok and exec_failed.
    expect(observationsOf(counts({ importOk: 3, execOk: 2, execFailed: 1 }))).toEqual({ successes: 2, failures: 1 });
    // An import that worked in a run that never got to execute it still counts as a success.
    expect(observationsOf(counts({ importOk: 2 }))).toEqual({ successes: 2, failures: 0 });
    expect(observationsOf(counts({ importFailed: 1, conflict: 1 }))).toEqual({ successes: 0, failures: 2 });
  });
});
