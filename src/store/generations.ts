import type { Kysely, Selectable, Updateable } from "kysely";
import { dialectOf } from "../db/dialect.js";
import type { AttemptsTable, GenerationsTable, Tables } from "../db/schema.js";
import { redact } from "../config/redact.js";
import type { ComponentSpec, ComponentType } from "../spec/types.js";
import {
  fromFlag,
  parseJsonArrayColumn,
  parseJsonObjectColumn,
  parseNullableJsonColumn,
  toFlag,
  toJsonColumn,
  toNullableJsonColumn,
} from "./json.js";
import { inTransaction } from "../db/transaction.js";

export type GenerationStatus =
  | "queued"
  | "generating"
  | "pr_open"
  | "ci_running"
  | "succeeded"
  | "failed"
  | "merged"
  | "closed";

export type AttemptTrigger = "initial" | "ci_retry" | "manual_retry";
export type AttemptOutcome = "pending" | "validated" | "failed_generation" | "ci_passed" | "ci_failed";

/** All timestamps are epoch milliseconds, taken from the caller's clock. */
export interface Generation {
  id: number;
  /** `owner/name`. */
  repo: string;
  installationId: number;
  issueNumber: number;
  specFingerprint: string;
  spec: ComponentSpec;
  componentName: string;
  componentType: ComponentType;
  category: string;
  airflowVersion: string;
  provider: string;
  model: string;
  status: GenerationStatus;
  prNumber: number | null;
  branch: string | null;
  headSha: string | null;
  statusCommentId: number | null;
  attemptsCount: number;
  /** null until the first attempt's CI outcome is known. */
  firstAttemptSuccess: boolean | null;
  finalOutcome: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface GenerationForIssue {
  repo: string;
  installationId: number;
  issueNumber: number;
  specFingerprint: string;
  spec: ComponentSpec;
  provider: string;
  model: string;
}

/** Fields a caller may change after creation. */
export interface GenerationPatch {
  status?: GenerationStatus;
  prNumber?: number | null;
  branch?: string | null;
  headSha?: string | null;
  statusCommentId?: number | null;
  firstAttemptSuccess?: boolean | null;
  finalOutcome?: string | null;
  provider?: string;
  model?: string;
}

export interface GeneratedFile {
  path: string;
  content: string;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export interface Attempt {
  id: number;
  generationId: number;
  number: number;
  trigger: AttemptTrigger;
  strategy: string;
  files: GeneratedFile[];
  /** The validator's report as it was written (shape owned by the validator). */
  validationReport: unknown;
  appliedFixes: unknown[];
  learnedContext: unknown;
  usage: TokenUsage;
  costUsd: number;
  durationMs: number | null;
  commitSha: string | null;
  outcome: AttemptOutcome;
  failureReason: string | null;
  ciFailures: unknown[] | null;
  /** How the model gave the files: whole, or as targeted edits to the previous ones; null when unknown. */
  replyMode: "files" | "edits" | null;
  createdAt: number;
  updatedAt: number;
}

export interface NewAttempt {
  generationId: number;
  trigger: AttemptTrigger;
  strategy: string;
  files?: GeneratedFile[];
  validationReport?: unknown;
  appliedFixes?: unknown[];
  learnedContext?: unknown;
  usage?: Partial<TokenUsage>;
  costUsd?: number;
  durationMs?: number | null;
  commitSha?: string | null;
  outcome?: AttemptOutcome;
  failureReason?: string | null;
  ciFailures?: unknown[] | null;
  replyMode?: "files" | "edits" | null;
}

export type AttemptPatch = Partial<Omit<NewAttempt, "generationId" | "trigger">>;

type GenerationRow = Selectable<GenerationsTable>;
type AttemptRow = Selectable<AttemptsTable>;

function toGeneration(row: GenerationRow): Generation {
  const spec = parseJsonObjectColumn(row.spec_json, "generations", "spec_json", row.id);
  return {
    id: row.id,
    repo: row.repo,
    installationId: row.installation_id,
    issueNumber: row.issue_number,
    specFingerprint: row.spec_fingerprint,
    spec: spec as unknown as ComponentSpec,
    componentName: row.component_name,
    componentType: row.component_type,
    category: row.category,
    airflowVersion: row.airflow_version,
    provider: row.provider,
    model: row.model,
    status: row.status,
    prNumber: row.pr_number,
    branch: row.branch,
    headSha: row.head_sha,
    statusCommentId: row.status_comment_id,
    attemptsCount: row.attempts_count,
    firstAttemptSuccess: fromFlag(row.first_attempt_success),
    finalOutcome: row.final_outcome,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function parseFiles(text: string, rowId: number): GeneratedFile[] {
  const list = parseJsonArrayColumn(text, "attempts", "files_json", rowId);
  return list.map((item, i) => {
    const f = item as Partial<GeneratedFile> | null;
    if (f === null || typeof f !== "object" || typeof f.path !== "string" || typeof f.content !== "string") {
      throw new Error(`attempts.files_json of row ${rowId}: entry ${i} should be {path: string, content: string}`);
    }
    return { path: f.path, content: f.content };
  });
}

function toAttempt(row: AttemptRow): Attempt {
  return {
    id: row.id,
    generationId: row.generation_id,
    number: row.number,
    trigger: row.trigger,
    strategy: row.strategy,
    files: parseFiles(row.files_json, row.id),
    validationReport: parseNullableJsonColumn(row.validation_report_json, "attempts", "validation_report_json", row.id),
    appliedFixes: parseJsonArrayColumn(row.applied_fixes_json, "attempts", "applied_fixes_json", row.id),
    learnedContext: parseNullableJsonColumn(row.learned_context_json, "attempts", "learned_context_json", row.id),
    usage: {
      inputTokens: row.input_tokens,
      outputTokens: row.output_tokens,
      cacheReadTokens: row.cache_read_tokens,
      cacheWriteTokens: row.cache_write_tokens,
    },
    costUsd: row.cost_usd,
    durationMs: row.duration_ms,
    commitSha: row.commit_sha,
    outcome: row.outcome,
    failureReason: row.failure_reason,
    ciFailures:
      row.ci_failures_json === null
        ? null
        : parseJsonArrayColumn(row.ci_failures_json, "attempts", "ci_failures_json", row.id),
    replyMode: row.reply_mode,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function checkRepo(repo: string): void {
  if (!/^[^/\s]+\/[^/\s]+$/.test(repo)) {
    throw new Error(`repo should be "owner/name", got ${JSON.stringify(repo)}`);
  }
}

function checkSpec(spec: ComponentSpec): void {
  if (typeof spec?.name !== "string" || spec.name === "") throw new Error("spec.name is missing");
  if (!["operator", "sensor", "hook"].includes(spec.component_type)) {
    throw new Error(`spec.component_type should be operator, sensor or hook, got ${JSON.stringify(spec.component_type)}`);
  }
}

export interface UpsertGenerationResult {
  generation: Generation;
  /** true when this call inserted the row. */
  created: boolean;
  /** true when an existing row's spec fingerprint differed and was replaced. */
  specChanged: boolean;
}

/**
 * One generation per (repo, issue). A repeated call (label re-added, issue edited) refreshes the spec and
 * provider fields and leaves status, PR and attempts alone: the caller decides what a changed spec means.
 *
 * The insert comes first: it either creates the row or, finding it, takes the write lock (SQLite) before the
 * existing row is read and locked (PostgreSQL), so two calls at once for one issue see one creation.
 */
export async function upsertGenerationForIssue(db: Kysely<Tables>, input: GenerationForIssue, now: number): Promise<UpsertGenerationResult> {
  checkRepo(input.repo);
  checkSpec(input.spec);
  const fields = {
    installation_id: input.installationId,
    spec_fingerprint: input.specFingerprint,
    spec_json: toJsonColumn(input.spec, "generation spec"),
    component_name: input.spec.name,
    component_type: input.spec.component_type,
    category: input.spec.category,
    airflow_version: input.spec.airflow_version,
    provider: input.provider,
    model: input.model,
    updated_at: now,
  };
  return inTransaction(db, async (trx): Promise<UpsertGenerationResult> => {
    const inserted = await trx
      .insertInto("generations")
      .values({ ...fields, repo: input.repo, issue_number: input.issueNumber, status: "queued", created_at: now })
      .onConflict((oc) => oc.columns(["repo", "issue_number"]).doNothing())
      .executeTakeFirst();
    const created = Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
    let specChanged = false;
    if (!created) {
      const before = await selectGenerations(trx, forUpdate(trx))
        .where("repo", "=", input.repo)
        .where("issue_number", "=", input.issueNumber)
        .executeTakeFirst();
      specChanged = before !== undefined && before.spec_fingerprint !== input.specFingerprint;
      await trx.updateTable("generations").set(fields).where("repo", "=", input.repo).where("issue_number", "=", input.issueNumber).execute();
    }
    const generation = await getGenerationByIssue(trx, input.repo, input.issueNumber);
    if (generation === null) throw new Error(`generation for ${input.repo}#${input.issueNumber} vanished after upsert`);
    return { generation, created, specChanged };
  });
}

/** PostgreSQL locks rows read with FOR UPDATE; SQLite has no such clause (its one writer holds the file). */
function forUpdate(db: Kysely<Tables>): boolean {
  return dialectOf(db) === "postgres";
}

function selectGenerations(db: Kysely<Tables>, lock = false) {
  const query = db.selectFrom("generations").selectAll();
  return lock ? query.forUpdate() : query;
}

export async function getGeneration(db: Kysely<Tables>, id: number): Promise<Generation | null> {
  const row = await selectGenerations(db).where("id", "=", id).executeTakeFirst();
  return row === undefined ? null : toGeneration(row);
}

export async function getGenerationByIssue(db: Kysely<Tables>, repo: string, issueNumber: number): Promise<Generation | null> {
  const row = await selectGenerations(db).where("repo", "=", repo).where("issue_number", "=", issueNumber).executeTakeFirst();
  return row === undefined ? null : toGeneration(row);
}

export async function getGenerationByPr(db: Kysely<Tables>, repo: string, prNumber: number): Promise<Generation | null> {
  const row = await selectGenerations(db)
    .where("repo", "=", repo)
    .where("pr_number", "=", prNumber)
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirst();
  return row === undefined ? null : toGeneration(row);
}

/**
 * The generation whose PR head is `headSha`; falls back to any attempt that committed that SHA, so a CI
 * result for an older push of the same PR is still attributed.
 */
export async function getGenerationByHeadSha(db: Kysely<Tables>, repo: string, headSha: string): Promise<Generation | null> {
  const row =
    (await selectGenerations(db).where("repo", "=", repo).where("head_sha", "=", headSha).orderBy("id", "desc").limit(1).executeTakeFirst()) ??
    (await db
      .selectFrom("generations as g")
      .innerJoin("attempts as a", "a.generation_id", "g.id")
      .selectAll("g")
      .where("g.repo", "=", repo)
      .where("a.commit_sha", "=", headSha)
      .orderBy("a.id", "desc")
      .limit(1)
      .executeTakeFirst());
  return row === undefined ? null : toGeneration(row);
}

export interface ListGenerationsOptions {
  repo?: string;
  installationId?: number;
  status?: GenerationStatus;
  limit?: number;
  offset?: number;
}

/** Newest first. */
export async function listGenerations(db: Kysely<Tables>, options: ListGenerationsOptions = {}): Promise<Generation[]> {
  let query = selectGenerations(db);
  if (options.repo !== undefined) query = query.where("repo", "=", options.repo);
  if (options.installationId !== undefined) query = query.where("installation_id", "=", options.installationId);
  if (options.status !== undefined) query = query.where("status", "=", options.status);
  const rows = await query
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(options.limit ?? 100)
    .offset(options.offset ?? 0)
    .execute();
  return rows.map(toGeneration);
}

type GenerationUpdate = Updateable<GenerationsTable>;

/** How each patch field is written: its column and its stored value. */
const generationColumns: { [K in keyof GenerationPatch]-?: (value: Exclude<GenerationPatch[K], undefined>) => GenerationUpdate } = {
  status: (v) => ({ status: v }),
  prNumber: (v) => ({ pr_number: v }),
  branch: (v) => ({ branch: v }),
  headSha: (v) => ({ head_sha: v }),
  statusCommentId: (v) => ({ status_comment_id: v }),
  firstAttemptSuccess: (v) => ({ first_attempt_success: v === null ? null : toFlag(v) }),
  finalOutcome: (v) => ({ final_outcome: v }),
  provider: (v) => ({ provider: v }),
  model: (v) => ({ model: v }),
};

function generationUpdate(patch: GenerationPatch): GenerationUpdate {
  let update: GenerationUpdate = {};
  for (const [key, value] of Object.entries(patch) as [keyof GenerationPatch, never][]) {
    const column = generationColumns[key] as ((value: never) => GenerationUpdate) | undefined;
    if (column === undefined) throw new Error(`updateGeneration: unknown field "${String(key)}"`);
    if (value === undefined) continue;
    update = { ...update, ...column(value) };
  }
  return update;
}

export async function updateGeneration(db: Kysely<Tables>, id: number, patch: GenerationPatch, now: number): Promise<Generation> {
  const update = generationUpdate(patch);
  const result = await db
    .updateTable("generations")
    .set({ ...update, updated_at: now })
    .where("id", "=", id)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) throw new Error(`generation ${id} does not exist`);
  return (await getGeneration(db, id)) as Generation;
}

type AttemptColumns = Omit<Updateable<AttemptsTable>, "id" | "generation_id" | "number" | "trigger" | "created_at" | "updated_at">;

function attemptParams(a: AttemptPatch): AttemptColumns {
  const out: AttemptColumns = {};
  if (a.strategy !== undefined) out.strategy = a.strategy;
  if (a.files !== undefined) out.files_json = toJsonColumn(a.files, "attempt files");
  if (a.validationReport !== undefined)
    out.validation_report_json = toNullableJsonColumn(a.validationReport, "attempt validationReport");
  if (a.appliedFixes !== undefined) out.applied_fixes_json = toJsonColumn(a.appliedFixes, "attempt appliedFixes");
  if (a.learnedContext !== undefined)
    out.learned_context_json = toNullableJsonColumn(a.learnedContext, "attempt learnedContext");
  if (a.usage?.inputTokens !== undefined) out.input_tokens = a.usage.inputTokens;
  if (a.usage?.outputTokens !== undefined) out.output_tokens = a.usage.outputTokens;
  if (a.usage?.cacheReadTokens !== undefined) out.cache_read_tokens = a.usage.cacheReadTokens;
  if (a.usage?.cacheWriteTokens !== undefined) out.cache_write_tokens = a.usage.cacheWriteTokens;
  if (a.costUsd !== undefined) out.cost_usd = a.costUsd;
  if (a.durationMs !== undefined) out.duration_ms = a.durationMs;
  if (a.commitSha !== undefined) out.commit_sha = a.commitSha;
  if (a.outcome !== undefined) out.outcome = a.outcome;
  if (a.failureReason !== undefined) out.failure_reason = a.failureReason === null ? null : redact(a.failureReason);
  if (a.ciFailures !== undefined) out.ci_failures_json = toNullableJsonColumn(a.ciFailures, "attempt ciFailures");
  if (a.replyMode !== undefined) out.reply_mode = a.replyMode;
  return out;
}

function checkFiles(files: GeneratedFile[] | undefined): void {
  files?.forEach((f, i) => {
    if (typeof f?.path !== "string" || typeof f.content !== "string") {
      throw new Error(`attempt files[${i}] should be {path: string, content: string}`);
    }
  });
}

/** The first attempt decides the first-attempt success flag once its CI outcome (or generation failure) is known. */
function firstAttemptFlag(outcome: AttemptOutcome): boolean | null {
  if (outcome === "ci_passed") return true;
  if (outcome === "ci_failed" || outcome === "failed_generation") return false;
  return null;
}

/**
 * Takes the generation's row for the rest of the transaction, or says it does not exist. A write that
 * changes nothing: on PostgreSQL it locks the row, on SQLite it takes the write lock before anything is read
 * (as BEGIN IMMEDIATE did), so two attempts recorded at once are numbered one after the other.
 */
async function lockGeneration(trx: Kysely<Tables>, id: number): Promise<boolean> {
  const touched = await trx
    .updateTable("generations")
    .set((eb) => ({ updated_at: eb.ref("updated_at") }))
    .where("id", "=", id)
    .executeTakeFirst();
  return Number(touched.numUpdatedRows) === 1;
}

/**
 * Stores a new attempt, numbered after the generation's last one, and bumps the generation's attempt count,
 * in one transaction. Call it before the effect the attempt leads to (commit, PR), so a crash after the
 * effect still finds the attempt.
 */
export async function recordAttempt(db: Kysely<Tables>, input: NewAttempt, now: number): Promise<Attempt> {
  checkFiles(input.files);
  if (typeof input.strategy !== "string" || input.strategy === "") throw new Error("attempt strategy is required");
  const params = attemptParams(input);
  return inTransaction(db, async (trx): Promise<Attempt> => {
    if (!(await lockGeneration(trx, input.generationId))) throw new Error(`generation ${input.generationId} does not exist`);
    const { last } = await trx
      .selectFrom("attempts")
      .select((eb) => eb.fn.max("number").as("last"))
      .where("generation_id", "=", input.generationId)
      .executeTakeFirstOrThrow();
    const next = Number(last ?? 0) + 1;
    const { id } = await trx
      .insertInto("attempts")
      .values({
        strategy: input.strategy,
        ...params,
        generation_id: input.generationId,
        number: next,
        trigger: input.trigger,
        outcome: input.outcome ?? "pending",
        created_at: now,
        updated_at: now,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const flag = next === 1 ? firstAttemptFlag(input.outcome ?? "pending") : null;
    await trx
      .updateTable("generations")
      .set((eb) => ({
        attempts_count: next,
        updated_at: now,
        first_attempt_success: flag === null ? eb.ref("first_attempt_success") : toFlag(flag),
      }))
      .where("id", "=", input.generationId)
      .execute();
    return (await getAttempt(trx, id)) as Attempt;
  });
}

export async function updateAttempt(db: Kysely<Tables>, id: number, patch: AttemptPatch, now: number): Promise<Attempt> {
  checkFiles(patch.files);
  const params = attemptParams(patch);
  return inTransaction(db, async (trx): Promise<Attempt> => {
    const result = await trx
      .updateTable("attempts")
      .set({ ...params, updated_at: now })
      .where("id", "=", id)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw new Error(`attempt ${id} does not exist`);
    const attempt = (await getAttempt(trx, id)) as Attempt;
    const flag = attempt.number === 1 && patch.outcome !== undefined ? firstAttemptFlag(patch.outcome) : null;
    if (flag !== null) {
      await trx
        .updateTable("generations")
        .set({ first_attempt_success: toFlag(flag), updated_at: now })
        .where("id", "=", attempt.generationId)
        .execute();
    }
    return attempt;
  });
}

function selectAttempts(db: Kysely<Tables>) {
  return db.selectFrom("attempts").selectAll();
}

export async function getAttempt(db: Kysely<Tables>, id: number): Promise<Attempt | null> {
  const row = await selectAttempts(db).where("id", "=", id).executeTakeFirst();
  return row === undefined ? null : toAttempt(row);
}

/** Oldest first. */
export async function listAttempts(db: Kysely<Tables>, generationId: number): Promise<Attempt[]> {
  const rows = await selectAttempts(db).where("generation_id", "=", generationId).orderBy("number").execute();
  return rows.map(toAttempt);
}

export async function getLatestAttempt(db: Kysely<Tables>, generationId: number): Promise<Attempt | null> {
  const row = await selectAttempts(db).where("generation_id", "=", generationId).orderBy("number", "desc").limit(1).executeTakeFirst();
  return row === undefined ? null : toAttempt(row);
}

export async function getAttemptByCommitSha(db: Kysely<Tables>, generationId: number, commitSha: string): Promise<Attempt | null> {
  const row = await selectAttempts(db)
    .where("generation_id", "=", generationId)
    .where("commit_sha", "=", commitSha)
    .orderBy("number", "desc")
    .limit(1)
    .executeTakeFirst();
  return row === undefined ? null : toAttempt(row);
}
