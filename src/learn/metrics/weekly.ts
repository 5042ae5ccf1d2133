/**
 * Weekly series of one installation for the dashboard's plots: the funnel from spec to merge, first-attempt
 * success, attempts per merged PR, cost per merged PR, tokens and cache hits. Every query is scoped to one
 * installation; weeks without a generation are filled with zeros so the plots' x axes are regular.
 */
import type { Database } from "better-sqlite3";
import { isoWeek, isoWeekSql, isoWeekStart, weeksWindowStart } from "./week.js";

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

/** The `weeks` most recent ISO weeks up to `now`, oldest first, by the week each generation was created. */
export function weeklyFigures(db: Database, installationId: number, options: { now: number; weeks: number }): WeekFigures[] {
  const since = weeksWindowStart(options.now, options.weeks);
  const weeks: WeekFigures[] = [];
  for (let at = isoWeekStart(since); at <= options.now; at += WEEK_MS) weeks.push(emptyWeek(at));
  const byWeek = new Map(weeks.map((w) => [w.week, w]));
  const rows = db
    .prepare(
      `SELECT ${isoWeekSql("m.created_at")} AS week,
              COUNT(*) AS specs,
              COALESCE(SUM(g.pr_number IS NOT NULL), 0) AS prs,
              COALESCE(SUM(m.succeeded), 0) AS ci_green,
              COALESCE(SUM(m.status = 'merged' OR m.final_outcome = 'merged'), 0) AS merged,
              COUNT(m.first_attempt_success) AS decided,
              COALESCE(SUM(m.first_attempt_success), 0) AS first_ok,
              COALESCE(SUM(CASE WHEN m.status = 'merged' OR m.final_outcome = 'merged' THEN m.attempts ELSE 0 END), 0) AS merged_attempts,
              COALESCE(SUM(m.cost_usd), 0) AS cost,
              COALESCE(SUM(m.input_tokens), 0) AS input,
              COALESCE(SUM(m.output_tokens), 0) AS output,
              COALESCE(SUM(m.cache_read_tokens), 0) AS cache_read,
              COALESCE(SUM(m.cache_write_tokens), 0) AS cache_write
         FROM generation_metrics m JOIN generations g ON g.id = m.generation_id
        WHERE m.installation_id = ? AND m.created_at >= ? AND m.created_at <= ?
        GROUP BY week`,
    )
    .all(installationId, since, options.now) as {
    week: string; specs: number; prs: number; ci_green: number; merged: number; decided: number; first_ok: number;
    merged_attempts: number; cost: number; input: number; output: number; cache_read: number; cache_write: number;
  }[];
  for (const r of rows) {
    const w = byWeek.get(r.week);
    if (w === undefined) continue;
    Object.assign(w, {
      specs: r.specs, prs: r.prs, ciGreen: r.ci_green, merged: r.merged, decided: r.decided, firstAttemptSuccesses: r.first_ok,
      mergedAttempts: r.merged_attempts, costUsd: r.cost, inputTokens: r.input, outputTokens: r.output,
      cacheReadTokens: r.cache_read, cacheWriteTokens: r.cache_write,
    });
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
export function monthSpend(db: Database, installationId: number, now: number): MonthSpend {
  const month = new Date(now).toISOString().slice(0, 7);
  const start = Date.parse(`${month}-01T00:00:00Z`);
  const spent = db
    .prepare(
      `SELECT COALESCE(SUM(a.cost_usd), 0) AS usd FROM attempts a JOIN generations g ON g.id = a.generation_id
        WHERE g.installation_id = ? AND a.created_at >= ? AND a.created_at <= ?`,
    )
    .get(installationId, start, now) as { usd: number };
  // The budget lives in each repository's .github/opforge.yml; the generation jobs carry the configuration they ran with.
  const job = db
    .prepare(
      `SELECT json_type(payload_json, '$.config.budget_usd') AS type, json_extract(payload_json, '$.config.budget_usd') AS budget
         FROM jobs WHERE type IN ('generate', 'acknowledge') AND json_valid(payload_json)
          AND json_extract(payload_json, '$.installationId') = ?
        ORDER BY id DESC LIMIT 1`,
    )
    .get(installationId) as { type: string | null; budget: number | null } | undefined;
  const budgetUsd = job === undefined || job.type === null ? undefined : job.type === "null" ? null : typeof job.budget === "number" ? job.budget : undefined;
  return { month, spentUsd: spent.usd, budgetUsd };
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
export function topSignatures(db: Database, installationId: number, options: { now: number; limit: number }): SignatureTrend[] {
  const rows = db
    .prepare(
      `SELECT s.id, s.kind, s.signature, s.fix_strategy, COUNT(o.id) AS n, MAX(o.seen_at) AS last_seen,
              COALESCE(SUM(o.seen_at > ?), 0) AS last_week,
              COALESCE(SUM(o.seen_at > ? AND o.seen_at <= ?), 0) AS week_before
         FROM error_signatures s JOIN error_occurrences o ON o.signature_id = s.id AND o.installation_id = s.installation_id
        WHERE s.installation_id = ?
        GROUP BY s.id ORDER BY n DESC, last_seen DESC, s.id LIMIT ?`,
    )
    .all(options.now - WEEK_MS, options.now - 2 * WEEK_MS, options.now - WEEK_MS, installationId, options.limit) as {
    id: number; kind: string; signature: string; fix_strategy: string; n: number; last_seen: number; last_week: number; week_before: number;
  }[];
  const rules = db.prepare(
    `SELECT r.id FROM rule_signatures l JOIN rewrite_rules r ON r.id = l.rule_id
      WHERE l.signature_id = ? AND r.installation_id = ? AND r.status IN ('candidate', 'trusted') ORDER BY r.id`,
  );
  return rows.map((r) => ({
    signatureId: r.id,
    kind: r.kind,
    signature: r.signature,
    fixStrategy: r.fix_strategy,
    occurrences: r.n,
    lastWeek: r.last_week,
    weekBefore: r.week_before,
    lastSeen: r.last_seen,
    ruleIds: (rules.all(r.id, installationId) as { id: number }[]).map((x) => x.id),
  }));
}
