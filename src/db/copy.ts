import { sql } from "kysely";
import type { Kysely } from "kysely";
import { createDb } from "./kysely.js";
import { migrateToLatest } from "./migrate.js";
import { tableColumns, viewNames } from "./schema.js";
import type { Tables } from "./schema.js";

/**
 * Copies a team's SQLite database into PostgreSQL: every table of `src/db/schema.ts` (views are derived, and
 * SQLite's FTS5 table `patterns_fts` with its shadow tables has no PostgreSQL counterpart: there the generated
 * `search_vector` column is computed from the copied columns), ids kept, all in one transaction on the target.
 */

type ViewName = (typeof viewNames)[number];
export type CopiedTable = Exclude<keyof Tables, ViewName>;

const views: ReadonlySet<string> = new Set(viewNames);
/** Every table, in the order `tableColumns` lists them (the order used when foreign keys leave a choice). */
export const COPIED_TABLES: readonly CopiedTable[] = (Object.keys(tableColumns) as (keyof Tables)[]).filter(
  (name): name is CopiedTable => !views.has(name),
);

/**
 * Rows every migrated database holds from the start (the curated library knowledge that migrations 004 and
 * 006 seed): they are not a team's data, so they do not make a target "non-empty". The copy still replaces
 * them with the source's rows, so both sides count the same.
 */
const SEEDED: Partial<Record<CopiedTable, "curated" | "all">> = {
  library_alternatives: "curated",
  library_notes: "curated",
  library_constraint_pins: "all",
};

export interface TableRows {
  table: CopiedTable;
  rows: number;
}

export interface TableCount {
  table: CopiedTable;
  source: number;
  target: number;
}

/** The target holds a team's rows and the copy was not told to replace them. Nothing was changed. */
export class TargetNotEmptyError extends Error {
  override readonly name = "TargetNotEmptyError";
  constructor(readonly tables: readonly TableRows[]) {
    super(`the target database is not empty: ${tables.map((t) => `${t.table} (${t.rows} rows)`).join(", ")}; use --force to replace its rows`);
  }
}

/** After the copy some table's counts differ; the transaction was rolled back. */
export class CountMismatchError extends Error {
  override readonly name = "CountMismatchError";
  constructor(readonly counts: readonly TableCount[]) {
    const differing = counts.filter((c) => c.source !== c.target);
    super(`row counts differ: ${differing.map((c) => `${c.table} (source ${c.source}, target ${c.target})`).join(", ")}; the target was left as it was`);
  }
}

export interface CopyOptions {
  /** Empty the target's tables (in the copy's transaction) even when they hold a team's rows. */
  force?: boolean;
  /** Rows per INSERT; lowered per table to stay under PostgreSQL's 65,535 bound parameters. */
  batchRows?: number;
  /** Called after each table is copied, for progress output. */
  onTable?: (table: CopiedTable, rows: number) => void;
}

export interface CopyResult {
  /** Per table, source and target rows, in copy order; equal on every line (else CountMismatchError). */
  counts: TableCount[];
  /** `table.column` of each identity sequence moved past the copied ids. */
  sequences: string[];
}

/** Tables and their columns are only known at run time here, so the copy sees both databases untyped. */
type AnyDb = Kysely<Record<string, Record<string, unknown>>>;
type Row = Record<string, unknown>;

const PARAMETER_LIMIT = 65_000;
const DEFAULT_BATCH = 1_000;

interface ForeignKeyEdge {
  table: string;
  parent: string;
  columns: string[];
}

/** Foreign keys between the tables of the target's current schema, read from the catalog so the order cannot drift. */
async function foreignKeys(db: AnyDb): Promise<ForeignKeyEdge[]> {
  const result = await sql<ForeignKeyEdge>`
    SELECT child.relname AS "table", parent.relname AS parent,
           ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)) AS columns
      FROM pg_constraint c
      JOIN pg_class child ON child.oid = c.conrelid
      JOIN pg_class parent ON parent.oid = c.confrelid
      JOIN pg_namespace n ON n.oid = child.relnamespace
     WHERE c.contype = 'f' AND n.nspname = current_schema()`.execute(db);
  return result.rows;
}

/** Parents before children; among tables free to go, `COPIED_TABLES` order. Self-references are handled per row. */
export function foreignKeyOrder(tables: readonly CopiedTable[], edges: readonly ForeignKeyEdge[]): CopiedTable[] {
  const known = new Set<string>(tables);
  const parents = new Map<string, Set<string>>(tables.map((t) => [t, new Set<string>()]));
  for (const e of edges) {
    if (e.table !== e.parent && known.has(e.table) && known.has(e.parent)) parents.get(e.table)?.add(e.parent);
  }
  const out: CopiedTable[] = [];
  const placed = new Set<string>();
  while (out.length < tables.length) {
    const next = tables.find((t) => !placed.has(t) && [...(parents.get(t) ?? [])].every((p) => placed.has(p)));
    if (next === undefined) throw new Error(`the foreign keys between ${tables.filter((t) => !placed.has(t)).join(", ")} form a cycle`);
    out.push(next);
    placed.add(next);
  }
  return out;
}

async function countRows(db: AnyDb, table: string, where?: "curated"): Promise<number> {
  const filter = where === "curated" ? sql`WHERE curated = 0` : sql``;
  const result = await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM ${sql.table(table)} ${filter}`.execute(db);
  return Number(result.rows[0]?.n ?? 0);
}

/** The tables holding a team's rows (seeded rows aside), with how many. */
export async function teamRows(db: AnyDb, tables: readonly CopiedTable[]): Promise<TableRows[]> {
  const out: TableRows[] = [];
  for (const table of tables) {
    const seeded = SEEDED[table];
    if (seeded === "all") continue;
    const rows = await countRows(db, table, seeded);
    if (rows > 0) out.push({ table, rows });
  }
  return out;
}

function hasId(table: CopiedTable): boolean {
  return (tableColumns[table] as readonly string[]).includes("id");
}

/**
 * Copies one table in batches. A column referencing its own table (`rewrite_rules.merged_into`) is written
 * NULL first and set once every row of the table exists, since a row may point at a later one.
 */
async function copyTable(src: AnyDb, dst: AnyDb, table: CopiedTable, selfColumns: readonly string[], batchRows: number): Promise<number> {
  const columns = [...(tableColumns[table] as readonly string[])];
  const perInsert = Math.max(1, Math.min(batchRows, Math.floor(PARAMETER_LIMIT / columns.length)));
  let query = src.selectFrom(table).select(columns);
  if (hasId(table)) query = query.orderBy("id");
  const deferred: Row[] = [];
  let copied = 0;
  let batch: Row[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    try {
      await dst.insertInto(table).values(rows).execute();
    } catch (err) {
      const ids = hasId(table) ? ` (ids ${String(rows[0]?.id)} to ${String(rows[rows.length - 1]?.id)})` : "";
      throw new Error(`copying ${table}${ids} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    copied += rows.length;
  };
  for await (const row of query.stream(perInsert)) {
    const out: Row = { ...row };
    if (selfColumns.length > 0 && selfColumns.some((c) => out[c] !== null)) {
      deferred.push(row);
      for (const c of selfColumns) out[c] = null;
    }
    batch.push(out);
    if (batch.length >= perInsert) await flush();
  }
  await flush();
  for (const row of deferred) {
    const set: Row = {};
    for (const c of selfColumns) set[c] = row[c];
    await dst.updateTable(table).set(set).where("id", "=", row.id).execute();
  }
  return copied;
}

/** Moves every identity (or serial) sequence of the copied tables past the highest copied id. */
async function moveSequences(db: AnyDb, tables: readonly CopiedTable[]): Promise<string[]> {
  const result = await sql<{ table: string; column: string }>`
    SELECT table_name AS "table", column_name AS "column" FROM information_schema.columns
     WHERE table_schema = current_schema() AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')
     ORDER BY table_name, column_name`.execute(db);
  const known = new Set<string>(tables);
  const moved: string[] = [];
  for (const { table, column } of result.rows) {
    if (!known.has(table)) continue;
    // setval is not undone by a rollback; a failed copy at worst leaves a gap in the ids, never a collision.
    await sql`SELECT setval(pg_get_serial_sequence(format('%I.%I', current_schema(), ${table}::text), ${column}),
                            (SELECT COALESCE(MAX(${sql.ref(column)}), 0) + 1 FROM ${sql.table(table)}), false)`.execute(db);
    moved.push(`${table}.${column}`);
  }
  return moved;
}

/**
 * Copies every table of `source` (SQLite) into `target` (PostgreSQL); both must be at the newest schema.
 * The source is read in one read transaction, a consistent snapshot even while the App writes to it. On the
 * target everything happens in one transaction: lock, check it is empty, empty it, copy, move the sequences,
 * compare counts. Any error rolls it back, leaving the target as it was.
 */
export async function copyDatabase(source: Kysely<Tables>, target: Kysely<Tables>, options: CopyOptions = {}): Promise<CopyResult> {
  const batchRows = options.batchRows ?? DEFAULT_BATCH;
  const tables = COPIED_TABLES;
  return (target as unknown as AnyDb).transaction().execute(async (dst) => {
    const edges = await foreignKeys(dst);
    const order = foreignKeyOrder(tables, edges);
    const tableList = sql.join(order.map((t) => sql.table(t)));
    // Writers wait until the copy commits; readers go on. Checked under the lock so nothing slips in after the check.
    await sql`LOCK TABLE ${tableList} IN EXCLUSIVE MODE`.execute(dst);
    const occupied = await teamRows(dst, order);
    if (occupied.length > 0 && options.force !== true) throw new TargetNotEmptyError(occupied);
    // One statement for all tables, so foreign keys between them do not stand in the way; undone on rollback.
    await sql`TRUNCATE TABLE ${tableList}`.execute(dst);

    return (source as unknown as AnyDb).transaction().execute(async (src) => {
      const copied = new Map<CopiedTable, number>();
      for (const table of order) {
        const selfColumns = edges.filter((e) => e.table === table && e.parent === table).flatMap((e) => e.columns);
        const rows = await copyTable(src, dst, table, selfColumns, batchRows);
        copied.set(table, rows);
        options.onTable?.(table, rows);
      }
      const sequences = await moveSequences(dst, order);
      const counts: TableCount[] = [];
      for (const table of order) counts.push({ table, source: await countRows(src, table), target: await countRows(dst, table) });
      if (counts.some((c) => c.source !== c.target)) throw new CountMismatchError(counts);
      return { counts, sequences };
    });
  });
}

export interface CopyFileResult extends CopyResult {
  /** Migrations applied before the copy, per end. */
  migrated: { source: string[]; target: string[] };
}

/** `opforge db copy`: opens both ends, brings them to the newest schema, copies, closes. */
export async function copySqliteToPostgres(fromPath: string, toUrl: string, options: CopyOptions = {}): Promise<CopyFileResult> {
  const source = createDb({ dialect: "sqlite", path: fromPath });
  const target = createDb({ dialect: "postgres", url: toUrl }, { poolSize: 2 });
  try {
    const migrated = { source: await migrateToLatest(source, "sqlite"), target: await migrateToLatest(target, "postgres") };
    const result = await copyDatabase(source, target, options);
    return { ...result, migrated };
  } finally {
    await Promise.allSettled([source.destroy(), target.destroy()]);
  }
}
