/**
 * The money limit on model calls. A gate is asked before every call (local retries included) to hold the
 * call's worst-case cost; the call is made only when the hold is granted. After the call the hold is
 * settled to what the call cost, and released once that cost is counted where the gate reads spend.
 */

/** Held money for one call in flight. */
export interface SpendHold {
  /** The call is over: it cost `usd` (what its usage says, also for a failed call; 0 when it reported none). */
  settle(usd: number): void | Promise<void>;
  /** The settled cost is now counted elsewhere (the attempt record), or the call was never made. */
  release(): void | Promise<void>;
}

export type SpendDecision =
  | { ok: true; hold: SpendHold }
  | { ok: false; spentUsd: number; reservedUsd: number; limitUsd: number };

export interface SpendGate {
  /** Words for the limit in messages, e.g. "the monthly budget (`budget_usd`)". */
  limitName: string;
  /** What a user does about a refusal, e.g. "raise `budget_usd` in .github/opforge.yml". */
  raiseHint: string;
  /** How to run without this limit, for models with no price. */
  disableHint: string;
  /**
   * Checks that `usd` more fits under the limit, counting calls in flight, and holds it; holds nothing when
   * refused. A gate kept in a database answers asynchronously, one kept in memory may answer at once.
   */
  reserve(usd: number): SpendDecision | Promise<SpendDecision>;
}

export type SpendRefusalKind = "budget" | "price_unknown";

/** A model call that was not made because of the money limit; the message is meant for the user as is. */
export class SpendRefusedError extends Error {
  override name = "SpendRefusedError";
  constructor(
    readonly kind: SpendRefusalKind,
    message: string,
  ) {
    super(message);
  }
}

export function formatUsdAmount(usd: number): string {
  return `$${usd.toFixed(usd >= 1 ? 2 : 4)}`;
}

export function budgetRefusal(gate: SpendGate, model: string, estimateUsd: number, refused: Extract<SpendDecision, { ok: false }>): SpendRefusedError {
  return new SpendRefusedError(
    "budget",
    `${gate.limitName} does not cover the next model call: it may cost up to ${formatUsdAmount(estimateUsd)} (${model}), ` +
      `and of the ${formatUsdAmount(refused.limitUsd)} limit ${formatUsdAmount(refused.spentUsd)} is spent and ` +
      `${formatUsdAmount(refused.reservedUsd)} is reserved by calls in flight, leaving ${formatUsdAmount(Math.max(0, refused.limitUsd - refused.spentUsd - refused.reservedUsd))}. ` +
      `The call was not made; ${gate.raiseHint}.`,
  );
}

export function unpricedRefusal(gate: SpendGate, model: string): SpendRefusedError {
  return new SpendRefusedError(
    "price_unknown",
    `model "${model}" has no known price, so its calls cannot be counted against ${gate.limitName}; the call was not made. ` +
      `Give it a price in OPFORGE_PRICES (USD per million tokens, e.g. OPFORGE_PRICES='{"${model}": {"input": 0.5, "output": 1.5}}'; 0 for a free local model), ` +
      `or ${gate.disableHint}.`,
  );
}

/**
 * A limit for one run of the command line: what this run spent plus what its calls in flight hold. Kept in
 * memory, since the limit belongs to the run, not to the database it records into.
 */
export function perRunGate(limitUsd: number, words: Pick<SpendGate, "limitName" | "raiseHint" | "disableHint">): SpendGate & { spentUsd(): number } {
  let spent = 0;
  const inFlight = new Set<{ usd: number }>();
  const reserved = () => [...inFlight].reduce((sum, h) => sum + h.usd, 0);
  return {
    ...words,
    spentUsd: () => spent,
    reserve(usd) {
      const held = reserved();
      if (spent + held + usd > limitUsd) return { ok: false, spentUsd: spent, reservedUsd: held, limitUsd };
      const entry = { usd };
      inFlight.add(entry);
      return {
        ok: true,
        hold: {
          settle(actual) {
            if (!inFlight.delete(entry)) return;
            spent += Math.max(0, actual);
          },
          release() {
            // What was settled stays spent; an unsettled hold (no call made) is simply dropped.
            inFlight.delete(entry);
          },
        },
      };
    },
  };
}
