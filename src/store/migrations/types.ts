import type { Database } from "better-sqlite3";

/**
 * One schema change. `version` is the number in the file name (`001_initial.ts` → 1); the runner applies
 * migrations in version order, each in its own transaction together with the `user_version` bump, so a
 * failed migration leaves the database at the previous version.
 */
export interface Migration {
  version: number;
  name: string;
  up(db: Database): void;
}
