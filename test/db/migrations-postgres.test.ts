import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { sql } from "kysely";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/kysely.js";
import { migrateToLatest } from "../../src/db/migrate.js";
import { schemaMigrations } from "../../src/db/migrations/index.js";
import type { Tables } from "../../src/db/schema.js";
import { tableColumns, viewNames } from "../../src/db/schema.js";
import { sqliteSchema } from "../support/sqlite-schema.js";
import { testPostgres } from "../support/postgres.js";
import type { TestPostgres } from "../support/postgres.js";

let pgTest: TestPostgres;
let db: Kysely<Tables>;
let dir: string;
let sqlitePath: string;
let firstRun: string[];

beforeAll(async () => {
  pgTest = await testPostgres("the PostgreSQL migration tests");
  db = createDb({ dialect: "postgres", url: pgTest.url });
  firstRun = await migrateToLatest(db, "postgres");
  dir = mkdtempSync(join(tmpdir(), "opforge-db-"));
  sqlitePath = join(dir, "kysely.db");
  const lite = createDb({ dialect: "sqlite", path: sqlitePath });
  await migrateToLatest(lite, "sqlite");
  await lite.destroy();
}, 60_000);

afterAll(async () => {
  await db?.destroy();
  await pgTest?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface PgColumn {
  table_name: string;
  column_name: string;
  data_type: string;
  is_nullable: "YES" | "NO";
  column_default: string | null;
}

async function pgColumns(): Promise<PgColumn[]> {
  const result = await sql<PgColumn>`
    SELECT table_name, column_name, data_type, is_nullable, column_default
      FROM information_schema.columns
     WHERE table_schema = current_schema()
     ORDER BY table_name, ordinal_position`.execute(db);
  return result.rows;
}

function sqlite(): ReturnType<typeof sqliteSchema> {
  const file = new BetterSqlite3(sqlitePath, { readonly: true });
  try {
    return sqliteSchema(file);
  } finally {
    file.close();
  }
}

/** The PostgreSQL types a SQLite declared type may become (see src/db/migrations/types.ts). */
const compatible: Record<string, readonly string[]> = {
  integer: ["bigint", "smallint"],
  text: ["text"],
  real: ["double precision"],
};

/** PostgreSQL writes a text default as `'[]'::text`; SQLite keeps `'[]'`. */
function plainDefault(value: string | null): string | null {
  if (value === null) return null;
  return value.replace(/::[a-z ]+$/, "");
}

describe("Kysely migrations on PostgreSQL", () => {
  it("apply every migration on a fresh database", () => {
    expect(firstRun).toEqual(schemaMigrations.map((m) => m.name));
  });

  it("make the same tables and columns as on SQLite, in order, with compatible types, nullability and defaults", async () => {
    const lite = sqlite();
    const pgCols = await pgColumns();
    let checked = 0;
    for (const table of Object.keys(tableColumns)) {
      // search_vector is PostgreSQL's full-text column (SQLite has FTS5 instead); nothing else may differ.
      const ours = pgCols.filter((c) => c.table_name === table && c.column_name !== "search_vector");
      expect({ table, columns: ours.map((c) => c.column_name) }).toEqual({ table, columns: [...tableColumns[table as keyof Tables]] });
      if ((viewNames as readonly string[]).includes(table)) continue;
      const liteTable = lite.tables[table];
      expect(liteTable, table).toBeDefined();
      for (const col of liteTable?.columns ?? []) {
        checked++;
        const mine = ours.find((c) => c.column_name === col.name);
        expect(mine, `${table}.${col.name}`).toBeDefined();
        if (!mine) continue;
        expect(compatible[col.type], `${table}.${col.name}: ${col.type} vs ${mine.data_type}`).toContain(mine.data_type);
        // SQLite's INTEGER PRIMARY KEY is NOT NULL in effect; pragma reports it nullable.
        const liteNotNull = col.notNull || col.pk > 0;
        expect({ column: `${table}.${col.name}`, notNull: mine.is_nullable === "NO" }).toEqual({ column: `${table}.${col.name}`, notNull: liteNotNull });
        const isIdentity = col.pk === 1 && col.type === "integer" && mine.column_default === null;
        if (!isIdentity) expect({ column: `${table}.${col.name}`, default: plainDefault(mine.column_default) }).toEqual({ column: `${table}.${col.name}`, default: col.default });
      }
    }
    const tableColumnCount = Object.entries(tableColumns)
      .filter(([name]) => !(viewNames as readonly string[]).includes(name))
      .reduce((n, [, cols]) => n + cols.length, 0);
    expect(checked).toBe(tableColumnCount);
    // No table exists on one dialect only (besides Kysely's bookkeeping and SQLite's FTS5 tables).
    const pgTables = new Set(pgCols.map((c) => c.table_name));
    const liteOnly = Object.keys(lite.tables).filter((t) => !pgTables.has(t) && !t.startsWith("patterns_fts") && !t.startsWith("kysely_"));
    expect(liteOnly).toEqual([]);
    expect([...pgTables].filter((t) => !(t in lite.tables) && !(t in lite.views) && !t.startsWith("kysely_"))).toEqual([]);
  });

  it("make the same named indexes, with the same columns and uniqueness, plus the full-text index", async () => {
    const rows = await sql<{ indexname: string; indexdef: string }>`
      SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname NOT LIKE '%_pkey'
         AND indexname NOT LIKE '%_key' AND tablename NOT LIKE 'kysely_%'`.execute(db);
    const pgIndexes = new Map(rows.rows.map((r) => [r.indexname, r.indexdef]));
    const lite = sqlite();
    const named = Object.entries(lite.indexes).filter(([name]) => !name.startsWith("sqlite_autoindex"));
    expect([...pgIndexes.keys()].sort()).toEqual([...named.map(([name]) => name), "patterns_search"].sort());
    for (const [name, index] of named) {
      const def = pgIndexes.get(name) ?? "";
      expect(def.startsWith(index.unique ? "CREATE UNIQUE INDEX" : "CREATE INDEX"), name).toBe(true);
      expect(def, name).toContain(`(${index.columns.join(", ")})`);
      expect(/ WHERE /.test(def), `${name} partial`).toBe(/where/.test(index.sql));
    }
    expect(pgIndexes.get("patterns_search")).toMatch(/USING gin \(search_vector\) WITH \(fastupdate=off\) WHERE \(archived = 0\)/);
  });

  it("make the same unique constraints, primary keys and foreign keys", async () => {
    const rows = await sql<{ table_name: string; kind: string; columns: string; target: string | null; on_delete: string }>`
      SELECT c.conrelid::regclass::text AS table_name, c.contype AS kind,
             (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY k(att, ord)
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.att) AS columns,
             c.confrelid::regclass::text AS target, c.confdeltype AS on_delete
        FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
       WHERE n.nspname = current_schema() AND c.contype IN ('p', 'u', 'f')
         AND c.conrelid::regclass::text NOT LIKE 'kysely_%'`.execute(db);
    const lite = sqlite();
    const deleteAction: Record<string, string> = { a: "NO ACTION", c: "CASCADE", n: "SET NULL" };
    for (const [table, shape] of Object.entries(lite.tables)) {
      if (table.startsWith("patterns_fts") || table.startsWith("kysely_")) continue;
      const mine = rows.rows.filter((r) => r.table_name === table);
      const pk = shape.columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name).join(",");
      const constraints = shape.constraints.filter((c) => !c.startsWith("pk:")).map((c) => c.replace(/^u:/, "")).sort();
      expect({ table, pk: mine.filter((r) => r.kind === "p").map((r) => r.columns) }).toEqual({ table, pk: pk === "" ? [] : [pk] });
      expect({ table, unique: mine.filter((r) => r.kind === "u").map((r) => r.columns).sort() }).toEqual({ table, unique: constraints });
      const fks = mine.filter((r) => r.kind === "f").map((r) => ({ from: r.columns, table: r.target, onDelete: deleteAction[r.on_delete] }));
      expect({ table, fks: fks.sort((a, b) => a.from.localeCompare(b.from)) }).toEqual({
        table,
        fks: shape.foreignKeys.map((f) => ({ from: f.from, table: f.table, onDelete: f.onDelete })),
      });
    }
  });

  it("enforce the same CHECK constraints", async () => {
    const now = Date.now();
    await expect(
      db
        .insertInto("patterns")
        .values({ kind: "not_a_kind" as never, fingerprint: "x", code: "", description: "", category: "c", component_type: "operator", role: "component", weight_at: now, created_at: now, updated_at: now })
        .execute(),
    ).rejects.toThrow(/check constraint/);
    await expect(
      db.insertInto("spend_reservations").values({ installation_id: 1, amount_usd: -1, created_at: now, expires_at: now }).execute(),
    ).rejects.toThrow(/check constraint/);
  });

  it("running them again is a no-op, and replicas migrating at once apply each step once", async () => {
    const before = await pgColumns();
    const others = [createDb({ dialect: "postgres", url: pgTest.url }), createDb({ dialect: "postgres", url: pgTest.url })];
    try {
      const again = await Promise.all([migrateToLatest(db, "postgres"), ...others.map((o) => migrateToLatest(o, "postgres"))]);
      expect(again).toEqual([[], [], []]);
    } finally {
      await Promise.all(others.map((o) => o.destroy()));
    }
    expect(await pgColumns()).toEqual(before);
  });

  it("keep their bookkeeping in the current schema: a second schema of the same database migrates on its own", async () => {
    // Kysely looks for its tables in every schema; without a schema of their own the second would find the first's.
    const other = `${pgTest.schema}_second`;
    await sql`CREATE SCHEMA ${sql.id(other)}`.execute(db);
    const url = new URL(pgTest.url);
    url.searchParams.set("options", `-c search_path=${other}`);
    const second = createDb({ dialect: "postgres", url: url.toString() });
    try {
      expect(await migrateToLatest(second, "postgres")).toEqual(schemaMigrations.map((m) => m.name));
      expect(await migrateToLatest(second, "postgres")).toEqual([]);
      const bookkeeping = await sql<{ table_schema: string; table_name: string }>`
        SELECT table_schema, table_name FROM information_schema.tables
         WHERE table_name LIKE 'kysely_migration%' AND table_schema IN (${pgTest.schema}, ${other})
         ORDER BY table_schema, table_name`.execute(db);
      expect(bookkeeping.rows).toEqual([
        { table_schema: pgTest.schema, table_name: "kysely_migration" },
        { table_schema: pgTest.schema, table_name: "kysely_migration_lock" },
        { table_schema: other, table_name: "kysely_migration" },
        { table_schema: other, table_name: "kysely_migration_lock" },
      ]);
    } finally {
      await second.destroy();
      await sql`DROP SCHEMA ${sql.id(other)} CASCADE`.execute(db);
    }
  });

  it("read BIGINT columns back as numbers, milliseconds and GitHub ids beyond 2^31 included", async () => {
    const now = Date.now();
    const row = await db
      .insertInto("generations")
      .values({
        repo: "acme/pipelines", installation_id: 3_000_000_001, issue_number: 7, spec_fingerprint: "fp", spec_json: "{}",
        component_name: "HttpApiOperator", component_type: "operator", category: "http", airflow_version: "both",
        provider: "scaffold", model: "scaffold", status: "queued", status_comment_id: 2_500_000_000_123, created_at: now, updated_at: now,
      })
      .returning(["id", "installation_id", "status_comment_id", "created_at", "attempts_count"])
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ id: expect.any(Number), installation_id: 3_000_000_001, status_comment_id: 2_500_000_000_123, created_at: now, attempts_count: 0 });
  });
});

describe("numbers from PostgreSQL", () => {
  it("parse BIGINT and NUMERIC results to numbers, and refuse a BIGINT a number cannot hold", async () => {
    const sums = await sql<{ total: number; count: number }>`SELECT SUM(x) AS total, COUNT(*) AS count FROM (VALUES (2::bigint), (3::bigint)) v(x)`.execute(db);
    expect(sums.rows).toEqual([{ total: 5, count: 2 }]);
    await expect(sql`SELECT 9007199254740993::bigint AS big`.execute(db)).rejects.toThrow(/BIGINT 9007199254740993 does not fit a JavaScript number/);
  });
});

describe("pattern full text on PostgreSQL", () => {
  it("ranks by the weighted columns, ignores scope for rank but filters by it, and leaves archived patterns out", async () => {
    const now = Date.now();
    const base = { code: "pass", component_type: "operator" as const, role: "component" as const, weight_at: now, created_at: now, updated_at: now };
    await db
      .insertInto("patterns")
      .values([
        { ...base, kind: "import_block", fingerprint: "lib", description: "imports", category: "http", libraries: '["requests"]', scope: "toperator" },
        { ...base, kind: "import_block", fingerprint: "desc", description: "calls requests session", category: "http", libraries: "[]", scope: "toperator" },
        { ...base, kind: "import_block", fingerprint: "cat", description: "imports", category: "requests", libraries: "[]", scope: "toperator" },
        { ...base, kind: "import_block", fingerprint: "sensor", description: "requests", category: "http", libraries: '["requests"]', scope: "tsensor" },
        { ...base, kind: "import_block", fingerprint: "gone", description: "requests requests", category: "http", libraries: '["requests"]', scope: "toperator", archived: 1 },
      ])
      .execute();
    const ranked = await sql<{ fingerprint: string; rank: number }>`
      SELECT fingerprint, ts_rank_cd('{0, 0.25, 0.5, 1}', search_vector, query) AS rank
        FROM patterns, to_tsquery('simple', 'requests & toperator') AS query
       WHERE archived = 0 AND search_vector @@ query
       ORDER BY rank DESC`.execute(db);
    // libraries (A) > description (B) > category (C); the tsensor row fails the scope filter; the archived row is out.
    expect(ranked.rows.map((r) => r.fingerprint)).toEqual(["lib", "desc", "cat"]);
  });

  it("uses the GIN index to find a rare word among many live patterns", async () => {
    const now = Date.now();
    const base = { code: "pass", component_type: "hook" as const, role: "component" as const, weight_at: now, created_at: now, updated_at: now };
    const rows = Array.from({ length: 3000 }, (_, i) => ({
      ...base, kind: "hook_shape" as const, fingerprint: `bulk-${i}`, description: `hook number ${i} common words`, category: "bulk",
    }));
    rows.push({ ...rows[0]!, fingerprint: "rare", description: "zebra hook" });
    await db.insertInto("patterns").values(rows).execute();
    await sql`ANALYZE patterns`.execute(db);
    // A table this small may still be read whole; with sequential scans priced out, the GIN index must be usable.
    const plan = await db.connection().execute(async (conn) => {
      await sql`SET enable_seqscan = off`.execute(conn);
      try {
        return await sql<{ "QUERY PLAN": string }>`
          EXPLAIN (COSTS OFF) SELECT id FROM patterns WHERE archived = 0 AND search_vector @@ to_tsquery('simple', 'zebra')`.execute(conn);
      } finally {
        await sql`RESET enable_seqscan`.execute(conn);
      }
    });
    expect(plan.rows.map((r) => r["QUERY PLAN"]).join("\n")).toMatch(/Bitmap Index Scan on patterns_search/);
  });
});

describe("views on both dialects", () => {
  it("generation_metrics and monthly_spend answer the same on SQLite and PostgreSQL", async () => {
    const lite = createDb({ dialect: "sqlite", path: sqlitePath });
    try {
      for (const target of [db, lite]) {
        const t0 = Date.UTC(2026, 10, 30, 23, 59, 0);
        const g = await target
          .insertInto("generations")
          .values({
            repo: "acme/views", installation_id: 42, issue_number: 1, spec_fingerprint: "fp", spec_json: "{}", component_name: "X",
            component_type: "sensor", category: "files", airflow_version: "3", provider: "anthropic", model: "m", status: "ci_running",
            created_at: t0, updated_at: t0,
          })
          .returning("id")
          .executeTakeFirstOrThrow();
        const attempt = { generation_id: g.id, strategy: "full", created_at: t0, updated_at: t0 };
        await target
          .insertInto("attempts")
          .values([
            // Every row names the same columns: SQLite has no DEFAULT in a multi-row VALUES, so Kysely fills gaps with NULL.
            { ...attempt, number: 1, trigger: "initial", outcome: "ci_failed", input_tokens: 100, output_tokens: 0, cost_usd: 0.25, duration_ms: null, learned_context_json: "[1,2,3]" },
            { ...attempt, number: 2, trigger: "ci_retry", outcome: "ci_passed", input_tokens: 0, output_tokens: 50, cost_usd: 0.5, duration_ms: 900, learned_context_json: "not json", created_at: t0 + 120_000 },
            { ...attempt, number: 3, trigger: "manual_retry", outcome: "pending", input_tokens: 0, output_tokens: 0, cost_usd: 0, duration_ms: null, learned_context_json: '{"a": 1}' },
          ])
          .execute();
      }
      const read = async (target: Kysely<Tables>) => ({
        // Row ids differ (the PostgreSQL tables hold rows of other tests); everything else must not.
        metrics: (await target.selectFrom("generation_metrics").selectAll().where("repo", "=", "acme/views").execute()).map(
          ({ generation_id: _id, ...rest }) => rest,
        ),
        spend: await target.selectFrom("monthly_spend").selectAll().where("installation_id", "=", 42).orderBy("month").execute(),
      });
      const [onPg, onLite] = [await read(db), await read(lite)];
      expect(onPg).toEqual(onLite);
      expect(onLite.metrics[0]).toMatchObject({ succeeded: 1, context_items: 3, context_used: 1, cost_usd: 0.75, duration_ms: 900 });
      expect(onLite.spend.map((r) => r.month)).toEqual(["2026-11", "2026-12"]);
    } finally {
      await lite.destroy();
    }
  });
});
