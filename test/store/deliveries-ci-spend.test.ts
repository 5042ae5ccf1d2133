import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { claimRetry, fingerprintsHash, getCiResult, listCiResults, recordCiResult, setAttributedToBase } from "../../src/store/ci-results.js";
import { openDatabase } from "../../src/store/database.js";
import type { Database } from "../../src/store/database.js";
import { recordAttempt, upsertGenerationForIssue } from "../../src/store/generations.js";
import { listMonthlySpend, monthlySpendUsd, utcMonthRange } from "../../src/store/spend.js";
import { sampleSpec } from "./helpers.js";

let db: Database;
beforeEach(() => {
  db = openDatabase(":memory:");
});
afterEach(() => db.close());

function generation(installationId: number, issueNumber: number): number {
  return upsertGenerationForIssue(
    db,
    {
      repo: "acme/pipelines",
      installationId,
      issueNumber,
      specFingerprint: "fp",
      spec: sampleSpec(),
      provider: "anthropic",
      model: "claude-sonnet-5-5",
    },
    0,
  ).generation.id;
}

describe("ci results", () => {
  it("hashes a set of fingerprints regardless of order and repeats", () => {
    expect(fingerprintsHash(["b", "a", "a"])).toBe(fingerprintsHash(["a", "b"]));
    expect(fingerprintsHash(["a"])).not.toBe(fingerprintsHash(["a", "b"]));
    expect(fingerprintsHash([])).toMatch(/^[0-9a-f]{64}$/);
  });

  it("stores one row per (head sha, failing set), and lets only one caller claim the retry", () => {
    const g = generation(1, 1);
    const hash = fingerprintsHash(["ImportError:requests", "pytest:test_execute"]);
    const failures = [{ kind: "import", message: "No module named 'requests'" }];
    const first = recordCiResult(db, { generationId: g, headSha: "abc", fingerprintsHash: hash, conclusion: "failure", failures }, 100);
    const again = recordCiResult(db, { generationId: g, headSha: "abc", fingerprintsHash: hash, conclusion: "failure", failures: [] }, 200);
    expect(first.inserted).toBe(true);
    expect(again.inserted).toBe(false);
    expect(again.result).toEqual(first.result);
    expect(again.result.failures).toEqual(failures);

    expect(claimRetry(db, first.result.id)).toBe(true);
    expect(claimRetry(db, first.result.id)).toBe(false);
    expect(getCiResult(db, "abc", hash)?.retryTriggered).toBe(true);

    // A different failing set on the same SHA is a new result with its own retry.
    const other = recordCiResult(db, { generationId: g, headSha: "abc", fingerprintsHash: fingerprintsHash(["x"]), conclusion: "failure" }, 300);
    expect(other.inserted).toBe(true);
    setAttributedToBase(db, other.result.id, true);
    expect(listCiResults(db, g).map((r) => [r.createdAt, r.retryTriggered, r.attributedToBase])).toEqual([
      [100, true, false],
      [300, false, true],
    ]);
  });
});

describe("monthly spend", () => {
  it("sums attempt costs of one installation within the UTC calendar month", () => {
    const g1 = generation(42, 1);
    const g2 = generation(42, 2);
    const other = generation(99, 3);
    const lastOfOctober = Date.UTC(2026, 9, 31, 23, 59, 59, 999);
    const firstOfNovember = Date.UTC(2026, 10, 1, 0, 0, 0, 0);
    const midNovember = Date.UTC(2026, 10, 15);
    const firstOfDecember = Date.UTC(2026, 11, 1);
    recordAttempt(db, { generationId: g1, trigger: "initial", strategy: "full", costUsd: 1.5 }, lastOfOctober);
    recordAttempt(db, { generationId: g1, trigger: "ci_retry", strategy: "repair", costUsd: 0.25 }, firstOfNovember);
    recordAttempt(db, { generationId: g2, trigger: "initial", strategy: "full", costUsd: 0.5 }, midNovember);
    recordAttempt(db, { generationId: other, trigger: "initial", strategy: "full", costUsd: 7 }, midNovember);
    recordAttempt(db, { generationId: g2, trigger: "manual_retry", strategy: "full", costUsd: 3 }, firstOfDecember);

    expect(monthlySpendUsd(db, 42, midNovember)).toBeCloseTo(0.75, 10);
    expect(monthlySpendUsd(db, 42, lastOfOctober)).toBeCloseTo(1.5, 10);
    expect(monthlySpendUsd(db, 99, midNovember)).toBe(7);
    expect(monthlySpendUsd(db, 7, midNovember)).toBe(0);
    expect(utcMonthRange(midNovember)).toEqual({ start: firstOfNovember, end: firstOfDecember });

    expect(listMonthlySpend(db, { installationId: 42 })).toEqual([
      { installationId: 42, month: "2026-12", costUsd: 3, attempts: 1 },
      { installationId: 42, month: "2026-11", costUsd: 0.75, attempts: 2 },
      { installationId: 42, month: "2026-10", costUsd: 1.5, attempts: 1 },
    ]);
  });
});
