/** ISO 8601 weeks (Monday to Sunday, week 1 holds the year's first Thursday), in TypeScript and in SQL. */

const DAY_MS = 24 * 60 * 60 * 1000;

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
 * SQL for the ISO week label of an epoch-millisecond column, built from `date()` modifiers so it does not
 * depend on the `%G`/`%V` formats that only newer SQLite versions know: the week's Thursday names the year.
 */
export function isoWeekSql(column: string): string {
  const thursday = `date(${column} / 1000, 'unixepoch', '-3 days', 'weekday 4')`;
  return `(strftime('%Y', ${thursday}) || '-W' || printf('%02d', (CAST(strftime('%j', ${thursday}) AS INTEGER) - 1) / 7 + 1))`;
}
