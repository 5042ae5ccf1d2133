import { join } from "node:path";
import type { Kysely } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { kyselyOverStore } from "../../src/db/over-store.js";
import type { Tables } from "../../src/db/schema.js";
import { kyselyStep } from "../../src/flows/db-step.js";
import { enqueue, getJob, toStepRecord } from "../../src/jobs/queue.js";
import { LeaseLostError, Worker } from "../../src/jobs/worker.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { listAttempts, recordAttempt, upsertGenerationForIssue } from "../../src/store/generations.js";
import { captureLogger, deferred, waitFor } from "../jobs/helpers.js";
import { sampleSpec, tempDir } from "../store/helpers.js";

let db: Database;
let kysely: Kysely<Tables>;
let cleanup: () => void;
let generationId: number;
beforeEach(async () => {
  const t = tempDir("opforge-db-step-");
  cleanup = t.cleanup;
  db = openDatabase(join(t.dir, "opforge.db"));
  kysely = kyselyOverStore(db);
  const { generation } = await upsertGenerationForIssue(
    kysely,
    { repo: "acme/pipelines", installationId: 42, issueNumber: 1, specFingerprint: "fp", spec: sampleSpec(), provider: "scaffold", model: "scaffold" },
    0,
  );
  generationId = generation.id;
});
afterEach(() => {
  db.close();
  cleanup();
});

type Handler = Parameters<Worker["register"]>[1];

/** Starts a worker that runs jobs of type `t` with `handler`; the returned function stops it. */
function startWorker(handler: Handler): () => Promise<void> {
  const worker = new Worker({ db, logger: captureLogger().logger, workerId: "w1", pollIntervalMs: 5, leaseMs: 10_000, heartbeatMs: 5_000 });
  worker.register("t", handler);
  worker.start();
  return () => worker.stop();
}

const attempt = (trx: Kysely<Tables>) => recordAttempt(trx, { generationId, trigger: "initial", strategy: "fresh" }, 1);

describe("a job step written through Kysely", () => {
  it("commits its writes with the step's record, and hands back the result", async () => {
    const { job } = enqueue(db, { type: "t", payload: {} }, Date.now());
    let result: number | undefined;
    const stop = startWorker(async (j, ctx) => {
      result = await kyselyStep(ctx, j, kysely, "record", async (trx) => (await attempt(trx)).id);
    });
    try {
      await waitFor(() => getJob(db, job.id)?.status === "succeeded", "the job to finish");
    } finally {
      await stop();
    }
    const [stored] = await listAttempts(kysely, generationId);
    expect(result).toBe(stored?.id);
    expect(getJob(db, job.id)?.steps.record?.result).toBe(stored?.id);
  });

  it("is not worked again when an earlier run recorded it: the stored result comes back", async () => {
    const { job } = enqueue(db, { type: "t", payload: {} }, Date.now());
    db.prepare("UPDATE jobs SET steps_json = ? WHERE id = ?").run(JSON.stringify({ record: toStepRecord(job.id, "record", 41, 1) }), job.id);
    let result: number | undefined;
    const stop = startWorker(async (j, ctx) => {
      result = await kyselyStep(ctx, j, kysely, "record", async (trx) => (await attempt(trx)).id);
    });
    try {
      await waitFor(() => getJob(db, job.id)?.status === "succeeded", "the job to finish");
    } finally {
      await stop();
    }
    expect(result).toBe(41);
    expect(await listAttempts(kysely, generationId)).toEqual([]);
  });

  it("writes nothing when the job's lease was taken over before the step is recorded", async () => {
    const { job } = enqueue(db, { type: "t", payload: {} }, Date.now());
    const leased = deferred();
    const takenOver = deferred();
    let error: unknown;
    const stop = startWorker(async (j, ctx) => {
      leased.resolve();
      await takenOver.promise;
      try {
        await kyselyStep(ctx, j, kysely, "record", async (trx) => (await attempt(trx)).id);
      } catch (err) {
        error = err;
        throw err;
      }
    });
    try {
      await leased.promise;
      // Another worker took the job over while this one was busy.
      db.prepare("UPDATE jobs SET lease_owner = 'w2', attempts = attempts + 1 WHERE id = ?").run(job.id);
      takenOver.resolve();
      await waitFor(() => error !== undefined, "the step to be refused");
    } finally {
      await stop();
    }
    expect(error).toBeInstanceOf(LeaseLostError);
    expect(await listAttempts(kysely, generationId)).toEqual([]);
    expect(getJob(db, job.id)).toMatchObject({ leaseOwner: "w2", steps: {} });
  });
});
