import { sql } from "kysely";
import type { Kysely } from "kysely";
import type { Tables } from "../schema.js";
import { seedConstraintPins } from "../seed.js";
import { columnTypes, notNull } from "./types.js";
import type { SchemaMigration } from "./types.js";

/**
 * Mirrors src/store/migrations/006_library_versions.ts: Airflow's constraint pins and the library version
 * of each CI observation. Like that migration, it seeds the pins of the committed constraints data (src/db/seed.ts).
 */
export const migration006: SchemaMigration = {
  name: "006_library_versions",
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable("library_constraint_pins")
      .addColumn("library", t.text, notNull)
      // "2.9", "2.10", "3.0".
      .addColumn("airflow_version", t.text, notNull)
      .addColumn("airflow_major", t.text, (c) => c.notNull().check(sql`airflow_major IN ('2', '3')`))
      .addColumn("version", t.text, notNull)
      // <constraints branch>/<file>@<commit>.
      .addColumn("source", t.text, notNull)
      .addPrimaryKeyConstraint("library_constraint_pins_pkey", ["library", "airflow_version"])
      .execute();
    await db.schema
      .createIndex("library_constraint_pins_by_major")
      .on("library_constraint_pins")
      .columns(["library", "airflow_major"])
      .execute();
    await db.schema.alterTable("library_outcomes").addColumn("library_version", t.text).execute();
    await db.schema
      .createIndex("library_outcomes_by_version")
      .on("library_outcomes")
      .columns(["library", "library_version", "airflow_major"])
      .execute();
    await seedConstraintPins(db as Kysely<Tables>);
  },
};
