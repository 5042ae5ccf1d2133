import type { Database } from "better-sqlite3";
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

interface GenerationRow {
  id: number;
  repo: string;
  installation_id: number;
  issue_number: number;
  spec_fingerprint: string;
  spec_json: string;
  component_name: string;
  component_type: ComponentType;
  category: string;
  airflow_version: string;
  provider: string;
  model: string;
  status: GenerationStatus;
  pr_number: number | null;
  branch: string | null;
  head_sha: string | null;
  status_comment_id: number | null;
  attempts_count: number;
  first_attempt_success: number | null;
  final_outcome: string | null;
  created_at: number;
  updated_at: number;
}

interface AttemptRow {
  id: number;
  generation_id: number;
  number: number;
  trigger: AttemptTrigger;
  strategy: string;
  files_json: string;
  validation_report_json: string | null;
  applied_fixes_json: string;
  learned_context_json: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_usd: number;
  duration_ms: number | null;
  commit_sha: string | null;
  outcome: AttemptOutcome;
  failure_reason: string | null;
  ci_failures_json: string | null;
  reply_mode: "files" | "edits" | null;
  created_at: number;
  updated_at: number;
}

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
 */
export function upsertGenerationForIssue(db: Database, input: GenerationForIssue, now: number): UpsertGenerationResult {
  checkRepo(input.repo);
  checkSpec(input.spec);
  return db
    .transaction((): UpsertGenerationResult => {
      const before = getGenerationByIssue(db, input.repo, input.issueNumber);
      const params = {
        repo: input.repo,
        installation_id: input.installationId,
        issue_number: input.issueNumber,
        spec_fingerprint: input.specFingerprint,
        spec_json: toJsonColumn(input.spec, "generation spec"),
        component_name: input.spec.name,
        component_type: input.spec.component_type,
        category: input.spec.category,
        airflow_version: input.spec.airflow_version,
        provider: input.provider,
        model: input.model,
        now,
      };
      db.prepare(
        `INSERT INTO generations (repo, installation_id, issue_number, spec_fingerprint, spec_json, component_name,
           component_type, category, airflow_version, provider, model, status, created_at, updated_at)
         VALUES (@repo, @installation_id, @issue_number, @spec_fingerprint, @spec_json, @component_name,
           @component_type, @category, @airflow_version, @provider, @model, 'queued', @now, @now)
         ON CONFLICT (repo, issue_number) DO UPDATE SET
           installation_id = excluded.installation_id,
           spec_fingerprint = excluded.spec_fingerprint,
           spec_json = excluded.spec_json,
           component_name = excluded.component_name,
           component_type = excluded.component_type,
           category = excluded.category,
           airflow_version = excluded.airflow_version,
           provider = excluded.provider,
           model = excluded.model,
           updated_at = excluded.updated_at`,
      ).run(params);
      const generation = getGenerationByIssue(db, input.repo, input.issueNumber);
      if (generation === null) throw new Error(`generation for ${input.repo}#${input.issueNumber} vanished after upsert`);
      return {
        generation,
        created: before === null,
        specChanged: before !== null && before.specFingerprint !== input.specFingerprint,
      };
    })
    .immediate();
}

export function getGeneration(db: Database, id: number): Generation | null {
  const row = db.prepare("SELECT * FROM generations WHERE id = ?").get(id) as GenerationRow | undefined;
  return row === undefined ? null : toGeneration(row);
}

export function getGenerationByIssue(db: Database, repo: string, issueNumber: number): Generation | null {
  const row = db
    .prepare("SELECT * FROM generations WHERE repo = ? AND issue_number = ?")
    .get(repo, issueNumber) as GenerationRow | undefined;
  return row === undefined ? null : toGeneration(row);
}

export function getGenerationByPr(db: Database, repo: string, prNumber: number): Generation | null {
  const row = db
    .prepare("SELECT * FROM generations WHERE repo = ? AND pr_number = ? ORDER BY id DESC LIMIT 1")
    .get(repo, prNumber) as GenerationRow | undefined;
  return row === undefined ? null : toGeneration(row);
}

/**
 * The generation whose PR head is `headSha`; falls back to any attempt that committed that SHA, so a CI
 * result for an older push of the same PR is still attributed.
 */
export function getGenerationByHeadSha(db: Database, repo: string, headSha: string): Generation | null {
  const row = (db
    .prepare("SELECT * FROM generations WHERE repo = ? AND head_sha = ? ORDER BY id DESC LIMIT 1")
    .get(repo, headSha) ??
    db
      .prepare(
        `SELECT g.* FROM generations g JOIN attempts a ON a.generation_id = g.id
          WHERE g.repo = ? AND a.commit_sha = ? ORDER BY a.id DESC LIMIT 1`,
      )
      .get(repo, headSha)) as GenerationRow | undefined;
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
export function listGenerations(db: Database, options: ListGenerationsOptions = {}): Generation[] {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (options.repo !== undefined) {
    where.push("repo = ?");
    params.push(options.repo);
  }
  if (options.installationId !== undefined) {
    where.push("installation_id = ?");
    params.push(options.installationId);
  }
  if (options.status !== undefined) {
    where.push("status = ?");
    params.push(options.status);
  }
  const sql = `SELECT * FROM generations ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
               ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`;
  const rows = db.prepare(sql).all(...params, options.limit ?? 100, options.offset ?? 0) as GenerationRow[];
  return rows.map(toGeneration);
}

const generationColumns: Record<keyof GenerationPatch, string> = {
  status: "status",
  prNumber: "pr_number",
  branch: "branch",
  headSha: "head_sha",
  statusCommentId: "status_comment_id",
  firstAttemptSuccess: "first_attempt_success",
  finalOutcome: "final_outcome",
  provider: "provider",
  model: "model",
};

export function updateGeneration(db: Database, id: number, patch: GenerationPatch, now: number): Generation {
  const sets: string[] = [];
  const values: (string | number | null)[] = [];
  for (const [key, value] of Object.entries(patch) as [keyof GenerationPatch, unknown][]) {
    const column = generationColumns[key];
    if (column === undefined) throw new Error(`updateGeneration: unknown field "${String(key)}"`);
    if (value === undefined) continue;
    sets.push(`${column} = ?`);
    values.push(typeof value === "boolean" ? toFlag(value) : (value as string | number | null));
  }
  sets.push("updated_at = ?");
  values.push(now);
  const info = db.prepare(`UPDATE generations SET ${sets.join(", ")} WHERE id = ?`).run(...values, id);
  if (info.changes === 0) throw new Error(`generation ${id} does not exist`);
  return getGeneration(db, id) as Generation;
}

function attemptParams(a: AttemptPatch): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {};
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
 * Stores a new attempt, numbered after the generation's last one, and bumps the generation's attempt count,
 * in one transaction. Call it before the effect the attempt leads to (commit, PR), so a crash after the
 * effect still finds the attempt.
 */
export function recordAttempt(db: Database, input: NewAttempt, now: number): Attempt {
  checkFiles(input.files);
  if (typeof input.strategy !== "string" || input.strategy === "") throw new Error("attempt strategy is required");
  const params = attemptParams(input);
  return db
    .transaction((): Attempt => {
      const gen = db.prepare("SELECT id FROM generations WHERE id = ?").get(input.generationId);
      if (gen === undefined) throw new Error(`generation ${input.generationId} does not exist`);
      const { next } = db
        .prepare("SELECT COALESCE(MAX(number), 0) + 1 AS next FROM attempts WHERE generation_id = ?")
        .get(input.generationId) as { next: number };
      const columns = ["generation_id", "number", "trigger", "outcome", "created_at", "updated_at", ...Object.keys(params)];
      const values = [input.generationId, next, input.trigger, input.outcome ?? "pending", now, now, ...Object.values(params)];
      const info = db
        .prepare(`INSERT INTO attempts (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`)
        .run(...values);
      const flag = next === 1 ? firstAttemptFlag(input.outcome ?? "pending") : null;
      db.prepare(
        `UPDATE generations SET attempts_count = ?, updated_at = ?,
           first_attempt_success = COALESCE(?, first_attempt_success) WHERE id = ?`,
      ).run(next, now, flag === null ? null : toFlag(flag), input.generationId);
      return getAttempt(db, Number(info.lastInsertRowid)) as Attempt;
    })
    .immediate();
}

export function updateAttempt(db: Database, id: number, patch: AttemptPatch, now: number): Attempt {
  checkFiles(patch.files);
  const params = attemptParams(patch);
  return db
    .transaction((): Attempt => {
      const columns = Object.keys(params);
      const info = db
        .prepare(
          `UPDATE attempts SET ${[...columns.map((c) => `${c} = ?`), "updated_at = ?"].join(", ")} WHERE id = ?`,
        )
        .run(...Object.values(params), now, id);
      if (info.changes === 0) throw new Error(`attempt ${id} does not exist`);
      const attempt = getAttempt(db, id) as Attempt;
      const flag = attempt.number === 1 && patch.outcome !== undefined ? firstAttemptFlag(patch.outcome) : null;
      if (flag !== null) {
        db.prepare("UPDATE generations SET first_attempt_success = ?, updated_at = ? WHERE id = ?").run(
          toFlag(flag),
          now,
          attempt.generationId,
        );
      }
      return attempt;
    })
    .immediate();
}

export function getAttempt(db: Database, id: number): Attempt | null {
  const row = db.prepare("SELECT * FROM attempts WHERE id = ?").get(id) as AttemptRow | undefined;
  return row === undefined ? null : toAttempt(row);
}

/** Oldest first. */
export function listAttempts(db: Database, generationId: number): Attempt[] {
  const rows = db
    .prepare("SELECT * FROM attempts WHERE generation_id = ? ORDER BY number")
    .all(generationId) as AttemptRow[];
  return rows.map(toAttempt);
}

export function getLatestAttempt(db: Database, generationId: number): Attempt | null {
  const row = db
    .prepare("SELECT * FROM attempts WHERE generation_id = ? ORDER BY number DESC LIMIT 1")
    .get(generationId) as AttemptRow | undefined;
  return row === undefined ? null : toAttempt(row);
}

export function getAttemptByCommitSha(db: Database, generationId: number, commitSha: string): Attempt | null {
  const row = db
    .prepare("SELECT * FROM attempts WHERE generation_id = ? AND commit_sha = ? ORDER BY number DESC LIMIT 1")
    .get(generationId, commitSha) as AttemptRow | undefined;
  return row === undefined ? null : toAttempt(row);
}
