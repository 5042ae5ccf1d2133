import type { Context, Probot } from "probot";
import { ACKNOWLEDGE_PRIORITY } from "../flows/acknowledge.js";
import { enqueueOnce, isBot, repoRef, usablePayload, type HandlerServices } from "./shared.js";

type IssueContext = Context<"issues.opened" | "issues.labeled" | "issues.edited">;

/**
 * An issue that carries a label may be a spec. The handler makes no GitHub request: it records the delivery
 * and queues an `issue-event` job in one transaction, and that job reads the repository configuration (the
 * trigger label), then answers an invalid spec with its problems or queues a generation for a valid one.
 * Editing the body re-runs; the same spec never queues twice.
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

    const queued = await enqueueOnce(
      services,
      context,
      "issue-event",
      {
        ...ref,
        issueNumber: payload.issue.number,
        action: payload.action,
        ...(payload.action === "labeled" && payload.label?.name !== undefined ? { labelName: payload.label.name } : {}),
        labels,
        body: payload.issue.body ?? "",
      },
      undefined,
      ACKNOWLEDGE_PRIORITY,
    );
    context.log.info({ issue: payload.issue.number, jobId: queued?.jobId, redelivery: queued === null }, "issue event queued");
  });
}
