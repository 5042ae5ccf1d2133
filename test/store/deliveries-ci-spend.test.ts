import type { Kysely } from "kysely";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Tables } from "../../src/db/schema.js";
import { claimRetry, fingerprintsHash, getCiResult, listCiResults, recordCiResult, setAttributedToBase } from "../../src/store/ci-results.js";
import { openDatabase } from "../../src/store/database.js";
import type { Database } from "../../src/store/database.js";
import { recordAttempt, upsertGenerationForIssue } from "../../src/store/generations.js";
import { listMonthlySpend, monthlySpendUsd, utcMonthRange } from "../../src/store/spend.js";
import { describeBackends, openBackend, type TestBackend } from "../support/backends.js";
import { sampleSpec } from "./helpers.js";

let db: Database;
beforeEach(() => {
  db = openDatabase(":memory:");
});
afterEach(() => db.close());

describe("ci result fingerprints", () => {
  it("hashes a set of fingerprints regardless of order and repeats", () => {
    expect(fingerprintsHash(["b", "a", "a"])).toBe(fingerprintsHash(["a", "b"]));
    expect(fingerprintsHash(["a"])).not.toBe(fingerprintsHash(["a", "b"]));
    expect(fingerprintsHash([])).toMatch(/^[0-9a-f]{64}$/);
  });
});

describeBackends("ci results and monthly spend", (kind) => {
  let backend: TestBackend;
  let kdb: Kysely<Tables>;
  beforeAll(async () => {
    backend = await openBackend(kind);
    kdb = backend.kysely;
  });
  afterAll(() => backend.close());

  // One database per backend: tests keep apart by installation and commit.
  async function generation(installationId: number, issueNumber: number): Promise<number> {
    const { generation: g } = await upsertGenerationForIssue(
      kdb,
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
    );
    return g.id;
  }

  it("stores one row per (head sha, failing set), and lets only one caller claim the retry", async () => {
    const g = await generation(1, 1);
    const hash = fingerprintsHash(["ImportError:requests", "pytest:test_execute"]);
    const failures = [{ kind: "import", message: "No module named 'requests'" }];
    const first = await recordCiResult(kdb, { generationId: g, headSha: "abc", fingerprintsHash: hash, conclusion: "failure", failures }, 100);
    const again = await recordCiResult(kdb, { generationId: g, headSha: "abc", fingerprintsHash: hash, conclusion: "failure", failures: [] }, 200);
    expect(first.inserted).toBe(true);
    expect(again.inserted).toBe(false);
    expect(again.result).toEqual(first.result);
    expect(again.result.failures).toEqual(failures);

    expect(await claimRetry(kdb, first.result.id)).toBe(true);
    expect(await claimRetry(kdb, first.result.id)).toBe(false);
    expect((await getCiResult(kdb, "abc", hash))?.retryTriggered).toBe(true);

    // A different failing set on the same SHA is a new result with its own retry.
    const other = await recordCiResult(kdb, { generationId: g, headSha: "abc", fingerprintsHash: fingerprintsHash(["x"]), conclusion: "failure" }, 300);
    expect(other.inserted).toBe(true);
    await setAttributedToBase(kdb, other.result.id, true);
    expect((await listCiResults(kdb, g)).map((r) => [r.createdAt, r.retryTriggered, r.attributedToBase])).toEqual([
      [100, true, false],
      [300, false, true],
    ]);
    await expect(setAttributedToBase(kdb, 987_654_321, true)).rejects.toThrow("ci result 987654321 does not exist");
  });

  it("two reports of one verdict at once store it once, and only one retry is claimed", async () => {
    const g = await generation(2, 1);
    const input = { generationId: g, headSha: "def", fingerprintsHash: fingerprintsHash(["f"]), conclusion: "failure" };
    const reports = await Promise.all([recordCiResult(kdb, input, 100), recordCiResult(kdb, input, 101)]);
    expect(reports.map((r) => r.inserted).sort()).toEqual([false, true]);
    expect(reports[0]?.result).toEqual(reports[1]?.result);
    const claims = await Promise.all([claimRetry(kdb, reports[0]?.result.id ?? 0), claimRetry(kdb, reports[0]?.result.id ?? 0)]);
    expect(claims.sort()).toEqual([false, true]);
  });

  it("sums attempt costs of one installation within the UTC calendar month", async () => {
    const g1 = await generation(42, 1);
    const g2 = await generation(42, 2);
    const other = await generation(99, 3);
    const lastOfOctober = Date.UTC(2026, 9, 31, 23, 59, 59, 999);
    const firstOfNovember = Date.UTC(2026, 10, 1, 0, 0, 0, 0);
    const midNovember = Date.UTC(2026, 10, 15);
    const firstOfDecember = Date.UTC(2026, 11, 1);
    await recordAttempt(kdb, { generationId: g1, trigger: "initial", strategy: "full", costUsd: 1.5 }, lastOfOctober);
    await recordAttempt(kdb, { generationId: g1, trigger: "ci_retry", strategy: "repair", costUsd: 0.25 }, firstOfNovember);
    await recordAttempt(kdb, { generationId: g2, trigger: "initial", strategy: "full", costUsd: 0.5 }, midNovember);
    await recordAttempt(kdb, { generationId: other, trigger: "initial", strategy: "full", costUsd: 7 }, midNovember);
    await recordAttempt(kdb, { generationId: g2, trigger: "manual_retry", strategy: "full", costUsd: 3 }, firstOfDecember);

    expect(await monthlySpendUsd(kdb, 42, midNovember)).toBeCloseTo(0.75, 10);
    expect(await monthlySpendUsd(kdb, 42, lastOfOctober)).toBeCloseTo(1.5, 10);
    expect(await monthlySpendUsd(kdb, 99, midNovember)).toBe(7);
    expect(await monthlySpendUsd(kdb, 7, midNovember)).toBe(0);
    expect(utcMonthRange(midNovember)).toEqual({ start: firstOfNovember, end: firstOfDecember });

    expect(await listMonthlySpend(kdb, { installationId: 42 })).toEqual([
      { installationId: 42, month: "2026-12", costUsd: 3, attempts: 1 },
      { installationId: 42, month: "2026-11", costUsd: 0.75, attempts: 2 },
      { installationId: 42, month: "2026-10", costUsd: 1.5, attempts: 1 },
    ]);
    expect(await listMonthlySpend(kdb, { installationId: 42, limit: 1 })).toEqual([{ installationId: 42, month: "2026-12", costUsd: 3, attempts: 1 }]);
    expect((await listMonthlySpend(kdb)).filter((m) => m.installationId === 99)).toEqual([{ installationId: 99, month: "2026-11", costUsd: 7, attempts: 1 }]);
  });
});
