/**
 * Whose learned knowledge a read may see and where a learned record came from. Every store function that
 * reads or writes learned data takes one of these as a required argument, so a query that forgets the
 * installation does not type-check. Built-in and curated knowledge (fixers, the Airflow knowledge base,
 * seeded library alternatives and notes, constraint pins) is global and takes none.
 */

/** Where a learned record came from. */
export interface LearningOrigin {
  readonly installationId: number;
  /** `owner/name` of the repository, or a local label for records taught on the command line. */
  readonly repository: string;
}

/**
 * What a read may see: one installation's records, all of its repositories (`repository: null`) or only
 * one. Nothing widens a scope beyond its installation.
 */
export interface LearningScope {
  readonly installationId: number;
  readonly repository: string | null;
}

/** `learning.share` of `.github/opforge.yml`. */
export type LearningShare = "installation" | "repository";

/**
 * The installation the `opforge` command's own records belong to: local generations are stored under
 * installation 0 (no GitHub installation has that id), so the command line learns and reads apart from
 * every app installation unless told `--installation ID`.
 */
export const LOCAL_INSTALLATION_ID = 0;

export function scopeFor(origin: LearningOrigin, share: LearningShare): LearningScope {
  return { installationId: origin.installationId, repository: share === "repository" ? origin.repository : null };
}

/** The whole installation: for counters and lookups by id, which must still never reach another installation. */
export function installationScope(installationId: number): LearningScope {
  return { installationId, repository: null };
}

export function checkScope(scope: LearningScope, where: string): void {
  if (typeof scope !== "object" || scope === null || !Number.isInteger(scope.installationId) || scope.installationId < 0) {
    throw new Error(`${where}: an installation scope (a non-negative integer installation id) is required`);
  }
  if (scope.repository !== null && (typeof scope.repository !== "string" || scope.repository === "")) {
    throw new Error(`${where}: scope.repository must be an owner/name or null`);
  }
}

export function checkOrigin(origin: LearningOrigin, where: string): void {
  checkScope(origin, where);
}

/**
 * `alias.installation_id = ? [AND alias.<repositoryColumn> = ?]` and its parameters. Rows of unknown origin
 * (installation_id NULL, see migration 008) never match.
 */
export function scopeWhere(scope: LearningScope, alias: string, repositoryColumn = "repository"): { sql: string; params: (string | number)[] } {
  const prefix = alias === "" ? "" : `${alias}.`;
  if (scope.repository === null) return { sql: `${prefix}installation_id = ?`, params: [scope.installationId] };
  return { sql: `${prefix}installation_id = ? AND ${prefix}${repositoryColumn} = ?`, params: [scope.installationId, scope.repository] };
}
