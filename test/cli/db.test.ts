import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { sql } from "kysely";
import type { Kysely } from "kysely";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { dbCommand } from "../../src/cli/db.js";
import type { CliIo } from "../../src/cli/io.js";
import { COPIED_TABLES, copySqliteToPostgres, foreignKeyOrder, teamRows } from "../../src/db/copy.js";
import { createDb } from "../../src/db/kysely.js";
import { schemaMigrations } from "../../src/db/migrations/index.js";
import { tableColumns } from "../../src/db/schema.js";
import type { Tables } from "../../src/db/schema.js";
import { openDatabase } from "../../src/store/database.js";
import { testPostgres } from "../support/postgres.js";
import type { TestPostgres } from "../support/postgres.js";

const T0 = Date.parse("2026-03-02T10:00:00Z");
const PASSWORD = "s3cret-Pw-7781";
const ALL_MIGRATIONS = schemaMigrations.map((m) => m.name).join(", ");

interface Run {
  code: number;
  out: string;
  err: string;
}

let dir: string;
const schemas: TestPostgres[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "opforge-dbcli-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));
afterAll(async () => {
  for (const s of schemas) await s.drop();
});

async function run(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), cwd: dir, env };
  const code = await dbCommand(argv, io);
  return { code, out: out.join(""), err: err.join("") };
}

/** A fresh PostgreSQL schema, its URL carrying a password (trust auth ignores it) that must never be printed. */
async function freshPostgres(): Promise<string> {
  const made = await testPostgres("the db copy tests");
  schemas.push(made);
  const url = new URL(made.url);
  url.username = "postgres";
  url.password = PASSWORD;
  return url.toString();
}

/**
 * A team's SQLite file as the App leaves it: made by the store (its migrations, FTS5 table and triggers),
 * then rows of every kind. Ids start high and a rule points at a later rule, so ids and order both matter.
 */
async function teamStore(): Promise<string> {
  const path = join(dir, "team.db");
  openDatabase(path).close();
  const db = createDb({ dialect: "sqlite", path });
  try {
    const generation = (id: number, installation: number, issue: number) => ({
      id,
      repo: "acme/dags",
      installation_id: installation,
      issue_number: issue,
      spec_fingerprint: `fp${id}`,
      spec_json: "{}",
      component_name: `Weather${id}Operator`,
      component_type: "operator" as const,
      category: "http",
      airflow_version: "2.9",
      provider: "anthropic",
      model: "m",
      status: "merged" as const,
      pr_number: issue + 100,
      branch: `opforge/${issue}`,
      head_sha: `sha${id}`,
      status_comment_id: 5_000_000_000 + id,
      attempts_count: 1,
      first_attempt_success: 1 as const,
      final_outcome: "merged",
      created_at: T0 + id,
      updated_at: T0 + id,
    });
    await db.insertInto("generations").values([generation(100, 42, 1), generation(101, 42, 2), generation(102, 0, 3)]).execute();
    await db
      .insertInto("attempts")
      .values([
        { id: 7, generation_id: 100, number: 1, trigger: "initial", strategy: "full", outcome: "ci_passed", cost_usd: 0.1234, input_tokens: 1200, created_at: T0, updated_at: T0, reply_mode: "files" },
        { id: 8, generation_id: 101, number: 1, trigger: "initial", strategy: "full", outcome: "ci_failed", cost_usd: 0, input_tokens: 0, created_at: T0, updated_at: T0, reply_mode: null },
      ])
      .execute();
    await db.insertInto("ci_results").values({ generation_id: 101, head_sha: "sha101", fingerprints_hash: "h", conclusion: "failure", created_at: T0 }).execute();
    await db.insertInto("webhook_deliveries").values({ delivery_id: "d-1", event: "issues", received_at: T0 }).execute();
    await db
      .insertInto("jobs")
      .values([
        { id: 30, type: "generate", payload_json: "{}", dedupe_key: null, status: "succeeded", max_attempts: 3, run_after: T0, last_error: null, created_at: T0, updated_at: T0, priority: 0 },
        { id: 31, type: "ci", payload_json: "{}", dedupe_key: "ci:1", status: "dead", max_attempts: 3, run_after: T0, last_error: "boom", created_at: T0, updated_at: T0, priority: 5 },
      ])
      .execute();
    const pattern = (id: number, fingerprint: string, description: string, archived: 0 | 1) => ({
      id,
      installation_id: 42,
      repository: "acme/dags",
      kind: "execute_shape" as const,
      fingerprint,
      code: "def execute(self, context): ...",
      description,
      category: "http",
      component_type: "operator" as const,
      role: "component" as const,
      libraries: '["requests"]',
      text: "fetch the forecast",
      scope: "i42 toperator",
      weight_at: T0,
      created_at: T0,
      updated_at: T0,
      archived,
    });
    await db.insertInto("patterns").values([pattern(11, "f11", "calls the weatherstation api", 0), pattern(12, "f12", "old shape", 1)]).execute();
    await db.insertInto("pattern_terms").values({ installation_id: 42, term: "weatherstation", docs: 1 }).execute();
    await db
      .insertInto("error_signatures")
      .values({ id: 5, installation_id: 42, signature: "ImportError: x", kind: "import", root_cause: "r", fix_strategy: "f", matched: "m", occurrences: 2, first_seen: T0, last_seen: T0 })
      .execute();
    await db
      .insertInto("error_occurrences")
      .values([
        { signature_id: 5, generation_id: 100, component_type: "operator", category: "http", source: "ci", seen_at: T0, installation_id: 42, repository: "acme/dags" },
        { signature_id: 5, generation_id: 101, component_type: null, category: null, source: "validator", seen_at: T0, installation_id: 42, repository: "acme/dags" },
      ])
      .execute();
    await db
      .insertInto("fix_attempts")
      .values({ signature_id: 5, fix_kind: "fixer", fix_ref: "imports", generation_id: 100, attempt_number: 1, outcome: "passed", created_at: T0, installation_id: 42, repository: "acme/dags" })
      .execute();
    const rule = (id: number, before: string, mergedInto: number | null) => ({
      id,
      installation_id: 42,
      before_pattern: before,
      after_pattern: "after",
      holes: 0,
      description: "d",
      status: "trusted" as const,
      merged_into: mergedInto,
      created_at: T0,
      updated_at: T0,
    });
    // Rule 20 was merged into the later rule 21: a copy in id order meets the reference before its target.
    await db.insertInto("rewrite_rules").values([rule(20, "before-a", null), rule(21, "before-b", null)]).execute();
    await db.updateTable("rewrite_rules").set({ merged_into: 21 }).where("id", "=", 20).execute();
    await db
      .insertInto("rule_sources")
      .values([
        { rule_id: 20, repo: "acme/dags", pr_number: 101, commit_sha: "c1", path: "a.py", added_at: T0, author: "ana", committed_at: "2026-03-01" },
        { rule_id: 21, repo: "acme/dags", pr_number: 102, commit_sha: "c2", path: "b.py", added_at: T0, author: null, committed_at: null },
      ])
      .execute();
    await db.insertInto("rule_signatures").values({ rule_id: 21, signature_id: 5 }).execute();
    await db
      .insertInto("library_outcomes")
      .values({ library: "requests", airflow_major: "2", kind: "import_ok", generation_id: 100, created_at: T0, library_version: "2.31", installation_id: 42, repository: "acme/dags" })
      .execute();
    await db.insertInto("library_alternatives").values({ library: "weatherlib", airflow_major: null, kind: "package", name: "pyweather", curated: 0 }).execute();
    await db.insertInto("spend_reservations").values({ installation_id: 42, amount_usd: 0.5, created_at: T0, expires_at: T0 + 60_000 }).execute();
    await db.insertInto("dashboard_actions").values({ installation_id: 42, actor: "ana", via: "github", action: "trust_rule", target_id: 21, created_at: T0 }).execute();
  } finally {
    await db.destroy();
  }
  return path;
}

type AnyDb = Kysely<Record<string, Record<string, unknown>>>;

async function rowsOf(db: Kysely<Tables>, table: (typeof COPIED_TABLES)[number]): Promise<string[]> {
  const rows = await (db as unknown as AnyDb).selectFrom(table).select([...(tableColumns[table] as readonly string[])]).execute();
  return rows.map((r) => JSON.stringify(r)).sort();
}

async function counts(db: Kysely<Tables>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of COPIED_TABLES) {
    const r = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM ${sql.table(table)}`.execute(db);
    out[table] = Number(r.rows[0]?.n);
  }
  return out;
}

describe("opforge db copy", () => {
  let source: string;
  let target: string;
  let pgDb: Kysely<Tables>;
  let liteDb: Kysely<Tables>;
  let first: Run;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "opforge-dbcli-"));
    source = await teamStore();
    target = await freshPostgres();
    first = await run(["copy", "--from", source, "--to", target]);
    pgDb = createDb({ dialect: "postgres", url: target });
    liteDb = createDb({ dialect: "sqlite", path: source });
  }, 60_000);
  afterAll(async () => {
    await pgDb?.destroy();
    await liteDb?.destroy();
  });

  it("copies every table, prints equal counts and never the password", async () => {
    expect(first.err).toBe("");
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/^generations\s+3\s+3$/m);
    expect(first.out).toMatch(/^rewrite_rules\s+2\s+2$/m);
    expect(first.out).toContain("every table's counts match");
    expect(first.out).toContain(`target ${target.replace(PASSWORD, "***")}: ran ${ALL_MIGRATIONS}`);
    expect(first.out).not.toContain(PASSWORD);
    expect(first.out).not.toContain("patterns_fts");
    const lite = await counts(liteDb);
    expect(await counts(pgDb)).toEqual(lite);
    expect(lite.generations).toBe(3);
    expect(lite.library_alternatives).toBeGreaterThan(1);
  });

  it("keeps ids and values, the self-reference included", async () => {
    for (const table of ["generations", "attempts", "patterns", "rewrite_rules", "rule_sources", "error_occurrences", "jobs", "library_alternatives"] as const) {
      expect(await rowsOf(pgDb, table), table).toEqual(await rowsOf(liteDb, table));
    }
    const rule = await pgDb.selectFrom("rewrite_rules").select(["id", "merged_into"]).where("id", "=", 20).executeTakeFirstOrThrow();
    expect(rule).toEqual({ id: 20, merged_into: 21 });
  });

  it("fills PostgreSQL's full-text column, so a search finds a copied pattern", async () => {
    const found = await sql<{ id: number }>`SELECT id FROM patterns
       WHERE archived = 0 AND search_vector @@ to_tsquery('simple', 'i42:D & weatherstation') ORDER BY id`.execute(pgDb);
    expect(found.rows.map((r) => r.id)).toEqual([11]);
  });

  it("moves the id sequences past the copied ids", async () => {
    const inserted = await pgDb
      .insertInto("generations")
      .values({ repo: "acme/dags", installation_id: 42, issue_number: 99, spec_fingerprint: "n", spec_json: "{}", component_name: "N", component_type: "hook", category: "c", airflow_version: "2.9", provider: "p", model: "m", status: "queued", created_at: T0, updated_at: T0 })
      .returning("id")
      .executeTakeFirstOrThrow();
    expect(inserted.id).toBe(103);
    const job = await pgDb.insertInto("jobs").values({ type: "t", payload_json: "{}", status: "queued", max_attempts: 1, run_after: T0, created_at: T0, updated_at: T0 }).returning("id").executeTakeFirstOrThrow();
    expect(job.id).toBe(32);
  });

  it("refuses a non-empty target, naming tables and counts, and changes nothing; --force replaces it", async () => {
    const before = await counts(pgDb);
    const refused = await run(["copy", "--from", source, "--to", target]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/not empty; nothing was copied/);
    expect(refused.err).toMatch(/^ {2}generations {2}4$/m);
    expect(refused.err).toMatch(/^ {2}jobs {2}3$/m);
    expect(refused.err).not.toContain("library_constraint_pins");
    expect(refused.err + refused.out).not.toContain(PASSWORD);
    expect(await counts(pgDb)).toEqual(before);

    const forced = await run(["copy", "--from", source, "--to", target, "--force"]);
    expect(forced.err).toBe("");
    expect(forced.code).toBe(0);
    expect(forced.out).toContain(`target ${target.replace(PASSWORD, "***")}: up to date`);
    expect(await counts(pgDb)).toEqual(await counts(liteDb));
    expect(await pgDb.selectFrom("generations").select("id").where("id", "=", 103).executeTakeFirst()).toBeUndefined();
  });

  it("copies the same rows one row per INSERT", async () => {
    const rows: Record<string, number> = {};
    const result = await copySqliteToPostgres(source, target, { force: true, batchRows: 1, onTable: (table, n) => (rows[table] = n) });
    expect(result.counts.every((c) => c.source === c.target)).toBe(true);
    expect(rows).toEqual(await counts(liteDb));
    expect(result.sequences).toContain("generations.id");
    expect(result.sequences).not.toContain("rule_sources.id");
    for (const table of ["patterns", "rewrite_rules"] as const) expect(await rowsOf(pgDb, table), table).toEqual(await rowsOf(liteDb, table));
  });
});

describe("a failing copy", () => {
  it("leaves the target as it was when a row breaks a CHECK midway", async () => {
    const source = await teamStore();
    // The last table copied gets a row PostgreSQL refuses; SQLite is told to let it in.
    const file = new BetterSqlite3(source);
    file.pragma("ignore_check_constraints = ON");
    file.prepare("INSERT INTO dashboard_actions (installation_id, actor, via, action, target_id, created_at) VALUES (42, 'x', 'github', 'delete_everything', 1, 0)").run();
    file.close();
    const target = await freshPostgres();
    const result = await run(["copy", "--from", source, "--to", target]);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/failed, .* was left as it was: copying dashboard_actions .*check constraint/);
    expect(result.err).not.toContain(PASSWORD);
    const pg = createDb({ dialect: "postgres", url: target });
    try {
      expect(await teamRows(pg as unknown as AnyDb, COPIED_TABLES)).toEqual([]);
      expect((await counts(pg)).generations).toBe(0);
    } finally {
      await pg.destroy();
    }
  }, 60_000);
});

describe("opforge db migrate", () => {
  it("migrates a fresh SQLite file, prints what ran, and is idempotent", async () => {
    const first = await run(["migrate", "--database", "fresh.db"]);
    expect(first.code).toBe(0);
    expect(first.out).toBe(`${join(dir, "fresh.db")}: ran ${ALL_MIGRATIONS}\n`);
    const again = await run(["migrate", "--database", "fresh.db"]);
    expect(again.out).toBe(`${join(dir, "fresh.db")}: up to date\n`);
  });

  it("defaults to OPFORGE_DB", async () => {
    const result = await run(["migrate"], { OPFORGE_DB: "env.db" });
    expect(result.out).toBe(`${join(dir, "env.db")}: ran ${ALL_MIGRATIONS}\n`);
  });

  it("migrates PostgreSQL from --database or OPFORGE_DATABASE_URL without printing the password", async () => {
    const url = await freshPostgres();
    const shown = url.replace(PASSWORD, "***");
    const first = await run(["migrate", "--database", url]);
    expect(first.err).toBe("");
    expect(first.out).toBe(`${shown}: ran ${ALL_MIGRATIONS}\n`);
    const again = await run(["migrate"], { OPFORGE_DATABASE_URL: url });
    expect(again.out).toBe(`${shown}: up to date\n`);
    expect(first.out + again.out).not.toContain(PASSWORD);
  }, 60_000);
});

describe("arguments", () => {
  it("names the argument that is wrong", async () => {
    expect(await run(["copy", "--to", "postgres://h/db"])).toMatchObject({ code: 2, err: expect.stringContaining("--from: missing") });
    expect(await run(["copy", "--from", "a.db", "--to", "mysql://h/db"])).toMatchObject({ code: 2, err: expect.stringContaining("--to: only postgres://") });
    expect(await run(["copy", "--from", "postgres://h/db", "--to", "postgres://h/db"])).toMatchObject({ code: 2, err: expect.stringContaining("--from: expected a SQLite file") });
    expect(await run(["copy", "--from", "missing.db", "--to", "postgres://h/db"])).toMatchObject({ code: 1, err: expect.stringContaining("--from: no such file") });
    expect(await run(["migrate", "--database", "http://h/db"])).toMatchObject({ code: 2, err: expect.stringContaining("--database: only postgres://") });
    expect(await run(["vacuum"])).toMatchObject({ code: 2, err: expect.stringContaining("unknown subcommand 'vacuum'") });
    expect((await run(["--help"])).out).toContain("opforge db copy --from SQLITE_FILE");
  });

  it("orders parents before children", () => {
    const order = foreignKeyOrder(["attempts", "generations"], [{ table: "attempts", parent: "generations", columns: ["generation_id"] }]);
    expect(order).toEqual(["generations", "attempts"]);
  });
});

