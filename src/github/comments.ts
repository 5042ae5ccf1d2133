import { redact } from "../config/redact.js";
import { isRequestError, requirePositiveInteger, requireRepo } from "./client.js";
import type { GitHubClient, RepoCoordinates } from "./client.js";

/** Marker names go inside an HTML comment, so they are kept to characters that cannot close it. */
const MARKER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;

/** The hidden tag that identifies an opforge comment: `<!-- opforge:<marker> -->`. */
export function commentMarker(marker: string): string {
  if (typeof marker !== "string" || !MARKER_NAME.test(marker)) {
    throw new Error(`marker ${JSON.stringify(marker)} must be 1-100 characters of [A-Za-z0-9_.:-], starting with a letter or digit`);
  }
  return `<!-- opforge:${marker} -->`;
}

/** `body` with the marker on its first line (unchanged when it already carries the marker). */
export function withMarker(marker: string, body: string): string {
  const tag = commentMarker(marker);
  if (typeof body !== "string") throw new Error("body must be a string");
  return body.includes(tag) ? body : `${tag}\n${body}`;
}

export interface IssueCoordinates extends RepoCoordinates {
  /** Issue or pull request number (pull request conversations use the issues API). */
  issueNumber: number;
}

export interface FindMarkedCommentInput extends IssueCoordinates {
  marker: string;
  /**
   * Login of the app's bot user (`<slug>[bot]`). When absent, any bot-authored comment may match;
   * comments by people are never matched, so a pasted marker cannot make opforge edit a user's words.
   */
  botLogin?: string;
}

export interface MarkedComment {
  id: number;
  body: string;
}

/** The first comment on the issue carrying the marker, searching every page of comments. */
export async function findMarkedComment(octokit: GitHubClient, input: FindMarkedCommentInput): Promise<MarkedComment | null> {
  requireRepo(input);
  requirePositiveInteger(input.issueNumber, "issueNumber");
  const tag = commentMarker(input.marker);
  const pages = octokit.paginate.iterator(octokit.rest.issues.listComments, {
    owner: input.owner,
    repo: input.repo,
    issue_number: input.issueNumber,
    per_page: 100,
  });
  for await (const page of pages) {
    for (const comment of page.data) {
      const byUs = input.botLogin === undefined ? comment.user?.type === "Bot" : comment.user?.login === input.botLogin;
      if (byUs && comment.body?.includes(tag)) return { id: comment.id, body: comment.body };
    }
  }
  return null;
}

export interface UpsertCommentInput extends FindMarkedCommentInput {
  /** The comment to edit when it is known (e.g. stored after the first post). */
  commentId?: number;
  body: string;
}

export interface CommentResult {
  id: number;
  created: boolean;
}

/**
 * Keeps one comment per marker on the issue: edits `commentId` when given, else the comment carrying
 * the marker, else posts a new one. A status comment is thus edited in place, never duplicated by a re-run.
 */
export async function upsertComment(octokit: GitHubClient, input: UpsertCommentInput): Promise<CommentResult> {
  requireRepo(input);
  requirePositiveInteger(input.issueNumber, "issueNumber");
  const body = withMarker(input.marker, redact(input.body));
  const { owner, repo } = input;

  if (input.commentId !== undefined) {
    requirePositiveInteger(input.commentId, "commentId");
    try {
      await octokit.rest.issues.updateComment({ owner, repo, comment_id: input.commentId, body });
      return { id: input.commentId, created: false };
    } catch (error) {
      // Someone deleted the stored comment: fall back to the marker search, then to a new comment.
      if (!isRequestError(error, 404)) throw error;
    }
  }

  const existing = await findMarkedComment(octokit, input);
  if (existing !== null) {
    if (existing.body !== body) await octokit.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body });
    return { id: existing.id, created: false };
  }
  const { data } = await octokit.rest.issues.createComment({ owner, repo, issue_number: input.issueNumber, body });
  return { id: data.id, created: true };
}

export interface CreateCommentInput extends FindMarkedCommentInput {
  body: string;
}

/**
 * Posts a one-off comment carrying the marker, unless a comment with that marker is already there
 * (then that one is returned untouched), so a re-run does not post it twice.
 */
export async function createComment(octokit: GitHubClient, input: CreateCommentInput): Promise<CommentResult> {
  const body = withMarker(input.marker, input.body);
  const existing = await findMarkedComment(octokit, input);
  if (existing !== null) return { id: existing.id, created: false };
  const { data } = await octokit.rest.issues.createComment({
    owner: input.owner,
    repo: input.repo,
    issue_number: input.issueNumber,
    body,
  });
  return { id: data.id, created: true };
}

export type ReactionContent = "+1" | "eyes" | "rocket" | "confused";

/** Reacts to an issue comment; GitHub answers 200 with the existing reaction on a repeat. */
export async function addReaction(
  octokit: GitHubClient,
  input: RepoCoordinates & { commentId: number; content: ReactionContent },
): Promise<{ id: number }> {
  requireRepo(input);
  requirePositiveInteger(input.commentId, "commentId");
  if (!["+1", "eyes", "rocket", "confused"].includes(input.content)) {
    throw new Error(`content ${JSON.stringify(input.content)} must be one of +1, eyes, rocket, confused`);
  }
  const { data } = await octokit.rest.reactions.createForIssueComment({
    owner: input.owner,
    repo: input.repo,
    comment_id: input.commentId,
    content: input.content,
  });
  return { id: data.id };
}
