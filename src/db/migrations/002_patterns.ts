import { sql } from "kysely";
import { columnTypes, notNull, rowId } from "./types.js";
import type { SchemaMigration } from "./types.js";

/**
 * Mirrors src/store/migrations/002_patterns.ts: the pattern store and its full-text index.
 *
 * SQLite keeps the FTS5 table with `patterns` as external content, in step through triggers, archived rows
 * left out. PostgreSQL has no FTS5; the same purpose (rank live patterns by the spec's words, weighting
 * the columns as retrieve.ts weights bm25()) is a generated `search_vector` column and a GIN index limited
 * to live rows. The `simple` configuration neither stems nor drops stopwords, like FTS5's unicode61, so the
 * scope tokens (`toperator`, `s<hash>`) match exactly. Weights follow bm25(patterns_fts, 1, 1, 0.5, 2, 0):
 * libraries A, description and text B, category C, scope D — query with
 * `ts_rank_cd('{0, 0.25, 0.5, 1}', search_vector, query)` (the array lists D, C, B, A) for the same ratios.
 * `ts_rank_cd` is not BM25: compare rank order, not scores, across dialects. The index has no pending list
 * (`fastupdate = off`): with one, rows written since the last vacuum make the planner price the index so high
 * that it scans the table instead; patterns are written once per merged PR and searched on every generation.
 */
export const migration002: SchemaMigration = {
  name: "002_patterns",
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable("patterns")
      .addColumn("id", t.int, rowId(dialect))
      .addColumn("kind", t.text, (c) =>
        c.notNull().check(sql`kind IN ('import_block', 'init_signature', 'template_fields',
                                'execute_shape', 'poke_shape', 'hook_shape', 'error_handling', 'logging',
                                'connection_use', 'test_structure')`),
      )
      .addColumn("fingerprint", t.text, (c) => c.notNull().unique())
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
      .execute();
    await db.schema
      .createIndex("patterns_live_by_type")
      .on("patterns")
      .columns(["component_type", "category"])
      .where(sql<boolean>`archived = 0`)
      .execute();

    if (dialect === "sqlite") {
      // The same statements as the SQLite store's migration: FTS5 and its triggers have no portable form.
      await sql`CREATE VIRTUAL TABLE patterns_fts USING fts5(
        description, text, category, libraries, scope,
        content = 'patterns', content_rowid = 'id', tokenize = 'unicode61'
      )`.execute(db);
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
    } else {
      await sql`ALTER TABLE patterns ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
          setweight(to_tsvector('simple'::regconfig, libraries), 'A')
          || setweight(to_tsvector('simple'::regconfig, description), 'B')
          || setweight(to_tsvector('simple'::regconfig, text), 'B')
          || setweight(to_tsvector('simple'::regconfig, category), 'C')
          || setweight(to_tsvector('simple'::regconfig, scope), 'D')
        ) STORED`.execute(db);
      await sql`CREATE INDEX patterns_search ON patterns USING GIN (search_vector) WITH (fastupdate = off) WHERE archived = 0`.execute(db);
    }

    let terms = db.schema
      .createTable("pattern_terms")
      .addColumn("term", t.text, (c) => c.primaryKey())
      .addColumn("docs", t.int, notNull);
    if (dialect === "sqlite") terms = terms.modifyEnd(sql`WITHOUT ROWID`);
    await terms.execute();
  },
};
