import type { Migration } from "./types.js";

/**
 * The learning layer's pattern store. Counts are kept twice: raw integers for people ("used in 4 merged
 * components") and exponentially decayed weights for ranking, valid at `weight_at` (see
 * learn/patterns/confidence.ts). The FTS5 index uses `patterns` as its external content and is kept in
 * step by triggers, inside whatever transaction writes the row; archived rows leave the index so they
 * cost nothing at query time, and count updates do not touch it.
 *
 * `scope` holds opaque tokens for component type, type with category, and kind (`toperator s<hash> kexecuteshape`)
 * so a search can require them inside the FTS match itself, which keeps the set of rows FTS5 scores
 * small. `pattern_terms` counts the live patterns whose search text holds each word (the row with the
 * empty term counts all live patterns): retrieval reads it to leave out words too common to rank by.
 */
export const migration002: Migration = {
  version: 2,
  name: "patterns",
  up(db) {
    db.exec(`
      CREATE TABLE patterns (
        id                    INTEGER PRIMARY KEY,
        kind                  TEXT    NOT NULL CHECK (kind IN ('import_block', 'init_signature', 'template_fields',
                                'execute_shape', 'poke_shape', 'hook_shape', 'error_handling', 'logging',
                                'connection_use', 'test_structure')),
        fingerprint           TEXT    NOT NULL UNIQUE,
        code                  TEXT    NOT NULL,
        description           TEXT    NOT NULL,
        category              TEXT    NOT NULL,
        component_type        TEXT    NOT NULL CHECK (component_type IN ('operator', 'sensor', 'hook')),
        role                  TEXT    NOT NULL CHECK (role IN ('component', 'test', 'dag')),
        libraries             TEXT    NOT NULL DEFAULT '[]',
        text                  TEXT    NOT NULL DEFAULT '',
        scope                 TEXT    NOT NULL DEFAULT '',
        successes             INTEGER NOT NULL DEFAULT 0,
        failures              INTEGER NOT NULL DEFAULT 0,
        success_weight        REAL    NOT NULL DEFAULT 0,
        failure_weight        REAL    NOT NULL DEFAULT 0,
        weight_at             INTEGER NOT NULL,
        uses                  INTEGER NOT NULL DEFAULT 0,
        last_used_at          INTEGER,
        created_at            INTEGER NOT NULL,
        updated_at            INTEGER NOT NULL,
        archived              INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
        archived_at           INTEGER
      );
      CREATE INDEX patterns_live_by_type ON patterns (component_type, category) WHERE archived = 0;

      CREATE VIRTUAL TABLE patterns_fts USING fts5(
        description, text, category, libraries, scope,
        content = 'patterns', content_rowid = 'id', tokenize = 'unicode61'
      );

      CREATE TRIGGER patterns_fts_insert AFTER INSERT ON patterns WHEN new.archived = 0 BEGIN
        INSERT INTO patterns_fts (rowid, description, text, category, libraries, scope)
        VALUES (new.id, new.description, new.text, new.category, new.libraries, new.scope);
      END;
      CREATE TRIGGER patterns_fts_delete AFTER DELETE ON patterns WHEN old.archived = 0 BEGIN
        INSERT INTO patterns_fts (patterns_fts, rowid, description, text, category, libraries, scope)
        VALUES ('delete', old.id, old.description, old.text, old.category, old.libraries, old.scope);
      END;
      CREATE TRIGGER patterns_fts_update AFTER UPDATE OF description, text, category, libraries, scope, archived ON patterns
      BEGIN
        INSERT INTO patterns_fts (patterns_fts, rowid, description, text, category, libraries, scope)
          SELECT 'delete', old.id, old.description, old.text, old.category, old.libraries, old.scope WHERE old.archived = 0;
        INSERT INTO patterns_fts (rowid, description, text, category, libraries, scope)
          SELECT new.id, new.description, new.text, new.category, new.libraries, new.scope WHERE new.archived = 0;
      END;

      CREATE TABLE pattern_terms (
        term                  TEXT    PRIMARY KEY,
        docs                  INTEGER NOT NULL
      ) WITHOUT ROWID;
    `);
  },
};
