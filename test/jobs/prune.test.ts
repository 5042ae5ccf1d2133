import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { complete, enqueue, fail, getJob, leaseNext, pruneFinishedJobs } from "../../src/jobs/queue.js";
import { Worker, type Sleep } from "../../src/jobs/worker.js";
import { openDatabase } from "../../src/store/database.js";
import type { Database } from "../../src/store/database.js";
import { recordDelivery } from "../../src/store/deliveries.js";
import { tempDir } from "../store/helpers.js";
import { captureLogger, waitFor } from "./helpers.js";

const DAY = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;
const T0 = Date.parse("2026-03-02T10:00:00Z");

let db: Database;
let cleanup: () => void;
beforeEach(() => {
  const t = tempDir("opforge-prune-");
  cleanup = t.cleanup;
  db = openDatabase(join(t.dir, "opforge.db"));
});
afterEach(() => {
  db.close();
  cleanup();
});

/** Jobs #1 done, #2 dead, #3 queued, #4 waiting to retry, all last touched at `at`. */
function seedJobs(at: number): void {
  for (const type of ["done", "dead", "queued", "retry"]) enqueue(db, { type, payload: {} }, at);
  const lease = (): number => {
    const job = leaseNext(db, "w0", at, 60_000);
    if (job === null) throw new Error("nothing to lease");
    return job.id;
  };
  complete(db, lease(), { now: at });
  fail(db, lease(), new Error("bad spec"), { transient: false, now: at });
  lease();
  fail(db, lease(), new Error("503"), { transient: true, now: at, random: () => 0 });
  db.prepare("UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL WHERE id = 3").run();
}

describe("pruning finished jobs and deliveries (issue 11, item 7)", () => {
  it("pruneFinishedJobs deletes only done and dead jobs older than the cut-off", () => {
    seedJobs(T0);
    expect(pruneFinishedJobs(db, T0)).toBe(0);
    expect(pruneFinishedJobs(db, T0 + 1)).toBe(2);
    expect([1, 2, 3, 4].map((id) => getJob(db, id)?.status ?? null)).toEqual([null, null, "queued", "failed"]);
  });

  it("the worker prunes on start and every interval by its clock, keeping what is younger than the retention", async () => {
    seedJobs(T0);
    recordDelivery(db, "old-delivery", "issues", T0);
    recordDelivery(db, "new-delivery", "issues", T0 + 10 * DAY);
    let now = T0 + 14 * DAY - 1;
    let sleeps = 0;
    // Each poll moves the clock on by an hour.
    const sleep: Sleep = async () => {
      sleeps += 1;
      now += HOUR;
      await new Promise((resolve) => setTimeout(resolve, 1));
    };
    const { logger, lines } = captureLogger();
    const worker = new Worker({ db, logger, workerId: "w-prune", clock: () => now, sleep, retentionMs: 14 * DAY, pruneIntervalMs: 2 * HOUR });
    worker.start();
    try {
      await waitFor(() => sleeps >= 1, "the first poll");
      // The prune at start ran one millisecond before the finished jobs came of age.
      expect(getJob(db, 1)?.status).toBe("succeeded");
      await waitFor(() => lines.some((l) => l.msg === "pruned old jobs and deliveries"), "a prune that removes rows");
    } finally {
      await worker.stop();
    }
    const pruned = lines.filter((l) => l.msg === "pruned old jobs and deliveries");
    expect(pruned).toHaveLength(1);
    expect(pruned[0]?.obj).toMatchObject({ jobs: 2, deliveries: 1 });
    // Due only after the interval: the clock had moved two hours past the prune at start.
    expect(Date.parse(String(pruned[0]?.obj.olderThan))).toBe(T0 + 2 * HOUR - 1);
    expect([1, 2, 3, 4].map((id) => getJob(db, id)?.status ?? null)).toEqual([null, null, "queued", "failed"]);
    const deliveries = db.prepare("SELECT delivery_id FROM webhook_deliveries").all() as { delivery_id: string }[];
    expect(deliveries.map((d) => d.delivery_id)).toEqual(["new-delivery"]);
  });

  it("refuses a retention or prune interval that is not positive", () => {
    const { logger } = captureLogger();
    expect(() => new Worker({ db, logger, retentionMs: 0 })).toThrow("retentionMs should be a positive number");
    expect(() => new Worker({ db, logger, pruneIntervalMs: -1 })).toThrow("pruneIntervalMs should be a positive number");
  });
});
