import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { enqueue, getJob } from "../../src/jobs/queue.js";
import { Worker } from "../../src/jobs/worker.js";
import { describeBackends } from "../support/backends.js";
import { runFixture } from "./child.js";
import { publishHandler } from "./fixtures/publish-handler.js";
import { captureLogger, waitUntil } from "./helpers.js";
import { sharedDatabase, type SharedDatabase } from "./shared-db.js";

describeBackends("a worker process killed mid-job", (kind) => {
  let shared: SharedDatabase;
  beforeEach(async () => {
    shared = await sharedDatabase(kind);
  });
  afterEach(async () => shared.close());

  it("leaves a job that another worker finishes, with each step's effect happening exactly once", { timeout: 30_000 }, async () => {
    const effectsLog = join(shared.dir, "effects.log");
    const leaseMs = 60_000;
    const db = shared.open();
    const { job } = await enqueue(db, { type: "publish", payload: { repo: "acme/pipelines", issue: 7 } }, Date.now());

    const exit = await runFixture("crash-child.ts", [shared.target, effectsLog, String(leaseMs)]);
    expect(exit.signal, exit.stderr).toBe("SIGKILL");

    const orphaned = await getJob(db, job.id);
    expect(orphaned).toMatchObject({ status: "running", attempts: 1 });
    expect(orphaned?.leaseOwner).toMatch(/^crashing-\d+$/);
    expect(Object.keys(orphaned?.steps ?? {})).toEqual(["create-branch", "commit"]);
    const childPid = /pid=(\d+)/.exec(readFileSync(effectsLog, "utf8"))?.[1];

    // A new worker whose clock is past the dead worker's lease takes the job over.
    const { logger } = captureLogger();
    const rescuer = new Worker({
      db,
      logger,
      workerId: "rescuer",
      pollIntervalMs: 5,
      leaseMs,
      clock: () => Date.now() + leaseMs + 1_000,
    });
    rescuer.register("publish", publishHandler(effectsLog, false));
    rescuer.start();
    try {
      await waitUntil(async () => (await getJob(db, job.id))?.status === "succeeded", "the job to succeed");
    } finally {
      await rescuer.stop();
    }

    expect(readFileSync(effectsLog, "utf8").trim().split("\n")).toEqual([
      `create-branch job=${job.id} pid=${childPid}`,
      `commit job=${job.id} on=refs/heads/opforge/issue-${job.id} pid=${childPid}`,
      `comment job=${job.id} sha=c0ffee${job.id} pid=${process.pid}`,
    ]);
    expect(await getJob(db, job.id)).toMatchObject({ status: "succeeded", attempts: 2, leaseOwner: null });
  });
});
