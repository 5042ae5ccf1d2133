import { sql } from "kysely";
import { columnTypes, notNull, rowId } from "./types.js";
import type { SchemaMigration } from "./types.js";

/** Mirrors src/store/migrations/010_dashboard_audit.ts: who trusted or discarded a rule, or requeued a job, on the dashboard. */
export const migration010: SchemaMigration = {
  name: "010_dashboard_audit",
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable("dashboard_actions")
      .addColumn("id", t.int, rowId(dialect))
      .addColumn("installation_id", t.int, notNull)
      .addColumn("actor", t.text, notNull)
      .addColumn("via", t.text, (c) => c.notNull().check(sql`via IN ('github', 'token')`))
      .addColumn("action", t.text, (c) => c.notNull().check(sql`action IN ('trust_rule', 'discard_rule', 'requeue_job')`))
      .addColumn("target_id", t.int, notNull)
      .addColumn("created_at", t.int, notNull)
      .execute();
    await db.schema
      .createIndex("dashboard_actions_by_installation")
      .on("dashboard_actions")
      .columns(["installation_id", "created_at"])
      .execute();
  },
};
