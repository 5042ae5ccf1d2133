import type { Kysely } from "kysely";
import type { CiFailure } from "../../../src/ci/types.js";
import type { Tables } from "../../../src/db/schema.js";
import type { AttemptOutcome } from "../../../src/store/generations.js";
import { sampleSpec } from "../../store/helpers.js";

export const HOUR = 60 * 60 * 1000;
export const DAY = 24 * HOUR;
/** Monday 2 November 2026, 10:00 UTC: ISO week 2026-W45. */
export const W45 = Date.UTC(2026, 10, 2, 10, 0, 0);
export const W46 = W45 + 7 * DAY;
export const W47 = W45 + 14 * DAY;
/** Wednesday of 2026-W48, the "now" of the reports. */
export const NOW = W45 + 23 * DAY;
/** Monday of 2026-W40: outside a window of the 8 weeks W41–W48. */
export const W40 = W45 - 35 * DAY;

export const importFailure: CiFailure = {
  check: "dag-import",
  kind: "import",
  exceptionType: "ModuleNotFoundError",
  message: "No module named 'yaml'",
  file: "operators/config_loader.py",
  line: 5,
  excerpt: "ModuleNotFoundError: No module named 'yaml'",
  fingerprint: "f-import",
};
export const lintFailure: CiFailure = {
  check: "ruff",
  kind: "lint",
  message: "`os` imported but unused",
  ruleCode: "F401",
  file: "operators/weather.py",
  line: 2,
  excerpt: "operators/weather.py:2:8: F401 [*] `os` imported but unused",
  fingerprint: "f-lint",
};
export const conflictFailure: CiFailure = {
  check: "test (3.11)",
  kind: "dependency_conflict",
  exceptionType: "ResolutionImpossible",
  message: "Cannot install -r requirements.txt (line 2) and pandas==2.1.4 because these package versions have conflicting dependencies.",
  excerpt: "The user requested pandas==2.2.3\nThe user requested (constraint) pandas==2.1.4",
  fingerprint: "f-conflict",
};

interface AttemptPlan {
  at: number;
  outcome: AttemptOutcome;
  /** When CI reported, if it did. */
  ciAt?: number;
  costUsd: number;
  tokens: [input: number, output: number];
  durationMs: number;
  learned?: unknown[];
  ciFailures?: CiFailure[];
}

interface GenerationPlan {
  issue: number;
  at: number;
  category: string;
  provider?: string;
  model?: string;
  attempts: AttemptPlan[];
  final?: { at: number; status: "merged" | "succeeded" | "failed"; finalOutcome?: string };
}

/**
 * Writes the rows the flows leave behind (through the store on SQLite), on either dialect: the generation,
 * its attempts numbered in order (a CI verdict recorded an hour after the attempt unless `ciAt` says), the
 * first attempt's outcome as the generation's first-attempt flag, and the final status.
 */
export async function fillGeneration(db: Kysely<Tables>, plan: GenerationPlan): Promise<number> {
  const spec = sampleSpec({ category: plan.category });
  const { id } = await db
    .insertInto("generations")
    .values({
      repo: "acme/pipelines",
      installation_id: 42,
      issue_number: plan.issue,
      spec_fingerprint: `fp-${plan.issue}`,
      spec_json: JSON.stringify(spec),
      component_name: spec.name,
      component_type: spec.component_type,
      category: plan.category,
      airflow_version: spec.airflow_version,
      provider: plan.provider ?? "anthropic",
      model: plan.model ?? "claude-sonnet-4-5",
      status: "queued",
      created_at: plan.at,
      updated_at: plan.at,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  for (const [i, a] of plan.attempts.entries()) {
    const ciVerdict = a.outcome === "ci_passed" || a.outcome === "ci_failed";
    await db
      .insertInto("attempts")
      .values({
        generation_id: id,
        number: i + 1,
        trigger: i === 0 ? "initial" : "ci_retry",
        strategy: i === 0 ? "fresh" : "patch",
        input_tokens: a.tokens[0],
        output_tokens: a.tokens[1],
        cost_usd: a.costUsd,
        duration_ms: a.durationMs,
        outcome: a.outcome,
        learned_context_json: a.learned === undefined ? null : JSON.stringify(a.learned),
        commit_sha: ciVerdict ? `sha-${plan.issue}-${i + 1}` : null,
        ci_failures_json: a.ciFailures === undefined ? null : JSON.stringify(a.ciFailures),
        created_at: a.at,
        updated_at: ciVerdict ? (a.ciAt ?? a.at + HOUR) : a.at,
      })
      .execute();
  }
  const first = plan.attempts[0]?.outcome;
  await db
    .updateTable("generations")
    .set({
      attempts_count: plan.attempts.length,
      first_attempt_success: first === "ci_passed" ? 1 : first === "ci_failed" || first === "failed_generation" ? 0 : null,
      ...(plan.final === undefined
        ? {}
        : { status: plan.final.status, final_outcome: plan.final.finalOutcome ?? null, updated_at: plan.final.at }),
    })
    .where("id", "=", id)
    .execute();
  return id;
}

const learned = [{ kind: "pattern", title: "HttpHook run", reason: "same category" }, { kind: "library", title: "requests", reason: "dependency" }];

/** Six generations over W40–W47 (see the metrics tests for what each stands for). */
export async function fillHistory(db: Kysely<Tables>): Promise<Record<string, number>> {
  return {
    merged: await fillGeneration(db, {
      issue: 1,
      at: W45,
      category: "http",
      attempts: [{ at: W45 + HOUR, outcome: "ci_passed", costUsd: 0.1, tokens: [1000, 500], durationMs: 20_000, learned }],
      final: { at: W45 + DAY, status: "merged", finalOutcome: "merged" },
    }),
    retried: await fillGeneration(db, {
      issue: 2,
      at: W45 + 2 * DAY,
      category: "http",
      attempts: [
        { at: W45 + 2 * DAY + HOUR, outcome: "ci_failed", costUsd: 0.1, tokens: [1200, 600], durationMs: 25_000, learned, ciFailures: [importFailure, lintFailure] },
        { at: W45 + 3 * DAY, outcome: "ci_passed", costUsd: 0.12, tokens: [1500, 700], durationMs: 30_000, learned: [] },
      ],
      final: { at: W45 + 3 * DAY + HOUR, status: "succeeded" },
    }),
    failed: await fillGeneration(db, {
      issue: 3,
      at: W46,
      category: "database",
      attempts: [
        { at: W46 + HOUR, outcome: "failed_generation", costUsd: 0.05, tokens: [900, 100], durationMs: 10_000 },
        { at: W46 + 2 * HOUR, outcome: "failed_generation", costUsd: 0.05, tokens: [900, 100], durationMs: 10_000 },
        { at: W46 + 3 * HOUR, outcome: "ci_failed", costUsd: 0.08, tokens: [1000, 400], durationMs: 15_000, ciFailures: [conflictFailure] },
      ],
      final: { at: W46 + DAY, status: "failed", finalOutcome: "ci_failed" },
    }),
    otherModel: await fillGeneration(db, {
      issue: 4,
      at: W47,
      category: "database",
      provider: "openai-compatible",
      model: "qwen3-coder",
      attempts: [{ at: W47 + HOUR, outcome: "ci_passed", costUsd: 0.02, tokens: [3000, 1500], durationMs: 40_000 }],
      final: { at: W47 + 2 * HOUR, status: "succeeded" },
    }),
    queued: await fillGeneration(db, { issue: 5, at: W47 + DAY, category: "http", attempts: [] }),
    old: await fillGeneration(db, {
      issue: 6,
      at: W40,
      category: "http",
      attempts: [{ at: W40 + HOUR, outcome: "ci_passed", costUsd: 1, tokens: [5000, 5000], durationMs: 60_000 }],
      final: { at: W40 + DAY, status: "merged", finalOutcome: "merged" },
    }),
  };
}
