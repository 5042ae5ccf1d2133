import { upsertComment } from "../github/comments.js";
import { addLabels, ensureLabel } from "../github/labels.js";
import type { Job } from "../jobs/queue.js";
import type { JobContext } from "../jobs/worker.js";
import { MARKERS } from "../pipeline/markers.js";
import { renderConfigErrors, renderSpecFindings } from "../pipeline/render.js";
import type { JobPayloads } from "./job-types.js";
import type { FlowServices } from "./services.js";

export const SPEC_INVALID_LABEL = "opforge:spec-invalid";

/** One comment listing every problem (edited in place on each new try) and the `opforge:spec-invalid` label. */
export async function runSpecInvalidJob(job: Job, ctx: JobContext, s: FlowServices): Promise<void> {
  const p = job.payload as JobPayloads["spec-invalid"];
  const octokit = await s.octokitFor(p.installationId);
  const coords = { owner: p.owner, repo: p.repo };
  await ctx.step("comment", () =>
    upsertComment(octokit, {
      ...coords,
      issueNumber: p.issueNumber,
      marker: MARKERS.specFindings,
      body: renderSpecFindings(p.errors, p.warnings, p.label),
      ...(s.botLogin === undefined ? {} : { botLogin: s.botLogin }),
    }),
  );
  await ctx.step("ensure-label", () =>
    ensureLabel(octokit, { ...coords, name: SPEC_INVALID_LABEL, color: "d93f0b", description: "opforge cannot read the component spec in this issue" }),
  );
  await ctx.step("label", () => addLabels(octokit, { ...coords, issueNumber: p.issueNumber, labels: [SPEC_INVALID_LABEL] }));
}

export async function runConfigInvalidJob(job: Job, ctx: JobContext, s: FlowServices): Promise<void> {
  const p = job.payload as JobPayloads["config-invalid"];
  const octokit = await s.octokitFor(p.installationId);
  await ctx.step("comment", () =>
    upsertComment(octokit, {
      owner: p.owner,
      repo: p.repo,
      issueNumber: p.issueNumber,
      marker: MARKERS.specFindings,
      body: renderConfigErrors(p.errors),
      ...(s.botLogin === undefined ? {} : { botLogin: s.botLogin }),
    }),
  );
}
