import { readBaseFailures, readFailures, summarizeChecks } from "../ci/read.js";
import type { ChecksSummary } from "../ci/read.js";
import type { CiFailure } from "../ci/types.js";
import { getBranchHeadSha } from "../github/branches.js";
import { createComment } from "../github/comments.js";
import { OWN_CHECK_NAME } from "../handlers/checks.js";
import { TransientJobError } from "../jobs/errors.js";
import { enqueue } from "../jobs/queue.js";
import type { Job } from "../jobs/queue.js";
import type { JobContext } from "../jobs/worker.js";
import { MARKERS } from "../pipeline/markers.js";
import { claimRetry, fingerprintsHash, listCiResults, recordCiResult } from "../store/ci-results.js";
import {
  getAttemptByCommitSha,
  getGenerationByHeadSha,
  listAttempts,
  updateAttempt,
  updateGeneration,
} from "../store/generations.js";
import { monthlySpendUsd } from "../store/spend.js";
import { attemptRecordOf } from "../learn/loop.js";
import { originOf } from "./learning-scope.js";
import type { JobPayloads } from "./job-types.js";
import { loadRepoConfig } from "./repo-config.js";
import { renderCiVerdict, retryStopReason } from "./ci-render.js";
import type { FlowServices } from "./services.js";

/**
 * A check finished on an opforge head commit. Once every suite on that commit has completed, the attempt
 * gets its verdict; a failure is read, attributed (does the base branch's head have the same failure, by
 * fingerprint, in the same check?), recorded once
 * per (commit, failure set), and answered with a retry, an escalation or a stop.
 */
export async function runCiResultJob(job: Job, ctx: JobContext, s: FlowServices): Promise<void> {
  const p = job.payload as JobPayloads["ci-result"];
  const repoFull = `${p.owner}/${p.repo}`;
  const generation = await getGenerationByHeadSha(s.kysely, repoFull, p.headSha);
  if (generation === null || generation.headSha !== p.headSha) return;
  if (generation.prNumber === null) {
    if (generation.status === "failed") return; // no PR will come for this commit
    // The commit is pushed but its PR is not open yet (CI was quicker than the PR step, or that job's process
    // died in between and waits for its lease to expire): judge it once the PR exists.
    throw new TransientJobError(`no pull request yet for ${repoFull}@${p.headSha.slice(0, 7)}`);
  }
  const octokit = await s.octokitFor(p.installationId);
  const coords = { owner: p.owner, repo: p.repo };

  const summary = await summarizeChecks(octokit, {
    ...coords,
    ref: p.headSha,
    ignoreCheckNames: [OWN_CHECK_NAME],
    ...(s.appId === undefined ? {} : { ownApp: { id: s.appId } }),
    now: () => new Date(s.now()),
  });
  if (summary.state === "pending") {
    scheduleSilentSuiteRecheck(s, p, summary);
    return;
  }
  const attempt = await getAttemptByCommitSha(s.kysely, generation.id, p.headSha);

  const libraries = attempt === null ? [] : await s.learning.librariesOf(attempt.files);

  if (summary.state === "success") {
    // Recording and its consequences commit together, so a rerun of this job never half-applies them.
    await ctx.dbStep("record-success", async (db) => {
      const recorded = await recordCiResult(db, { generationId: generation.id, headSha: p.headSha, fingerprintsHash: fingerprintsHash([]), conclusion: "success" }, s.now());
      if (!recorded.inserted) return false;
      if (attempt !== null) {
        await updateAttempt(db, attempt.id, { outcome: "ci_passed" }, s.now());
        await s.learning.recordCiVerdict({ origin: originOf(generation), generationId: generation.id, spec: generation.spec, attempt: attemptRecordOf(attempt), passed: true, failures: [], final: true }, libraries, db);
      }
      const committed = (await listAttempts(db, generation.id)).filter((a) => a.commitSha !== null);
      await updateGeneration(
        db,
        generation.id,
        { status: "succeeded", ...(generation.firstAttemptSuccess === null ? { firstAttemptSuccess: committed.length <= 1 } : {}) },
        s.now(),
      );
      return true;
    });
    return;
  }

  const failures: CiFailure[] = await readFailures(octokit, { ...coords, failedRuns: summary.failedRuns });
  const pr = await octokit.rest.pulls.get({ ...coords, pull_number: generation.prNumber });
  // The base branch as it is now, not as it was when the PR was opened: a breakage that landed since counts too.
  const baseSha = (await getBranchHeadSha(octokit, { ...coords, branch: pr.data.base.ref })) ?? pr.data.base.sha;
  const failedChecks = [...new Set(summary.failedRuns.map((r) => r.name))];
  // Pre-existing means the same failure (same check, same normalized failure) on the base branch's head, not
  // merely a red check of the same name: an unrelated failure there does not hide this PR's own in that check.
  // Pre-existing failures never reach the learning stores, the attempt's recorded failures (what a retry is
  // asked to fix) or the verdict's list of this PR's failures.
  const onBaseFingerprints = (await readBaseFailures(octokit, { ...coords, baseSha, checkName: failedChecks })).fingerprints;
  const preExisting = failures.filter((f) => onBaseFingerprints.has(f.fingerprint));
  const ours = failures.filter((f) => !onBaseFingerprints.has(f.fingerprint));
  const earlier = (await listCiResults(s.kysely, generation.id)).filter((r) => r.headSha !== p.headSha);
  const seenBefore = new Set(earlier.flatMap((r) => (r.failures as CiFailure[]).map((f) => f.fingerprint)));
  const recurring = ours.filter((f) => seenBefore.has(f.fingerprint));
  const configResult = await loadRepoConfig(octokit, p.owner, p.repo, pr.data.base.ref);
  const config = configResult.ok ? configResult.config : null;
  const prNumber = generation.prNumber;

  // The verdict is recorded once per (commit, failure set), together with its consequences (attempt and
  // generation state, the claimed retry), in one transaction that is also this job's step: when posting the
  // comment fails and the job runs again, the verdict is still posted and the retry still queued. The retry is
  // queued only after the comment, so it cannot move the PR's head before this job has said why.
  const verdict = await ctx.dbStep("record-verdict", async (db) => {
    const recorded = await recordCiResult(
      db,
      {
        generationId: generation.id,
        headSha: p.headSha,
        fingerprintsHash: fingerprintsHash(ours.map((f) => f.fingerprint)),
        conclusion: "failure",
        failures,
        attributedToBase: ours.length === 0 && failedChecks.length > 0,
      },
      s.now(),
    );
    if (!recorded.inserted) return null;
    if (generation.firstAttemptSuccess === null && ours.length > 0) {
      await updateGeneration(db, generation.id, { firstAttemptSuccess: false }, s.now());
    }
    const committedAttempts = (await listAttempts(db, generation.id)).filter((a) => a.commitSha !== null).length;
    const stop =
      ours.length === 0
        ? "base"
        : recurring.length > 0
          ? "recurring"
          : retryStopReason({ config, committedAttempts, spentUsd: await monthlySpendUsd(db, p.installationId, s.now()) });
    const willRetry = stop === null && (await claimRetry(db, recorded.result.id));
    if (attempt !== null) {
      // Each failure keeps the error signature it was learned under, so the next attempt's fixes can be credited.
      const signatureIds = await s.learning.recordCiVerdict(
        { origin: originOf(generation), generationId: generation.id, spec: generation.spec, attempt: attemptRecordOf(attempt), passed: false, failures: ours, final: !willRetry },
        libraries,
        db,
      );
      const stored = ours.map((f, i) => (signatureIds[i] === undefined ? f : { ...f, signatureId: signatureIds[i] }));
      await updateAttempt(db, attempt.id, { outcome: "ci_failed", ciFailures: stored }, s.now());
    }
    if (ours.length > 0 && !willRetry) {
      await updateGeneration(db, generation.id, { status: "failed", finalOutcome: stop === "recurring" ? "escalated" : "ci_failed" }, s.now());
    }
    return {
      willRetry,
      body: renderCiVerdict({ ours, onBase: preExisting, recurring, stop, willRetry, maxAttempts: config?.max_attempts ?? 3, committedAttempts }),
    };
  });
  if (verdict === null) return;
  await ctx.step("verdict-comment", () =>
    createComment(octokit, {
      ...coords,
      issueNumber: prNumber,
      marker: MARKERS.ciVerdict(p.headSha),
      body: verdict.body,
      ...(s.botLogin === undefined ? {} : { botLogin: s.botLogin }),
    }),
  );
  if (verdict.willRetry) {
    await ctx.dbStep("queue-retry", async () =>
      enqueue(
        s.db,
        { type: "retry", payload: { ...p, prNumber, trigger: "ci_retry" } satisfies JobPayloads["retry"], dedupeKey: `retry-ci:${repoFull}@${p.headSha}` },
        s.now(),
      ).job.id,
    );
  }
}

/**
 * A commit whose counted check runs have all completed but which still waits on suites with no check runs
 * (an app subscribed to check suites that never reports) gets no further event when their grace period ends.
 * A delayed re-check of the commit is queued for that moment, when those suites stop counting, so the
 * verdict still arrives. Deduplicated per commit and due time: several events seeing the same suites queue
 * one re-check; a re-check that finds a newer silent suite queues the next one.
 */
function scheduleSilentSuiteRecheck(s: FlowServices, p: JobPayloads["ci-result"], summary: ChecksSummary): void {
  if (summary.runs.length === 0 || summary.runs.some((run) => run.status !== "completed")) return;
  const waiting = summary.suites.filter((suite) => suite.ignoredBecause === undefined && suite.status !== "completed");
  if (waiting.length === 0 || waiting.some((suite) => suite.silentUntil === undefined)) return;
  const dueAt = Math.max(...waiting.map((suite) => suite.silentUntil ?? 0));
  enqueue(
    s.db,
    { type: "ci-result", payload: { ...p } satisfies JobPayloads["ci-result"], dedupeKey: `ci-recheck:${p.owner}/${p.repo}@${p.headSha}:${dueAt}`, runAfter: dueAt },
    s.now(),
  );
}

