import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { kyselyOverStore } from "../../src/db/over-store.js";
import { enqueue, getJob } from "../../src/jobs/queue.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import type { Kysely } from "kysely";
import type { Tables } from "../../src/db/schema.js";
import { listActions } from "../../src/store/audit.js";
import { installationOverview, requeueJob, setRuleVerdict } from "../../src/web/dashboard/overview.js";
import { ACME, OTHER, SEED_NOW, seedDashboard, type Seeded } from "../support/dashboard-seed.js";

let db: Database;
let kysely: Kysely<Tables>;
let seeded: Seeded;
beforeEach(async () => {
  db = openDatabase(":memory:");
  kysely = kyselyOverStore(db);
  seeded = await seedDashboard(db);
});
afterEach(() => db.close());

const alice = { user: "alice", via: "github" as const };

describe("an installation's overview", () => {
  it("counts the weekly funnel, first attempts and spend of that installation alone", async () => {
    const o = await installationOverview(kysely, ACME.id, { now: SEED_NOW, weeks: 4 });
    expect(o.weeks.map((w) => w.week)).toEqual(["2026-W45", "2026-W46", "2026-W47", "2026-W48"]);
    // The latest week (week 0 of the seed): five specs that opened PRs, all merged, four on the first attempt,
    // and one spec whose files never passed validation (no PR; its first attempt counts as failed).
    expect(o.weeks[3]).toMatchObject({ specs: 6, prs: 5, ciGreen: 5, merged: 5, decided: 6, firstAttemptSuccesses: 4 });
    expect(o.spend).toMatchObject({ month: "2026-11", budgetUsd: 25 });
    expect(o.spend.spentUsd).toBeGreaterThan(0);
    expect(o.queue).toMatchObject({ depth: 1, oldestPendingAt: SEED_NOW - 30 * 60_000, counts: { dead: 1 } });
    expect(o.queue.dead.map((j) => j.id)).toEqual([seeded.acmeDeadJob]);
    expect(o.rules.map((r) => r.id)).toEqual([seeded.acmeRules.trustMe, seeded.acmeRules.discardMe]);
    expect(o.rules[0]).toMatchObject({ successRate: 0.8, sources: [{ repo: ACME.repo, prNumber: 17, author: "maria" }] });
    const [top] = o.signatures;
    // Seen 1, 2 and 3 days ago (this week), 9 days ago (the week before), and twice earlier.
    expect(top).toMatchObject({ occurrences: 6, lastWeek: 3, weekBefore: 1, ruleIds: [seeded.acmeRules.trustMe] });
    expect(o.libraries.map((l) => `${l.library}@${l.airflowMajor}`)).toEqual(["pandas@3", "requests@2"]);
    expect(JSON.stringify(o)).not.toMatch(/globex/i);
  });

  it("says the budget is off or unknown when the configuration says so or no job carries one", async () => {
    db.prepare("DELETE FROM jobs WHERE type = 'generate'").run();
    expect((await installationOverview(kysely, ACME.id, { now: SEED_NOW, weeks: 4 })).spend.budgetUsd).toBeUndefined();
    await enqueue(kysely, { type: "generate", payload: { installationId: ACME.id, owner: "acme", repo: "pipelines", config: { budget_usd: null } } }, SEED_NOW);
    expect((await installationOverview(kysely, ACME.id, { now: SEED_NOW, weeks: 4 })).spend.budgetUsd).toBeNull();
  });
});

describe("actions on an installation", () => {
  it("refuses another installation's rule or job as missing, and records nothing", async () => {
    expect(await setRuleVerdict(kysely, ACME.id, seeded.otherRule, "trust", alice, SEED_NOW)).toMatchObject({ ok: false, status: 404 });
    expect(await requeueJob(kysely, ACME.id, seeded.otherDeadJob, alice, SEED_NOW)).toMatchObject({ ok: false, status: 404 });
    expect((await getJob(kysely, seeded.otherDeadJob))?.status).toBe("dead");
    expect(await listActions(kysely, ACME.id)).toEqual([]);
    expect(await listActions(kysely, OTHER.id)).toEqual([]);
  });

  it("refuses to requeue a job that is not dead", async () => {
    const live = await enqueue(kysely, { type: "generate", payload: { installationId: ACME.id, owner: "acme", repo: "pipelines" } }, SEED_NOW);
    expect(await requeueJob(kysely, ACME.id, live.job.id, alice, SEED_NOW)).toEqual({ ok: false, status: 409, message: `job ${live.job.id} is not dead, or the same work is already queued` });
    expect(await requeueJob(kysely, ACME.id, seeded.acmeDeadJob, alice, SEED_NOW + 5)).toEqual({ ok: true, message: `job ${seeded.acmeDeadJob} requeued` });
    expect(await listActions(kysely, ACME.id)).toEqual([expect.objectContaining({ actor: "alice", via: "github", action: "requeue_job", targetId: seeded.acmeDeadJob, createdAt: SEED_NOW + 5 })]);
  });
});
