import type { Context, Probot } from "probot";
import { getGenerationByPr } from "../store/generations.js";
import { enqueueOnce, repoRef, usablePayload, type HandlerServices } from "./shared.js";

/** Merging is the reward, closing unmerged the penalty: either way the outcome goes to the learning job. */
export function registerPullRequestHandlers(app: Probot, services: HandlerServices): void {
  app.on("pull_request.closed", async (context: Context<"pull_request.closed">) => {
    if (!usablePayload(context)) return;
    const { payload } = context;
    const ref = repoRef(context);
    if (ref === null) return;
    const generation = await getGenerationByPr(services.kysely, `${ref.owner}/${ref.repo}`, payload.pull_request.number);
    if (generation === null) return;
    await enqueueOnce(
      services,
      context,
      "feedback",
      {
        ...ref,
        prNumber: payload.pull_request.number,
        merged: payload.pull_request.merged === true,
        mergeSha: payload.pull_request.merge_commit_sha ?? null,
      },
      `feedback:${ref.owner}/${ref.repo}#${payload.pull_request.number}`,
    );
  });
}
