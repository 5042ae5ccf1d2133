/**
 * The learning layer's figures, as SQL over the store: every function takes the database and the
 * installation whose figures to read (never a mix of installations) and returns typed rows. Tables of
 * other learning stores (patterns, error signatures) are read when they exist.
 */
import type { Database } from "better-sqlite3";
import { isoWeekSql } from "./week.js";

export interface MetricsRange {
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
}

export interface GenerationMetrics {
  generationId: number;
  repo: string;
  specFingerprint: string;
  category: string;
  componentType: "operator" | "sensor" | "hook";
  airflowVersion: string;
  provider: string;
  model: string;
  status: string;
  finalOutcome: string | null;
  attempts: number;
  /** null until the first attempt's outcome is known. */
  firstAttemptSuccess: boolean | null;
  /** Merged, or a CI run on one of its attempts passed. */
  succeeded: boolean;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
  /** Sum of the attempts' model time. */
  durationMs: number;
  /** Learned-context items given to the model (the largest number over its attempts). */
  contextItems: number;
  contextUsed: boolean;
  createdAt: number;
}

/** `WHERE <installation> = ? [AND <column> in range]`, pushing the parameters in order. */
function rangeWhere(column: string, range: MetricsRange, params: number[], installation: { column: string; id: number }): string {
  const parts: string[] = [`${installation.column} = ?`];
  params.push(installation.id);
  if (range.since !== undefined) {
    parts.push(`${column} >= ?`);
    params.push(range.since);
  }
  if (range.until !== undefined) {
    parts.push(`${column} < ?`);
    params.push(range.until);
  }
  return parts.length === 0 ? "" : `WHERE ${parts.join(" AND ")}`;
}

export function hasTable(db: Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?").get(name) !== undefined;
}

function hasColumn(db: Database, table: string, column: string): boolean {
  return (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[]).some((c) => c.name === column);
}

interface GenerationMetricsRow {
  generation_id: number;
  repo: string;
  spec_fingerprint: string;
  category: string;
  component_type: GenerationMetrics["componentType"];
  airflow_version: string;
  provider: string;
  model: string;
  status: string;
  final_outcome: string | null;
  attempts: number;
  first_attempt_success: number | null;
  succeeded: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_usd: number;
  duration_ms: number;
  context_items: number;
  context_used: number;
  created_at: number;
}

/** One row per generation created in the range, oldest first. */
export function generationMetrics(db: Database, installationId: number, range: MetricsRange = {}): GenerationMetrics[] {
  const params: number[] = [];
  const rows = db
    .prepare(
      `SELECT * FROM generation_metrics ${rangeWhere("created_at", range, params, { column: "installation_id", id: installationId })}
        ORDER BY created_at, generation_id`,
    )
    .all(...params) as GenerationMetricsRow[];
  return rows.map((r) => ({
    generationId: r.generation_id,
    repo: r.repo,
    specFingerprint: r.spec_fingerprint,
    category: r.category,
    componentType: r.component_type,
    airflowVersion: r.airflow_version,
    provider: r.provider,
    model: r.model,
    status: r.status,
    finalOutcome: r.final_outcome,
    attempts: r.attempts,
    firstAttemptSuccess: r.first_attempt_success === null ? null : r.first_attempt_success === 1,
    succeeded: r.succeeded === 1,
    inputTokens: r.input_tokens,
    outputTokens: r.output_tokens,
    cacheReadTokens: r.cache_read_tokens,
    cacheWriteTokens: r.cache_write_tokens,
    costUsd: r.cost_usd,
    durationMs: r.duration_ms,
    contextItems: r.context_items,
    contextUsed: r.context_used === 1,
    createdAt: r.created_at,
  }));
}

export interface FirstAttemptWeekRow {
  /** ISO week of the generation's creation, `2026-W48`. */
  week: string;
  category: string;
  generations: number;
  /** Generations whose first attempt has an outcome. */
  decided: number;
  firstAttemptSuccesses: number;
  /** firstAttemptSuccesses / decided; null when nothing is decided yet. */
  rate: number | null;
}

/** First-attempt success rate per ISO week and spec category, oldest week first. */
export function firstAttemptSuccessByWeek(db: Database, installationId: number, range: MetricsRange = {}): FirstAttemptWeekRow[] {
  const params: number[] = [];
  const rows = db
    .prepare(
      `SELECT ${isoWeekSql("created_at")} AS week, category,
              COUNT(*) AS generations,
              COUNT(first_attempt_success) AS decided,
              COALESCE(SUM(first_attempt_success), 0) AS successes
         FROM generations ${rangeWhere("created_at", range, params, { column: "installation_id", id: installationId })}
        GROUP BY week, category ORDER BY week, category`,
    )
    .all(...params) as { week: string; category: string; generations: number; decided: number; successes: number }[];
  return rows.map((r) => ({
    week: r.week,
    category: r.category,
    generations: r.generations,
    decided: r.decided,
    firstAttemptSuccesses: r.successes,
    rate: r.decided === 0 ? null : r.successes / r.decided,
  }));
}

export interface AttemptsBucket {
  attempts: number;
  generations: number;
  /** Share of the generations with at least one attempt. */
  share: number;
  /** Of those, how many succeeded (merged or CI passed). */
  succeeded: number;
}

/** How many generations needed 1, 2, 3… attempts; generations with no attempt yet are left out. */
export function attemptsDistribution(db: Database, installationId: number, range: MetricsRange = {}): AttemptsBucket[] {
  const params: number[] = [];
  const where = rangeWhere("created_at", range, params, { column: "installation_id", id: installationId });
  const rows = db
    .prepare(
      `SELECT attempts, COUNT(*) AS generations, SUM(succeeded) AS succeeded
         FROM generation_metrics ${where} AND attempts > 0
        GROUP BY attempts ORDER BY attempts`,
    )
    .all(...params) as { attempts: number; generations: number; succeeded: number }[];
  const total = rows.reduce((sum, r) => sum + r.generations, 0);
  return rows.map((r) => ({ attempts: r.attempts, generations: r.generations, share: r.generations / total, succeeded: r.succeeded }));
}

export interface CostPerSuccessRow {
  /** null for the total over every provider and model. */
  provider: string | null;
  model: string | null;
  generations: number;
  successfulComponents: number;
  totalCostUsd: number;
  /** All spend (failed generations included) divided by the successful components; null with none. */
  costPerSuccessUsd: number | null;
  totalTokens: number;
}

/** Cost per successful component (merged or CI-passed): the total first, then per provider and model. */
export function costPerSuccessfulComponent(db: Database, installationId: number, range: MetricsRange = {}): CostPerSuccessRow[] {
  const params: number[] = [];
  const where = rangeWhere("created_at", range, params, { column: "installation_id", id: installationId });
  const select = `COUNT(*) AS generations, COALESCE(SUM(succeeded), 0) AS successes, COALESCE(SUM(cost_usd), 0) AS cost,
                  COALESCE(SUM(input_tokens + output_tokens + cache_read_tokens + cache_write_tokens), 0) AS tokens`;
  type Row = { provider: string | null; model: string | null; generations: number; successes: number; cost: number; tokens: number };
  const total = db.prepare(`SELECT NULL AS provider, NULL AS model, ${select} FROM generation_metrics ${where}`).get(...params) as Row;
  const byModel = db
    .prepare(`SELECT provider, model, ${select} FROM generation_metrics ${where} GROUP BY provider, model ORDER BY provider, model`)
    .all(...params) as Row[];
  return [total, ...byModel].map((r) => ({
    provider: r.provider,
    model: r.model,
    generations: r.generations,
    successfulComponents: r.successes,
    totalCostUsd: r.cost,
    costPerSuccessUsd: r.successes === 0 ? null : r.cost / r.successes,
    totalTokens: r.tokens,
  }));
}

export interface ErrorKindWeekRow {
  week: string;
  kind: string;
  count: number;
}

export interface ErrorKindsOverTime {
  /** Where the kinds came from: the error store of the learning layer, or the attempts' CI failures. */
  source: "error_signatures" | "ci_failures";
  rows: ErrorKindWeekRow[];
}

/** The error store exists and has recorded CI failures (until it does, the attempts are the better record). */
function errorStoreHasCiOccurrences(db: Database, installationId: number): boolean {
  if (!hasTable(db, "error_signatures") || !hasTable(db, "error_occurrences")) return false;
  if (!hasColumn(db, "error_occurrences", "seen_at") || !hasColumn(db, "error_signatures", "kind")) return false;
  const ci = hasColumn(db, "error_occurrences", "source") ? " AND source = 'ci'" : "";
  return db.prepare(`SELECT 1 FROM error_occurrences WHERE installation_id = ?${ci} LIMIT 1`).get(installationId) !== undefined;
}

/**
 * CI error kinds per ISO week. Once the error store (error_signatures and its occurrences) holds CI failures,
 * the classified kind of each CI occurrence is counted; before that, the `kind` of each failure in the
 * attempts' ci_failures_json.
 */
export function errorKindsOverTime(db: Database, installationId: number, range: MetricsRange = {}): ErrorKindsOverTime {
  const params: number[] = [];
  if (errorStoreHasCiOccurrences(db, installationId)) {
    const where = rangeWhere("o.seen_at", range, params, { column: "o.installation_id", id: installationId });
    const sourceFilter = hasColumn(db, "error_occurrences", "source") ? `${where} AND o.source = 'ci'` : where;
    const rows = db
      .prepare(
        `SELECT ${isoWeekSql("o.seen_at")} AS week, s.kind AS kind, COUNT(*) AS count
           FROM error_occurrences o JOIN error_signatures s ON s.id = o.signature_id
           ${sourceFilter}
          GROUP BY week, kind ORDER BY week, count DESC, kind`,
      )
      .all(...params) as ErrorKindWeekRow[];
    return { source: "error_signatures", rows };
  }
  const where = rangeWhere("a.updated_at", range, params, { column: "g.installation_id", id: installationId });
  const rows = db
    .prepare(
      `SELECT ${isoWeekSql("a.updated_at")} AS week,
              COALESCE(json_extract(f.value, '$.kind'), 'unknown') AS kind, COUNT(*) AS count
         FROM attempts a JOIN generations g ON g.id = a.generation_id, json_each(CASE WHEN json_valid(a.ci_failures_json) AND json_type(a.ci_failures_json) = 'array'
                                         THEN a.ci_failures_json ELSE '[]' END) f
         ${where}
        GROUP BY week, kind ORDER BY week, count DESC, kind`,
    )
    .all(...params) as ErrorKindWeekRow[];
  return { source: "ci_failures", rows };
}

/** Live (not archived) patterns the installation learned; 0 without that store. */
export function patternLibrarySize(db: Database, installationId: number): number {
  if (!hasTable(db, "patterns")) return 0;
  const live = hasColumn(db, "patterns", "archived") ? " AND archived = 0" : "";
  return (db.prepare(`SELECT COUNT(*) AS n FROM patterns WHERE installation_id = ?${live}`).get(installationId) as { n: number }).n;
}

/** Installations with generations or learned records, in id order: the metrics report each apart. */
export function metricsInstallations(db: Database): number[] {
  const rows = db
    .prepare(
      `SELECT installation_id FROM generations
       UNION SELECT installation_id FROM patterns WHERE installation_id IS NOT NULL
       UNION SELECT installation_id FROM rewrite_rules WHERE installation_id IS NOT NULL
       ORDER BY installation_id`,
    )
    .all() as { installation_id: number }[];
  return rows.map((r) => r.installation_id);
}

export interface LibraryAlternativesCount {
  alternatives: number;
  libraries: number;
  providerHooks: number;
  packages: number;
  stdlibFallbacks: number;
}

/** Known library alternatives (provider hooks, other packages, stdlib fallbacks): curated, the same for every installation. */
export function knownLibraryAlternatives(db: Database): LibraryAlternativesCount {
  if (!hasTable(db, "library_alternatives")) return { alternatives: 0, libraries: 0, providerHooks: 0, packages: 0, stdlibFallbacks: 0 };
  const row = db
    .prepare(
      `SELECT COUNT(*) AS alternatives, COUNT(DISTINCT library) AS libraries,
              COALESCE(SUM(kind = 'provider_hook'), 0) AS hooks, COALESCE(SUM(kind = 'package'), 0) AS packages,
              COALESCE(SUM(kind = 'stdlib'), 0) AS stdlib
         FROM library_alternatives`,
    )
    .get() as { alternatives: number; libraries: number; hooks: number; packages: number; stdlib: number };
  return {
    alternatives: row.alternatives,
    libraries: row.libraries,
    providerHooks: row.hooks,
    packages: row.packages,
    stdlibFallbacks: row.stdlib,
  };
}
