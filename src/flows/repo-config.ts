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

function hasHttpStatus(error: unknown): boolean {
  return typeof error === "object" && error !== null && typeof (error as { status?: unknown }).status === "number";
}

interface ConfigPlugin {
  config: {
    get(params: { owner: string; repo: string; path: string }): Promise<{ config: unknown; files: { config: unknown }[] }>;
  };
}

/**
 * `.github/opforge.yml` as Probot's `context.config` reads it (the repository's default branch, then the
 * owner's `.github` repository, `_extends` honoured), from a job. A file that cannot be parsed is a
 * configuration error to show the user; a failed request is thrown, so the job is retried.
 */
export async function loadRepoConfigAsProbot(octokit: GitHubClient, owner: string, repo: string): Promise<RepoConfigResult> {
  let raw: unknown;
  try {
    const { config, files } = await (octokit as unknown as ConfigPlugin).config.get({ owner, repo, path: CONFIG_PATH });
    raw = files.some((file) => file.config !== null) ? config : null;
  } catch (error) {
    if (hasHttpStatus(error) || !(error instanceof Error)) throw error;
    const cause = error.cause instanceof Error ? error.cause.message : error.message;
    return { ok: false, errors: [`${CONFIG_PATH}: not valid YAML: ${cause}`] };
  }
  return parseRepoConfig(raw);
}
