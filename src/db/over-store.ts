import type { Database } from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import type { Tables } from "./schema.js";

const views = new WeakMap<Database, Kysely<Tables>>();

/**
 * A Kysely view of a connection `openDatabase` (src/store) opened: one connection, so both layers see each
 * other's writes at once and an async transaction of one is a transaction of the other. While the modules
 * move from the synchronous store onto Kysely, a process opens its SQLite file once and hands out both.
 *
 * One view per connection, whoever asks: Kysely queues a connection's queries behind an open transaction only
 * within one instance, and a second instance would send its BEGIN into the first one's transaction.
 *
 * Destroying the returned instance closes the shared connection: leave that to whoever opened it.
 */
export function kyselyOverStore(database: Database): Kysely<Tables> {
  let view = views.get(database);
  if (view === undefined) {
    view = new Kysely<Tables>({ dialect: new SqliteDialect({ database }) });
    views.set(database, view);
  }
  return view;
}
