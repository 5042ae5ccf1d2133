/**
 * The pattern table: one row per fingerprint, its counts, and the signals that move them, on SQLite and
 * PostgreSQL alike. Every function writes in one transaction (the caller's when it passes one), so a row,
 * its full-text entry (FTS5 triggers on SQLite, the generated `search_vector` on PostgreSQL) and the word
 * counts of `pattern_terms` never disagree.
 */
import type { Kysely, Selectable } from "kysely";
import { sql } from "kysely";
import type { PatternsTable, Tables } from "../../db/schema.js";
import { tableColumns } from "../../db/schema.js";
import type { ConfidenceOptions, DecayedCounts } from "./confidence.js";
import { addObservation, confidenceOf, decayTo, resolveConfidence } from "./confidence.js";
import type { LearningOrigin, LearningScope } from "../scope.js";
import { checkOrigin, checkScope } from "../scope.js";
import { scopeOf } from "./scope.js";
import { uniqueWords } from "./text.js";
import type { PatternCandidate, PatternComponentType, PatternKind, PatternRole } from "./types.js";
import { PATTERN_KINDS } from "./types.js";
import { inTransaction } from "../../db/transaction.js";

/** A pattern row as the store returns it. */
export interface StoredPattern {
  id: number;
  /** The installation and repository the pattern was merged in; null for a pattern of unknown origin. */
  installationId: number | null;
  repository: string | null;
  kind: PatternKind;
  fingerprint: string;
  code: string;
  description: string;
  category: string;
  componentType: PatternComponentType;
  role: PatternRole;
  libraries: string[];
  text: string;
  successes: number;
  failures: number;
  /** Decayed observation weights, valid at `weights.at`. */
  weights: DecayedCounts;
  uses: number;
  lastUsedAt: number | null;
  createdAt: number;
  updatedAt: number;
  archived: boolean;
  archivedAt: number | null;
}

/** A `patterns` row as read (the columns both dialects have; PostgreSQL's `search_vector` is left out). */
export type PatternRow = Selectable<PatternsTable>;

/** Every column but PostgreSQL's generated `search_vector`, which only the database reads. */
export const PATTERN_COLUMNS = tableColumns.patterns;

/** Most words a pattern's search text collects across the files it was seen in. */
const MAX_TEXT_WORDS = 200;

export interface StoreOptions {
  /** Half-life used when folding a new observation into the decayed weights (default 90 days). */
  halfLifeDays?: number;
}

export function parseLibraries(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
  } catch {
    return [];
  }
}

export function rowToPattern(row: PatternRow): StoredPattern {
  return {
    id: row.id,
    installationId: row.installation_id,
    repository: row.repository,
    kind: row.kind,
    fingerprint: row.fingerprint,
    code: row.code,
    description: row.description,
    category: row.category,
    componentType: row.component_type,
    role: row.role,
    libraries: parseLibraries(row.libraries),
    text: row.text,
    successes: row.successes,
    failures: row.failures,
    weights: { successWeight: row.success_weight, failureWeight: row.failure_weight, at: row.weight_at },
    uses: row.uses,
    lastUsedAt: row.last_used_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    archived: row.archived === 1,
    archivedAt: row.archived_at,
  };
}

function checkTime(now: number): void {
  if (!Number.isFinite(now)) throw new Error(`now must be epoch milliseconds, got ${String(now)}`);
}

function checkCandidate(c: PatternCandidate, index: number): void {
  const where = `candidates[${index}]`;
  if (!PATTERN_KINDS.includes(c.kind)) throw new Error(`${where}.kind must be one of ${PATTERN_KINDS.join(", ")}, got ${JSON.stringify(c.kind)}`);
  if (!/^[0-9a-f]{64}$/.test(c.fingerprint)) throw new Error(`${where}.fingerprint must be a sha256 hex digest`);
  if (typeof c.code !== "string" || c.code === "") throw new Error(`${where}.code must be a non-empty string`);
  if (!["operator", "sensor", "hook"].includes(c.componentType)) {
    throw new Error(`${where}.componentType must be operator, sensor or hook, got ${JSON.stringify(c.componentType)}`);
  }
}

/** Rows of the scope alone: an id or fingerprint of another installation (or repository) finds nothing. */
function scoped(db: Kysely<Tables>, scope: LearningScope) {
  let query = db.selectFrom("patterns").select(PATTERN_COLUMNS).where("installation_id", "=", scope.installationId);
  if (scope.repository !== null) query = query.where("repository", "=", scope.repository);
  return query;
}

async function insertPattern(trx: Kysely<Tables>, origin: LearningOrigin, c: PatternCandidate, text: readonly string[], now: number): Promise<number> {
  const row = await trx
    .insertInto("patterns")
    .values({
      installation_id: origin.installationId,
      repository: origin.repository,
      kind: c.kind,
      fingerprint: c.fingerprint,
      code: c.code,
      description: c.description,
      category: c.category,
      component_type: c.componentType,
      role: c.role,
      libraries: JSON.stringify([...new Set(c.libraries)].sort()),
      text: text.join(" "),
      scope: scopeOf(c.componentType, c.category, c.kind, origin),
      weight_at: now,
      created_at: now,
      updated_at: now,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * Inserts candidates the repository of `origin` has not merged before and returns the ids of all of them,
 * in order. A known fingerprint keeps its row and counts; its search text gains the new file's words (up to
 * a cap), and its libraries the new file's libraries, so a pattern is found by the vocabulary of every
 * component it was seen in. Patterns are kept per installation and repository: the same shape merged in
 * another installation is another row.
 */
export async function upsertPatterns(db: Kysely<Tables>, origin: LearningOrigin, candidates: readonly PatternCandidate[], now: number): Promise<number[]> {
  checkTime(now);
  checkOrigin(origin, "upsertPatterns");
  candidates.forEach(checkCandidate);
  return inTransaction(db, async (trx) => {
    const ids: number[] = [];
    for (const c of candidates) {
      const existing = await scoped(trx, origin).where("fingerprint", "=", c.fingerprint).executeTakeFirst();
      if (!existing) {
        const text = uniqueWords([c.text], MAX_TEXT_WORDS);
        ids.push(await insertPattern(trx, origin, c, text, now));
        await adjustTerms(trx, origin.installationId, text, 1);
        continue;
      }
      const text = uniqueWords([existing.text, c.text], MAX_TEXT_WORDS).join(" ");
      const libraries = JSON.stringify([...new Set([...parseLibraries(existing.libraries), ...c.libraries])].sort());
      if (text !== existing.text || libraries !== existing.libraries) {
        await trx.updateTable("patterns").set({ text, libraries, updated_at: now }).where("id", "=", existing.id).execute();
        if (existing.archived === 0) {
          const before = new Set(existing.text.split(" "));
          await adjustTerms(trx, origin.installationId, text.split(" ").filter((w) => !before.has(w)), 0);
        }
      }
      ids.push(existing.id);
    }
    return ids;
  });
}

/**
 * Keeps `pattern_terms` in step with an installation's live patterns' search words: `+1` for a new pattern
 * (which also counts the pattern itself, under the empty term), `0` for words added to a known one, `-1` for
 * an archived one. Counted per installation, so how common a word is in one installation's store never
 * shapes another's search. One statement for all the words; a count never drops below zero.
 */
async function adjustTerms(trx: Kysely<Tables>, installationId: number, words: readonly string[], pattern: -1 | 0 | 1): Promise<void> {
  const delta = pattern === -1 ? -1 : 1;
  const rows = [...new Set(words)].filter((w) => w !== "").map((term) => ({ installation_id: installationId, term, docs: delta }));
  if (pattern !== 0) rows.push({ installation_id: installationId, term: "", docs: pattern });
  if (rows.length === 0) return;
  await trx
    .insertInto("pattern_terms")
    .values(rows)
    .onConflict((oc) =>
      oc.columns(["installation_id", "term"]).doUpdateSet({
        // CASE rather than MAX(a, b) / GREATEST(a, b): the one spelling both dialects read.
        docs: sql<number>`CASE WHEN pattern_terms.docs + excluded.docs < 0 THEN 0 ELSE pattern_terms.docs + excluded.docs END`,
      }),
    )
    .execute();
}

async function observe(
  db: Kysely<Tables>,
  scope: LearningScope,
  ids: readonly number[],
  success: boolean,
  now: number,
  options: StoreOptions,
): Promise<number> {
  checkTime(now);
  checkScope(scope, "recordPatternOutcome");
  const { halfLifeDays } = resolveConfidence({ halfLifeDays: options.halfLifeDays });
  return inTransaction(db, async (trx) => {
    let changed = 0;
    for (const id of new Set(ids)) {
      const row = await scoped(trx, scope).where("id", "=", id).executeTakeFirst();
      if (!row) continue;
      const next = addObservation(
        { successWeight: row.success_weight, failureWeight: row.failure_weight, at: row.weight_at },
        success,
        now,
        halfLifeDays,
      );
      await trx
        .updateTable("patterns")
        .set((eb) => ({
          successes: eb("successes", "+", success ? 1 : 0),
          failures: eb("failures", "+", success ? 0 : 1),
          success_weight: next.successWeight,
          failure_weight: next.failureWeight,
          weight_at: next.at,
          updated_at: now,
        }))
        .where("id", "=", id)
        .execute();
      changed++;
    }
    return changed;
  });
}

/**
 * A merged pull request: its code is stored as patterns (new ones inserted) and each distinct pattern in
 * it gains one success. Returns the pattern ids.
 */
export async function recordMergedPatterns(
  db: Kysely<Tables>,
  origin: LearningOrigin,
  candidates: readonly PatternCandidate[],
  now: number,
  options: StoreOptions = {},
): Promise<number[]> {
  return inTransaction(db, async (trx) => {
    const ids = await upsertPatterns(trx, origin, candidates, now);
    await observe(trx, { installationId: origin.installationId, repository: origin.repository }, ids, true, now, options);
    return [...new Set(ids)];
  });
}

/**
 * The outcome of a generation whose prompt used these patterns: a final CI failure or a pull request
 * closed without merging counts one failure against each, a success one success. Ids unknown or outside
 * the scope are skipped; returns how many patterns were updated.
 */
export function recordPatternOutcome(
  db: Kysely<Tables>,
  scope: LearningScope,
  patternIds: readonly number[],
  success: boolean,
  now: number,
  options: StoreOptions = {},
): Promise<number> {
  return observe(db, scope, patternIds, success, now, options);
}

/** The patterns were put in a prompt: one more use each, and the time. */
export async function markUsed(db: Kysely<Tables>, scope: LearningScope, ids: readonly number[], now: number): Promise<number> {
  checkTime(now);
  checkScope(scope, "markUsed");
  const unique = [...new Set(ids)];
  if (unique.length === 0) return 0;
  let update = db
    .updateTable("patterns")
    .set((eb) => ({ uses: eb("uses", "+", 1), last_used_at: now, updated_at: now }))
    .where("id", "in", unique)
    .where("installation_id", "=", scope.installationId);
  if (scope.repository !== null) update = update.where("repository", "=", scope.repository);
  const result = await update.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function getPattern(db: Kysely<Tables>, scope: LearningScope, id: number): Promise<StoredPattern | undefined> {
  checkScope(scope, "getPattern");
  const row = await scoped(db, scope).where("id", "=", id).executeTakeFirst();
  return row ? rowToPattern(row) : undefined;
}

/** The scope's pattern with this fingerprint (with `repository: null`, the oldest of the installation's). */
export async function getPatternByFingerprint(db: Kysely<Tables>, scope: LearningScope, fingerprint: string): Promise<StoredPattern | undefined> {
  checkScope(scope, "getPatternByFingerprint");
  const row = await scoped(db, scope).where("fingerprint", "=", fingerprint).orderBy("id").limit(1).executeTakeFirst();
  return row ? rowToPattern(row) : undefined;
}

function decayed(row: Pick<PatternRow, "success_weight" | "failure_weight" | "weight_at">, now: number, halfLifeDays: number): number {
  const d = decayTo({ successWeight: row.success_weight, failureWeight: row.failure_weight, at: row.weight_at }, now, halfLifeDays);
  return d.successWeight + d.failureWeight;
}

export interface ArchiveOptions extends ConfidenceOptions {
  /** Observations (successes + failures, decayed by age) a pattern needs before it can be judged. */
  minTrials: number;
  /** A pattern whose lower bound falls below this is archived. */
  floor: number;
  now: number;
}

function checkArchiveOptions(options: ArchiveOptions): void {
  const { minTrials, floor, now } = options;
  checkTime(now);
  if (!(Number.isInteger(minTrials) && minTrials >= 1)) throw new Error(`minTrials must be a positive integer, got ${minTrials}`);
  if (!(floor > 0 && floor < 1)) throw new Error(`floor must be between 0 and 1, got ${floor}`);
}

/**
 * Archives (never deletes) live patterns with at least `minTrials` observations whose decayed lower bound
 * is below `floor`. They leave the search index and are no longer retrieved. Returns the archived ids.
 * Every row is judged by its own record alone, so this maintenance reads no installation's knowledge
 * into another's.
 */
export async function archiveWeakPatterns(db: Kysely<Tables>, options: ArchiveOptions): Promise<number[]> {
  checkArchiveOptions(options);
  const { minTrials, floor, now } = options;
  const confidence = resolveConfidence(options);
  return inTransaction(db, async (trx) => {
    const rows = await trx
      .selectFrom("patterns")
      .select(["id", "installation_id", "text", "success_weight", "failure_weight", "weight_at"])
      .where("archived", "=", 0)
      .where((eb) => eb(eb("successes", "+", eb.ref("failures")), ">=", minTrials))
      .execute();
    const archived: number[] = [];
    for (const row of rows) {
      const { lowerBound } = confidenceOf(
        { successWeight: row.success_weight, failureWeight: row.failure_weight, at: row.weight_at },
        now,
        confidence,
      );
      // Judged on decayed evidence: a pattern whose record merely faded is uncertain, not weak.
      if (decayed(row, now, confidence.halfLifeDays) < minTrials || lowerBound >= floor) continue;
      const result = await trx
        .updateTable("patterns")
        .set({ archived: 1, archived_at: now, updated_at: now })
        .where("id", "=", row.id)
        .where("archived", "=", 0)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) continue;
      // A pattern of unknown origin was never counted (see migration 008).
      if (row.installation_id !== null) await adjustTerms(trx, row.installation_id, row.text.split(" "), -1);
      archived.push(row.id);
    }
    return archived;
  });
}
