import type { Database } from "better-sqlite3";
import { kindToken, ownerScopeOf, typeCategoryToken, typeToken } from "../../learn/patterns/scope.js";
import type { PatternComponentType, PatternKind } from "../../learn/patterns/types.js";
import type { Migration } from "./types.js";

/**
 * Per-installation learning. Every learned record now carries the installation (`installation_id`) and the
 * repository (`repository`, `owner/name`; rewrite rules keep theirs in `repo`, their sources in
 * `rule_sources.repo`) it came from, and every read of learned data is scoped by installation.
 *
 * - `patterns` and `rewrite_rules` are rebuilt: their uniqueness (a fingerprint; a before/after/context) now
 *   holds per installation (patterns: per installation and repository), so two installations learning the
 *   same thing keep two rows with their own counts and trust. The patterns' FTS scope gains an installation
 *   and a repository token, which retrieval requires in the match itself; `pattern_terms` counts words per
 *   installation.
 * - `error_occurrences`, `fix_attempts` and `library_outcomes` gain `installation_id` and `repository`.
 * - `error_signatures` is rebuilt with `installation_id`, unique per installation and message, its counts
 *   and dates the installation's own. A signature several installations met is split into one row each: the
 *   lowest installation keeps the row's id, the others get new ids, and their occurrences, fix attempts, rule
 *   links and the `signatureId` kept on their attempts' CI failures follow.
 * - `generation_metrics` gains `installation_id` so metrics report per installation.
 *
 * Existing rows move to the installation they came from:
 * - occurrences, fix attempts and library outcomes: the installation and repository of their generation.
 *   Rows without a generation (recorded by hand) cannot be placed and get installation NULL: no scope
 *   matches NULL, so they are kept but never used. A signature goes to the installations of its
 *   occurrences, fix attempts and linked rules; one met by none of them gets NULL.
 * - rewrite rules: the installation of the generations whose PRs their sources name (`rule_sources.repo` and
 *   `pr_number`). Sources with PR 0 were taught on the command line (a commit history or a hand-given fix)
 *   and belong to the local installation 0. A rule whose sources point at two installations, or at a PR
 *   opforge has no generation for, gets NULL: it was already mixed or of unknown origin, and using it
 *   anywhere could leak it.
 * - patterns recorded no origin. They are only learned from merges of app generations, so when every app
 *   generation in the database belongs to one installation they came from it (and from its repository when
 *   it has one); otherwise their origin cannot be determined and they get NULL (kept, never retrieved).
 */
export const migration008: Migration = {
  version: 8,
  name: "installation_scope",
  up(db) {
    rebuildPatterns(db);
    rebuildRules(db);
    db.exec(`
      ALTER TABLE error_occurrences ADD COLUMN installation_id INTEGER;
      ALTER TABLE error_occurrences ADD COLUMN repository TEXT;
      UPDATE error_occurrences SET
        installation_id = (SELECT g.installation_id FROM generations g WHERE g.id = error_occurrences.generation_id),
        repository      = (SELECT g.repo FROM generations g WHERE g.id = error_occurrences.generation_id);
      CREATE INDEX error_occurrences_by_installation ON error_occurrences (installation_id, signature_id, seen_at);

      ALTER TABLE fix_attempts ADD COLUMN installation_id INTEGER;
      ALTER TABLE fix_attempts ADD COLUMN repository TEXT;
      UPDATE fix_attempts SET
        installation_id = (SELECT g.installation_id FROM generations g WHERE g.id = fix_attempts.generation_id),
        repository      = (SELECT g.repo FROM generations g WHERE g.id = fix_attempts.generation_id);
      CREATE INDEX fix_attempts_by_installation ON fix_attempts (installation_id, signature_id);

      ALTER TABLE library_outcomes ADD COLUMN installation_id INTEGER;
      ALTER TABLE library_outcomes ADD COLUMN repository TEXT;
      UPDATE library_outcomes SET
        installation_id = (SELECT g.installation_id FROM generations g WHERE g.id = library_outcomes.generation_id),
        repository      = (SELECT g.repo FROM generations g WHERE g.id = library_outcomes.generation_id);
      CREATE INDEX library_outcomes_by_installation ON library_outcomes (installation_id, library, airflow_major, kind);
    `);
    splitSignatures(db);
    recreateMetricsView(db);
  },
};

interface PatternOwner {
  installationId: number | null;
  repository: string | null;
}

/** The one app installation (and repository) every app generation belongs to, if there is just one. */
function soleAppOwner(db: Database): PatternOwner {
  // Installation 0 holds the command line's local generations, which never teach patterns.
  const installations = db.prepare("SELECT DISTINCT installation_id FROM generations WHERE installation_id != 0").all() as { installation_id: number }[];
  if (installations.length !== 1) return { installationId: null, repository: null };
  const installationId = (installations[0] as { installation_id: number }).installation_id;
  const repos = db.prepare("SELECT DISTINCT repo FROM generations WHERE installation_id = ?").all(installationId) as { repo: string }[];
  return { installationId, repository: repos.length === 1 ? (repos[0] as { repo: string }).repo : null };
}

function rebuildPatterns(db: Database): void {
  db.exec(`
    DROP TRIGGER patterns_fts_insert;
    DROP TRIGGER patterns_fts_delete;
    DROP TRIGGER patterns_fts_update;
    INSERT INTO patterns_fts (patterns_fts) VALUES ('delete-all');
    DROP INDEX patterns_live_by_type;
    ALTER TABLE patterns RENAME TO patterns_before_008;
    CREATE TABLE patterns (
      id                    INTEGER PRIMARY KEY,
      installation_id       INTEGER,
      repository            TEXT,
      kind                  TEXT    NOT NULL CHECK (kind IN ('import_block', 'init_signature', 'template_fields',
                              'execute_shape', 'poke_shape', 'hook_shape', 'error_handling', 'logging',
                              'connection_use', 'test_structure')),
      fingerprint           TEXT    NOT NULL,
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
      archived_at           INTEGER,
      UNIQUE (installation_id, repository, fingerprint)
    );
    INSERT INTO patterns (id, kind, fingerprint, code, description, category, component_type, role, libraries, text, scope,
                          successes, failures, success_weight, failure_weight, weight_at, uses, last_used_at, created_at,
                          updated_at, archived, archived_at)
      SELECT id, kind, fingerprint, code, description, category, component_type, role, libraries, text, scope,
             successes, failures, success_weight, failure_weight, weight_at, uses, last_used_at, created_at,
             updated_at, archived, archived_at
        FROM patterns_before_008;
    DROP TABLE patterns_before_008;
    CREATE INDEX patterns_live_by_type ON patterns (installation_id, component_type, category) WHERE archived = 0;
  `);
  const owner = soleAppOwner(db);
  const rows = db.prepare("SELECT id, component_type, category, kind FROM patterns").all() as {
    id: number;
    component_type: PatternComponentType;
    category: string;
    kind: PatternKind;
  }[];
  const update = db.prepare("UPDATE patterns SET installation_id = ?, repository = ?, scope = ? WHERE id = ?");
  for (const row of rows) {
    const scope = `${typeToken(row.component_type)} ${typeCategoryToken(row.component_type, row.category)} ${kindToken(row.kind)} ${ownerScopeOf(owner.installationId, owner.repository)}`;
    update.run(owner.installationId, owner.repository, scope, row.id);
  }
  db.exec(`
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
    INSERT INTO patterns_fts (rowid, description, text, category, libraries, scope)
      SELECT id, description, text, category, libraries, scope FROM patterns WHERE archived = 0;
  `);
  recountTerms(db);
}

/**
 * `pattern_terms` now counts words per installation (retrieval decides which words are worth searching from
 * the reader's own store). Recounted from the live patterns; patterns of unknown origin count nowhere.
 */
function recountTerms(db: Database): void {
  db.exec(`
    DROP TABLE pattern_terms;
    CREATE TABLE pattern_terms (
      installation_id       INTEGER NOT NULL,
      term                  TEXT    NOT NULL,
      docs                  INTEGER NOT NULL,
      PRIMARY KEY (installation_id, term)
    ) WITHOUT ROWID;
  `);
  const counts = new Map<number, Map<string, number>>();
  const rows = db.prepare("SELECT installation_id, text FROM patterns WHERE archived = 0 AND installation_id IS NOT NULL").all() as {
    installation_id: number;
    text: string;
  }[];
  for (const row of rows) {
    const own = counts.get(row.installation_id) ?? new Map<string, number>();
    counts.set(row.installation_id, own);
    for (const word of new Set(["", ...row.text.split(" ").filter((w) => w !== "")])) own.set(word, (own.get(word) ?? 0) + 1);
  }
  const insert = db.prepare("INSERT INTO pattern_terms (installation_id, term, docs) VALUES (?, ?, ?)");
  for (const [installationId, own] of counts) for (const [term, docs] of own) insert.run(installationId, term, docs);
}

/** The installation a rule came from, or null when its sources do not agree on one. */
function ruleInstallation(db: Database, ruleId: number): number | null {
  const sources = db
    .prepare(
      `SELECT s.pr_number AS pr_number,
              (SELECT g.installation_id FROM generations g WHERE g.repo = s.repo AND g.pr_number = s.pr_number LIMIT 1) AS installation_id
         FROM rule_sources s WHERE s.rule_id = ?`,
    )
    .all(ruleId) as { pr_number: number; installation_id: number | null }[];
  const found = new Set<number | null>(sources.map((s) => (s.pr_number === 0 ? 0 : s.installation_id)));
  if (found.size !== 1) return null;
  return [...found][0] ?? null;
}

/**
 * SQLite cannot change a table's UNIQUE constraint in place. Dropping `rewrite_rules` deletes its sources and
 * signature links by cascade, so they are copied aside first and put back once the new table holds the rules.
 */
function rebuildRules(db: Database): void {
  db.exec(`
    CREATE TEMP TABLE rules_before_008 AS SELECT * FROM rewrite_rules;
    CREATE TEMP TABLE rule_sources_before_008 AS SELECT * FROM rule_sources;
    CREATE TEMP TABLE rule_signatures_before_008 AS SELECT * FROM rule_signatures;
    DROP TABLE rewrite_rules;
    CREATE TABLE rewrite_rules (
      id                    INTEGER PRIMARY KEY,
      installation_id       INTEGER,
      before_pattern        TEXT    NOT NULL,
      after_pattern         TEXT    NOT NULL,
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
      merged_into           INTEGER REFERENCES rewrite_rules (id) ON DELETE SET NULL,
      created_at            INTEGER NOT NULL,
      updated_at            INTEGER NOT NULL,
      engine                TEXT    NOT NULL DEFAULT 'lines' CHECK (engine IN ('lines', 'tree')),
      tree_json             TEXT,
      sites                 INTEGER NOT NULL DEFAULT 1 CHECK (sites >= 1),
      reverts               INTEGER NOT NULL DEFAULT 0 CHECK (reverts >= 0),
      UNIQUE (installation_id, before_pattern, after_pattern, context)
    );
    INSERT INTO rewrite_rules (id, before_pattern, after_pattern, context, holes, description, source_pr, repo, commit_sha, status,
                               successes, failures, applications, merged_into, created_at, updated_at, engine, tree_json, sites, reverts)
      SELECT id, before_pattern, after_pattern, context, holes, description, source_pr, repo, commit_sha, status,
             successes, failures, applications, merged_into, created_at, updated_at, engine, tree_json, sites, reverts
        FROM temp.rules_before_008;
    INSERT INTO rule_sources (rule_id, repo, pr_number, commit_sha, path, added_at, author, committed_at)
      SELECT rule_id, repo, pr_number, commit_sha, path, added_at, author, committed_at FROM temp.rule_sources_before_008;
    INSERT INTO rule_signatures (rule_id, signature_id) SELECT rule_id, signature_id FROM temp.rule_signatures_before_008;
    DROP TABLE temp.rules_before_008;
    DROP TABLE temp.rule_sources_before_008;
    DROP TABLE temp.rule_signatures_before_008;
    CREATE INDEX rewrite_rules_by_status ON rewrite_rules (installation_id, status);
  `);
  const update = db.prepare("UPDATE rewrite_rules SET installation_id = ? WHERE id = ?");
  for (const { id } of db.prepare("SELECT id FROM rewrite_rules ORDER BY id").all() as { id: number }[]) {
    update.run(ruleInstallation(db, id), id);
  }
  // A rule folded into another follows it: a generalization placed nowhere must not leave its parts usable.
  db.exec(`
    UPDATE rewrite_rules SET installation_id = NULL
     WHERE merged_into IS NOT NULL
       AND installation_id IS NOT (SELECT m.installation_id FROM rewrite_rules m WHERE m.id = rewrite_rules.merged_into);
  `);
}

interface SignatureCopy {
  oldId: number;
  installationId: number | null;
  newId: number;
}

/** Each old signature once per installation that met it (lowest installation first, NULL last); the first keeps its id. */
function signatureCopies(db: Database): SignatureCopy[] {
  const owners = db
    .prepare(
      `SELECT s.id AS old_id, u.installation_id AS installation_id
         FROM error_signatures s
         LEFT JOIN (SELECT signature_id, installation_id FROM error_occurrences
                    UNION SELECT signature_id, installation_id FROM fix_attempts
                    UNION SELECT rs.signature_id, r.installation_id FROM rule_signatures rs JOIN rewrite_rules r ON r.id = rs.rule_id) u
           ON u.signature_id = s.id
        ORDER BY s.id, u.installation_id IS NULL, u.installation_id`,
    )
    .all() as { old_id: number; installation_id: number | null }[];
  let next = ((db.prepare("SELECT MAX(id) AS id FROM error_signatures").get() as { id: number | null }).id ?? 0) + 1;
  const copies: SignatureCopy[] = [];
  const kept = new Set<number>();
  for (const owner of owners) {
    const first = !kept.has(owner.old_id);
    kept.add(owner.old_id);
    copies.push({ oldId: owner.old_id, installationId: owner.installation_id, newId: first ? owner.old_id : next++ });
  }
  return copies;
}

/**
 * Rebuilds `error_signatures` per installation. Dropping it deletes its occurrences, fix attempts and rule
 * links by cascade, so they are copied aside and put back pointing at their installation's copy.
 */
function splitSignatures(db: Database): void {
  const copies = signatureCopies(db);
  db.exec(`
    CREATE TEMP TABLE signatures_before_008 AS SELECT * FROM error_signatures;
    CREATE TEMP TABLE occurrences_before_008 AS SELECT * FROM error_occurrences;
    CREATE TEMP TABLE fix_attempts_before_008 AS SELECT * FROM fix_attempts;
    CREATE TEMP TABLE rule_signatures_before_008 AS
      SELECT rs.rule_id, rs.signature_id, r.installation_id FROM rule_signatures rs JOIN rewrite_rules r ON r.id = rs.rule_id;
    CREATE TEMP TABLE signature_copies_008 (old_id INTEGER NOT NULL, installation_id INTEGER, new_id INTEGER NOT NULL);
    DROP TABLE error_signatures;
    CREATE TABLE error_signatures (
      id                    INTEGER PRIMARY KEY,
      installation_id       INTEGER,
      signature             TEXT    NOT NULL,
      kind                  TEXT    NOT NULL,
      root_cause            TEXT    NOT NULL,
      fix_strategy          TEXT    NOT NULL,
      matched               TEXT    NOT NULL,
      occurrences           INTEGER NOT NULL DEFAULT 0 CHECK (occurrences >= 0),
      first_seen            INTEGER NOT NULL,
      last_seen             INTEGER NOT NULL,
      component_types_json  TEXT    NOT NULL DEFAULT '[]',
      UNIQUE (installation_id, signature)
    );
  `);
  const copy = db.prepare("INSERT INTO temp.signature_copies_008 (old_id, installation_id, new_id) VALUES (?, ?, ?)");
  for (const c of copies) copy.run(c.oldId, c.installationId, c.newId);
  db.exec(`
    -- Counts, dates and component types from the installation's own occurrences (the old totals when it has none).
    INSERT INTO error_signatures (id, installation_id, signature, kind, root_cause, fix_strategy, matched, occurrences, first_seen, last_seen,
                                  component_types_json)
      SELECT c.new_id, c.installation_id, s.signature, s.kind, s.root_cause, s.fix_strategy, s.matched,
             (SELECT COUNT(*) FROM temp.occurrences_before_008 o WHERE o.signature_id = c.old_id AND o.installation_id IS c.installation_id),
             COALESCE((SELECT MIN(o.seen_at) FROM temp.occurrences_before_008 o WHERE o.signature_id = c.old_id AND o.installation_id IS c.installation_id), s.first_seen),
             COALESCE((SELECT MAX(o.seen_at) FROM temp.occurrences_before_008 o WHERE o.signature_id = c.old_id AND o.installation_id IS c.installation_id), s.last_seen),
             COALESCE((SELECT json_group_array(t.component_type) FROM (SELECT DISTINCT o.component_type FROM temp.occurrences_before_008 o
                        WHERE o.signature_id = c.old_id AND o.installation_id IS c.installation_id AND o.component_type IS NOT NULL
                        ORDER BY o.component_type) t), '[]')
        FROM temp.signature_copies_008 c JOIN temp.signatures_before_008 s ON s.id = c.old_id;
    INSERT INTO error_occurrences (id, signature_id, generation_id, component_type, category, source, seen_at, installation_id, repository)
      SELECT o.id, c.new_id, o.generation_id, o.component_type, o.category, o.source, o.seen_at, o.installation_id, o.repository
        FROM temp.occurrences_before_008 o JOIN temp.signature_copies_008 c ON c.old_id = o.signature_id AND c.installation_id IS o.installation_id;
    INSERT INTO fix_attempts (id, signature_id, fix_kind, fix_ref, fix_label, generation_id, attempt_number, outcome, created_at, resolved_at,
                              installation_id, repository)
      SELECT f.id, c.new_id, f.fix_kind, f.fix_ref, f.fix_label, f.generation_id, f.attempt_number, f.outcome, f.created_at, f.resolved_at,
             f.installation_id, f.repository
        FROM temp.fix_attempts_before_008 f JOIN temp.signature_copies_008 c ON c.old_id = f.signature_id AND c.installation_id IS f.installation_id;
    INSERT INTO rule_signatures (rule_id, signature_id)
      SELECT l.rule_id, c.new_id
        FROM temp.rule_signatures_before_008 l JOIN temp.signature_copies_008 c ON c.old_id = l.signature_id AND c.installation_id IS l.installation_id;
    CREATE INDEX error_signatures_by_installation ON error_signatures (installation_id, kind);
  `);
  remapAttemptSignatures(db, copies);
  db.exec(`
    DROP TABLE temp.signatures_before_008;
    DROP TABLE temp.occurrences_before_008;
    DROP TABLE temp.fix_attempts_before_008;
    DROP TABLE temp.rule_signatures_before_008;
    DROP TABLE temp.signature_copies_008;
  `);
}

/** The `signatureId` an attempt keeps on each CI failure now names its installation's copy of the signature. */
function remapAttemptSignatures(db: Database, copies: readonly SignatureCopy[]): void {
  const moved = new Map(copies.filter((c) => c.newId !== c.oldId).map((c) => [`${c.oldId}:${c.installationId}`, c.newId]));
  if (moved.size === 0) return;
  const rows = db
    .prepare(
      `SELECT a.id, a.ci_failures_json, g.installation_id FROM attempts a JOIN generations g ON g.id = a.generation_id
        WHERE a.ci_failures_json IS NOT NULL AND json_valid(a.ci_failures_json) AND json_type(a.ci_failures_json) = 'array'`,
    )
    .all() as { id: number; ci_failures_json: string; installation_id: number }[];
  const update = db.prepare("UPDATE attempts SET ci_failures_json = ? WHERE id = ?");
  for (const row of rows) {
    const failures = JSON.parse(row.ci_failures_json) as unknown[];
    let changed = false;
    const next = failures.map((f) => {
      const id = typeof f === "object" && f !== null ? (f as { signatureId?: unknown }).signatureId : undefined;
      const to = typeof id === "number" ? moved.get(`${id}:${row.installation_id}`) : undefined;
      if (to === undefined) return f;
      changed = true;
      return { ...(f as object), signatureId: to };
    });
    if (changed) update.run(JSON.stringify(next), row.id);
  }
}

function recreateMetricsView(db: Database): void {
  db.exec(`
    DROP VIEW generation_metrics;
    -- One row per generation with what the dashboard and \`opforge stats\` read, now with its installation.
    -- A component counts as successful once it merged or a CI run on one of its attempts passed (files
    -- written by a local \`opforge generate\` have no CI verdict and do not count).
    CREATE VIEW generation_metrics AS
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
                 SUM(outcome = 'ci_passed') AS ci_passed,
                 MAX(CASE WHEN learned_context_json IS NOT NULL AND json_valid(learned_context_json)
                               AND json_type(learned_context_json) = 'array'
                          THEN json_array_length(learned_context_json) ELSE 0 END) AS context_items
            FROM attempts
           GROUP BY generation_id
        ) a ON a.generation_id = g.id;
  `);
}
