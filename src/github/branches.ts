import { isRequestError, requirePositiveInteger, requireRepo, requireText } from "./client.js";
import type { GitHubClient, RepoCoordinates } from "./client.js";

export const DEFAULT_BRANCH_PREFIX = "opforge/";
/** Upper bound for the name part, so branch names stay readable in the GitHub UI. */
export const MAX_BRANCH_NAME_PART = 60;

/** `opforge/<issue-number>-<name>`, with the name reduced to lowercase `[a-z0-9_-]`. */
export function branchName(issueNumber: number, snakeName: string): string {
  requirePositiveInteger(issueNumber, "issueNumber");
  const part = String(snakeName ?? "")
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .slice(0, MAX_BRANCH_NAME_PART)
    .replace(/^[-_]+|[-_]+$/g, "");
  if (part === "") {
    throw new Error(`snakeName ${JSON.stringify(snakeName)} has no letters or digits to build a branch name from`);
  }
  return `${DEFAULT_BRANCH_PREFIX}${issueNumber}-${part}`;
}

/** True for branches opforge owns; accepts a bare branch name or a full `refs/heads/...` ref. */
export function isOpforgeBranch(name: string, prefix: string = DEFAULT_BRANCH_PREFIX): boolean {
  if (typeof name !== "string" || prefix === "") return false;
  const bare = name.startsWith("refs/heads/") ? name.slice("refs/heads/".length) : name;
  return bare.startsWith(prefix) && bare.length > prefix.length;
}

/** Throws unless `name` is a branch name git accepts (the rules of `git check-ref-format --branch`). */
export function assertValidBranchName(name: string, field = "branch"): void {
  requireText(name, field);
  const problems: [boolean, string][] = [
    // eslint-disable-next-line no-control-regex
    [/[\u0000-\u0020\u007f~^:?*[\\]/.test(name), "contains a space, control character or one of ~^:?*[\\"],
    [name.includes(".."), "contains '..'"],
    [name.includes("@{") || name === "@", "contains '@{' or is '@'"],
    [name.startsWith("-"), "starts with '-'"],
    [name.startsWith("/") || name.endsWith("/") || name.includes("//"), "has an empty path component"],
    [name.endsWith(".") || name.endsWith(".lock"), "ends with '.' or '.lock'"],
    [name.split("/").some((part) => part.startsWith(".") || part.endsWith(".lock")), "has a component starting with '.' or ending with '.lock'"],
    [name.startsWith("refs/"), "must be a bare branch name, not a ref starting with 'refs/'"],
  ];
  const problem = problems.find(([failed]) => failed);
  if (problem !== undefined) throw new Error(`${field} ${JSON.stringify(name)} is not a valid branch name: ${problem[1]}`);
}

/** The commit SHA a branch points at, or null when the branch does not exist. */
export async function getBranchHeadSha(
  octokit: GitHubClient,
  input: RepoCoordinates & { branch: string },
): Promise<string | null> {
  requireRepo(input);
  assertValidBranchName(input.branch);
  try {
    const { data } = await octokit.rest.git.getRef({ owner: input.owner, repo: input.repo, ref: `heads/${input.branch}` });
    return data.object.sha;
  } catch (error) {
    if (isRequestError(error, 404)) return null;
    throw error;
  }
}
