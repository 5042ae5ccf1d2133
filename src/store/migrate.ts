import type { Database } from "better-sqlite3";
import type { Migration } from "./migrations/types.js";

/** Raised when the database file is newer than this code, or older and opened read-only. */
export class SchemaVersionError extends Error {
  override readonly name = "SchemaVersionError";
  constructor(
    message: string,
    readonly databaseVersion: number,
    readonly knownVersion: number,
  ) {
    super(message);
  }
}

export function schemaVersion(db: Database): number {
  return db.pragma("user_version", { simple: true }) as number;
}

/** Versions must run 1, 2, 3, … without gaps or repeats; a mistake here would skip or re-run a change. */
export function checkMigrationList(list: readonly Migration[]): void {
  list.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(
        `migration "${m.name}" has version ${m.version} at position ${i + 1}; versions must be 1, 2, 3, … in order`,
      );
    }
  });
}

export function latestVersion(list: readonly Migration[]): number {
  return list.length === 0 ? 0 : (list[list.length - 1]?.version ?? 0);
}

export function newerSchemaMessage(path: string, found: number, known: number): string {
  return `database ${path} has schema version ${found}, this opforge knows up to ${known}; upgrade opforge`;
}

/**
 * Brings the database up to the newest migration. Each migration runs in an IMMEDIATE transaction that
 * re-reads the version first, so two processes opening the same old file at once apply each step once.
 * Returns the versions applied.
 */
export function migrate(db: Database, path: string, list: readonly Migration[]): number[] {
  checkMigrationList(list);
  const known = latestVersion(list);
  const applied: number[] = [];
  for (;;) {
    const step = db
      .transaction((): number | null => {
        const current = schemaVersion(db);
        if (current > known) {
          throw new SchemaVersionError(newerSchemaMessage(path, current, known), current, known);
        }
        const next = list[current];
        if (next === undefined) return null;
        try {
          next.up(db);
        } catch (err) {
          throw new Error(
            `migration ${String(next.version).padStart(3, "0")}_${next.name} failed on ${path}: ${(err as Error).message}`,
            { cause: err },
          );
        }
        // PRAGMA user_version is written to the database header inside this transaction.
        db.pragma(`user_version = ${next.version}`);
        return next.version;
      })
      .immediate();
    if (step === null) return applied;
    applied.push(step);
  }
}
