/** ISO 8601 weeks (Monday to Sunday, week 1 holds the year's first Thursday), in TypeScript and in SQL. */
import { sql, type Expression, type RawBuilder } from "kysely";

const DAY_MS = 24 * 60 * 60 * 1000;
const WEEK_MS = 7 * DAY_MS;
/** 1970-01-01 was a Thursday: the Monday of its ISO week came three days earlier. */
const EPOCH_TO_MONDAY_MS = 3 * DAY_MS;

/** `2026-W48` for an epoch-millisecond instant (UTC). */
export function isoWeek(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  // 1970-01-01 was a Thursday: (day + 3) mod 7 is 0 on Monday.
  const weekday = (((day + 3) % 7) + 7) % 7;
  const thursday = new Date((day - weekday + 3) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const dayOfYear = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / DAY_MS);
  return `${year}-W${String(Math.floor(dayOfYear / 7) + 1).padStart(2, "0")}`;
}

/** Start (Monday 00:00 UTC) of the ISO week holding `ms`. */
export function isoWeekStart(ms: number): number {
  const day = Math.floor(ms / DAY_MS);
  const weekday = (((day + 3) % 7) + 7) % 7;
  return (day - weekday) * DAY_MS;
}

/** Start of the window holding the `weeks` most recent ISO weeks, the week of `now` included. */
export function weeksWindowStart(now: number, weeks: number): number {
  if (!Number.isInteger(weeks) || weeks < 1) throw new Error(`weeks should be a whole number of at least 1, got ${weeks}`);
  return isoWeekStart(now) - (weeks - 1) * 7 * DAY_MS;
}

/**
 * Whole weeks from Monday 1969-12-29 00:00 UTC to an epoch-millisecond column: the same integer arithmetic on
 * SQLite and PostgreSQL (both divide integers by truncation), where their date functions and ISO week formats
 * differ. Queries group by it; `isoWeekOfIndex` names the week in TypeScript, and the index orders weeks as
 * their labels do. The divisors are literals so a grouped select repeats the very same expression.
 */
export function weekIndexSql(column: Expression<number>): RawBuilder<number> {
  return sql<number>`((${column} + ${sql.lit(EPOCH_TO_MONDAY_MS)}) / ${sql.lit(WEEK_MS)})`;
}

/** `2026-W48` for a week index of `weekIndexSql`. */
export function isoWeekOfIndex(index: number): string {
  return isoWeek(index * WEEK_MS - EPOCH_TO_MONDAY_MS);
}
