import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import type { Database } from "better-sqlite3";
import { latestVersion, migrate, newerSchemaMessage, schemaVersion, SchemaVersionError } from "./migrate.js";
import { migrations as allMigrations } from "./migrations/index.js";
import type { Migration } from "./migrations/types.js";

export type { Database } from "better-sqlite3";

export interface OpenDatabaseOptions {
  /** Open without writing: no directory creation, no migration, no pragma changes. */
  readonly?: boolean;
  /** How long a statement waits for another connection's write lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /** For tests of the migration runner; production uses the list in `migrations/index.ts`. */
  migrations?: readonly Migration[];
}

function isInMemory(path: string): boolean {
  return path === ":memory:" || path === "" || path.startsWith("file::memory:");
}

/**
 * Opens (creating if needed) the opforge database and brings its schema up to date.
 *
 * WAL lets the dashboard read while the worker writes. `synchronous = NORMAL` is the usual WAL pairing:
 * a committed transaction survives the process being killed, and only an OS crash or power loss can drop
 * the last few commits — a trade taken so each queue write does not wait for an fsync.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Database {
  const list = options.migrations ?? allMigrations;
  const known = latestVersion(list);
  const memory = isInMemory(path);
  const shownPath = memory ? path || ":memory:" : resolve(path);

  if (options.readonly) {
    try {
      return openReadonly(path, shownPath, known, options);
    } catch (err) {
      // A WAL database whose -shm file cannot be made (a read-only directory or mount) cannot be read in
      // place: read a snapshot copy (the database and its -wal) in a private temporary directory instead.
      if (memory || !needsWritableDirectory(err)) throw err;
      const dir = mkdtempSync(join(tmpdir(), "opforge-db-snapshot-"));
      try {
        const copy = join(dir, "opforge.db");
        copyFileSync(path, copy);
        if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`);
        const db = openReadonly(copy, shownPath, known, options);
        const close = db.close.bind(db);
        db.close = () => {
          close();
          rmSync(dir, { recursive: true, force: true });
          return db;
        };
        return db;
      } catch (copyErr) {
        rmSync(dir, { recursive: true, force: true });
        throw copyErr instanceof SchemaVersionError ? copyErr : err;
      }
    }
  }
  return openWritable(path, memory, shownPath, list, options);
}

/** SQLite refusing a read-only open because it would have to create the WAL index beside the file. */
function needsWritableDirectory(err: unknown): boolean {
  const code = (err as { code?: unknown; cause?: { code?: unknown } }).code ?? (err as { cause?: { code?: unknown } }).cause?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_READONLY") || code.startsWith("SQLITE_CANTOPEN"));
}

function openReadonly(path: string, shownPath: string, known: number, options: OpenDatabaseOptions): Database {
  {
    let db: Database;
    try {
      db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
    } catch (err) {
      throw new Error(`cannot open database ${shownPath} read-only: ${(err as Error).message}`, { cause: err });
    }
    try {
      db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
      const version = schemaVersion(db);
      if (version > known) {
        throw new SchemaVersionError(newerSchemaMessage(shownPath, version, known), version, known);
      }
      if (version < known) {
        throw new SchemaVersionError(
          `database ${shownPath} has schema version ${version}, this opforge needs ${known}; open it once read-write to migrate it`,
          version,
          known,
        );
      }
      return db;
    } catch (err) {
      db.close();
      throw err;
    }
  }
}

function openWritable(path: string, memory: boolean, shownPath: string, list: readonly Migration[], options: OpenDatabaseOptions): Database {
  if (!memory) mkdirSync(dirname(resolve(path)), { recursive: true });
  const db = new BetterSqlite3(path);
  try {
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    if (!memory) db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    migrate(db, shownPath, list);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
