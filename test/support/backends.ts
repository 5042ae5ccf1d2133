import type { Kysely } from "kysely";
import { describe } from "vitest";
import { createDb } from "../../src/db/kysely.js";
import { migrateToLatest } from "../../src/db/migrate.js";
import { kyselyOverStore } from "../../src/db/over-store.js";
import type { Tables } from "../../src/db/schema.js";
import { openDatabase } from "../../src/store/database.js";
import type { Database } from "../../src/store/database.js";
import { testPostgres } from "./postgres.js";

export type BackendKind = "sqlite" | "postgres";
export const backendKinds: readonly BackendKind[] = ["sqlite", "postgres"];

/** A migrated, empty (curated rows aside) database of one kind. */
export interface TestBackend {
  kind: BackendKind;
  kysely: Kysely<Tables>;
  /** The synchronous store's connection, on SQLite only (the same connection `kysely` uses). */
  store: Database | null;
  close(): Promise<void>;
}

/**
 * A fresh database: SQLite in memory, opened by the store and seen through Kysely on the same connection, as
 * the App does; or a private PostgreSQL schema migrated by Kysely (about half a second: open one per file or
 * per describe block, and keep tests apart by installation or repository rather than by database).
 */
export async function openBackend(kind: BackendKind): Promise<TestBackend> {
  if (kind === "sqlite") {
    const store = openDatabase(":memory:");
    const kysely = kyselyOverStore(store);
    return { kind, kysely, store, close: async () => void (await kysely.destroy()) };
  }
  const pg = await testPostgres("the PostgreSQL backend tests");
  const kysely = createDb({ dialect: "postgres", url: pg.url }, { poolSize: 3 });
  try {
    await migrateToLatest(kysely, "postgres");
  } catch (err) {
    await kysely.destroy();
    await pg.drop();
    throw err;
  }
  return {
    kind,
    kysely,
    store: null,
    async close() {
      await kysely.destroy();
      await pg.drop();
    },
  };
}

/** Runs `body` once per backend, in a describe block named after it; `body` opens what it needs with `openBackend(kind)`. */
export function describeBackends(title: string, body: (kind: BackendKind) => void): void {
  for (const kind of backendKinds) describe(`${title} [${kind}]`, () => body(kind));
}
