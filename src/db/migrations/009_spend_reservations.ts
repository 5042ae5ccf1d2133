import { sql } from "kysely";
import { columnTypes, notNull, rowId } from "./types.js";
import type { SchemaMigration } from "./types.js";

/** Mirrors src/store/migrations/009_spend_reservations.ts: money held for model calls in flight, and the reply mode. */
export const migration009: SchemaMigration = {
  name: "009_spend_reservations",
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable("spend_reservations")
      .addColumn("id", t.int, rowId(dialect))
      .addColumn("installation_id", t.int, notNull)
      .addColumn("amount_usd", t.real, (c) => c.notNull().check(sql`amount_usd >= 0`))
      .addColumn("created_at", t.int, notNull)
      .addColumn("expires_at", t.int, notNull)
      .execute();
    await db.schema
      .createIndex("spend_reservations_by_installation")
      .on("spend_reservations")
      .columns(["installation_id", "expires_at"])
      .execute();
    await db.schema
      .alterTable("attempts")
      .addColumn("reply_mode", t.text, (c) => c.check(sql`reply_mode IN ('files', 'edits')`))
      .execute();
  },
};
