import { PostgresAdapter } from "kysely";
import type { Kysely } from "kysely";
import type { Tables } from "./schema.js";

export type Dialect = "sqlite" | "postgres";

/**
 * Which SQL a Kysely instance speaks. Most queries are written once; the few spellings that differ (full-text
 * search, `MAX(a, b)` against `GREATEST(a, b)`, JSON and date functions) branch on this.
 */
export function dialectOf(db: Kysely<Tables>): Dialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? "postgres" : "sqlite";
}
