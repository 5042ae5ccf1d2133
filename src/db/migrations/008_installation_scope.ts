import { sql } from "kysely";
import type { Kysely, RawBuilder } from "kysely";
import { kindToken, ownerScopeOf, typeCategoryToken, typeToken } from "../../learn/patterns/scope.js";
import type { PatternComponentType, PatternKind } from "../../learn/patterns/types.js";
import { columnTypes, notNull, rowId } from "./types.js";
import type { DialectName, SchemaMigration } from "./types.js";

/**
 * Mirrors src/store/migrations/008_installation_scope.ts: per-installation learning. Every learned record
 * carries the installation (and repository) it came from; `patterns`, `rewrite_rules` and `error_signatures`
 * are unique per installation; `pattern_terms` counts words per installation; `generation_metrics` gains
 * `installation_id`. Existing rows move to the installation they came from by the store's rules (see that
 * file): occurrences, fix attempts and library outcomes follow their generation; rules the generations their
 * sources' PRs name (PR 0: the local installation 0; mixed or unknown: NULL); a signature splits into one row
 * per installation that met it, the lowest keeping its id; patterns go to the one app installation when there
 * is just one, else NULL.
 *
 * SQLite cannot change a UNIQUE constraint in place, so the store rebuilds those three tables; this migration
 * does the same on both dialects, so the columns keep the store's order on PostgreSQL too. The difference is
 * what a DROP TABLE takes with it: on SQLite the cascade deletes the rows that reference the table (they are
 * copied aside and put back, as the store does), on PostgreSQL it only needs the foreign keys out of the way
 * (they are dropped and re-added around the rebuild, the rows stay and are updated in place).
 *
 * PostgreSQL's `search_vector` is generated from `scope`, which now carries the installation and repository
 * tokens (`i<id>`, `r<hash>`) retrieval requires in the match: a search asks for them with weight D
 * (`to_tsquery('simple', 'i42:D & toperator:D & (forecast | weather)')`), so the GIN index only hands back
 * the reader's installation's rows, as FTS5's `scope : "i42"` does.
 *
 * Kysely's Migrator runs SQLite migrations outside a transaction; this one moves data through several
 * statements, so on SQLite it runs in its own transaction, all or nothing as the store's step does.
 */
export const migration008: SchemaMigration = {
  name: "008_installation_scope",
  async up(db, dialect) {
    if (dialect === "sqlite" && !db.isTransaction) {
      await db.transaction().execute((trx) => installationScope(trx, dialect));
      return;
    }
    await installationScope(db, dialect);
  },
};

type Db = Kysely<unknown>;

async function installationScope(db: Db, dialect: DialectName): Promise<void> {
  await rebuildPatterns(db, dialect);
  await rebuildRules(db, dialect);
  const t = columnTypes(dialect);
  const learned = [
    { table: "error_occurrences", index: "error_occurrences_by_installation", columns: ["installation_id", "signature_id", "seen_at"] },
    { table: "fix_attempts", index: "fix_attempts_by_installation", columns: ["installation_id", "signature_id"] },
    { table: "library_outcomes", index: "library_outcomes_by_installation", columns: ["installation_id", "library", "airflow_major", "kind"] },
  ] as const;
  for (const { table, index, columns } of learned) {
    await db.schema.alterTable(table).addColumn("installation_id", t.int).execute();
    await db.schema.alterTable(table).addColumn("repository", t.text).execute();
    // Rows without a generation (recorded by hand) cannot be placed: NULL, which no scope matches.
    await sql`UPDATE ${sql.table(table)} SET
        installation_id = (SELECT g.installation_id FROM generations g WHERE g.id = ${sql.ref(`${table}.generation_id`)}),
        repository      = (SELECT g.repo FROM generations g WHERE g.id = ${sql.ref(`${table}.generation_id`)})`.execute(db);
    await db.schema.createIndex(index).on(table).columns([...columns]).execute();
  }
  await splitSignatures(db, dialect);
  await recreateMetricsView(db, dialect);
}

/** Null-safe equality: SQLite's `IS`, PostgreSQL's `IS NOT DISTINCT FROM`. */
function same(dialect: DialectName): RawBuilder<unknown> {
  return sql.raw(dialect === "sqlite" ? "IS" : "IS NOT DISTINCT FROM");
}

/** Rows copied with explicit ids leave an identity sequence behind; the next insert must not reuse an id. */
async function resetIdentity(db: Db, dialect: DialectName, table: string): Promise<void> {
  if (dialect !== "postgres") return;
  await sql`SELECT setval(pg_get_serial_sequence(${table}, 'id'), COALESCE((SELECT MAX(id) FROM ${sql.table(table)}), 0) + 1, false)`.execute(db);
}

interface ForeignKey {
  table: string;
  name: string;
  definition: string;
}

/**
 * PostgreSQL refuses to drop a table other tables reference. The foreign keys into `table` (its own
 * self-reference aside, which the new table declares) are dropped here and returned, to be re-added as they
 * were once the new table holds the rows.
 */
async function detachForeignKeys(db: Db, table: string): Promise<ForeignKey[]> {
  const result = await sql<ForeignKey>`
    SELECT conrelid::regclass::text AS "table", conname AS name, pg_get_constraintdef(oid) AS definition
      FROM pg_constraint
     WHERE contype = 'f' AND confrelid = ${table}::regclass AND conrelid <> confrelid
     ORDER BY conname`.execute(db);
  for (const fk of result.rows) await sql`ALTER TABLE ${sql.raw(fk.table)} DROP CONSTRAINT ${sql.id(fk.name)}`.execute(db);
  return result.rows;
}

async function attachForeignKeys(db: Db, keys: readonly ForeignKey[]): Promise<void> {
  for (const fk of keys) await sql`ALTER TABLE ${sql.raw(fk.table)} ADD CONSTRAINT ${sql.id(fk.name)} ${sql.raw(fk.definition)}`.execute(db);
}

function columnList(columns: readonly string[]): RawBuilder<unknown> {
  return sql.join(columns.map((c) => sql.id(c)));
}

const PATTERN_COLUMNS = [
  "id", "kind", "fingerprint", "code", "description", "category", "component_type", "role", "libraries", "text", "scope",
  "successes", "failures", "success_weight", "failure_weight", "weight_at", "uses", "last_used_at", "created_at",
  "updated_at", "archived", "archived_at",
] as const;

interface PatternOwner {
  installationId: number | null;
  repository: string | null;
}

/** The one app installation (and repository) every app generation belongs to, if there is just one. */
async function soleAppOwner(db: Db): Promise<PatternOwner> {
  // Installation 0 holds the command line's local generations, which never teach patterns.
  const installations = await sql<{ installation_id: number }>`SELECT DISTINCT installation_id FROM generations WHERE installation_id != 0`.execute(db);
  const only = installations.rows.length === 1 ? installations.rows[0] : undefined;
  if (only === undefined) return { installationId: null, repository: null };
  const repos = await sql<{ repo: string }>`SELECT DISTINCT repo FROM generations WHERE installation_id = ${only.installation_id}`.execute(db);
  return { installationId: only.installation_id, repository: repos.rows.length === 1 ? (repos.rows[0]?.repo ?? null) : null };
}

async function rebuildPatterns(db: Db, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);
  if (dialect === "sqlite") {
    // The FTS5 index is emptied and its triggers dropped while the table is rebuilt, then refilled once.
    await sql`DROP TRIGGER patterns_fts_insert`.execute(db);
    await sql`DROP TRIGGER patterns_fts_delete`.execute(db);
    await sql`DROP TRIGGER patterns_fts_update`.execute(db);
    await sql`INSERT INTO patterns_fts (patterns_fts) VALUES ('delete-all')`.execute(db);
    await sql`DROP INDEX patterns_live_by_type`.execute(db);
    await sql`ALTER TABLE patterns RENAME TO patterns_before_008`.execute(db);
  } else {
    // A renamed table would keep its index and constraint names, which the new table needs: copy aside instead.
    await sql`CREATE TEMP TABLE patterns_before_008 AS SELECT ${columnList(PATTERN_COLUMNS)} FROM patterns`.execute(db);
    await sql`DROP TABLE patterns`.execute(db);
  }
  await db.schema
    .createTable("patterns")
    .addColumn("id", t.int, rowId(dialect))
    .addColumn("installation_id", t.int)
    .addColumn("repository", t.text)
    .addColumn("kind", t.text, (c) =>
      c.notNull().check(sql`kind IN ('import_block', 'init_signature', 'template_fields',
                              'execute_shape', 'poke_shape', 'hook_shape', 'error_handling', 'logging',
                              'connection_use', 'test_structure')`),
    )
    .addColumn("fingerprint", t.text, notNull)
    .addColumn("code", t.text, notNull)
    .addColumn("description", t.text, notNull)
    .addColumn("category", t.text, notNull)
    .addColumn("component_type", t.text, (c) => c.notNull().check(sql`component_type IN ('operator', 'sensor', 'hook')`))
    .addColumn("role", t.text, (c) => c.notNull().check(sql`role IN ('component', 'test', 'dag')`))
    .addColumn("libraries", t.text, (c) => c.notNull().defaultTo("[]"))
    .addColumn("text", t.text, (c) => c.notNull().defaultTo(""))
    .addColumn("scope", t.text, (c) => c.notNull().defaultTo(""))
    .addColumn("successes", t.int, (c) => c.notNull().defaultTo(0))
    .addColumn("failures", t.int, (c) => c.notNull().defaultTo(0))
    .addColumn("success_weight", t.real, (c) => c.notNull().defaultTo(0))
    .addColumn("failure_weight", t.real, (c) => c.notNull().defaultTo(0))
    .addColumn("weight_at", t.int, notNull)
    .addColumn("uses", t.int, (c) => c.notNull().defaultTo(0))
    .addColumn("last_used_at", t.int)
    .addColumn("created_at", t.int, notNull)
    .addColumn("updated_at", t.int, notNull)
    .addColumn("archived", t.flag, (c) => c.notNull().defaultTo(0).check(sql`archived IN (0, 1)`))
    .addColumn("archived_at", t.int)
    // Per installation and repository: the same shape merged elsewhere is another row with its own counts.
    .addUniqueConstraint("patterns_installation_repository_fingerprint_key", ["installation_id", "repository", "fingerprint"])
    .execute();
  if (dialect === "postgres") {
    // As 002 declares it: scope (weight D) now holds the owner tokens, so the same index serves scoped searches.
    await sql`ALTER TABLE patterns ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, libraries), 'A')
        || setweight(to_tsvector('simple'::regconfig, description), 'B')
        || setweight(to_tsvector('simple'::regconfig, text), 'B')
        || setweight(to_tsvector('simple'::regconfig, category), 'C')
        || setweight(to_tsvector('simple'::regconfig, scope), 'D')
      ) STORED`.execute(db);
  }
  await sql`INSERT INTO patterns (${columnList(PATTERN_COLUMNS)}) SELECT ${columnList(PATTERN_COLUMNS)} FROM patterns_before_008`.execute(db);
  await sql`DROP TABLE patterns_before_008`.execute(db);
  await resetIdentity(db, dialect, "patterns");
  await db.schema
    .createIndex("patterns_live_by_type")
    .on("patterns")
    .columns(["installation_id", "component_type", "category"])
    .where(sql<boolean>`archived = 0`)
    .execute();
  if (dialect === "postgres") {
    await sql`CREATE INDEX patterns_search ON patterns USING GIN (search_vector) WITH (fastupdate = off) WHERE archived = 0`.execute(db);
  }

  // The scope is recomputed from the row's own fields, so one UPDATE per (type, category, kind) suffices.
  const owner = await soleAppOwner(db);
  const groups = await sql<{ component_type: PatternComponentType; category: string; kind: PatternKind }>`
    SELECT DISTINCT component_type, category, kind FROM patterns`.execute(db);
  for (const g of groups.rows) {
    const scope = `${typeToken(g.component_type)} ${typeCategoryToken(g.component_type, g.category)} ${kindToken(g.kind)} ${ownerScopeOf(owner.installationId, owner.repository)}`;
    await sql`UPDATE patterns SET installation_id = ${owner.installationId}, repository = ${owner.repository}, scope = ${scope}
       WHERE component_type = ${g.component_type} AND category = ${g.category} AND kind = ${g.kind}`.execute(db);
  }

  if (dialect === "sqlite") {
    await sql`CREATE TRIGGER patterns_fts_insert AFTER INSERT ON patterns WHEN new.archived = 0 BEGIN
      INSERT INTO patterns_fts (rowid, description, text, category, libraries, scope)
      VALUES (new.id, new.description, new.text, new.category, new.libraries, new.scope);
    END`.execute(db);
    await sql`CREATE TRIGGER patterns_fts_delete AFTER DELETE ON patterns WHEN old.archived = 0 BEGIN
      INSERT INTO patterns_fts (patterns_fts, rowid, description, text, category, libraries, scope)
      VALUES ('delete', old.id, old.description, old.text, old.category, old.libraries, old.scope);
    END`.execute(db);
    await sql`CREATE TRIGGER patterns_fts_update AFTER UPDATE OF description, text, category, libraries, scope, archived ON patterns
    BEGIN
      INSERT INTO patterns_fts (patterns_fts, rowid, description, text, category, libraries, scope)
        SELECT 'delete', old.id, old.description, old.text, old.category, old.libraries, old.scope WHERE old.archived = 0;
      INSERT INTO patterns_fts (rowid, description, text, category, libraries, scope)
        SELECT new.id, new.description, new.text, new.category, new.libraries, new.scope WHERE new.archived = 0;
    END`.execute(db);
    await sql`INSERT INTO patterns_fts (rowid, description, text, category, libraries, scope)
      SELECT id, description, text, category, libraries, scope FROM patterns WHERE archived = 0`.execute(db);
  }
  await recountTerms(db, dialect);
}

/** Rows per INSERT: three parameters a row, far under both dialects' bound-parameter limits. */
const TERM_BATCH = 1_000;

/**
 * `pattern_terms` counts words per installation (retrieval decides which words are worth searching from the
 * reader's own store). Recounted from the live patterns; patterns of unknown origin count nowhere.
 */
async function recountTerms(db: Db, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);
  await sql`DROP TABLE pattern_terms`.execute(db);
  let terms = db.schema
    .createTable("pattern_terms")
    .addColumn("installation_id", t.int, notNull)
    .addColumn("term", t.text, notNull)
    .addColumn("docs", t.int, notNull)
    .addPrimaryKeyConstraint("pattern_terms_pkey", ["installation_id", "term"]);
  if (dialect === "sqlite") terms = terms.modifyEnd(sql`WITHOUT ROWID`);
  await terms.execute();

  const counts = new Map<number, Map<string, number>>();
  const rows = await sql<{ installation_id: number; text: string }>`
    SELECT installation_id, text FROM patterns WHERE archived = 0 AND installation_id IS NOT NULL`.execute(db);
  for (const row of rows.rows) {
    const own = counts.get(row.installation_id) ?? new Map<string, number>();
    counts.set(row.installation_id, own);
    // The empty term counts the installation's live patterns, as the store's term counter keeps it.
    for (const word of new Set(["", ...row.text.split(" ").filter((w) => w !== "")])) own.set(word, (own.get(word) ?? 0) + 1);
  }
  const values = [...counts].flatMap(([installationId, own]) => [...own].map(([term, docs]) => sql`(${installationId}, ${term}, ${docs})`));
  for (let i = 0; i < values.length; i += TERM_BATCH) {
    await sql`INSERT INTO pattern_terms (installation_id, term, docs) VALUES ${sql.join(values.slice(i, i + TERM_BATCH))}`.execute(db);
  }
}

const RULE_COLUMNS = [
  "id", "before_pattern", "after_pattern", "context", "holes", "description", "source_pr", "repo", "commit_sha", "status",
  "successes", "failures", "applications", "merged_into", "created_at", "updated_at", "engine", "tree_json", "sites", "reverts",
] as const;
const RULE_SOURCE_COLUMNS = ["rule_id", "repo", "pr_number", "commit_sha", "path", "added_at", "author", "committed_at"] as const;

async function rebuildRules(db: Db, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);
  await sql`CREATE TEMP TABLE rules_before_008 AS SELECT ${columnList(RULE_COLUMNS)} FROM rewrite_rules`.execute(db);
  let detached: ForeignKey[] = [];
  if (dialect === "sqlite") {
    // Dropping the table deletes its sources and signature links by cascade: they are copied aside first.
    await sql`CREATE TEMP TABLE rule_sources_before_008 AS SELECT ${columnList(RULE_SOURCE_COLUMNS)} FROM rule_sources`.execute(db);
    await sql`CREATE TEMP TABLE rule_signatures_before_008 AS SELECT rule_id, signature_id FROM rule_signatures`.execute(db);
  } else {
    detached = await detachForeignKeys(db, "rewrite_rules");
  }
  await sql`DROP TABLE rewrite_rules`.execute(db);
  await db.schema
    .createTable("rewrite_rules")
    .addColumn("id", t.int, rowId(dialect))
    .addColumn("installation_id", t.int)
    .addColumn("before_pattern", t.text, notNull)
    .addColumn("after_pattern", t.text, notNull)
    .addColumn("context", t.text, (c) => c.notNull().defaultTo(""))
    .addColumn("holes", t.int, (c) => c.notNull().check(sql`holes >= 0`))
    .addColumn("description", t.text, notNull)
    .addColumn("source_pr", t.int)
    .addColumn("repo", t.text)
    .addColumn("commit_sha", t.text)
    .addColumn("status", t.text, (c) => c.notNull().check(sql`status IN ('candidate', 'trusted', 'discarded', 'archived')`))
    .addColumn("successes", t.int, (c) => c.notNull().defaultTo(0).check(sql`successes >= 0`))
    .addColumn("failures", t.int, (c) => c.notNull().defaultTo(0).check(sql`failures >= 0`))
    .addColumn("applications", t.int, (c) => c.notNull().defaultTo(0).check(sql`applications >= 0`))
    .addColumn("merged_into", t.int, (c) => c.references("rewrite_rules.id").onDelete("set null"))
    .addColumn("created_at", t.int, notNull)
    .addColumn("updated_at", t.int, notNull)
    .addColumn("engine", t.text, (c) => c.notNull().defaultTo("lines").check(sql`engine IN ('lines', 'tree')`))
    .addColumn("tree_json", t.text)
    .addColumn("sites", t.int, (c) => c.notNull().defaultTo(1).check(sql`sites >= 1`))
    .addColumn("reverts", t.int, (c) => c.notNull().defaultTo(0).check(sql`reverts >= 0`))
    .addUniqueConstraint("rewrite_rules_installation_patterns_key", ["installation_id", "before_pattern", "after_pattern", "context"])
    .execute();
  await sql`INSERT INTO rewrite_rules (${columnList(RULE_COLUMNS)}) SELECT ${columnList(RULE_COLUMNS)} FROM rules_before_008`.execute(db);
  await sql`DROP TABLE rules_before_008`.execute(db);
  if (dialect === "sqlite") {
    await sql`INSERT INTO rule_sources (${columnList(RULE_SOURCE_COLUMNS)}) SELECT ${columnList(RULE_SOURCE_COLUMNS)} FROM rule_sources_before_008`.execute(db);
    await sql`INSERT INTO rule_signatures (rule_id, signature_id) SELECT rule_id, signature_id FROM rule_signatures_before_008`.execute(db);
    await sql`DROP TABLE rule_sources_before_008`.execute(db);
    await sql`DROP TABLE rule_signatures_before_008`.execute(db);
  } else {
    await resetIdentity(db, dialect, "rewrite_rules");
    await attachForeignKeys(db, detached);
  }
  await db.schema.createIndex("rewrite_rules_by_status").on("rewrite_rules").columns(["installation_id", "status"]).execute();

  // The generation of a source's PR, the lowest id first: what the store's index walk returns, on both dialects.
  const sources = await sql<{ rule_id: number; pr_number: number; installation_id: number | null }>`
    SELECT s.rule_id AS rule_id, s.pr_number AS pr_number,
           (SELECT g.installation_id FROM generations g WHERE g.repo = s.repo AND g.pr_number = s.pr_number ORDER BY g.id LIMIT 1) AS installation_id
      FROM rule_sources s`.execute(db);
  const found = new Map<number, Set<number | null>>();
  for (const s of sources.rows) {
    const own = found.get(s.rule_id) ?? new Set<number | null>();
    found.set(s.rule_id, own);
    // PR 0: taught on the command line (a commit history or a hand-given fix), the local installation 0.
    own.add(s.pr_number === 0 ? 0 : s.installation_id);
  }
  // A rule whose sources disagree, name a PR without a generation, or that has none stays NULL (the new column's value).
  const byInstallation = new Map<number, number[]>();
  for (const [ruleId, installations] of found) {
    const only = installations.size === 1 ? [...installations][0] : null;
    if (only === null || only === undefined) continue;
    byInstallation.set(only, [...(byInstallation.get(only) ?? []), ruleId]);
  }
  for (const [installationId, ids] of byInstallation) {
    for (let i = 0; i < ids.length; i += TERM_BATCH) {
      await sql`UPDATE rewrite_rules SET installation_id = ${installationId} WHERE id IN (${sql.join(ids.slice(i, i + TERM_BATCH))})`.execute(db);
    }
  }
  // A rule folded into another follows it: a generalization placed nowhere must not leave its parts usable.
  const distinct = sql.raw(dialect === "sqlite" ? "IS NOT" : "IS DISTINCT FROM");
  await sql`UPDATE rewrite_rules SET installation_id = NULL
     WHERE merged_into IS NOT NULL
       AND installation_id ${distinct} (SELECT m.installation_id FROM rewrite_rules m WHERE m.id = rewrite_rules.merged_into)`.execute(db);
}

interface SignatureCopy {
  oldId: number;
  installationId: number | null;
  newId: number;
}

/** Each old signature once per installation that met it (lowest installation first, NULL last); the first keeps its id. */
async function signatureCopies(db: Db): Promise<SignatureCopy[]> {
  const owners = await sql<{ old_id: number; installation_id: number | null }>`
    SELECT s.id AS old_id, u.installation_id AS installation_id
      FROM error_signatures s
      LEFT JOIN (SELECT signature_id, installation_id FROM error_occurrences
                 UNION SELECT signature_id, installation_id FROM fix_attempts
                 UNION SELECT rs.signature_id, r.installation_id FROM rule_signatures rs JOIN rewrite_rules r ON r.id = rs.rule_id) u
        ON u.signature_id = s.id
     ORDER BY s.id, u.installation_id IS NULL, u.installation_id`.execute(db);
  const max = await sql<{ id: number | null }>`SELECT MAX(id) AS id FROM error_signatures`.execute(db);
  let next = (max.rows[0]?.id ?? 0) + 1;
  const copies: SignatureCopy[] = [];
  const kept = new Set<number>();
  for (const owner of owners.rows) {
    const first = !kept.has(owner.old_id);
    kept.add(owner.old_id);
    copies.push({ oldId: owner.old_id, installationId: owner.installation_id, newId: first ? owner.old_id : next++ });
  }
  return copies;
}

const SIGNATURE_COLUMNS = [
  "id", "signature", "kind", "root_cause", "fix_strategy", "matched", "occurrences", "first_seen", "last_seen", "component_types_json",
] as const;
const OCCURRENCE_COLUMNS = ["id", "signature_id", "generation_id", "component_type", "category", "source", "seen_at", "installation_id", "repository"] as const;
const FIX_ATTEMPT_COLUMNS = [
  "id", "signature_id", "fix_kind", "fix_ref", "fix_label", "generation_id", "attempt_number", "outcome", "created_at", "resolved_at",
  "installation_id", "repository",
] as const;

/**
 * Rebuilds `error_signatures` per installation: counts, dates and component types from the installation's
 * own occurrences (the old totals when it has none). Occurrences, fix attempts and rule links then point at
 * their installation's copy: on SQLite they are copied aside and put back (the DROP deletes them by
 * cascade), on PostgreSQL they are updated in place.
 */
async function splitSignatures(db: Db, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);
  const is = same(dialect);
  const copies = await signatureCopies(db);
  await sql`CREATE TEMP TABLE signatures_before_008 AS SELECT ${columnList(SIGNATURE_COLUMNS)} FROM error_signatures`.execute(db);
  // The old occurrences as the counts read them: on PostgreSQL the table itself, unchanged until the remap below.
  let occurrences = sql.raw("error_occurrences");
  let detached: ForeignKey[] = [];
  if (dialect === "sqlite") {
    await sql`CREATE TEMP TABLE occurrences_before_008 AS SELECT ${columnList(OCCURRENCE_COLUMNS)} FROM error_occurrences`.execute(db);
    await sql`CREATE TEMP TABLE fix_attempts_before_008 AS SELECT ${columnList(FIX_ATTEMPT_COLUMNS)} FROM fix_attempts`.execute(db);
    await sql`CREATE TEMP TABLE rule_signatures_before_008 AS
      SELECT rs.rule_id, rs.signature_id, r.installation_id FROM rule_signatures rs JOIN rewrite_rules r ON r.id = rs.rule_id`.execute(db);
    occurrences = sql.raw("occurrences_before_008");
  } else {
    detached = await detachForeignKeys(db, "error_signatures");
  }
  await sql`CREATE TEMP TABLE signature_copies_008 (old_id ${sql.raw(t.int)} NOT NULL, installation_id ${sql.raw(t.int)}, new_id ${sql.raw(t.int)} NOT NULL)`.execute(db);
  await sql`DROP TABLE error_signatures`.execute(db);
  await db.schema
    .createTable("error_signatures")
    .addColumn("id", t.int, rowId(dialect))
    .addColumn("installation_id", t.int)
    .addColumn("signature", t.text, notNull)
    .addColumn("kind", t.text, notNull)
    .addColumn("root_cause", t.text, notNull)
    .addColumn("fix_strategy", t.text, notNull)
    .addColumn("matched", t.text, notNull)
    .addColumn("occurrences", t.int, (c) => c.notNull().defaultTo(0).check(sql`occurrences >= 0`))
    .addColumn("first_seen", t.int, notNull)
    .addColumn("last_seen", t.int, notNull)
    .addColumn("component_types_json", t.text, (c) => c.notNull().defaultTo("[]"))
    .addUniqueConstraint("error_signatures_installation_id_signature_key", ["installation_id", "signature"])
    .execute();
  const rows = copies.map((c) => sql`(${c.oldId}, ${c.installationId}, ${c.newId})`);
  for (let i = 0; i < rows.length; i += TERM_BATCH) {
    await sql`INSERT INTO signature_copies_008 (old_id, installation_id, new_id) VALUES ${sql.join(rows.slice(i, i + TERM_BATCH))}`.execute(db);
  }
  // A JSON array of the distinct component types in name order, spelled as SQLite's json_group_array writes it.
  const types =
    dialect === "sqlite"
      ? sql`(SELECT json_group_array(t.component_type) FROM (SELECT DISTINCT o.component_type FROM ${occurrences} o
              WHERE o.signature_id = c.old_id AND o.installation_id IS c.installation_id AND o.component_type IS NOT NULL
              ORDER BY o.component_type) t)`
      : sql`(SELECT '[' || string_agg(to_json(t.component_type)::text, ',' ORDER BY t.component_type) || ']'
               FROM (SELECT DISTINCT o.component_type FROM ${occurrences} o
                      WHERE o.signature_id = c.old_id AND o.installation_id IS NOT DISTINCT FROM c.installation_id
                        AND o.component_type IS NOT NULL) t)`;
  await sql`INSERT INTO error_signatures (id, installation_id, signature, kind, root_cause, fix_strategy, matched, occurrences, first_seen, last_seen,
                                          component_types_json)
      SELECT c.new_id, c.installation_id, s.signature, s.kind, s.root_cause, s.fix_strategy, s.matched,
             (SELECT COUNT(*) FROM ${occurrences} o WHERE o.signature_id = c.old_id AND o.installation_id ${is} c.installation_id),
             COALESCE((SELECT MIN(o.seen_at) FROM ${occurrences} o WHERE o.signature_id = c.old_id AND o.installation_id ${is} c.installation_id), s.first_seen),
             COALESCE((SELECT MAX(o.seen_at) FROM ${occurrences} o WHERE o.signature_id = c.old_id AND o.installation_id ${is} c.installation_id), s.last_seen),
             COALESCE(${types}, '[]')
        FROM signature_copies_008 c JOIN signatures_before_008 s ON s.id = c.old_id`.execute(db);
  if (dialect === "sqlite") {
    await sql`INSERT INTO error_occurrences (${columnList(OCCURRENCE_COLUMNS)})
      SELECT o.id, c.new_id, o.generation_id, o.component_type, o.category, o.source, o.seen_at, o.installation_id, o.repository
        FROM occurrences_before_008 o JOIN signature_copies_008 c ON c.old_id = o.signature_id AND c.installation_id IS o.installation_id`.execute(db);
    await sql`INSERT INTO fix_attempts (${columnList(FIX_ATTEMPT_COLUMNS)})
      SELECT f.id, c.new_id, f.fix_kind, f.fix_ref, f.fix_label, f.generation_id, f.attempt_number, f.outcome, f.created_at, f.resolved_at,
             f.installation_id, f.repository
        FROM fix_attempts_before_008 f JOIN signature_copies_008 c ON c.old_id = f.signature_id AND c.installation_id IS f.installation_id`.execute(db);
    await sql`INSERT INTO rule_signatures (rule_id, signature_id)
      SELECT l.rule_id, c.new_id
        FROM rule_signatures_before_008 l JOIN signature_copies_008 c ON c.old_id = l.signature_id AND c.installation_id IS l.installation_id`.execute(db);
  } else {
    // New ids are above every old one, so one pass cannot move a row twice.
    await sql`UPDATE error_occurrences o SET signature_id = c.new_id FROM signature_copies_008 c
       WHERE c.old_id = o.signature_id AND c.installation_id IS NOT DISTINCT FROM o.installation_id AND c.new_id <> c.old_id`.execute(db);
    await sql`UPDATE fix_attempts f SET signature_id = c.new_id FROM signature_copies_008 c
       WHERE c.old_id = f.signature_id AND c.installation_id IS NOT DISTINCT FROM f.installation_id AND c.new_id <> c.old_id`.execute(db);
    await sql`UPDATE rule_signatures l SET signature_id = c.new_id FROM rewrite_rules r, signature_copies_008 c
       WHERE r.id = l.rule_id AND c.old_id = l.signature_id AND c.installation_id IS NOT DISTINCT FROM r.installation_id AND c.new_id <> c.old_id`.execute(db);
    await resetIdentity(db, dialect, "error_signatures");
    await attachForeignKeys(db, detached);
  }
  await db.schema.createIndex("error_signatures_by_installation").on("error_signatures").columns(["installation_id", "kind"]).execute();
  await remapAttemptSignatures(db, dialect, copies);
  await sql`DROP TABLE signatures_before_008`.execute(db);
  await sql`DROP TABLE signature_copies_008`.execute(db);
  if (dialect === "sqlite") {
    await sql`DROP TABLE occurrences_before_008`.execute(db);
    await sql`DROP TABLE fix_attempts_before_008`.execute(db);
    await sql`DROP TABLE rule_signatures_before_008`.execute(db);
  }
}

/** The parsed array of a `ci_failures_json`, or undefined for text that is not a JSON array. */
function failureList(text: string): unknown[] | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The `signatureId` an attempt keeps on each CI failure now names its installation's copy of the signature. */
async function remapAttemptSignatures(db: Db, dialect: DialectName, copies: readonly SignatureCopy[]): Promise<void> {
  const moved = new Map(copies.filter((c) => c.newId !== c.oldId).map((c) => [`${c.oldId}:${c.installationId}`, c.newId]));
  if (moved.size === 0) return;
  // SQLite skips text that is not a JSON array in SQL, as the store does; PostgreSQL has no json_valid, so JSON.parse decides.
  const valid =
    dialect === "sqlite" ? sql`AND json_valid(a.ci_failures_json) AND json_type(a.ci_failures_json) = 'array'` : sql``;
  const rows = await sql<{ id: number; ci_failures_json: string; installation_id: number }>`
    SELECT a.id, a.ci_failures_json, g.installation_id FROM attempts a JOIN generations g ON g.id = a.generation_id
     WHERE a.ci_failures_json IS NOT NULL ${valid}`.execute(db);
  for (const row of rows.rows) {
    const failures = failureList(row.ci_failures_json);
    if (failures === undefined) continue;
    let changed = false;
    const next = failures.map((f) => {
      const id = typeof f === "object" && f !== null ? (f as { signatureId?: unknown }).signatureId : undefined;
      const to = typeof id === "number" ? moved.get(`${id}:${row.installation_id}`) : undefined;
      if (to === undefined) return f;
      changed = true;
      return { ...(f as object), signatureId: to };
    });
    if (changed) await sql`UPDATE attempts SET ci_failures_json = ${JSON.stringify(next)} WHERE id = ${row.id}`.execute(db);
  }
}

/** 004's view with the generation's installation, so metrics report per installation. */
async function recreateMetricsView(db: Db, dialect: DialectName): Promise<void> {
  await sql`DROP VIEW generation_metrics`.execute(db);
  // The same dialect spellings as 004: SQLite sums a comparison and checks JSON with json_valid; PostgreSQL
  // uses CASE and 004's opforge_json_array_length, which reads text that is not a JSON array as no context.
  let ciPassed = sql`SUM(outcome = 'ci_passed')`;
  let contextItems = sql`MAX(CASE WHEN learned_context_json IS NOT NULL AND json_valid(learned_context_json)
                               AND json_type(learned_context_json) = 'array'
                          THEN json_array_length(learned_context_json) ELSE 0 END)`;
  if (dialect === "postgres") {
    ciPassed = sql`SUM(CASE WHEN outcome = 'ci_passed' THEN 1 ELSE 0 END)`;
    contextItems = sql`MAX(opforge_json_array_length(learned_context_json))`;
  }
  await sql`CREATE VIEW generation_metrics AS
      SELECT g.id                    AS generation_id,
             g.installation_id       AS installation_id,
             g.repo                  AS repo,
             g.spec_fingerprint      AS spec_fingerprint,
             g.category              AS category,
             g.component_type        AS component_type,
             g.airflow_version       AS airflow_version,
             g.provider              AS provider,
             g.model                 AS model,
             g.status                AS status,
             g.final_outcome         AS final_outcome,
             g.attempts_count        AS attempts,
             g.first_attempt_success AS first_attempt_success,
             CASE WHEN g.status = 'merged' OR g.final_outcome = 'merged'
                       OR COALESCE(a.ci_passed, 0) > 0 THEN 1 ELSE 0 END AS succeeded,
             COALESCE(a.input_tokens, 0)        AS input_tokens,
             COALESCE(a.output_tokens, 0)       AS output_tokens,
             COALESCE(a.cache_read_tokens, 0)   AS cache_read_tokens,
             COALESCE(a.cache_write_tokens, 0)  AS cache_write_tokens,
             COALESCE(a.cost_usd, 0)            AS cost_usd,
             COALESCE(a.duration_ms, 0)         AS duration_ms,
             COALESCE(a.context_items, 0)       AS context_items,
             CASE WHEN COALESCE(a.context_items, 0) > 0 THEN 1 ELSE 0 END AS context_used,
             g.created_at            AS created_at,
             g.updated_at            AS updated_at
        FROM generations g
        LEFT JOIN (
          SELECT generation_id,
                 SUM(input_tokens)       AS input_tokens,
                 SUM(output_tokens)      AS output_tokens,
                 SUM(cache_read_tokens)  AS cache_read_tokens,
                 SUM(cache_write_tokens) AS cache_write_tokens,
                 SUM(cost_usd)           AS cost_usd,
                 SUM(COALESCE(duration_ms, 0)) AS duration_ms,
                 ${ciPassed} AS ci_passed,
                 ${contextItems} AS context_items
            FROM attempts
           GROUP BY generation_id
        ) a ON a.generation_id = g.id`.execute(db);
}
