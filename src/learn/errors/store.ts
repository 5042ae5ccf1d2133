/**
 * The error store: every CI failure and validator finding becomes (or counts towards) an error signature,
 * and every fix tried against a signature is scored by whether the next CI run passed.
 */
import { createHash } from "node:crypto";
import type { Database } from "better-sqlite3";
import type { LearningOrigin, LearningScope } from "../scope.js";
import { checkOrigin, checkScope, scopeWhere } from "../scope.js";
import type { CiFailure } from "../../ci/types.js";
import type { Finding } from "../../python/types.js";
import type { ComponentType } from "../../spec/types.js";
import type { ErrorKind } from "./classify.js";
import { errorSignature } from "./classify.js";

export type FailureSource = "ci" | "validator";
export type FixKind = "fixer" | "learned_rule" | "prompt_instruction";
export type FixOutcome = "pending" | "passed" | "failed";

/** What can be recorded: a normalized CI failure, or a finding of opforge's own validator. */
export type RecordableFailure = CiFailure | Finding;

export interface FailureContext {
  /** null or absent for failures seen outside a generation (a `validate` run on a file). */
  generationId?: number | null;
  componentType?: ComponentType | null;
  /** The spec's category (`http`, `database`, …). */
  category?: string | null;
}

export interface StoredSignature {
  id: number;
  signature: string;
  kind: ErrorKind;
  rootCause: string;
  fixStrategy: string;
  /** Which known-signature entry classified it (`generic:<kind>` when none did). */
  matched: string;
  occurrences: number;
  firstSeen: number;
  lastSeen: number;
  componentTypes: ComponentType[];
}

export interface NewFixAttempt {
  signatureId: number;
  fixKind: FixKind;
  /** The fixer's rule id, the learned rule's id, or {@link instructionRef} of the prompt instruction. */
  fixRef: string;
  /** Human words for the fix (the instruction text, the fixer's description); shown in sentences. */
  fixLabel?: string;
  generationId: number;
  attemptNumber: number;
}

export interface ResolvedFixAttempt {
  id: number;
  signatureId: number;
  fixKind: FixKind;
  fixRef: string;
  attemptNumber: number;
  passed: boolean;
}

export interface ResolveInput {
  generationId: number;
  /** The CI verdict of the run that followed the fixes. */
  passed: boolean;
  /**
   * Signatures the failing run still showed. When given with `passed: false`, a fix whose signature is no
   * longer among them counts as a success: it removed its error even though something else failed.
   */
  stillFailingSignatureIds?: readonly number[];
}

export interface BestFix {
  signatureId: number;
  signature: string;
  kind: ErrorKind;
  rootCause: string;
  fixStrategy: string;
  fixKind: FixKind;
  fixRef: string;
  fixLabel: string | null;
  successes: number;
  failures: number;
  /** Mean of Beta(1 + successes, 1 + failures). */
  posteriorMean: number;
  sentence: string;
}

export interface BestFixQuery {
  signatureIds?: readonly number[];
  category?: string;
  componentType?: ComponentType;
  since?: number;
  limit: number;
}

export interface FrequentSignature {
  signatureId: number;
  signature: string;
  kind: ErrorKind;
  rootCause: string;
  fixStrategy: string;
  /** Occurrences that pass the query's filters. */
  occurrences: number;
  lastSeen: number;
  componentTypes: ComponentType[];
}

export interface FrequentQuery {
  componentType?: ComponentType;
  category?: string;
  /** Epoch milliseconds; only occurrences at or after it count. */
  since?: number;
  limit: number;
}

const FIX_KINDS: readonly FixKind[] = ["fixer", "learned_rule", "prompt_instruction"];
const COMPONENT_TYPES: readonly ComponentType[] = ["operator", "sensor", "hook"];

interface SignatureRow {
  id: number;
  signature: string;
  kind: ErrorKind;
  root_cause: string;
  fix_strategy: string;
  matched: string;
  occurrences: number;
  first_seen: number;
  last_seen: number;
  component_types_json: string;
}

function parseComponentTypes(text: string, id: number): ComponentType[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`error_signatures.component_types_json of row ${id} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!Array.isArray(value)) throw new Error(`error_signatures.component_types_json of row ${id} should hold a JSON array`);
  return value.filter((v): v is ComponentType => COMPONENT_TYPES.includes(v as ComponentType)).sort();
}

function toSignature(row: SignatureRow): StoredSignature {
  return {
    id: row.id,
    signature: row.signature,
    kind: row.kind,
    rootCause: row.root_cause,
    fixStrategy: row.fix_strategy,
    matched: row.matched,
    occurrences: row.occurrences,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    componentTypes: parseComponentTypes(row.component_types_json, row.id),
  };
}

function requirePositiveInteger(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function requireLimit(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function isFinding(item: RecordableFailure): item is Finding {
  return "rule" in item && typeof item.rule === "string" && "severity" in item;
}

/** The `fixRef` of a prompt instruction: a short hash of its text, so rewording makes a new fix. */
export function instructionRef(text: string): string {
  return createHash("sha256").update(text.trim()).digest("hex").slice(0, 16);
}

/**
 * Records failures of one CI run or validation pass. Returns each input's signature id, in input order.
 * A signature counts once per call however many failures share it (ten failing tests with the same
 * message are one mistake), so callers record each CI result once (see `recordCiResult`'s `inserted`).
 */
export function recordFailures(
  db: Database,
  origin: LearningOrigin,
  failures: readonly RecordableFailure[],
  context: FailureContext,
  now: number,
): number[] {
  checkOrigin(origin, "recordFailures");
  const generationId = context.generationId ?? null;
  if (generationId !== null) requirePositiveInteger(generationId, "recordFailures: context.generationId");
  const componentType = context.componentType ?? null;
  if (componentType !== null && !COMPONENT_TYPES.includes(componentType)) {
    throw new Error(`recordFailures: context.componentType must be one of ${COMPONENT_TYPES.join(", ")}, got ${JSON.stringify(componentType)}`);
  }
  const category = context.category ?? null;
  failures.forEach((f, i) => {
    if (typeof f?.message !== "string") throw new Error(`recordFailures: failures[${i}].message must be a string`);
  });

  // One signature row per installation: its counts and dates are that installation's alone.
  const select = db.prepare("SELECT * FROM error_signatures WHERE installation_id = ? AND signature = ?");
  const insert = db.prepare(
    `INSERT INTO error_signatures (installation_id, signature, kind, root_cause, fix_strategy, matched, occurrences, first_seen, last_seen,
                                   component_types_json)
     VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, '[]')`,
  );
  const bump = db.prepare(
    "UPDATE error_signatures SET occurrences = occurrences + 1, last_seen = MAX(last_seen, ?), component_types_json = ? WHERE id = ?",
  );
  const occurrence = db.prepare(
    `INSERT INTO error_occurrences (signature_id, generation_id, component_type, category, source, seen_at, installation_id, repository)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );

  return db
    .transaction((): number[] => {
      const ids: number[] = [];
      const counted = new Set<number>();
      for (const failure of failures) {
        const classified = errorSignature(failure);
        let row = select.get(origin.installationId, classified.signature) as SignatureRow | undefined;
        if (row === undefined) {
          insert.run(origin.installationId, classified.signature, classified.kind, classified.rootCause, classified.fixStrategy, classified.matched, now, now);
          row = select.get(origin.installationId, classified.signature) as SignatureRow;
        }
        ids.push(row.id);
        if (counted.has(row.id)) continue;
        counted.add(row.id);
        const types = parseComponentTypes(row.component_types_json, row.id);
        if (componentType !== null && !types.includes(componentType)) types.push(componentType);
        bump.run(now, JSON.stringify(types.sort()), row.id);
        occurrence.run(row.id, generationId, componentType, category, isFinding(failure) ? "validator" : "ci", now, origin.installationId, origin.repository);
      }
      return ids;
    })
    .immediate();
}

/**
 * A signature of the scope's installation, with the counts, dates and component types of the scope's own
 * occurrences (one repository's, with a repository scope); null when the scope never saw it.
 */
export function getSignature(db: Database, scope: LearningScope, id: number): StoredSignature | null {
  checkScope(scope, "getSignature");
  const where = scopeWhere(scope, "o");
  const row = db
    .prepare(
      `SELECT s.id, s.signature, s.kind, s.root_cause, s.fix_strategy, s.matched,
              COUNT(o.id) AS occurrences, MIN(o.seen_at) AS first_seen, MAX(o.seen_at) AS last_seen,
              json_group_array(DISTINCT o.component_type) FILTER (WHERE o.component_type IS NOT NULL) AS component_types_json
         FROM error_signatures s JOIN error_occurrences o ON o.signature_id = s.id
        WHERE s.id = ? AND s.installation_id = ? AND ${where.sql}
        GROUP BY s.id`,
    )
    .get(id, scope.installationId, ...where.params) as SignatureRow | undefined;
  return row === undefined ? null : toSignature(row);
}

/**
 * Notes that a fix was tried against a signature in an attempt. Recording the same fix for the same
 * attempt twice is harmless. Returns the fix attempt's id.
 */
export function recordFixAttempt(db: Database, origin: LearningOrigin, input: NewFixAttempt, now: number): number {
  checkOrigin(origin, "recordFixAttempt");
  requirePositiveInteger(input.signatureId, "recordFixAttempt: signatureId");
  requirePositiveInteger(input.generationId, "recordFixAttempt: generationId");
  requirePositiveInteger(input.attemptNumber, "recordFixAttempt: attemptNumber");
  if (!FIX_KINDS.includes(input.fixKind)) {
    throw new Error(`recordFixAttempt: fixKind must be one of ${FIX_KINDS.join(", ")}, got ${JSON.stringify(input.fixKind)}`);
  }
  if (typeof input.fixRef !== "string" || input.fixRef.trim() === "") {
    throw new Error("recordFixAttempt: fixRef must be a non-empty string (rule id, learned rule id or instruction hash)");
  }
  return db
    .transaction((): number => {
      // Another installation's signature reads as missing: a fix is credited to the installation that tried it.
      if (db.prepare("SELECT 1 FROM error_signatures WHERE id = ? AND installation_id = ?").get(input.signatureId, origin.installationId) === undefined) {
        throw new Error(`recordFixAttempt: signatureId ${input.signatureId} does not exist`);
      }
      db.prepare(
        `INSERT INTO fix_attempts (signature_id, fix_kind, fix_ref, fix_label, generation_id, attempt_number, created_at, installation_id, repository)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (signature_id, fix_kind, fix_ref, generation_id, attempt_number) DO NOTHING`,
      ).run(
        input.signatureId,
        input.fixKind,
        input.fixRef,
        input.fixLabel ?? null,
        input.generationId,
        input.attemptNumber,
        now,
        origin.installationId,
        origin.repository,
      );
      const row = db
        .prepare(
          `SELECT id FROM fix_attempts WHERE signature_id = ? AND fix_kind = ? AND fix_ref = ? AND generation_id = ? AND attempt_number = ?`,
        )
        .get(input.signatureId, input.fixKind, input.fixRef, input.generationId, input.attemptNumber) as { id: number };
      return row.id;
    })
    .immediate();
}

/**
 * Settles every pending fix attempt of a generation with the CI verdict that followed it. Returns what
 * was settled; attempts settled before are left alone, so a redelivered verdict changes nothing.
 */
export function resolveFixAttempts(db: Database, scope: LearningScope, input: ResolveInput, now: number): ResolvedFixAttempt[] {
  checkScope(scope, "resolveFixAttempts");
  const owner = scopeWhere(scope, "");
  requirePositiveInteger(input.generationId, "resolveFixAttempts: generationId");
  if (typeof input.passed !== "boolean") throw new Error("resolveFixAttempts: passed must be a boolean");
  const stillFailing = input.stillFailingSignatureIds === undefined ? undefined : new Set(input.stillFailingSignatureIds);
  return db
    .transaction((): ResolvedFixAttempt[] => {
      const pending = db
        .prepare(
          `SELECT id, signature_id, fix_kind, fix_ref, attempt_number FROM fix_attempts
            WHERE generation_id = ? AND outcome = 'pending' AND ${owner.sql} ORDER BY id`,
        )
        .all(input.generationId, ...owner.params) as { id: number; signature_id: number; fix_kind: FixKind; fix_ref: string; attempt_number: number }[];
      const settle = db.prepare("UPDATE fix_attempts SET outcome = ?, resolved_at = ? WHERE id = ?");
      return pending.map((row) => {
        const passed = input.passed || (stillFailing !== undefined && !stillFailing.has(row.signature_id));
        settle.run(passed ? "passed" : "failed", now, row.id);
        return {
          id: row.id,
          signatureId: row.signature_id,
          fixKind: row.fix_kind,
          fixRef: row.fix_ref,
          attemptNumber: row.attempt_number,
          passed,
        };
      });
    })
    .immediate();
}

/** Mean of Beta(1 + successes, 1 + failures): the uniform prior keeps one lucky run from looking perfect. */
export function posteriorMean(successes: number, failures: number): number {
  return (1 + successes) / (2 + successes + failures);
}

const FIX_KIND_WORDS: Readonly<Record<FixKind, string>> = {
  fixer: "the built-in fixer",
  learned_rule: "learned rule",
  prompt_instruction: "the prompt instruction",
};

function fixSentence(fix: Omit<BestFix, "sentence">): string {
  const name =
    fix.fixKind === "prompt_instruction" && fix.fixLabel
      ? `${FIX_KIND_WORDS[fix.fixKind]} "${fix.fixLabel}"`
      : fix.fixKind === "learned_rule"
        ? `${FIX_KIND_WORDS[fix.fixKind]} #${fix.fixRef}`
        : `${FIX_KIND_WORDS[fix.fixKind]} ${fix.fixRef}`;
  const tries = fix.successes + fix.failures;
  return `For \`${fix.signature}\` (${fix.rootCause}), ${name} was followed by a passing CI run ${fix.successes} of ${tries} time${tries === 1 ? "" : "s"} (posterior mean ${fix.posteriorMean.toFixed(2)}).`;
}

/** Builds `signature_id IN (…)`-style filters over occurrences shared by both queries. */
function occurrenceFilter(
  scope: LearningScope,
  query: { category?: string; componentType?: ComponentType; since?: number },
): { sql: string; params: (string | number)[] } {
  const owner = scopeWhere(scope, "o");
  const clauses: string[] = [owner.sql];
  const params: (string | number)[] = [...owner.params];
  if (query.category !== undefined) {
    clauses.push("o.category = ?");
    params.push(query.category);
  }
  if (query.componentType !== undefined) {
    clauses.push("o.component_type = ?");
    params.push(query.componentType);
  }
  if (query.since !== undefined) {
    clauses.push("o.seen_at >= ?");
    params.push(query.since);
  }
  return { sql: clauses.join(" AND "), params };
}

/**
 * For each signature (the given ids, or those seen in the category / component type), the settled fix
 * with the highest posterior mean. Ties go to the fix tried more often. Signatures without a settled fix
 * are left out. Best first.
 */
export function bestFixes(db: Database, scope: LearningScope, query: BestFixQuery): BestFix[] {
  checkScope(scope, "bestFixes");
  const limit = requireLimit(query.limit, "bestFixes: limit");
  const owner = scopeWhere(scope, "f");
  const where: string[] = ["f.outcome != 'pending'", owner.sql];
  const params: (string | number)[] = [...owner.params];
  if (query.signatureIds !== undefined) {
    query.signatureIds.forEach((id, i) => requirePositiveInteger(id, `bestFixes: signatureIds[${i}]`));
    if (query.signatureIds.length === 0) return [];
    where.push(`f.signature_id IN (${query.signatureIds.map(() => "?").join(", ")})`);
    params.push(...query.signatureIds);
  }
  if (query.category !== undefined || query.componentType !== undefined || query.since !== undefined) {
    const filter = occurrenceFilter(scope, query);
    where.push(`f.signature_id IN (SELECT o.signature_id FROM error_occurrences o WHERE ${filter.sql})`);
    params.push(...filter.params);
  }
  const rows = db
    .prepare(
      `SELECT s.id AS signature_id, s.signature, s.kind, s.root_cause, s.fix_strategy, f.fix_kind, f.fix_ref,
              MAX(f.fix_label) AS fix_label,
              SUM(f.outcome = 'passed') AS successes, SUM(f.outcome = 'failed') AS failures
         FROM fix_attempts f JOIN error_signatures s ON s.id = f.signature_id
        WHERE ${where.join(" AND ")}
        GROUP BY f.signature_id, f.fix_kind, f.fix_ref`,
    )
    .all(...params) as {
    signature_id: number;
    signature: string;
    kind: ErrorKind;
    root_cause: string;
    fix_strategy: string;
    fix_kind: FixKind;
    fix_ref: string;
    fix_label: string | null;
    successes: number;
    failures: number;
  }[];

  const best = new Map<number, Omit<BestFix, "sentence">>();
  for (const row of rows) {
    const candidate = {
      signatureId: row.signature_id,
      signature: row.signature,
      kind: row.kind,
      rootCause: row.root_cause,
      fixStrategy: row.fix_strategy,
      fixKind: row.fix_kind,
      fixRef: row.fix_ref,
      fixLabel: row.fix_label,
      successes: row.successes,
      failures: row.failures,
      posteriorMean: posteriorMean(row.successes, row.failures),
    };
    const current = best.get(row.signature_id);
    if (current === undefined || better(candidate, current)) best.set(row.signature_id, candidate);
  }
  return [...best.values()]
    .sort((a, b) => b.posteriorMean - a.posteriorMean || b.successes + b.failures - (a.successes + a.failures) || a.signatureId - b.signatureId)
    .slice(0, limit)
    .map((fix) => ({ ...fix, sentence: fixSentence(fix) }));
}

function better(a: Omit<BestFix, "sentence">, b: Omit<BestFix, "sentence">): boolean {
  if (a.posteriorMean !== b.posteriorMean) return a.posteriorMean > b.posteriorMean;
  const triesA = a.successes + a.failures;
  const triesB = b.successes + b.failures;
  if (triesA !== triesB) return triesA > triesB;
  return `${a.fixKind}:${a.fixRef}` < `${b.fixKind}:${b.fixRef}`;
}

/** The signatures seen most often under the filters ("mistakes seen in this category"), most frequent first. */
export function frequentSignatures(db: Database, scope: LearningScope, query: FrequentQuery): FrequentSignature[] {
  checkScope(scope, "frequentSignatures");
  const limit = requireLimit(query.limit, "frequentSignatures: limit");
  const filter = occurrenceFilter(scope, query);
  // Component types from the scope's own occurrences, not the signature row's totals over every installation.
  const rows = db
    .prepare(
      `SELECT s.id, s.signature, s.kind, s.root_cause, s.fix_strategy, s.matched, COUNT(o.id) AS hits, MAX(o.seen_at) AS last_hit,
              (SELECT json_group_array(DISTINCT t.component_type) FROM error_occurrences t
                WHERE t.signature_id = s.id AND t.component_type IS NOT NULL AND ${scopeWhere(scope, "t").sql}) AS component_types_json
         FROM error_occurrences o JOIN error_signatures s ON s.id = o.signature_id
        WHERE ${filter.sql}
        GROUP BY s.id
        ORDER BY hits DESC, last_hit DESC, s.id
        LIMIT ?`,
    )
    .all(...scopeWhere(scope, "t").params, ...filter.params, limit) as (SignatureRow & { hits: number; last_hit: number })[];
  return rows.map((row) => ({
    signatureId: row.id,
    signature: row.signature,
    kind: row.kind,
    rootCause: row.root_cause,
    fixStrategy: row.fix_strategy,
    occurrences: row.hits,
    lastSeen: row.last_hit,
    componentTypes: parseComponentTypes(row.component_types_json, row.id),
  }));
}
