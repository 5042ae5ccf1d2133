import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect } from "kysely";
import pg from "pg";
import type { DatabaseConfig } from "./config.js";
import type { Tables } from "./schema.js";

export interface CreateDbOptions {
  /** How long a SQLite statement waits for another connection's write lock (the existing store uses 5 s). */
  busyTimeoutMs?: number;
  /** Connections per process on PostgreSQL; replicas multiply it, so keep it small. */
  poolSize?: number;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * node-postgres returns BIGINT and NUMERIC as strings, because they can exceed a JS number. opforge's
 * BIGINT columns hold epoch milliseconds, GitHub ids and counts, and its NUMERIC values are SUMs of them,
 * all far below 2^53: parse them to numbers so a row reads the same on both dialects. A value that would
 * lose precision throws instead of being rounded silently.
 */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`BIGINT ${text} does not fit a JavaScript number`);
  return value;
}

const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (format !== "binary" && oid === INT8_OID) return parseInt8;
    if (format !== "binary" && oid === NUMERIC_OID) return (text: string) => Number(text);
    return format === undefined ? pg.types.getTypeParser(oid) : pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

/**
 * A Kysely instance over the configured database. The pragmas match `openDatabase` in src/store/database.ts
 * (WAL so readers do not block the writer, foreign keys on), so both layers see the file the same way.
 */
export function createDb(config: DatabaseConfig, options: CreateDbOptions = {}): Kysely<Tables> {
  if (config.dialect === "postgres") {
    // A private type parser (not pg.types.setTypeParser) so other pg users in the process are unaffected.
    const pool = new pg.Pool({ connectionString: config.url, max: options.poolSize ?? 5, types: pgTypes });
    return new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  }
  const memory = config.path === ":memory:";
  if (!memory) mkdirSync(dirname(resolve(config.path)), { recursive: true });
  const database = new BetterSqlite3(config.path);
  database.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  if (!memory) database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  database.pragma("foreign_keys = ON");
  return new Kysely<Tables>({ dialect: new SqliteDialect({ database }) });
}
