import type { Context, Probot } from "probot";
import { getGenerationByHeadSha } from "../store/generations.js";
import { enqueueOnce, repoRef, usablePayload, type HandlerServices } from "./shared.js";

export const OWN_CHECK_NAME = "opforge/validate";

type CheckContext = Context<"check_suite.completed" | "check_run.completed" | "workflow_run.completed">;

interface CheckEventFacts {
  headSha: string;
  /** Distinguishes the suites and runs of one commit, so each completion gets its own look. */
  eventKey: string;
  ownCheck: boolean;
}

function facts(context: CheckContext): CheckEventFacts {
  const payload = context.payload;
  if ("check_run" in payload) {
    return {
      headSha: payload.check_run.head_sha,
      eventKey: `run-${payload.check_run.id}`,
      ownCheck: payload.check_run.name === OWN_CHECK_NAME,
    };
  }
  if ("check_suite" in payload) {
    return { headSha: payload.check_suite.head_sha, eventKey: `suite-${payload.check_suite.id}`, ownCheck: false };
  }
  return { headSha: payload.workflow_run.head_sha, eventKey: `workflow-${payload.workflow_run.id}`, ownCheck: false };
}

/**
 * CI results are the ground truth. Commits that are not opforge's are dropped with one indexed lookup;
 * for opforge's head commits the verdict is worked out in a job once every check suite has completed.
 */
export function registerCheckHandlers(app: Probot, services: HandlerServices): void {
  app.on(["check_suite.completed", "check_run.completed", "workflow_run.completed"], async (context: CheckContext) => {
    if (!usablePayload(context)) return;
    const ref = repoRef(context);
    if (ref === null) return;
    const { headSha, eventKey, ownCheck } = facts(context);
    if (ownCheck) return;
    const generation = await getGenerationByHeadSha(services.kysely, `${ref.owner}/${ref.repo}`, headSha);
    if (generation === null) return;
    await enqueueOnce(services, context, "ci-result", { ...ref, headSha }, `ci:${ref.owner}/${ref.repo}@${headSha}:${eventKey}`);
  });
}
