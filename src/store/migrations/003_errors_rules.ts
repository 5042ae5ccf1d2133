import type { Migration } from "./types.js";

/**
 * The learning layer's error and rewrite-rule stores.
 *
 * Error signatures keep running totals (occurrences, first/last seen) for cheap listing, and one row per
 * occurrence so "seen in this category / component type / since" can be counted exactly. Fix attempts
 * stay pending until the next CI verdict of their generation resolves them.
 *
 * Rewrite rules are learned from human edits of generated code; `rule_sources` keeps every PR a rule was
 * drawn from (a rule merged by anti-unification has several), `rule_signatures` the errors it addressed.
 */
export const migration003: Migration = {
  version: 3,
  name: "errors_rules",
  up(db) {
    db.exec(`
      CREATE TABLE error_signatures (
        id                    INTEGER PRIMARY KEY,
        signature             TEXT    NOT NULL UNIQUE,
        kind                  TEXT    NOT NULL,
        root_cause            TEXT    NOT NULL,
        fix_strategy          TEXT    NOT NULL,
        matched               TEXT    NOT NULL,
        occurrences           INTEGER NOT NULL DEFAULT 0 CHECK (occurrences >= 0),
        first_seen            INTEGER NOT NULL,
        last_seen             INTEGER NOT NULL,
        component_types_json  TEXT    NOT NULL DEFAULT '[]'
      );

      CREATE TABLE error_occurrences (
        id                    INTEGER PRIMARY KEY,
        signature_id          INTEGER NOT NULL REFERENCES error_signatures (id) ON DELETE CASCADE,
        generation_id         INTEGER REFERENCES generations (id) ON DELETE SET NULL,
        component_type        TEXT    CHECK (component_type IN ('operator', 'sensor', 'hook')),
        category              TEXT,
        source                TEXT    NOT NULL CHECK (source IN ('ci', 'validator')),
        seen_at               INTEGER NOT NULL
      );
      CREATE INDEX error_occurrences_by_signature ON error_occurrences (signature_id, seen_at);
      CREATE INDEX error_occurrences_by_category ON error_occurrences (category, seen_at);
      CREATE INDEX error_occurrences_by_component_type ON error_occurrences (component_type, seen_at);

      -- A fix tried for a signature in one attempt of a generation; outcome is decided by the next CI run.
      CREATE TABLE fix_attempts (
        id                    INTEGER PRIMARY KEY,
        signature_id          INTEGER NOT NULL REFERENCES error_signatures (id) ON DELETE CASCADE,
        fix_kind              TEXT    NOT NULL CHECK (fix_kind IN ('fixer', 'learned_rule', 'prompt_instruction')),
        fix_ref               TEXT    NOT NULL,
        fix_label             TEXT,
        generation_id         INTEGER NOT NULL REFERENCES generations (id) ON DELETE CASCADE,
        attempt_number        INTEGER NOT NULL CHECK (attempt_number >= 1),
        outcome               TEXT    NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'passed', 'failed')),
        created_at            INTEGER NOT NULL,
        resolved_at           INTEGER,
        UNIQUE (signature_id, fix_kind, fix_ref, generation_id, attempt_number)
      );
      CREATE INDEX fix_attempts_pending ON fix_attempts (generation_id) WHERE outcome = 'pending';
      CREATE INDEX fix_attempts_by_fix ON fix_attempts (signature_id, fix_kind, fix_ref);

      CREATE TABLE rewrite_rules (
        id                    INTEGER PRIMARY KEY,
        before_pattern        TEXT    NOT NULL,
        after_pattern         TEXT    NOT NULL,
        -- Where the before pattern may match: '' (anywhere), 'class *', 'def *' or 'def <name>'.
        context               TEXT    NOT NULL DEFAULT '',
        holes                 INTEGER NOT NULL CHECK (holes >= 0),
        description           TEXT    NOT NULL,
        source_pr             INTEGER,
        repo                  TEXT,
        commit_sha            TEXT,
        status                TEXT    NOT NULL CHECK (status IN ('candidate', 'trusted', 'discarded', 'archived')),
        successes             INTEGER NOT NULL DEFAULT 0 CHECK (successes >= 0),
        failures              INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
        applications          INTEGER NOT NULL DEFAULT 0 CHECK (applications >= 0),
        -- Set when anti-unification folded this rule into a more general one.
        merged_into           INTEGER REFERENCES rewrite_rules (id) ON DELETE SET NULL,
        created_at            INTEGER NOT NULL,
        updated_at            INTEGER NOT NULL,
        UNIQUE (before_pattern, after_pattern, context)
      );
      CREATE INDEX rewrite_rules_by_status ON rewrite_rules (status);

      CREATE TABLE rule_sources (
        rule_id               INTEGER NOT NULL REFERENCES rewrite_rules (id) ON DELETE CASCADE,
        repo                  TEXT    NOT NULL,
        pr_number             INTEGER NOT NULL,
        commit_sha            TEXT    NOT NULL,
        path                  TEXT    NOT NULL,
        added_at              INTEGER NOT NULL,
        PRIMARY KEY (rule_id, repo, pr_number, commit_sha, path)
      ) WITHOUT ROWID;

      CREATE TABLE rule_signatures (
        rule_id               INTEGER NOT NULL REFERENCES rewrite_rules (id) ON DELETE CASCADE,
        signature_id          INTEGER NOT NULL REFERENCES error_signatures (id) ON DELETE CASCADE,
        PRIMARY KEY (rule_id, signature_id)
      ) WITHOUT ROWID;
      CREATE INDEX rule_signatures_by_signature ON rule_signatures (signature_id);
    `);
  },
};
