import type { Kysely } from "kysely";
import type { Tables } from "../db/schema.js";
import type { Job } from "../jobs/queue.js";
import type { JobContext } from "../jobs/worker.js";

/**
 * A job step whose effect is database writes made through Kysely. `work` runs in one Kysely transaction and
 * the step is recorded in that same transaction (on SQLite the job queue's step record joins it on the shared
 * connection, as a savepoint), so the writes and the record commit together or not at all. A step an earlier
 * run of the job recorded is not worked again: its stored result is handed back, as `ctx.dbStep` does.
 *
 * `db` must be the Kysely view of the worker's own SQLite connection (FlowServices.kysely): the step record
 * joins this transaction only because both go through that one connection.
 */
export function kyselyStep<T>(
  ctx: JobContext,
  job: Job,
  db: Kysely<Tables>,
  name: string,
  work: (trx: Kysely<Tables>) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    const done = Object.hasOwn(job.steps, name);
    const result = done ? undefined : await work(trx);
    return ctx.dbStep(name, () => result as T);
  });
}
