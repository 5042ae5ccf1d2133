import type { Context, Probot } from "probot";
import { defaultRepoConfig } from "../config/repo-config.js";
import { specFingerprint, specFromIssueBody } from "../spec/index.js";
import { ACKNOWLEDGE_PRIORITY } from "../flows/acknowledge.js";
import { enqueueOnce, isBot, loadRepoConfig, repoRef, usablePayload, type HandlerServices } from "./shared.js";

type IssueContext = Context<"issues.opened" | "issues.labeled" | "issues.edited">;

/**
 * An issue that carries the trigger label is read as a spec: an invalid one is answered with its problems,
 * a valid one becomes a generation job. Editing the body re-runs; the same spec never queues twice.
 */
export function registerIssueHandlers(app: Probot, services: HandlerServices): void {
  app.on(["issues.opened", "issues.labeled", "issues.edited"], async (context: IssueContext) => {
    if (!usablePayload(context)) return;
    const { payload } = context;
    const ref = repoRef(context);
    if (ref === null || isBot(payload.sender)) return;
    if ("pull_request" in payload.issue && payload.issue.pull_request !== undefined) return;
    // A title-only edit or another label changes nothing about the spec.
    if (payload.action === "edited" && payload.changes.body === undefined) return;
    const labels = (payload.issue.labels ?? []).map((l) => l.name);
    // An unlabeled issue cannot carry the trigger label, whatever the configuration names it.
    if (labels.length === 0) return;

    const config = await loadRepoConfig(context);
    const issueNumber = payload.issue.number;
    if (!config.ok) {
      if (labels.includes(defaultRepoConfig.label)) {
        enqueueOnce(services, context, "config-invalid", { ...ref, issueNumber, errors: config.errors });
      }
      return;
    }
    const { label } = config.config;
    if (!labels.includes(label)) return;
    if (payload.action === "labeled" && payload.label?.name !== label) return;

    const parsed = specFromIssueBody(payload.issue.body ?? "");
    if (!parsed.ok) {
      enqueueOnce(services, context, "spec-invalid", { ...ref, issueNumber, label, errors: parsed.errors, warnings: parsed.warnings });
      context.log.info({ issue: issueNumber, errors: parsed.errors.length }, "spec invalid");
      return;
    }
    const fingerprint = specFingerprint(parsed.spec);
    // An urgent acknowledgement says "queued" on the issue at once, then queues the generation itself.
    const queued = enqueueOnce(
      services,
      context,
      "acknowledge",
      { ...ref, issueNumber, specFingerprint: fingerprint, config: config.config },
      `ack:${ref.owner}/${ref.repo}#${issueNumber}:${fingerprint}`,
      ACKNOWLEDGE_PRIORITY,
    );
    context.log.info({ issue: issueNumber, jobId: queued?.jobId, created: queued?.created ?? false, redelivery: queued === null }, "generation queued");
  });
}
