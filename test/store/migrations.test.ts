import { existsSync } from "node:fs";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/store/database.js";
import { checkMigrationList, SchemaVersionError } from "../../src/store/migrate.js";
import { migrations } from "../../src/store/migrations/index.js";
import type { Migration } from "../../src/store/migrations/types.js";
import { tempDir } from "./helpers.js";

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

const tableNames = (db: BetterSqlite3.Database) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name").all() as { name: string }[]).map(
    (r) => r.name,
  );

/** The schema version this code knows, and a migration one past it, as a later release would add. */
const latest = migrations.length;
const pad = (n: number) => String(n).padStart(3, "0");
const v2: Migration = {
  version: latest + 1,
  name: "generation_labels",
  up(db) {
    db.exec("ALTER TABLE generations ADD COLUMN labels_json TEXT NOT NULL DEFAULT '[]'");
  },
};

describe("openDatabase", () => {
  it("creates parent directories and a fresh database at the latest schema version", () => {
    const path = join(dir, "nested", "deeper", "opforge.db");
    const db = openDatabase(path);
    try {
      expect(existsSync(path)).toBe(true);
      expect(db.pragma("user_version", { simple: true })).toBe(migrations.length);
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
      expect(db.pragma("busy_timeout", { simple: true })).toBe(5000);
      expect(tableNames(db)).toEqual(
        expect.arrayContaining(["attempts", "ci_results", "generations", "jobs", "monthly_spend", "webhook_deliveries"]),
      );
    } finally {
      db.close();
    }
  });

  it("reopening an up-to-date database changes nothing", () => {
    const path = join(dir, "opforge.db");
    openDatabase(path).close();
    const db = openDatabase(path);
    expect(db.pragma("user_version", { simple: true })).toBe(latest);
    db.close();
  });

  it("migrates an older database and keeps its rows", () => {
    const path = join(dir, "opforge.db");
    const old = openDatabase(path, { migrations: [migrations[0] as Migration] });
    old
      .prepare("INSERT INTO webhook_deliveries (delivery_id, event, received_at) VALUES ('d-1', 'issues', 1)")
      .run();
    old.close();

    const db = openDatabase(path, { migrations: [...migrations, v2] });
    try {
      expect(db.pragma("user_version", { simple: true })).toBe(latest + 1);
      expect(db.prepare("SELECT delivery_id, event FROM webhook_deliveries").all()).toEqual([
        { delivery_id: "d-1", event: "issues" },
      ]);
      const columns = (db.prepare("PRAGMA table_info(generations)").all() as { name: string }[]).map((c) => c.name);
      expect(columns).toContain("labels_json");
    } finally {
      db.close();
    }
  });

  it("migrates a database created before any migration (version 0)", () => {
    const path = join(dir, "opforge.db");
    const raw = new BetterSqlite3(path);
    raw.exec("CREATE TABLE notes (body TEXT)");
    raw.prepare("INSERT INTO notes VALUES ('kept')").run();
    raw.close();
    const db = openDatabase(path);
    expect(db.pragma("user_version", { simple: true })).toBe(latest);
    expect(db.prepare("SELECT body FROM notes").get()).toEqual({ body: "kept" });
    db.close();
  });

  it("refuses a database newer than the code, naming the path and both versions", () => {
    const path = join(dir, "opforge.db");
    const raw = new BetterSqlite3(path);
    const newer = latest + 5;
    raw.pragma(`user_version = ${newer}`);
    raw.close();
    expect(() => openDatabase(path)).toThrow(
      `database ${path} has schema version ${newer}, this opforge knows up to ${latest}; upgrade opforge`,
    );
    expect(() => openDatabase(path, { migrations: [...migrations, v2] })).toThrow(SchemaVersionError);
    expect(() => openDatabase(path, { readonly: true })).toThrow(`has schema version ${newer}, this opforge knows up to ${latest}`);
    // The refused file is left as it was.
    const after = new BetterSqlite3(path);
    expect(after.pragma("user_version", { simple: true })).toBe(newer);
    after.close();
  });

  it("rolls back a failing migration and leaves the previous version", () => {
    const path = join(dir, "opforge.db");
    openDatabase(path).close();
    const broken: Migration = {
      version: latest + 1,
      name: "broken",
      up(db) {
        db.exec("CREATE TABLE half_done (x INTEGER)");
        db.exec("INSERT INTO no_such_table VALUES (1)");
      },
    };
    expect(() => openDatabase(path, { migrations: [...migrations, broken] })).toThrow(
      new RegExp(`migration ${pad(latest + 1)}_broken failed on .*no such table: no_such_table`),
    );
    const db = openDatabase(path);
    expect(db.pragma("user_version", { simple: true })).toBe(latest);
    expect(tableNames(db)).not.toContain("half_done");
    db.close();
  });

  it("opens read-only without migrating, and refuses an older file read-only", () => {
    const path = join(dir, "opforge.db");
    openDatabase(path, { migrations: [migrations[0] as Migration] }).close();
    expect(() => openDatabase(path, { readonly: true, migrations: [...migrations, v2] })).toThrow(
      `database ${path} has schema version 1, this opforge needs ${latest + 1}; open it once read-write to migrate it`,
    );
    const ro = openDatabase(path, { readonly: true, migrations: [migrations[0] as Migration] });
    expect(() => ro.prepare("INSERT INTO webhook_deliveries VALUES ('x', 'y', 1)").run()).toThrow(/readonly/);
    ro.close();
    expect(() => openDatabase(join(dir, "missing.db"), { readonly: true })).toThrow(/cannot open database .*missing\.db read-only/);
  });

  it("enforces foreign keys", () => {
    const db = openDatabase(":memory:");
    expect(() =>
      db
        .prepare(
          "INSERT INTO attempts (generation_id, number, trigger, strategy, outcome, created_at, updated_at) VALUES (99, 1, 'initial', 'full', 'pending', 0, 0)",
        )
        .run(),
    ).toThrow(/FOREIGN KEY/);
    db.close();
  });
});

describe("checkMigrationList", () => {
  it("rejects gaps and out-of-order versions", () => {
    const skipping: Migration = { ...v2, version: latest + 2, name: "skipped_one" };
    expect(() => checkMigrationList([...migrations, skipping])).toThrow(
      `migration "skipped_one" has version ${latest + 2} at position ${latest + 1}; versions must be 1, 2, 3, … in order`,
    );
    expect(() => checkMigrationList(migrations)).not.toThrow();
  });
});
