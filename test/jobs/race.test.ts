import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { countJobs, enqueue, leaseNext } from "../../src/jobs/queue.js";
import { Worker } from "../../src/jobs/worker.js";
import { openDatabase } from "../../src/store/database.js";
import type { Database } from "../../src/store/database.js";
import { tempDir } from "../store/helpers.js";
import { runFixture } from "./child.js";
import { captureLogger, waitFor } from "./helpers.js";

let dir: string;
let dbPath: string;
let cleanup: () => void;
let opened: Database[] = [];
beforeEach(() => {
  ({ dir, cleanup } = tempDir("opforge-race-"));
  dbPath = join(dir, "opforge.db");
});
afterEach(() => {
  opened.forEach((d) => d.close());
  opened = [];
  cleanup();
});

function open(): Database {
  const db = openDatabase(dbPath);
  opened.push(db);
  return db;
}

function enqueueMany(db: Database, n: number, type: string): number[] {
  return db.transaction(() => Array.from({ length: n }, (_, i) => enqueue(db, { type, payload: { i } }, Date.now()).job.id))();
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

describe("two workers on one database file", () => {
  it("in one process, with a connection each, never run the same job", async () => {
    const setup = open();
    const ids = enqueueMany(setup, 120, "race");
    const runs: Run[] = [];
    const active = new Set<number>();
    const overlaps: number[] = [];
    const workers = ["a", "b"].map((name) => {
      const worker = new Worker({ db: open(), logger: captureLogger().logger, workerId: name, concurrency: 3, pollIntervalMs: 1 });
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
      await waitFor(() => countJobs(setup).succeeded === ids.length, "all jobs to succeed", 15_000);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
    expect(overlaps).toEqual([]);
    expectEachRunOnce(runs, ids);
    // Both workers got work, so the test exercised sharing rather than one worker draining the queue.
    expect(new Set(runs.map((r) => r.worker)).size).toBe(2);
  });

  it("in separate processes contending for the write lock, never lease the same job", async () => {
    const setup = open();
    const ids = enqueueMany(setup, 300, "race");
    const exits = await Promise.all(["p1", "p2", "p3"].map((name) => runFixture("race-child.ts", [dbPath, dir, name], 30_000)));
    for (const exit of exits) expect(exit.code, exit.stderr).toBe(0);

    const runs: Run[] = readdirSync(dir)
      .filter((f) => f.endsWith(".log"))
      .flatMap((f) =>
        readFileSync(join(dir, f), "utf8")
          .trim()
          .split("\n")
          .map((line) => {
            const [jobId, start, end] = line.split(" ");
            return { jobId: Number(jobId), worker: f, start: BigInt(start ?? "0"), end: BigInt(end ?? "0") };
          }),
      );
    expectEachRunOnce(runs, ids);
    expect(new Set(runs.map((r) => r.worker)).size).toBeGreaterThan(1);
    expect(countJobs(setup)).toMatchObject({ succeeded: 300, queued: 0, running: 0, dead: 0 });
    const attempts = setup.prepare("SELECT DISTINCT attempts FROM jobs").all();
    expect(attempts).toEqual([{ attempts: 1 }]);
  });

  it("leaseNext on two connections hands out each job once", () => {
    const a = open();
    const b = open();
    const ids = enqueueMany(a, 50, "race");
    const got: number[] = [];
    for (let i = 0; i < 60; i++) {
      const conn = i % 2 === 0 ? a : b;
      const job = leaseNext(conn, i % 2 === 0 ? "a" : "b", Date.now(), 60_000);
      if (job !== null) got.push(job.id);
    }
    expect(got.sort((x, y) => x - y)).toEqual(ids);
  });
});
