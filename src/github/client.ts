import type { Octokit } from "@octokit/rest";

/**
 * The part of an Octokit that opforge calls. Both `@octokit/rest`'s Octokit and Probot 14's
 * `context.octokit` satisfy it; the full `Octokit` type would reject Probot's client, which lacks the
 * legacy flat methods (`octokit.issues.*`).
 */
export type GitHubClient = Pick<Octokit, "rest" | "paginate" | "request">;

/** Owner and name of a repository. */
export interface RepoCoordinates {
  owner: string;
  repo: string;
}

/** The HTTP status carried by an Octokit `RequestError` (or anything shaped like one). */
export function requestStatus(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null || !("status" in error)) return undefined;
  const status = (error as { status: unknown }).status;
  return typeof status === "number" ? status : undefined;
}

function errorText(error: unknown): string {
  if (typeof error !== "object" || error === null) return String(error);
  const message = error instanceof Error ? error.message : "";
  const response = (error as { response?: { data?: unknown } }).response;
  let data = "";
  try {
    data = response?.data === undefined ? "" : JSON.stringify(response.data);
  } catch {
    // A response body that cannot be serialized carries no text to match against.
  }
  return `${message} ${data}`.toLowerCase();
}

/**
 * True when `error` is a request error with `status` and, when given, a message or response body
 * containing `fragment` (case-insensitive). GitHub puts the reason for a 422 either in `message`
 * ("Reference already exists") or in `errors[]` ("A pull request already exists", `already_exists`).
 */
export function isRequestError(error: unknown, status: number, fragment?: string): boolean {
  if (requestStatus(error) !== status) return false;
  return fragment === undefined || errorText(error).includes(fragment.toLowerCase());
}

export function requireText(value: unknown, field: string): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new Error(`${field} must be a non-empty string`);
  }
  return value;
}

export function requirePositiveInteger(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${field} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function requireRepo(input: RepoCoordinates): void {
  requireText(input.owner, "owner");
  requireText(input.repo, "repo");
}
