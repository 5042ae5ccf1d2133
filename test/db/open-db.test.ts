import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "../../src/db/index.js";
import { schemaMigrations } from "../../src/db/migrations/index.js";
import { testPostgres } from "../support/postgres.js";
import type { TestPostgres } from "../support/postgres.js";

let dir: string;
let pgTest: TestPostgres;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "opforge-open-db-"));
  pgTest = await testPostgres("the openDb tests");
}, 60_000);
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await pgTest?.drop();
});

const names = schemaMigrations.map((m) => m.name);

describe("openDb", () => {
  it("opens and migrates the SQLite file OPFORGE_DB names, creating its directory, and only once", async () => {
    const path = join(dir, "nested", "opforge.db");
    const first = await openDb({ OPFORGE_DB: path });
    expect(first.config).toEqual({ dialect: "sqlite", path });
    expect(first.applied).toEqual(names);
    await first.db.insertInto("webhook_deliveries").values({ delivery_id: "d1", event: "issues", received_at: 1 }).execute();
    await first.db.destroy();
    const second = await openDb({ OPFORGE_DB: path });
    try {
      expect(second.applied).toEqual([]);
      expect(await second.db.selectFrom("webhook_deliveries").select("delivery_id").execute()).toEqual([{ delivery_id: "d1" }]);
    } finally {
      await second.db.destroy();
    }
  });

  it("opens and migrates PostgreSQL when OPFORGE_DATABASE_URL is set", async () => {
    const opened = await openDb({ OPFORGE_DATABASE_URL: pgTest.url, OPFORGE_DB: join(dir, "unused.db") });
    try {
      expect(opened.config.dialect).toBe("postgres");
      expect(opened.applied).toEqual(names);
      const row = await opened.db
        .insertInto("spend_reservations")
        .values({ installation_id: 7, amount_usd: 1.5, created_at: 1, expires_at: 2 })
        .returning(["id", "amount_usd"])
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ id: expect.any(Number), amount_usd: 1.5 });
    } finally {
      await opened.db.destroy();
    }
  });

  it("fails naming the variable before connecting anywhere", async () => {
    await expect(openDb({ OPFORGE_DATABASE_URL: "mysql://db/opforge" })).rejects.toThrow(/OPFORGE_DATABASE_URL/);
  });
});
