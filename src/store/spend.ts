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

export interface SpendReservationRequest {
  installationId: number;
  /** The worst-case cost of the call about to be made. */
  amountUsd: number;
  /** The installation's monthly limit. */
  limitUsd: number;
  now: number;
  /** How long the reservation counts if nobody settles or releases it (a crashed process). */
  ttlMs: number;
}

export type SpendReservation =
  | { ok: true; id: number; spentUsd: number; reservedUsd: number }
  /** Refused: nothing was reserved. `reservedUsd` is what other calls in flight hold. */
  | { ok: false; spentUsd: number; reservedUsd: number; limitUsd: number };

/**
 * Checks and reserves in one IMMEDIATE transaction: the write lock is taken before the sums are read, so
 * another process (or connection) reserving at the same moment waits and then sees this reservation.
 * Expired reservations are pruned on the way: they belong to processes that died mid-call.
 */
export function reserveSpend(db: Database, request: SpendReservationRequest): SpendReservation {
  return db
    .transaction((): SpendReservation => {
      db.prepare("DELETE FROM spend_reservations WHERE expires_at <= ?").run(request.now);
      const spentUsd = monthlySpendUsd(db, request.installationId, request.now);
      // Reservations are counted whatever month they were taken in: they live minutes, and a call made at
      // a month's end is paid from the month its attempt is recorded in, which the check cannot know yet.
      const { reserved } = db
        .prepare("SELECT COALESCE(SUM(amount_usd), 0) AS reserved FROM spend_reservations WHERE installation_id = ?")
        .get(request.installationId) as { reserved: number };
      if (spentUsd + reserved + request.amountUsd > request.limitUsd) {
        return { ok: false, spentUsd, reservedUsd: reserved, limitUsd: request.limitUsd };
      }
      const info = db
        .prepare("INSERT INTO spend_reservations (installation_id, amount_usd, created_at, expires_at) VALUES (?, ?, ?, ?)")
        .run(request.installationId, request.amountUsd, request.now, request.now + request.ttlMs);
      return { ok: true, id: Number(info.lastInsertRowid), spentUsd, reservedUsd: reserved };
    })
    .immediate();
}

/** The call is over: the reservation now holds what it cost, until that cost is recorded in its attempt. */
export function settleSpendReservation(db: Database, id: number, amountUsd: number): void {
  db.prepare("UPDATE spend_reservations SET amount_usd = ? WHERE id = ?").run(Math.max(0, amountUsd), id);
}

/** The call's cost is in its attempt row (or it cost nothing): the reservation is no longer needed. */
export function releaseSpendReservation(db: Database, id: number): void {
  db.prepare("DELETE FROM spend_reservations WHERE id = ?").run(id);
}
