/**
 * The pattern table: one row per fingerprint, its counts, and the signals that move them. Every function
 * writes in one transaction, so a row and its full-text index entry never disagree. The transactions
 * are IMMEDIATE: they read before they write, and taking the write lock first lets a second process
 * wait for it (busy timeout) instead of failing when it tries to upgrade a read.
 */
import type { Database } from "better-sqlite3";
import type { ConfidenceOptions, DecayedCounts } from "./confidence.js";
import { addObservation, confidenceOf, decayTo, resolveConfidence } from "./confidence.js";
import type { LearningOrigin, LearningScope } from "../scope.js";
import { checkOrigin, checkScope, scopeWhere } from "../scope.js";
import { scopeOf } from "./scope.js";
import { uniqueWords } from "./text.js";
import type { PatternCandidate, PatternComponentType, PatternKind, PatternRole } from "./types.js";
import { PATTERN_KINDS } from "./types.js";

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

export interface PatternRow {
  id: number;
  installation_id: number | null;
  repository: string | null;
  kind: string;
  fingerprint: string;
  code: string;
  description: string;
  category: string;
  component_type: string;
  role: string;
  libraries: string;
  text: string;
  scope: string;
  successes: number;
  failures: number;
  success_weight: number;
  failure_weight: number;
  weight_at: number;
  uses: number;
  last_used_at: number | null;
  created_at: number;
  updated_at: number;
  archived: number;
  archived_at: number | null;
}

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
    kind: row.kind as PatternKind,
    fingerprint: row.fingerprint,
    code: row.code,
    description: row.description,
    category: row.category,
    componentType: row.component_type as PatternComponentType,
    role: row.role as PatternRole,
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

/**
 * Inserts candidates the repository of `origin` has not merged before and returns the ids of all of them,
 * in order. A known fingerprint keeps its row and counts; its search text gains the new file's words (up to
 * a cap), and its libraries the new file's libraries, so a pattern is found by the vocabulary of every
 * component it was seen in. Patterns are kept per installation and repository: the same shape merged in
 * another installation is another row.
 */
export function upsertPatterns(db: Database, origin: LearningOrigin, candidates: readonly PatternCandidate[], now: number): number[] {
  checkTime(now);
  checkOrigin(origin, "upsertPatterns");
  candidates.forEach(checkCandidate);
  const select = db.prepare<[number, string, string], PatternRow>(
    "SELECT * FROM patterns WHERE installation_id = ? AND repository = ? AND fingerprint = ?",
  );
  const insert = db.prepare(
    `INSERT INTO patterns (installation_id, repository, kind, fingerprint, code, description, category, component_type, role,
                           libraries, text, scope, weight_at, created_at, updated_at)
     VALUES (@installationId, @repository, @kind, @fingerprint, @code, @description, @category, @componentType, @role,
             @libraries, @text, @scope, @now, @now, @now)`,
  );
  const terms = termCounter(db, origin.installationId);
  const updateText = db.prepare("UPDATE patterns SET text = ?, libraries = ?, updated_at = ? WHERE id = ?");
  return db.transaction((): number[] => {
    const ids: number[] = [];
    for (const c of candidates) {
      const existing = select.get(origin.installationId, origin.repository, c.fingerprint);
      if (!existing) {
        const text = uniqueWords([c.text], MAX_TEXT_WORDS);
        const info = insert.run({
          installationId: origin.installationId,
          repository: origin.repository,
          kind: c.kind,
          fingerprint: c.fingerprint,
          code: c.code,
          description: c.description,
          category: c.category,
          componentType: c.componentType,
          role: c.role,
          libraries: JSON.stringify([...new Set(c.libraries)].sort()),
          text: text.join(" "),
          scope: scopeOf(c.componentType, c.category, c.kind, origin),
          now,
        });
        terms.adjust(text, 1);
        ids.push(Number(info.lastInsertRowid));
        continue;
      }
      const text = uniqueWords([existing.text, c.text], MAX_TEXT_WORDS).join(" ");
      const libraries = JSON.stringify([...new Set([...parseLibraries(existing.libraries), ...c.libraries])].sort());
      if (text !== existing.text || libraries !== existing.libraries) {
        updateText.run(text, libraries, now, existing.id);
        if (existing.archived === 0) {
          const before = new Set(existing.text.split(" "));
          terms.adjust(text.split(" ").filter((w) => !before.has(w)), 0);
        }
      }
      ids.push(existing.id);
    }
    return ids;
  }).immediate();
}

/**
 * Keeps `pattern_terms` in step with an installation's live patterns' search words: `adjust(words, +1)` for
 * a new pattern (which also counts the pattern itself), `adjust(words, 0)` for words added to a known one,
 * `adjust(words, -1)` for an archived one. Counted per installation, so how common a word is in one
 * installation's store never shapes another's search.
 */
function termCounter(db: Database, installationId: number): { adjust: (words: readonly string[], pattern: -1 | 0 | 1) => void } {
  const add = db.prepare(
    `INSERT INTO pattern_terms (installation_id, term, docs) VALUES (?, ?, ?)
     ON CONFLICT (installation_id, term) DO UPDATE SET docs = MAX(0, docs + excluded.docs)`,
  );
  return {
    adjust(words, pattern) {
      const delta = pattern === -1 ? -1 : 1;
      for (const word of new Set(words)) if (word !== "") add.run(installationId, word, delta);
      if (pattern !== 0) add.run(installationId, "", pattern);
    },
  };
}

/** `SELECT * FROM patterns WHERE id = ?` within the scope: an id from another installation finds nothing. */
function selectInScope(db: Database, scope: LearningScope): (id: number) => PatternRow | undefined {
  const where = scopeWhere(scope, "");
  const statement = db.prepare<unknown[], PatternRow>(`SELECT * FROM patterns WHERE id = ? AND ${where.sql}`);
  return (id) => statement.get(id, ...where.params);
}

function observe(db: Database, scope: LearningScope, ids: readonly number[], success: boolean, now: number, options: StoreOptions): number {
  checkTime(now);
  checkScope(scope, "recordPatternOutcome");
  const { halfLifeDays } = resolveConfidence({ halfLifeDays: options.halfLifeDays });
  const select = selectInScope(db, scope);
  const update = db.prepare(
    `UPDATE patterns SET successes = successes + @s, failures = failures + @f, success_weight = @sw,
            failure_weight = @fw, weight_at = @at, updated_at = @now WHERE id = @id`,
  );
  return db.transaction((): number => {
    let changed = 0;
    for (const id of new Set(ids)) {
      const row = select(id);
      if (!row) continue;
      const next = addObservation(
        { successWeight: row.success_weight, failureWeight: row.failure_weight, at: row.weight_at },
        success,
        now,
        halfLifeDays,
      );
      update.run({ s: success ? 1 : 0, f: success ? 0 : 1, sw: next.successWeight, fw: next.failureWeight, at: next.at, now, id });
      changed++;
    }
    return changed;
  }).immediate();
}

/**
 * A merged pull request: its code is stored as patterns (new ones inserted) and each distinct pattern in
 * it gains one success. Returns the pattern ids.
 */
export function recordMergedPatterns(
  db: Database,
  origin: LearningOrigin,
  candidates: readonly PatternCandidate[],
  now: number,
  options: StoreOptions = {},
): number[] {
  return db.transaction((): number[] => {
    const ids = upsertPatterns(db, origin, candidates, now);
    observe(db, { installationId: origin.installationId, repository: origin.repository }, ids, true, now, options);
    return [...new Set(ids)];
  }).immediate();
}

/**
 * The outcome of a generation whose prompt used these patterns: a final CI failure or a pull request
 * closed without merging counts one failure against each, a success one success. Ids unknown or outside
 * the scope are skipped; returns how many patterns were updated.
 */
export function recordPatternOutcome(
  db: Database,
  scope: LearningScope,
  patternIds: readonly number[],
  success: boolean,
  now: number,
  options: StoreOptions = {},
): number {
  return observe(db, scope, patternIds, success, now, options);
}

/** The patterns were put in a prompt: one more use each, and the time. */
export function markUsed(db: Database, scope: LearningScope, ids: readonly number[], now: number): number {
  checkTime(now);
  checkScope(scope, "markUsed");
  const where = scopeWhere(scope, "");
  const update = db.prepare(`UPDATE patterns SET uses = uses + 1, last_used_at = ?, updated_at = ? WHERE id = ? AND ${where.sql}`);
  return db.transaction((): number => {
    let changed = 0;
    for (const id of new Set(ids)) changed += update.run(now, now, id, ...where.params).changes;
    return changed;
  }).immediate();
}

export function getPattern(db: Database, scope: LearningScope, id: number): StoredPattern | undefined {
  checkScope(scope, "getPattern");
  const row = selectInScope(db, scope)(id);
  return row ? rowToPattern(row) : undefined;
}

/** The scope's pattern with this fingerprint (with `repository: null`, the oldest of the installation's). */
export function getPatternByFingerprint(db: Database, scope: LearningScope, fingerprint: string): StoredPattern | undefined {
  checkScope(scope, "getPatternByFingerprint");
  const where = scopeWhere(scope, "");
  const row = db
    .prepare<unknown[], PatternRow>(`SELECT * FROM patterns WHERE fingerprint = ? AND ${where.sql} ORDER BY id LIMIT 1`)
    .get(fingerprint, ...where.params);
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

/**
 * Archives (never deletes) live patterns with at least `minTrials` observations whose decayed lower bound
 * is below `floor`. They leave the search index and are no longer retrieved. Returns the archived ids.
 * Every row is judged by its own record alone, so this maintenance reads no installation's knowledge
 * into another's.
 */
export function archiveWeakPatterns(db: Database, options: ArchiveOptions): number[] {
  const { minTrials, floor, now } = options;
  checkTime(now);
  if (!(Number.isInteger(minTrials) && minTrials >= 1)) throw new Error(`minTrials must be a positive integer, got ${minTrials}`);
  if (!(floor > 0 && floor < 1)) throw new Error(`floor must be between 0 and 1, got ${floor}`);
  const confidence = resolveConfidence(options);
  const rows = db
    .prepare<[number], Pick<PatternRow, "id" | "installation_id" | "text" | "success_weight" | "failure_weight" | "weight_at">>(
      "SELECT id, installation_id, text, success_weight, failure_weight, weight_at FROM patterns WHERE archived = 0 AND successes + failures >= ?",
    )
    .all(minTrials);
  const archive = db.prepare("UPDATE patterns SET archived = 1, archived_at = ?, updated_at = ? WHERE id = ? AND archived = 0");
  return db.transaction((): number[] => {
    const archived: number[] = [];
    for (const row of rows) {
      const { lowerBound } = confidenceOf(
        { successWeight: row.success_weight, failureWeight: row.failure_weight, at: row.weight_at },
        now,
        confidence,
      );
      // Judged on decayed evidence: a pattern whose record merely faded is uncertain, not weak.
      const trials = decayed(row, now, confidence.halfLifeDays);
      if (trials >= minTrials && lowerBound < floor && archive.run(now, now, row.id).changes === 1) {
        // A pattern of unknown origin was never counted (see migration 008).
        if (row.installation_id !== null) termCounter(db, row.installation_id).adjust(row.text.split(" "), -1);
        archived.push(row.id);
      }
    }
    return archived;
  }).immediate();
}
