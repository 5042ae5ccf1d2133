import { defaultRepoConfig } from "../config/repo-config.js";
import { enqueue, type Job } from "../jobs/queue.js";
import type { JobContext } from "../jobs/worker.js";
import { specFingerprint, specFromIssueBody } from "../spec/index.js";
import { ACKNOWLEDGE_PRIORITY } from "./acknowledge.js";
import type { JobPayloads } from "./job-types.js";
import { loadRepoConfig } from "./repo-config.js";
import type { FlowServices } from "./services.js";

/**
 * An issue event the handler recorded: the repository's configuration decides whether it carries the
 * trigger label; an invalid spec is answered with its problems, a valid one is acknowledged and queued.
 * Reading the configuration here rather than in the handler means a GitHub outage delays the event
 * (the job is retried) instead of losing it after the webhook was already answered.
 */
export async function runIssueEventJob(job: Job, ctx: JobContext, s: FlowServices): Promise<void> {
  const p = job.payload as JobPayloads["issue-event"];
  const ref = { installationId: p.installationId, owner: p.owner, repo: p.repo };
  const issueNumber = p.issueNumber;
  const octokit = await s.octokitFor(p.installationId);
  const config = await ctx.step("read-config", () => loadRepoConfig(octokit, p.owner, p.repo));
  if (!config.ok) {
    if (p.labels.includes(defaultRepoConfig.label)) {
      await ctx.dbStep("queue-config-invalid", async () =>
        enqueue(s.db, { type: "config-invalid", payload: { ...ref, issueNumber, errors: config.errors } satisfies JobPayloads["config-invalid"] }, s.now()).job.id,
      );
    }
    return;
  }
  const { label } = config.config;
  if (!p.labels.includes(label)) return;
  if (p.action === "labeled" && p.labelName !== label) return;

  const parsed = specFromIssueBody(p.body);
  if (!parsed.ok) {
    const payload: JobPayloads["spec-invalid"] = { ...ref, issueNumber, label, errors: parsed.errors, warnings: parsed.warnings };
    await ctx.dbStep("queue-spec-invalid", async () => enqueue(s.db, { type: "spec-invalid", payload }, s.now()).job.id);
    ctx.log.info({ issue: issueNumber, errors: parsed.errors.length }, "spec invalid");
    return;
  }
  const fingerprint = specFingerprint(parsed.spec);
  // An urgent acknowledgement says "queued" on the issue at once, then queues the generation itself.
  const payload: JobPayloads["acknowledge"] = { ...ref, issueNumber, specFingerprint: fingerprint, config: config.config };
  const queued = await ctx.dbStep("queue-acknowledge", async () => {
    const r = enqueue(
      s.db,
      { type: "acknowledge", payload, dedupeKey: `ack:${p.owner}/${p.repo}#${issueNumber}:${fingerprint}`, priority: ACKNOWLEDGE_PRIORITY },
      s.now(),
    );
    return { jobId: r.job.id, created: r.created };
  });
  ctx.log.info({ issue: issueNumber, jobId: queued.jobId, created: queued.created }, "generation queued");
}
