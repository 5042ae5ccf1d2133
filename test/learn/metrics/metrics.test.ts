import { join } from "node:path";
import { sql, type Kysely } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { kyselyOverStore } from "../../../src/db/over-store.js";
import type { Tables } from "../../../src/db/schema.js";
import {
  attemptsDistribution,
  collectStats,
  collectStatsPerInstallation,
  costPerSuccessfulComponent,
  errorKindsOverTime,
  firstAttemptSuccessByWeek,
  generationMetrics,
  knownLibraryAlternatives,
  metricsInstallations,
  patternLibrarySize,
  readSnapshot,
  weeksWindowStart,
} from "../../../src/learn/metrics/index.js";
import { openDatabase } from "../../../src/store/database.js";
import { describeBackends, openBackend, type TestBackend } from "../../support/backends.js";
import { tempDir } from "../../store/helpers.js";
import { DAY, fillGeneration, fillHistory, HOUR, NOW, W40, W45, W46, W47 } from "./fill.js";
import { testMigrations } from "./test-db.js";

/** The installation fill.ts records every generation under. */
const INSTALLATION = 42;
const since = weeksWindowStart(NOW, 8);

/** A generation of the installation created at `at`, with no attempt yet. */
async function generationAt(db: Kysely<Tables>, at: number, issue: number): Promise<void> {
  await db
    .insertInto("generations")
    .values({
      repo: "acme/pipelines", installation_id: INSTALLATION, issue_number: issue, spec_fingerprint: "fp", spec_json: "{}", component_name: "X",
      component_type: "operator", category: "http", airflow_version: "2", provider: "anthropic", model: "m", status: "queued", created_at: at, updated_at: at,
    })
    .execute();
}

/** A classified error signature of an installation, as the error store keeps it. */
async function signature(db: Kysely<Tables>, installationId: number, kind: string, text: string): Promise<number> {
  const row = await db
    .insertInto("error_signatures")
    .values({ installation_id: installationId, signature: text, kind, root_cause: "cause", fix_strategy: "fix", matched: text, first_seen: W40, last_seen: W40 })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

async function occurrence(db: Kysely<Tables>, signatureId: number, installationId: number, seenAt: number, source: "ci" | "validator" = "ci"): Promise<void> {
  await db
    .insertInto("error_occurrences")
    .values({ signature_id: signatureId, generation_id: null, component_type: "operator", category: "http", source, seen_at: seenAt, installation_id: installationId, repository: "acme/pipelines" })
    .execute();
}

async function pattern(db: Kysely<Tables>, installationId: number, fingerprint: string, archived: 0 | 1): Promise<void> {
  await db
    .insertInto("patterns")
    .values({
      installation_id: installationId, repository: "acme/pipelines", kind: "execute_shape", fingerprint, code: "def execute(self, context): ...", description: "execute shape",
      category: "http", component_type: "operator", role: "component", weight_at: 0, created_at: 0, updated_at: 0, archived,
    })
    .execute();
}

describeBackends("learning metrics", (kind) => {
  let backend: TestBackend;
  let db: Kysely<Tables>;
  let ids: Record<string, number>;
  beforeAll(async () => {
    backend = await openBackend(kind);
    db = backend.kysely;
  });
  afterAll(async () => backend.close());
  beforeEach(async () => {
    // One database per block (PostgreSQL schemas take a while to migrate): empty the tables these tests fill.
    for (const table of ["error_occurrences", "error_signatures", "patterns", "rewrite_rules", "attempts", "generations"] as const) await db.deleteFrom(table).execute();
    ids = await fillHistory(db);
  });

  it("adds up attempts into one row per generation", async () => {
    const rows = await generationMetrics(db, INSTALLATION, { since });
    expect(rows.map((r) => r.generationId)).toEqual([ids.merged, ids.retried, ids.failed, ids.otherModel, ids.queued]);
    expect(rows.find((r) => r.generationId === ids.retried)).toEqual({
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
    expect(rows.find((r) => r.generationId === ids.failed)).toMatchObject({ attempts: 3, firstAttemptSuccess: false, succeeded: false, finalOutcome: "ci_failed", contextUsed: false });
    expect(rows.find((r) => r.generationId === ids.queued)).toMatchObject({ attempts: 0, firstAttemptSuccess: null, succeeded: false, costUsd: 0, durationMs: 0, contextUsed: false });
    expect(await generationMetrics(db, INSTALLATION)).toHaveLength(6);
    expect(await generationMetrics(db, INSTALLATION + 1)).toEqual([]);
  });

  it("gives the first-attempt success rate per ISO week and category", async () => {
    expect(await firstAttemptSuccessByWeek(db, INSTALLATION, { since })).toEqual([
      { week: "2026-W45", category: "http", generations: 2, decided: 2, firstAttemptSuccesses: 1, rate: 0.5 },
      { week: "2026-W46", category: "database", generations: 1, decided: 1, firstAttemptSuccesses: 0, rate: 0 },
      { week: "2026-W47", category: "database", generations: 1, decided: 1, firstAttemptSuccesses: 1, rate: 1 },
      { week: "2026-W47", category: "http", generations: 1, decided: 0, firstAttemptSuccesses: 0, rate: null },
    ]);
    expect((await firstAttemptSuccessByWeek(db, INSTALLATION)).map((r) => r.week)[0]).toBe("2026-W40");
    expect((await firstAttemptSuccessByWeek(db, INSTALLATION, { since: W40, until: W45 })).map((r) => r.week)).toEqual(["2026-W40"]);
  });

  it("labels weeks across a year boundary the ISO way", async () => {
    await generationAt(db, Date.UTC(2027, 0, 1, 12), 20); // Friday 1 January 2027 belongs to 2026-W53
    await generationAt(db, Date.UTC(2027, 0, 3, 23, 59, 59), 21); // so does the Sunday after, to the last second
    await generationAt(db, Date.UTC(2027, 0, 4), 22); // Monday 4 January 2027, midnight, starts 2027-W01
    const weeks = await firstAttemptSuccessByWeek(db, INSTALLATION, { since: Date.UTC(2026, 11, 28) });
    expect(weeks.map((r) => [r.week, r.generations])).toEqual([["2026-W53", 2], ["2027-W01", 1]]);
  });

  it("counts how many generations needed 1, 2, 3 attempts", async () => {
    expect(await attemptsDistribution(db, INSTALLATION, { since })).toEqual([
      { attempts: 1, generations: 2, share: 0.5, succeeded: 2 },
      { attempts: 2, generations: 1, share: 0.25, succeeded: 1 },
      { attempts: 3, generations: 1, share: 0.25, succeeded: 0 },
    ]);
  });

  it("divides all spend by the merged or CI-passed components, overall and per model", async () => {
    const [total, anthropic, other] = await costPerSuccessfulComponent(db, INSTALLATION, { since });
    expect(total).toMatchObject({ provider: null, model: null, generations: 5, successfulComponents: 3 });
    expect(total?.totalCostUsd).toBeCloseTo(0.52, 9);
    expect(total?.costPerSuccessUsd).toBeCloseTo(0.52 / 3, 9);
    expect(total?.totalTokens).toBe(1500 + 4000 + 3400 + 4500);
    expect(anthropic).toMatchObject({ provider: "anthropic", model: "claude-sonnet-4-5", generations: 4, successfulComponents: 2 });
    expect(anthropic?.costPerSuccessUsd).toBeCloseTo(0.5 / 2, 9);
    expect(other).toMatchObject({ provider: "openai-compatible", model: "qwen3-coder", successfulComponents: 1 });
    expect(other?.costPerSuccessUsd).toBeCloseTo(0.02, 9);
    expect((await costPerSuccessfulComponent(db, INSTALLATION, { since: NOW }))[0]).toMatchObject({ generations: 0, totalCostUsd: 0, costPerSuccessUsd: null, totalTokens: 0 });
  });

  it("derives error kinds per week from the attempts' CI failures while the error store has none", async () => {
    // A validator finding and another installation's CI failure do not stand for this installation's CI record.
    await occurrence(db, await signature(db, INSTALLATION, "syntax", "s-validator"), INSTALLATION, W46, "validator");
    await occurrence(db, await signature(db, INSTALLATION + 1, "import", "s-other"), INSTALLATION + 1, W46);
    expect(await errorKindsOverTime(db, INSTALLATION, { since })).toEqual({
      source: "ci_failures",
      rows: [
        { week: "2026-W45", kind: "import", count: 1 },
        { week: "2026-W45", kind: "lint", count: 1 },
        { week: "2026-W46", kind: "dependency_conflict", count: 1 },
      ],
    });
    expect((await errorKindsOverTime(db, INSTALLATION, { since: W47 })).rows).toEqual([]);
  });

  it("reads error kinds from the error store once it has the installation's CI occurrences", async () => {
    const lint = await signature(db, INSTALLATION, "lint", "F401");
    const imports = await signature(db, INSTALLATION, "import", "no module yaml");
    await occurrence(db, lint, INSTALLATION, W45 + DAY);
    await occurrence(db, imports, INSTALLATION, W45 + 2 * DAY);
    await occurrence(db, imports, INSTALLATION, W45 + 3 * DAY);
    await occurrence(db, lint, INSTALLATION, W46 + HOUR);
    await occurrence(db, lint, INSTALLATION, W46 + 2 * HOUR, "validator");
    await occurrence(db, await signature(db, INSTALLATION + 1, "import", "no module yaml"), INSTALLATION + 1, W46);
    await occurrence(db, lint, INSTALLATION, W40);
    expect(await errorKindsOverTime(db, INSTALLATION, { since })).toEqual({
      source: "error_signatures",
      rows: [
        { week: "2026-W45", kind: "import", count: 2 },
        { week: "2026-W45", kind: "lint", count: 1 },
        { week: "2026-W46", kind: "lint", count: 1 },
      ],
    });
  });

  it("counts live patterns of the pattern library and the known library alternatives", async () => {
    expect(await patternLibrarySize(db, INSTALLATION)).toBe(0);
    await pattern(db, INSTALLATION, "p1", 0);
    await pattern(db, INSTALLATION, "p2", 0);
    await pattern(db, INSTALLATION, "p3", 1);
    // Another installation's pattern is not this installation's library.
    await pattern(db, INSTALLATION + 1, "p4", 0);
    expect(await patternLibrarySize(db, INSTALLATION)).toBe(2);
    expect(await patternLibrarySize(db, INSTALLATION + 1)).toBe(1);
    const alternatives = await knownLibraryAlternatives(db);
    expect(alternatives.alternatives).toBe(alternatives.providerHooks + alternatives.packages + alternatives.stdlibFallbacks);
    expect(alternatives.providerHooks).toBeGreaterThanOrEqual(20);
    expect(alternatives.stdlibFallbacks).toBe(6);
    expect(alternatives.packages).toBe(3);
    expect(alternatives.libraries).toBeGreaterThan(1);
    expect(alternatives.libraries).toBeLessThan(alternatives.alternatives);
  });

  it("lists the installations with generations, patterns or rules, each once and in order", async () => {
    await pattern(db, 7, "p7", 0);
    await pattern(db, INSTALLATION, "p42", 0);
    await db
      .insertInto("rewrite_rules")
      .values({ installation_id: 100, before_pattern: "a", after_pattern: "b", holes: 0, description: "rule", status: "candidate", merged_into: null, created_at: 0, updated_at: 0, source_pr: null, repo: null, commit_sha: null, tree_json: null })
      .execute();
    expect(await metricsInstallations(db)).toEqual([7, INSTALLATION, 100]);
  });

  it("collects every figure for a window of weeks, and each installation's apart", async () => {
    const report = await collectStats(db, INSTALLATION, { now: NOW, weeks: 2 });
    expect(report.since).toBe(Date.UTC(2026, 10, 16));
    expect(report.firstAttemptByWeek.map((r) => r.week)).toEqual(["2026-W47", "2026-W47"]);
    expect(report.attempts).toEqual([{ attempts: 1, generations: 1, share: 1, succeeded: 1 }]);
    expect(report.errorKinds).toEqual({ source: "ci_failures", rows: [] });
    await pattern(db, 7, "p7", 0);
    const all = await collectStatsPerInstallation(db, { now: NOW, weeks: 2 });
    expect(all.map((r) => [r.installationId, r.patternLibrarySize, r.cost[0]?.generations])).toEqual([[7, 1, 0], [INSTALLATION, 0, 2]]);
  });

  it("throws a failed read once its transaction is over, keeping what others wrote meanwhile", async () => {
    // Another request's write during the read: on SQLite a synchronous write on the store's connection (the one
    // the transaction holds), on PostgreSQL a write on another pooled connection.
    const store = backend.store;
    const writeElsewhere = async (): Promise<void> => {
      if (store === null) return pattern(db, 9, "p9", 0);
      store
        .prepare(
          `INSERT INTO patterns (installation_id, kind, fingerprint, code, description, category, component_type, role, weight_at, created_at, updated_at)
           VALUES (9, 'execute_shape', 'p9', 'code', 'description', 'http', 'operator', 'component', 0, 0, 0)`,
        )
        .run();
    };
    await expect(
      readSnapshot(db, async (trx) => {
        await writeElsewhere();
        return sql`SELECT no_such_column FROM generations`.execute(trx);
      }),
    ).rejects.toThrow(/no_such_column/);
    expect(await patternLibrarySize(db, 9)).toBe(1);
    expect((await collectStats(db, INSTALLATION, { now: NOW, weeks: 2 })).attempts).toHaveLength(1);
  });
});

describe("migration 004", () => {
  it("upgrades a database that already holds generations, seeding the alternatives once", async () => {
    const { dir, cleanup } = tempDir("opforge-004-");
    const path = join(dir, "opforge.db");
    try {
      const before = testMigrations().filter((m) => m.version < 4);
      const old = openDatabase(path, { migrations: before });
      const id = await fillGeneration(kyselyOverStore(old), {
        issue: 9,
        at: W45,
        category: "http",
        attempts: [{ at: W45 + 3600_000, outcome: "ci_passed", costUsd: 0.3, tokens: [10, 20], durationMs: 5 }],
      });
      old.close();
      const upgraded = openDatabase(path, { migrations: testMigrations() });
      try {
        expect(upgraded.pragma("user_version", { simple: true })).toBe(testMigrations().length);
        const kysely = kyselyOverStore(upgraded);
        expect(await generationMetrics(kysely, INSTALLATION)).toEqual([expect.objectContaining({ generationId: id, attempts: 1, firstAttemptSuccess: true, succeeded: true, costUsd: 0.3 })]);
        const seeded = (await knownLibraryAlternatives(kysely)).alternatives;
        expect(seeded).toBeGreaterThan(0);
        upgraded.close();
        const reopened = openDatabase(path, { migrations: testMigrations() });
        expect((await knownLibraryAlternatives(kyselyOverStore(reopened))).alternatives).toBe(seeded);
        reopened.close();
      } finally {
        if (upgraded.open) upgraded.close();
      }
    } finally {
      cleanup();
    }
  });
});
