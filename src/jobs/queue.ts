import type { Database } from "better-sqlite3";
import { parseJsonColumn, parseJsonObjectColumn, toJsonColumn } from "../store/json.js";
import { backoffDelayMs, defaultBackoff } from "./backoff.js";
import type { BackoffPolicy, RandomSource } from "./backoff.js";
import { describeError } from "./errors.js";

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

interface JobRow {
  id: number;
  type: string;
  payload_json: string;
  dedupe_key: string | null;
  status: JobStatus;
  attempts: number;
  max_attempts: number;
  run_after: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  last_error: string | null;
  steps_json: string;
  created_at: number;
  updated_at: number;
}

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
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at,
    lastError: row.last_error,
    steps: parseJsonObjectColumn(row.steps_json, "jobs", "steps_json", row.id) as Record<string, StepRecord>,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface EnqueueResult {
  job: Job;
  /** false when an active job with the same dedupe key was returned instead. */
  created: boolean;
}

export function enqueue(db: Database, input: NewJob, now: number): EnqueueResult {
  if (typeof input.type !== "string" || input.type === "") throw new Error("job type is required");
  const maxAttempts = input.maxAttempts ?? defaultMaxAttempts;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new Error(`job maxAttempts should be a whole number ≥ 1, got ${String(input.maxAttempts)}`);
  }
  const payload = toJsonColumn(input.payload, `payload of ${input.type} job`);
  const dedupeKey = input.dedupeKey ?? null;
  const priority = input.priority ?? 0;
  if (!Number.isInteger(priority) || priority < 0) throw new Error(`job priority should be a whole number ≥ 0, got ${String(input.priority)}`);
  return db
    .transaction((): EnqueueResult => {
      if (dedupeKey !== null) {
        const existing = db
          .prepare("SELECT * FROM jobs WHERE dedupe_key = ? AND status IN ('queued', 'running', 'failed')")
          .get(dedupeKey) as JobRow | undefined;
        if (existing !== undefined) return { job: toJob(existing), created: false };
      }
      const row = db
        .prepare(
          `INSERT INTO jobs (type, payload_json, dedupe_key, status, max_attempts, run_after, priority, created_at, updated_at)
           VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?) RETURNING *`,
        )
        .get(input.type, payload, dedupeKey, maxAttempts, input.runAfter ?? now, priority, now, now) as JobRow;
      return { job: toJob(row), created: true };
    })
    .immediate();
}

/** The job with this dedupe key that can still run (queued, running or waiting to retry), if any. */
export function findActiveJob(db: Database, dedupeKey: string): Job | null {
  const row = db.prepare("SELECT * FROM jobs WHERE dedupe_key = ? AND status IN ('queued', 'running', 'failed')").get(dedupeKey) as JobRow | undefined;
  return row === undefined ? null : toJob(row);
}

export interface LeaseOptions {
  /** Only these job types (a worker leases only what it has handlers for). Omitted: any type. */
  types?: readonly string[];
}

/**
 * Takes the next runnable job for `workerId` until `now + leaseMs`: first a running job whose lease has
 * expired (its worker died), else the queued or retry-waiting job with the earliest run_after ≤ now.
 * The whole choice runs in one IMMEDIATE transaction, so two workers — in one process or several —
 * never lease the same job. A job whose lease expired on its last allowed attempt is moved to `dead`.
 */
export function leaseNext(
  db: Database,
  workerId: string,
  now: number,
  leaseMs: number,
  options: LeaseOptions = {},
): Job | null {
  if (workerId === "") throw new Error("workerId is empty");
  if (!(leaseMs > 0)) throw new Error(`leaseMs should be positive, got ${leaseMs}`);
  const types = options.types;
  if (types !== undefined && types.length === 0) return null;
  const typeFilter = types === undefined ? "" : `AND type IN (${types.map(() => "?").join(", ")})`;
  const typeParams = types ?? [];
  return db
    .transaction((): Job | null => {
      db.prepare(
        `UPDATE jobs SET status = 'dead', lease_owner = NULL, lease_expires_at = NULL, updated_at = @now,
           last_error = 'lease held by ' || COALESCE(lease_owner, '?') || ' expired during attempt ' || attempts
             || ' of ' || max_attempts || ' (the worker stopped without finishing)'
             || CASE WHEN last_error IS NULL THEN '' ELSE char(10) || 'previous error: ' || last_error END
         WHERE status = 'running' AND lease_expires_at <= @now AND attempts >= max_attempts`,
      ).run({ now });
      const expired = db
        .prepare(
          `SELECT id FROM jobs WHERE status = 'running' AND lease_expires_at <= ? ${typeFilter}
           ORDER BY lease_expires_at, id LIMIT 1`,
        )
        .get(now, ...typeParams) as { id: number } | undefined;
      let id = expired?.id;
      if (id === undefined) {
        const urgent = db
          .prepare(
            `SELECT id FROM jobs WHERE status = 'queued' AND priority > 0 AND run_after <= ? ${typeFilter}
             ORDER BY priority DESC, run_after, id LIMIT 1`,
          )
          .get(now, ...typeParams) as { id: number } | undefined;
        id = urgent?.id;
      }
      if (id === undefined) {
        // One indexed probe per status keeps a lease O(log n) however long the queue is.
        const ready = (status: "queued" | "failed") =>
          db
            .prepare(
              `SELECT id, run_after FROM jobs WHERE status = ? AND run_after <= ? ${typeFilter}
               ORDER BY run_after, id LIMIT 1`,
            )
            .get(status, now, ...typeParams) as { id: number; run_after: number } | undefined;
        const q = ready("queued");
        const f = ready("failed");
        const first = q && f ? (f.run_after < q.run_after || (f.run_after === q.run_after && f.id < q.id) ? f : q) : (q ?? f);
        id = first?.id;
      }
      if (id === undefined) return null;
      const row = db
        .prepare(
          `UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = ?, lease_expires_at = ?,
             updated_at = ? WHERE id = ? RETURNING *`,
        )
        .get(workerId, now + leaseMs, now, id) as JobRow;
      return toJob(row);
    })
    .immediate();
}

/**
 * Extends the lease. False when the job is no longer running under this worker (its lease was taken over);
 * with `attempt`, also when the job was leased again since (by this same worker id, after its lease expired).
 */
export function heartbeat(db: Database, id: number, workerId: string, now: number, leaseMs: number, attempt?: number): boolean {
  return (
    db
      .prepare(
        `UPDATE jobs SET lease_expires_at = ?, updated_at = ?
          WHERE id = ? AND status = 'running' AND lease_owner = ? AND (? IS NULL OR attempts = ?)`,
      )
      .run(now + leaseMs, now, id, workerId, attempt ?? null, attempt ?? null).changes === 1
  );
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
export function complete(db: Database, id: number, options: CompleteOptions): boolean {
  return (
    db
      .prepare(
        `UPDATE jobs SET status = 'succeeded', lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
          WHERE id = ? AND status = 'running' AND (? IS NULL OR lease_owner = ?) AND (? IS NULL OR attempts = ?)`,
      )
      .run(options.now, id, options.workerId ?? null, options.workerId ?? null, options.attempt ?? null, options.attempt ?? null)
      .changes === 1
  );
}

/** True when the job is running under exactly this lease. */
export function holdsLease(db: Database, id: number, fence: LeaseFence): boolean {
  return (
    db
      .prepare("SELECT 1 FROM jobs WHERE id = ? AND status = 'running' AND lease_owner = ? AND attempts = ?")
      .get(id, fence.workerId, fence.attempt) !== undefined
  );
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
 */
export function fail(db: Database, id: number, error: unknown, options: FailOptions): Job | null {
  const message = describeError(error);
  return db
    .transaction((): Job | null => {
      const row = db
        .prepare(
          `SELECT * FROM jobs WHERE id = ? AND status = 'running' AND (? IS NULL OR lease_owner = ?)
             AND (? IS NULL OR attempts = ?)`,
        )
        .get(id, options.workerId ?? null, options.workerId ?? null, options.attempt ?? null, options.attempt ?? null) as
        | JobRow
        | undefined;
      if (row === undefined) return null;
      const retry = options.transient && row.attempts < row.max_attempts;
      let updated: JobRow;
      if (retry) {
        const delay = Math.max(
          backoffDelayMs(row.attempts, options.random ?? Math.random, options.backoff ?? defaultBackoff),
          options.retryAfterMs ?? 0,
        );
        updated = db
          .prepare(
            `UPDATE jobs SET status = 'failed', run_after = ?, last_error = ?, lease_owner = NULL,
               lease_expires_at = NULL, updated_at = ? WHERE id = ? RETURNING *`,
          )
          .get(options.now + delay, message, options.now, id) as JobRow;
      } else {
        const why = options.transient
          ? `gave up after ${row.attempts} of ${row.max_attempts} attempts: ${message}`
          : `permanent failure on attempt ${row.attempts}: ${message}`;
        updated = db
          .prepare(
            `UPDATE jobs SET status = 'dead', last_error = ?, lease_owner = NULL, lease_expires_at = NULL,
               updated_at = ? WHERE id = ? RETURNING *`,
          )
          .get(why, options.now, id) as JobRow;
      }
      return toJob(updated);
    })
    .immediate();
}

/**
 * Stores a durable step's result. With `fence`, only while that lease holds the job: a worker that lost
 * its lease records nothing (false), so the job's steps are written by its current owner alone, and a step
 * whose record was refused runs again under the next lease (which is why a step's effect must be keyed).
 */
export function recordStep(db: Database, id: number, name: string, result: unknown, now: number, fence?: LeaseFence): boolean {
  const record = toStepRecord(id, name, result, now);
  return db
    .transaction((): boolean => {
      const steps = readSteps(db, id);
      if (fence !== undefined && !holdsLease(db, id, fence)) return false;
      steps[name] = record;
      db.prepare("UPDATE jobs SET steps_json = ?, updated_at = ? WHERE id = ?").run(JSON.stringify(steps), now, id);
      return true;
    })
    .immediate();
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
export function readSteps(db: Database, id: number): Record<string, StepRecord> {
  const row = db.prepare("SELECT steps_json FROM jobs WHERE id = ?").get(id) as { steps_json: string } | undefined;
  if (row === undefined) throw new Error(`job ${id} does not exist`);
  return parseJsonObjectColumn(row.steps_json, "jobs", "steps_json", id) as Record<string, StepRecord>;
}

export function getJob(db: Database, id: number): Job | null {
  const row = db.prepare("SELECT * FROM jobs WHERE id = ?").get(id) as JobRow | undefined;
  return row === undefined ? null : toJob(row);
}

export interface ListJobsOptions {
  status?: JobStatus;
  type?: string;
  limit?: number;
}

/** Newest first. */
export function listJobs(db: Database, options: ListJobsOptions = {}): Job[] {
  const rows = db
    .prepare(
      `SELECT * FROM jobs WHERE (? IS NULL OR status = ?) AND (? IS NULL OR type = ?)
        ORDER BY id DESC LIMIT ?`,
    )
    .all(
      options.status ?? null,
      options.status ?? null,
      options.type ?? null,
      options.type ?? null,
      options.limit ?? 100,
    ) as JobRow[];
  return rows.map(toJob);
}

/** Counts per status, for the dashboard and health checks. */
export function countJobs(db: Database): Record<JobStatus, number> {
  const counts: Record<JobStatus, number> = { queued: 0, running: 0, succeeded: 0, failed: 0, dead: 0 };
  for (const r of db.prepare("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status").all() as {
    status: JobStatus;
    n: number;
  }[]) {
    counts[r.status] = r.n;
  }
  return counts;
}

/**
 * Puts a dead job back in the queue with a fresh attempt budget; its recorded steps are kept, so steps that
 * already took effect are not repeated. False when the job is not dead, or an active job holds its dedupe key.
 */
export function requeueDead(db: Database, id: number, now: number): boolean {
  return db
    .transaction((): boolean => {
      const row = db.prepare("SELECT * FROM jobs WHERE id = ? AND status = 'dead'").get(id) as JobRow | undefined;
      if (row === undefined) return false;
      if (row.dedupe_key !== null) {
        const active = db
          .prepare("SELECT 1 FROM jobs WHERE dedupe_key = ? AND status IN ('queued', 'running', 'failed')")
          .get(row.dedupe_key);
        if (active !== undefined) return false;
      }
      db.prepare("UPDATE jobs SET status = 'queued', attempts = 0, run_after = ?, updated_at = ? WHERE id = ?").run(
        now,
        now,
        id,
      );
      return true;
    })
    .immediate();
}

/**
 * Deletes finished jobs (done or dead) last updated before `olderThan`; queued, running and waiting jobs
 * are kept however old. Returns rows removed.
 */
export function pruneFinishedJobs(db: Database, olderThan: number): number {
  return db.prepare("DELETE FROM jobs WHERE status IN ('succeeded', 'dead') AND updated_at < ?").run(olderThan).changes;
}
