import type { AttemptResult, ModelProvider } from "../generate/types.js";
import { LOCAL_INSTALLATION_ID } from "../learn/scope.js";
import type { FileCheck } from "../pipeline/local-check.js";
import { specFingerprint } from "../spec/index.js";
import type { ComponentSpec } from "../spec/types.js";
import type { Kysely } from "kysely";
import type { Tables } from "../db/schema.js";
import { recordAttempt, updateGeneration, upsertGenerationForIssue } from "../store/generations.js";

/**
 * Local runs are recorded like the app's, under the pseudo-repository `local/<spec fingerprint>`, so that
 * every attempt is kept and `opforge stats` counts them too. Each run is its own generation (numbered like
 * issues, 1, 2, …): six first-try successes are six generations of one attempt, not one of six.
 */
export interface LocalRecord {
  description: string;
  attempt(result: AttemptResult, files: { path: string; content: string }[], checks: FileCheck[]): Promise<void>;
  /** The run's outcome, recorded once the files are written (or could not be). */
  close(outcome: "written" | "generation_failed" | "write_failed"): Promise<void>;
}

export const LOCAL_REPO_OWNER = "local";

/** Records into `db`, which the caller owns and closes. */
export async function openLocalRecord(db: Kysely<Tables>, path: string, spec: ComponentSpec, provider: ModelProvider, now: () => number = Date.now): Promise<LocalRecord> {
  const fingerprint = specFingerprint(spec);
  const repo = `${LOCAL_REPO_OWNER}/${fingerprint.slice(0, 16)}`;
  const { last } = await db
    .selectFrom("generations")
    .select((eb) => eb.fn.max("issue_number").as("last"))
    .where("repo", "=", repo)
    .executeTakeFirstOrThrow();
  const run = Number(last ?? 0) + 1;
  const { generation } = await upsertGenerationForIssue(
    db,
    {
      repo,
      installationId: LOCAL_INSTALLATION_ID,
      issueNumber: run,
      specFingerprint: fingerprint,
      spec,
      provider: provider.name,
      model: provider.model,
    },
    now(),
  );
  await updateGeneration(db, generation.id, { status: "generating" }, now());
  let count = 0;
  return {
    description: `${path} (generation ${generation.id})`,
    async attempt(result, files, checks) {
      count += 1;
      await recordAttempt(
        db,
        {
          generationId: generation.id,
          trigger: "initial",
          strategy: count === 1 ? "fresh" : "local-retry",
          files,
          validationReport: checks,
          appliedFixes: checks.flatMap((c) => c.applied.map((a) => ({ path: c.path, ...a }))),
          learnedContext: result.ok ? result.learnedUsed : [],
          usage: {
            inputTokens: result.usage.input,
            outputTokens: result.usage.output,
            cacheReadTokens: result.usage.cacheRead,
            cacheWriteTokens: result.usage.cacheWrite,
          },
          costUsd: result.costUsd,
          durationMs: result.durationMs,
          outcome: result.ok ? "validated" : "failed_generation",
          failureReason: result.ok ? null : `${result.kind}: ${result.reason}`,
          replyMode: result.replyMode ?? null,
        },
        now(),
      );
    },
    async close(outcome) {
      await updateGeneration(
        db,
        generation.id,
        { status: outcome === "written" ? "succeeded" : "failed", finalOutcome: outcome === "written" ? "written_locally" : outcome },
        now(),
      );
    },
  };
}
