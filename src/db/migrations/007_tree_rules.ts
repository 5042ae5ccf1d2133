import { sql } from "kysely";
import { columnTypes } from "./types.js";
import type { SchemaMigration } from "./types.js";

/**
 * Mirrors src/store/migrations/007_tree_rules.ts: tree rules beside line rules, and commit sources.
 * One ALTER per column: SQLite takes a single ADD COLUMN per statement.
 */
export const migration007: SchemaMigration = {
  name: "007_tree_rules",
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .alterTable("rewrite_rules")
      .addColumn("engine", t.text, (c) => c.notNull().defaultTo("lines").check(sql`engine IN ('lines', 'tree')`))
      .execute();
    await db.schema.alterTable("rewrite_rules").addColumn("tree_json", t.text).execute();
    await db.schema
      .alterTable("rewrite_rules")
      .addColumn("sites", t.int, (c) => c.notNull().defaultTo(1).check(sql`sites >= 1`))
      .execute();
    await db.schema
      .alterTable("rewrite_rules")
      .addColumn("reverts", t.int, (c) => c.notNull().defaultTo(0).check(sql`reverts >= 0`))
      .execute();
    await db.schema.alterTable("rule_sources").addColumn("author", t.text).execute();
    await db.schema.alterTable("rule_sources").addColumn("committed_at", t.text).execute();
  },
};
