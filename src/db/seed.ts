/**
 * The curated rows the SQLite store's migrations 004 and 006 write (seedLibraries, seedConstraintVersions in
 * src/learn/libraries), written through Kysely so a PostgreSQL database starts with the same knowledge. The
 * same data modules feed both; a test compares the rows each writes, so the two writers cannot drift.
 */
import type { Kysely } from "kysely";
import type { AirflowConstraints } from "../knowledge/constraints.js";
import { airflowConstraints } from "../knowledge/constraints.js";
import { constraintPinChanges } from "../learn/libraries/constraints.js";
import { curatedLibraryRows } from "../learn/libraries/seed.js";
import type { Tables } from "./schema.js";
import { inTransaction } from "./transaction.js";

export interface LibrarySeedResult {
  alternatives: number;
  notes: number;
}

export interface ConstraintSeedResult {
  inserted: number;
  removed: number;
}

/** Rows per INSERT: under PostgreSQL's 65,535 and SQLite's 32,766 bound parameters at 12 columns a row. */
const BATCH = 1_000;

function batches<T>(rows: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += BATCH) out.push(rows.slice(i, i + BATCH));
  return out;
}

/**
 * Replaces the curated library alternatives and notes (curated = 1); rows people added (curated = 0) stay and
 * win over a curated row with the same key. Running it twice changes nothing.
 */
export async function seedLibraryRows(db: Kysely<Tables>): Promise<LibrarySeedResult> {
  return inTransaction(db, async (trx) => {
    await trx.deleteFrom("library_alternatives").where("curated", "=", 1).execute();
    await trx.deleteFrom("library_notes").where("curated", "=", 1).execute();
    const curated = curatedLibraryRows();
    const alternatives = curated.alternatives.map((row) => ({ ...row, curated: 1 as const }));
    const notes = curated.notes.map((row) => ({ ...row, curated: 1 as const }));
    let alternativesWritten = 0;
    for (const rows of batches(alternatives)) {
      const result = await trx
        .insertInto("library_alternatives")
        .values(rows)
        .onConflict((oc) => oc.columns(["library", "kind", "name"]).doNothing())
        .executeTakeFirst();
      alternativesWritten += Number(result.numInsertedOrUpdatedRows ?? 0n);
    }
    let notesWritten = 0;
    for (const rows of batches(notes)) {
      const result = await trx
        .insertInto("library_notes")
        .values(rows)
        .onConflict((oc) => oc.columns(["library", "note"]).doNothing())
        .executeTakeFirst();
      notesWritten += Number(result.numInsertedOrUpdatedRows ?? 0n);
    }
    return { alternatives: alternativesWritten, notes: notesWritten };
  });
}

/**
 * Makes `library_constraint_pins` hold exactly the pins of `constraints`: rows that changed or are gone are
 * deleted, new ones inserted. Running it again with the same data changes nothing.
 */
export async function seedConstraintPins(
  db: Kysely<Tables>,
  constraints: AirflowConstraints = airflowConstraints(),
): Promise<ConstraintSeedResult> {
  return inTransaction(db, async (trx) => {
    const stored = await trx.selectFrom("library_constraint_pins").selectAll().execute();
    const changes = constraintPinChanges(stored, constraints);
    let removed = 0;
    for (const row of changes.remove) {
      const result = await trx
        .deleteFrom("library_constraint_pins")
        .where("library", "=", row.library)
        .where("airflow_version", "=", row.airflow_version)
        .executeTakeFirst();
      removed += Number(result.numDeletedRows);
    }
    const rows = changes.insert.map((p) => ({
      library: p.library,
      airflow_version: p.airflow,
      airflow_major: p.major,
      version: p.version,
      source: p.source,
    }));
    let inserted = 0;
    for (const batch of batches(rows)) {
      const result = await trx.insertInto("library_constraint_pins").values(batch).executeTakeFirst();
      inserted += Number(result.numInsertedOrUpdatedRows ?? 0n);
    }
    return { inserted, removed };
  });
}
