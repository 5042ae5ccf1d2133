import { createHash } from "node:crypto";
import type { Database } from "better-sqlite3";
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

interface CiResultRow {
  id: number;
  generation_id: number;
  head_sha: string;
  fingerprints_hash: string;
  conclusion: string;
  failures_json: string;
  attributed_to_base: number;
  retry_triggered: number;
  created_at: number;
}

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

export function recordCiResult(db: Database, input: NewCiResult, now: number): RecordCiResultOutcome {
  return db
    .transaction((): RecordCiResultOutcome => {
      const info = db
        .prepare(
          `INSERT INTO ci_results (generation_id, head_sha, fingerprints_hash, conclusion, failures_json,
             attributed_to_base, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (head_sha, fingerprints_hash) DO NOTHING`,
        )
        .run(
          input.generationId,
          input.headSha,
          input.fingerprintsHash,
          input.conclusion,
          toJsonColumn(input.failures ?? [], "ci result failures"),
          input.attributedToBase ? 1 : 0,
          now,
        );
      const result = getCiResult(db, input.headSha, input.fingerprintsHash);
      if (result === null) throw new Error(`ci result for ${input.headSha} vanished after insert`);
      return { result, inserted: info.changes === 1 };
    })
    .immediate();
}

export function getCiResult(db: Database, headSha: string, hash: string): CiResult | null {
  const row = db
    .prepare("SELECT * FROM ci_results WHERE head_sha = ? AND fingerprints_hash = ?")
    .get(headSha, hash) as CiResultRow | undefined;
  return row === undefined ? null : toCiResult(row);
}

/** Oldest first. */
export function listCiResults(db: Database, generationId: number): CiResult[] {
  const rows = db
    .prepare("SELECT * FROM ci_results WHERE generation_id = ? ORDER BY created_at, id")
    .all(generationId) as CiResultRow[];
  return rows.map(toCiResult);
}

/**
 * Claims the right to trigger a retry for this CI result. Only the first caller gets true; every later
 * caller (another check run of the same SHA, a redelivered webhook) gets false and must not retry.
 */
export function claimRetry(db: Database, ciResultId: number): boolean {
  return (
    db.prepare("UPDATE ci_results SET retry_triggered = 1 WHERE id = ? AND retry_triggered = 0").run(ciResultId)
      .changes === 1
  );
}

export function setAttributedToBase(db: Database, ciResultId: number, attributed: boolean): void {
  const info = db
    .prepare("UPDATE ci_results SET attributed_to_base = ? WHERE id = ?")
    .run(attributed ? 1 : 0, ciResultId);
  if (info.changes === 0) throw new Error(`ci result ${ciResultId} does not exist`);
}
