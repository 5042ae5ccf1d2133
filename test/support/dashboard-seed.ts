/**
 * A database with two installations' history, for the dashboard's browser test and its screenshots: eight weeks
 * of generations (first-attempt success rising), learned rules with their sources, CI error signatures, library
 * outcomes and jobs, one of them dead. Installation ACME is the one the test user can access; OTHER's names
 * must never show on ACME's pages.
 */
import { kyselyOverStore } from "../../src/db/over-store.js";
import { enqueue } from "../../src/jobs/queue.js";
import type { ComponentSpec } from "../../src/spec/types.js";
import type { Database } from "../../src/store/database.js";
import { recordAttempt, updateAttempt, updateGeneration, upsertGenerationForIssue } from "../../src/store/generations.js";

export const SEED_NOW = Date.parse("2026-11-25T12:00:00Z");
export const ACME = { id: 4_101, owner: "acme", repo: "acme/pipelines" } as const;
export const OTHER = { id: 4_202, owner: "globex", repo: "globex/warehouse-secret" } as const;
const WEEK = 7 * 24 * 3_600_000;
const DAY = 24 * 3_600_000;

function spec(name: string): ComponentSpec {
  return {
    name, description: `${name} does its job.`, category: "http", component_type: "operator", base_class: "BaseOperator", airflow_version: "both",
    platforms: [], params: [], runtime_params: [], outputs: [], requirements: [], dependencies: [], template_fields: [], template_ext: [],
    sensor: {}, hook: {}, implementation_hints: [], prerequisites: null, examples: [], extra: {},
  };
}

let issue = 0;

/** One spec → PR → CI → merge story: `attempts` tries, the last one green when `merged`. */
async function story(db: Database, who: { id: number; repo: string }, at: number, attempts: number, merged: boolean, name: string, opensPr = true): Promise<void> {
  const kysely = kyselyOverStore(db);
  issue += 1;
  const { generation } = await upsertGenerationForIssue(
    kysely,
    { repo: who.repo, installationId: who.id, issueNumber: issue, specFingerprint: `fp${issue}`, spec: spec(name), provider: "anthropic", model: "claude-sonnet-5-5" },
    at,
  );
  if (!opensPr) {
    // The model's files never passed validation: a spec that got no PR.
    const attempt = await recordAttempt(kysely, { generationId: generation.id, trigger: "initial", strategy: "fresh", costUsd: 0.05, usage: { inputTokens: 8_000, outputTokens: 2_000 } }, at + 3_600_000);
    await updateAttempt(kysely, attempt.id, { outcome: "failed_generation" }, at + 3_600_000);
    await updateGeneration(kysely, generation.id, { status: "failed", finalOutcome: "failed_generation" }, at + 2 * 3_600_000);
    return;
  }
  for (let n = 1; n <= attempts; n++) {
    const attempt = await recordAttempt(
      kysely,
      { generationId: generation.id, trigger: n === 1 ? "initial" : "ci_retry", strategy: n === 1 ? "fresh" : "patch", costUsd: 0.06 + 0.02 * n, usage: { inputTokens: 9_000, outputTokens: 2_500, cacheReadTokens: n === 1 ? 0 : 6_000 } },
      at + n * 3_600_000,
    );
    await updateAttempt(kysely, attempt.id, { commitSha: `c${issue}x${n}`, outcome: merged && n === attempts ? "ci_passed" : "ci_failed" }, at + n * 3_600_000);
  }
  await updateGeneration(
    kysely,
    generation.id,
    { prNumber: 100 + issue, status: merged ? "merged" : "failed", finalOutcome: merged ? "merged" : "ci_failed", firstAttemptSuccess: merged && attempts === 1 },
    at + (attempts + 1) * 3_600_000,
  );
}

function rule(db: Database, installationId: number, repo: string, fields: { description: string; before: string; after: string; pr: number; sha: string; author: string; successes: number; failures: number; applications: number }): number {
  const info = db
    .prepare(
      `INSERT INTO rewrite_rules (installation_id, before_pattern, after_pattern, context, holes, description, source_pr, repo, commit_sha, status,
                                  successes, failures, applications, created_at, updated_at)
       VALUES (?, ?, ?, '', 1, ?, ?, ?, ?, 'candidate', ?, ?, ?, ?, ?)`,
    )
    .run(installationId, fields.before, fields.after, fields.description, fields.pr, repo, fields.sha, fields.successes, fields.failures, fields.applications, SEED_NOW - 20 * DAY, SEED_NOW - 2 * DAY);
  const id = Number(info.lastInsertRowid);
  db.prepare("INSERT INTO rule_sources (rule_id, repo, pr_number, commit_sha, path, added_at, author) VALUES (?, ?, ?, ?, ?, ?, ?)").run(
    id, repo, fields.pr, fields.sha, "plugins/operators/x.py", SEED_NOW - 20 * DAY, fields.author,
  );
  return id;
}

function signature(db: Database, installationId: number, repo: string, fields: { signature: string; kind: string; strategy: string; seenDaysAgo: number[] }): number {
  const info = db
    .prepare(
      `INSERT INTO error_signatures (installation_id, signature, kind, root_cause, fix_strategy, matched, occurrences, first_seen, last_seen)
       VALUES (?, ?, ?, 'seeded', ?, 'seeded', ?, ?, ?)`,
    )
    .run(installationId, fields.signature, fields.kind, fields.strategy, fields.seenDaysAgo.length, SEED_NOW - Math.max(...fields.seenDaysAgo) * DAY, SEED_NOW - Math.min(...fields.seenDaysAgo) * DAY);
  const id = Number(info.lastInsertRowid);
  for (const days of fields.seenDaysAgo) {
    db.prepare("INSERT INTO error_occurrences (signature_id, component_type, category, source, seen_at, installation_id, repository) VALUES (?, 'operator', 'http', 'ci', ?, ?, ?)").run(
      id, SEED_NOW - days * DAY, installationId, repo,
    );
  }
  return id;
}

export interface Seeded {
  acmeRules: { trustMe: number; discardMe: number };
  acmeDeadJob: number;
  otherRule: number;
  otherDeadJob: number;
}

/**
 * A library outcome row as recordLibraryOutcome stores it (names already normalized), written on the store's
 * connection so that seeding stays synchronous.
 */
function libraryOutcome(db: Database, origin: { installationId: number; repository: string }, library: string, major: "2" | "3", kind: string, at: number): void {
  db.prepare("INSERT INTO library_outcomes (library, airflow_major, kind, created_at, installation_id, repository) VALUES (?, ?, ?, ?, ?, ?)").run(
    library, major, kind, at, origin.installationId, origin.repository,
  );
}

export async function seedDashboard(db: Database): Promise<Seeded> {
  issue = 0;
  // ACME: eight weeks, more specs each week and fewer attempts as it learns.
  for (let week = 7; week >= 0; week--) {
    const at = SEED_NOW - week * WEEK - 2 * DAY;
    const specs = 2 + ((7 - week) >> 1);
    for (let i = 0; i < specs; i++) {
      const firstTry = i < Math.round((specs * (7 - week)) / 8);
      await story(db, ACME, at + i * 3_600_000, firstTry ? 1 : 2 + (i % 2), i !== specs - 1 || week < 2, `Acme${week}x${i}Operator`);
    }
    if (week % 3 === 0) await story(db, ACME, at + 12 * 3_600_000, 1, false, `Acme${week}InvalidOperator`, false);
  }
  // OTHER: a few of its own, with names that must stay on its side.
  for (let week = 3; week >= 0; week--) await story(db, OTHER, SEED_NOW - week * WEEK - DAY, 2, true, `GlobexSecret${week}Operator`);

  const trustMe = rule(db, ACME.id, ACME.repo, {
    description: "Read the connection in execute(), not in __init__", before: "self.hook = HttpHook(http_conn_id=$A)", after: "self.http_conn_id = $A",
    pr: 17, sha: "9f1c2d3e4b5a69788796a5b4c3d2e1f0a9b8c7d6", author: "maria", successes: 4, failures: 1, applications: 5,
  });
  const discardMe = rule(db, ACME.id, ACME.repo, {
    description: "Add timeout to hook.run", before: "hook.run($A)", after: "hook.run($A, extra_options={'timeout': 30})",
    pr: 21, sha: "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d", author: "tomas", successes: 0, failures: 2, applications: 2,
  });
  const otherRule = rule(db, OTHER.id, OTHER.repo, {
    description: "Globex secret rule", before: "globex_secret($A)", after: "globex_secret_v2($A)",
    pr: 5, sha: "ffffeeeeddddccccbbbbaaaa9999888877776666", author: "globex-dev", successes: 1, failures: 0, applications: 1,
  });
  const sig = signature(db, ACME.id, ACME.repo, { signature: "ModuleNotFoundError: No module named <module>", kind: "import_error", strategy: "use the provider package", seenDaysAgo: [1, 2, 3, 9, 20, 30] });
  db.prepare("INSERT INTO rule_signatures (rule_id, signature_id) VALUES (?, ?)").run(trustMe, sig);
  signature(db, ACME.id, ACME.repo, { signature: "AirflowException: <str> is not a templated field", kind: "template_error", strategy: "declare the field in template_fields", seenDaysAgo: [10, 12] });
  signature(db, OTHER.id, OTHER.repo, { signature: "GlobexSecretError: <str>", kind: "runtime_error", strategy: "globex only", seenDaysAgo: [1] });

  const origin = { installationId: ACME.id, repository: ACME.repo };
  for (let i = 0; i < 6; i++) libraryOutcome(db, origin, "requests", "2", i < 5 ? "import_ok" : "exec_failed", SEED_NOW - i * DAY);
  for (let i = 0; i < 2; i++) libraryOutcome(db, origin, "pandas", "3", "import_failed", SEED_NOW - i * DAY);
  libraryOutcome(db, { installationId: OTHER.id, repository: OTHER.repo }, "globex-private-sdk", "2", "import_ok", SEED_NOW);

  const payload = (who: { id: number; owner: string; repo: string }, extra: Record<string, unknown>): Record<string, unknown> => ({
    installationId: who.id, owner: who.owner, repo: who.repo.split("/")[1], ...extra,
  });
  const queue = kyselyOverStore(db);
  await enqueue(queue, { type: "generate", payload: payload(ACME, { issueNumber: 90, specFingerprint: "fp90", config: { budget_usd: 25 } }) }, SEED_NOW - 30 * 60_000);
  const acmeDead = await enqueue(queue, { type: "feedback", payload: payload(ACME, { prNumber: 120, merged: true, mergeSha: null }) }, SEED_NOW - DAY);
  const otherDead = await enqueue(queue, { type: "feedback", payload: payload(OTHER, { prNumber: 7, merged: true, mergeSha: null }) }, SEED_NOW - DAY);
  db.prepare("UPDATE jobs SET status = 'dead', attempts = 5, last_error = 'GitHub answered 502 five times' WHERE id IN (?, ?)").run(acmeDead.job.id, otherDead.job.id);
  return { acmeRules: { trustMe, discardMe }, acmeDeadJob: acmeDead.job.id, otherRule, otherDeadJob: otherDead.job.id };
}
