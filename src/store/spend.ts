import { sql, type Kysely } from "kysely";
import { dialectOf } from "../db/dialect.js";
import type { Tables } from "../db/schema.js";
import { inTransaction } from "../db/transaction.js";

/** Start (inclusive) and end (exclusive) of the UTC calendar month holding `now`, in epoch ms. */
export function utcMonthRange(now: number): { start: number; end: number } {
  const d = new Date(now);
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return { start, end };
}

/** Model spend of one installation in the UTC calendar month holding `now`, summed over its attempts. */
export async function monthlySpendUsd(db: Kysely<Tables>, installationId: number, now: number): Promise<number> {
  const { start, end } = utcMonthRange(now);
  const row = await db
    .selectFrom("attempts as a")
    .innerJoin("generations as g", "g.id", "a.generation_id")
    .select(sql<number>`COALESCE(SUM(a.cost_usd), 0)`.as("total"))
    .where("g.installation_id", "=", installationId)
    .where("a.created_at", ">=", start)
    .where("a.created_at", "<", end)
    .executeTakeFirstOrThrow();
  return Number(row.total);
}

export interface MonthlySpend {
  installationId: number;
  /** `YYYY-MM`, UTC. */
  month: string;
  costUsd: number;
  attempts: number;
}

/** Every installation's spend per month, newest month first (the `monthly_spend` view). */
export async function listMonthlySpend(db: Kysely<Tables>, options: { installationId?: number; limit?: number } = {}): Promise<MonthlySpend[]> {
  let query = db.selectFrom("monthly_spend").select(["installation_id", "month", "cost_usd", "attempts"]);
  if (options.installationId !== undefined) query = query.where("installation_id", "=", options.installationId);
  const rows = await query.orderBy("month", "desc").orderBy("installation_id").limit(options.limit ?? 120).execute();
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
 * Serializes the reservations of one installation until the transaction ends. On PostgreSQL a transaction
 * advisory lock keyed by the installation: a second process reserving for it waits here and then reads the
 * first one's committed reservation (READ COMMITTED reads afresh per statement). On SQLite the first write
 * of the transaction (the pruning DELETE) takes the file's write lock, as BEGIN IMMEDIATE did.
 */
async function lockInstallationSpend(trx: Kysely<Tables>, installationId: number): Promise<void> {
  if (dialectOf(trx) !== "postgres") return;
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`opforge.spend:${installationId}`}, 0))`.execute(trx);
}

/**
 * Checks and reserves in one transaction that holds the installation's reservations alone (see
 * lockInstallationSpend) before the sums are read, so another process reserving at the same moment waits and
 * then sees this reservation. The installation's expired reservations are pruned on the way: they belong to
 * processes that died mid-call.
 */
export async function reserveSpend(db: Kysely<Tables>, request: SpendReservationRequest): Promise<SpendReservation> {
  return inTransaction(db, async (trx): Promise<SpendReservation> => {
    await lockInstallationSpend(trx, request.installationId);
    // Only this installation's: rows under another installation's lock are left to its next reservation, so
    // two transactions never wait on each other's rows.
    await trx
      .deleteFrom("spend_reservations")
      .where("installation_id", "=", request.installationId)
      .where("expires_at", "<=", request.now)
      .execute();
    const spentUsd = await monthlySpendUsd(trx, request.installationId, request.now);
    // Reservations are counted whatever month they were taken in: they live minutes, and a call made at
    // a month's end is paid from the month its attempt is recorded in, which the check cannot know yet.
    const { reserved } = await trx
      .selectFrom("spend_reservations")
      .select(sql<number>`COALESCE(SUM(amount_usd), 0)`.as("reserved"))
      .where("installation_id", "=", request.installationId)
      .executeTakeFirstOrThrow();
    const reservedUsd = Number(reserved);
    if (spentUsd + reservedUsd + request.amountUsd > request.limitUsd) {
      return { ok: false, spentUsd, reservedUsd, limitUsd: request.limitUsd };
    }
    const { id } = await trx
      .insertInto("spend_reservations")
      .values({ installation_id: request.installationId, amount_usd: request.amountUsd, created_at: request.now, expires_at: request.now + request.ttlMs })
      .returning("id")
      .executeTakeFirstOrThrow();
    return { ok: true, id, spentUsd, reservedUsd };
  });
}

/** The call is over: the reservation now holds what it cost, until that cost is recorded in its attempt. */
export async function settleSpendReservation(db: Kysely<Tables>, id: number, amountUsd: number): Promise<void> {
  await db.updateTable("spend_reservations").set({ amount_usd: Math.max(0, amountUsd) }).where("id", "=", id).execute();
}

/** The call's cost is in its attempt row (or it cost nothing): the reservation is no longer needed. */
export async function releaseSpendReservation(db: Kysely<Tables>, id: number): Promise<void> {
  await db.deleteFrom("spend_reservations").where("id", "=", id).execute();
}
