/**
 * Queue throughput on a file database (WAL, synchronous = NORMAL, as in production): 10,000 single-job
 * enqueues, each its own transaction, then 10,000 lease + complete pairs by one worker.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { complete, enqueue, leaseNext } from "../src/jobs/queue.js";
import { kyselyOverStore } from "../src/db/over-store.js";
import { openDatabase } from "../src/store/database.js";

const JOBS = 10_000;

function rate(count: number, ms: number): string {
  return `${Math.round((count / ms) * 1000).toLocaleString("en-US")} ops/s (${ms.toFixed(0)} ms for ${count.toLocaleString("en-US")})`;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "opforge-queue-bench-"));
  const db = kyselyOverStore(openDatabase(join(dir, "bench.db")));
  try {
    const now = Date.now();
    let t = performance.now();
    for (let i = 0; i < JOBS; i++) {
      await enqueue(db, { type: "generate", payload: { repo: "acme/pipelines", issue: i }, dedupeKey: `acme/pipelines#${i}` }, now);
    }
    const enqueueMs = performance.now() - t;

    t = performance.now();
    let done = 0;
    for (;;) {
      const job = await leaseNext(db, "bench-worker", now + 1, 60_000, { types: ["generate"] });
      if (job === null) break;
      if (!(await complete(db, job.id, { now: now + 2, workerId: "bench-worker" }))) throw new Error(`job ${job.id} not completed`);
      done += 1;
    }
    const drainMs = performance.now() - t;
    if (done !== JOBS) throw new Error(`leased ${done} jobs, expected ${JOBS}`);

    console.log(`enqueue (with dedupe key):  ${rate(JOBS, enqueueMs)}`);
    console.log(`lease + complete:           ${rate(JOBS, drainMs)}`);
  } finally {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
