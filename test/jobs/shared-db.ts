import { join } from "node:path";
import type { Kysely } from "kysely";
import { createDb } from "../../src/db/kysely.js";
import { migrateToLatest } from "../../src/db/migrate.js";
import type { Tables } from "../../src/db/schema.js";
import type { BackendKind } from "../support/backends.js";
import { testPostgres } from "../support/postgres.js";
import { tempDir } from "../store/helpers.js";
import { openTarget } from "./fixtures/open-target.js";

/** One database that several workers (in this process or in children) reach over connections of their own. */
export interface SharedDatabase {
  kind: BackendKind;
  /** Where a child process finds it: the SQLite file's path or the PostgreSQL URL. */
  target: string;
  /** A scratch directory for the test's own files. */
  dir: string;
  /** A new connection (SQLite) or pool (PostgreSQL); close() closes it. */
  open(): Kysely<Tables>;
  close(): Promise<void>;
}

export async function sharedDatabase(kind: BackendKind): Promise<SharedDatabase> {
  const { dir, cleanup } = tempDir(`opforge-shared-${kind}-`);
  const opened: Kysely<Tables>[] = [];
  let target = join(dir, "opforge.db");
  let drop = async (): Promise<void> => undefined;
  if (kind === "postgres") {
    const pg = await testPostgres("the queue's PostgreSQL concurrency tests");
    target = pg.url;
    drop = pg.drop;
    const migrator = createDb({ dialect: "postgres", url: target }, { poolSize: 1 });
    try {
      await migrateToLatest(migrator, "postgres");
    } finally {
      await migrator.destroy();
    }
  }
  return {
    kind,
    target,
    dir,
    open() {
      const db = openTarget(target);
      opened.push(db);
      return db;
    },
    async close() {
      await Promise.all(opened.splice(0).map((db) => db.destroy()));
      await drop();
      cleanup();
    },
  };
}
