/**
 * Small pieces the error and rewrite-rule stores share on Kysely: a transaction that joins the caller's,
 * the installation/repository filter of a learning scope, and the spellings that differ between dialects.
 */
import { sql } from "kysely";
import type { Expression, Kysely, RawBuilder, SqlBool } from "kysely";
import { dialectOf } from "../../db/dialect.js";
import type { Tables } from "../../db/schema.js";
import type { LearningScope } from "../scope.js";

/**
 * `alias.installation_id = ? [AND alias.<repositoryColumn> = ?]`. Rows of unknown origin (installation_id
 * NULL, see migration 008) never match.
 */
export function inScope(scope: LearningScope, alias: string, repositoryColumn = "repository"): Expression<SqlBool> {
  const owner = sql<SqlBool>`${sql.ref(`${alias}.installation_id`)} = ${scope.installationId}`;
  if (scope.repository === null) return owner;
  return sql<SqlBool>`${owner} AND ${sql.ref(`${alias}.${repositoryColumn}`)} = ${scope.repository}`;
}

/** The larger of two numbers: `MAX(a, b)` on SQLite, where MAX of two arguments is scalar; `GREATEST` on PostgreSQL. */
export function greatest(db: Kysely<Tables>, a: Expression<number>, b: Expression<number>): RawBuilder<number> {
  return dialectOf(db) === "postgres" ? sql<number>`GREATEST(${a}, ${b})` : sql<number>`MAX(${a}, ${b})`;
}
