import { isRequestError, requireRepo, requireText } from "./client.js";
import type { GitHubClient, RepoCoordinates } from "./client.js";

export type RepoPermission = "admin" | "maintain" | "write" | "triage" | "read" | "none";

const ROLES: readonly RepoPermission[] = ["admin", "maintain", "write", "triage", "read", "none"];

function asPermission(value: unknown): RepoPermission | undefined {
  return ROLES.find((role) => role === value);
}

/**
 * The user's role on the repository. `role_name` distinguishes maintain and triage; a custom
 * organization role has another name there, so the legacy `permission` field is the fallback.
 * A user GitHub does not know (404) has no permission.
 */
export async function getPermission(
  octokit: GitHubClient,
  input: RepoCoordinates & { username: string },
): Promise<RepoPermission> {
  requireRepo(input);
  requireText(input.username, "username");
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({
      owner: input.owner,
      repo: input.repo,
      username: input.username,
    });
    return asPermission(data.role_name) ?? asPermission(data.permission) ?? "none";
  } catch (error) {
    if (isRequestError(error, 404)) return "none";
    throw error;
  }
}

/** Only people who could push the change themselves may ask opforge to retry it. */
export function canTriggerRetry(permission: RepoPermission): boolean {
  return permission === "admin" || permission === "maintain" || permission === "write";
}
