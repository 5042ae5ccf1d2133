import type { Kysely } from "kysely";
import { readDatabaseConfig } from "./config.js";
import type { DatabaseConfig } from "./config.js";
import { createDb } from "./kysely.js";
import type { CreateDbOptions } from "./kysely.js";
import { migrateToLatest } from "./migrate.js";
import type { Tables } from "./schema.js";

export { DatabaseConfigError, DEFAULT_SQLITE_PATH, readDatabaseConfig } from "./config.js";
export type { DatabaseConfig } from "./config.js";
export { createDb } from "./kysely.js";
export { dialectOf } from "./dialect.js";
export type { Dialect } from "./dialect.js";
export { kyselyOverStore } from "./over-store.js";
export { migrateToLatest } from "./migrate.js";
export type { Tables } from "./schema.js";

export interface OpenedDb {
  db: Kysely<Tables>;
  config: DatabaseConfig;
  /** Migrations this open applied (empty when the schema was already current). */
  applied: string[];
}

/**
 * The database the environment configures, migrated to the newest schema: what a process calls once at
 * start. A failed migration closes the connection before the error propagates.
 */
export async function openDb(env: NodeJS.ProcessEnv, options: CreateDbOptions = {}): Promise<OpenedDb> {
  const config = readDatabaseConfig(env);
  const db = createDb(config, options);
  try {
    const applied = await migrateToLatest(db, config.dialect);
    return { db, config, applied };
  } catch (err) {
    await db.destroy();
    throw err;
  }
}
