import { redact } from "../config/redact.js";
import { assertValidBranchName } from "./branches.js";
import { isRequestError, requireRepo, requireText } from "./client.js";
import type { GitHubClient, RepoCoordinates } from "./client.js";

export interface PullRequestInput extends RepoCoordinates {
  /** Branch in the same repository that holds the changes. */
  head: string;
  /** Branch the pull request merges into. */
  base: string;
  title: string;
  body: string;
}

export interface PullRequestResult {
  number: number;
  /** The pull request's page (`html_url`). */
  url: string;
  created: boolean;
}

interface OpenPull {
  number: number;
  html_url: string;
  title: string;
  body: string | null;
}

async function findOpenPull(octokit: GitHubClient, input: PullRequestInput): Promise<OpenPull | undefined> {
  const { data } = await octokit.rest.pulls.list({
    owner: input.owner,
    repo: input.repo,
    head: `${input.owner}:${input.head}`,
    base: input.base,
    state: "open",
  });
  return data[0];
}

/**
 * Opens the pull request from `head` into `base`, or brings the open one up to date, so a re-run never
 * opens a second pull request for the same branch.
 */
export async function openOrUpdatePullRequest(octokit: GitHubClient, given: PullRequestInput): Promise<PullRequestResult> {
  requireRepo(given);
  const input = typeof given.body === "string" ? { ...given, body: redact(given.body) } : given;
  assertValidBranchName(input.head, "head");
  assertValidBranchName(input.base, "base");
  requireText(input.title, "title");
  if (typeof input.body !== "string") throw new Error("body must be a string");

  const update = async (pull: OpenPull): Promise<PullRequestResult> => {
    if (pull.title !== input.title || (pull.body ?? "") !== input.body) {
      await octokit.rest.pulls.update({
        owner: input.owner,
        repo: input.repo,
        pull_number: pull.number,
        title: input.title,
        body: input.body,
      });
    }
    return { number: pull.number, url: pull.html_url, created: false };
  };

  const existing = await findOpenPull(octokit, input);
  if (existing !== undefined) return update(existing);
  try {
    const { data } = await octokit.rest.pulls.create({
      owner: input.owner,
      repo: input.repo,
      head: input.head,
      base: input.base,
      title: input.title,
      body: input.body,
    });
    return { number: data.number, url: data.html_url, created: true };
  } catch (error) {
    // Another run opened it between our list and create.
    if (!isRequestError(error, 422, "A pull request already exists")) throw error;
    const raced = await findOpenPull(octokit, input);
    if (raced === undefined) throw error;
    return update(raced);
  }
}
