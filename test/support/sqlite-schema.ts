import type { Database } from "better-sqlite3";

/**
 * A SQLite schema as comparable data: every table's columns (type, NOT NULL, default, primary key), CHECK
 * expressions, foreign keys, unique constraints and WITHOUT ROWID; every index with its columns, uniqueness
 * and WHERE clause; views and triggers by their SQL. SQL text is compared with whitespace, comments, case and
 * identifier quotes removed, so two writers of the same DDL (hand-written or built by Kysely) compare equal
 * and any real difference does not.
 */
export interface SqliteSchema {
  tables: Record<string, TableShape>;
  indexes: Record<string, IndexShape>;
  views: Record<string, string>;
  triggers: Record<string, string>;
}

interface TableShape {
  type: string;
  withoutRowid: boolean;
  columns: { name: string; type: string; notNull: boolean; default: string | null; pk: number }[];
  checks: string[];
  foreignKeys: { from: string; table: string; to: string; onDelete: string; onUpdate: string }[];
  /** Unique constraints and primary keys SQLite backs with an automatic index: origin and columns. */
  constraints: string[];
}

interface IndexShape {
  table: string;
  unique: boolean;
  columns: string[];
  sql: string;
}

export function normalizeSql(text: string): string {
  return text
    .replace(/--[^\n]*/g, "")
    .replace(/"/g, "")
    .replace(/\s+/g, "")
    .toLowerCase();
}

/** The expressions of every CHECK in a CREATE TABLE, in a stable order. */
export function checkExpressions(createSql: string): string[] {
  const sqlText = normalizeSql(createSql);
  const out: string[] = [];
  let at = sqlText.indexOf("check(");
  while (at !== -1) {
    let depth = 0;
    let end = at + "check".length;
    for (; end < sqlText.length; end++) {
      if (sqlText[end] === "(") depth++;
      else if (sqlText[end] === ")" && --depth === 0) break;
    }
    out.push(sqlText.slice(at + "check(".length, end));
    at = sqlText.indexOf("check(", end);
  }
  return out.sort();
}

interface MasterRow {
  type: string;
  name: string;
  tbl_name: string;
  sql: string | null;
}

export function sqliteSchema(db: Database, ignoreTables: readonly string[] = []): SqliteSchema {
  const ignored = new Set(ignoreTables);
  const rows = (db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name").all() as MasterRow[]).filter(
    (r) => !ignored.has(r.tbl_name),
  );
  const listed = new Map(
    (db.prepare("SELECT name, type, wr FROM pragma_table_list WHERE schema = 'main'").all() as { name: string; type: string; wr: number }[]).map(
      (r) => [r.name, r],
    ),
  );
  const schema: SqliteSchema = { tables: {}, indexes: {}, views: {}, triggers: {} };
  for (const row of rows) {
    if (row.type === "view") schema.views[row.name] = normalizeSql(row.sql ?? "");
    else if (row.type === "trigger") schema.triggers[row.name] = normalizeSql(row.sql ?? "");
    else if (row.type === "index") schema.indexes[row.name] = indexShape(db, row);
    else if (row.type === "table") schema.tables[row.name] = tableShape(db, row, listed.get(row.name));
  }
  return schema;
}

function tableShape(db: Database, row: MasterRow, listed: { type: string; wr: number } | undefined): TableShape {
  const columns = (
    db.prepare(`SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info('${row.name}')`).all() as {
      name: string;
      type: string;
      notnull: number;
      dflt_value: string | null;
      pk: number;
    }[]
  ).map((c) => ({ name: c.name, type: c.type.toLowerCase(), notNull: c.notnull === 1, default: c.dflt_value, pk: c.pk }));
  const foreignKeys = (
    db.prepare(`SELECT "from", "table", "to", on_delete, on_update FROM pragma_foreign_key_list('${row.name}')`).all() as {
      from: string;
      table: string;
      to: string;
      on_delete: string;
      on_update: string;
    }[]
  )
    .map((f) => ({ from: f.from, table: f.table, to: f.to, onDelete: f.on_delete, onUpdate: f.on_update }))
    .sort((a, b) => a.from.localeCompare(b.from));
  const constraints = (db.prepare(`SELECT name, origin FROM pragma_index_list('${row.name}') WHERE origin <> 'c'`).all() as {
    name: string;
    origin: string;
  }[])
    .map((i) => `${i.origin}:${indexColumns(db, i.name).join(",")}`)
    .sort();
  return {
    type: listed?.type ?? "table",
    withoutRowid: listed?.wr === 1,
    columns,
    checks: checkExpressions(row.sql ?? ""),
    foreignKeys,
    constraints,
  };
}

function indexColumns(db: Database, index: string): string[] {
  return (db.prepare(`SELECT name, "desc" AS d FROM pragma_index_xinfo('${index}') WHERE "key" = 1 ORDER BY seqno`).all() as {
    name: string | null;
    d: number;
  }[]).map((c) => `${c.name ?? "<expr>"}${c.d === 1 ? " desc" : ""}`);
}

function indexShape(db: Database, row: MasterRow): IndexShape {
  const unique = (db.prepare(`SELECT "unique" AS u FROM pragma_index_list('${row.tbl_name}') WHERE name = ?`).get(row.name) as { u: number } | undefined)?.u === 1;
  return { table: row.tbl_name, unique, columns: indexColumns(db, row.name), sql: normalizeSql(row.sql ?? "") };
}
