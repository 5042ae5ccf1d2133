import { structuredPatch } from "diff";
import type { CiFailure } from "../ci/types.js";
import { addReaction, createComment } from "../github/comments.js";
import { isRequestError } from "../github/client.js";
import { canTriggerRetry, getPermission } from "../github/permissions.js";
import type { Job } from "../jobs/queue.js";
import type { JobContext } from "../jobs/worker.js";
import { MARKERS } from "../pipeline/markers.js";
import { getGenerationByPr, getLatestAttempt, listAttempts, updateGeneration } from "../store/generations.js";
import { monthlySpendUsd } from "../store/spend.js";
import { retryStopReason } from "./ci-render.js";
import { roleOfPath } from "../generate/layout.js";
import { errorSignature } from "../learn/errors/index.js";
import { signatureIdsOf } from "../learn/loop.js";
import type { JobPayloads } from "./job-types.js";
import { generateAndPublish } from "./publish.js";
import { loadRepoConfig } from "./repo-config.js";
import type { FlowServices } from "./services.js";

const STOP_WORDS: Record<string, string> = {
  max_attempts: "opforge has used all its attempts (`max_attempts` in .github/opforge.yml) on this PR and stops here.",
  budget: "the monthly budget (`budget_usd` in .github/opforge.yml) is used up.",
  config_invalid: "`.github/opforge.yml` is invalid; fix it first.",
};

export function describeChanges(before: { path: string; content: string }[], after: { path: string; content: string }[]): string[] {
  const old = new Map(before.map((f) => [f.path, f.content]));
  return after.flatMap((file) => {
    const previous = old.get(file.path) ?? "";
    if (previous === file.content) return [];
    const patch = structuredPatch(file.path, file.path, previous, file.content, "", "", { context: 0 });
    const added = patch.hunks.reduce((n, h) => n + h.lines.filter((l) => l.startsWith("+")).length, 0);
    const removed = patch.hunks.reduce((n, h) => n + h.lines.filter((l) => l.startsWith("-")).length, 0);
    return [`- \`${file.path}\`: ${patch.hunks.length} hunk(s), +${added} −${removed} lines`];
  });
}

/**
 * Attempt N+1 on an opforge PR, after a CI failure or on `/retry`. Retries escalate rather than stack
 * patches: the second attempt patches the previous code against the failures, later ones regenerate
 * from the spec with the failures (and the learned context) in the prompt.
 */
export async function runRetryJob(job: Job, ctx: JobContext, s: FlowServices): Promise<void> {
  const p = job.payload as JobPayloads["retry"];
  const generation = await getGenerationByPr(s.kysely, `${p.owner}/${p.repo}`, p.prNumber);
  if (generation === null) return;
  const octokit = await s.octokitFor(p.installationId);
  const coords = { owner: p.owner, repo: p.repo };
  const botLogin = s.botLogin === undefined ? {} : { botLogin: s.botLogin };
  const say = (name: string, body: string) =>
    ctx.step(`comment-${name}`, () =>
      createComment(octokit, {
        ...coords,
        issueNumber: p.prNumber,
        marker: `${MARKERS.retry(job.id)}-${name}`,
        body,
        ...botLogin,
      }),
    );

  if (p.trigger === "manual_retry" && p.commentId !== undefined) {
    const permission = await ctx.step("permission", () => getPermission(octokit, { ...coords, username: p.requestedBy ?? "" }));
    if (!canTriggerRetry(permission)) {
      await say(
        "refused",
        `Thanks for the nudge, @${p.requestedBy}! Only people with write, maintain or admin permission on this repository can ask opforge to retry. A maintainer can comment \`/retry\` for you.`,
      );
      return;
    }
    // The reaction only acknowledges; a comment deleted since it was posted does not cancel the retry.
    await ctx.step("reaction", async () => {
      try {
        return await addReaction(octokit, { ...coords, commentId: p.commentId ?? 0, content: "eyes" });
      } catch (error) {
        if (isRequestError(error, 404)) return null;
        throw error;
      }
    });
  }

  const pr = await ctx.step("read-pr", async () => {
    const { data } = await octokit.rest.pulls.get({ ...coords, pull_number: p.prNumber });
    return { state: data.state, baseRef: data.base.ref };
  });
  if (pr.state !== "open") {
    await say("closed", "This pull request is closed, so opforge does not retry it.");
    return;
  }
  const configResult = await loadRepoConfig(octokit, p.owner, p.repo, pr.baseRef);
  const config = configResult.ok ? configResult.config : null;
  const attempts = await listAttempts(s.kysely, generation.id);
  const committed = attempts.filter((a) => a.commitSha !== null);
  // max_attempts and the budget bound every retry, asked for or not: spend stays predictable. auto_retry only
  // concerns retries nobody asked for, and this one was queued by CI handling that already checked it.
  const limits = config === null ? null : { ...config, auto_retry: true };
  const stop = retryStopReason({
    config: limits,
    committedAttempts: committed.length,
    spentUsd: await monthlySpendUsd(s.kysely, p.installationId, s.now()),
  });
  if (stop !== null || config === null) {
    await say("stopped", `⛔ **opforge** will not retry: ${STOP_WORDS[stop ?? "config_invalid"] ?? stop}`);
    return;
  }

  // The commit CI judged, not a local try that never left the worker.
  const previous = committed.at(-1) ?? (await getLatestAttempt(s.kysely, generation.id));
  const previousFiles = (previous?.files ?? []).map((f) => ({ ...f }));
  const failures = ((previous?.ciFailures ?? []) as CiFailure[]).map((f) => {
    const where = f.file === undefined ? "" : ` (${f.file}${f.line === undefined ? "" : `:${f.line}`})`;
    return `${f.check}: ${f.exceptionType ?? f.ruleCode ?? f.kind}: ${f.message}${where} — fix strategy: ${errorSignature(f).fixStrategy}`;
  });
  const number = committed.length + 1;
  const strategy = number <= 2 ? "patch" : "regenerate";
  const result = await generateAndPublish(ctx, s, {
    octokit,
    generation,
    spec: generation.spec,
    config,
    trigger: p.trigger,
    localAttempts: 1,
    retryableLater: job.attempts < job.maxAttempts,
    previousSignatureIds: previous === null || previous === undefined ? [] : signatureIdsOf([previous]),
    retry: {
      attempt: number,
      strategy,
      previousFiles: previousFiles.map((f) => ({ role: roleOfPath(f.path), path: f.path, content: f.content })),
      failures,
      ...(p.guidance === undefined ? {} : { guidance: p.guidance }),
    },
  });
  if (!result.ok) {
    // The PR keeps its previous commit, whose CI already failed: the generation is not running any more.
    if (result.refused !== undefined) {
      await updateGeneration(s.kysely, generation.id, { status: "failed", finalOutcome: result.refused === "budget" ? "budget_exhausted" : "price_unknown" }, s.now());
      await say("budget", `⛔ **opforge** will not retry: ${result.reason}`);
      return;
    }
    await updateGeneration(s.kysely, generation.id, { status: "failed", finalOutcome: "generation_failed" }, s.now());
    await say("failed", `❌ **opforge** retry ${number} produced nothing usable: ${result.reason}`);
    return;
  }
  await updateGeneration(s.kysely, generation.id, { status: "ci_running" }, s.now());
  const changes = describeChanges(previousFiles, result.files);
  await say(
    "done",
    [
      `🔁 **opforge** attempt ${number} (${strategy === "patch" ? "a targeted patch of the previous code" : "regenerated from the spec"}${p.trigger === "manual_retry" ? `, asked by @${p.requestedBy}` : ", after the CI failure"}).`,
      "",
      failures.length === 0 ? "No CI failure was recorded for the previous commit." : "What failed:",
      ...failures.slice(0, 15).map((f) => `- ${f.slice(0, 300)}`),
      ...(p.guidance === undefined ? [] : ["", `Guidance used: ${p.guidance.slice(0, 500)}`]),
      "",
      result.committed ? `What changed in ${result.commitSha.slice(0, 7)}:` : "The new attempt produced the same files; no new commit was needed.",
      ...changes,
    ].join("\n"),
  );
}
