import type { ColumnDefinitionBuilder, Kysely } from "kysely";

export type DialectName = "sqlite" | "postgres";

/**
 * One schema change, written once for both dialects. `name` sorts in order (`001_initial`) and matches the
 * file of src/store/migrations it mirrors, so version N here is version N there.
 */
export interface SchemaMigration {
  readonly name: string;
  up(db: Kysely<unknown>, dialect: DialectName): Promise<void>;
}

/** Column types by role, so a table is declared once and each dialect gets its own spelling. */
export interface ColumnTypes {
  /**
   * Ids, counts, epoch-millisecond timestamps. SQLite's INTEGER is 64-bit; PostgreSQL's `integer` is not
   * (milliseconds and GitHub comment ids exceed 2^31), so it is BIGINT there.
   */
  readonly int: "integer" | "bigint";
  /** 0/1 flags, kept as numbers on both dialects so queries and CHECKs read the same. */
  readonly flag: "integer" | "smallint";
  readonly real: "real" | "double precision";
  /** Text, and JSON documents: stored as text on both, parsed with a schema where they are read. */
  readonly text: "text";
}

export function columnTypes(dialect: DialectName): ColumnTypes {
  return dialect === "sqlite"
    ? { int: "integer", flag: "integer", real: "real", text: "text" }
    : { int: "bigint", flag: "smallint", real: "double precision", text: "text" };
}

/**
 * The row id: SQLite's `INTEGER PRIMARY KEY` (an alias of the rowid, assigned on insert without
 * AUTOINCREMENT, as the existing schema has it), PostgreSQL's identity column.
 */
export function rowId(dialect: DialectName): (col: ColumnDefinitionBuilder) => ColumnDefinitionBuilder {
  return dialect === "sqlite" ? (col) => col.primaryKey() : (col) => col.generatedByDefaultAsIdentity().primaryKey();
}

export const notNull = (col: ColumnDefinitionBuilder): ColumnDefinitionBuilder => col.notNull();
