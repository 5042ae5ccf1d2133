import type { RepoConfig } from "../config/repo-config.js";
import { runAttempts } from "../generate/attempts.js";
import { componentLayout, placeFiles } from "../generate/layout.js";
import { snakeFromClassName } from "../generate/naming.js";
import { ProviderConfigError } from "../generate/providers/errors.js";
import type { AttemptResult, GenerationContext, ModelProvider, RetryContext } from "../generate/types.js";
import { branchName } from "../github/branches.js";
import { createCheckRun } from "../github/checks.js";
import type { GitHubClient } from "../github/client.js";
import { commitFiles } from "../github/commit.js";
import { openOrUpdatePullRequest } from "../github/pulls.js";
import { TransientJobError } from "../jobs/errors.js";
import type { JobContext } from "../jobs/worker.js";
import { LocalCheck, type FileCheck } from "../pipeline/local-check.js";
import { renderPrBody, renderPrTitle } from "../pipeline/render.js";
import type { ComponentSpec } from "../spec/types.js";
import { getAttempt, listAttempts, recordAttempt, updateAttempt, updateGeneration, type AttemptTrigger, type Generation } from "../store/generations.js";
import { originOf, scopeOf } from "./learning-scope.js";
import type { FlowServices } from "./services.js";
import { installationGate } from "./spend-gate.js";
import type { SpendRefusalKind } from "../generate/budget.js";
import { annotationsOf, apiFactsOf, buildPrSummary, findingsOf } from "./summary.js";
import type { RenderedApiFact } from "../pipeline/render.js";

export interface PublishInput {
  octokit: GitHubClient;
  generation: Generation;
  spec: ComponentSpec;
  config: RepoConfig;
  trigger: AttemptTrigger;
  retry?: RetryContext;
  /** Local tries (model call + validation) before giving up on this round. */
  localAttempts: number;
  /**
   * Whether the job may still be run again by the worker. While it may, a round lost only to a passing
   * provider outage (overload, rate limit, timeout) is thrown as transient, so the worker retries it later
   * instead of the generation failing for good.
   */
  retryableLater: boolean;
  /** Error signatures of the failures this round is meant to fix (their fixes are settled by the next CI run). */
  previousSignatureIds?: number[];
}

/**
 * The model provider the repository's configuration asks for, or why there is none (a missing API key,
 * an unknown provider): a problem for the people who run opforge, said on the issue instead of a silent dead job.
 */
export function resolveProvider(s: FlowServices, config: RepoConfig): { ok: true; provider: ModelProvider } | { ok: false; reason: string } {
  try {
    return { ok: true, provider: s.providerFor(config) };
  } catch (error) {
    if (!(error instanceof ProviderConfigError)) throw error;
    return { ok: false, reason: `the model provider is not configured: ${error.message}` };
  }
}

export type PublishResult =
  | { ok: true; prNumber: number; prUrl: string; prCreated: boolean; commitSha: string; committed: boolean; files: { path: string; content: string }[]; checks: FileCheck[] }
  /** `refused`: the money limit stopped the next model call before it was made. */
  | { ok: false; reason: string; refused?: SpendRefusalKind };

interface GeneratedRound {
  ok: boolean;
  reason: string;
  files: { path: string; content: string; role: string }[];
  checks: FileCheck[];
  learnedUsed: { kind: string; title: string; reason: string }[];
  /** Absent in rounds recorded before the prompt carried API facts. */
  apiFacts?: RenderedApiFact[];
  scaffold: boolean;
  attemptId: number | null;
  refused?: SpendRefusalKind;
}

function usageOf(result: AttemptResult) {
  return {
    inputTokens: result.usage.input,
    outputTokens: result.usage.output,
    cacheReadTokens: result.usage.cacheRead,
    cacheWriteTokens: result.usage.cacheWrite,
  };
}

/**
 * One round of the loop for a generation: generate (with learned context and, on a retry, the failures),
 * validate and repair locally, record every attempt, then commit to the generation's branch, open or update
 * its PR and report the local findings as a check run. Each GitHub effect is a durable step.
 */
export async function generateAndPublish(ctx: JobContext, s: FlowServices, input: PublishInput): Promise<PublishResult> {
  const { octokit, generation, spec, config } = input;
  const coords = { owner: generation.repo.split("/")[0] ?? "", repo: generation.repo.split("/")[1] ?? "" };
  const layout = componentLayout(spec, config.paths);
  const resolved = resolveProvider(s, config);
  if (!resolved.ok) return { ok: false, reason: resolved.reason };
  const provider = resolved.provider;

  const round = await ctx.step("generate", async (): Promise<GeneratedRound> => {
    const learned = await s.learning.contextFor(spec, scopeOf(generation, config));
    const check = new LocalCheck(learned.rules, { componentModule: layout.componentModule });
    const context: GenerationContext = {
      learned: learned.learned,
      componentModule: layout.componentModule,
      ...(config.airflow_version === undefined ? {} : { airflowVersion: config.airflow_version }),
      ...(s.generation ?? {}),
      ...(input.retry === undefined ? {} : { retry: input.retry }),
    };
    await updateGeneration(s.kysely, generation.id, { status: "generating", provider: provider.name, model: provider.model }, s.now());
    let lastAttemptId: number | null = null;
    const gate = installationGate(s.kysely, generation.installationId, config, s.now);
    const outcome = await runAttempts(spec, context, provider, {
      maxAttempts: input.localAttempts,
      check: check.check,
      ...(gate === undefined ? {} : { gate }),
      ...(s.prices === undefined ? {} : { prices: s.prices }),
      onAttempt: async (attempt) => {
        const files = attempt.ok ? placeFiles(attempt.files, layout) : placeFiles(attempt.files ?? [], layout);
        const stored = await recordAttempt(
          s.kysely,
          {
            generationId: generation.id,
            trigger: input.trigger,
            strategy: input.retry?.strategy ?? "fresh",
            files,
            validationReport: check.last,
            appliedFixes: check.last.flatMap((c) => c.applied.map((a) => ({ path: c.path, ...a }))),
            learnedContext: attempt.ok ? attempt.learnedUsed : context.learned,
            usage: usageOf(attempt),
            costUsd: attempt.costUsd,
            durationMs: attempt.durationMs,
            outcome: attempt.ok ? "validated" : "failed_generation",
            failureReason: attempt.ok ? null : `${attempt.kind}: ${attempt.reason}`,
            replyMode: attempt.replyMode ?? null,
          },
          s.now(),
        );
        lastAttemptId = stored.id;
        // A mistake the local pass could not repair is an error signature like a CI failure.
        if (!attempt.ok && attempt.kind === "check_failed") {
          await s.learning.recordValidatorFindings(originOf(generation), generation.id, spec, check.last.flatMap((c) => c.report.findings));
        }
      },
    });
    const final = outcome.final;
    const last = outcome.attempts[outcome.attempts.length - 1];
    const outage = outcome.attempts.length > 0 && outcome.attempts.every((a) => !a.ok && a.kind === "provider_error" && a.retryable);
    if (final === undefined && outage && input.retryableLater && last !== undefined && !last.ok) {
      throw new TransientJobError(`the model provider is unavailable: ${last.reason}`);
    }
    const placedChecks = check.last.map((c) => ({ ...c, path: layout.paths[c.role] }));
    return {
      ok: final !== undefined,
      reason: outcome.refused !== undefined ? outcome.refused.reason : last !== undefined && !last.ok ? `${last.kind}: ${last.reason}` : "",
      ...(outcome.refused === undefined ? {} : { refused: outcome.refused.kind }),
      files: final === undefined ? [] : placeFiles(final.files, layout),
      checks: placedChecks,
      learnedUsed: final?.learnedUsed.map((l) => ({ kind: l.kind, title: l.title, reason: l.reason })) ?? [],
      apiFacts: apiFactsOf(final?.apiFacts ?? []),
      scaffold: final?.scaffold ?? false,
      attemptId: lastAttemptId,
    };
  });

  if (round.refused !== undefined) return { ok: false, reason: round.reason, refused: round.refused };
  if (!round.ok || round.attemptId === null) {
    return { ok: false, reason: round.reason || "the model gave no usable reply" };
  }

  const baseBranch = await ctx.step("base-branch", async () => {
    const { data } = await octokit.rest.repos.get(coords);
    return data.default_branch;
  });
  const branch = generation.branch ?? branchName(generation.issueNumber, snakeFromClassName(spec.name));
  const commit = await ctx.step("commit", () =>
    commitFiles(octokit, {
      ...coords,
      baseBranch,
      branch,
      files: round.files.map((f) => ({ path: f.path, content: f.content })),
      message:
        input.trigger === "initial"
          ? `Add ${spec.component_type} ${spec.name} (opforge, #${generation.issueNumber})`
          : `Retry ${spec.name}: ${input.retry?.strategy ?? "regenerate"} (opforge, #${generation.issueNumber})`,
      allowedPaths: Object.values(layout.paths),
    }),
  );
  await updateAttempt(s.kysely, round.attemptId, { commitSha: commit.commitSha }, s.now());
  // Known as opforge's head from the moment it is pushed: CI may finish before the PR step does (a push
  // workflow, or this process dying here), and its completion events must find the generation.
  await updateGeneration(s.kysely, generation.id, { branch, headSha: commit.commitSha }, s.now());
  if (input.retry !== undefined && (input.previousSignatureIds?.length ?? 0) > 0) {
    const attemptNumber = (await getAttempt(s.kysely, round.attemptId))?.number ?? 0;
    await ctx.dbStep("record-retry-fixes", (trx) =>
      s.learning.recordRetryFixes(
        {
        origin: originOf(generation),
        generationId: generation.id,
        attemptNumber,
        signatureIds: input.previousSignatureIds ?? [],
        strategy: input.retry?.strategy ?? "regenerate",
        appliedFixes: round.checks.flatMap((c) => c.applied),
        },
        trx,
      ),
    );
  }

  const attempts = await listAttempts(s.kysely, generation.id);
  const summary = buildPrSummary({
    spec,
    issueNumber: generation.issueNumber,
    files: round.files.map((f) => ({ path: f.path, role: f.role })),
    checks: round.checks,
    learnedUsed: round.learnedUsed,
    ...(round.apiFacts === undefined ? {} : { apiFacts: round.apiFacts }),
    provider: provider.name,
    model: provider.model,
    scaffold: round.scaffold,
    attempts,
  });
  const pr = await ctx.step("pull-request", () =>
    openOrUpdatePullRequest(octokit, {
      ...coords,
      head: branch,
      base: baseBranch,
      title: renderPrTitle(summary),
      body: renderPrBody(summary),
    }),
  );
  await updateGeneration(
    s.kysely,
    generation.id,
    { status: "ci_running", prNumber: pr.number, branch, headSha: commit.commitSha },
    s.now(),
  );

  const findings = findingsOf(round.checks);
  const errors = findings.filter((f) => f.severity === "error").length;
  await ctx.step("check-run", () =>
    createCheckRun(octokit, {
      ...coords,
      headSha: commit.commitSha,
      conclusion: errors > 0 ? "failure" : findings.length > 0 ? "neutral" : "success",
      title: findings.length === 0 ? "No findings" : `${errors} error(s), ${findings.length - errors} warning(s)`,
      summary: `Local validation of the generated files by opforge (${round.files.length} files).`,
      annotations: annotationsOf(round.checks),
    }),
  );
  return {
    ok: true,
    prNumber: pr.number,
    prUrl: pr.url,
    prCreated: pr.created,
    commitSha: commit.commitSha,
    committed: commit.created,
    files: round.files,
    checks: round.checks,
  };
}
