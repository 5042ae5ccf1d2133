import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { kyselyOverStore } from "../../../src/db/over-store.js";
import { recordFailures } from "../../../src/learn/errors/store.js";
import {
  attemptsDistribution,
  collectStats,
  costPerSuccessfulComponent,
  errorKindsOverTime,
  firstAttemptSuccessByWeek,
  generationMetrics,
  knownLibraryAlternatives,
  patternLibrarySize,
  weeksWindowStart,
} from "../../../src/learn/metrics/index.js";
import { openDatabase } from "../../../src/store/database.js";
import type { Database } from "../../../src/store/database.js";
import { migration001 } from "../../../src/store/migrations/001_initial.js";
import { migration004 } from "../../../src/store/migrations/004_libraries_metrics.js";
import { join } from "node:path";
import { tempDir } from "../../store/helpers.js";
import { conflictFailure, DAY, fillGeneration, fillHistory, importFailure, lintFailure, NOW, W40, W45, W46, W47 } from "./fill.js";
import { openTestDatabase, testMigrations } from "./test-db.js";

/** The installation fill.ts records every generation under. */
const INSTALLATION = 42;

let db: Database;
let ids: Record<string, number>;
beforeEach(() => {
  db = openTestDatabase();
  ids = fillHistory(db);
});
afterEach(() => db.close());

const since = weeksWindowStart(NOW, 8);

describe("per-generation metrics", () => {
  it("adds up attempts into one row per generation", () => {
    const rows = generationMetrics(db, INSTALLATION, { since });
    expect(rows.map((r) => r.generationId)).toEqual([ids.merged, ids.retried, ids.failed, ids.otherModel, ids.queued]);
    const retried = rows.find((r) => r.generationId === ids.retried);
    expect(retried).toEqual({
      generationId: ids.retried,
      repo: "acme/pipelines",
      specFingerprint: "fp-2",
      category: "http",
      componentType: "operator",
      airflowVersion: "2",
      provider: "anthropic",
      model: "claude-sonnet-4-5",
      status: "succeeded",
      finalOutcome: null,
      attempts: 2,
      firstAttemptSuccess: false,
      succeeded: true,
      inputTokens: 2700,
      outputTokens: 1300,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      costUsd: expect.closeTo(0.22, 9) as number,
      durationMs: 55_000,
      contextItems: 2,
      contextUsed: true,
      createdAt: W45 + 2 * DAY,
    });
    const failed = rows.find((r) => r.generationId === ids.failed);
    expect(failed).toMatchObject({ attempts: 3, firstAttemptSuccess: false, succeeded: false, finalOutcome: "ci_failed", contextUsed: false });
    const queued = rows.find((r) => r.generationId === ids.queued);
    expect(queued).toMatchObject({ attempts: 0, firstAttemptSuccess: null, succeeded: false, costUsd: 0, durationMs: 0, contextUsed: false });
    expect(generationMetrics(db, INSTALLATION)).toHaveLength(6);
  });
});

describe("figures", () => {
  it("gives the first-attempt success rate per ISO week and category", () => {
    expect(firstAttemptSuccessByWeek(db, INSTALLATION, { since })).toEqual([
      { week: "2026-W45", category: "http", generations: 2, decided: 2, firstAttemptSuccesses: 1, rate: 0.5 },
      { week: "2026-W46", category: "database", generations: 1, decided: 1, firstAttemptSuccesses: 0, rate: 0 },
      { week: "2026-W47", category: "database", generations: 1, decided: 1, firstAttemptSuccesses: 1, rate: 1 },
      { week: "2026-W47", category: "http", generations: 1, decided: 0, firstAttemptSuccesses: 0, rate: null },
    ]);
    expect(firstAttemptSuccessByWeek(db, INSTALLATION).map((r) => r.week)[0]).toBe("2026-W40");
  });

  it("labels weeks across a year boundary the ISO way", () => {
    fillHistoryAt(Date.UTC(2027, 0, 1, 12), 20); // Friday 1 January 2027 belongs to 2026-W53
    fillHistoryAt(Date.UTC(2027, 0, 4, 12), 21); // Monday 4 January 2027 starts 2027-W01
    const weeks = firstAttemptSuccessByWeek(db, INSTALLATION, { since: Date.UTC(2026, 11, 28) }).map((r) => r.week);
    expect(weeks).toEqual(["2026-W53", "2027-W01"]);
  });

  it("counts how many generations needed 1, 2, 3 attempts", () => {
    expect(attemptsDistribution(db, INSTALLATION, { since })).toEqual([
      { attempts: 1, generations: 2, share: 0.5, succeeded: 2 },
      { attempts: 2, generations: 1, share: 0.25, succeeded: 1 },
      { attempts: 3, generations: 1, share: 0.25, succeeded: 0 },
    ]);
  });

  it("divides all spend by the merged or CI-passed components, overall and per model", () => {
    const [total, anthropic, other] = costPerSuccessfulComponent(db, INSTALLATION, { since });
    expect(total).toMatchObject({ provider: null, model: null, generations: 5, successfulComponents: 3 });
    expect(total?.totalCostUsd).toBeCloseTo(0.52, 9);
    expect(total?.costPerSuccessUsd).toBeCloseTo(0.52 / 3, 9);
    expect(total?.totalTokens).toBe(1500 + 4000 + 3400 + 4500);
    expect(anthropic).toMatchObject({ provider: "anthropic", model: "claude-sonnet-4-5", generations: 4, successfulComponents: 2 });
    expect(anthropic?.costPerSuccessUsd).toBeCloseTo(0.5 / 2, 9);
    expect(other).toMatchObject({ provider: "openai-compatible", model: "qwen3-coder", successfulComponents: 1 });
    expect(other?.costPerSuccessUsd).toBeCloseTo(0.02, 9);
    expect(costPerSuccessfulComponent(db, INSTALLATION, { since: NOW })[0]).toMatchObject({ generations: 0, costPerSuccessUsd: null });
  });

  it("reads error kinds from the error store once it has CI occurrences, from the attempts before", async () => {
    expect(errorKindsOverTime(db, INSTALLATION, { since }).source).toBe("ci_failures");
    expect(errorKindsOverTime(db, INSTALLATION, { since }).rows).toHaveLength(3);
    await recordFailures(kyselyOverStore(db), { installationId: INSTALLATION, repository: "acme/pipelines" }, [importFailure, lintFailure], { generationId: ids.retried, componentType: "operator", category: "http" }, W45 + 2 * DAY + 2 * 3600_000);
    await recordFailures(kyselyOverStore(db), { installationId: INSTALLATION, repository: "acme/pipelines" }, [conflictFailure], { generationId: ids.failed, componentType: "operator", category: "database" }, W46 + DAY);
    const kinds = db.prepare("SELECT kind FROM error_signatures ORDER BY id").all() as { kind: string }[];
    const result = errorKindsOverTime(db, INSTALLATION, { since });
    expect(result.source).toBe("error_signatures");
    expect(result.rows.reduce((n, r) => n + r.count, 0)).toBe(3);
    expect(result.rows.filter((r) => r.week === "2026-W45").map((r) => r.kind).sort()).toEqual([kinds[0]?.kind, kinds[1]?.kind].sort());
    expect(result.rows.filter((r) => r.week === "2026-W46")).toEqual([{ week: "2026-W46", kind: kinds[2]?.kind, count: 1 }]);
  });

  it("counts live patterns of the pattern library and the known library alternatives", () => {
    expect(patternLibrarySize(db, INSTALLATION)).toBe(0);
    const insert = db.prepare(
      `INSERT INTO patterns (installation_id, kind, fingerprint, code, description, category, component_type, role, weight_at, created_at, updated_at, archived)
       VALUES (?, 'execute_shape', ?, 'def execute(self, context): ...', 'execute shape', 'http', 'operator', 'component', 0, 0, 0, ?)`,
    );
    insert.run(INSTALLATION, "p1", 0);
    insert.run(INSTALLATION, "p2", 0);
    insert.run(INSTALLATION, "p3", 1);
    // Another installation's pattern is not this installation's library.
    insert.run(INSTALLATION + 1, "p4", 0);
    expect(patternLibrarySize(db, INSTALLATION)).toBe(2);
    expect(patternLibrarySize(db, INSTALLATION + 1)).toBe(1);
    const alternatives = knownLibraryAlternatives(db);
    expect(alternatives.alternatives).toBe(alternatives.providerHooks + alternatives.packages + alternatives.stdlibFallbacks);
    expect(alternatives.providerHooks).toBeGreaterThanOrEqual(20);
    expect(alternatives.stdlibFallbacks).toBe(6);
    expect(alternatives.packages).toBe(3);
  });

  it("collects every figure for a window of weeks", () => {
    const report = collectStats(db, INSTALLATION, { now: NOW, weeks: 2 });
    expect(report.since).toBe(Date.UTC(2026, 10, 16));
    expect(report.firstAttemptByWeek.map((r) => r.week)).toEqual(["2026-W47", "2026-W47"]);
    expect(report.attempts).toEqual([{ attempts: 1, generations: 1, share: 1, succeeded: 1 }]);
    expect(report.errorKinds).toEqual({ source: "ci_failures", rows: [] });
  });
});

function fillHistoryAt(at: number, issue: number): void {
  db.prepare(
    `INSERT INTO generations (repo, installation_id, issue_number, spec_fingerprint, spec_json, component_name, component_type,
       category, airflow_version, provider, model, status, created_at, updated_at)
     VALUES ('acme/pipelines', 42, ?, 'fp', '{}', 'X', 'operator', 'http', '2', 'anthropic', 'm', 'queued', ?, ?)`,
  ).run(issue, at, at);
}

describe("without the error store", () => {
  it("derives error kinds per week from the attempts' CI failures", () => {
    const bare = openDatabase(":memory:", {
      migrations: [migration001, { version: 2, name: "none", up() {} }, { version: 3, name: "none", up() {} }, migration004],
    });
    try {
      fillHistory(bare);
      const result = errorKindsOverTime(bare, INSTALLATION, { since });
      expect(result).toEqual({
        source: "ci_failures",
        rows: [
          { week: "2026-W45", kind: "import", count: 1 },
          { week: "2026-W45", kind: "lint", count: 1 },
          { week: "2026-W46", kind: "dependency_conflict", count: 1 },
        ],
      });
      expect(patternLibrarySize(bare, INSTALLATION)).toBe(0);
      expect(errorKindsOverTime(bare, INSTALLATION, { since: W47 }).rows).toEqual([]);
      expect(firstAttemptSuccessByWeek(bare, INSTALLATION, { since: W40, until: W45 }).map((r) => r.week)).toEqual(["2026-W40"]);
    } finally {
      bare.close();
    }
  });
});

describe("migration 004", () => {
  it("upgrades a database that already holds generations, seeding the alternatives once", () => {
    const { dir, cleanup } = tempDir("opforge-004-");
    const path = join(dir, "opforge.db");
    try {
      const before = testMigrations().filter((m) => m.version < 4);
      const old = openDatabase(path, { migrations: before });
      const id = fillGeneration(old, {
        issue: 9,
        at: W45,
        category: "http",
        attempts: [{ at: W45 + 3600_000, outcome: "ci_passed", costUsd: 0.3, tokens: [10, 20], durationMs: 5 }],
      });
      old.close();
      const upgraded = openDatabase(path, { migrations: testMigrations() });
      try {
        expect(upgraded.pragma("user_version", { simple: true })).toBe(testMigrations().length);
        expect(generationMetrics(upgraded, INSTALLATION)).toEqual([expect.objectContaining({ generationId: id, attempts: 1, firstAttemptSuccess: true, succeeded: true, costUsd: 0.3 })]);
        const seeded = knownLibraryAlternatives(upgraded).alternatives;
        expect(seeded).toBeGreaterThan(0);
        upgraded.close();
        const reopened = openDatabase(path, { migrations: testMigrations() });
        expect(knownLibraryAlternatives(reopened).alternatives).toBe(seeded);
        reopened.close();
      } finally {
        if (upgraded.open) upgraded.close();
      }
    } finally {
      cleanup();
    }
  });
});
