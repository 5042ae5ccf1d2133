import { readFilesAtRef } from "../github/contents.js";
import { createComment } from "../github/comments.js";
import type { Job } from "../jobs/queue.js";
import type { JobContext } from "../jobs/worker.js";
import { MARKERS } from "../pipeline/markers.js";
import { getGenerationByPr, listAttempts, updateGeneration } from "../store/generations.js";
import type { JobPayloads } from "./job-types.js";
import type { FlowServices } from "./services.js";

/**
 * The end of a PR's life. Merged: the files of the last committed attempt and the files as merged go to
 * the learning layer (what a human changed is a lesson). Closed unmerged: a negative outcome.
 */
export async function runFeedbackJob(job: Job, ctx: JobContext, s: FlowServices): Promise<void> {
  const p = job.payload as JobPayloads["feedback"];
  const generation = getGenerationByPr(s.db, `${p.owner}/${p.repo}`, p.prNumber);
  if (generation === null) return;
  if (!p.merged) {
    ctx.dbStep("record-closed", (db) => {
      updateGeneration(db, generation.id, { status: "closed", finalOutcome: "closed_unmerged" }, s.now());
      s.learning.onClosedUnmerged?.({ generationId: generation.id });
    });
    return;
  }
  const lastCommitted = listAttempts(s.db, generation.id)
    .filter((a) => a.commitSha !== null)
    .at(-1);
  const generatedFiles = lastCommitted?.files ?? [];
  const octokit = await s.octokitFor(p.installationId);
  const merged = await ctx.step("read-merged", async () => {
    const files = await readFilesAtRef(octokit, {
      owner: p.owner,
      repo: p.repo,
      ref: p.mergeSha ?? generation.branch ?? "HEAD",
      paths: generatedFiles.map((f) => f.path),
    });
    return [...files.entries()];
  });
  const mergedFiles = new Map(merged);
  ctx.dbStep("record-merged", (db) => {
    updateGeneration(db, generation.id, { status: "merged", finalOutcome: "merged" }, s.now());
  });
  if (s.learning.onMerged !== undefined) {
    const lessons = await ctx.step("learn", () =>
      s.learning.onMerged?.({ generationId: generation.id, generatedFiles, mergedFiles, prNumber: p.prNumber, mergeSha: p.mergeSha }) ?? null,
    );
    if (lessons !== null && lessons !== undefined) {
      await ctx.step("lessons-comment", () =>
        createComment(octokit, {
          owner: p.owner,
          repo: p.repo,
          issueNumber: p.prNumber,
          marker: MARKERS.humanFixes,
          body: lessons,
          ...(s.botLogin === undefined ? {} : { botLogin: s.botLogin }),
        }),
      );
    }
  }
}
