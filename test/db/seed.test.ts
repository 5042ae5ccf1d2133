import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/kysely.js";
import { migrateToLatest } from "../../src/db/migrate.js";
import type { Tables } from "../../src/db/schema.js";
import { seedConstraintPins, seedLibraryRows } from "../../src/db/seed.js";
import { openDatabase } from "../../src/store/database.js";
import { testPostgres } from "../support/postgres.js";
import type { TestPostgres } from "../support/postgres.js";

let dir: string;
let pgTest: TestPostgres;
let lite: Kysely<Tables>;
let pg: Kysely<Tables>;
let store: Kysely<Tables>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "opforge-seed-"));
  pgTest = await testPostgres("the seed tests");
  lite = createDb({ dialect: "sqlite", path: join(dir, "kysely.db") });
  pg = createDb({ dialect: "postgres", url: pgTest.url });
  await migrateToLatest(lite, "sqlite");
  await migrateToLatest(pg, "postgres");
  // The reference: what the SQLite store's own migrations seed, read through Kysely.
  openDatabase(join(dir, "store.db")).close();
  store = createDb({ dialect: "sqlite", path: join(dir, "store.db") });
}, 60_000);

afterAll(async () => {
  await Promise.all([lite, pg, store].map((db) => db?.destroy()));
  await pgTest?.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function curated(db: Kysely<Tables>) {
  return {
    alternatives: await db
      .selectFrom("library_alternatives")
      .select(["library", "airflow_major", "kind", "name", "rank", "package", "import_line", "snippet", "note", "source", "curated"])
      .orderBy("library").orderBy("kind").orderBy("name")
      .execute(),
    notes: await db.selectFrom("library_notes").selectAll().orderBy("library").orderBy("note").execute(),
    pins: await db.selectFrom("library_constraint_pins").selectAll().orderBy("library").orderBy("airflow_version").execute(),
  };
}

describe("curated seeds through Kysely", () => {
  it("write on SQLite and PostgreSQL exactly the rows the store's migrations write", async () => {
    const reference = await curated(store);
    expect(reference.alternatives.length).toBeGreaterThan(10);
    expect(reference.pins.length).toBeGreaterThan(1_000);
    expect(await curated(lite)).toEqual(reference);
    expect(await curated(pg)).toEqual(reference);
  });

  it("change nothing when run again", async () => {
    for (const db of [lite, pg]) {
      const before = await curated(db);
      await seedLibraryRows(db);
      expect(await seedConstraintPins(db)).toEqual({ inserted: 0, removed: 0 });
      expect(await curated(db)).toEqual(before);
    }
  });

  it("leave rows people added, which win over a curated row with the same key", async () => {
    for (const db of [lite, pg]) {
      const [first] = (await curated(db)).alternatives;
      expect(first).toBeDefined();
      await db
        .deleteFrom("library_alternatives")
        .where("library", "=", first!.library)
        .where("kind", "=", first!.kind)
        .where("name", "=", first!.name)
        .execute();
      await db.insertInto("library_alternatives").values({ ...first!, note: "ours", curated: 0 }).execute();
      await seedLibraryRows(db);
      const after = await db
        .selectFrom("library_alternatives")
        .select(["note", "curated"])
        .where("library", "=", first!.library)
        .where("kind", "=", first!.kind)
        .where("name", "=", first!.name)
        .execute();
      expect(after).toEqual([{ note: "ours", curated: 0 }]);
    }
  });

  it("replace a pin that changed and remove one that is gone", async () => {
    for (const db of [lite, pg]) {
      const [pin] = (await curated(db)).pins;
      await db.updateTable("library_constraint_pins").set({ version: "0.0.0" }).where("library", "=", pin!.library).where("airflow_version", "=", pin!.airflow_version).execute();
      await db.insertInto("library_constraint_pins").values({ library: "not-a-library", airflow_version: "2.10", airflow_major: "2", version: "1", source: "x" }).execute();
      expect(await seedConstraintPins(db)).toEqual({ inserted: 1, removed: 2 });
      expect((await curated(db)).pins).toEqual((await curated(store)).pins);
    }
  });
});
