import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { complete, enqueue, fail, getJob, leaseNext, recordStep } from "../../src/jobs/queue.js";
import { LeaseLostError, Worker, type Sleep } from "../../src/jobs/worker.js";
import { describeBackends, openBackend, type TestBackend } from "../support/backends.js";
import { captureLogger, deferred, emptyQueue, waitFor, waitUntil } from "./helpers.js";

const T0 = Date.parse("2026-03-02T10:00:00Z");
const LEASE = 60_000;

describeBackends("lease fencing", (kind) => {
  let backend: TestBackend;
  let db: TestBackend["kysely"];
  beforeAll(async () => {
    backend = await openBackend(kind);
    db = backend.kysely;
  });
  afterAll(async () => backend.close());
  beforeEach(async () => emptyQueue(db));

  describe("lease fencing (issue 11, item 7)", () => {
    it("a stale lease (same worker id, an earlier attempt) cannot record a step, complete or fail the job", async () => {
      const { job } = await enqueue(db, { type: "t", payload: {} }, T0);
      expect((await leaseNext(db, "w1", T0, LEASE))?.attempts).toBe(1);
      // w1's lease expired and w1 itself leased the job again: attempt 2 holds it now.
      expect((await leaseNext(db, "w1", T0 + LEASE, LEASE))?.attempts).toBe(2);
      const stale = { workerId: "w1", attempt: 1 };
      expect(await recordStep(db, job.id, "commit", "sha-1", T0 + LEASE + 1, stale)).toBe(false);
      expect(await recordStep(db, job.id, "commit", "sha-2", T0 + LEASE + 1, { workerId: "w2", attempt: 2 })).toBe(false);
      expect((await getJob(db, job.id))?.steps).toEqual({});
      expect(await complete(db, job.id, { now: T0 + LEASE + 2, workerId: "w1", attempt: 1 })).toBe(false);
      expect(await fail(db, job.id, new Error("x"), { transient: false, now: T0 + LEASE + 2, workerId: "w1", attempt: 1 })).toBeNull();
      expect(await recordStep(db, job.id, "commit", "sha-3", T0 + LEASE + 3, { workerId: "w1", attempt: 2 })).toBe(true);
      expect(await complete(db, job.id, { now: T0 + LEASE + 4, workerId: "w1", attempt: 2 })).toBe(true);
      expect(await getJob(db, job.id)).toMatchObject({ status: "succeeded", steps: { commit: { result: "sha-3" } } });
    });

    it("a worker that lost its lease during a step records nothing and does not complete the job", async () => {
      const { logger, lines } = captureLogger();
      const worker = new Worker({ db, logger, workerId: "w1", pollIntervalMs: 5, leaseMs: 10_000, heartbeatMs: 5_000 });
      const inStep = deferred();
      const release = deferred();
      let stepError: unknown;
      worker.register("publish", async (_job, ctx) => {
        try {
          await ctx.step("commit", async () => {
            inStep.resolve();
            await release.promise;
            return "sha-stale";
          });
        } catch (err) {
          stepError = err;
          throw err;
        }
      });
      const { job } = await enqueue(db, { type: "publish", payload: {} }, Date.now());
      worker.start();
      try {
        await inStep.promise;
        // Another worker took the job over while the step's effect was under way.
        await db.updateTable("jobs").set((eb) => ({ lease_owner: "w2", attempts: eb("attempts", "+", 1) })).where("id", "=", job.id).execute();
        release.resolve();
        await waitFor(() => stepError !== undefined, "the step's record to be refused");
      } finally {
        await worker.stop();
      }
      expect(stepError).toBeInstanceOf(LeaseLostError);
      expect(await getJob(db, job.id)).toMatchObject({ status: "running", leaseOwner: "w2", steps: {} });
      expect(lines.some((l) => l.msg === "job stopped: its lease was lost or ran out")).toBe(true);
    });

    it("when no heartbeat gets through, the job stops before its next effect once the lease runs out, and the next lease finishes it", async () => {
      let now = T0;
      const heartbeatMs = 1_000;
      // Renewals never get through; polls return at once.
      const sleep: Sleep = (ms, signal) =>
        ms === heartbeatMs
          ? new Promise((resolve) => (signal?.aborted === true ? resolve() : signal?.addEventListener("abort", () => resolve(), { once: true })))
          : new Promise((resolve) => setTimeout(resolve, 1));
      const { logger } = captureLogger();
      // Polls sleep another length than renewals, so only renewals hang.
      const worker = new Worker({ db, logger, workerId: "w1", clock: () => now, sleep, leaseMs: 3_000, heartbeatMs, pollIntervalMs: 5 });
      const effects: string[] = [];
      const second = deferred();
      let stepError: unknown;
      worker.register("publish", async (job, ctx) => {
        await ctx.step("branch", () => effects.push(`branch@${job.attempts}`));
        await second.promise;
        try {
          await ctx.step("comment", () => effects.push(`comment@${job.attempts}`));
        } catch (err) {
          stepError ??= err;
          throw err;
        }
      });
      const { job } = await enqueue(db, { type: "publish", payload: {} }, T0);
      worker.start();
      try {
        // Recorded, not only run, before the clock passes the lease.
        await waitUntil(async () => (await getJob(db, job.id))?.steps.branch !== undefined, "the first step");
        now = T0 + 3_000;
        second.resolve();
        // Not failed nor dead-lettered: the expired lease is taken again (here by this same worker's next poll).
        await waitUntil(async () => (await getJob(db, job.id))?.status === "succeeded", "the next lease to finish the job");
      } finally {
        await worker.stop();
      }
      expect(stepError).toBeInstanceOf(LeaseLostError);
      expect((stepError as Error).message).toContain('ran out without a renewal before step "comment"');
      // The refused step ran only under the next lease; the recorded one was not repeated.
      expect(effects).toEqual(["branch@1", "comment@2"]);
      expect(await getJob(db, job.id)).toMatchObject({ status: "succeeded", attempts: 2 });
    });
  });
});
