import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { backoffDelayMs, seededRandom } from "../../src/jobs/backoff.js";
import type { BackoffPolicy } from "../../src/jobs/backoff.js";
import { PermanentJobError } from "../../src/jobs/errors.js";
import {
  complete,
  countJobs,
  enqueue,
  fail,
  findActiveJob,
  getJob,
  heartbeat,
  leaseNext,
  listJobs,
  readSteps,
  recordStep,
  requeueDead,
} from "../../src/jobs/queue.js";
import { describeBackends, openBackend, type TestBackend } from "../support/backends.js";
import { emptyQueue } from "./helpers.js";

const T0 = 1_700_000_000_000;
const LEASE = 30_000;
const policy: BackoffPolicy = { baseMs: 1_000, maxMs: 60_000, jitterRatio: 0.2 };

describeBackends("the job queue", (kind) => {
  let backend: TestBackend;
  let db: TestBackend["kysely"];
  beforeAll(async () => {
    backend = await openBackend(kind);
    db = backend.kysely;
  });
  afterAll(async () => backend.close());
  beforeEach(async () => emptyQueue(db));

  describe("enqueue", () => {
    it("stores a queued job runnable now unless told otherwise", async () => {
      const { job, created } = await enqueue(db, { type: "generate", payload: { repo: "acme/p", issue: 7 } }, T0);
      expect(created).toBe(true);
      expect(job).toMatchObject({
        type: "generate",
        payload: { repo: "acme/p", issue: 7 },
        status: "queued",
        attempts: 0,
        maxAttempts: 5,
        runAfter: T0,
        dedupeKey: null,
        steps: {},
        createdAt: T0,
      });
      expect((await enqueue(db, { type: "generate", payload: {}, runAfter: T0 + 500 }, T0)).job.runAfter).toBe(T0 + 500);
    });

    it("returns the active job for a repeated dedupe key, and allows the key again once that job finished", async () => {
      const first = await enqueue(db, { type: "generate", payload: { n: 1 }, dedupeKey: "acme/p#7" }, T0);
      const dup = await enqueue(db, { type: "generate", payload: { n: 2 }, dedupeKey: "acme/p#7" }, T0 + 1);
      expect(dup.created).toBe(false);
      expect(dup.job.id).toBe(first.job.id);
      expect(dup.job.payload).toEqual({ n: 1 });

      // Still deduplicated while running and while waiting to retry.
      await leaseNext(db, "w1", T0 + 2, LEASE);
      expect((await enqueue(db, { type: "generate", payload: {}, dedupeKey: "acme/p#7" }, T0 + 3)).created).toBe(false);
      await fail(db, first.job.id, new Error("503"), { transient: true, now: T0 + 4, random: () => 0, backoff: policy });
      expect((await enqueue(db, { type: "generate", payload: {}, dedupeKey: "acme/p#7" }, T0 + 5)).created).toBe(false);

      await leaseNext(db, "w1", T0 + 10_000, LEASE);
      await complete(db, first.job.id, { now: T0 + 10_001 });
      const later = await enqueue(db, { type: "generate", payload: { n: 3 }, dedupeKey: "acme/p#7" }, T0 + 10_002);
      expect(later.created).toBe(true);
      expect(later.job.id).not.toBe(first.job.id);
      expect(await db.selectFrom("jobs").select("id").where("dedupe_key", "=", "acme/p#7").execute()).toHaveLength(2);
    });

    it("makes one job when many enqueue the same dedupe key at once", async () => {
      // On PostgreSQL the enqueues run on several pooled connections at the same moment.
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => enqueue(db, { type: "generate", payload: { n: i }, dedupeKey: "acme/p#9" }, T0 + i)),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.job.id)).size).toBe(1);
      expect(await db.selectFrom("jobs").select("id").where("dedupe_key", "=", "acme/p#9").execute()).toHaveLength(1);
    });

    it("rejects a payload with no JSON form and a bad attempt budget", async () => {
      await expect(enqueue(db, { type: "generate", payload: undefined }, T0)).rejects.toThrow(
        "payload of generate job cannot be stored as JSON: undefined has no JSON form",
      );
      await expect(enqueue(db, { type: "generate", payload: {}, maxAttempts: 0 }, T0)).rejects.toThrow(
        "job maxAttempts should be a whole number ≥ 1, got 0",
      );
      await expect(enqueue(db, { type: "", payload: {} }, T0)).rejects.toThrow("job type is required");
    });
  });

  describe("leaseNext", () => {
    it("takes runnable jobs in run_after order, skips future ones, and counts the attempt", async () => {
      const later = (await enqueue(db, { type: "t", payload: "later" }, T0 + 100)).job;
      const sooner = (await enqueue(db, { type: "t", payload: "sooner" }, T0)).job;
      await enqueue(db, { type: "t", payload: "future", runAfter: T0 + 10_000 }, T0);

      const a = await leaseNext(db, "w1", T0 + 200, LEASE);
      expect(a).toMatchObject({ id: sooner.id, status: "running", attempts: 1, leaseOwner: "w1", leaseExpiresAt: T0 + 200 + LEASE });
      expect((await leaseNext(db, "w2", T0 + 200, LEASE))?.id).toBe(later.id);
      expect(await leaseNext(db, "w2", T0 + 200, LEASE)).toBeNull();
      expect((await leaseNext(db, "w2", T0 + 10_000, LEASE))?.payload).toBe("future");
    });

    it("only leases the types asked for", async () => {
      await enqueue(db, { type: "learn-from-merge", payload: {} }, T0);
      const g = (await enqueue(db, { type: "generate", payload: {} }, T0 + 1)).job;
      expect((await leaseNext(db, "w1", T0 + 5, LEASE, { types: ["generate"] }))?.id).toBe(g.id);
      expect(await leaseNext(db, "w1", T0 + 5, LEASE, { types: ["generate"] })).toBeNull();
      expect(await leaseNext(db, "w1", T0 + 5, LEASE, { types: [] })).toBeNull();
    });

    it("takes over a running job whose lease expired, but not before", async () => {
      const job = (await enqueue(db, { type: "t", payload: {} }, T0)).job;
      await leaseNext(db, "dead-worker", T0, LEASE);
      expect(await leaseNext(db, "w2", T0 + LEASE - 1, LEASE)).toBeNull();
      const taken = await leaseNext(db, "w2", T0 + LEASE, LEASE);
      expect(taken).toMatchObject({ id: job.id, leaseOwner: "w2", attempts: 2 });
      // The first worker can no longer renew or finish it.
      expect(await heartbeat(db, job.id, "dead-worker", T0 + LEASE + 1, LEASE)).toBe(false);
      expect(await complete(db, job.id, { now: T0 + LEASE + 1, workerId: "dead-worker" })).toBe(false);
      expect(await complete(db, job.id, { now: T0 + LEASE + 1, workerId: "w2" })).toBe(true);
    });

    it("dead-letters a job whose lease expired on its last attempt", async () => {
      const job = (await enqueue(db, { type: "t", payload: {}, maxAttempts: 2 }, T0)).job;
      await leaseNext(db, "w1", T0, LEASE);
      await fail(db, job.id, new Error("HTTP 502"), { transient: true, now: T0 + 1, random: () => 0, backoff: policy });
      await leaseNext(db, "w2", T0 + 5_000, LEASE);
      expect(await leaseNext(db, "w3", T0 + 5_000 + LEASE, LEASE)).toBeNull();
      const dead = await getJob(db, job.id);
      expect(dead?.status).toBe("dead");
      expect(dead?.lastError).toMatch(/^lease held by w2 expired during attempt 2 of 2 \(the worker stopped without finishing\)\nprevious error: Error: HTTP 502/);
    });
  });

  describe("heartbeat, complete and fail", () => {
    it("heartbeat extends the lease so nobody else takes the job", async () => {
      const job = (await enqueue(db, { type: "t", payload: {} }, T0)).job;
      await leaseNext(db, "w1", T0, LEASE);
      expect(await heartbeat(db, job.id, "w1", T0 + 20_000, LEASE)).toBe(true);
      expect((await getJob(db, job.id))?.leaseExpiresAt).toBe(T0 + 20_000 + LEASE);
      expect(await leaseNext(db, "w2", T0 + LEASE + 1, LEASE)).toBeNull();
    });

    it("a transient failure reschedules with exponential backoff and seeded jitter", async () => {
      const job = (await enqueue(db, { type: "t", payload: {}, maxAttempts: 4 }, T0)).job;
      const expectedRandom = seededRandom(7);
      const random = seededRandom(7);
      let now = T0;
      const waits: number[] = [];
      for (let attempt = 1; attempt <= 3; attempt++) {
        const leased = await leaseNext(db, "w1", now, LEASE);
        expect(leased?.attempts).toBe(attempt);
        const failed = await fail(db, job.id, new Error(`HTTP 503 on try ${attempt}`), { transient: true, now, random, backoff: policy, workerId: "w1" });
        expect(failed?.status).toBe("failed");
        expect(failed?.lastError).toMatch(new RegExp(`^Error: HTTP 503 on try ${attempt}`));
        const wait = (failed?.runAfter ?? 0) - now;
        waits.push(wait);
        expect(wait).toBe(backoffDelayMs(attempt, expectedRandom, policy));
        // Not runnable a millisecond early.
        expect(await leaseNext(db, "w1", now + wait - 1, LEASE)).toBeNull();
        now += wait;
      }
      expect(waits[0]).toBeGreaterThanOrEqual(1_000);
      expect(waits[0]).toBeLessThan(1_200);
      expect(waits[1]).toBeGreaterThanOrEqual(2_000);
      expect(waits[1]).toBeLessThan(2_400);
      expect(waits[2]).toBeGreaterThanOrEqual(4_000);
      expect(waits[2]).toBeLessThan(4_800);

      // The fourth attempt is the last: a transient failure now dead-letters with the error kept.
      await leaseNext(db, "w1", now, LEASE);
      const dead = await fail(db, job.id, new Error("HTTP 503 again"), { transient: true, now, random, backoff: policy });
      expect(dead?.status).toBe("dead");
      expect(dead?.lastError).toMatch(/^gave up after 4 of 4 attempts: Error: HTTP 503 again/);
      expect(await leaseNext(db, "w1", now + 10 * 60_000, LEASE)).toBeNull();
    });

    it("honours a server's retry-after when it is longer than the backoff", async () => {
      const job = (await enqueue(db, { type: "t", payload: {} }, T0)).job;
      await leaseNext(db, "w1", T0, LEASE);
      const failed = await fail(db, job.id, new Error("429"), { transient: true, now: T0, random: () => 0, backoff: policy, retryAfterMs: 45_000 });
      expect(failed?.runAfter).toBe(T0 + 45_000);
    });

    it("a permanent failure dead-letters at once", async () => {
      const job = (await enqueue(db, { type: "t", payload: {} }, T0)).job;
      await leaseNext(db, "w1", T0, LEASE);
      const dead = await fail(db, job.id, new PermanentJobError("spec has no name"), { transient: false, now: T0 + 1 });
      expect(dead).toMatchObject({ status: "dead", attempts: 1, leaseOwner: null });
      expect(dead?.lastError).toMatch(/^permanent failure on attempt 1: PermanentJobError: spec has no name/);
      expect(await countJobs(db)).toEqual({ queued: 0, running: 0, succeeded: 0, failed: 0, dead: 1 });
      expect((await listJobs(db, { status: "dead" })).map((j) => j.id)).toEqual([job.id]);
    });

    it("complete and fail do nothing for a job that is not running under the worker", async () => {
      const job = (await enqueue(db, { type: "t", payload: {} }, T0)).job;
      expect(await complete(db, job.id, { now: T0 })).toBe(false);
      expect(await fail(db, job.id, new Error("x"), { transient: true, now: T0 })).toBeNull();
      await leaseNext(db, "w1", T0, LEASE);
      expect(await fail(db, job.id, new Error("x"), { transient: true, now: T0, workerId: "w2" })).toBeNull();
      expect((await getJob(db, job.id))?.status).toBe("running");
    });

    it("a dead job can be requeued with its steps kept", async () => {
      const job = (await enqueue(db, { type: "t", payload: {}, dedupeKey: "k" }, T0)).job;
      await leaseNext(db, "w1", T0, LEASE);
      await recordStep(db, job.id, "create-branch", { ref: "refs/heads/opforge/7" }, T0 + 1);
      await fail(db, job.id, new Error("bad"), { transient: false, now: T0 + 2 });
      expect(await requeueDead(db, job.id, T0 + 3)).toBe(true);
      expect(await requeueDead(db, job.id, T0 + 3)).toBe(false);
      expect(await getJob(db, job.id)).toMatchObject({ status: "queued", attempts: 0, runAfter: T0 + 3 });
      expect(await readSteps(db, job.id)).toEqual({ "create-branch": { result: { ref: "refs/heads/opforge/7" }, completedAt: T0 + 1 } });
    });

    it("a dead job is not requeued while another job holds its dedupe key, and is once that job finished", async () => {
      const dead = (await enqueue(db, { type: "t", payload: { n: 1 }, dedupeKey: "k" }, T0)).job;
      await leaseNext(db, "w1", T0, LEASE);
      await fail(db, dead.id, new Error("bad"), { transient: false, now: T0 + 1 });
      const again = await enqueue(db, { type: "t", payload: { n: 2 }, dedupeKey: "k" }, T0 + 2);
      expect(again.created).toBe(true);
      expect(await requeueDead(db, dead.id, T0 + 3)).toBe(false);
      expect((await getJob(db, dead.id))?.status).toBe("dead");
      await leaseNext(db, "w1", T0 + 4, LEASE);
      await complete(db, again.job.id, { now: T0 + 5 });
      expect(await requeueDead(db, dead.id, T0 + 6)).toBe(true);
      expect(await findActiveJob(db, "k")).toMatchObject({ id: dead.id, status: "queued", payload: { n: 1 } });
    });
  });

  describe("recordStep", () => {
    it("keeps each step's result, and an undefined result as a bare record", async () => {
      const job = (await enqueue(db, { type: "t", payload: {} }, T0)).job;
      await recordStep(db, job.id, "a.b", { sha: "abc" }, T0 + 1);
      await recordStep(db, job.id, "comment", undefined, T0 + 2);
      expect((await getJob(db, job.id))?.steps).toEqual({
        "a.b": { result: { sha: "abc" }, completedAt: T0 + 1 },
        comment: { completedAt: T0 + 2 },
      });
      await expect(recordStep(db, 999, "x", 1, T0)).rejects.toThrow("job 999 does not exist");
      await expect(recordStep(db, job.id, "x", () => 1, T0)).rejects.toThrow(/result of step "x" of job \d+ cannot be stored as JSON/);
    });
  });

  describe("priority", () => {
    it("leases a due urgent job before older normal ones, and never one that is not due yet", async () => {
      const older = (await enqueue(db, { type: "generate", payload: { n: 1 } }, T0)).job;
      const later = (await enqueue(db, { type: "acknowledge", payload: { n: 2 }, priority: 10, runAfter: T0 + 5_000 }, T0 + 1)).job;
      const urgent = (await enqueue(db, { type: "acknowledge", payload: { n: 3 }, priority: 10 }, T0 + 2)).job;
      expect((await leaseNext(db, "w1", T0 + 10, LEASE))?.id).toBe(urgent.id);
      expect((await leaseNext(db, "w1", T0 + 10, LEASE))?.id).toBe(older.id);
      expect(await leaseNext(db, "w1", T0 + 10, LEASE)).toBeNull();
      expect((await leaseNext(db, "w1", T0 + 5_000, LEASE))?.id).toBe(later.id);
    });

    it("refuses a negative or fractional priority", async () => {
      await expect(enqueue(db, { type: "x", payload: {}, priority: -1 }, T0)).rejects.toThrow("job priority should be a whole number ≥ 0, got -1");
      await expect(enqueue(db, { type: "x", payload: {}, priority: 1.5 }, T0)).rejects.toThrow("got 1.5");
    });
  });
});
