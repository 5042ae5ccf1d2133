import type { Kysely } from "kysely";
import { openDatabase } from "../store/database.js";
import { readDatabaseConfig } from "./config.js";
import type { DatabaseConfig } from "./config.js";
import { openDb } from "./index.js";
import { kyselyOverStore } from "./over-store.js";
import type { Tables } from "./schema.js";

export interface AppDatabase {
  kysely: Kysely<Tables>;
  config: DatabaseConfig;
  close(): Promise<void>;
}

/**
 * The database a long-running process (the App) works on, migrated: PostgreSQL when OPFORGE_DATABASE_URL is
 * set (every replica shares it), else the SQLite file OPFORGE_DB opened by the store, seen through the one
 * Kysely instance of its connection. A bad setting throws naming the variable, never the URL.
 */
export async function openAppDatabase(env: NodeJS.ProcessEnv): Promise<AppDatabase> {
  const config = readDatabaseConfig(env);
  if (config.dialect === "postgres") {
    const { db } = await openDb(env);
    return { kysely: db, config, close: () => db.destroy() };
  }
  const store = openDatabase(config.path);
  return {
    kysely: kyselyOverStore(store),
    config,
    close: async () => {
      store.close();
    },
  };
}
