import type { Context, Probot } from "probot";
import { getGenerationByPr } from "../store/generations.js";
import { enqueueOnce, isBot, repoRef, usablePayload, type HandlerServices } from "./shared.js";

const RETRY_COMMAND = /^\/retry(?:[ \t]+([\s\S]*))?$/;

/** `/retry [guidance]` on its own first line; guidance may continue on the lines below. */
export function parseRetryCommand(body: string): { guidance?: string } | null {
  const trimmed = body.trim();
  const match = RETRY_COMMAND.exec(trimmed.split("\n")[0]?.trim() ?? "");
  if (match === null) return null;
  const rest = [match[1] ?? "", ...trimmed.split("\n").slice(1)].join("\n").trim();
  return rest === "" ? {} : { guidance: rest.slice(0, 4_000) };
}

export function registerCommentHandlers(app: Probot, services: HandlerServices): void {
  app.on("issue_comment.created", async (context: Context<"issue_comment.created">) => {
    if (!usablePayload(context)) return;
    const { payload } = context;
    const ref = repoRef(context);
    if (ref === null || payload.issue.pull_request === undefined) return;
    if (isBot(payload.comment.user) || isBot(payload.sender)) return;
    const command = parseRetryCommand(payload.comment.body);
    if (command === null) return;
    const generation = await getGenerationByPr(services.kysely, `${ref.owner}/${ref.repo}`, payload.issue.number);
    if (generation === null) return;
    await enqueueOnce(
      services,
      context,
      "retry",
      {
        ...ref,
        prNumber: payload.issue.number,
        trigger: "manual_retry",
        commentId: payload.comment.id,
        requestedBy: payload.comment.user?.login ?? payload.sender.login,
        ...(command.guidance === undefined ? {} : { guidance: command.guidance }),
      },
      `retry-comment:${payload.comment.id}`,
    );
  });
}
