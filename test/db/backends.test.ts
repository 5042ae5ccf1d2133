import { afterAll, beforeAll, expect, it } from "vitest";
import { dialectOf } from "../../src/db/dialect.js";
import { describeBackends, openBackend } from "../support/backends.js";
import type { TestBackend } from "../support/backends.js";

describeBackends("test backends", (kind) => {
  let backend: TestBackend;
  beforeAll(async () => {
    backend = await openBackend(kind);
  });
  afterAll(async () => {
    await backend.close();
  });

  it("speaks its own dialect and starts with the curated library knowledge only", async () => {
    expect(dialectOf(backend.kysely)).toBe(kind);
    const generations = await backend.kysely.selectFrom("generations").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    expect(Number(generations.n)).toBe(0);
    const curated = await backend.kysely.selectFrom("library_alternatives").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    expect(Number(curated.n)).toBeGreaterThan(0);
  });

  it.runIf(kind === "sqlite")("on SQLite shares the store's connection, so a write through one is read through the other", async () => {
    if (backend.store === null) throw new Error("a SQLite backend has the store's connection");
    backend.store.prepare("INSERT INTO webhook_deliveries (delivery_id, event, received_at) VALUES ('d-1', 'issues', 1)").run();
    const row = await backend.kysely.selectFrom("webhook_deliveries").selectAll().where("delivery_id", "=", "d-1").executeTakeFirst();
    expect(row?.event).toBe("issues");
  });
});
