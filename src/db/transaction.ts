import type { Kysely } from "kysely";
import type { Tables } from "../db/schema.js";

/**
 * Runs `work` in one transaction: a new one, or the caller's when `db` already is one (Kysely cannot nest
 * transactions), so store functions that need their own atomicity still compose into a caller's transaction.
 */
export function inTransaction<T>(db: Kysely<Tables>, work: (trx: Kysely<Tables>) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}
