import { kyselyOverStore } from "../../../src/db/over-store.js";
import type { Database } from "../../../src/store/database.js";
import { recordAttempt, updateAttempt, updateGeneration, upsertGenerationForIssue } from "../../../src/store/generations.js";
import type { AttemptOutcome, NewAttempt } from "../../../src/store/generations.js";
import type { CiFailure } from "../../../src/ci/types.js";
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

/** Drives the store the way the flows do: generation, attempts (validated, then the CI verdict), final status. */
export async function fillGeneration(db: Database, plan: GenerationPlan): Promise<number> {
  const kysely = kyselyOverStore(db);
  const { generation } = await upsertGenerationForIssue(
    kysely,
    {
      repo: "acme/pipelines",
      installationId: 42,
      issueNumber: plan.issue,
      specFingerprint: `fp-${plan.issue}`,
      spec: sampleSpec({ category: plan.category }),
      provider: plan.provider ?? "anthropic",
      model: plan.model ?? "claude-sonnet-4-5",
    },
    plan.at,
  );
  for (const [i, a] of plan.attempts.entries()) {
    const ciVerdict = a.outcome === "ci_passed" || a.outcome === "ci_failed";
    const input: NewAttempt = {
      generationId: generation.id,
      trigger: i === 0 ? "initial" : "ci_retry",
      strategy: i === 0 ? "fresh" : "patch",
      usage: { inputTokens: a.tokens[0], outputTokens: a.tokens[1] },
      costUsd: a.costUsd,
      durationMs: a.durationMs,
      outcome: ciVerdict ? "validated" : a.outcome,
      ...(a.learned === undefined ? {} : { learnedContext: a.learned }),
      ...(ciVerdict ? { commitSha: `sha-${plan.issue}-${i + 1}` } : {}),
    };
    const stored = await recordAttempt(kysely, input, a.at);
    if (ciVerdict) {
      await updateAttempt(kysely, stored.id, { outcome: a.outcome, ...(a.ciFailures === undefined ? {} : { ciFailures: a.ciFailures }) }, a.ciAt ?? a.at + HOUR);
    }
  }
  if (plan.final) {
    await updateGeneration(
      kysely,
      generation.id,
      { status: plan.final.status, ...(plan.final.finalOutcome === undefined ? {} : { finalOutcome: plan.final.finalOutcome }) },
      plan.final.at,
    );
  }
  return generation.id;
}

const learned = [{ kind: "pattern", title: "HttpHook run", reason: "same category" }, { kind: "library", title: "requests", reason: "dependency" }];

/** Six generations over W40–W47 (see the metrics tests for what each stands for). */
export async function fillHistory(db: Database): Promise<Record<string, number>> {
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
