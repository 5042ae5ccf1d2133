/**
 * Which repository paths opforge may write. Generated file lists come from model output, so every
 * path is checked here before any request is made, whatever the caller passes.
 */

export class UnsafePathError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`refusing to write ${JSON.stringify(path).replace(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u0080-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}: ${reason}`);
    this.name = "UnsafePathError";
  }
}

/** Characters that reorder displayed text (U+202E and kin): a path holding one reads differently than it is. */
export const BIDI_CONTROL = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** Why `path` is not a plain repository-relative file path, or undefined when it is one. */
export function pathProblem(path: string): string | undefined {
  if (typeof path !== "string" || path === "") return "path is empty";
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(path)) return "path contains a control character";
  if (BIDI_CONTROL.test(path)) return "path contains a bidirectional control character";
  if (path.includes("\\")) return "path contains a backslash";
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) return "path is absolute";
  const segments = path.split("/");
  if (segments.some((segment) => segment === "")) return "path has an empty segment";
  if (segments.includes("..")) return "path contains a '..' segment";
  if (segments.includes(".")) return "path contains a '.' segment";
  if (segments.some((segment) => segment.toLowerCase() === ".git")) return "path contains a '.git' segment";
  return undefined;
}

export function isUnderGithubDir(path: string): boolean {
  return path.split("/")[0]?.toLowerCase() === ".github";
}

/** Trims a trailing slash and checks that an allowed-path entry is itself a safe location. */
export function normalizeAllowedPath(entry: string): string {
  const trimmed = typeof entry === "string" ? entry.replace(/\/+$/, "") : entry;
  const problem = pathProblem(trimmed);
  if (problem !== undefined) {
    throw new Error(`allowedPaths entry ${JSON.stringify(entry)} is invalid: ${problem}`);
  }
  if (isUnderGithubDir(trimmed)) {
    throw new Error(`allowedPaths entry ${JSON.stringify(entry)} is invalid: opforge never writes under .github/`);
  }
  return trimmed;
}

function isWithin(path: string, allowed: string): boolean {
  return path === allowed || path.startsWith(`${allowed}/`);
}

/**
 * Throws an `UnsafePathError` naming the first path that is absolute, has `..`, `.`, empty segments
 * or backslashes, lies under `.github/`, or is outside every entry of `allowedPaths`.
 */
export function assertWritablePaths(paths: readonly string[], allowedPaths: readonly string[]): void {
  const allowed = allowedPaths.map(normalizeAllowedPath);
  for (const path of paths) {
    const problem = pathProblem(path);
    if (problem !== undefined) throw new UnsafePathError(path, problem);
    if (isUnderGithubDir(path)) throw new UnsafePathError(path, "path lies under .github/");
    if (!allowed.some((entry) => isWithin(path, entry))) {
      const list = allowed.length === 0 ? "none configured" : allowed.map((entry) => `${entry}/`).join(", ");
      throw new UnsafePathError(path, `path is outside the allowed paths (${list})`);
    }
  }
}
