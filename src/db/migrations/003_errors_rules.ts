import { sql } from "kysely";
import { columnTypes, notNull, rowId } from "./types.js";
import type { SchemaMigration } from "./types.js";

/**
 * Mirrors src/store/migrations/003_errors_rules.ts: error signatures, their occurrences, fix attempts and
 * rewrite rules. Signatures are matched exactly (the message is normalized in code before it is stored),
 * so no similarity index (pg_trgm) is needed on PostgreSQL.
 */
export const migration003: SchemaMigration = {
  name: "003_errors_rules",
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable("error_signatures")
      .addColumn("id", t.int, rowId(dialect))
      .addColumn("signature", t.text, (c) => c.notNull().unique())
      .addColumn("kind", t.text, notNull)
      .addColumn("root_cause", t.text, notNull)
      .addColumn("fix_strategy", t.text, notNull)
      .addColumn("matched", t.text, notNull)
      .addColumn("occurrences", t.int, (c) => c.notNull().defaultTo(0).check(sql`occurrences >= 0`))
      .addColumn("first_seen", t.int, notNull)
      .addColumn("last_seen", t.int, notNull)
      .addColumn("component_types_json", t.text, (c) => c.notNull().defaultTo("[]"))
      .execute();

    await db.schema
      .createTable("error_occurrences")
      .addColumn("id", t.int, rowId(dialect))
      .addColumn("signature_id", t.int, (c) => c.notNull().references("error_signatures.id").onDelete("cascade"))
      .addColumn("generation_id", t.int, (c) => c.references("generations.id").onDelete("set null"))
      .addColumn("component_type", t.text, (c) => c.check(sql`component_type IN ('operator', 'sensor', 'hook')`))
      .addColumn("category", t.text)
      .addColumn("source", t.text, (c) => c.notNull().check(sql`source IN ('ci', 'validator')`))
      .addColumn("seen_at", t.int, notNull)
      .execute();
    await db.schema.createIndex("error_occurrences_by_signature").on("error_occurrences").columns(["signature_id", "seen_at"]).execute();
    await db.schema.createIndex("error_occurrences_by_category").on("error_occurrences").columns(["category", "seen_at"]).execute();
    await db.schema
      .createIndex("error_occurrences_by_component_type")
      .on("error_occurrences")
      .columns(["component_type", "seen_at"])
      .execute();

    await db.schema
      .createTable("fix_attempts")
      .addColumn("id", t.int, rowId(dialect))
      .addColumn("signature_id", t.int, (c) => c.notNull().references("error_signatures.id").onDelete("cascade"))
      .addColumn("fix_kind", t.text, (c) => c.notNull().check(sql`fix_kind IN ('fixer', 'learned_rule', 'prompt_instruction')`))
      .addColumn("fix_ref", t.text, notNull)
      .addColumn("fix_label", t.text)
      .addColumn("generation_id", t.int, (c) => c.notNull().references("generations.id").onDelete("cascade"))
      .addColumn("attempt_number", t.int, (c) => c.notNull().check(sql`attempt_number >= 1`))
      .addColumn("outcome", t.text, (c) => c.notNull().defaultTo("pending").check(sql`outcome IN ('pending', 'passed', 'failed')`))
      .addColumn("created_at", t.int, notNull)
      .addColumn("resolved_at", t.int)
      .addUniqueConstraint("fix_attempts_identity_key", ["signature_id", "fix_kind", "fix_ref", "generation_id", "attempt_number"])
      .execute();
    await db.schema.createIndex("fix_attempts_pending").on("fix_attempts").column("generation_id").where(sql<boolean>`outcome = 'pending'`).execute();
    await db.schema.createIndex("fix_attempts_by_fix").on("fix_attempts").columns(["signature_id", "fix_kind", "fix_ref"]).execute();

    await db.schema
      .createTable("rewrite_rules")
      .addColumn("id", t.int, rowId(dialect))
      .addColumn("before_pattern", t.text, notNull)
      .addColumn("after_pattern", t.text, notNull)
      // Where the before pattern may match: '' (anywhere), 'class *', 'def *' or 'def <name>'.
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
      .addUniqueConstraint("rewrite_rules_patterns_key", ["before_pattern", "after_pattern", "context"])
      .execute();
    await db.schema.createIndex("rewrite_rules_by_status").on("rewrite_rules").column("status").execute();

    let sources = db.schema
      .createTable("rule_sources")
      .addColumn("rule_id", t.int, (c) => c.notNull().references("rewrite_rules.id").onDelete("cascade"))
      .addColumn("repo", t.text, notNull)
      .addColumn("pr_number", t.int, notNull)
      .addColumn("commit_sha", t.text, notNull)
      .addColumn("path", t.text, notNull)
      .addColumn("added_at", t.int, notNull)
      .addPrimaryKeyConstraint("rule_sources_pkey", ["rule_id", "repo", "pr_number", "commit_sha", "path"]);
    if (dialect === "sqlite") sources = sources.modifyEnd(sql`WITHOUT ROWID`);
    await sources.execute();

    let ruleSignatures = db.schema
      .createTable("rule_signatures")
      .addColumn("rule_id", t.int, (c) => c.notNull().references("rewrite_rules.id").onDelete("cascade"))
      .addColumn("signature_id", t.int, (c) => c.notNull().references("error_signatures.id").onDelete("cascade"))
      .addPrimaryKeyConstraint("rule_signatures_pkey", ["rule_id", "signature_id"]);
    if (dialect === "sqlite") ruleSignatures = ruleSignatures.modifyEnd(sql`WITHOUT ROWID`);
    await ruleSignatures.execute();
    await db.schema.createIndex("rule_signatures_by_signature").on("rule_signatures").column("signature_id").execute();
  },
};
