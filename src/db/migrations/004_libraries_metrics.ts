import { sql } from "kysely";
import type { Kysely } from "kysely";
import type { Tables } from "../schema.js";
import { seedLibraryRows } from "../seed.js";
import { columnTypes, notNull, rowId } from "./types.js";
import type { SchemaMigration } from "./types.js";

/**
 * Mirrors src/store/migrations/004_libraries_metrics.ts: the library store and the per-generation metrics
 * view. Like that migration, it seeds the curated alternatives and notes (src/db/seed.ts).
 */
export const migration004: SchemaMigration = {
  name: "004_libraries_metrics",
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable("library_outcomes")
      .addColumn("id", t.int, rowId(dialect))
      // PEP 503 normalized distribution name.
      .addColumn("library", t.text, notNull)
      .addColumn("airflow_major", t.text, (c) => c.notNull().check(sql`airflow_major IN ('2', '3')`))
      .addColumn("kind", t.text, (c) =>
        c.notNull().check(sql`kind IN ('import_ok', 'import_failed', 'exec_ok', 'exec_failed', 'conflict')`),
      )
      .addColumn("generation_id", t.int, (c) => c.references("generations.id").onDelete("set null"))
      .addColumn("detail", t.text)
      .addColumn("created_at", t.int, notNull)
      .execute();
    await db.schema.createIndex("library_outcomes_by_library").on("library_outcomes").columns(["library", "airflow_major", "kind"]).execute();
    await db.schema.createIndex("library_outcomes_by_created").on("library_outcomes").column("created_at").execute();

    await db.schema
      .createTable("library_alternatives")
      .addColumn("id", t.int, rowId(dialect))
      .addColumn("library", t.text, notNull)
      // NULL: applies to both Airflow 2 and 3.
      .addColumn("airflow_major", t.text, (c) => c.check(sql`airflow_major IN ('2', '3')`))
      .addColumn("kind", t.text, (c) => c.notNull().check(sql`kind IN ('provider_hook', 'package', 'stdlib')`))
      .addColumn("name", t.text, notNull)
      .addColumn("rank", t.int, (c) => c.notNull().defaultTo(0))
      .addColumn("package", t.text)
      .addColumn("import_line", t.text)
      .addColumn("snippet", t.text)
      .addColumn("note", t.text)
      .addColumn("source", t.text)
      .addColumn("curated", t.flag, (c) => c.notNull().defaultTo(0).check(sql`curated IN (0, 1)`))
      .addUniqueConstraint("library_alternatives_library_kind_name_key", ["library", "kind", "name"])
      .execute();

    await db.schema
      .createTable("library_notes")
      .addColumn("library", t.text, notNull)
      .addColumn("airflow_major", t.text, (c) => c.check(sql`airflow_major IN ('2', '3')`))
      .addColumn("note", t.text, notNull)
      .addColumn("source", t.text)
      .addColumn("curated", t.flag, (c) => c.notNull().defaultTo(0).check(sql`curated IN (0, 1)`))
      .addUniqueConstraint("library_notes_library_note_key", ["library", "note"])
      .execute();

    await db.schema.createIndex("generations_by_created").on("generations").column("created_at").execute();

    // SQLite sums a comparison as 0/1 and checks JSON with json_valid; PostgreSQL needs CASE and a helper
    // that treats text that is not a JSON array as no context (a cast alone would fail the whole query).
    let ciPassed = sql`SUM(outcome = 'ci_passed')`;
    let contextItems = sql`MAX(CASE WHEN learned_context_json IS NOT NULL AND json_valid(learned_context_json)
                                 AND json_type(learned_context_json) = 'array'
                            THEN json_array_length(learned_context_json) ELSE 0 END)`;
    if (dialect === "postgres") {
      await sql`CREATE FUNCTION opforge_json_array_length(doc text) RETURNS integer
        LANGUAGE plpgsql IMMUTABLE AS $$
        BEGIN
          IF doc IS NULL OR json_typeof(doc::json) <> 'array' THEN RETURN 0; END IF;
          RETURN json_array_length(doc::json);
        EXCEPTION WHEN invalid_text_representation THEN
          RETURN 0;
        END $$`.execute(db);
      ciPassed = sql`SUM(CASE WHEN outcome = 'ci_passed' THEN 1 ELSE 0 END)`;
      contextItems = sql`MAX(opforge_json_array_length(learned_context_json))`;
    }
    // A component counts as successful once it merged or a CI run on one of its attempts passed.
    await sql`CREATE VIEW generation_metrics AS
        SELECT g.id                    AS generation_id,
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
    // Every database starts with the curated alternatives. The tables exist from here on, so the typed
    // writer of src/db/seed.ts can write them; seedLibraryRows refreshes them later.
    await seedLibraryRows(db as Kysely<Tables>);
  },
};
