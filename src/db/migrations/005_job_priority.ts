import { sql } from "kysely";
import { columnTypes } from "./types.js";
import type { SchemaMigration } from "./types.js";

/** Mirrors src/store/migrations/005_job_priority.ts: urgent jobs are leased before normal ones that are due. */
export const migration005: SchemaMigration = {
  name: "005_job_priority",
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema.alterTable("jobs").addColumn("priority", t.int, (c) => c.notNull().defaultTo(0)).execute();
    await db.schema
      .createIndex("jobs_urgent")
      .on("jobs")
      .columns(["status", "priority", "run_after"])
      .where(sql<boolean>`priority > 0`)
      .execute();
  },
};
