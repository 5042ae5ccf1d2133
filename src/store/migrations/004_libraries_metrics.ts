import { seedLibrariesInStore } from "../../learn/libraries/seed.js";
import type { Migration } from "./types.js";

/**
 * The library store and the per-generation metrics view.
 *
 * `library_outcomes` is the event log (one row per CI observation), so scores can be recomputed with a
 * different prior later and counts can be shown over time. `library_alternatives` and `library_notes` hold
 * curated knowledge (provider hooks, other packages, stdlib fallbacks, pin notes); `curated = 1` rows are
 * rewritten by the seed, rows added later by people are left alone.
 */
export const migration004: Migration = {
  version: 4,
  name: "libraries_metrics",
  up(db) {
    db.exec(`
      CREATE TABLE library_outcomes (
        id                    INTEGER PRIMARY KEY,
        -- PEP 503 normalized distribution name.
        library               TEXT    NOT NULL,
        airflow_major         TEXT    NOT NULL CHECK (airflow_major IN ('2', '3')),
        kind                  TEXT    NOT NULL CHECK (kind IN
                                ('import_ok', 'import_failed', 'exec_ok', 'exec_failed', 'conflict')),
        generation_id         INTEGER REFERENCES generations (id) ON DELETE SET NULL,
        detail                TEXT,
        created_at            INTEGER NOT NULL
      );
      CREATE INDEX library_outcomes_by_library ON library_outcomes (library, airflow_major, kind);
      CREATE INDEX library_outcomes_by_created ON library_outcomes (created_at);

      CREATE TABLE library_alternatives (
        id                    INTEGER PRIMARY KEY,
        library               TEXT    NOT NULL,
        -- NULL: applies to both Airflow 2 and 3.
        airflow_major         TEXT    CHECK (airflow_major IN ('2', '3')),
        -- Preference order when several apply: provider hook, then another package, then the stdlib.
        kind                  TEXT    NOT NULL CHECK (kind IN ('provider_hook', 'package', 'stdlib')),
        name                  TEXT    NOT NULL,
        -- Order among alternatives of the same kind (lower first).
        rank                  INTEGER NOT NULL DEFAULT 0,
        -- Requirement to add to the spec's dependencies (NULL for the stdlib).
        package               TEXT,
        import_line           TEXT,
        snippet               TEXT,
        note                  TEXT,
        source                TEXT,
        curated               INTEGER NOT NULL DEFAULT 0 CHECK (curated IN (0, 1)),
        UNIQUE (library, kind, name)
      );

      CREATE TABLE library_notes (
        library               TEXT    NOT NULL,
        airflow_major         TEXT    CHECK (airflow_major IN ('2', '3')),
        note                  TEXT    NOT NULL,
        source                TEXT,
        curated               INTEGER NOT NULL DEFAULT 0 CHECK (curated IN (0, 1)),
        UNIQUE (library, note)
      );

      CREATE INDEX generations_by_created ON generations (created_at);

      -- One row per generation with what the dashboard and \`opforge stats\` read. A component counts as
      -- successful once it merged or a CI run on one of its attempts passed (files written by a local
      -- \`opforge generate\` have no CI verdict and do not count).
      CREATE VIEW generation_metrics AS
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
                   SUM(outcome = 'ci_passed') AS ci_passed,
                   MAX(CASE WHEN learned_context_json IS NOT NULL AND json_valid(learned_context_json)
                                 AND json_type(learned_context_json) = 'array'
                            THEN json_array_length(learned_context_json) ELSE 0 END) AS context_items
              FROM attempts
             GROUP BY generation_id
          ) a ON a.generation_id = g.id;
    `);
    // Every database starts with the curated alternatives; seedLibraries(db) refreshes them later.
    seedLibrariesInStore(db);
  },
};
