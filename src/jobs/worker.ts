import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Kysely } from "kysely";
import type { Tables } from "../db/schema.js";
import { defaultBackoff } from "./backoff.js";
import type { BackoffPolicy, RandomSource } from "./backoff.js";
import { isTransientError, retryAfterMs } from "./errors.js";
import { pruneDeliveries } from "../store/deliveries.js";
import type { Delivery, JobDispatch } from "./dispatch.js";
import { complete, fail, heartbeat, leaseDelivered, leaseNext, parseSteps, pruneFinishedJobs, recordStep, toStepRecord } from "./queue.js";
import type { Job, LeaseFence, StepRecord } from "./queue.js";

/** The subset of pino the worker uses; Probot's `app.log` fits. */
export interface JobLogger {
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
  debug(obj: Record<string, unknown>, msg?: string): void;
}

/** Resolves after `ms`, or early (without throwing) once `signal` aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });

/**
 * Thrown by `ctx.step` when the worker no longer holds the job's lease (another worker may be running it),
 * or cannot tell that it does because its lease ran out without a renewal getting through.
 */
export class LeaseLostError extends Error {
  override readonly name = "LeaseLostError";
}

export interface JobContext {
  /** Aborted when this worker loses the job's lease; long handlers should stop at the next chance. */
  signal: AbortSignal;
  log: JobLogger;
  /**
   * A durable step. The first time, runs `fn` and stores its (JSON-serializable) result in the job's
   * `steps`; when the job runs again after a crash or a retry, returns the stored result without calling
   * `fn`. This is what lets a job leased by a process that died be finished by another without repeating
   * a branch, commit or comment.
   *
   * The guarantee stops at the gap between `fn`'s effect and the record: a crash there runs `fn` again, and
   * so does a lost lease, since only the lease holder records a step (this one then throws LeaseLostError).
   * So a step's effect must itself be idempotent or keyed — create the branch or update it if it exists,
   * look for the comment carrying this job's marker before posting — and the result must survive a JSON
   * round trip (no Dates, Maps or class instances). Step names must be unique within a job.
   */
  step<T>(name: string, fn: () => Promise<T> | T): Promise<T>;
  /**
   * A step whose effect is database writes only: `fn` runs inside the same transaction that records the
   * step, so its effect and the record commit together and it happens exactly once. `fn` writes through the
   * transaction it is given (on SQLite the store's connection is that transaction's connection too), and
   * must not wait on anything but that transaction: the job's row stays locked until it returns.
   */
  dbStep<T>(name: string, fn: (trx: Kysely<Tables>) => Promise<T> | T): Promise<T>;
}

export type JobHandler = (job: Job, ctx: JobContext) => Promise<void>;

export interface WorkerOptions {
  db: Kysely<Tables>;
  logger: JobLogger;
  /** Names this process in lease_owner; unique per process. */
  workerId?: string;
  /** Handlers running at once. */
  concurrency?: number;
  /** How often an idle worker looks for new jobs. */
  pollIntervalMs?: number;
  /** How long a lease lasts without renewal; a dead worker's job is picked up again after this. */
  leaseMs?: number;
  /** How often a running handler's lease is renewed (default leaseMs / 3). */
  heartbeatMs?: number;
  clock?: () => number;
  sleep?: Sleep;
  random?: RandomSource;
  backoff?: BackoffPolicy;
  /** Decides retry vs dead-letter for a thrown error (default {@link isTransientError}). */
  isTransient?: (err: unknown) => boolean;
  /** Finished jobs (done or dead) and webhook deliveries older than this are deleted (default 14 days). */
  retentionMs?: number;
  /**
   * How often the worker prunes, the first time when it starts (default hourly). With `dispatch`, pg-boss's
   * hourly schedule decides instead, once for all replicas.
   */
  pruneIntervalMs?: number;
  /**
   * PostgreSQL with pg-boss (dispatch.ts): jobs are taken from pg-boss's deliveries instead of by polling the
   * jobs table. The lease, steps and fencing are the same either way.
   */
  dispatch?: Pick<JobDispatch, "fetch" | "done" | "sender" | "takePrune" | "pruned">;
}

export const defaultRetentionMs = 14 * 24 * 60 * 60 * 1000;
export const defaultPruneIntervalMs = 60 * 60 * 1000;

export interface PruneResult {
  jobs: number;
  deliveries: number;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class Worker {
  readonly workerId: string;
  private readonly db: Kysely<Tables>;
  private readonly log: JobLogger;
  private readonly concurrency: number;
  private readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  private readonly heartbeatMs: number;
  private readonly clock: () => number;
  private readonly sleep: Sleep;
  private readonly random: RandomSource;
  private readonly backoff: BackoffPolicy;
  private readonly isTransient: (err: unknown) => boolean;
  private readonly retentionMs: number;
  private readonly pruneIntervalMs: number;
  private readonly dispatch: WorkerOptions["dispatch"];
  private nextPruneAt: number | null = null;
  private readonly handlers = new Map<string, JobHandler>();
  private readonly active = new Set<Promise<void>>();
  private loop: Promise<void> | null = null;
  private stopping = false;
  private wakeController = new AbortController();

  constructor(options: WorkerOptions) {
    this.db = options.db;
    this.log = options.logger;
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
    this.concurrency = options.concurrency ?? 2;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.heartbeatMs = options.heartbeatMs ?? Math.max(1, Math.floor(this.leaseMs / 3));
    this.clock = options.clock ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    this.backoff = options.backoff ?? defaultBackoff;
    this.isTransient = options.isTransient ?? isTransientError;
    this.retentionMs = options.retentionMs ?? defaultRetentionMs;
    this.pruneIntervalMs = options.pruneIntervalMs ?? defaultPruneIntervalMs;
    this.dispatch = options.dispatch;
    if (!Number.isFinite(this.retentionMs) || this.retentionMs <= 0) {
      throw new Error(`retentionMs should be a positive number of milliseconds, got ${String(options.retentionMs)}`);
    }
    if (!Number.isFinite(this.pruneIntervalMs) || this.pruneIntervalMs <= 0) {
      throw new Error(`pruneIntervalMs should be a positive number of milliseconds, got ${String(options.pruneIntervalMs)}`);
    }
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) {
      throw new Error(`worker concurrency should be a whole number ≥ 1, got ${String(options.concurrency)}`);
    }
    if (this.heartbeatMs >= this.leaseMs) {
      throw new Error(`heartbeatMs (${this.heartbeatMs}) should be shorter than leaseMs (${this.leaseMs})`);
    }
  }

  register(type: string, handler: JobHandler): this {
    if (this.handlers.has(type)) throw new Error(`a handler for job type "${type}" is already registered`);
    this.handlers.set(type, handler);
    return this;
  }

  get running(): number {
    return this.active.size;
  }

  start(): void {
    if (this.loop !== null) return;
    this.stopping = false;
    this.log.info(
      { workerId: this.workerId, types: [...this.handlers.keys()], concurrency: this.concurrency },
      "job worker started",
    );
    this.loop = this.pollLoop();
  }

  /**
   * Stops leasing new jobs and resolves once every running handler has finished. A handler that never
   * settles keeps this pending; its job is picked up again by the next process once the lease expires.
   */
  async stop(): Promise<void> {
    if (this.loop === null) return;
    this.stopping = true;
    this.wake();
    await this.loop;
    await Promise.allSettled([...this.active]);
    this.loop = null;
    this.log.info({ workerId: this.workerId }, "job worker stopped");
  }

  /** Leases as many jobs as there are free slots, without waiting for them; returns how many were taken. */
  private async fill(): Promise<number> {
    if (this.dispatch !== undefined) return this.fillFromDeliveries(this.dispatch);
    let taken = 0;
    while (this.active.size < this.concurrency && !this.stopping) {
      let job: Job | null;
      try {
        job = await leaseNext(this.db, this.workerId, this.clock(), this.leaseMs, { types: [...this.handlers.keys()] });
      } catch (err) {
        this.log.error({ workerId: this.workerId, error: errorMessage(err) }, "could not lease a job");
        break;
      }
      if (job === null) break;
      taken += 1;
      this.track(this.execute(job));
    }
    return taken;
  }

  /** Counts `work` as a running job until it settles, then wakes the loop to fill the freed slot. */
  private track(work: Promise<unknown>): void {
    const run: Promise<void> = work
      .then(() => undefined)
      .finally(() => {
        this.active.delete(run);
        this.wake();
      });
    this.active.add(run);
  }

  /**
   * Takes pg-boss's due deliveries for the free slots and runs each job whose lease it gets. A delivery for a
   * job that cannot run yet is answered by a new delivery at the time it can (its retry time, or the end of
   * another worker's lease); one for a finished job is just completed.
   */
  private async fillFromDeliveries(dispatch: NonNullable<WorkerOptions["dispatch"]>): Promise<number> {
    const free = this.concurrency - this.active.size;
    if (free <= 0 || this.stopping) return 0;
    let deliveries: Delivery[];
    try {
      deliveries = await dispatch.fetch(free);
    } catch (err) {
      this.log.error({ workerId: this.workerId, error: errorMessage(err) }, "could not fetch job deliveries");
      return 0;
    }
    let taken = 0;
    for (const delivery of deliveries) {
      try {
        const now = this.clock();
        const found = await leaseDelivered(this.db, delivery.jobId, this.workerId, now, this.leaseMs, { types: [...this.handlers.keys()] });
        if (found.kind === "leased") {
          taken += 1;
          this.track(
            this.execute(found.job)
              // Completed only when this worker recorded the outcome: a delivery of a job whose lease passed to
              // another worker expires instead, and whoever fetches it again looks at the job afresh.
              .then((settled) => (settled ? dispatch.done(delivery) : undefined))
              .catch((err: unknown) => this.log.warn({ workerId: this.workerId, jobId: delivery.jobId, error: errorMessage(err) }, "could not complete a job delivery")),
          );
          continue;
        }
        if (found.kind === "later") await dispatch.sender.send(this.db, found.job, found.at);
        else if (found.kind === "other-type") await dispatch.sender.send(this.db, found.job, now + this.pollIntervalMs);
        await dispatch.done(delivery);
      } catch (err) {
        // Left active: pg-boss hands it out again once it expires.
        this.log.error({ workerId: this.workerId, jobId: delivery.jobId, error: errorMessage(err) }, "could not take a delivered job");
      }
    }
    return taken;
  }

  private wake(): void {
    this.wakeController.abort();
  }

  /**
   * Deletes finished jobs (done or dead) and webhook deliveries older than the retention period; the poll
   * loop calls it every pruneIntervalMs. A failure is logged and tried again at the next interval.
   */
  async prune(): Promise<PruneResult> {
    const olderThan = this.clock() - this.retentionMs;
    const result = { jobs: await pruneFinishedJobs(this.db, olderThan), deliveries: await pruneDeliveries(this.db, olderThan) };
    if (result.jobs > 0 || result.deliveries > 0) {
      this.log.info({ workerId: this.workerId, ...result, olderThan: new Date(olderThan).toISOString() }, "pruned old jobs and deliveries");
    }
    return result;
  }

  private async pruneWhenDue(): Promise<void> {
    if (this.dispatch !== undefined) return this.pruneWhenScheduled(this.dispatch);
    const now = this.clock();
    if (this.nextPruneAt !== null && now < this.nextPruneAt) return;
    this.nextPruneAt = now + this.pruneIntervalMs;
    try {
      await this.prune();
    } catch (err) {
      this.log.error({ workerId: this.workerId, error: errorMessage(err) }, "could not prune old jobs and deliveries");
    }
  }

  /** Prunes when pg-boss's schedule handed this replica the hour's pruning. */
  private async pruneWhenScheduled(dispatch: NonNullable<WorkerOptions["dispatch"]>): Promise<void> {
    // The schedule puts in at most one a minute: looking more often only costs queries.
    const now = this.clock();
    if (this.nextPruneAt !== null && now < this.nextPruneAt) return;
    this.nextPruneAt = now + Math.min(this.pruneIntervalMs, 60_000);
    try {
      const id = await dispatch.takePrune();
      if (id === undefined) return;
      try {
        await this.prune();
      } finally {
        await dispatch.pruned(id);
      }
    } catch (err) {
      this.log.error({ workerId: this.workerId, error: errorMessage(err) }, "could not prune old jobs and deliveries");
    }
  }

  private async pollLoop(): Promise<void> {
    while (!this.stopping) {
      await this.pruneWhenDue();
      await this.fill();
      const wake = this.wakeController;
      await this.sleep(this.pollIntervalMs, wake.signal);
      // A wake-up that arrived during fill() or the sleep is consumed here; one after this is not lost,
      // since it aborts the fresh controller and the next sleep returns at once.
      if (wake.signal.aborted) this.wakeController = new AbortController();
    }
  }

  /** Runs the job under its lease; true when its outcome (done, retry or dead) was recorded under that lease. */
  private async execute(job: Job): Promise<boolean> {
    const handler = this.handlers.get(job.type);
    const fields = { workerId: this.workerId, jobId: job.id, type: job.type, attempt: job.attempts };
    const started = this.clock();
    const lease = new AbortController();
    const fence: LeaseFence = { workerId: this.workerId, attempt: job.attempts };
    // Until when this worker may act for the job: moved on by each renewal that gets through.
    const held = { until: job.leaseExpiresAt ?? this.clock() + this.leaseMs };
    const heartbeatStop = new AbortController();
    const beats = this.renewLease(job, fence, held, lease, heartbeatStop.signal, fields);
    this.log.debug(fields, "job leased");
    try {
      if (handler === undefined) throw new Error(`no handler registered for job type "${job.type}"`);
      await handler(job, this.context(job, fence, held, lease, fields));
      const done = await complete(this.db, job.id, { now: this.clock(), workerId: this.workerId, attempt: fence.attempt });
      if (done) this.log.info({ ...fields, durationMs: this.clock() - started }, "job succeeded");
      else this.log.warn(fields, "job finished after its lease passed to another worker; result not recorded");
      return done;
    } catch (err) {
      return await this.recordFailure(job, err, fields);
    } finally {
      heartbeatStop.abort();
      await beats;
    }
  }

  /** True when the failure was recorded under this worker's lease. */
  private async recordFailure(job: Job, err: unknown, fields: Record<string, unknown>): Promise<boolean> {
    if (err instanceof LeaseLostError) {
      // The job is another worker's, or will be once its lease expires: the next lease runs it again.
      this.log.warn({ ...fields, error: errorMessage(err) }, "job stopped: its lease was lost or ran out");
      return false;
    }
    const now = this.clock();
    const transient = this.isTransient(err);
    try {
      const updated = await fail(this.db, job.id, err, {
        transient,
        now,
        workerId: this.workerId,
        attempt: job.attempts,
        random: this.random,
        backoff: this.backoff,
        retryAfterMs: retryAfterMs(err, now),
      });
      if (updated === null) {
        this.log.warn({ ...fields, error: errorMessage(err) }, "job failed after its lease passed to another worker");
        return false;
      } else if (updated.status === "failed") {
        this.log.warn(
          { ...fields, error: errorMessage(err), retryInMs: updated.runAfter - now },
          "job failed, will retry",
        );
      } else {
        this.log.error({ ...fields, error: errorMessage(err), transient }, "job dead-lettered");
      }
      return true;
    } catch (recordErr) {
      this.log.error(
        { ...fields, error: errorMessage(err), recordError: errorMessage(recordErr) },
        "job failed and the failure could not be recorded",
      );
      return false;
    }
  }

  private async renewLease(
    job: Job,
    fence: LeaseFence,
    held: { until: number },
    lease: AbortController,
    stop: AbortSignal,
    fields: Record<string, unknown>,
  ): Promise<void> {
    while (!stop.aborted) {
      await this.sleep(this.heartbeatMs, stop);
      if (stop.aborted) return;
      try {
        const now = this.clock();
        if (await heartbeat(this.db, job.id, this.workerId, now, this.leaseMs, fence.attempt)) {
          held.until = now + this.leaseMs;
        } else {
          this.log.warn(fields, "job lease lost to another worker");
          lease.abort(new LeaseLostError(`lease on job ${job.id} lost`));
          return;
        }
      } catch (err) {
        // A busy database delays one renewal; the lease still has two thirds of its time left, and no step
        // starts once it has run out without a renewal.
        this.log.warn({ ...fields, error: errorMessage(err) }, "could not renew job lease");
      }
    }
  }

  private context(
    job: Job,
    fence: LeaseFence,
    held: { until: number },
    lease: AbortController,
    fields: Record<string, unknown>,
  ): JobContext {
    const signal = lease.signal;
    const lost = (message: string): LeaseLostError => {
      const error = new LeaseLostError(message);
      if (!signal.aborted) lease.abort(error);
      return error;
    };
    const used = new Set<string>();
    const steps: Record<string, StepRecord> = { ...job.steps };
    const claim = (name: string) => {
      if (name === "") throw new Error("step name is empty");
      if (used.has(name)) throw new Error(`step "${name}" used twice in job ${job.id}; step names must be unique`);
      used.add(name);
    };
    const checkLease = (name: string) => {
      if (signal.aborted) throw new LeaseLostError(`lease on job ${job.id} lost before step "${name}"`);
      if (this.clock() >= held.until) throw lost(`lease on job ${job.id} ran out without a renewal before step "${name}"`);
    };
    return {
      signal,
      log: this.log,
      step: async <T>(name: string, fn: () => Promise<T> | T): Promise<T> => {
        claim(name);
        const stored = steps[name];
        if (stored !== undefined) {
          this.log.debug({ ...fields, step: name }, "step already done, reusing its result");
          return stored.result as T;
        }
        checkLease(name);
        const result = await fn();
        const now = this.clock();
        const record = toStepRecord(job.id, name, result, now);
        if (!(await recordStep(this.db, job.id, name, result, now, fence))) {
          throw lost(`lease on job ${job.id} lost during step "${name}"; its result was not recorded`);
        }
        steps[name] = record;
        this.log.debug({ ...fields, step: name }, "step done");
        // The JSON round-tripped value, so a first run sees exactly what a replay after a crash would.
        return record.result as T;
      },
      dbStep: async <T>(name: string, fn: (trx: Kysely<Tables>) => Promise<T> | T): Promise<T> => {
        claim(name);
        checkLease(name);
        return this.db.transaction().execute(async (trx): Promise<T> => {
          // A write first, fenced by the lease: it checks the lease and locks the job's row (on SQLite it takes
          // the write lock at once, so the transaction never has to upgrade a read lock another writer holds).
          const current = await claimForStep(trx, job.id, fence, this.clock());
          if (current === null) throw lost(`lease on job ${job.id} lost before step "${name}"`);
          const stored = current[name];
          if (stored !== undefined) return stored.result as T;
          const result = await fn(trx);
          const now = this.clock();
          const record = toStepRecord(job.id, name, result, now);
          current[name] = record;
          await trx.updateTable("jobs").set({ steps_json: JSON.stringify(current), updated_at: now }).where("id", "=", job.id).execute();
          steps[name] = record;
          return record.result as T;
        });
      },
    };
  }
}

/**
 * Touches the job's row if `fence` still holds its lease and returns its recorded steps; null when the lease
 * is gone. Inside a transaction the row stays locked until it ends, so no other worker records a step meanwhile.
 */
async function claimForStep(trx: Kysely<Tables>, id: number, fence: LeaseFence, now: number): Promise<Record<string, StepRecord> | null> {
  const row = await trx
    .updateTable("jobs")
    .set({ updated_at: now })
    .where("id", "=", id)
    .where("status", "=", "running")
    .where("lease_owner", "=", fence.workerId)
    .where("attempts", "=", fence.attempt)
    .returning("steps_json")
    .executeTakeFirst();
  return row === undefined ? null : parseSteps(id, row.steps_json);
}
