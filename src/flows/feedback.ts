import { readFilesAtRef } from "../github/contents.js";
import { createComment } from "../github/comments.js";
import { enqueue, type Job } from "../jobs/queue.js";
import type { JobContext } from "../jobs/worker.js";
import { attemptRecordOf, signatureIdsOf } from "../learn/loop.js";
import { MARKERS } from "../pipeline/markers.js";
import { getGenerationByPr, listAttempts, updateGeneration } from "../store/generations.js";
import type { JobPayloads } from "./job-types.js";
import { LESSONS_FIRST_LOOK_MS } from "./lessons-verdict.js";
import type { FlowServices } from "./services.js";

/**
 * The end of a PR's life. Merged: the files of the last committed attempt and the files as merged go to
 * the learning layer (patterns reinforced, human edits turned into rewrite rules), and the lessons are said
 * on the PR. Closed unmerged: a negative outcome for the patterns its prompts used.
 */
export async function runFeedbackJob(job: Job, ctx: JobContext, s: FlowServices): Promise<void> {
  const p = job.payload as JobPayloads["feedback"];
  const generation = await getGenerationByPr(s.kysely, `${p.owner}/${p.repo}`, p.prNumber);
  if (generation === null) return;
  const attempts = await listAttempts(s.kysely, generation.id);
  if (!p.merged) {
    await ctx.dbStep("record-closed", async (db) => {
      await updateGeneration(db, generation.id, { status: "closed", finalOutcome: "closed_unmerged" }, s.now());
      await s.learning.onClosedUnmerged(generation.installationId, attempts.map(attemptRecordOf), db);
    });
    return;
  }
  const lastCommitted = attempts.filter((a) => a.commitSha !== null).at(-1);
  const generatedFiles = lastCommitted?.files ?? [];
  const octokit = await s.octokitFor(p.installationId);
  const mergeRef = p.mergeSha ?? generation.branch ?? "HEAD";
  const merged = await ctx.step("read-merged", async () => {
    const files = await readFilesAtRef(octokit, { owner: p.owner, repo: p.repo, ref: mergeRef, paths: generatedFiles.map((f) => f.path) });
    return [...files.entries()];
  });
  const mergedFiles = new Map(merged);
  await ctx.dbStep("record-merged", async (db) => {
    await updateGeneration(db, generation.id, { status: "merged", finalOutcome: "merged" }, s.now());
  });
  // Worked out first, then written in the same transaction that records the step: a crash on either side
  // of the write leaves the merge counted exactly once (a rerun finds the step and writes nothing).
  const study = await s.learning.studyMerge({
    generationId: generation.id,
    spec: generation.spec,
    installationId: generation.installationId,
    repo: generation.repo,
    prNumber: p.prNumber,
    mergeSha: mergeRef,
    generatedFiles,
    mergedFiles,
    attempts: attempts.map(attemptRecordOf),
    signatureIds: signatureIdsOf(attempts),
  });
  const lesson = await ctx.dbStep("learn", (trx) => s.learning.recordMerge(study, trx));
  if (lesson.comment === null) return;
  const comment = await ctx.step("lessons-comment", () =>
    createComment(octokit, {
      owner: p.owner,
      repo: p.repo,
      issueNumber: p.prNumber,
      marker: MARKERS.humanFixes,
      body: lesson.comment ?? "",
      ...(s.botLogin === undefined ? {} : { botLogin: s.botLogin }),
    }),
  );
  if (lesson.ruleIds.length === 0) return;
  await ctx.dbStep("watch-reactions", async () =>
    enqueue(
      s.db,
      {
        type: "lessons-verdict",
        payload: { installationId: p.installationId, owner: p.owner, repo: p.repo, prNumber: p.prNumber, commentId: comment.id, ruleIds: lesson.ruleIds, check: 1 } satisfies JobPayloads["lessons-verdict"],
        dedupeKey: `lessons:${p.owner}/${p.repo}#${p.prNumber}:1`,
        runAfter: s.now() + (s.lessonsCheckMs ?? LESSONS_FIRST_LOOK_MS),
      },
      s.now(),
    ).job.id,
  );
}
