import type { Database } from "better-sqlite3";

/** Start (inclusive) and end (exclusive) of the UTC calendar month holding `now`, in epoch ms. */
export function utcMonthRange(now: number): { start: number; end: number } {
  const d = new Date(now);
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return { start, end };
}

/** Model spend of one installation in the UTC calendar month holding `now`, summed over its attempts. */
export function monthlySpendUsd(db: Database, installationId: number, now: number): number {
  const { start, end } = utcMonthRange(now);
  const row = db
    .prepare(
      `SELECT COALESCE(SUM(a.cost_usd), 0) AS total
         FROM attempts a JOIN generations g ON g.id = a.generation_id
        WHERE g.installation_id = ? AND a.created_at >= ? AND a.created_at < ?`,
    )
    .get(installationId, start, end) as { total: number };
  return row.total;
}

export interface MonthlySpend {
  installationId: number;
  /** `YYYY-MM`, UTC. */
  month: string;
  costUsd: number;
  attempts: number;
}

/** Every installation's spend per month, newest month first (the `monthly_spend` view). */
export function listMonthlySpend(db: Database, options: { installationId?: number; limit?: number } = {}): MonthlySpend[] {
  const rows = db
    .prepare(
      `SELECT installation_id, month, cost_usd, attempts FROM monthly_spend
        WHERE (? IS NULL OR installation_id = ?)
        ORDER BY month DESC, installation_id LIMIT ?`,
    )
    .all(options.installationId ?? null, options.installationId ?? null, options.limit ?? 120) as {
    installation_id: number;
    month: string;
    cost_usd: number;
    attempts: number;
  }[];
  return rows.map((r) => ({
    installationId: r.installation_id,
    month: r.month,
    costUsd: r.cost_usd,
    attempts: r.attempts,
  }));
}
