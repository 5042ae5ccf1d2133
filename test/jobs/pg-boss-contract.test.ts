/**
 * What pg-boss 10 does, checked on a real PostgreSQL, before opforge's queue is built on it. The facts
 * (also in docs/scaling.md):
 *
 * - A queue must exist (`createQueue`) before `send`: a send to a queue never created returns null and
 *   stores nothing — no error, the job is simply dropped. `fetch` from it returns no jobs.
 * - `singletonKey` alone dedupes nothing on a `standard` queue (the default policy): two sends with the same
 *   key are two jobs. Deduplication comes from a unique index that only some settings create:
 *     - `singletonSeconds` (any policy): one job per key per time slot, whatever its state (only a cancelled
 *       job frees the slot) — a job that already completed still blocks a send in the same slot. Slots are
 *       aligned to the epoch, not to the first send, and may not exceed the archive interval (12 hours by
 *       default): a longer one makes `send` throw;
 *     - policy `short`: one *queued* (created) job per key; once it is fetched (active) another can be sent.
 *       Without a key the whole queue holds at most one queued job (the key counts as '');
 *     - policy `singleton`: any number queued, at most one *active* per key (fetch hands out one per key);
 *     - policy `stately`: at most one job per key in each state up to active (one queued and one active).
 * - A refused send (duplicate) returns null, exactly as a send to a missing queue does: callers cannot tell
 *   the two apart from the return value, so opforge creates every queue at start and never relies on null.
 */
import PgBoss from "pg-boss";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testPostgres } from "../support/postgres.js";
import type { TestPostgres } from "../support/postgres.js";

let pgTest: TestPostgres;
let boss: PgBoss;

beforeAll(async () => {
  pgTest = await testPostgres("the pg-boss contract tests");
  // No supervisor or scheduler: the tests drive every state change themselves.
  boss = new PgBoss({ connectionString: pgTest.url, schema: pgTest.schema, supervise: false, schedule: false, max: 3 });
  boss.on("error", () => undefined);
  await boss.start();
}, 60_000);

afterAll(async () => {
  await boss?.stop({ graceful: false, wait: true });
  await pgTest?.drop();
});

let counter = 0;
async function queue(policy?: "standard" | "short" | "singleton" | "stately"): Promise<string> {
  const name = `q${++counter}_${policy ?? "default"}`;
  await boss.createQueue(name, policy === undefined ? { name } : { name, policy });
  return name;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("pg-boss 10: queues must be created before send", () => {
  it("a send to a queue never created returns null and stores nothing", async () => {
    expect(await boss.getQueue("never_created")).toBeNull();
    expect(await boss.send("never_created", { n: 1 })).toBeNull();
    expect(await boss.fetch("never_created")).toEqual([]);
    // Creating the queue afterwards does not bring the dropped job back.
    await boss.createQueue("never_created");
    expect(await boss.getQueueSize("never_created")).toBe(0);
  });

  it("after createQueue the same send stores a job that can be fetched", async () => {
    const name = await queue();
    const id = await boss.send(name, { n: 1 });
    expect(id).toMatch(uuid);
    const jobs = await boss.fetch<{ n: number }>(name);
    expect(jobs.map((j) => [j.id, j.data])).toEqual([[id, { n: 1 }]]);
  });
});

describe("pg-boss 10: what singletonKey dedupes", () => {
  it("standard queue, singletonKey alone: nothing is deduped", async () => {
    const name = await queue("standard");
    const a = await boss.send(name, {}, { singletonKey: "issue-1" });
    const b = await boss.send(name, {}, { singletonKey: "issue-1" });
    expect(a).toMatch(uuid);
    expect(b).toMatch(uuid);
    expect(b).not.toBe(a);
    expect(await boss.getQueueSize(name)).toBe(2);
  });

  it("singletonKey with singletonSeconds: one job per key and slot, even after it completed; another key is free", async () => {
    const name = await queue("standard");
    const slot = { singletonKey: "issue-2", singletonSeconds: 3_600 };
    // Slots start on multiples of singletonSeconds since the epoch: keep the sends inside one slot.
    const toSlotEnd = 3_600_000 - (Date.now() % 3_600_000);
    if (toSlotEnd < 5_000) await new Promise((r) => setTimeout(r, toSlotEnd + 100));
    const first = await boss.send(name, {}, slot);
    expect(first).toMatch(uuid);
    expect(await boss.send(name, {}, slot)).toBeNull();
    const [job] = await boss.fetch(name);
    expect(job?.id).toBe(first);
    await boss.complete(name, first!);
    expect(await boss.send(name, {}, slot)).toBeNull();
    expect(await boss.send(name, {}, { ...slot, singletonKey: "issue-3" })).toMatch(uuid);
  });

  it("singletonSeconds longer than the archive interval (12 hours by default) is refused by send", async () => {
    const name = await queue("standard");
    await expect(boss.send(name, {}, { singletonKey: "k", singletonSeconds: 86_400 })).rejects.toThrow(
      /throttling interval 86400s cannot exceed archive interval 43200s/,
    );
  });

  it("short policy: one queued job per key; once it is active another is accepted", async () => {
    const name = await queue("short");
    const first = await boss.send(name, {}, { singletonKey: "k" });
    expect(first).toMatch(uuid);
    expect(await boss.send(name, {}, { singletonKey: "k" })).toBeNull();
    expect(await boss.send(name, {}, { singletonKey: "other" })).toMatch(uuid);
    const fetched = await boss.fetch(name, { batchSize: 5 });
    expect(fetched.map((j) => j.id)).toContain(first);
    expect(await boss.send(name, {}, { singletonKey: "k" })).toMatch(uuid);
  });

  it("short policy without a key: the whole queue holds one queued job", async () => {
    const name = await queue("short");
    expect(await boss.send(name, { a: 1 })).toMatch(uuid);
    expect(await boss.send(name, { a: 2 })).toBeNull();
  });

  it("singleton policy: both sends are queued, but only one job per key is active at a time", async () => {
    const name = await queue("singleton");
    const a = await boss.send(name, { n: 1 }, { singletonKey: "k" });
    const b = await boss.send(name, { n: 2 }, { singletonKey: "k" });
    expect(a).toMatch(uuid);
    expect(b).toMatch(uuid);
    const batch = await boss.fetch(name, { batchSize: 5 });
    expect(batch).toHaveLength(1);
    expect(await boss.fetch(name, { batchSize: 5 })).toEqual([]);
    await boss.complete(name, batch[0]!.id);
    expect((await boss.fetch(name, { batchSize: 5 })).map((j) => j.id)).toEqual([a === batch[0]!.id ? b : a]);
  });

  it("stately policy: one queued and one active job per key", async () => {
    const name = await queue("stately");
    const a = await boss.send(name, {}, { singletonKey: "k" });
    expect(a).toMatch(uuid);
    expect(await boss.send(name, {}, { singletonKey: "k" })).toBeNull();
    expect((await boss.fetch(name)).map((j) => j.id)).toEqual([a]);
    const b = await boss.send(name, {}, { singletonKey: "k" });
    expect(b).toMatch(uuid);
    expect(await boss.send(name, {}, { singletonKey: "k" })).toBeNull();
  });
});

describe("pg-boss 10: replicas", () => {
  it("two instances starting at once on an empty schema both start, and share one queue", async () => {
    const fresh = await testPostgres("the pg-boss contract tests");
    const replicas = [0, 1].map(
      () => new PgBoss({ connectionString: fresh.url, schema: fresh.schema, supervise: false, schedule: false, max: 2 }),
    );
    for (const r of replicas) r.on("error", () => undefined);
    try {
      await Promise.all(replicas.map((r) => r.start()));
      // One after the other: two createQueue calls of the same queue at the same moment can fail with
      // PostgreSQL's "deadlock detected" (seen in this suite), so queues are created under a lock or retried.
      for (const r of replicas) await r.createQueue("shared");
      const id = await replicas[0]!.send("shared", { from: 0 });
      const seen = await replicas[1]!.fetch("shared");
      expect(seen.map((j) => j.id)).toEqual([id]);
      // A job handed to one replica is not handed to the other.
      expect(await replicas[0]!.fetch("shared")).toEqual([]);
    } finally {
      await Promise.all(replicas.map((r) => r.stop({ graceful: false, wait: true })));
      await fresh.drop();
    }
  });
});
