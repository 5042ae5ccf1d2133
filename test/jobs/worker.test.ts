import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { seededRandom, backoffDelayMs } from "../../src/jobs/backoff.js";
import { TransientJobError } from "../../src/jobs/errors.js";
import { enqueue, getJob, leaseNext, recordStep } from "../../src/jobs/queue.js";
import { LeaseLostError, Worker } from "../../src/jobs/worker.js";
import type { WorkerOptions } from "../../src/jobs/worker.js";
import { openDatabase } from "../../src/store/database.js";
import type { Database } from "../../src/store/database.js";
import { recordDelivery } from "../../src/store/deliveries.js";
import { tempDir } from "../store/helpers.js";
import { captureLogger, deferred, waitFor } from "./helpers.js";

let db: Database;
let path: string;
let cleanup: () => void;
const workers: Worker[] = [];

beforeEach(() => {
  const t = tempDir("opforge-worker-");
  cleanup = t.cleanup;
  path = join(t.dir, "opforge.db");
  db = openDatabase(path);
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
  db.close();
  cleanup();
});

function makeWorker(options: Partial<WorkerOptions> = {}) {
  const { logger, lines } = captureLogger();
  const worker = new Worker({ db, logger, workerId: "w-test", pollIntervalMs: 5, ...options });
  workers.push(worker);
  return { worker, lines };
}

const status = (id: number) => getJob(db, id)?.status;

describe("Worker", () => {
  it("runs a registered handler and marks the job succeeded", async () => {
    const { worker, lines } = makeWorker();
    const seen: unknown[] = [];
    worker.register("greet", async (job) => {
      seen.push(job.payload);
    });
    const { job } = enqueue(db, { type: "greet", payload: { name: "airflow" } }, Date.now());
    worker.start();
    await waitFor(() => status(job.id) === "succeeded", "job to succeed");
    expect(seen).toEqual([{ name: "airflow" }]);
    const done = lines.find((l) => l.msg === "job succeeded");
    expect(done?.obj).toMatchObject({ jobId: job.id, type: "greet", attempt: 1, workerId: "w-test" });
  });

  it("never runs more handlers at once than its concurrency", async () => {
    const { worker } = makeWorker({ concurrency: 2 });
    const gate = deferred();
    let running = 0;
    let peak = 0;
    worker.register("slow", async () => {
      running += 1;
      peak = Math.max(peak, running);
      await gate.promise;
      running -= 1;
    });
    const ids = Array.from({ length: 5 }, (_, i) => enqueue(db, { type: "slow", payload: i }, Date.now()).job.id);
    worker.start();
    await waitFor(() => running === 2, "two handlers to start");
    await new Promise((r) => setTimeout(r, 30));
    expect(running).toBe(2);
    expect(ids.filter((id) => status(id) === "queued")).toHaveLength(3);
    gate.resolve();
    await waitFor(() => ids.every((id) => status(id) === "succeeded"), "all jobs to succeed");
    expect(peak).toBe(2);
  });

  it("leaves job types it has no handler for in the queue", async () => {
    const { worker } = makeWorker();
    worker.register("known", async () => undefined);
    const other = enqueue(db, { type: "unknown", payload: {} }, Date.now()).job;
    const known = enqueue(db, { type: "known", payload: {} }, Date.now()).job;
    worker.start();
    await waitFor(() => status(known.id) === "succeeded", "known job");
    expect(status(other.id)).toBe("queued");
  });

  it("retries a transient failure after a seeded backoff on a fake clock, then succeeds", async () => {
    let now = 1_700_000_000_000;
    const policy = { baseMs: 10_000, maxMs: 60_000, jitterRatio: 0.5 };
    const { worker, lines } = makeWorker({ clock: () => now, random: seededRandom(3), backoff: policy });
    let calls = 0;
    worker.register("flaky", async () => {
      calls += 1;
      if (calls === 1) throw Object.assign(new Error("Bad Gateway"), { status: 502 });
    });
    const { job } = enqueue(db, { type: "flaky", payload: {} }, now);
    worker.start();
    await waitFor(() => status(job.id) === "failed", "first failure");
    const expectedWait = backoffDelayMs(1, seededRandom(3), policy);
    expect(getJob(db, job.id)).toMatchObject({ runAfter: now + expectedWait, attempts: 1 });
    expect(getJob(db, job.id)?.lastError).toMatch(/^Error: Bad Gateway \(HTTP 502\)/);
    expect(lines.find((l) => l.msg === "job failed, will retry")?.obj).toMatchObject({ retryInMs: expectedWait });

    now += expectedWait - 1;
    await new Promise((r) => setTimeout(r, 30));
    expect(calls).toBe(1);
    now += 1;
    await waitFor(() => status(job.id) === "succeeded", "retry to succeed");
    expect(calls).toBe(2);
    expect(getJob(db, job.id)?.attempts).toBe(2);
  });

  it("dead-letters a permanent failure and logs it as an error", async () => {
    const { worker, lines } = makeWorker();
    worker.register("broken", async () => {
      throw new Error("spec field `name` is missing");
    });
    const { job } = enqueue(db, { type: "broken", payload: {} }, Date.now());
    worker.start();
    await waitFor(() => status(job.id) === "dead", "job to be dead");
    expect(getJob(db, job.id)?.lastError).toMatch(/^permanent failure on attempt 1: Error: spec field `name` is missing/);
    expect(lines.find((l) => l.level === "error")?.msg).toBe("job dead-lettered");
  });

  it("stop() waits for running handlers and leases nothing more", async () => {
    const { worker } = makeWorker({ concurrency: 1 });
    const started = deferred();
    const release = deferred();
    worker.register("long", async () => {
      started.resolve();
      await release.promise;
    });
    const first = enqueue(db, { type: "long", payload: 1 }, Date.now()).job;
    const second = enqueue(db, { type: "long", payload: 2 }, Date.now()).job;
    worker.start();
    await started.promise;
    let stopped = false;
    const stopping = worker.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(stopped).toBe(false);
    expect(status(first.id)).toBe("running");
    release.resolve();
    await stopping;
    expect(status(first.id)).toBe("succeeded");
    expect(status(second.id)).toBe("queued");
  });

  it("renews the lease while a handler runs, so no other worker takes the job", async () => {
    const { worker } = makeWorker({ leaseMs: 80, heartbeatMs: 15 });
    const release = deferred();
    worker.register("long", async () => {
      await release.promise;
    });
    const { job } = enqueue(db, { type: "long", payload: {} }, Date.now());
    worker.start();
    await waitFor(() => status(job.id) === "running", "job to start");
    const other = openDatabase(path);
    try {
      const until = Date.now() + 300;
      while (Date.now() < until) {
        expect(leaseNext(other, "thief", Date.now(), 80)).toBeNull();
        await new Promise((r) => setTimeout(r, 10));
      }
    } finally {
      other.close();
    }
    release.resolve();
    await waitFor(() => status(job.id) === "succeeded", "job to succeed");
    expect(getJob(db, job.id)?.attempts).toBe(1);
  });

  it("aborts the handler's signal and refuses further steps once the lease is lost", async () => {
    const { worker, lines } = makeWorker({ leaseMs: 1_000, heartbeatMs: 10 });
    const effects: string[] = [];
    let stepError: unknown;
    worker.register("long", async (_job, ctx) => {
      await ctx.step("first", () => effects.push("first"));
      await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
      try {
        await ctx.step("second", () => effects.push("second"));
      } catch (err) {
        stepError = err;
        throw err;
      }
    });
    const { job } = enqueue(db, { type: "long", payload: {} }, Date.now());
    worker.start();
    await waitFor(() => effects.length === 1, "first step");
    // Another worker took the job over (as after a long pause past the lease).
    db.prepare("UPDATE jobs SET lease_owner = 'other-worker' WHERE id = ?").run(job.id);
    await waitFor(() => stepError !== undefined, "the second step to be refused");
    expect(stepError).toBeInstanceOf(LeaseLostError);
    expect(effects).toEqual(["first"]);
    await waitFor(() => lines.some((l) => l.msg === "job stopped: its lease was lost or ran out"), "log");
    expect(getJob(db, job.id)).toMatchObject({ status: "running", leaseOwner: "other-worker" });
    expect(lines.some((l) => l.msg === "job lease lost to another worker")).toBe(true);
  });
});

describe("durable steps", () => {
  it("reuses results of steps recorded by an earlier run and runs only the rest", async () => {
    const { worker } = makeWorker();
    const calls: string[] = [];
    const results: unknown[] = [];
    worker.register("publish", async (_job, ctx) => {
      results.push(await ctx.step("create-branch", () => (calls.push("create-branch"), { ref: "new" })));
      results.push(await ctx.step("commit", async () => (calls.push("commit"), "sha-2")));
      results.push(await ctx.step("comment", () => void calls.push("comment")));
    });
    const { job } = enqueue(db, { type: "publish", payload: {} }, Date.now());
    recordStep(db, job.id, "create-branch", { ref: "refs/heads/opforge/7" }, 1);
    worker.start();
    await waitFor(() => status(job.id) === "succeeded", "job");
    expect(calls).toEqual(["commit", "comment"]);
    expect(results).toEqual([{ ref: "refs/heads/opforge/7" }, "sha-2", undefined]);
    expect(Object.keys(getJob(db, job.id)?.steps ?? {})).toEqual(["create-branch", "commit", "comment"]);
  });

  it("returns a first run's result as JSON would store it, so replays see the same value", async () => {
    const { worker } = makeWorker();
    let seen: unknown;
    worker.register("dates", async (_job, ctx) => {
      seen = await ctx.step("when", () => ({ at: new Date(Date.UTC(2026, 0, 2)) }));
    });
    const { job } = enqueue(db, { type: "dates", payload: {} }, Date.now());
    worker.start();
    await waitFor(() => status(job.id) === "succeeded", "job");
    expect(seen).toEqual({ at: "2026-01-02T00:00:00.000Z" });
  });

  it("rejects a step name used twice in one job", async () => {
    const { worker } = makeWorker();
    worker.register("twice", async (_job, ctx) => {
      await ctx.step("same", () => 1);
      await ctx.step("same", () => 2);
    });
    const { job } = enqueue(db, { type: "twice", payload: {} }, Date.now());
    worker.start();
    await waitFor(() => status(job.id) === "dead", "job");
    expect(getJob(db, job.id)?.lastError).toContain(`step "same" used twice in job ${job.id}; step names must be unique`);
  });

  it("a dbStep's writes and its record commit together, so a retry does not repeat them", async () => {
    let now = 1_700_000_000_000;
    const { worker } = makeWorker({ clock: () => now, random: () => 0 });
    let runs = 0;
    worker.register("record", async (_job, ctx) => {
      runs += 1;
      const fresh = await ctx.dbStep("remember-delivery", async () => recordDelivery(db, "delivery-1", "issues", now));
      expect(fresh).toBe(true);
      if (runs === 1) throw new TransientJobError("GitHub is slow", 1_000);
    });
    const { job } = enqueue(db, { type: "record", payload: {} }, now);
    worker.start();
    await waitFor(() => status(job.id) === "failed", "first run to fail");
    // The wait is the longer of the backoff (5 s by default) and the 1 s the error asked for.
    expect(getJob(db, job.id)?.runAfter).toBe(now + 5_000);
    now += 5_000;
    await waitFor(() => status(job.id) === "succeeded", "second run");
    expect(runs).toBe(2);
    expect(db.prepare("SELECT COUNT(*) AS n FROM webhook_deliveries").get()).toEqual({ n: 1 });
  });

  it("a dbStep that throws records nothing and writes nothing", async () => {
    const { worker } = makeWorker();
    worker.register("rollback", async (_job, ctx) => {
      await ctx.dbStep("half", async () => {
        recordDelivery(db, "delivery-2", "issues", 1);
        throw new Error("constraint broken halfway");
      });
    });
    const { job } = enqueue(db, { type: "rollback", payload: {} }, Date.now());
    worker.start();
    await waitFor(() => status(job.id) === "dead", "job");
    expect(getJob(db, job.id)?.steps).toEqual({});
    expect(db.prepare("SELECT COUNT(*) AS n FROM webhook_deliveries").get()).toEqual({ n: 0 });
  });
});
