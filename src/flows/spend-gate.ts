import type { RepoConfig } from "../config/repo-config.js";
import type { SpendGate } from "../generate/budget.js";
import type { Kysely } from "kysely";
import type { Tables } from "../db/schema.js";
import { releaseSpendReservation, reserveSpend, settleSpendReservation } from "../store/spend.js";

/**
 * How long a reservation counts when its process dies before releasing it: longer than one model call with
 * its client's retries (3 tries × the 120 s default timeout) and the local check that follows.
 */
export const RESERVATION_TTL_MS = 15 * 60 * 1000;

export const BUDGET_WORDS = {
  limitName: "the monthly budget (`budget_usd`)",
  raiseHint: "raise `budget_usd` in .github/opforge.yml, or wait for next month",
  disableHint: "turn the budget off with `budget_usd: none` in .github/opforge.yml",
} as const;

/**
 * The installation's monthly budget as a gate: every process and job of the installation reserves against
 * the same rows, so calls in flight anywhere count. None when the repository turned the budget off.
 */
export function installationGate(db: Kysely<Tables>, installationId: number, config: RepoConfig, now: () => number): SpendGate | undefined {
  const limitUsd = config.budget_usd;
  if (limitUsd === null) return undefined;
  return {
    ...BUDGET_WORDS,
    async reserve(usd) {
      const reserved = await reserveSpend(db, { installationId, amountUsd: usd, limitUsd, now: now(), ttlMs: RESERVATION_TTL_MS });
      if (!reserved.ok) return reserved;
      return {
        ok: true,
        hold: {
          settle: (actual) => settleSpendReservation(db, reserved.id, actual),
          release: () => releaseSpendReservation(db, reserved.id),
        },
      };
    },
  };
}
