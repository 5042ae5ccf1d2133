/**
 * The error store: every CI failure and validator finding becomes (or counts towards) an error signature,
 * and every fix tried against a signature is scored by whether the next CI run passed.
 */
import { createHash } from "node:crypto";
import type { Expression, Kysely, SqlBool } from "kysely";
import { sql } from "kysely";
import type { Tables } from "../../db/schema.js";
import type { LearningOrigin, LearningScope } from "../scope.js";
import { checkOrigin, checkScope } from "../scope.js";
import type { CiFailure } from "../../ci/types.js";
import type { Finding } from "../../python/types.js";
import type { ComponentType } from "../../spec/types.js";
import type { ErrorKind } from "./classify.js";
import { errorSignature } from "./classify.js";
import type { ErrorSignature } from "./classify.js";
import { inTransaction } from "../../db/transaction.js";
import { greatest, inScope } from "./sql.js";
import { dialectOf } from "../../db/dialect.js";

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
 * Counts one occurrence of a classified failure for the installation: a new signature row, or one more on
 * the existing one. One statement (INSERT … ON CONFLICT DO UPDATE) so two processes recording the same
 * signature at once make one row and count twice; the row it returns stays locked by the transaction until
 * it commits, so adding the component type to what it read loses nobody's update.
 */
async function countSignature(
  trx: Kysely<Tables>,
  installationId: number,
  classified: ErrorSignature,
  componentType: ComponentType | null,
  now: number,
): Promise<number> {
  const row = await trx
    .insertInto("error_signatures")
    .values({
      installation_id: installationId,
      signature: classified.signature,
      kind: classified.kind,
      root_cause: classified.rootCause,
      fix_strategy: classified.fixStrategy,
      matched: classified.matched,
      occurrences: 1,
      first_seen: now,
      last_seen: now,
      component_types_json: JSON.stringify(componentType === null ? [] : [componentType]),
    })
    .onConflict((oc) =>
      oc.columns(["installation_id", "signature"]).doUpdateSet({
        occurrences: sql<number>`error_signatures.occurrences + 1`,
        last_seen: greatest(trx, sql.ref("error_signatures.last_seen"), sql<number>`${now}`),
      }),
    )
    .returning(["id", "component_types_json"])
    .executeTakeFirstOrThrow();
  const types = parseComponentTypes(row.component_types_json, row.id);
  if (componentType !== null && !types.includes(componentType)) {
    types.push(componentType);
    await trx.updateTable("error_signatures").set({ component_types_json: JSON.stringify(types.sort()) }).where("id", "=", row.id).execute();
  }
  return row.id;
}

/**
 * Records failures of one CI run or validation pass. Returns each input's signature id, in input order.
 * A signature counts once per call however many failures share it (ten failing tests with the same
 * message are one mistake), so callers record each CI result once (see `recordCiResult`'s `inserted`).
 */
export async function recordFailures(
  db: Kysely<Tables>,
  origin: LearningOrigin,
  failures: readonly RecordableFailure[],
  context: FailureContext,
  now: number,
): Promise<number[]> {
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
  return inTransaction(db, async (trx): Promise<number[]> => {
    const ids: number[] = [];
    const counted = new Map<string, number>();
    for (const failure of failures) {
      const classified = errorSignature(failure);
      const seen = counted.get(classified.signature);
      if (seen !== undefined) {
        ids.push(seen);
        continue;
      }
      const id = await countSignature(trx, origin.installationId, classified, componentType, now);
      counted.set(classified.signature, id);
      ids.push(id);
      await trx
        .insertInto("error_occurrences")
        .values({
          signature_id: id,
          generation_id: generationId,
          component_type: componentType,
          category,
          source: isFinding(failure) ? "validator" : "ci",
          seen_at: now,
          installation_id: origin.installationId,
          repository: origin.repository,
        })
        .execute();
    }
    return ids;
  });
}

/** The distinct component types of the scope's own occurrences of each signature, sorted. */
async function componentTypesOf(db: Kysely<Tables>, scope: LearningScope, signatureIds: readonly number[]): Promise<Map<number, ComponentType[]>> {
  const out = new Map<number, ComponentType[]>(signatureIds.map((id) => [id, []]));
  if (signatureIds.length === 0) return out;
  const rows = await db
    .selectFrom("error_occurrences as t")
    .select(["t.signature_id", "t.component_type"])
    .distinct()
    .where("t.signature_id", "in", [...signatureIds])
    .where("t.component_type", "is not", null)
    .where(inScope(scope, "t"))
    .execute();
  for (const row of rows) {
    if (row.component_type !== null && COMPONENT_TYPES.includes(row.component_type)) out.get(row.signature_id)?.push(row.component_type);
  }
  for (const types of out.values()) types.sort();
  return out;
}

/**
 * A signature of the scope's installation, with the counts, dates and component types of the scope's own
 * occurrences (one repository's, with a repository scope); null when the scope never saw it.
 */
export async function getSignature(db: Kysely<Tables>, scope: LearningScope, id: number): Promise<StoredSignature | null> {
  checkScope(scope, "getSignature");
  const row = await db
    .selectFrom("error_signatures as s")
    .innerJoin("error_occurrences as o", "o.signature_id", "s.id")
    .select(["s.id", "s.signature", "s.kind", "s.root_cause", "s.fix_strategy", "s.matched"])
    .select((eb) => [eb.fn.count<number>("o.id").as("occurrences"), eb.fn.min<number>("o.seen_at").as("first_seen"), eb.fn.max<number>("o.seen_at").as("last_seen")])
    .where("s.id", "=", id)
    .where("s.installation_id", "=", scope.installationId)
    .where(inScope(scope, "o"))
    .groupBy("s.id")
    .executeTakeFirst();
  if (row === undefined) return null;
  const types = await componentTypesOf(db, scope, [row.id]);
  return {
    id: row.id,
    signature: row.signature,
    kind: row.kind as ErrorKind,
    rootCause: row.root_cause,
    fixStrategy: row.fix_strategy,
    matched: row.matched,
    occurrences: row.occurrences,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    componentTypes: types.get(row.id) ?? [],
  };
}

/**
 * Notes that a fix was tried against a signature in an attempt. Recording the same fix for the same
 * attempt twice is harmless, also from two processes at once (ON CONFLICT DO NOTHING, then the one row is
 * read). Returns the fix attempt's id.
 */
export async function recordFixAttempt(db: Kysely<Tables>, origin: LearningOrigin, input: NewFixAttempt, now: number): Promise<number> {
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
  return inTransaction(db, async (trx): Promise<number> => {
    // Another installation's signature reads as missing: a fix is credited to the installation that tried it.
    const signature = await trx
      .selectFrom("error_signatures")
      .select("id")
      .where("id", "=", input.signatureId)
      .where("installation_id", "=", origin.installationId)
      .executeTakeFirst();
    if (signature === undefined) throw new Error(`recordFixAttempt: signatureId ${input.signatureId} does not exist`);
    const identity = {
      signature_id: input.signatureId,
      fix_kind: input.fixKind,
      fix_ref: input.fixRef,
      generation_id: input.generationId,
      attempt_number: input.attemptNumber,
    };
    await trx
      .insertInto("fix_attempts")
      .values({ ...identity, fix_label: input.fixLabel ?? null, created_at: now, installation_id: origin.installationId, repository: origin.repository })
      .onConflict((oc) => oc.columns(["signature_id", "fix_kind", "fix_ref", "generation_id", "attempt_number"]).doNothing())
      .execute();
    const row = await trx
      .selectFrom("fix_attempts")
      .select("id")
      .where("signature_id", "=", identity.signature_id)
      .where("fix_kind", "=", identity.fix_kind)
      .where("fix_ref", "=", identity.fix_ref)
      .where("generation_id", "=", identity.generation_id)
      .where("attempt_number", "=", identity.attempt_number)
      .executeTakeFirstOrThrow();
    return row.id;
  });
}

/**
 * Settles every pending fix attempt of a generation with the CI verdict that followed it. Returns what
 * was settled; attempts settled before are left alone, so a redelivered verdict changes nothing.
 */
export async function resolveFixAttempts(db: Kysely<Tables>, scope: LearningScope, input: ResolveInput, now: number): Promise<ResolvedFixAttempt[]> {
  checkScope(scope, "resolveFixAttempts");
  requirePositiveInteger(input.generationId, "resolveFixAttempts: generationId");
  if (typeof input.passed !== "boolean") throw new Error("resolveFixAttempts: passed must be a boolean");
  const stillFailing = input.stillFailingSignatureIds === undefined ? undefined : new Set(input.stillFailingSignatureIds);
  return inTransaction(db, async (trx): Promise<ResolvedFixAttempt[]> => {
    // FOR UPDATE on PostgreSQL: a verdict redelivered to another process at once waits, then finds nothing pending.
    let pendingQuery = trx
      .selectFrom("fix_attempts as f")
      .select(["f.id", "f.signature_id", "f.fix_kind", "f.fix_ref", "f.attempt_number"])
      .where("f.generation_id", "=", input.generationId)
      .where("f.outcome", "=", "pending")
      .where(inScope(scope, "f"))
      .orderBy("f.id");
    if (dialectOf(trx) === "postgres") pendingQuery = pendingQuery.forUpdate();
    const pending = await pendingQuery.execute();
    const settled: ResolvedFixAttempt[] = [];
    for (const row of pending) {
      const passed = input.passed || (stillFailing !== undefined && !stillFailing.has(row.signature_id));
      const updated = await trx
        .updateTable("fix_attempts")
        .set({ outcome: passed ? "passed" : "failed", resolved_at: now })
        .where("id", "=", row.id)
        .where("outcome", "=", "pending")
        .executeTakeFirst();
      if (updated.numUpdatedRows === 0n) continue;
      settled.push({ id: row.id, signatureId: row.signature_id, fixKind: row.fix_kind, fixRef: row.fix_ref, attemptNumber: row.attempt_number, passed });
    }
    return settled;
  });
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

/** The scope's occurrences of the signature pass the query's category, component type and date filters. */
function occurrenceFilter(scope: LearningScope, query: { category?: string; componentType?: ComponentType; since?: number }, alias = "o"): Expression<SqlBool> {
  const clauses = [inScope(scope, alias)];
  if (query.category !== undefined) clauses.push(sql<SqlBool>`${sql.ref(`${alias}.category`)} = ${query.category}`);
  if (query.componentType !== undefined) clauses.push(sql<SqlBool>`${sql.ref(`${alias}.component_type`)} = ${query.componentType}`);
  if (query.since !== undefined) clauses.push(sql<SqlBool>`${sql.ref(`${alias}.seen_at`)} >= ${query.since}`);
  return sql<SqlBool>`${sql.join(clauses, sql` AND `)}`;
}

function hasOccurrenceFilter(query: { category?: string; componentType?: ComponentType; since?: number }): boolean {
  return query.category !== undefined || query.componentType !== undefined || query.since !== undefined;
}

interface FixTally {
  signature_id: number;
  signature: string;
  kind: string;
  root_cause: string;
  fix_strategy: string;
  fix_kind: FixKind;
  fix_ref: string;
  fix_label: string | null;
  successes: number;
  failures: number;
}

/** Settled tries of each (signature, fix) of the scope, under the query's filters. */
async function fixTallies(db: Kysely<Tables>, scope: LearningScope, query: BestFixQuery): Promise<FixTally[]> {
  let select = db
    .selectFrom("fix_attempts as f")
    .innerJoin("error_signatures as s", "s.id", "f.signature_id")
    .select(["s.id as signature_id", "s.signature", "s.kind", "s.root_cause", "s.fix_strategy", "f.fix_kind", "f.fix_ref"])
    .select((eb) => [
      eb.fn.max("f.fix_label").as("fix_label"),
      // CASE rather than SUM of a comparison: PostgreSQL does not add booleans.
      sql<number>`SUM(CASE WHEN f.outcome = 'passed' THEN 1 ELSE 0 END)`.as("successes"),
      sql<number>`SUM(CASE WHEN f.outcome = 'failed' THEN 1 ELSE 0 END)`.as("failures"),
    ])
    .where("f.outcome", "!=", "pending")
    .where(inScope(scope, "f"));
  if (query.signatureIds !== undefined) select = select.where("f.signature_id", "in", [...query.signatureIds]);
  if (hasOccurrenceFilter(query)) {
    select = select.where("f.signature_id", "in", db.selectFrom("error_occurrences as o").select("o.signature_id").where(occurrenceFilter(scope, query)));
  }
  return select.groupBy(["s.id", "f.signature_id", "f.fix_kind", "f.fix_ref"]).execute();
}

/**
 * For each signature (the given ids, or those seen in the category / component type), the settled fix
 * with the highest posterior mean. Ties go to the fix tried more often. Signatures without a settled fix
 * are left out. Best first.
 */
export async function bestFixes(db: Kysely<Tables>, scope: LearningScope, query: BestFixQuery): Promise<BestFix[]> {
  checkScope(scope, "bestFixes");
  const limit = requireLimit(query.limit, "bestFixes: limit");
  if (query.signatureIds !== undefined) {
    query.signatureIds.forEach((id, i) => requirePositiveInteger(id, `bestFixes: signatureIds[${i}]`));
    if (query.signatureIds.length === 0) return [];
  }
  const best = new Map<number, Omit<BestFix, "sentence">>();
  for (const row of await fixTallies(db, scope, query)) {
    const candidate = {
      signatureId: row.signature_id,
      signature: row.signature,
      kind: row.kind as ErrorKind,
      rootCause: row.root_cause,
      fixStrategy: row.fix_strategy,
      fixKind: row.fix_kind,
      fixRef: row.fix_ref,
      fixLabel: row.fix_label,
      successes: Number(row.successes),
      failures: Number(row.failures),
      posteriorMean: posteriorMean(Number(row.successes), Number(row.failures)),
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
export async function frequentSignatures(db: Kysely<Tables>, scope: LearningScope, query: FrequentQuery): Promise<FrequentSignature[]> {
  checkScope(scope, "frequentSignatures");
  const limit = requireLimit(query.limit, "frequentSignatures: limit");
  const rows = await db
    .selectFrom("error_occurrences as o")
    .innerJoin("error_signatures as s", "s.id", "o.signature_id")
    .select(["s.id", "s.signature", "s.kind", "s.root_cause", "s.fix_strategy"])
    .select((eb) => [eb.fn.count<number>("o.id").as("hits"), eb.fn.max<number>("o.seen_at").as("last_hit")])
    .where(occurrenceFilter(scope, query))
    .groupBy("s.id")
    .orderBy("hits", "desc")
    .orderBy("last_hit", "desc")
    .orderBy("s.id")
    .limit(limit)
    .execute();
  // Component types from the scope's own occurrences (any category or date), not the row's totals.
  const types = await componentTypesOf(db, scope, rows.map((r) => r.id));
  return rows.map((row) => ({
    signatureId: row.id,
    signature: row.signature,
    kind: row.kind as ErrorKind,
    rootCause: row.root_cause,
    fixStrategy: row.fix_strategy,
    occurrences: Number(row.hits),
    lastSeen: Number(row.last_hit),
    componentTypes: types.get(row.id) ?? [],
  }));
}
