import type { GitHubClient } from "../github/client.js";
import { canTriggerRetry, getPermission } from "../github/permissions.js";
import { enqueue, type Job } from "../jobs/queue.js";
import type { JobContext } from "../jobs/worker.js";
import type { JobPayloads } from "./job-types.js";
import type { FlowServices } from "./services.js";

/** First look ten minutes after the comment, then hourly for two weeks: reactions have no webhook. */
export const LESSONS_FIRST_LOOK_MS = 10 * 60_000;
export const LESSONS_LOOK_EVERY_MS = 60 * 60_000;
export const LESSONS_MAX_LOOKS = 14 * 24;

interface Reaction {
  content: string;
  user: { login: string; type?: string } | null;
}

async function listReactions(octokit: GitHubClient, p: JobPayloads["lessons-verdict"]): Promise<Reaction[]> {
  return (await octokit.paginate(octokit.rest.reactions.listForIssueComment, {
    owner: p.owner,
    repo: p.repo,
    comment_id: p.commentId,
    per_page: 100,
  })) as Reaction[];
}

/**
 * A maintainer's 👍 on the lessons comment trusts its rules at once, a 👎 discards them. Reactions by people
 * without write access, and by bots, do not count; the first maintainer's reaction decides.
 */
export async function runLessonsVerdictJob(job: Job, ctx: JobContext, s: FlowServices): Promise<void> {
  const p = job.payload as JobPayloads["lessons-verdict"];
  const octokit = await s.octokitFor(p.installationId);
  let reactions: Reaction[];
  try {
    reactions = await listReactions(octokit, p);
  } catch (error) {
    // The comment was deleted: nobody can react any more.
    if ((error as { status?: number }).status === 404) return;
    throw error;
  }
  for (const reaction of reactions) {
    if (reaction.content !== "+1" && reaction.content !== "-1") continue;
    const user = reaction.user;
    if (user === null || user.type === "Bot" || user.login.endsWith("[bot]")) continue;
    const permission = await getPermission(octokit, { owner: p.owner, repo: p.repo, username: user.login });
    if (!canTriggerRetry(permission)) continue;
    const verdict = reaction.content === "+1" ? "trust" : "discard";
    // The trust is the installation's own: its rules alone are touched, and apply nowhere else.
    await ctx.dbStep("verdict", (trx) => s.learning.onLessonsVerdict(p.installationId, p.ruleIds, verdict, trx));
    ctx.log.info({ pr: p.prNumber, rules: p.ruleIds, verdict, by: user.login }, "lessons judged by a maintainer");
    return;
  }
  if (p.check >= LESSONS_MAX_LOOKS) return;
  await ctx.dbStep("look-again", async () =>
    enqueue(
      s.db,
      {
        type: "lessons-verdict",
        payload: { ...p, check: p.check + 1 } satisfies JobPayloads["lessons-verdict"],
        dedupeKey: `lessons:${p.owner}/${p.repo}#${p.prNumber}:${p.check + 1}`,
        runAfter: s.now() + LESSONS_LOOK_EVERY_MS,
      },
      s.now(),
    ).job.id,
  );
}
