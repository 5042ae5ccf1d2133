import { sql } from "kysely";
import { columnTypes, notNull, rowId } from "./types.js";
import type { SchemaMigration } from "./types.js";

/** Mirrors src/store/migrations/001_initial.ts: generations, attempts, CI results, deliveries, jobs, monthly spend. */
export const migration001: SchemaMigration = {
  name: "001_initial",
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable("generations")
      .addColumn("id", t.int, rowId(dialect))
      .addColumn("repo", t.text, notNull)
      .addColumn("installation_id", t.int, notNull)
      .addColumn("issue_number", t.int, notNull)
      .addColumn("spec_fingerprint", t.text, notNull)
      .addColumn("spec_json", t.text, notNull)
      .addColumn("component_name", t.text, notNull)
      .addColumn("component_type", t.text, (c) => c.notNull().check(sql`component_type IN ('operator', 'sensor', 'hook')`))
      .addColumn("category", t.text, notNull)
      .addColumn("airflow_version", t.text, notNull)
      .addColumn("provider", t.text, notNull)
      .addColumn("model", t.text, notNull)
      .addColumn("status", t.text, (c) =>
        c
          .notNull()
          .check(sql`status IN ('queued', 'generating', 'pr_open', 'ci_running', 'succeeded', 'failed', 'merged', 'closed')`),
      )
      .addColumn("pr_number", t.int)
      .addColumn("branch", t.text)
      .addColumn("head_sha", t.text)
      .addColumn("status_comment_id", t.int)
      .addColumn("attempts_count", t.int, (c) => c.notNull().defaultTo(0))
      .addColumn("first_attempt_success", t.flag, (c) => c.check(sql`first_attempt_success IN (0, 1)`))
      .addColumn("final_outcome", t.text)
      .addColumn("created_at", t.int, notNull)
      .addColumn("updated_at", t.int, notNull)
      .addUniqueConstraint("generations_repo_issue_number_key", ["repo", "issue_number"])
      .execute();
    await db.schema
      .createIndex("generations_by_pr")
      .on("generations")
      .columns(["repo", "pr_number"])
      .where(sql<boolean>`pr_number IS NOT NULL`)
      .execute();
    await db.schema.createIndex("generations_by_head_sha").on("generations").column("head_sha").where(sql<boolean>`head_sha IS NOT NULL`).execute();
    await db.schema.createIndex("generations_by_installation").on("generations").column("installation_id").execute();

    await db.schema
      .createTable("attempts")
      .addColumn("id", t.int, rowId(dialect))
      .addColumn("generation_id", t.int, (c) => c.notNull().references("generations.id").onDelete("cascade"))
      .addColumn("number", t.int, (c) => c.notNull().check(sql`number >= 1`))
      .addColumn("trigger", t.text, (c) => c.notNull().check(sql`trigger IN ('initial', 'ci_retry', 'manual_retry')`))
      .addColumn("strategy", t.text, notNull)
      .addColumn("files_json", t.text, (c) => c.notNull().defaultTo("[]"))
      .addColumn("validation_report_json", t.text)
      .addColumn("applied_fixes_json", t.text, (c) => c.notNull().defaultTo("[]"))
      .addColumn("learned_context_json", t.text)
      .addColumn("input_tokens", t.int, (c) => c.notNull().defaultTo(0))
      .addColumn("output_tokens", t.int, (c) => c.notNull().defaultTo(0))
      .addColumn("cache_read_tokens", t.int, (c) => c.notNull().defaultTo(0))
      .addColumn("cache_write_tokens", t.int, (c) => c.notNull().defaultTo(0))
      .addColumn("cost_usd", t.real, (c) => c.notNull().defaultTo(0))
      .addColumn("duration_ms", t.int)
      .addColumn("commit_sha", t.text)
      .addColumn("outcome", t.text, (c) =>
        c.notNull().check(sql`outcome IN ('pending', 'validated', 'failed_generation', 'ci_passed', 'ci_failed')`),
      )
      .addColumn("failure_reason", t.text)
      .addColumn("ci_failures_json", t.text)
      .addColumn("created_at", t.int, notNull)
      .addColumn("updated_at", t.int, notNull)
      .addUniqueConstraint("attempts_generation_id_number_key", ["generation_id", "number"])
      .execute();
    await db.schema.createIndex("attempts_by_commit").on("attempts").column("commit_sha").where(sql<boolean>`commit_sha IS NOT NULL`).execute();
    await db.schema.createIndex("attempts_by_created").on("attempts").column("created_at").execute();

    // The unique key stops one CI failure, reported by several check runs or redelivered, from triggering two retries.
    await db.schema
      .createTable("ci_results")
      .addColumn("id", t.int, rowId(dialect))
      .addColumn("generation_id", t.int, (c) => c.notNull().references("generations.id").onDelete("cascade"))
      .addColumn("head_sha", t.text, notNull)
      .addColumn("fingerprints_hash", t.text, notNull)
      .addColumn("conclusion", t.text, notNull)
      .addColumn("failures_json", t.text, (c) => c.notNull().defaultTo("[]"))
      .addColumn("attributed_to_base", t.flag, (c) => c.notNull().defaultTo(0).check(sql`attributed_to_base IN (0, 1)`))
      .addColumn("retry_triggered", t.flag, (c) => c.notNull().defaultTo(0).check(sql`retry_triggered IN (0, 1)`))
      .addColumn("created_at", t.int, notNull)
      .addUniqueConstraint("ci_results_head_sha_fingerprints_hash_key", ["head_sha", "fingerprints_hash"])
      .execute();
    await db.schema.createIndex("ci_results_by_generation").on("ci_results").column("generation_id").execute();

    let deliveries = db.schema
      .createTable("webhook_deliveries")
      .addColumn("delivery_id", t.text, (c) => c.primaryKey())
      .addColumn("event", t.text, notNull)
      .addColumn("received_at", t.int, notNull);
    if (dialect === "sqlite") deliveries = deliveries.modifyEnd(sql`WITHOUT ROWID`);
    await deliveries.execute();
    await db.schema.createIndex("webhook_deliveries_by_received").on("webhook_deliveries").column("received_at").execute();

    await db.schema
      .createTable("jobs")
      .addColumn("id", t.int, rowId(dialect))
      .addColumn("type", t.text, notNull)
      .addColumn("payload_json", t.text, notNull)
      .addColumn("dedupe_key", t.text)
      .addColumn("status", t.text, (c) => c.notNull().check(sql`status IN ('queued', 'running', 'succeeded', 'failed', 'dead')`))
      .addColumn("attempts", t.int, (c) => c.notNull().defaultTo(0))
      .addColumn("max_attempts", t.int, (c) => c.notNull().check(sql`max_attempts >= 1`))
      .addColumn("run_after", t.int, notNull)
      .addColumn("lease_owner", t.text)
      .addColumn("lease_expires_at", t.int)
      .addColumn("last_error", t.text)
      .addColumn("steps_json", t.text, (c) => c.notNull().defaultTo("{}"))
      .addColumn("created_at", t.int, notNull)
      .addColumn("updated_at", t.int, notNull)
      .execute();
    // A dedupe key is unique only among jobs that can still run; finished jobs keep their key for history.
    await db.schema
      .createIndex("jobs_dedupe_active")
      .unique()
      .on("jobs")
      .column("dedupe_key")
      .where(sql<boolean>`dedupe_key IS NOT NULL AND status IN ('queued', 'running', 'failed')`)
      .execute();
    await db.schema.createIndex("jobs_ready").on("jobs").columns(["status", "run_after"]).execute();

    // Spend per installation and calendar month (UTC); only the month expression differs between dialects.
    const month =
      dialect === "sqlite"
        ? sql`strftime('%Y-%m', a.created_at / 1000, 'unixepoch')`
        : sql`to_char(to_timestamp(a.created_at / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM')`;
    await sql`CREATE VIEW monthly_spend AS
  SELECT g.installation_id AS installation_id,
         ${month} AS month,
         SUM(a.cost_usd) AS cost_usd,
         COUNT(*) AS attempts
    FROM attempts a JOIN generations g ON g.id = a.generation_id
   GROUP BY g.installation_id, month`.execute(db);
  },
};
