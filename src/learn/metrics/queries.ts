/**
 * The learning layer's figures, as SQL over the database (SQLite or PostgreSQL): every function takes the
 * database and the installation whose figures to read (never a mix of installations) and returns typed rows.
 * Weeks are grouped by `weekIndexSql` and named in TypeScript, so both dialects give the same labels.
 */
import { sql, type Expression, type Kysely, type RawBuilder, type SqlBool } from "kysely";
import type { Tables } from "../../db/schema.js";
import { isoWeek, isoWeekOfIndex, weekIndexSql } from "./week.js";

export interface MetricsRange {
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
}

/** `<installation column> = id [AND <column> in range]`. */
function scoped(installationColumn: string, id: number, column: string, range: MetricsRange): RawBuilder<SqlBool> {
  const parts = [sql`${sql.ref(installationColumn)} = ${id}`];
  if (range.since !== undefined) parts.push(sql`${sql.ref(column)} >= ${range.since}`);
  if (range.until !== undefined) parts.push(sql`${sql.ref(column)} < ${range.until}`);
  return sql<SqlBool>`(${sql.join(parts, sql` AND `)})`;
}

/** `SUM(CASE WHEN condition THEN 1 ELSE 0 END)`, 0 over no rows: PostgreSQL cannot sum a comparison as SQLite does. */
export function countWhere(condition: Expression<SqlBool>): RawBuilder<number> {
  return sql<number>`COALESCE(SUM(CASE WHEN ${condition} THEN 1 ELSE 0 END), 0)`;
}

/** `COALESCE(SUM(expression), 0)`. */
export function sumOf(expression: Expression<number | null>): RawBuilder<number> {
  return sql<number>`COALESCE(SUM(${expression}), 0)`;
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

/** One row per generation created in the range, oldest first. */
export async function generationMetrics(db: Kysely<Tables>, installationId: number, range: MetricsRange = {}): Promise<GenerationMetrics[]> {
  const rows = await db
    .selectFrom("generation_metrics")
    .selectAll()
    .where(scoped("installation_id", installationId, "created_at", range))
    .orderBy("created_at")
    .orderBy("generation_id")
    .execute();
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
export async function firstAttemptSuccessByWeek(db: Kysely<Tables>, installationId: number, range: MetricsRange = {}): Promise<FirstAttemptWeekRow[]> {
  const week = weekIndexSql(sql.ref("created_at"));
  const rows = await db
    .selectFrom("generations")
    .select((eb) => [
      week.as("week"),
      "category",
      eb.fn.countAll<number>().as("generations"),
      eb.fn.count<number>("first_attempt_success").as("decided"),
      sumOf(sql.ref("first_attempt_success")).as("successes"),
    ])
    .where(scoped("installation_id", installationId, "created_at", range))
    .groupBy([week, "category"])
    .orderBy("week")
    .orderBy("category")
    .execute();
  return rows.map((r) => ({
    week: isoWeekOfIndex(r.week),
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
export async function attemptsDistribution(db: Kysely<Tables>, installationId: number, range: MetricsRange = {}): Promise<AttemptsBucket[]> {
  const rows = await db
    .selectFrom("generation_metrics")
    .select((eb) => ["attempts", eb.fn.countAll<number>().as("generations"), sumOf(sql.ref("succeeded")).as("succeeded")])
    .where(scoped("installation_id", installationId, "created_at", range))
    .where("attempts", ">", 0)
    .groupBy("attempts")
    .orderBy("attempts")
    .execute();
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
export async function costPerSuccessfulComponent(db: Kysely<Tables>, installationId: number, range: MetricsRange = {}): Promise<CostPerSuccessRow[]> {
  const figures = [
    sql<number>`COUNT(*)`.as("generations"),
    sumOf(sql.ref("succeeded")).as("successes"),
    sumOf(sql.ref("cost_usd")).as("cost"),
    sumOf(sql<number>`input_tokens + output_tokens + cache_read_tokens + cache_write_tokens`).as("tokens"),
  ];
  const base = db.selectFrom("generation_metrics").where(scoped("installation_id", installationId, "created_at", range));
  const total = await base.select(figures).executeTakeFirstOrThrow();
  const byModel = await base.select(["provider", "model", ...figures]).groupBy(["provider", "model"]).orderBy("provider").orderBy("model").execute();
  return [{ provider: null, model: null, ...total }, ...byModel].map((r) => ({
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

/** The error store has recorded the installation's CI failures (until it has, the attempts are the better record). */
async function errorStoreHasCiOccurrences(db: Kysely<Tables>, installationId: number): Promise<boolean> {
  const row = await db
    .selectFrom("error_occurrences")
    .select(sql<number>`1`.as("found"))
    .where("installation_id", "=", installationId)
    .where("source", "=", "ci")
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Oldest week first; in a week the most frequent kind first, then by name (code-point order on both dialects). */
function byWeekThenCount(a: ErrorKindWeekRow, b: ErrorKindWeekRow): number {
  if (a.week !== b.week) return a.week < b.week ? -1 : 1;
  if (a.count !== b.count) return b.count - a.count;
  return a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0;
}

/** The classified kind of each CI occurrence in the error store, per ISO week of the occurrence. */
async function errorStoreKinds(db: Kysely<Tables>, installationId: number, range: MetricsRange): Promise<ErrorKindWeekRow[]> {
  const week = weekIndexSql(sql.ref("o.seen_at"));
  const rows = await db
    .selectFrom("error_occurrences as o")
    .innerJoin("error_signatures as s", "s.id", "o.signature_id")
    .select((eb) => [week.as("week"), "s.kind as kind", eb.fn.countAll<number>().as("count")])
    .where(scoped("o.installation_id", installationId, "o.seen_at", range))
    .where("o.source", "=", "ci")
    .groupBy([week, "s.kind"])
    .execute();
  return rows.map((r) => ({ week: isoWeekOfIndex(r.week), kind: r.kind, count: r.count })).sort(byWeekThenCount);
}

/** The `kind` of each failure in the attempts' `ci_failures_json`, per ISO week of the attempt's last update. */
async function attemptFailureKinds(db: Kysely<Tables>, installationId: number, range: MetricsRange): Promise<ErrorKindWeekRow[]> {
  // Read in TypeScript: PostgreSQL 15 cannot tell JSON text from other text in SQL, and the column may hold either.
  const rows = await db
    .selectFrom("attempts as a")
    .innerJoin("generations as g", "g.id", "a.generation_id")
    .select(["a.updated_at", "a.ci_failures_json"])
    .where(scoped("g.installation_id", installationId, "a.updated_at", range))
    .where("a.ci_failures_json", "is not", null)
    .execute();
  const counts = new Map<string, ErrorKindWeekRow>();
  for (const r of rows) {
    const week = isoWeek(r.updated_at);
    for (const kind of failureKinds(r.ci_failures_json)) {
      const key = `${week}\u0000${kind}`;
      const row = counts.get(key) ?? { week, kind, count: 0 };
      row.count += 1;
      counts.set(key, row);
    }
  }
  return [...counts.values()].sort(byWeekThenCount);
}

/** The kinds of a JSON array of CI failures; a failure without a textual kind is `unknown`, text that is not an array none. */
function failureKinds(json: string | null): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json ?? "null");
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.map((f: unknown) => {
    const kind = typeof f === "object" && f !== null ? (f as { kind?: unknown }).kind : undefined;
    return typeof kind === "string" ? kind : "unknown";
  });
}

/**
 * CI error kinds per ISO week. Once the error store (error_signatures and its occurrences) holds the
 * installation's CI failures, the classified kind of each CI occurrence is counted; before that, the `kind`
 * of each failure in the attempts' ci_failures_json.
 */
export async function errorKindsOverTime(db: Kysely<Tables>, installationId: number, range: MetricsRange = {}): Promise<ErrorKindsOverTime> {
  if (await errorStoreHasCiOccurrences(db, installationId)) {
    return { source: "error_signatures", rows: await errorStoreKinds(db, installationId, range) };
  }
  return { source: "ci_failures", rows: await attemptFailureKinds(db, installationId, range) };
}

/** Live (not archived) patterns the installation learned. */
export async function patternLibrarySize(db: Kysely<Tables>, installationId: number): Promise<number> {
  const row = await db
    .selectFrom("patterns")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("installation_id", "=", installationId)
    .where("archived", "=", 0)
    .executeTakeFirstOrThrow();
  return row.n;
}

/** Installations with generations or learned records, in id order: the metrics report each apart. */
export async function metricsInstallations(db: Kysely<Tables>): Promise<number[]> {
  const rows = await db
    .selectFrom("generations")
    .select("installation_id")
    .union(db.selectFrom("patterns").select(sql<number>`installation_id`.as("installation_id")).where("installation_id", "is not", null))
    .union(db.selectFrom("rewrite_rules").select(sql<number>`installation_id`.as("installation_id")).where("installation_id", "is not", null))
    .orderBy("installation_id")
    .execute();
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
export async function knownLibraryAlternatives(db: Kysely<Tables>): Promise<LibraryAlternativesCount> {
  const kindIs = (kind: string) => countWhere(sql<SqlBool>`kind = ${kind}`);
  const row = await db
    .selectFrom("library_alternatives")
    .select((eb) => [
      eb.fn.countAll<number>().as("alternatives"),
      eb.fn.count<number>("library").distinct().as("libraries"),
      kindIs("provider_hook").as("hooks"),
      kindIs("package").as("packages"),
      kindIs("stdlib").as("stdlib"),
    ])
    .executeTakeFirstOrThrow();
  return {
    alternatives: row.alternatives,
    libraries: row.libraries,
    providerHooks: row.hooks,
    packages: row.packages,
    stdlibFallbacks: row.stdlib,
  };
}
