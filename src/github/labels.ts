import { isRequestError, requirePositiveInteger, requireRepo, requireText } from "./client.js";
import type { GitHubClient, RepoCoordinates } from "./client.js";
import type { IssueCoordinates } from "./comments.js";

/** Adds labels to an issue or pull request (existing ones stay); returns every label name it now has. */
export async function addLabels(octokit: GitHubClient, input: IssueCoordinates & { labels: readonly string[] }): Promise<string[]> {
  requireRepo(input);
  requirePositiveInteger(input.issueNumber, "issueNumber");
  if (!Array.isArray(input.labels) || input.labels.length === 0) throw new Error("labels must list at least one label");
  input.labels.forEach((label, index) => requireText(label, `labels[${index}]`));
  const { data } = await octokit.rest.issues.addLabels({
    owner: input.owner,
    repo: input.repo,
    issue_number: input.issueNumber,
    labels: [...input.labels],
  });
  return data.map((label) => label.name);
}

/** Removes a label; a label that is not on the issue (404) is not an error. */
export async function removeLabel(octokit: GitHubClient, input: IssueCoordinates & { name: string }): Promise<{ removed: boolean }> {
  requireRepo(input);
  requirePositiveInteger(input.issueNumber, "issueNumber");
  requireText(input.name, "name");
  try {
    await octokit.rest.issues.removeLabel({
      owner: input.owner,
      repo: input.repo,
      issue_number: input.issueNumber,
      name: input.name,
    });
    return { removed: true };
  } catch (error) {
    if (isRequestError(error, 404)) return { removed: false };
    throw error;
  }
}

export interface EnsureLabelInput extends RepoCoordinates {
  name: string;
  /** Six hex digits, with or without a leading `#`. */
  color: string;
  description: string;
}

/** Creates the repository label unless it exists already (an existing label is left as it is). */
export async function ensureLabel(octokit: GitHubClient, input: EnsureLabelInput): Promise<{ created: boolean }> {
  requireRepo(input);
  requireText(input.name, "name");
  if (input.name.length > 50) throw new Error(`name ${JSON.stringify(input.name)} is longer than GitHub's 50 characters`);
  if (typeof input.color !== "string" || !/^#?[0-9a-fA-F]{6}$/.test(input.color)) {
    throw new Error(`color ${JSON.stringify(input.color)} must be six hex digits, e.g. "0e8a16"`);
  }
  if (typeof input.description !== "string" || input.description.length > 100) {
    throw new Error("description must be a string of at most 100 characters");
  }
  try {
    await octokit.rest.issues.createLabel({
      owner: input.owner,
      repo: input.repo,
      name: input.name,
      color: input.color.replace(/^#/, "").toLowerCase(),
      description: input.description,
    });
    return { created: true };
  } catch (error) {
    if (isRequestError(error, 422, "already_exists")) return { created: false };
    throw error;
  }
}
