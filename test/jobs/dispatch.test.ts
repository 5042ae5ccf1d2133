/**
 * The queue on PostgreSQL with pg-boss carrying the deliveries (src/jobs/dispatch.ts): the same enqueue,
 * worker, steps and fencing as the embedded engine, with jobs handed out by pg-boss instead of by polling.
 */
import { sql } from "kysely";
import PgBoss from "pg-boss";
import type { Kysely } from "kysely";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/kysely.js";
import { migrateToLatest } from "../../src/db/migrate.js";
import type { Tables } from "../../src/db/schema.js";
import { senderFor, stopDelivering } from "../../src/jobs/delivery.js";
import { deliverWhereSetUp, DELIVERY_QUEUE, JobDispatch, PRUNE_QUEUE } from "../../src/jobs/dispatch.js";
import { enqueue, fail, getJob, leaseNext, requeueDead } from "../../src/jobs/queue.js";
import { Worker } from "../../src/jobs/worker.js";
import type { JobHandler } from "../../src/jobs/worker.js";
import { testPostgres } from "../support/postgres.js";
import type { TestPostgres } from "../support/postgres.js";
import { captureLogger, emptyQueue, waitUntil } from "./helpers.js";

let pg: TestPostgres;
let db: Kysely<Tables>;
const dispatches: JobDispatch[] = [];
const workers: Worker[] = [];

beforeAll(async () => {
  pg = await testPostgres("the pg-boss job engine tests");
  db = createDb({ dialect: "postgres", url: pg.url }, { poolSize: 5 });
  await migrateToLatest(db, "postgres");
}, 60_000);

afterAll(async () => {
  await db?.destroy();
  await pg?.drop();
});

beforeEach(async () => {
  await emptyQueue(db);
  if ((await sql<{ t: string | null }>`SELECT to_regclass(${`${pg.schema}.job`}) AS t`.execute(db)).rows[0]?.t) {
    await sql.raw(`DELETE FROM ${pg.schema}.job`).execute(db);
  }
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
  await Promise.all(dispatches.splice(0).map((d) => d.stop()));
});

async function startDispatch(leaseMs: number): Promise<JobDispatch> {
  const dispatch = await JobDispatch.start(db, { connectionString: pg.url, schema: pg.schema, leaseMs });
  dispatches.push(dispatch);
  return dispatch;
}

function startWorker(dispatch: JobDispatch, handlers: Record<string, JobHandler>, options: { leaseMs?: number; concurrency?: number; workerId?: string } = {}): Worker {
  const worker = new Worker({ db, logger: captureLogger().logger, dispatch, pollIntervalMs: 20, leaseMs: 1_000, ...options });
  for (const [type, handler] of Object.entries(handlers)) worker.register(type, handler);
  worker.start();
  workers.push(worker);
  return worker;
}

interface DeliveryRow {
  state: string;
  jobId: number;
  priority: number;
  startAfter: Date;
}

async function deliveries(): Promise<DeliveryRow[]> {
  const rows = await sql<DeliveryRow>`
    SELECT state, (data->>'jobId')::int AS "jobId", priority, start_after AS "startAfter"
    FROM ${sql.table(`${pg.schema}.job`)} WHERE name = ${DELIVERY_QUEUE} ORDER BY created_on, id`.execute(db);
  return rows.rows;
}

async function status(id: number): Promise<string | undefined> {
  return (await getJob(db, id))?.status;
}

describe("jobs delivered by pg-boss", () => {
  it("an enqueued job is delivered once, run by a worker, and its delivery completed", async () => {
    const dispatch = await startDispatch(1_000);
    const runs: unknown[] = [];
    const { job } = await enqueue(db, { type: "echo", payload: { n: 1 } }, Date.now());
    expect(await deliveries()).toMatchObject([{ state: "created", jobId: job.id }]);
    startWorker(dispatch, { echo: async (j) => void runs.push(j.payload) });
    await waitUntil(async () => (await status(job.id)) === "succeeded", "the job to succeed");
    await waitUntil(async () => (await deliveries()).every((d) => d.state === "completed"), "its delivery to be completed");
    expect(runs).toEqual([{ n: 1 }]);
  });

  it("a job enqueued in a transaction that rolls back leaves no delivery; a duplicate key sends none", async () => {
    await startDispatch(1_000);
    await expect(
      db.transaction().execute(async (trx) => {
        await enqueue(trx, { type: "echo", payload: {} }, Date.now());
        throw new Error("the caller's transaction fails");
      }),
    ).rejects.toThrow("the caller's transaction fails");
    expect(await deliveries()).toEqual([]);
    const first = await enqueue(db, { type: "echo", payload: {}, dedupeKey: "issue-7" }, Date.now());
    const second = await enqueue(db, { type: "echo", payload: {}, dedupeKey: "issue-7" }, Date.now());
    expect(second).toMatchObject({ created: false, job: { id: first.job.id } });
    expect(await deliveries()).toMatchObject([{ jobId: first.job.id }]);
  });

  it("urgent jobs are delivered first, and a job due later is delivered when due", async () => {
    const dispatch = await startDispatch(1_000);
    const now = Date.now();
    const later = await enqueue(db, { type: "echo", payload: { name: "later" }, runAfter: now + 1_500 }, now);
    for (let i = 0; i < 3; i++) await enqueue(db, { type: "echo", payload: { name: `normal ${i}` } }, now);
    await enqueue(db, { type: "echo", payload: { name: "urgent" }, priority: 1 }, now);
    const order: string[] = [];
    startWorker(dispatch, { echo: async (j) => void order.push((j.payload as { name: string }).name) }, { concurrency: 1 });
    await waitUntil(async () => order.length === 4, "the four due jobs to run");
    expect(order[0]).toBe("urgent");
    expect(await status(later.job.id)).toBe("queued");
    await waitUntil(async () => (await status(later.job.id)) === "succeeded", "the later job to run once due", 10_000);
    expect(order).toHaveLength(5);
  });

  it("a transient failure is retried at its backoff time through a new delivery", async () => {
    const dispatch = await startDispatch(1_000);
    const { job } = await enqueue(db, { type: "flaky", payload: {} }, Date.now());
    let calls = 0;
    const worker = new Worker({
      db,
      logger: captureLogger().logger,
      dispatch,
      pollIntervalMs: 20,
      leaseMs: 1_000,
      backoff: { baseMs: 300, maxMs: 300, jitterRatio: 0 },
    });
    worker.register("flaky", async () => {
      calls += 1;
      if (calls === 1) throw Object.assign(new Error("503 from upstream"), { status: 503 });
    });
    worker.start();
    workers.push(worker);
    await waitUntil(async () => (await status(job.id)) === "succeeded", "the retried job to succeed", 10_000);
    expect(calls).toBe(2);
    const sent = await deliveries();
    expect(sent).toHaveLength(2);
    expect(sent[1]!.startAfter.getTime() - sent[0]!.startAfter.getTime()).toBeGreaterThanOrEqual(250);
  });

  it("jobs made before pg-boss carried them are delivered at start, and a requeued dead job is delivered again", async () => {
    const before = await enqueue(db, { type: "echo", payload: {} }, Date.now());
    expect(senderFor(db)).toBeUndefined();
    const dispatch = await startDispatch(1_000);
    expect(await deliveries()).toMatchObject([{ jobId: before.job.id }]);
    const dead = await enqueue(db, { type: "echo", payload: {}, maxAttempts: 1 }, Date.now());
    // Leased and failed for good by hand, as a worker without the handler would.
    const leased = await leaseNext(db, "by-hand", Date.now(), 1_000);
    expect(leased?.id).toBe(before.job.id);
    const second = await leaseNext(db, "by-hand", Date.now(), 1_000);
    await fail(db, second!.id, new Error("bad payload"), { transient: false, now: Date.now() });
    expect(await status(dead.job.id)).toBe("dead");
    expect(await requeueDead(db, dead.job.id, Date.now())).toBe(true);
    expect((await deliveries()).filter((d) => d.jobId === dead.job.id)).toHaveLength(2);
    startWorker(dispatch, { echo: async () => undefined });
    await waitUntil(async () => (await status(dead.job.id)) === "succeeded", "the requeued job to run");
  });

  it("finished jobs are pruned when pg-boss's hourly schedule hands a replica the pruning, not on every worker's own timer", async () => {
    const dispatch = await startDispatch(1_000);
    const schedules = await sql<{ name: string; cron: string }>`SELECT name, cron FROM ${sql.table(`${pg.schema}.schedule`)}`.execute(db);
    expect(schedules.rows).toEqual([{ name: PRUNE_QUEUE, cron: expect.stringMatching(/^\d+ \* \* \* \*$/) as string }]);
    const old = await enqueue(db, { type: "echo", payload: {} }, Date.now() - 30 * 24 * 3_600_000);
    await db.updateTable("jobs").set({ status: "succeeded", updated_at: Date.now() - 30 * 24 * 3_600_000 }).where("id", "=", old.job.id).execute();
    const worker = new Worker({ db, logger: captureLogger().logger, dispatch, pollIntervalMs: 20, leaseMs: 1_000, pruneIntervalMs: 20 });
    worker.start();
    workers.push(worker);
    await new Promise((r) => setTimeout(r, 300));
    expect(await getJob(db, old.job.id)).not.toBeNull();
    // What the cron puts in the queue at the hour, sent now.
    const boss = new PgBoss({ connectionString: pg.url, schema: pg.schema, supervise: false, schedule: false, max: 1 });
    await boss.start();
    try {
      const id = await boss.send(PRUNE_QUEUE, {});
      await waitUntil(async () => (await getJob(db, old.job.id)) === null, "the old job to be pruned");
      await waitUntil(async () => (await boss.getJobById(PRUNE_QUEUE, id!))?.state === "completed", "the pruning to be completed");
    } finally {
      await boss.stop({ graceful: false, wait: true });
    }
  });

  it("a process that only requeues (the CLI) delivers through pg-boss once a replica set it up, and not before", async () => {
    const cli = createDb({ dialect: "postgres", url: pg.url }, { poolSize: 1 });
    try {
      await sql.raw(`DROP SCHEMA IF EXISTS cli_probe_boss CASCADE`).execute(cli);
      expect(await deliverWhereSetUp(cli, { schema: "cli_probe_boss", leaseMs: 1_000 })).toBe(false);
      await startDispatch(1_000);
      expect(await deliverWhereSetUp(cli, { schema: pg.schema, leaseMs: 1_000 })).toBe(true);
      const dead = await enqueue(cli, { type: "echo", payload: {}, maxAttempts: 1 }, Date.now());
      const leased = await leaseNext(cli, "by-hand", Date.now(), 1_000);
      await fail(cli, leased!.id, new Error("bad payload"), { transient: false, now: Date.now() });
      expect(await requeueDead(cli, dead.job.id, Date.now())).toBe(true);
      expect((await deliveries()).filter((d) => d.jobId === dead.job.id)).toHaveLength(2);
    } finally {
      stopDelivering(cli);
      await cli.destroy();
    }
  });

  it("when a worker dies holding a job, its delivery expires and another worker takes the job over once the lease ran out", async () => {
    const leaseMs = 1_000;
    const first = await startDispatch(leaseMs);
    // Both replicas are up before the job exists: the takeover comes from pg-boss expiring the delivery.
    const second = await startDispatch(leaseMs);
    const { job } = await enqueue(db, { type: "slow", payload: {} }, Date.now());
    // The dying worker: takes the delivery and the lease, then never renews or finishes.
    const [delivery] = await first.fetch(1);
    expect(delivery?.jobId).toBe(job.id);
    const { leaseDelivered } = await import("../../src/jobs/queue.js");
    expect((await leaseDelivered(db, job.id, "dead-worker", Date.now(), leaseMs)).kind).toBe("leased");

    const runs: string[] = [];
    const started = Date.now();
    startWorker(second, { slow: async () => void runs.push("second") }, { leaseMs, workerId: "survivor" });
    await waitUntil(async () => (await status(job.id)) === "succeeded", "the survivor to take the job over", 20_000);
    expect(runs).toEqual(["second"]);
    expect((await getJob(db, job.id))?.attempts).toBe(2);
    // Not before the dead worker's lease ran out.
    expect(Date.now() - started).toBeGreaterThanOrEqual(leaseMs - 100);
    const retried = await sql<{ n: number }>`SELECT max(retry_count)::int AS n FROM ${sql.table(`${pg.schema}.job`)}`.execute(db);
    expect(retried.rows[0]?.n).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it("a delivery for a job whose worker is alive and renewing its lease does not run it twice", async () => {
    const leaseMs = 800;
    const dispatch = await startDispatch(leaseMs);
    const { job } = await enqueue(db, { type: "long", payload: {} }, Date.now());
    let runs = 0;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    startWorker(dispatch, { long: async () => void (runs += 1, await held) }, { leaseMs, concurrency: 2 });
    await waitUntil(async () => runs === 1, "the job to start");
    // Past the delivery's expiry (two leases) and pg-boss's supervision, the delivery is handed out again
    // while the first worker still renews the lease, and answered with one at the end of that lease.
    await waitUntil(async () => (await deliveries()).length > 1, "the expired delivery to be answered with a later one", 20_000);
    await new Promise((r) => setTimeout(r, 2 * leaseMs));
    expect(runs).toBe(1);
    release();
    await waitUntil(async () => (await status(job.id)) === "succeeded", "the job to finish");
    expect(runs).toBe(1);
    expect((await getJob(db, job.id))?.attempts).toBe(1);
  }, 30_000);
});
