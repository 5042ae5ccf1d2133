import type { Kysely, Transaction } from "kysely";
import { dialectOf } from "../../db/dialect.js";
import type { Tables } from "../../db/schema.js";

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Runs `read` in one read-only transaction so every figure it gathers comes from the same state of the
 * database. PostgreSQL needs REPEATABLE READ for that (its default READ COMMITTED gives each statement its
 * own snapshot); SQLite's deferred transaction already reads one snapshot, and Kysely's SQLite driver ignores
 * both settings.
 *
 * On SQLite the transaction is committed even when the read fails: on the store's shared connection a
 * synchronous write of another request can run between two of these statements and so fall inside this
 * transaction, and a rollback would undo it. Committing a read changes nothing; the error is thrown once the
 * transaction is over. PostgreSQL gives the transaction a connection of its own, so it is rolled back there.
 */
export async function readSnapshot<T>(db: Kysely<Tables>, read: (trx: Transaction<Tables>) => Promise<T>): Promise<T> {
  const commitFailures = dialectOf(db) === "sqlite";
  const outcome = await db
    .transaction()
    .setIsolationLevel("repeatable read")
    .setAccessMode("read only")
    .execute(async (trx): Promise<Outcome<T>> => {
      try {
        return { ok: true, value: await read(trx) };
      } catch (error) {
        if (!commitFailures) throw error;
        return { ok: false, error };
      }
    });
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}
