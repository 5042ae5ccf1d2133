/**
 * Weekly series of one installation for the dashboard's plots: the funnel from spec to merge, first-attempt
 * success, attempts per merged PR, cost per merged PR, tokens and cache hits. Every query is scoped to one
 * installation; weeks without a generation are filled with zeros so the plots' x axes are regular.
 */
import { sql, type Kysely, type SqlBool } from "kysely";
import type { Tables } from "../../db/schema.js";
import { newestJobPayload } from "./job-payload.js";
import { countWhere, sumOf } from "./queries.js";
import { isoWeek, isoWeekOfIndex, isoWeekStart, weekIndexSql, weeksWindowStart } from "./week.js";

export interface WeekFigures {
  /** ISO week, `2026-W48`. */
  week: string;
  /** Monday 00:00 UTC of the week, epoch seconds (the plots' x value). */
  start: number;
  specs: number;
  prs: number;
  ciGreen: number;
  merged: number;
  /** Generations whose first attempt has a CI verdict, and how many of those passed. */
  decided: number;
  firstAttemptSuccesses: number;
  /** Attempts of the PRs merged, summed (divide by `merged` for attempts per merged PR). */
  mergedAttempts: number;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

const WEEK_MS = 7 * 24 * 3_600_000;

function emptyWeek(startMs: number): WeekFigures {
  return {
    week: isoWeek(startMs),
    start: Math.floor(startMs / 1000),
    specs: 0, prs: 0, ciGreen: 0, merged: 0, decided: 0, firstAttemptSuccesses: 0, mergedAttempts: 0,
    costUsd: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0,
  };
}

const MERGED = sql<SqlBool>`(m.status = 'merged' OR m.final_outcome = 'merged')`;

/** The `weeks` most recent ISO weeks up to `now`, oldest first, by the week each generation was created. */
export async function weeklyFigures(db: Kysely<Tables>, installationId: number, options: { now: number; weeks: number }): Promise<WeekFigures[]> {
  const since = weeksWindowStart(options.now, options.weeks);
  const weeks: WeekFigures[] = [];
  for (let at = isoWeekStart(since); at <= options.now; at += WEEK_MS) weeks.push(emptyWeek(at));
  const byWeek = new Map(weeks.map((w) => [w.week, w]));
  const week = weekIndexSql(sql.ref("m.created_at"));
  const rows = await db
    .selectFrom("generation_metrics as m")
    .innerJoin("generations as g", "g.id", "m.generation_id")
    .select((eb) => [
      week.as("week"),
      eb.fn.countAll<number>().as("specs"),
      countWhere(sql<SqlBool>`g.pr_number IS NOT NULL`).as("prs"),
      sumOf(sql.ref("m.succeeded")).as("ciGreen"),
      countWhere(MERGED).as("merged"),
      eb.fn.count<number>("m.first_attempt_success").as("decided"),
      sumOf(sql.ref("m.first_attempt_success")).as("firstAttemptSuccesses"),
      sumOf(sql<number>`CASE WHEN ${MERGED} THEN m.attempts ELSE 0 END`).as("mergedAttempts"),
      sumOf(sql.ref("m.cost_usd")).as("costUsd"),
      sumOf(sql.ref("m.input_tokens")).as("inputTokens"),
      sumOf(sql.ref("m.output_tokens")).as("outputTokens"),
      sumOf(sql.ref("m.cache_read_tokens")).as("cacheReadTokens"),
      sumOf(sql.ref("m.cache_write_tokens")).as("cacheWriteTokens"),
    ])
    .where("m.installation_id", "=", installationId)
    .where("m.created_at", ">=", since)
    .where("m.created_at", "<=", options.now)
    .groupBy(week)
    .execute();
  for (const { week: index, ...figures } of rows) {
    const w = byWeek.get(isoWeekOfIndex(index));
    if (w !== undefined) Object.assign(w, figures);
  }
  return weeks;
}

export interface MonthSpend {
  /** `2026-11`, UTC. */
  month: string;
  spentUsd: number;
  /** `budget_usd` of the newest generation job's repository configuration; null when off, undefined when not known. */
  budgetUsd: number | null | undefined;
}

/** The installation's model spend this calendar month, against the budget its repositories last configured. */
export async function monthSpend(db: Kysely<Tables>, installationId: number, now: number): Promise<MonthSpend> {
  const month = new Date(now).toISOString().slice(0, 7);
  const start = Date.parse(`${month}-01T00:00:00Z`);
  const spent = await db
    .selectFrom("attempts as a")
    .innerJoin("generations as g", "g.id", "a.generation_id")
    .select(sumOf(sql.ref("a.cost_usd")).as("usd"))
    .where("g.installation_id", "=", installationId)
    .where("a.created_at", ">=", start)
    .where("a.created_at", "<=", now)
    .executeTakeFirstOrThrow();
  // The budget lives in each repository's .github/opforge.yml; the generation jobs carry the configuration they ran with.
  const payload = await newestJobPayload(db, installationId, ["generate", "acknowledge"]);
  return { month, spentUsd: spent.usd, budgetUsd: budgetOf(payload) };
}

/** `config.budget_usd` of a job payload: a number, null (switched off), or undefined (absent or not a number). */
function budgetOf(payload: unknown): number | null | undefined {
  const config = typeof payload === "object" && payload !== null ? (payload as { config?: unknown }).config : undefined;
  if (typeof config !== "object" || config === null || !("budget_usd" in config)) return undefined;
  const budget = (config as { budget_usd: unknown }).budget_usd;
  return budget === null ? null : typeof budget === "number" ? budget : undefined;
}

export interface SignatureTrend {
  signatureId: number;
  kind: string;
  signature: string;
  fixStrategy: string;
  occurrences: number;
  /** Occurrences in the last 7 days and in the 7 days before. */
  lastWeek: number;
  weekBefore: number;
  lastSeen: number;
  /** Ids of the installation's live learned rules linked to the signature. */
  ruleIds: number[];
}

/** The installation's most frequent error signatures, with their trend and the rules that cover them. */
export async function topSignatures(db: Kysely<Tables>, installationId: number, options: { now: number; limit: number }): Promise<SignatureTrend[]> {
  const lastWeekFrom = options.now - WEEK_MS;
  const rows = await db
    .selectFrom("error_signatures as s")
    .innerJoin("error_occurrences as o", (join) => join.onRef("o.signature_id", "=", "s.id").onRef("o.installation_id", "=", "s.installation_id"))
    .select((eb) => [
      "s.id",
      "s.kind",
      "s.signature",
      "s.fix_strategy",
      eb.fn.count<number>("o.id").as("n"),
      eb.fn.max("o.seen_at").as("last_seen"),
      countWhere(sql<SqlBool>`o.seen_at > ${lastWeekFrom}`).as("last_week"),
      countWhere(sql<SqlBool>`o.seen_at > ${lastWeekFrom - WEEK_MS} AND o.seen_at <= ${lastWeekFrom}`).as("week_before"),
    ])
    .where("s.installation_id", "=", installationId)
    .groupBy(["s.id", "s.kind", "s.signature", "s.fix_strategy"])
    .orderBy("n", "desc")
    .orderBy("last_seen", "desc")
    .orderBy("s.id")
    .limit(options.limit)
    .execute();
  const rules = await coveringRules(db, installationId, rows.map((r) => r.id));
  return rows.map((r) => ({
    signatureId: r.id,
    kind: r.kind,
    signature: r.signature,
    fixStrategy: r.fix_strategy,
    occurrences: r.n,
    lastWeek: r.last_week,
    weekBefore: r.week_before,
    lastSeen: r.last_seen,
    ruleIds: rules.get(r.id) ?? [],
  }));
}

/** The installation's live (candidate or trusted) rules linked to each signature, in rule id order. */
async function coveringRules(db: Kysely<Tables>, installationId: number, signatureIds: number[]): Promise<Map<number, number[]>> {
  const bySignature = new Map<number, number[]>();
  if (signatureIds.length === 0) return bySignature;
  const links = await db
    .selectFrom("rule_signatures as l")
    .innerJoin("rewrite_rules as r", "r.id", "l.rule_id")
    .select(["l.signature_id", "r.id"])
    .where("l.signature_id", "in", signatureIds)
    .where("r.installation_id", "=", installationId)
    .where("r.status", "in", ["candidate", "trusted"])
    .orderBy("r.id")
    .execute();
  for (const link of links) bySignature.set(link.signature_id, [...(bySignature.get(link.signature_id) ?? []), link.id]);
  return bySignature;
}
