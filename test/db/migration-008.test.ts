import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { sql } from "kysely";
import type { Kysely } from "kysely";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/kysely.js";
import { MIGRATION_LOCK_TABLE, MIGRATION_TABLE, migrateToLatest } from "../../src/db/migrate.js";
import { schemaMigrations } from "../../src/db/migrations/index.js";
import type { Tables } from "../../src/db/schema.js";
import { tableColumns } from "../../src/db/schema.js";
import { kyselyOverStore } from "../../src/db/over-store.js";
import { retrievePatterns } from "../../src/learn/patterns/retrieve.js";
import { installationToken, repositoryToken } from "../../src/learn/patterns/scope.js";
import { openDatabase } from "../../src/store/database.js";
import { migrations as storeMigrations } from "../../src/store/migrations/index.js";
import { sqliteSchema } from "../support/sqlite-schema.js";
import { testPostgres } from "../support/postgres.js";
import type { TestPostgres } from "../support/postgres.js";

const T0 = Date.UTC(2026, 10, 2);
const ACME = 11;
const GLOBEX = 22;
const BEFORE_008 = schemaMigrations.slice(0, 7);

type Db = Kysely<unknown>;
type Fixture = "several" | "single";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "opforge-db-008-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function generation(db: Db, installationId: number, repo: string, issueNumber: number, prNumber: number): Promise<number> {
  const result = await sql<{ id: number }>`
    INSERT INTO generations (repo, installation_id, issue_number, spec_fingerprint, spec_json, component_name, component_type, category,
                             airflow_version, provider, model, status, pr_number, final_outcome, created_at, updated_at)
    VALUES (${repo}, ${installationId}, ${issueNumber}, ${`fp-${repo}-${issueNumber}`}, '{}', 'WeatherFetchOperator', 'operator', 'http',
            '2', 'anthropic', 'm', 'merged', ${prNumber}, 'merged', ${T0}, ${T0})
    RETURNING id`.execute(db);
  return result.rows[0]?.id ?? 0;
}

async function rule(db: Db, before: string, sources: { repo: string; pr: number }[], mergedInto: number | null = null): Promise<number> {
  const result = await sql<{ id: number }>`
    INSERT INTO rewrite_rules (before_pattern, after_pattern, context, holes, description, source_pr, repo, commit_sha, status, merged_into,
                               created_at, updated_at)
    VALUES (${before}, ${`${before}_fixed`}, '', 0, ${`rename ${before}`}, ${sources[0]?.pr ?? 0}, ${sources[0]?.repo ?? ""}, 'abc1234',
            'trusted', ${mergedInto}, ${T0}, ${T0})
    RETURNING id`.execute(db);
  const id = result.rows[0]?.id ?? 0;
  for (const s of sources) {
    await sql`INSERT INTO rule_sources (rule_id, repo, pr_number, commit_sha, path, added_at)
              VALUES (${id}, ${s.repo}, ${s.pr}, 'abc1234', 'plugins/x.py', ${T0})`.execute(db);
  }
  return id;
}

async function pattern(db: Db, fingerprint: string, category: string, archived: 0 | 1 = 0): Promise<void> {
  await sql`
    INSERT INTO patterns (kind, fingerprint, code, description, category, component_type, role, text, scope, weight_at, created_at, updated_at,
                          successes, success_weight, archived)
    VALUES ('execute_shape', ${fingerprint}, ${"def execute(self, context):\n    return fetch_forecast()"}, 'execute fetches the forecast',
            ${category}, 'operator', 'component', 'execute fetch forecast weather', 'toperator', ${T0}, ${T0}, ${T0}, 3, 3, ${archived})`.execute(db);
}

/**
 * Learned rows as a database at schema 7 holds them, written through Kysely so the same rows go into SQLite
 * and PostgreSQL. `several`: two app installations (the cases of test/store/migration-008.test.ts: rules,
 * a signature two installations met, occurrences without a generation, patterns of unknown origin).
 * `single`: one app installation beside the command line's, whose patterns it therefore taught.
 */
async function fill(db: Db, fixture: Fixture): Promise<void> {
  if (fixture === "single") {
    await generation(db, ACME, "acme/pipelines", 1, 5);
    await generation(db, 0, "local/0123456789abcdef", 1, 0);
    await pattern(db, "a".repeat(64), "http");
    await pattern(db, "c".repeat(64), "files");
    await pattern(db, "d".repeat(64), "http", 1);
    return;
  }
  const acme = await generation(db, ACME, "acme/pipelines", 1, 5);
  const globex = await generation(db, GLOBEX, "globex/etl", 1, 6);
  await rule(db, "acme_only", [{ repo: "acme/pipelines", pr: 5 }]);
  await rule(db, "globex_only", [{ repo: "globex/etl", pr: 6 }]);
  const mixed = await rule(db, "both_taught", [{ repo: "acme/pipelines", pr: 5 }, { repo: "globex/etl", pr: 6 }]);
  await rule(db, "from_cli", [{ repo: "local", pr: 0 }]);
  await rule(db, "no_such_pr", [{ repo: "acme/pipelines", pr: 99 }]);
  // Folded into the mixed rule, which goes nowhere: it follows.
  await rule(db, "part_of_mixed", [{ repo: "acme/pipelines", pr: 5 }], mixed);

  await sql`INSERT INTO error_signatures (id, signature, kind, root_cause, fix_strategy, matched, occurrences, first_seen, last_seen, component_types_json)
            VALUES (1, 'ModuleNotFoundError: No module named <mod>', 'import', 'a module is missing', 'add it', 'import', 4, ${T0}, ${T0 + 3}, '["operator"]'),
                   (2, 'SyntaxError: invalid syntax', 'syntax', 'bad code', 'regenerate', 'syntax', 0, ${T0}, ${T0}, '[]')`.execute(db);
  for (const [generationId, at, type] of [
    [acme, T0, "operator"],
    [acme, T0 + 1, "sensor"],
    [null, T0 + 2, "operator"],
    [globex, T0 + 3, "hook"],
  ] as const) {
    await sql`INSERT INTO error_occurrences (signature_id, generation_id, component_type, category, source, seen_at)
              VALUES (1, ${generationId}, ${type}, 'http', 'ci', ${at})`.execute(db);
  }
  // Globex's attempt keeps the signature id on its failure; text that is not JSON is left alone.
  await sql`INSERT INTO attempts (generation_id, number, trigger, strategy, outcome, ci_failures_json, created_at, updated_at)
            VALUES (${globex}, 1, 'initial', 'fresh', 'ci_failed', ${JSON.stringify([
              { check: "test", kind: "import", message: "No module named 'x'", excerpt: "", signatureId: 1 },
              { check: "lint", kind: "syntax", message: "bad", excerpt: "", signatureId: 2 },
            ])}, ${T0}, ${T0}),
                   (${globex}, 2, 'ci_retry', 'fresh', 'ci_failed', 'not json', ${T0}, ${T0})`.execute(db);
  await sql`INSERT INTO fix_attempts (signature_id, fix_kind, fix_ref, fix_label, generation_id, attempt_number, outcome, created_at, resolved_at)
            VALUES (1, 'prompt_instruction', 'i1', 'retry: patch', ${acme}, 2, 'passed', ${T0}, ${T0})`.execute(db);
  const acmeFix = await rule(db, "acme_fix", [{ repo: "acme/pipelines", pr: 5 }]);
  const globexFix = await rule(db, "globex_fix", [{ repo: "globex/etl", pr: 6 }]);
  await sql`INSERT INTO rule_signatures (rule_id, signature_id) VALUES (${acmeFix}, 1), (${globexFix}, 1)`.execute(db);
  await sql`INSERT INTO library_outcomes (library, airflow_major, kind, generation_id, created_at)
            VALUES ('requests', '2', 'import_failed', ${globex}, ${T0}), ('requests', '2', 'import_failed', NULL, ${T0})`.execute(db);
  await pattern(db, "b".repeat(64), "http");
}

/** The learned tables' rows (and the metrics view), each table's rows sorted, comparable across dialects. */
async function dump(db: Kysely<Tables>): Promise<Record<string, string[]>> {
  const tables = [
    "generations", "attempts", "patterns", "pattern_terms", "error_signatures", "error_occurrences", "fix_attempts", "rewrite_rules",
    "rule_sources", "rule_signatures", "library_outcomes", "generation_metrics",
  ] as const;
  const out: Record<string, string[]> = {};
  for (const table of tables) {
    const columns = tableColumns[table].map((c) => sql.id(c));
    const rows = await sql<Record<string, unknown>>`SELECT ${sql.join(columns)} FROM ${sql.table(table)}`.execute(db);
    out[table] = rows.rows.map((r) => JSON.stringify(r)).sort();
  }
  return out;
}

async function withDb<T>(config: Parameters<typeof createDb>[0], work: (db: Kysely<Tables>) => Promise<T>): Promise<T> {
  const db = createDb(config);
  try {
    return await work(db);
  } finally {
    await db.destroy();
  }
}

/** A SQLite file the existing store made at schema 7, filled; one copy upgraded by the store, one by Kysely. */
async function upgradedBoth(fixture: Fixture): Promise<{ store: string; kysely: string }> {
  const store = join(dir, `store-${fixture}.db`);
  const kysely = join(dir, `kysely-${fixture}.db`);
  openDatabase(store, { migrations: storeMigrations.slice(0, 7) }).close();
  await withDb({ dialect: "sqlite", path: store }, (db) => fill(db as unknown as Db, fixture));
  copyFileSync(store, kysely);
  openDatabase(store).close();
  const applied = await withDb({ dialect: "sqlite", path: kysely }, (db) => migrateToLatest(db, "sqlite"));
  expect(applied).toEqual(schemaMigrations.slice(7).map((m) => m.name));
  return { store, kysely };
}

function ftsRows(path: string, match: string): number[] {
  const db = new BetterSqlite3(path, { readonly: true });
  try {
    return (db.prepare("SELECT rowid FROM patterns_fts WHERE patterns_fts MATCH ? ORDER BY rowid").all(match) as { rowid: number }[]).map((r) => r.rowid);
  } finally {
    db.close();
  }
}

function schemaOf(path: string): ReturnType<typeof sqliteSchema> {
  const db = new BetterSqlite3(path, { readonly: true });
  try {
    return sqliteSchema(db, [MIGRATION_TABLE, MIGRATION_LOCK_TABLE]);
  } finally {
    db.close();
  }
}

const patternQuery = { componentType: "operator", category: "http", queryText: "fetch the weather forecast", random: () => 0.5, now: T0 } as const;

describe("migration 008 on SQLite: a store file at schema 7 upgraded by Kysely equals the same file upgraded by the store", () => {
  it.each(["several", "single"] as const)("rows, full-text index and schema (%s installations)", async (fixture) => {
    const { store, kysely } = await upgradedBoth(fixture);
    const [fromStore, fromKysely] = [
      await withDb({ dialect: "sqlite", path: store }, dump),
      await withDb({ dialect: "sqlite", path: kysely }, dump),
    ];
    expect(fromKysely).toEqual(fromStore);
    expect(schemaOf(kysely)).toEqual(schemaOf(store));
    for (const match of [`scope : "${installationToken(ACME)}"`, `scope : "${installationToken(null)}"`, `forecast`, `scope : "${repositoryToken("acme/pipelines")}"`]) {
      expect({ match, rows: ftsRows(kysely, match) }).toEqual({ match, rows: ftsRows(store, match) });
    }
  });

  it("the store's retrieval reads the Kysely-upgraded file: one installation's patterns found by it alone", async () => {
    const { kysely } = await upgradedBoth("single");
    // user_version is the newest after Kysely: the store opens the file without migrating it again.
    const db = openDatabase(kysely);
    try {
      expect((await retrievePatterns(kyselyOverStore(db), { installationId: ACME, repository: null }, patternQuery)).map((p) => p.code)).toEqual([
        "def execute(self, context):\n    return fetch_forecast()",
      ]);
      expect(await retrievePatterns(kyselyOverStore(db), { installationId: ACME, repository: "acme/pipelines" }, patternQuery)).toHaveLength(1);
      expect(await retrievePatterns(kyselyOverStore(db), { installationId: 0, repository: null }, patternQuery)).toEqual([]);
      expect(db.prepare("SELECT installation_id, term, docs FROM pattern_terms WHERE term IN ('', 'forecast') ORDER BY term").all()).toEqual([
        { installation_id: ACME, term: "", docs: 2 },
        { installation_id: ACME, term: "forecast", docs: 2 },
      ]);
    } finally {
      db.close();
    }
  });

  it("a store file already past 008 is taken over without running 008 again: its learned rows stay as they are", async () => {
    const path = join(dir, "store-latest.db");
    openDatabase(path, { migrations: storeMigrations.slice(0, 7) }).close();
    await withDb({ dialect: "sqlite", path }, (db) => fill(db as unknown as Db, "several"));
    openDatabase(path).close();
    // Placed after 008 by hand: a second run of 008 would send these patterns to no installation (two app installations exist).
    const raw = new BetterSqlite3(path);
    raw.prepare("UPDATE patterns SET installation_id = ?, repository = 'acme/pipelines'").run(ACME);
    raw.close();
    const before = await withDb({ dialect: "sqlite", path }, dump);
    const schemaBefore = schemaOf(path);
    await withDb({ dialect: "sqlite", path }, async (db) => {
      expect(await migrateToLatest(db, "sqlite")).toEqual([]);
      const recorded = await sql<{ name: string }>`SELECT name FROM ${sql.table(MIGRATION_TABLE)} ORDER BY name`.execute(db);
      expect(recorded.rows.map((r) => r.name)).toEqual(schemaMigrations.map((m) => m.name));
    });
    expect(await withDb({ dialect: "sqlite", path }, dump)).toEqual(before);
    expect(schemaOf(path)).toEqual(schemaBefore);
    const check = new BetterSqlite3(path, { readonly: true });
    try {
      expect(check.pragma("user_version", { simple: true })).toBe(schemaMigrations.length);
      expect(check.prepare("SELECT DISTINCT installation_id FROM patterns").all()).toEqual([{ installation_id: ACME }]);
    } finally {
      check.close();
    }
  });

  it("a failing 008 leaves the file at schema 7, nothing half moved", async () => {
    const path = join(dir, "fails.db");
    openDatabase(path, { migrations: storeMigrations.slice(0, 7) }).close();
    await withDb({ dialect: "sqlite", path }, async (db) => {
      await fill(db as unknown as Db, "several");
      // An index under a name 008 creates late, after patterns, rules and occurrences were already rebuilt.
      await sql`CREATE INDEX library_outcomes_by_installation ON library_outcomes (library)`.execute(db);
    });
    const before = schemaOf(path);
    await withDb({ dialect: "sqlite", path }, async (db) => {
      await expect(migrateToLatest(db, "sqlite")).rejects.toThrow(/migration 008_installation_scope failed on sqlite/);
      const recorded = await sql<{ name: string }>`SELECT name FROM ${sql.table(MIGRATION_TABLE)} ORDER BY name`.execute(db);
      expect(recorded.rows.map((r) => r.name)).toEqual(BEFORE_008.map((m) => m.name));
    });
    expect(schemaOf(path)).toEqual(before);
  });
});

describe("migration 008 on PostgreSQL: existing rows move to the installation they came from", () => {
  const dbs: Partial<Record<Fixture, { pgTest: TestPostgres; db: Kysely<Tables>; applied: string[] }>> = {};

  beforeAll(async () => {
    for (const fixture of ["several", "single"] as const) {
      const pgTest = await testPostgres(`the PostgreSQL migration 008 tests (${fixture})`);
      const db = createDb({ dialect: "postgres", url: pgTest.url });
      dbs[fixture] = { pgTest, db, applied: [] };
      await migrateToLatest(db, "postgres", { migrations: BEFORE_008 });
      await fill(db as unknown as Db, fixture);
      dbs[fixture] = { pgTest, db, applied: await migrateToLatest(db, "postgres") };
    }
  }, 60_000);

  afterAll(async () => {
    for (const entry of Object.values(dbs)) {
      await entry.db.destroy();
      await entry.pgTest.drop();
    }
  });

  function pg(fixture: Fixture): Kysely<Tables> {
    const entry = dbs[fixture];
    if (!entry) throw new Error(`no PostgreSQL database for ${fixture}`);
    return entry.db;
  }

  it("the same rows as the SQLite store's own 008 makes of the same data", async () => {
    for (const fixture of ["several", "single"] as const) {
      expect(dbs[fixture]?.applied).toEqual(schemaMigrations.slice(7).map((m) => m.name));
      const { store } = await upgradedBoth(fixture);
      expect({ fixture, rows: await dump(pg(fixture)) }).toEqual({ fixture, rows: await withDb({ dialect: "sqlite", path: store }, dump) });
    }
  });

  it("rules go to the installation of the PRs their sources name; mixed or unknown origins, and rules folded into those, to none", async () => {
    const rules = await pg("several").selectFrom("rewrite_rules").select(["before_pattern", "installation_id"]).orderBy("id").execute();
    expect(Object.fromEntries(rules.map((r) => [r.before_pattern, r.installation_id]))).toEqual({
      acme_only: ACME,
      globex_only: GLOBEX,
      both_taught: null,
      from_cli: 0,
      no_such_pr: null,
      part_of_mixed: null,
      acme_fix: ACME,
      globex_fix: GLOBEX,
    });
    const mixed = await sql<{ sources: number }>`
      SELECT COUNT(*) AS sources FROM rule_sources s JOIN rewrite_rules r ON r.id = s.rule_id WHERE r.before_pattern = 'both_taught'`.execute(pg("several"));
    expect(mixed.rows).toEqual([{ sources: 2 }]);
  });

  it("a signature two installations met splits; occurrences, fix attempts, rule links and attempts' failures follow their installation", async () => {
    const db = pg("several");
    const signatures = await db
      .selectFrom("error_signatures")
      .select(["id", "installation_id", "signature", "occurrences", "first_seen", "last_seen", "component_types_json"])
      .orderBy("id")
      .execute();
    const globexId = signatures.find((s) => s.installation_id === GLOBEX)?.id ?? 0;
    const unplacedId = signatures.find((s) => s.installation_id === null && s.signature.startsWith("ModuleNotFound"))?.id ?? 0;
    expect(globexId).toBeGreaterThan(2);
    expect(signatures).toEqual([
      { id: 1, installation_id: ACME, signature: "ModuleNotFoundError: No module named <mod>", occurrences: 2, first_seen: T0, last_seen: T0 + 1, component_types_json: '["operator","sensor"]' },
      // Met by nobody: kept under no installation, its id unchanged.
      { id: 2, installation_id: null, signature: "SyntaxError: invalid syntax", occurrences: 0, first_seen: T0, last_seen: T0, component_types_json: "[]" },
      { id: globexId, installation_id: GLOBEX, signature: "ModuleNotFoundError: No module named <mod>", occurrences: 1, first_seen: T0 + 3, last_seen: T0 + 3, component_types_json: '["hook"]' },
      { id: unplacedId, installation_id: null, signature: "ModuleNotFoundError: No module named <mod>", occurrences: 1, first_seen: T0 + 2, last_seen: T0 + 2, component_types_json: '["operator"]' },
    ]);
    const occurrences = await db.selectFrom("error_occurrences").select(["signature_id", "installation_id", "repository"]).orderBy("id").execute();
    expect(occurrences).toEqual([
      { signature_id: 1, installation_id: ACME, repository: "acme/pipelines" },
      { signature_id: 1, installation_id: ACME, repository: "acme/pipelines" },
      { signature_id: unplacedId, installation_id: null, repository: null },
      { signature_id: globexId, installation_id: GLOBEX, repository: "globex/etl" },
    ]);
    expect(await db.selectFrom("fix_attempts").select(["signature_id", "installation_id", "repository"]).execute()).toEqual([
      { signature_id: 1, installation_id: ACME, repository: "acme/pipelines" },
    ]);
    const links = await sql<{ before_pattern: string; signature_id: number }>`
      SELECT r.before_pattern, l.signature_id FROM rule_signatures l JOIN rewrite_rules r ON r.id = l.rule_id ORDER BY r.before_pattern`.execute(db);
    expect(links.rows).toEqual([
      { before_pattern: "acme_fix", signature_id: 1 },
      { before_pattern: "globex_fix", signature_id: globexId },
    ]);
    const attempts = await db.selectFrom("attempts").select(["number", "ci_failures_json"]).orderBy("number").execute();
    expect(JSON.parse(attempts[0]?.ci_failures_json ?? "null")).toEqual([
      expect.objectContaining({ signatureId: globexId }),
      // Signature 2 kept its id: the failure still names it.
      expect.objectContaining({ signatureId: 2 }),
    ]);
    expect(attempts[1]?.ci_failures_json).toBe("not json");
    expect(await db.selectFrom("library_outcomes").select(["installation_id", "repository"]).orderBy("id").execute()).toEqual([
      { installation_id: GLOBEX, repository: "globex/etl" },
      { installation_id: null, repository: null },
    ]);
    const metrics = await db.selectFrom("generation_metrics").select(["repo", "installation_id"]).orderBy("repo").execute();
    expect(metrics).toEqual([
      { repo: "acme/pipelines", installation_id: ACME },
      { repo: "globex/etl", installation_id: GLOBEX },
    ]);
  });

  it("patterns belong to the one app installation when there is just one, and to none when there are several", async () => {
    expect(await pg("several").selectFrom("patterns").select(["installation_id", "repository", "archived"]).execute()).toEqual([
      { installation_id: null, repository: null, archived: 0 },
    ]);
    expect(await pg("several").selectFrom("pattern_terms").selectAll().execute()).toEqual([]);
    expect(await pg("single").selectFrom("patterns").select(["installation_id", "repository"]).distinct().execute()).toEqual([
      { installation_id: ACME, repository: "acme/pipelines" },
    ]);
    const terms = await pg("single").selectFrom("pattern_terms").selectAll().where("term", "in", ["", "forecast"]).orderBy("term").execute();
    // The archived pattern counts nowhere.
    expect(terms).toEqual([
      { installation_id: ACME, term: "", docs: 2 },
      { installation_id: ACME, term: "forecast", docs: 2 },
    ]);
  });

  it("the full-text search requires the installation (and repository) token, as FTS5's scoped match does", async () => {
    const search = async (db: Kysely<Tables>, tokens: readonly string[]) => {
      const query = [...tokens.map((t) => `${t}:D`), "(forecast | weather)"].join(" & ");
      const rows = await sql<{ fingerprint: string }>`
        SELECT fingerprint FROM patterns, to_tsquery('simple', ${query}) AS query
         WHERE archived = 0 AND search_vector @@ query ORDER BY ts_rank_cd('{0, 0.25, 0.5, 1}', search_vector, query) DESC, id`.execute(db);
      return rows.rows.map((r) => r.fingerprint[0]);
    };
    expect(await search(pg("single"), [installationToken(ACME), "toperator"])).toEqual(["a", "c"]);
    expect(await search(pg("single"), [installationToken(ACME), repositoryToken("acme/pipelines")])).toEqual(["a", "c"]);
    expect(await search(pg("single"), [installationToken(GLOBEX)])).toEqual([]);
    expect(await search(pg("single"), [installationToken(0)])).toEqual([]);
    expect(await search(pg("single"), [installationToken(ACME), repositoryToken("acme/other")])).toEqual([]);
    // Unknown origin: the token no reader asks for.
    expect(await search(pg("several"), [installationToken(ACME)])).toEqual([]);
    expect(await search(pg("several"), [installationToken(null)])).toEqual(["b"]);
  });

  it("rebuilt tables go on numbering after the copied rows, keep their foreign keys, and are unique per installation", async () => {
    const db = pg("several");
    const now = T0 + 10;
    const signature = { signature: "ModuleNotFoundError: No module named <mod>", kind: "import", root_cause: "r", fix_strategy: "f", matched: "m", first_seen: now, last_seen: now };
    const maxSignature = await db.selectFrom("error_signatures").select((eb) => eb.fn.max("id").as("id")).executeTakeFirstOrThrow();
    // Another installation may now hold the same message.
    const added = await db.insertInto("error_signatures").values({ ...signature, installation_id: 33 }).returning("id").executeTakeFirstOrThrow();
    expect(added.id).toBe(Number(maxSignature.id) + 1);
    await expect(db.insertInto("error_signatures").values({ ...signature, installation_id: 33 }).execute()).rejects.toThrow(/unique/);
    const maxRule = await db.selectFrom("rewrite_rules").select((eb) => eb.fn.max("id").as("id")).executeTakeFirstOrThrow();
    const rule = await db
      .insertInto("rewrite_rules")
      .values({ installation_id: GLOBEX, before_pattern: "acme_only", after_pattern: "acme_only_fixed", holes: 0, description: "d", status: "candidate", created_at: now, updated_at: now })
      .returning("id")
      .executeTakeFirstOrThrow();
    expect(rule.id).toBe(Number(maxRule.id) + 1);
    await db.insertInto("rule_sources").values({ rule_id: rule.id, repo: "globex/etl", pr_number: 6, commit_sha: "c", path: "p", added_at: now }).execute();
    await db.insertInto("rule_signatures").values({ rule_id: rule.id, signature_id: added.id }).execute();
    // The foreign keys put back after the rebuild still cascade.
    await db.deleteFrom("rewrite_rules").where("id", "=", rule.id).execute();
    expect(await db.selectFrom("rule_sources").select("rule_id").where("rule_id", "=", rule.id).execute()).toEqual([]);
    await expect(db.insertInto("rule_signatures").values({ rule_id: rule.id, signature_id: added.id }).execute()).rejects.toThrow(/foreign key/);
    await db.deleteFrom("error_signatures").where("id", "=", 1).execute();
    expect(await db.selectFrom("error_occurrences").select("id").where("signature_id", "=", 1).execute()).toEqual([]);
    const maxPattern = await db.selectFrom("patterns").select((eb) => eb.fn.max("id").as("id")).executeTakeFirstOrThrow();
    const p = await db
      .insertInto("patterns")
      .values({ installation_id: ACME, repository: "acme/pipelines", kind: "logging", fingerprint: "b".repeat(64), code: "", description: "", category: "http", component_type: "operator", role: "component", weight_at: now, created_at: now, updated_at: now })
      .returning("id")
      .executeTakeFirstOrThrow();
    expect(p.id).toBe(Number(maxPattern.id) + 1);
  });
});
