/**
 * Where the jobs of a database are delivered when pg-boss carries them (dispatch.ts). Kept apart from
 * dispatch.ts so that the queue, which every command loads, does not load pg-boss.
 */
import type { Kysely } from "kysely";
import type { Tables } from "../db/schema.js";

/** What a delivery needs from a job row. */
export interface DueJob {
  id: number;
  priority: number;
  runAfter: number;
}

/** Sends a delivery of a job, through the caller's database (a transaction: it commits with the row's change). */
export interface DeliverySink {
  send(db: Kysely<Tables>, job: DueJob, at?: number): Promise<string | null>;
}

// The sink of each database, found from any Kysely instance of it, transactions included: they share the
// root instance's adapter object, which no other database's instance has.
const sinks = new WeakMap<object, DeliverySink>();

function keyOf(db: Kysely<Tables>): object {
  return db.getExecutor().adapter;
}

/** From now on, jobs made due on `db` (enqueued, retried, requeued) are delivered through `sink`. */
export function deliverThrough(db: Kysely<Tables>, sink: DeliverySink): void {
  sinks.set(keyOf(db), sink);
}

/** Jobs made due on `db` are no longer delivered (the embedded engine polls the table instead). */
export function stopDelivering(db: Kysely<Tables>): void {
  sinks.delete(keyOf(db));
}

/** The sink for `db`, when its jobs are delivered through pg-boss. */
export function senderFor(db: Kysely<Tables>): DeliverySink | undefined {
  return sinks.get(keyOf(db));
}
