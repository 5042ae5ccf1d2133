import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { complete, enqueue, fail, getJob, leaseNext, pruneFinishedJobs } from "../../src/jobs/queue.js";
import { Worker, type Sleep } from "../../src/jobs/worker.js";
import { recordDelivery } from "../../src/store/deliveries.js";
import { describeBackends, openBackend, type TestBackend } from "../support/backends.js";
import { captureLogger, deferred, emptyQueue, waitFor } from "./helpers.js";

const DAY = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;
const T0 = Date.parse("2026-03-02T10:00:00Z");

describeBackends("pruning", (kind) => {
  let backend: TestBackend;
  let db: TestBackend["kysely"];
  beforeAll(async () => {
    backend = await openBackend(kind);
    db = backend.kysely;
  });
  afterAll(async () => backend.close());
  beforeEach(async () => emptyQueue(db));

  /** Jobs #1 done, #2 dead, #3 queued, #4 waiting to retry, all last touched at `at`. */
  async function seedJobs(at: number): Promise<void> {
    for (const type of ["done", "dead", "queued", "retry"]) await enqueue(db, { type, payload: {} }, at);
    const lease = async (): Promise<number> => {
      const job = await leaseNext(db, "w0", at, 60_000);
      if (job === null) throw new Error("nothing to lease");
      return job.id;
    };
    await complete(db, await lease(), { now: at });
    await fail(db, await lease(), new Error("bad spec"), { transient: false, now: at });
    await lease();
    await fail(db, await lease(), new Error("503"), { transient: true, now: at, random: () => 0 });
    await db.updateTable("jobs").set({ status: "queued", lease_owner: null, lease_expires_at: null }).where("id", "=", 3).execute();
  }

  const statuses = async (): Promise<(string | null)[]> =>
    Promise.all([1, 2, 3, 4].map(async (id) => (await getJob(db, id))?.status ?? null));

  describe("pruning finished jobs and deliveries (issue 11, item 7)", () => {
    it("pruneFinishedJobs deletes only done and dead jobs older than the cut-off", async () => {
      await seedJobs(T0);
      expect(await pruneFinishedJobs(db, T0)).toBe(0);
      expect(await pruneFinishedJobs(db, T0 + 1)).toBe(2);
      expect(await statuses()).toEqual([null, null, "queued", "failed"]);
    });

    it("the worker prunes on start and every interval by its clock, keeping what is younger than the retention", async () => {
      await seedJobs(T0);
      await recordDelivery(db, "old-delivery", "issues", T0);
      await recordDelivery(db, "new-delivery", "issues", T0 + 10 * DAY);
      let now = T0 + 14 * DAY - 1;
      let sleeps = 0;
      const looked = deferred();
      // Each poll moves the clock on by an hour; the first waits until the test has looked at the jobs.
      const sleep: Sleep = async () => {
        sleeps += 1;
        if (sleeps === 1) await looked.promise;
        now += HOUR;
        await new Promise((resolve) => setTimeout(resolve, 1));
      };
      const { logger, lines } = captureLogger();
      const worker = new Worker({ db, logger, workerId: "w-prune", clock: () => now, sleep, retentionMs: 14 * DAY, pruneIntervalMs: 2 * HOUR });
      worker.start();
      try {
        await waitFor(() => sleeps >= 1, "the first poll");
        // The prune at start ran one millisecond before the finished jobs came of age.
        expect((await getJob(db, 1))?.status).toBe("succeeded");
        looked.resolve();
        await waitFor(() => lines.some((l) => l.msg === "pruned old jobs and deliveries"), "a prune that removes rows");
      } finally {
        looked.resolve();
        await worker.stop();
      }
      const pruned = lines.filter((l) => l.msg === "pruned old jobs and deliveries");
      expect(pruned).toHaveLength(1);
      expect(pruned[0]?.obj).toMatchObject({ jobs: 2, deliveries: 1 });
      // Due only after the interval: the clock had moved two hours past the prune at start.
      expect(Date.parse(String(pruned[0]?.obj.olderThan))).toBe(T0 + 2 * HOUR - 1);
      expect(await statuses()).toEqual([null, null, "queued", "failed"]);
      const deliveries = await db.selectFrom("webhook_deliveries").select("delivery_id").execute();
      expect(deliveries.map((d) => d.delivery_id)).toEqual(["new-delivery"]);
    });

    it("refuses a retention or prune interval that is not positive", () => {
      const { logger } = captureLogger();
      expect(() => new Worker({ db, logger, retentionMs: 0 })).toThrow("retentionMs should be a positive number");
      expect(() => new Worker({ db, logger, pruneIntervalMs: -1 })).toThrow("pruneIntervalMs should be a positive number");
    });
  });
});
