import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { Tables } from "../../src/db/schema.js";
import { countJobs, enqueue, leaseNext } from "../../src/jobs/queue.js";
import { Worker } from "../../src/jobs/worker.js";
import { describeBackends } from "../support/backends.js";
import { runFixture } from "./child.js";
import { captureLogger, waitUntil } from "./helpers.js";
import { sharedDatabase, type SharedDatabase } from "./shared-db.js";

async function enqueueMany(db: Kysely<Tables>, n: number, type: string): Promise<number[]> {
  return db.transaction().execute(async (trx) => {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) ids.push((await enqueue(trx, { type, payload: { i } }, Date.now())).job.id);
    return ids;
  });
}

interface Run {
  jobId: number;
  worker: string;
  start: bigint;
  end: bigint;
}

/** Every job ran exactly once, and no two runs of a job overlapped in time. */
function expectEachRunOnce(runs: Run[], ids: number[]): void {
  const byJob = new Map<number, Run[]>();
  for (const r of runs) byJob.set(r.jobId, [...(byJob.get(r.jobId) ?? []), r]);
  const twice = [...byJob.entries()].filter(([, rs]) => rs.length > 1);
  expect(twice).toEqual([]);
  expect([...byJob.keys()].sort((a, b) => a - b)).toEqual(ids);
}

// Each worker gets a connection of its own (a pool of its own on PostgreSQL), as separate replicas would.
describeBackends("several workers on one database", (kind) => {
  let shared: SharedDatabase;
  beforeEach(async () => {
    shared = await sharedDatabase(kind);
  });
  afterEach(async () => shared.close());

  it("in one process, with a connection each, never run the same job", async () => {
    const setup = shared.open();
    const ids = await enqueueMany(setup, 120, "race");
    const runs: Run[] = [];
    const active = new Set<number>();
    const overlaps: number[] = [];
    const workers = ["a", "b"].map((name) => {
      const worker = new Worker({ db: shared.open(), logger: captureLogger().logger, workerId: name, concurrency: 3, pollIntervalMs: 1 });
      worker.register("race", async (job) => {
        if (active.has(job.id)) overlaps.push(job.id);
        active.add(job.id);
        const start = process.hrtime.bigint();
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 3)));
        active.delete(job.id);
        runs.push({ jobId: job.id, worker: name, start, end: process.hrtime.bigint() });
      });
      worker.start();
      return worker;
    });
    try {
      await waitUntil(async () => (await countJobs(setup)).succeeded === ids.length, "all jobs to succeed", 15_000);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
    expect(overlaps).toEqual([]);
    expectEachRunOnce(runs, ids);
    // Both workers got work, so the test exercised sharing rather than one worker draining the queue.
    expect(new Set(runs.map((r) => r.worker)).size).toBe(2);
  });

  it("in separate processes contending for the queue, never lease the same job", { timeout: 60_000 }, async () => {
    const setup = shared.open();
    const ids = await enqueueMany(setup, 300, "race");
    const exits = await Promise.all(["p1", "p2", "p3"].map((name) => runFixture("race-child.ts", [shared.target, shared.dir, name], 45_000)));
    for (const exit of exits) expect(exit.code, exit.stderr).toBe(0);

    const runs: Run[] = readdirSync(shared.dir)
      .filter((f) => f.endsWith(".log"))
      .flatMap((f) =>
        readFileSync(join(shared.dir, f), "utf8")
          .trim()
          .split("\n")
          .map((line) => {
            const [jobId, start, end] = line.split(" ");
            return { jobId: Number(jobId), worker: f, start: BigInt(start ?? "0"), end: BigInt(end ?? "0") };
          }),
      );
    expectEachRunOnce(runs, ids);
    expect(new Set(runs.map((r) => r.worker)).size).toBeGreaterThan(1);
    expect(await countJobs(setup)).toMatchObject({ succeeded: 300, queued: 0, running: 0, dead: 0 });
    const attempts = await setup.selectFrom("jobs").select("attempts").distinct().execute();
    expect(attempts).toEqual([{ attempts: 1 }]);
  });

  it("leaseNext on two connections at the same moment hands out each job once", async () => {
    const a = shared.open();
    const b = shared.open();
    const ids = await enqueueMany(a, 50, "race");
    const got: number[] = [];
    // Pairs of leases sent together, so on PostgreSQL the two transactions overlap.
    for (let i = 0; i < 30; i++) {
      const pair = await Promise.all([leaseNext(a, "a", Date.now(), 60_000), leaseNext(b, "b", Date.now(), 60_000)]);
      for (const job of pair) if (job !== null) got.push(job.id);
    }
    expect(got.sort((x, y) => x - y)).toEqual(ids);
  });

  it("enqueues of one dedupe key from several connections at once make one job", async () => {
    const connections = [shared.open(), shared.open(), shared.open()];
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        enqueue(connections[i % connections.length] ?? shared.open(), { type: "generate", payload: { i }, dedupeKey: "acme/pipelines#7" }, Date.now()),
      ),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.job.id)).size).toBe(1);
    expect(await connections[0]?.selectFrom("jobs").select("id").execute()).toHaveLength(1);
  });
});
