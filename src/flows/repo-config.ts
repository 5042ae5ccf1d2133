import { parse as parseYaml } from "yaml";
import { parseRepoConfig, type RepoConfigResult } from "../config/repo-config.js";
import type { GitHubClient } from "../github/client.js";
import { readFilesAtRef } from "../github/contents.js";

export const CONFIG_PATH = ".github/opforge.yml";

/** The repository's configuration as the worker reads it (no webhook context there): default branch, then defaults. */
export async function loadRepoConfigFromApi(
  octokit: GitHubClient,
  owner: string,
  repo: string,
  ref: string,
): Promise<RepoConfigResult> {
  const files = await readFilesAtRef(octokit, { owner, repo, ref, paths: [CONFIG_PATH] });
  const text = files.get(CONFIG_PATH);
  if (text === null || text === undefined) return parseRepoConfig({});
  let raw: unknown;
  try {
    raw = parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    return { ok: false, errors: [`${CONFIG_PATH}: not valid YAML: ${error instanceof Error ? error.message : String(error)}`] };
  }
  return parseRepoConfig(raw);
}
