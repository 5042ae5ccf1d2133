import { removeLabel } from "../github/labels.js";
import { findMarkedComment, upsertComment, withMarker } from "../github/comments.js";
import { isTransientError } from "../jobs/errors.js";
import type { Job } from "../jobs/queue.js";
import type { JobContext } from "../jobs/worker.js";
import { MARKERS } from "../pipeline/markers.js";
import { renderSpecResolved, renderStatusComment, type StatusState } from "../pipeline/render.js";
import { specFingerprint, specFromIssueBody } from "../spec/index.js";
import { getGeneration, updateGeneration, upsertGenerationForIssue } from "../store/generations.js";
import { monthlySpendUsd } from "../store/spend.js";
import { formatUsd } from "../pipeline/render.js";
import type { JobPayloads } from "./job-types.js";
import { generateAndPublish, resolveProvider } from "./publish.js";
import type { FlowServices } from "./services.js";
import { SPEC_INVALID_LABEL } from "./spec-invalid.js";

/** Issue → PR: the job behind a valid spec on a labeled issue. */
export async function runGenerateJob(job: Job, ctx: JobContext, s: FlowServices): Promise<void> {
  const p = job.payload as JobPayloads["generate"];
  const octokit = await s.octokitFor(p.installationId);
  const coords = { owner: p.owner, repo: p.repo };

  // The body is read again: an edit made while the job waited wins over the payload's copy.
  const body = await ctx.step("read-issue", async () => {
    const { data } = await octokit.rest.issues.get({ ...coords, issue_number: p.issueNumber });
    return data.body ?? "";
  });
  const parsed = specFromIssueBody(body);
  if (!parsed.ok || specFingerprint(parsed.spec) !== p.specFingerprint) {
    ctx.log.info({ issue: p.issueNumber }, "spec changed since the job was queued; the newer event's job takes over");
    return;
  }
  const spec = parsed.spec;
  const resolved = resolveProvider(s, p.config);
  if (!resolved.ok) {
    await ctx.step("status-no-provider", () =>
      upsertComment(octokit, {
        ...coords,
        issueNumber: p.issueNumber,
        marker: MARKERS.status,
        body: renderStatusComment({ state: "failed", reason: resolved.reason }, parsed.warnings),
        ...(s.botLogin === undefined ? {} : { botLogin: s.botLogin }),
      }),
    );
    ctx.log.error({ issue: p.issueNumber, reason: resolved.reason }, "no model provider");
    return;
  }
  const provider = resolved.provider;
  const recorded = await ctx.dbStep("record-generation", async (db) => {
    const r = await upsertGenerationForIssue(
      db,
      {
        repo: `${p.owner}/${p.repo}`,
        installationId: p.installationId,
        issueNumber: p.issueNumber,
        specFingerprint: p.specFingerprint,
        spec,
        provider: provider.name,
        model: provider.model,
      },
      s.now(),
    );
    return { id: r.generation.id, created: r.created, specChanged: r.specChanged, prNumber: r.generation.prNumber };
  });
  const generation = await getGeneration(s.kysely, recorded.id);
  if (generation === null) throw new Error(`generation ${recorded.id} vanished`);

  const status = (name: string, state: StatusState) =>
    ctx.step(`status-${name}`, async () => {
      const current = await getGeneration(s.kysely, generation.id);
      const result = await upsertComment(octokit, {
        ...coords,
        issueNumber: p.issueNumber,
        marker: MARKERS.status,
        body: renderStatusComment(state, parsed.warnings),
        ...(s.botLogin === undefined ? {} : { botLogin: s.botLogin }),
        ...(current?.statusCommentId == null ? {} : { commentId: current.statusCommentId }),
      });
      await updateGeneration(s.kysely, generation.id, { statusCommentId: result.id }, s.now());
      return result.id;
    });

  // The same spec again (a second label event, a redelivered edit): the PR it produced stands, unless it
  // failed or was closed unmerged, when asking again means "try again".
  const standing = generation.status !== "failed" && generation.status !== "closed";
  if (!recorded.created && !recorded.specChanged && generation.prNumber !== null && standing) {
    await status("unchanged", {
      state: "pr_opened",
      prNumber: generation.prNumber,
      updated: false,
    });
    return;
  }

  await ctx.step("clear-invalid-label", () => removeLabel(octokit, { ...coords, issueNumber: p.issueNumber, name: SPEC_INVALID_LABEL }));
  // A findings comment left from an earlier invalid version would still list problems that are gone.
  await ctx.step("resolve-findings", async () => {
    const findings = await findMarkedComment(octokit, {
      ...coords,
      issueNumber: p.issueNumber,
      marker: MARKERS.specFindings,
      ...(s.botLogin === undefined ? {} : { botLogin: s.botLogin }),
    });
    const resolved = withMarker(MARKERS.specFindings, renderSpecResolved());
    if (findings === null || findings.body === resolved) return false;
    await octokit.rest.issues.updateComment({ ...coords, comment_id: findings.id, body: resolved });
    return true;
  });

  // A quick answer when nothing is left; the exact check, counting calls in flight, is made before each
  // model call. The scaffold costs nothing, so no budget stops it.
  const limit = p.config.budget_usd;
  const spent = await monthlySpendUsd(s.kysely, p.installationId, s.now());
  if (limit !== null && provider.name !== "scaffold" && spent >= limit) {
    const reason = `The monthly budget of ${formatUsd(limit)} is used up (${formatUsd(spent)} spent); raise \`budget_usd\` in .github/opforge.yml or wait for next month.`;
    await updateGeneration(s.kysely, generation.id, { status: "failed", finalOutcome: "budget_exhausted" }, s.now());
    await status("budget", { state: "failed", reason });
    return;
  }

  await status("generating", { state: "generating", attempt: generation.attemptsCount + 1 });
  let result: Awaited<ReturnType<typeof generateAndPublish>>;
  try {
    result = await generateAndPublish(ctx, s, {
    octokit,
    generation,
    spec,
    config: p.config,
    trigger: "initial",
    localAttempts: 2,
    retryableLater: job.attempts < job.maxAttempts,
    });
  } catch (error) {
    // A failure the worker will not retry would otherwise leave the status comment at "generating" for good.
    if (isTransientError(error) && job.attempts < job.maxAttempts) throw error;
    const message = error instanceof Error ? error.message : String(error);
    await updateGeneration(s.kysely, generation.id, { status: "failed", finalOutcome: "error" }, s.now());
    await status("error", { state: "failed", reason: `opforge could not finish: ${message}` }).catch(() => undefined);
    throw error;
  }
  if (!result.ok) {
    const outcome = result.refused === "budget" ? "budget_exhausted" : result.refused === "price_unknown" ? "price_unknown" : "generation_failed";
    await updateGeneration(s.kysely, generation.id, { status: "failed", finalOutcome: outcome }, s.now());
    await status("failed", { state: "failed", reason: result.reason });
    return;
  }
  // "Updated" only when the PR is the one the generation already had before this job: a PR this job opened
  // on an earlier run, whose record was lost to a crash or an unanswered request, is found open now, yet it
  // was opened, not updated from an edited spec.
  const updated = recorded.prNumber !== null && result.prNumber === recorded.prNumber;
  await status("done", { state: "pr_opened", prNumber: result.prNumber, prUrl: result.prUrl, updated });
}
