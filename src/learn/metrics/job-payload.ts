/**
 * Jobs carry their installation in the JSON payload (the worker authenticates as it), so reading one
 * installation's jobs means reading JSON in SQL, which the two dialects spell differently.
 */
import { sql, type Kysely, type RawBuilder, type SqlBool } from "kysely";
import { dialectOf } from "../../db/dialect.js";
import type { Tables } from "../../db/schema.js";

/**
 * `payload_json` names the installation `installationId` (a JSON number). SQLite skips text that is not JSON
 * with `json_valid`; PostgreSQL 15 has no such test, and the queue writes every payload with `JSON.stringify`,
 * so its payloads are cast as they are.
 */
export function jobOfInstallation(db: Kysely<Tables>, installationId: number): RawBuilder<SqlBool> {
  if (dialectOf(db) === "postgres") {
    return sql<SqlBool>`(CAST(payload_json AS jsonb) -> 'installationId') = to_jsonb(CAST(${installationId} AS BIGINT))`;
  }
  return sql<SqlBool>`(json_valid(payload_json) AND json_extract(payload_json, '$.installationId') = ${installationId})`;
}

/** Every installation some job names, in id order; payloads without a whole-number id are left out. */
export async function jobInstallations(db: Kysely<Tables>): Promise<number[]> {
  const id =
    dialectOf(db) === "postgres"
      ? sql<unknown>`CAST(payload_json AS jsonb) -> 'installationId'`
      : sql<unknown>`CASE WHEN json_valid(payload_json) THEN json_extract(payload_json, '$.installationId') END`;
  const rows = await db.selectFrom("jobs").select(id.as("id")).distinct().execute();
  // PostgreSQL hands jsonb back parsed, SQLite's json_extract gives SQL values: a number is a number on both.
  const ids = rows.map((r) => r.id).filter((v): v is number => typeof v === "number" && Number.isSafeInteger(v));
  return [...new Set(ids)].sort((a, b) => a - b);
}

/** The parsed payload of the newest job of the installation among `types` (any type when empty); null with none. */
export async function newestJobPayload(db: Kysely<Tables>, installationId: number, types: readonly string[] = []): Promise<unknown> {
  const row = await db
    .selectFrom("jobs")
    .select("payload_json")
    .where(jobOfInstallation(db, installationId))
    .$if(types.length > 0, (qb) => qb.where("type", "in", types))
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirst();
  if (row === undefined) return null;
  try {
    return JSON.parse(row.payload_json) as unknown;
  } catch {
    return null;
  }
}
