import { assertValidBranchName, getBranchHeadSha } from "./branches.js";
import { isRequestError, requireRepo, requireText } from "./client.js";
import type { GitHubClient, RepoCoordinates } from "./client.js";
import { assertWritablePaths } from "./paths.js";

export interface FileToCommit {
  /** Repository-relative path, e.g. `plugins/operators/my_operator.py`. */
  path: string;
  /** UTF-8 text of the whole file. */
  content: string;
}

export interface CommitFilesInput extends RepoCoordinates {
  /** Branch a new `branch` starts from. */
  baseBranch: string;
  /** Branch that receives the commit; created from `baseBranch` when missing. */
  branch: string;
  files: readonly FileToCommit[];
  message: string;
  /** Directories (or single files) the commit may touch; everything else is refused. */
  allowedPaths: readonly string[];
}

export interface CommitFilesResult {
  /** The branch head after the call: the new commit, or the existing head when nothing changed. */
  commitSha: string;
  branch: string;
  /** False when the branch already held exactly these files, so no commit was made. */
  created: boolean;
}

function validateInput(input: CommitFilesInput): void {
  requireRepo(input);
  assertValidBranchName(input.baseBranch, "baseBranch");
  assertValidBranchName(input.branch, "branch");
  if (input.branch === input.baseBranch) {
    throw new Error(`branch ${JSON.stringify(input.branch)} must differ from baseBranch: opforge never commits to the base branch`);
  }
  requireText(input.message, "message");
  if (!Array.isArray(input.files) || input.files.length === 0) throw new Error("files must list at least one file");
  const seen = new Set<string>();
  input.files.forEach((file, index) => {
    if (typeof file?.content !== "string") throw new Error(`files[${index}].content must be a string`);
    if (seen.has(file.path)) throw new Error(`files[${index}].path ${JSON.stringify(file.path)} is listed twice`);
    seen.add(file.path);
  });
  assertWritablePaths(
    input.files.map((file) => file.path),
    input.allowedPaths,
  );
}

/**
 * Writes all `files` as one commit on `branch` through the git data API.
 *
 * Safe to re-run: on an existing branch the commit goes on top of its head, and when the head already
 * holds these exact contents (same tree SHA) no commit is made. A concurrent creation of the branch
 * (422 "Reference already exists") is handled by committing on top of the branch that won.
 */
export async function commitFiles(octokit: GitHubClient, input: CommitFilesInput): Promise<CommitFilesResult> {
  validateInput(input);
  const { owner, repo, branch } = input;
  const tree = input.files.map((file) => ({ path: file.path, mode: "100644" as const, type: "blob" as const, content: file.content }));

  const treeOnTopOf = async (parentSha: string): Promise<{ treeSha: string; unchanged: boolean }> => {
    const { data: parent } = await octokit.rest.git.getCommit({ owner, repo, commit_sha: parentSha });
    const { data: newTree } = await octokit.rest.git.createTree({ owner, repo, base_tree: parent.tree.sha, tree });
    return { treeSha: newTree.sha, unchanged: newTree.sha === parent.tree.sha };
  };

  const commitTree = async (treeSha: string, parentSha: string): Promise<string> => {
    const { data: commit } = await octokit.rest.git.createCommit({
      owner,
      repo,
      message: input.message,
      tree: treeSha,
      parents: [parentSha],
    });
    return commit.sha;
  };

  const commitOnExistingBranch = async (headSha: string): Promise<CommitFilesResult> => {
    const { treeSha, unchanged } = await treeOnTopOf(headSha);
    if (unchanged) return { commitSha: headSha, branch, created: false };
    const commitSha = await commitTree(treeSha, headSha);
    // No force: if someone pushed meanwhile GitHub answers 422 and the job retries on the new head.
    await octokit.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha: commitSha, force: false });
    return { commitSha, branch, created: true };
  };

  const existingHead = await getBranchHeadSha(octokit, { owner, repo, branch });
  if (existingHead !== null) return commitOnExistingBranch(existingHead);

  const { data: baseRef } = await octokit.rest.git.getRef({ owner, repo, ref: `heads/${input.baseBranch}` });
  // A new branch gets a commit even when the files match the base, so the branch always carries one.
  const { treeSha } = await treeOnTopOf(baseRef.object.sha);
  const commitSha = await commitTree(treeSha, baseRef.object.sha);
  try {
    await octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha: commitSha });
    return { commitSha, branch, created: true };
  } catch (error) {
    if (!isRequestError(error, 422, "Reference already exists")) throw error;
    const racedHead = await getBranchHeadSha(octokit, { owner, repo, branch });
    if (racedHead === null) throw error;
    return commitOnExistingBranch(racedHead);
  }
}
