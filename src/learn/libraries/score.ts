/**
 * Compatibility of a library with an Airflow major version, from its CI record: the mean of a Beta
 * posterior (uniform prior) over "a CI run that used it went fine", and a confidence label that is only
 * given once enough runs were seen, so two lucky runs never read as a verdict.
 */

export type LibraryOutcomeKind = "import_ok" | "import_failed" | "exec_ok" | "exec_failed" | "conflict";
export type Confidence = "Low" | "Neutral" | "High";

export interface OutcomeCounts {
  importOk: number;
  importFailed: number;
  execOk: number;
  execFailed: number;
  conflict: number;
}

export interface ScoreOptions {
  /** Observations needed before a confidence label is shown. Default 5. */
  minObservations?: number;
  /** z of the two-sided interval the label is read from. Default 1.645 (90%). */
  z?: number;
  /** The interval's lower bound at or above this → High. Default 0.6. */
  highAbove?: number;
  /** The interval's upper bound at or below this → Low. Default 0.4. */
  lowBelow?: number;
}

export interface CompatibilityScore {
  successes: number;
  failures: number;
  /** Observations: CI runs with a verdict on this library. */
  n: number;
  /** Posterior mean, (successes + 1) / (n + 2). */
  score: number;
  /** Normal approximation of the posterior's central interval, clamped to [0, 1]. */
  lower: number;
  upper: number;
  /** null while n is below the minimum. */
  confidence: Confidence | null;
  /** What to show: "High confidence (score 0.86, n=6)" or "not enough data (n=2)". */
  label: string;
}

export const DEFAULT_MIN_OBSERVATIONS = 5;

export function emptyCounts(): OutcomeCounts {
  return { importOk: 0, importFailed: 0, execOk: 0, execFailed: 0, conflict: 0 };
}

/**
 * One observation per CI run: a run that ran the library counts once (exec ok or failed), an import that
 * worked with no execution verdict counts as a success, an import failure or resolver conflict as a failure.
 * A failed execution is recorded together with its successful import, so that import is not counted again.
 */
export function observationsOf(counts: OutcomeCounts): { successes: number; failures: number } {
  const importOnly = Math.max(0, counts.importOk - counts.execOk - counts.execFailed);
  return {
    successes: counts.execOk + importOnly,
    failures: counts.execFailed + counts.importFailed + counts.conflict,
  };
}

function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function compatibilityScore(counts: OutcomeCounts, options: ScoreOptions = {}): CompatibilityScore {
  const min = options.minObservations ?? DEFAULT_MIN_OBSERVATIONS;
  const z = options.z ?? 1.645;
  const { successes, failures } = observationsOf(counts);
  const n = successes + failures;
  const alpha = successes + 1;
  const beta = failures + 1;
  const mean = alpha / (alpha + beta);
  const sd = Math.sqrt((alpha * beta) / ((alpha + beta) ** 2 * (alpha + beta + 1)));
  const lower = Math.max(0, mean - z * sd);
  const upper = Math.min(1, mean + z * sd);
  let confidence: Confidence | null = null;
  if (n >= min) {
    if (lower >= (options.highAbove ?? 0.6)) confidence = "High";
    else if (upper <= (options.lowBelow ?? 0.4)) confidence = "Low";
    else confidence = "Neutral";
  }
  const score = round(mean);
  const label = confidence === null ? `not enough data (n=${n})` : `${confidence} confidence (score ${score.toFixed(2)}, n=${n})`;
  return { successes, failures, n, score, lower: round(lower), upper: round(upper), confidence, label };
}
