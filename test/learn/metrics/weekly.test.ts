import type { Kysely } from "kysely";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import type { Tables } from "../../../src/db/schema.js";
import { jobInstallations, newestJobPayload } from "../../../src/learn/metrics/job-payload.js";
import { monthSpend, topSignatures, weeklyFigures } from "../../../src/learn/metrics/weekly.js";
import { installationQueue, installationSummary } from "../../../src/web/dashboard/overview.js";
import { describeBackends, openBackend, type TestBackend } from "../../support/backends.js";
import { DAY, fillHistory, NOW } from "./fill.js";

const INSTALLATION = 42;

async function job(db: Kysely<Tables>, type: string, payload: unknown, status: Tables["jobs"]["status"] = "succeeded", createdAt = NOW): Promise<number> {
  const row = await db
    .insertInto("jobs")
    .values({ type, payload_json: JSON.stringify(payload), dedupe_key: null, status, max_attempts: 3, run_after: 0, lease_owner: null, lease_expires_at: null, last_error: status === "dead" ? "boom" : null, created_at: createdAt, updated_at: createdAt })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

async function signature(db: Kysely<Tables>, installationId: number, kind: string, text: string): Promise<number> {
  const row = await db
    .insertInto("error_signatures")
    .values({ installation_id: installationId, signature: text, kind, root_cause: "cause", fix_strategy: `fix ${text}`, matched: text, first_seen: 0, last_seen: 0 })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

async function seenAt(db: Kysely<Tables>, signatureId: number, installationId: number, at: number): Promise<void> {
  await db
    .insertInto("error_occurrences")
    .values({ signature_id: signatureId, generation_id: null, component_type: "operator", category: "http", source: "ci", seen_at: at, installation_id: installationId, repository: "acme/pipelines" })
    .execute();
}

async function rule(db: Kysely<Tables>, status: Tables["rewrite_rules"]["status"], signatureId: number, installationId = INSTALLATION): Promise<number> {
  const { id } = await db
    .insertInto("rewrite_rules")
    .values({ installation_id: installationId, before_pattern: `before ${status}`, after_pattern: "after", holes: 0, description: "rule", source_pr: null, repo: null, commit_sha: null, status, merged_into: null, created_at: 0, updated_at: 0, tree_json: null })
    .returning("id")
    .executeTakeFirstOrThrow();
  await db.insertInto("rule_signatures").values({ rule_id: id, signature_id: signatureId }).execute();
  return id;
}

describeBackends("the dashboard's weekly figures", (kind) => {
  let backend: TestBackend;
  let db: Kysely<Tables>;
  let ids: Record<string, number>;
  beforeAll(async () => {
    backend = await openBackend(kind);
    db = backend.kysely;
  });
  afterAll(async () => backend.close());
  beforeEach(async () => {
    for (const table of ["rule_signatures", "rewrite_rules", "error_occurrences", "error_signatures", "jobs", "attempts", "generations"] as const) await db.deleteFrom(table).execute();
    ids = await fillHistory(db);
  });

  it("fills every week of the window, oldest first, with the funnel, first attempts, cost and tokens", async () => {
    await db.updateTable("generations").set({ pr_number: 7 }).where("id", "in", [ids.merged ?? 0, ids.failed ?? 0]).execute();
    const weeks = await weeklyFigures(db, INSTALLATION, { now: NOW, weeks: 4 });
    expect(weeks.map((w) => [w.week, w.start])).toEqual([
      ["2026-W45", Date.UTC(2026, 10, 2) / 1000],
      ["2026-W46", Date.UTC(2026, 10, 9) / 1000],
      ["2026-W47", Date.UTC(2026, 10, 16) / 1000],
      ["2026-W48", Date.UTC(2026, 10, 23) / 1000],
    ]);
    const [w45, w46, w47, w48] = weeks;
    expect(w45).toMatchObject({ specs: 2, prs: 1, ciGreen: 2, merged: 1, decided: 2, firstAttemptSuccesses: 1, mergedAttempts: 1, inputTokens: 3700, outputTokens: 1800, cacheReadTokens: 0 });
    expect(w45?.costUsd).toBeCloseTo(0.32, 9);
    expect(w46).toMatchObject({ specs: 1, prs: 1, ciGreen: 0, merged: 0, decided: 1, firstAttemptSuccesses: 0, inputTokens: 2800 });
    expect(w46?.costUsd).toBeCloseTo(0.18, 9);
    expect(w47).toMatchObject({ specs: 2, prs: 0, ciGreen: 1, merged: 0, decided: 1, firstAttemptSuccesses: 1, inputTokens: 3000, outputTokens: 1500 });
    expect(w48).toMatchObject({ specs: 0, prs: 0, ciGreen: 0, merged: 0, decided: 0, costUsd: 0, inputTokens: 0 });
    expect((await weeklyFigures(db, INSTALLATION + 1, { now: NOW, weeks: 4 })).every((w) => w.specs === 0)).toBe(true);
  });

  it("sums this month's spend and reads the budget of the installation's newest generation job", async () => {
    expect(await monthSpend(db, INSTALLATION, NOW)).toEqual({ month: "2026-11", spentUsd: expect.closeTo(0.52, 9) as number, budgetUsd: undefined });
    await job(db, "generate", { installationId: INSTALLATION, owner: "acme", config: { budget_usd: 25 } });
    await job(db, "ci-result", { installationId: INSTALLATION, config: { budget_usd: 1 } });
    await job(db, "acknowledge", { installationId: INSTALLATION + 1, config: { budget_usd: 99 } });
    expect((await monthSpend(db, INSTALLATION, NOW)).budgetUsd).toBe(25);
    await job(db, "acknowledge", { installationId: INSTALLATION, config: { budget_usd: null } });
    // An id given as text is not the installation's.
    await job(db, "generate", { installationId: String(INSTALLATION), config: { budget_usd: 5 } });
    expect((await monthSpend(db, INSTALLATION, NOW)).budgetUsd).toBeNull();
    await job(db, "generate", { installationId: INSTALLATION, config: {} });
    expect((await monthSpend(db, INSTALLATION, NOW)).budgetUsd).toBeUndefined();
    // December has no spend yet.
    expect((await monthSpend(db, INSTALLATION, Date.UTC(2026, 11, 1, 8))).spentUsd).toBe(0);
  });

  it("ranks the installation's signatures by occurrences, with their trend and live covering rules", async () => {
    const frequent = await signature(db, INSTALLATION, "import", "no module yaml");
    const rare = await signature(db, INSTALLATION, "lint", "F401");
    const foreign = await signature(db, INSTALLATION + 1, "import", "no module yaml");
    for (const daysAgo of [1, 2, 9, 30]) await seenAt(db, frequent, INSTALLATION, NOW - daysAgo * DAY);
    await seenAt(db, rare, INSTALLATION, NOW - 3 * DAY);
    await seenAt(db, foreign, INSTALLATION + 1, NOW - DAY);
    const trusted = await rule(db, "trusted", frequent);
    await rule(db, "discarded", frequent);
    const candidate = await rule(db, "candidate", frequent);
    await rule(db, "trusted", foreign, INSTALLATION + 1);
    const top = await topSignatures(db, INSTALLATION, { now: NOW, limit: 15 });
    expect(top).toEqual([
      { signatureId: frequent, kind: "import", signature: "no module yaml", fixStrategy: "fix no module yaml", occurrences: 4, lastWeek: 2, weekBefore: 1, lastSeen: NOW - DAY, ruleIds: [trusted, candidate] },
      { signatureId: rare, kind: "lint", signature: "F401", fixStrategy: "fix F401", occurrences: 1, lastWeek: 1, weekBefore: 0, lastSeen: NOW - 3 * DAY, ruleIds: [] },
    ]);
    expect((await topSignatures(db, INSTALLATION, { now: NOW, limit: 1 })).map((s) => s.signatureId)).toEqual([frequent]);
    expect(await topSignatures(db, INSTALLATION + 2, { now: NOW, limit: 15 })).toEqual([]);
  });

  it("finds the installations jobs name and the newest payload of one, by type", async () => {
    await job(db, "generate", { installationId: 43, owner: "globex" });
    await job(db, "generate", { installationId: INSTALLATION, owner: "acme" });
    await job(db, "feedback", { installationId: INSTALLATION, owner: "acme-renamed" });
    await job(db, "generate", { installationId: "7" });
    await job(db, "generate", { installationId: 2.5 });
    await job(db, "generate", [1, 2]);
    expect(await jobInstallations(db)).toEqual([INSTALLATION, 43]);
    expect(await newestJobPayload(db, INSTALLATION)).toEqual({ installationId: INSTALLATION, owner: "acme-renamed" });
    expect(await newestJobPayload(db, INSTALLATION, ["generate"])).toEqual({ installationId: INSTALLATION, owner: "acme" });
    expect(await newestJobPayload(db, 44)).toBeNull();
  });

  it("sums the last four weeks for the installations list, with the installation's dead jobs", async () => {
    await job(db, "generate", { installationId: INSTALLATION }, "dead");
    await job(db, "generate", { installationId: INSTALLATION }, "queued");
    await job(db, "generate", { installationId: 43 }, "dead");
    expect(await installationSummary(db, { id: INSTALLATION, account: "acme" }, NOW)).toEqual({
      id: INSTALLATION,
      account: "acme",
      specs: 5,
      merged: 1,
      firstAttemptRate: 2 / 4,
      deadJobs: 1,
    });
  });

  it("shows the installation's queue: counts per state, the oldest job to run and its dead jobs, newest first", async () => {
    const own = { installationId: INSTALLATION };
    await job(db, "generate", own, "succeeded", NOW - 3 * DAY);
    await job(db, "generate", own, "failed", NOW - 2 * DAY);
    await job(db, "ci-result", own, "queued", NOW - DAY);
    const olderDead = await job(db, "feedback", own, "dead", NOW - 5 * DAY);
    const newerDead = await job(db, "generate", own, "dead", NOW - 4 * DAY);
    await job(db, "generate", { installationId: 43 }, "queued", NOW - 9 * DAY);
    const queue = await installationQueue(db, INSTALLATION);
    expect(queue).toMatchObject({ counts: { queued: 1, running: 0, succeeded: 1, failed: 1, dead: 2 }, depth: 2, oldestPendingAt: NOW - 2 * DAY });
    expect(queue.dead).toEqual([
      { id: newerDead, type: "generate", state: "dead", attempts: 0, lastError: "boom", createdAt: NOW - 4 * DAY, updatedAt: NOW - 4 * DAY },
      { id: olderDead, type: "feedback", state: "dead", attempts: 0, lastError: "boom", createdAt: NOW - 5 * DAY, updatedAt: NOW - 5 * DAY },
    ]);
    expect(await installationQueue(db, 44)).toEqual({ counts: { queued: 0, running: 0, succeeded: 0, failed: 0, dead: 0 }, depth: 0, oldestPendingAt: null, dead: [] });
  });
});
