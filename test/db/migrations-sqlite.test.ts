import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/kysely.js";
import { MIGRATION_LOCK_TABLE, MIGRATION_TABLE, migrateToLatest } from "../../src/db/migrate.js";
import { schemaMigrations } from "../../src/db/migrations/index.js";
import { tableColumns } from "../../src/db/schema.js";
import { openDatabase } from "../../src/store/database.js";
import { migrations as storeMigrations } from "../../src/store/migrations/index.js";
import { sqliteSchema } from "../support/sqlite-schema.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "opforge-db-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function kyselyFile(name: string): Promise<{ path: string; applied: string[] }> {
  const path = join(dir, name);
  const db = createDb({ dialect: "sqlite", path });
  try {
    return { path, applied: await migrateToLatest(db, "sqlite") };
  } finally {
    await db.destroy();
  }
}

function storeFile(name: string): string {
  const path = join(dir, name);
  openDatabase(path).close();
  return path;
}

function schemaOf(path: string, ignore: readonly string[] = []): ReturnType<typeof sqliteSchema> {
  const db = new BetterSqlite3(path, { readonly: true });
  try {
    return sqliteSchema(db, ignore);
  } finally {
    db.close();
  }
}

const kyselyTables = [MIGRATION_TABLE, MIGRATION_LOCK_TABLE];

describe("Kysely migrations on SQLite", () => {
  it("mirror the store's migrations one for one", () => {
    expect(schemaMigrations.map((m) => m.name)).toEqual(
      storeMigrations.map((m) => `${String(m.version).padStart(3, "0")}_${m.name}`),
    );
  });

  it("produce exactly the schema openDatabase produces: tables, columns, checks, keys, indexes, views, triggers", async () => {
    const { path, applied } = await kyselyFile("kysely.db");
    expect(applied).toEqual(schemaMigrations.map((m) => m.name));
    const fromKysely = schemaOf(path, kyselyTables);
    const fromStore = schemaOf(storeFile("store.db"));
    // Compared piece by piece first, so a failure names the table or index that differs.
    expect(Object.keys(fromKysely.tables).sort()).toEqual(Object.keys(fromStore.tables).sort());
    for (const [name, table] of Object.entries(fromStore.tables)) expect({ name, ...fromKysely.tables[name] }).toEqual({ name, ...table });
    expect(fromKysely.indexes).toEqual(fromStore.indexes);
    expect(fromKysely.views).toEqual(fromStore.views);
    expect(fromKysely.triggers).toEqual(fromStore.triggers);
    expect(fromKysely).toEqual(fromStore);
  });

  it("the comparison sees a difference: a store schema with one more column does not match", async () => {
    const { path } = await kyselyFile("kysely.db");
    const changed = storeFile("store.db");
    const db = new BetterSqlite3(changed);
    db.exec("ALTER TABLE jobs ADD COLUMN extra TEXT");
    db.close();
    expect(schemaOf(path, kyselyTables).tables.jobs).not.toEqual(schemaOf(changed).tables.jobs);
  });

  it("the comparison sees a changed CHECK, default or index condition", () => {
    const a = new BetterSqlite3(":memory:");
    const b = new BetterSqlite3(":memory:");
    try {
      a.exec("CREATE TABLE t (x INTEGER NOT NULL DEFAULT 0 CHECK (x IN (0, 1))); CREATE INDEX t_x ON t (x) WHERE x = 1");
      b.exec('CREATE TABLE "t" ("x" integer not null default 0 check (x in (0, 1))); create index "t_x" on "t" ("x") where x = 1');
      expect(sqliteSchema(a)).toEqual(sqliteSchema(b));
      b.exec("DROP TABLE t; CREATE TABLE t (x INTEGER NOT NULL DEFAULT 0 CHECK (x IN (0, 2))); CREATE INDEX t_x ON t (x) WHERE x = 1");
      expect(sqliteSchema(a).tables.t?.checks).not.toEqual(sqliteSchema(b).tables.t?.checks);
      b.exec("DROP TABLE t; CREATE TABLE t (x INTEGER NOT NULL DEFAULT 1 CHECK (x IN (0, 1))); CREATE INDEX t_x ON t (x) WHERE x = 0");
      expect(sqliteSchema(a).tables.t).not.toEqual(sqliteSchema(b).tables.t);
      expect(sqliteSchema(a).indexes.t_x).not.toEqual(sqliteSchema(b).indexes.t_x);
    } finally {
      a.close();
      b.close();
    }
  });

  it("the TypeScript table types list exactly the migrated columns", async () => {
    const { path } = await kyselyFile("kysely.db");
    const db = new BetterSqlite3(path, { readonly: true });
    try {
      for (const [table, columns] of Object.entries(tableColumns)) {
        const actual = (db.prepare(`SELECT name FROM pragma_table_info('${table}')`).all() as { name: string }[]).map((c) => c.name);
        expect({ table, columns: actual }).toEqual({ table, columns: [...columns] });
      }
    } finally {
      db.close();
    }
  });

  it("running them again is a no-op", async () => {
    const { path } = await kyselyFile("kysely.db");
    const before = schemaOf(path);
    const db = createDb({ dialect: "sqlite", path });
    try {
      expect(await migrateToLatest(db, "sqlite")).toEqual([]);
    } finally {
      await db.destroy();
    }
    expect(schemaOf(path)).toEqual(before);
  });

  it("adopt a file the existing store made, without running its steps again, and leave it readable by the store", async () => {
    const path = storeFile("store.db");
    const seeded = new BetterSqlite3(path);
    const alternatives = (seeded.prepare("SELECT COUNT(*) AS n FROM library_alternatives").get() as { n: number }).n;
    seeded.close();
    expect(alternatives).toBeGreaterThan(0);

    const db = createDb({ dialect: "sqlite", path });
    try {
      expect(await migrateToLatest(db, "sqlite")).toEqual([]);
      const recorded = await sql<{ name: string }>`SELECT name FROM ${sql.table(MIGRATION_TABLE)} ORDER BY name`.execute(db);
      expect(recorded.rows.map((r) => r.name)).toEqual(schemaMigrations.map((m) => m.name));
    } finally {
      await db.destroy();
    }
    // The store's seeded rows are still there, and the store opens the file without migrating.
    const store = openDatabase(path);
    try {
      expect((store.prepare("SELECT COUNT(*) AS n FROM library_alternatives").get() as { n: number }).n).toBe(alternatives);
    } finally {
      store.close();
    }
  });

  it("leave user_version where the store expects it, so openDatabase accepts a file Kysely made", async () => {
    const { path } = await kyselyFile("kysely.db");
    const store = openDatabase(path);
    try {
      expect(store.pragma("user_version", { simple: true })).toBe(storeMigrations.length);
    } finally {
      store.close();
    }
  });

  it("continue from the store's version: a file at version 5 gets 006 onwards run by Kysely", async () => {
    const path = join(dir, "old.db");
    openDatabase(path, { migrations: storeMigrations.slice(0, 5) }).close();
    const db = createDb({ dialect: "sqlite", path });
    try {
      expect(await migrateToLatest(db, "sqlite")).toEqual(schemaMigrations.slice(5).map((m) => m.name));
    } finally {
      await db.destroy();
    }
    expect(schemaOf(path, kyselyTables)).toEqual(schemaOf(storeFile("store.db")));
  });

  it("refuse a file newer than the migrations they know", async () => {
    const path = join(dir, "newer.db");
    const raw = new BetterSqlite3(path);
    raw.pragma(`user_version = ${schemaMigrations.length + 1}`);
    raw.close();
    const db = createDb({ dialect: "sqlite", path });
    try {
      await expect(migrateToLatest(db, "sqlite")).rejects.toThrow(`schema version ${schemaMigrations.length + 1}, this opforge knows up to ${schemaMigrations.length}`);
    } finally {
      await db.destroy();
    }
  });
});
