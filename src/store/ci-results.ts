import { createHash } from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import type { CiResultsTable, Tables } from "../db/schema.js";
import { parseJsonArrayColumn, toJsonColumn } from "./json.js";

export interface CiResult {
  id: number;
  generationId: number;
  headSha: string;
  /** See {@link fingerprintsHash}. */
  fingerprintsHash: string;
  /** GitHub's conclusion word: success, failure, timed_out, cancelled, … */
  conclusion: string;
  failures: unknown[];
  attributedToBase: boolean;
  retryTriggered: boolean;
  createdAt: number;
}

export interface NewCiResult {
  generationId: number;
  headSha: string;
  fingerprintsHash: string;
  conclusion: string;
  failures?: unknown[];
  attributedToBase?: boolean;
}

type CiResultRow = Selectable<CiResultsTable>;

function toCiResult(row: CiResultRow): CiResult {
  return {
    id: row.id,
    generationId: row.generation_id,
    headSha: row.head_sha,
    fingerprintsHash: row.fingerprints_hash,
    conclusion: row.conclusion,
    failures: parseJsonArrayColumn(row.failures_json, "ci_results", "failures_json", row.id),
    attributedToBase: row.attributed_to_base !== 0,
    retryTriggered: row.retry_triggered !== 0,
    createdAt: row.created_at,
  };
}

/**
 * A stable name for a set of failure fingerprints: order and repeats do not matter, so the same failures
 * reported by two check runs, or in another order, hash alike. The empty set (a green run) has a hash too.
 */
export function fingerprintsHash(fingerprints: readonly string[]): string {
  const set = [...new Set(fingerprints)].sort();
  return createHash("sha256").update(set.join("\n")).digest("hex");
}

export interface RecordCiResultOutcome {
  result: CiResult;
  /** false when this (head sha, fingerprints) pair was already recorded; `result` is then the stored one. */
  inserted: boolean;
}

/**
 * One row per (head sha, failing set): a second report of the same failures inserts nothing and hands back
 * the stored row. One statement decides, so two reports at once (two processes) still make one row.
 */
export async function recordCiResult(db: Kysely<Tables>, input: NewCiResult, now: number): Promise<RecordCiResultOutcome> {
  const inserted = await db
    .insertInto("ci_results")
    .values({
      generation_id: input.generationId,
      head_sha: input.headSha,
      fingerprints_hash: input.fingerprintsHash,
      conclusion: input.conclusion,
      failures_json: toJsonColumn(input.failures ?? [], "ci result failures"),
      attributed_to_base: input.attributedToBase ? 1 : 0,
      created_at: now,
    })
    .onConflict((oc) => oc.columns(["head_sha", "fingerprints_hash"]).doNothing())
    .executeTakeFirst();
  const result = await getCiResult(db, input.headSha, input.fingerprintsHash);
  if (result === null) throw new Error(`ci result for ${input.headSha} vanished after insert`);
  return { result, inserted: Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1 };
}

export async function getCiResult(db: Kysely<Tables>, headSha: string, hash: string): Promise<CiResult | null> {
  const row = await db
    .selectFrom("ci_results")
    .selectAll()
    .where("head_sha", "=", headSha)
    .where("fingerprints_hash", "=", hash)
    .executeTakeFirst();
  return row === undefined ? null : toCiResult(row);
}

/** Oldest first. */
export async function listCiResults(db: Kysely<Tables>, generationId: number): Promise<CiResult[]> {
  const rows = await db
    .selectFrom("ci_results")
    .selectAll()
    .where("generation_id", "=", generationId)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  return rows.map(toCiResult);
}

/**
 * Claims the right to trigger a retry for this CI result. Only the first caller gets true; every later
 * caller (another check run of the same SHA, a redelivered webhook) gets false and must not retry.
 */
export async function claimRetry(db: Kysely<Tables>, ciResultId: number): Promise<boolean> {
  const claimed = await db
    .updateTable("ci_results")
    .set({ retry_triggered: 1 })
    .where("id", "=", ciResultId)
    .where("retry_triggered", "=", 0)
    .executeTakeFirst();
  return Number(claimed.numUpdatedRows) === 1;
}

export async function setAttributedToBase(db: Kysely<Tables>, ciResultId: number, attributed: boolean): Promise<void> {
  const result = await db
    .updateTable("ci_results")
    .set({ attributed_to_base: attributed ? 1 : 0 })
    .where("id", "=", ciResultId)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) throw new Error(`ci result ${ciResultId} does not exist`);
}
