/** Metrics of the learning layer: per-generation figures and the queries behind `opforge stats`. */
export type {
  AttemptsBucket,
  CostPerSuccessRow,
  ErrorKindsOverTime,
  ErrorKindWeekRow,
  FirstAttemptWeekRow,
  GenerationMetrics,
  LibraryAlternativesCount,
  MetricsRange,
} from "./queries.js";
export {
  attemptsDistribution,
  costPerSuccessfulComponent,
  errorKindsOverTime,
  firstAttemptSuccessByWeek,
  generationMetrics,
  knownLibraryAlternatives,
  metricsInstallations,
  patternLibrarySize,
} from "./queries.js";
export type { StatsReport } from "./report.js";
export { collectStats, collectStatsPerInstallation, statsOf } from "./report.js";
export { isoWeek, isoWeekOfIndex, isoWeekStart, weekIndexSql, weeksWindowStart } from "./week.js";
export { readSnapshot } from "./snapshot.js";
