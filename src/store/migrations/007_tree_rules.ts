import type { Migration } from "./types.js";

/**
 * Tree rules. A rewrite rule is now either a line pattern (`engine = 'lines'`, every rule stored before this
 * migration, still applied as it was) or a tree rule (`engine = 'tree'`): `tree_json` holds its pattern,
 * edits, context and imports, and `before_pattern` / `after_pattern` its readable form. `sites` counts the
 * places of the teaching fixes the rule changed; `reverts` the times humans undid one of its applications.
 * A rule's sources may be commits of a repository's history rather than PRs: `pr_number` is 0 then, and
 * `author` / `committed_at` say whose commit it was and when.
 */
export const migration007: Migration = {
  version: 7,
  name: "tree_rules",
  up(db) {
    db.exec(`
      ALTER TABLE rewrite_rules ADD COLUMN engine TEXT NOT NULL DEFAULT 'lines' CHECK (engine IN ('lines', 'tree'));
      ALTER TABLE rewrite_rules ADD COLUMN tree_json TEXT;
      ALTER TABLE rewrite_rules ADD COLUMN sites INTEGER NOT NULL DEFAULT 1 CHECK (sites >= 1);
      ALTER TABLE rewrite_rules ADD COLUMN reverts INTEGER NOT NULL DEFAULT 0 CHECK (reverts >= 0);
      ALTER TABLE rule_sources ADD COLUMN author TEXT;
      ALTER TABLE rule_sources ADD COLUMN committed_at TEXT;
    `);
  },
};
