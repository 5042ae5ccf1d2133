import { isRequestError, requireRepo, requireText } from "./client.js";
import type { GitHubClient, RepoCoordinates } from "./client.js";
import { pathProblem } from "./paths.js";

export interface ReadFilesInput extends RepoCoordinates {
  /** Commit SHA, branch or tag to read at (e.g. a pull request's merge commit). */
  ref: string;
  paths: readonly string[];
}

function decodeBase64(content: string): string {
  return Buffer.from(content, "base64").toString("utf8");
}

async function readOne(octokit: GitHubClient, input: ReadFilesInput, path: string): Promise<string | null> {
  let data;
  try {
    ({ data } = await octokit.rest.repos.getContent({ owner: input.owner, repo: input.repo, path, ref: input.ref }));
  } catch (error) {
    if (isRequestError(error, 404)) return null;
    throw error;
  }
  if (Array.isArray(data)) throw new Error(`${JSON.stringify(path)} at ${input.ref} is a directory, not a file`);
  if (data.type !== "file") throw new Error(`${JSON.stringify(path)} at ${input.ref} is a ${data.type}, not a file`);
  if ("encoding" in data && data.encoding === "base64") return decodeBase64(data.content);
  // Files of 1-100 MB come back with encoding "none" and no content; the blob API still serves them.
  const { data: blob } = await octokit.rest.git.getBlob({ owner: input.owner, repo: input.repo, file_sha: data.sha });
  if (blob.encoding !== "base64") throw new Error(`blob of ${JSON.stringify(path)} has unexpected encoding ${blob.encoding}`);
  return decodeBase64(blob.content);
}

/**
 * Text of each path at `ref` (UTF-8), or null for a path that does not exist there. Reads one file
 * at a time: the lists are short and parallel bursts invite secondary rate limits.
 */
export async function readFilesAtRef(octokit: GitHubClient, input: ReadFilesInput): Promise<Map<string, string | null>> {
  requireRepo(input);
  requireText(input.ref, "ref");
  if (!Array.isArray(input.paths)) throw new Error("paths must be an array");
  input.paths.forEach((path, index) => {
    const problem = pathProblem(path);
    if (problem !== undefined) throw new Error(`paths[${index}] ${JSON.stringify(path)} is invalid: ${problem}`);
  });
  const files = new Map<string, string | null>();
  for (const path of input.paths) {
    if (!files.has(path)) files.set(path, await readOne(octokit, input, path));
  }
  return files;
}
