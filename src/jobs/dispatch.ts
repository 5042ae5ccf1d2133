/**
 * pg-boss as the job engine on PostgreSQL. opforge's `jobs` table stays the record of every job (its payload,
 * dedupe key, attempts, recorded steps and lease, which fences each step); pg-boss carries the *deliveries*:
 * for each job that becomes due, one pg-boss job `{ jobId }` in the queue `opforge_jobs`, sent in the same
 * transaction as the row's change, with the job's priority and its run_after as startAfter. Replicas fetch
 * deliveries from pg-boss instead of polling the table; a delivery whose worker died expires
 * (`expireInSeconds`) and pg-boss's supervisor hands it out again, so another replica takes over the job
 * once the row's lease has run out.
 *
 * A delivery only says "look at job N": the worker then takes the row's lease as the embedded engine does,
 * so a delivery that arrives twice, early or for a finished job does nothing but look (see `leaseDelivered`).
 * pg-boss's own dedupe is not relied on (its `singletonKey` alone dedupes nothing on a standard queue; see
 * test/jobs/pg-boss-contract.test.ts): the job's dedupe key in opforge's table decides.
 */
import { CompiledQuery, sql } from "kysely";
import type { Kysely } from "kysely";
import PgBoss from "pg-boss";
import type { Tables } from "../db/schema.js";
import { deliverThrough, stopDelivering } from "./delivery.js";
import type { DeliverySink, DueJob } from "./delivery.js";

/** The one pg-boss queue of opforge's deliveries; one queue keeps priorities comparable across job types. */
export const DELIVERY_QUEUE = "opforge_jobs";

/**
 * The queue of the hourly pruning of finished jobs and webhook deliveries: pg-boss's cron puts one job in it
 * each hour for all replicas together, so one replica prunes. Policy `short` keeps at most one waiting, so a
 * deployment that was down for a day finds one prune, not twenty-four.
 */
export const PRUNE_QUEUE = "opforge_prune";
const PRUNE_CRON = "23 * * * *";

/** pg-boss's default schema; `OPFORGE_PGBOSS_SCHEMA` names another. */
export const DEFAULT_BOSS_SCHEMA = "pgboss";

export interface Delivery {
  /** pg-boss's id of this delivery. */
  id: string;
  /** The `jobs` row it is for. */
  jobId: number;
}

export interface DispatchTimings {
  /** The workers' lease; a delivery expires after two of them, so a live worker's renewals are seen first. */
  leaseMs: number;
}

/**
 * Sends deliveries: through the caller's Kysely instance (a transaction, so the delivery commits or rolls
 * back with the row's change), by a pg-boss client that needs no connection of its own.
 */
export class DeliverySender implements DeliverySink {
  private readonly boss: PgBoss;
  private readonly expireInSeconds: number;

  constructor(
    readonly schema: string,
    timings: DispatchTimings,
  ) {
    // Only send() is used on this client; it runs on the executor each call passes (options.db).
    this.boss = new PgBoss({ db: { executeSql: () => Promise.reject(new Error("deliveries are sent through the caller's database")) }, schema });
    this.expireInSeconds = Math.max(1, Math.ceil((2 * timings.leaseMs) / 1000));
  }

  /** Sends one delivery of `job` at its run_after. Null when the queue does not exist (pg-boss not set up). */
  async send(db: Kysely<Tables>, job: DueJob, at: number = job.runAfter): Promise<string | null> {
    return this.boss.send(
      DELIVERY_QUEUE,
      { jobId: job.id },
      {
        priority: job.priority,
        startAfter: new Date(at),
        expireInSeconds: this.expireInSeconds,
        // Each retry is one expiry: a worker that died holding the delivery. The row's attempts decide when
        // the job itself gives up; this only has to outlast them.
        retryLimit: 20,
        retryDelay: 0,
        db: executorOf(db),
      },
    );
  }
}

/** pg-boss's database interface over a Kysely instance (a transaction included): one statement per call. */
function executorOf(db: Kysely<Tables>): { executeSql(text: string, values: unknown[]): Promise<{ rows: unknown[] }> } {
  return {
    executeSql: async (text, values) => ({ rows: (await db.executeQuery(CompiledQuery.raw(text, values ?? []))).rows }),
  };
}

/**
 * For a process that changes jobs without running them (the CLI's `jobs requeue`): when pg-boss carries the
 * deliveries of this database (its queue exists in `schema`), jobs made due through `db` are delivered too,
 * so the running replicas see them. Returns whether it does.
 */
export async function deliverWhereSetUp(db: Kysely<Tables>, options: { schema?: string; leaseMs: number }): Promise<boolean> {
  const schema = options.schema ?? DEFAULT_BOSS_SCHEMA;
  const found = await sql<{ queue: string | null }>`SELECT to_regclass(${`${schema}.queue`}) AS queue`.execute(db);
  if (!found.rows[0]?.queue) return false;
  const queue = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(`${schema}.queue`)} WHERE name = ${DELIVERY_QUEUE}`.execute(db);
  if ((queue.rows[0]?.n ?? 0) === 0) return false;
  deliverThrough(db, new DeliverySender(schema, { leaseMs: options.leaseMs }));
  return true;
}

/**
 * The pg-boss side of a replica: its own pg-boss client (connection pool, schema migration, supervisor that
 * expires and retries deliveries) and the queue, fetched from by the worker.
 */
export class JobDispatch {
  private constructor(
    private readonly boss: PgBoss,
    readonly sender: DeliverySender,
    private readonly db: Kysely<Tables>,
  ) {}

  /**
   * Starts pg-boss on `connectionString` (installing or migrating its schema: pg-boss serialises that itself),
   * creates the delivery queue, sends a delivery for every job that can still run (jobs made before pg-boss
   * carried them, or whose delivery was lost), and routes `db`'s future deliveries through it.
   */
  static async start(
    db: Kysely<Tables>,
    options: { connectionString: string; schema?: string; leaseMs: number; onError?: (error: Error) => void },
  ): Promise<JobDispatch> {
    const schema = options.schema ?? DEFAULT_BOSS_SCHEMA;
    const superviseSeconds = Math.max(1, Math.ceil(options.leaseMs / 2000));
    const boss = new PgBoss({
      connectionString: options.connectionString,
      schema,
      max: 3,
      // Cron only for pruning (PRUNE_QUEUE); opforge's other timed work is jobs with a run_after, delivered
      // with startAfter.
      schedule: true,
      supervise: true,
      // Expired deliveries are found within half a lease: a dead worker's job is taken over soon after its
      // lease (and the delivery's two) ran out.
      maintenanceIntervalSeconds: superviseSeconds,
    });
    boss.on("error", options.onError ?? (() => undefined));
    await boss.start();
    const sender = new DeliverySender(schema, { leaseMs: options.leaseMs });
    await db.transaction().execute(async (trx) => {
      // Replicas starting together take turns: two createQueue calls of one queue at once can deadlock.
      await sql`SELECT pg_advisory_xact_lock(hashtextextended('opforge.pgboss.start', 0))`.execute(trx);
      if ((await boss.getQueue(DELIVERY_QUEUE)) === null) await boss.createQueue(DELIVERY_QUEUE, { name: DELIVERY_QUEUE });
      if ((await boss.getQueue(PRUNE_QUEUE)) === null) await boss.createQueue(PRUNE_QUEUE, { name: PRUNE_QUEUE, policy: "short" });
      await boss.schedule(PRUNE_QUEUE, PRUNE_CRON, {}, { tz: "UTC" });
      const active = await trx
        .selectFrom("jobs")
        .select(["id", "priority", "run_after", "lease_expires_at", "status"])
        .where("status", "in", ["queued", "running", "failed"])
        .execute();
      for (const row of active) {
        // A running job is looked at when its lease would run out; its worker may well be alive.
        const at = row.status === "running" ? (row.lease_expires_at ?? row.run_after) : row.run_after;
        await sender.send(trx, { id: row.id, priority: row.priority, runAfter: row.run_after }, at);
      }
    });
    deliverThrough(db, sender);
    return new JobDispatch(boss, sender, db);
  }

  /** Up to `count` deliveries that are due, urgent first. */
  async fetch(count: number): Promise<Delivery[]> {
    const jobs = await this.boss.fetch<{ jobId?: unknown }>(DELIVERY_QUEUE, { batchSize: count, priority: true });
    const deliveries: Delivery[] = [];
    for (const job of jobs) {
      const jobId = job.data?.jobId;
      if (typeof jobId === "number" && Number.isSafeInteger(jobId)) deliveries.push({ id: job.id, jobId });
      // Not one of opforge's: completed so that it is not handed out again.
      else await this.boss.complete(DELIVERY_QUEUE, job.id);
    }
    return deliveries;
  }

  /** The id of the pruning pg-boss's cron asked for, when one is due and no other replica took it. */
  async takePrune(): Promise<string | undefined> {
    const [job] = await this.boss.fetch(PRUNE_QUEUE, { batchSize: 1 });
    return job?.id;
  }

  /** The pruning is done (or failed: it is not retried, the next hour's prunes). */
  async pruned(id: string): Promise<void> {
    await this.boss.complete(PRUNE_QUEUE, id);
  }

  /** The delivery is done with: the job finished, or another delivery will look at it again. */
  async done(delivery: Delivery): Promise<void> {
    await this.boss.complete(DELIVERY_QUEUE, delivery.id);
  }

  /** Stops pg-boss; jobs made due on the database afterwards are left to the embedded engine's polling. */
  async stop(): Promise<void> {
    stopDelivering(this.db);
    await this.boss.stop({ graceful: false, wait: true, close: true });
  }
}
