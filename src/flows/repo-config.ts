import { parseRepoConfig, type RepoConfigResult } from "../config/repo-config.js";
import type { GitHubClient } from "../github/client.js";

export const CONFIG_PATH = ".github/opforge.yml";

function hasHttpStatus(error: unknown): boolean {
  return typeof error === "object" && error !== null && typeof (error as { status?: unknown }).status === "number";
}

interface ConfigPlugin {
  config: {
    get(params: { owner: string; repo: string; path: string; branch?: string }): Promise<{ config: unknown; files: { config: unknown }[] }>;
  };
}

/** A problem the config loader found in a file, named with the key it concerns where there is one. */
function describeLoadError(error: Error): string {
  const message = error.message.replace(/^\[@probot\/octokit-plugin-config\]\s*/, "");
  if (/ for _extends in /.test(message)) return `${CONFIG_PATH}: _extends: ${message}`;
  if (/invalid YAML|YAML is not an object/.test(message)) {
    const cause = error.cause instanceof Error ? error.cause.message : message;
    return `${CONFIG_PATH}: not valid YAML: ${cause}`;
  }
  return `${CONFIG_PATH}: ${message}`;
}

/**
 * The one reader of `.github/opforge.yml`, for every flow, with the semantics of Probot's `context.config`:
 * the repository's file (on `branch`, the default branch when omitted), else the owner's `.github`
 * repository's file; `_extends: other-repo` or `owner/repo` (optionally `:path.yml`) is merged under the file
 * that names it; the result is parsed with the configuration schema, so each error names its key. A file
 * that cannot be read as configuration is an error to show the user; a failed request is thrown, so the job
 * is retried.
 */
export async function loadRepoConfig(octokit: GitHubClient, owner: string, repo: string, branch?: string): Promise<RepoConfigResult> {
  let raw: unknown;
  try {
    const { config, files } = await (octokit as unknown as ConfigPlugin).config.get({
      owner,
      repo,
      path: CONFIG_PATH,
      ...(branch === undefined ? {} : { branch }),
    });
    raw = files.some((file) => file.config !== null) ? config : null;
  } catch (error) {
    if (hasHttpStatus(error) || !(error instanceof Error)) throw error;
    return { ok: false, errors: [describeLoadError(error)] };
  }
  return parseRepoConfig(raw);
}
