import { upsertComment } from "../github/comments.js";
import { enqueue, findActiveJob, type Job } from "../jobs/queue.js";
import type { JobContext } from "../jobs/worker.js";
import { MARKERS } from "../pipeline/markers.js";
import { renderStatusComment } from "../pipeline/render.js";
import type { JobPayloads } from "./job-types.js";
import type { FlowServices } from "./services.js";

/** Leased before any due generation, so the issue hears back within seconds however long the queue is. */
export const ACKNOWLEDGE_PRIORITY = 10;

export function generateKey(p: JobPayloads["acknowledge"]): string {
  return `generate:${p.owner}/${p.repo}#${p.issueNumber}:${p.specFingerprint}`;
}

/**
 * A valid spec was seen: the status comment says "queued", then the generation is queued. The comment comes
 * first so the generation's own status updates edit it rather than race it. When a generation of this very
 * spec is already waiting or running, there is nothing to say and nothing to queue.
 */
export async function runAcknowledgeJob(job: Job, ctx: JobContext, s: FlowServices): Promise<void> {
  const p = job.payload as JobPayloads["acknowledge"];
  if (findActiveJob(s.db, generateKey(p)) !== null) return;
  const octokit = await s.octokitFor(p.installationId);
  await ctx.step("status-queued", () =>
    upsertComment(octokit, {
      owner: p.owner,
      repo: p.repo,
      issueNumber: p.issueNumber,
      marker: MARKERS.status,
      body: renderStatusComment({ state: "queued" }),
      ...(s.botLogin === undefined ? {} : { botLogin: s.botLogin }),
    }),
  );
  await ctx.dbStep("queue-generation", async () =>
    enqueue(s.db, { type: "generate", payload: p satisfies JobPayloads["generate"], dedupeKey: generateKey(p) }, s.now()).job.id,
  );
}
