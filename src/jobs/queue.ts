import { sql } from "kysely";
import type { Kysely, Selectable, Updateable } from "kysely";
import { dialectOf } from "../db/dialect.js";
import type { JobsTable, Tables } from "../db/schema.js";
import { parseJsonColumn, parseJsonObjectColumn, toJsonColumn } from "../store/json.js";
import { backoffDelayMs, defaultBackoff } from "./backoff.js";
import type { BackoffPolicy, RandomSource } from "./backoff.js";
import { describeError } from "./errors.js";
import { inTransaction } from "../db/transaction.js";
import { senderFor } from "./delivery.js";
import type { DueJob } from "./delivery.js";

/**
 * queued: never run yet; running: leased by a worker; failed: failed transiently and waits for run_after
 * to be retried; succeeded; dead: failed permanently or ran out of attempts (last_error says why).
 */
export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "dead";

/** A completed durable step: `result` is absent when the step returned undefined. */
export interface StepRecord {
  result?: unknown;
  completedAt: number;
}

/** Timestamps are epoch milliseconds. */
export interface Job {
  id: number;
  type: string;
  payload: unknown;
  dedupeKey: string | null;
  status: JobStatus;
  /** Leases taken so far, including the current one. */
  attempts: number;
  maxAttempts: number;
  runAfter: number;
  /** Above 0: leased before every normal job that is due. */
  priority: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  lastError: string | null;
  steps: Record<string, StepRecord>;
  createdAt: number;
  updatedAt: number;
}

export interface NewJob {
  type: string;
  payload: unknown;
  /** While a job with this key is queued, running or waiting to retry, enqueueing it again returns that job. */
  dedupeKey?: string;
  runAfter?: number;
  maxAttempts?: number;
  /** Above 0: leased before every normal job that is due (short acknowledgements). Default 0. */
  priority?: number;
}

export const defaultMaxAttempts = 5;

type JobRow = Selectable<JobsTable>;

function toJob(row: JobRow): Job {
  return {
    id: row.id,
    type: row.type,
    payload: parseJsonColumn(row.payload_json, "jobs", "payload_json", row.id),
    dedupeKey: row.dedupe_key,
    status: row.status,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAfter: row.run_after,
    priority: row.priority,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at,
    lastError: row.last_error,
    steps: parseJsonObjectColumn(row.steps_json, "jobs", "steps_json", row.id) as Record<string, StepRecord>,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The statuses in which a job can still run; a dedupe key is unique among them (index jobs_dedupe_active). */
const ACTIVE: readonly JobStatus[] = ["queued", "running", "failed"];

/**
 * The predicate of the partial unique index jobs_dedupe_active, spelled as the migrations spell it: an
 * ON CONFLICT target names it so both SQLite and PostgreSQL pick that index.
 */
const activeDedupeIndexPredicate = sql<boolean>`dedupe_key IS NOT NULL AND status IN ('queued', 'running', 'failed')`;

/** How often enqueue looks again when the active job it collided with finished before it could be read. */
const ENQUEUE_ROUNDS = 5;

export interface EnqueueResult {
  job: Job;
  /** false when an active job with the same dedupe key was returned instead. */
  created: boolean;
}

/**
 * Queues a job. A dedupe key is claimed by the insert itself (ON CONFLICT on the partial unique index), so two
 * processes enqueueing the same key at once make one job on PostgreSQL as on SQLite, without a transaction;
 * inside a caller's transaction the job commits with the caller's other writes.
 */
export async function enqueue(db: Kysely<Tables>, input: NewJob, now: number): Promise<EnqueueResult> {
  return withDelivery(db, (d) => insertJob(d, input, now), (result) => (result.created ? result.job : null));
}

/**
 * Runs `change`; when the database's jobs are delivered through pg-boss (dispatch.ts), in one transaction
 * with a delivery of the job `due` names from its result (none when it names none), so a row made due and its
 * delivery commit together.
 */
async function withDelivery<T>(
  db: Kysely<Tables>,
  change: (db: Kysely<Tables>) => Promise<T>,
  due: (result: T, db: Kysely<Tables>) => DueJob | null | Promise<DueJob | null>,
): Promise<T> {
  const sender = senderFor(db);
  if (sender === undefined) return change(db);
  return inTransaction(db, async (trx) => {
    const result = await change(trx);
    const job = await due(result, trx);
    if (job !== null) await sender.send(trx, job);
    return result;
  });
}

async function insertJob(db: Kysely<Tables>, input: NewJob, now: number): Promise<EnqueueResult> {
  if (typeof input.type !== "string" || input.type === "") throw new Error("job type is required");
  const maxAttempts = input.maxAttempts ?? defaultMaxAttempts;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new Error(`job maxAttempts should be a whole number ≥ 1, got ${String(input.maxAttempts)}`);
  }
  const payload = toJsonColumn(input.payload, `payload of ${input.type} job`);
  const dedupeKey = input.dedupeKey ?? null;
  const priority = input.priority ?? 0;
  if (!Number.isInteger(priority) || priority < 0) throw new Error(`job priority should be a whole number ≥ 0, got ${String(input.priority)}`);
  const values = {
    type: input.type,
    payload_json: payload,
    dedupe_key: dedupeKey,
    status: "queued" as const,
    max_attempts: maxAttempts,
    run_after: input.runAfter ?? now,
    priority,
    created_at: now,
    updated_at: now,
  };
  if (dedupeKey === null) {
    return { job: toJob(await db.insertInto("jobs").values(values).returningAll().executeTakeFirstOrThrow()), created: true };
  }
  for (let round = 0; round < ENQUEUE_ROUNDS; round++) {
    const inserted = await db
      .insertInto("jobs")
      .values(values)
      .onConflict((oc) => oc.column("dedupe_key").where(activeDedupeIndexPredicate).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted !== undefined) return { job: toJob(inserted), created: true };
    const existing = await findActiveJob(db, dedupeKey);
    if (existing !== null) return { job: existing, created: false };
    // The job that held the key finished between the two statements: the key is free again.
  }
  throw new Error(`could not enqueue ${input.type} job with dedupe key ${dedupeKey}: the key kept changing hands`);
}

/** The job with this dedupe key that can still run (queued, running or waiting to retry), if any. */
export async function findActiveJob(db: Kysely<Tables>, dedupeKey: string): Promise<Job | null> {
  const row = await db.selectFrom("jobs").selectAll().where("dedupe_key", "=", dedupeKey).where("status", "in", ACTIVE).executeTakeFirst();
  return row === undefined ? null : toJob(row);
}

export interface LeaseOptions {
  /** Only these job types (a worker leases only what it has handlers for). Omitted: any type. */
  types?: readonly string[];
}

/**
 * Takes the next runnable job for `workerId` until `now + leaseMs`: first a running job whose lease has
 * expired (its worker died), else a due urgent job, else the queued or retry-waiting job with the earliest
 * run_after ≤ now. A job whose lease expired on its last allowed attempt is moved to `dead` instead.
 * Two workers — in one process or several — never lease the same job: on SQLite the choice and the take are
 * one UPDATE statement (SQLite holds the write lock for a whole statement); on PostgreSQL the chosen row is
 * locked with FOR UPDATE SKIP LOCKED, so concurrent workers pass over each other's candidates.
 */
export async function leaseNext(
  db: Kysely<Tables>,
  workerId: string,
  now: number,
  leaseMs: number,
  options: LeaseOptions = {},
): Promise<Job | null> {
  if (workerId === "") throw new Error("workerId is empty");
  if (!(leaseMs > 0)) throw new Error(`leaseMs should be positive, got ${leaseMs}`);
  const types = options.types;
  if (types !== undefined && types.length === 0) return null;
  await deadLetterExpiredLastAttempts(db, now);
  const row = dialectOf(db) === "postgres" ? await leasePostgres(db, workerId, now, leaseMs, types) : await leaseSqlite(db, workerId, now, leaseMs, types);
  return row === undefined ? null : toJob(row);
}

/** What a worker found when it looked at the job a delivery named (dispatch.ts). */
export type DeliveredLease =
  /** Leased to this worker: run it. */
  | { kind: "leased"; job: Job }
  /** Not runnable before `at` (waiting to retry, or leased by a worker whose lease still holds): look again then. */
  | { kind: "later"; at: number; job: Job }
  /** Finished (done or dead), gone (pruned), or given up just now: nothing to run. */
  | { kind: "finished" }
  /** A type this worker has no handler for. */
  | { kind: "other-type"; job: Job };

/**
 * Takes the lease of the job a delivery named, when it can run now: queued or waiting to retry and due, or
 * running under a lease that ran out (its worker died). The row is locked while this is decided, so two
 * deliveries of one job never both lease it. A job whose lease ran out on its last allowed attempt goes to
 * `dead`, as in leaseNext. PostgreSQL only: deliveries come from pg-boss.
 */
export async function leaseDelivered(
  db: Kysely<Tables>,
  id: number,
  workerId: string,
  now: number,
  leaseMs: number,
  options: LeaseOptions = {},
): Promise<DeliveredLease> {
  if (workerId === "") throw new Error("workerId is empty");
  if (!(leaseMs > 0)) throw new Error(`leaseMs should be positive, got ${leaseMs}`);
  return inTransaction(db, async (trx) => {
    const row = await trx.selectFrom("jobs").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
    if (row === undefined || row.status === "succeeded" || row.status === "dead") return { kind: "finished" };
    const job = toJob(row);
    if (options.types !== undefined && !options.types.includes(row.type)) return { kind: "other-type", job };
    if (row.status === "running") {
      const expires = row.lease_expires_at ?? 0;
      if (expires > now) return { kind: "later", at: expires, job };
      if (row.attempts >= row.max_attempts) {
        await trx
          .updateTable("jobs")
          .set({ status: "dead", lease_owner: null, lease_expires_at: null, updated_at: now, last_error: expiredLastAttempt(row) })
          .where("id", "=", id)
          .execute();
        return { kind: "finished" };
      }
    } else if (row.run_after > now) {
      return { kind: "later", at: row.run_after, job };
    }
    const leased = await takeLease(trx, id, workerId, now, leaseMs);
    if (leased === undefined) throw new Error(`job ${id} vanished while locked`);
    return { kind: "leased", job: toJob(leased) };
  });
}

function expiredLastAttempt(job: Pick<JobRow, "lease_owner" | "attempts" | "max_attempts" | "last_error">): string {
  return (
    `lease held by ${job.lease_owner ?? "?"} expired during attempt ${job.attempts} of ${job.max_attempts} (the worker stopped without finishing)` +
    (job.last_error === null ? "" : `\nprevious error: ${job.last_error}`)
  );
}

/**
 * Running jobs whose lease expired on their last allowed attempt go to `dead`, saying whose lease it was.
 * Each row is updated only if it is still in the state read (the same lease), so a job renewed or taken
 * meanwhile is left alone.
 */
async function deadLetterExpiredLastAttempts(db: Kysely<Tables>, now: number): Promise<void> {
  const expired = await db
    .selectFrom("jobs")
    .select(["id", "lease_owner", "attempts", "max_attempts", "last_error"])
    .where("status", "=", "running")
    .where("lease_expires_at", "<=", now)
    .whereRef("attempts", ">=", "max_attempts")
    .execute();
  for (const job of expired) {
    const why = expiredLastAttempt(job);
    await db
      .updateTable("jobs")
      .set({ status: "dead", lease_owner: null, lease_expires_at: null, updated_at: now, last_error: why })
      .where("id", "=", job.id)
      .where("status", "=", "running")
      .where("attempts", "=", job.attempts)
      .where("lease_expires_at", "<=", now)
      .execute();
  }
}

function typeFilter(types: readonly string[] | undefined) {
  return types === undefined ? sql`` : sql`AND type IN (${sql.join(types.map((t) => sql`${t}`))})`;
}

/**
 * One statement: each candidate is found by an indexed probe (LIMIT 1 per status keeps a lease O(log n)
 * however long the queue is), COALESCE takes the first that exists, and the UPDATE takes it.
 */
async function leaseSqlite(
  db: Kysely<Tables>,
  workerId: string,
  now: number,
  leaseMs: number,
  types: readonly string[] | undefined,
): Promise<JobRow | undefined> {
  const only = typeFilter(types);
  const result = await sql<JobRow>`
    UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = ${workerId},
      lease_expires_at = ${now + leaseMs}, updated_at = ${now}
    WHERE id = COALESCE(
      (SELECT id FROM jobs WHERE status = 'running' AND lease_expires_at <= ${now} AND attempts < max_attempts ${only}
        ORDER BY lease_expires_at, id LIMIT 1),
      (SELECT id FROM jobs WHERE status = 'queued' AND priority > 0 AND run_after <= ${now} ${only}
        ORDER BY priority DESC, run_after, id LIMIT 1),
      (SELECT id FROM (
         SELECT * FROM (SELECT id, run_after FROM jobs WHERE status = 'queued' AND run_after <= ${now} ${only}
           ORDER BY run_after, id LIMIT 1)
         UNION ALL
         SELECT * FROM (SELECT id, run_after FROM jobs WHERE status = 'failed' AND run_after <= ${now} ${only}
           ORDER BY run_after, id LIMIT 1)
       ) ORDER BY run_after, id LIMIT 1))
    RETURNING *`.execute(db);
  return result.rows[0];
}

/** In a transaction: the candidate rows are locked (SKIP LOCKED passes over other workers'), then one is taken. */
async function leasePostgres(
  db: Kysely<Tables>,
  workerId: string,
  now: number,
  leaseMs: number,
  types: readonly string[] | undefined,
): Promise<JobRow | undefined> {
  return inTransaction(db, async (trx) => {
    const probe = () => {
      const q = trx.selectFrom("jobs").select(["id", "run_after"]);
      return types === undefined ? q : q.where("type", "in", types);
    };
    const expired = await probe()
      .where("status", "=", "running")
      .where("lease_expires_at", "<=", now)
      .whereRef("attempts", "<", "max_attempts")
      .orderBy("lease_expires_at")
      .orderBy("id")
      .limit(1)
      .forUpdate()
      .skipLocked()
      .executeTakeFirst();
    let id = expired?.id;
    if (id === undefined) {
      const urgent = await probe()
        .where("status", "=", "queued")
        .where("priority", ">", 0)
        .where("run_after", "<=", now)
        .orderBy("priority", "desc")
        .orderBy("run_after")
        .orderBy("id")
        .limit(1)
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
      id = urgent?.id;
    }
    if (id === undefined) {
      const ready = (status: "queued" | "failed") =>
        probe().where("status", "=", status).where("run_after", "<=", now).orderBy("run_after").orderBy("id").limit(1).forUpdate().skipLocked().executeTakeFirst();
      const q = await ready("queued");
      const f = await ready("failed");
      const first = q && f ? (f.run_after < q.run_after || (f.run_after === q.run_after && f.id < q.id) ? f : q) : (q ?? f);
      id = first?.id;
    }
    if (id === undefined) return undefined;
    return takeLease(trx, id, workerId, now, leaseMs);
  });
}

/** Leases the job `id` (locked by the caller's transaction) to `workerId` until `now + leaseMs`: its next attempt. */
function takeLease(trx: Kysely<Tables>, id: number, workerId: string, now: number, leaseMs: number): Promise<JobRow | undefined> {
  return trx
    .updateTable("jobs")
    .set((eb) => ({ status: "running", attempts: eb("attempts", "+", 1), lease_owner: workerId, lease_expires_at: now + leaseMs, updated_at: now }))
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Extends the lease. False when the job is no longer running under this worker (its lease was taken over);
 * with `attempt`, also when the job was leased again since (by this same worker id, after its lease expired).
 */
export async function heartbeat(db: Kysely<Tables>, id: number, workerId: string, now: number, leaseMs: number, attempt?: number): Promise<boolean> {
  let q = db
    .updateTable("jobs")
    .set({ lease_expires_at: now + leaseMs, updated_at: now })
    .where("id", "=", id)
    .where("status", "=", "running")
    .where("lease_owner", "=", workerId);
  if (attempt !== undefined) q = q.where("attempts", "=", attempt);
  return (await q.executeTakeFirst()).numUpdatedRows === 1n;
}

/**
 * One lease of a job: the worker that took it and the attempt number it got. Each lease has its own
 * (attempts grows by one per lease), so writes fenced by it are refused once the job was leased again.
 */
export interface LeaseFence {
  workerId: string;
  attempt: number;
}

export interface CompleteOptions {
  now: number;
  /** When given, completes only if this worker still holds the lease. */
  workerId?: string;
  /** With workerId: only if the lease is still the one taken on this attempt. */
  attempt?: number;
}

/** Marks a running job succeeded. False when it was not running (or not under `workerId` and `attempt`). */
export async function complete(db: Kysely<Tables>, id: number, options: CompleteOptions): Promise<boolean> {
  let q = db
    .updateTable("jobs")
    .set({ status: "succeeded", lease_owner: null, lease_expires_at: null, updated_at: options.now })
    .where("id", "=", id)
    .where("status", "=", "running");
  if (options.workerId !== undefined) q = q.where("lease_owner", "=", options.workerId);
  if (options.attempt !== undefined) q = q.where("attempts", "=", options.attempt);
  return (await q.executeTakeFirst()).numUpdatedRows === 1n;
}

/** True when the job is running under exactly this lease. */
export async function holdsLease(db: Kysely<Tables>, id: number, fence: LeaseFence): Promise<boolean> {
  const row = await db
    .selectFrom("jobs")
    .select("id")
    .where("id", "=", id)
    .where("status", "=", "running")
    .where("lease_owner", "=", fence.workerId)
    .where("attempts", "=", fence.attempt)
    .executeTakeFirst();
  return row !== undefined;
}

export interface FailOptions {
  /** Transient failures are retried after a backoff while attempts remain; others go straight to dead. */
  transient: boolean;
  now: number;
  /** When given, records the failure only if this worker still holds the lease. */
  workerId?: string;
  /** With workerId: only if the lease is still the one taken on this attempt. */
  attempt?: number;
  /** Jitter source; seed it in tests. */
  random?: RandomSource;
  backoff?: BackoffPolicy;
  /** A server-requested wait (retry-after); the job waits at least this long. */
  retryAfterMs?: number;
}

/**
 * Records a failed attempt. Returns the updated job (status `failed` with a later run_after, or `dead`),
 * or null when the job was not running (or not under `workerId`).
 *
 * The decision needs the attempt count, so the row is read first; the write then applies only to that very
 * lease (same owner and attempt), so a job leased again in between is left to its new holder.
 */
export async function fail(db: Kysely<Tables>, id: number, error: unknown, options: FailOptions): Promise<Job | null> {
  // A retry is delivered at its run_after.
  return withDelivery(db, (d) => recordFailure(d, id, error, options), (updated) => (updated?.status === "failed" ? updated : null));
}

async function recordFailure(db: Kysely<Tables>, id: number, error: unknown, options: FailOptions): Promise<Job | null> {
  const message = describeError(error);
  let q = db.selectFrom("jobs").selectAll().where("id", "=", id).where("status", "=", "running");
  if (options.workerId !== undefined) q = q.where("lease_owner", "=", options.workerId);
  if (options.attempt !== undefined) q = q.where("attempts", "=", options.attempt);
  const row = await q.executeTakeFirst();
  if (row === undefined) return null;
  const retry = options.transient && row.attempts < row.max_attempts;
  const released = { lease_owner: null, lease_expires_at: null, updated_at: options.now };
  let change: Updateable<JobsTable>;
  if (retry) {
    const delay = Math.max(
      backoffDelayMs(row.attempts, options.random ?? Math.random, options.backoff ?? defaultBackoff),
      options.retryAfterMs ?? 0,
    );
    change = { ...released, status: "failed" as const, run_after: options.now + delay, last_error: message };
  } else {
    const why = options.transient
      ? `gave up after ${row.attempts} of ${row.max_attempts} attempts: ${message}`
      : `permanent failure on attempt ${row.attempts}: ${message}`;
    change = { ...released, status: "dead" as const, last_error: why };
  }
  const updated = await db
    .updateTable("jobs")
    .set(change)
    .where("id", "=", id)
    .where("status", "=", "running")
    .where("attempts", "=", row.attempts)
    .where((eb) => (row.lease_owner === null ? eb("lease_owner", "is", null) : eb("lease_owner", "=", row.lease_owner)))
    .returningAll()
    .executeTakeFirst();
  return updated === undefined ? null : toJob(updated);
}

/**
 * Stores a durable step's result. With `fence`, only while that lease holds the job: a worker that lost
 * its lease records nothing (false), so the job's steps are written by its current owner alone, and a step
 * whose record was refused runs again under the next lease (which is why a step's effect must be keyed).
 *
 * The steps are rewritten only if they still read as they did (a compare-and-set on steps_json, in the same
 * statement as the lease check), so a record is never lost to a concurrent one, on either dialect.
 */
export async function recordStep(db: Kysely<Tables>, id: number, name: string, result: unknown, now: number, fence?: LeaseFence): Promise<boolean> {
  const record = toStepRecord(id, name, result, now);
  for (;;) {
    const row = await db.selectFrom("jobs").select("steps_json").where("id", "=", id).executeTakeFirst();
    if (row === undefined) throw new Error(`job ${id} does not exist`);
    const steps = parseJsonObjectColumn(row.steps_json, "jobs", "steps_json", id);
    steps[name] = record;
    let q = db
      .updateTable("jobs")
      .set({ steps_json: JSON.stringify(steps), updated_at: now })
      .where("id", "=", id)
      .where("steps_json", "=", row.steps_json);
    if (fence !== undefined) q = q.where("status", "=", "running").where("lease_owner", "=", fence.workerId).where("attempts", "=", fence.attempt);
    if ((await q.executeTakeFirst()).numUpdatedRows === 1n) return true;
    if (fence !== undefined && !(await holdsLease(db, id, fence))) return false;
  }
}

/**
 * The record as it will read back: the result goes through JSON here, so the caller of a first run sees
 * the same value a replay would, and a result with no JSON form (a function, a BigInt) fails loudly.
 */
export function toStepRecord(id: number, name: string, result: unknown, now: number): StepRecord {
  if (result === undefined) return { completedAt: now };
  const text = toJsonColumn(result, `result of step "${name}" of job ${id}`);
  return { result: JSON.parse(text) as unknown, completedAt: now };
}

/** The steps recorded so far, read fresh from the database. */
export async function readSteps(db: Kysely<Tables>, id: number): Promise<Record<string, StepRecord>> {
  const row = await db.selectFrom("jobs").select("steps_json").where("id", "=", id).executeTakeFirst();
  if (row === undefined) throw new Error(`job ${id} does not exist`);
  return parseSteps(id, row.steps_json);
}

/** A job's steps_json column, checked to be a JSON object. */
export function parseSteps(id: number, stepsJson: string): Record<string, StepRecord> {
  return parseJsonObjectColumn(stepsJson, "jobs", "steps_json", id) as Record<string, StepRecord>;
}

export async function getJob(db: Kysely<Tables>, id: number): Promise<Job | null> {
  const row = await db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirst();
  return row === undefined ? null : toJob(row);
}

export interface ListJobsOptions {
  status?: JobStatus;
  type?: string;
  limit?: number;
}

/** Newest first. */
export async function listJobs(db: Kysely<Tables>, options: ListJobsOptions = {}): Promise<Job[]> {
  let q = db.selectFrom("jobs").selectAll();
  if (options.status !== undefined) q = q.where("status", "=", options.status);
  if (options.type !== undefined) q = q.where("type", "=", options.type);
  const rows = await q.orderBy("id", "desc").limit(options.limit ?? 100).execute();
  return rows.map(toJob);
}

/** Counts per status, for the dashboard and health checks. */
export async function countJobs(db: Kysely<Tables>): Promise<Record<JobStatus, number>> {
  const counts: Record<JobStatus, number> = { queued: 0, running: 0, succeeded: 0, failed: 0, dead: 0 };
  const rows = await db
    .selectFrom("jobs")
    .select((eb) => ["status", eb.fn.countAll<number>().as("n")])
    .groupBy("status")
    .execute();
  for (const r of rows) counts[r.status] = Number(r.n);
  return counts;
}

/**
 * Puts a dead job back in the queue with a fresh attempt budget; its recorded steps are kept, so steps that
 * already took effect are not repeated. False when the job is not dead, or an active job holds its dedupe key.
 *
 * One statement checks both; should a job with the key be enqueued concurrently on PostgreSQL, the unique
 * index refuses the second of the two, and that refusal reads as "already queued" here. (Inside a caller's
 * PostgreSQL transaction such a refusal aborts that transaction: the caller sees the error instead.)
 */
export async function requeueDead(db: Kysely<Tables>, id: number, now: number): Promise<boolean> {
  return withDelivery(db, (d) => markRequeued(d, id, now), (requeued, d) => (requeued ? getJob(d, id) : null));
}

async function markRequeued(db: Kysely<Tables>, id: number, now: number): Promise<boolean> {
  try {
    const result = await db
      .updateTable("jobs as j")
      .set({ status: "queued", attempts: 0, run_after: now, updated_at: now })
      .where("j.id", "=", id)
      .where("j.status", "=", "dead")
      .where((eb) =>
        eb.or([
          eb("j.dedupe_key", "is", null),
          eb.not(
            eb.exists(
              eb
                .selectFrom("jobs as a")
                .select("a.id")
                .whereRef("a.dedupe_key", "=", "j.dedupe_key")
                .where("a.status", "in", ACTIVE),
            ),
          ),
        ]),
      )
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  } catch (err) {
    if (!db.isTransaction && isUniqueViolation(err)) return false;
    throw err;
  }
}

/** A unique-constraint refusal, as better-sqlite3 and node-postgres report it. */
function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE";
}

/**
 * Deletes finished jobs (done or dead) last updated before `olderThan`; queued, running and waiting jobs
 * are kept however old. Returns rows removed.
 */
export async function pruneFinishedJobs(db: Kysely<Tables>, olderThan: number): Promise<number> {
  const result = await db.deleteFrom("jobs").where("status", "in", ["succeeded", "dead"]).where("updated_at", "<", olderThan).executeTakeFirst();
  return Number(result.numDeletedRows);
}
