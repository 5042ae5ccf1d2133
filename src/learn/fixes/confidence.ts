import { betaQuantile } from "../patterns/confidence.js";

/**
 * How sure we are that a rule helps: the lower 5 % quantile of Beta(1 + successes, 1 + failures). A rule
 * with no record starts near 0 and needs eight clean successes to pass 0.7; one failure costs more
 * than one success earns back, which is the caution an automatic rewrite needs.
 */
const LOWER_QUANTILE = 0.05;

/** Lower bound of the success rate: the 5 % quantile of Beta(1 + successes, 1 + failures). */
export function ruleConfidence(successes: number, failures: number): number {
  if (!Number.isInteger(successes) || successes < 0 || !Number.isInteger(failures) || failures < 0) {
    throw new Error(`rule outcome counts must be non-negative integers, got ${successes} successes and ${failures} failures`);
  }
  return betaQuantile(LOWER_QUANTILE, 1 + successes, 1 + failures);
}
