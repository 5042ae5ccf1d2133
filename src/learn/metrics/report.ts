/** Every figure of `opforge stats` and the dashboard, gathered in one read transaction so they agree. */
import type { Database } from "better-sqlite3";
import type {
  AttemptsBucket,
  CostPerSuccessRow,
  ErrorKindsOverTime,
  FirstAttemptWeekRow,
  LibraryAlternativesCount,
} from "./queries.js";
import {
  attemptsDistribution,
  costPerSuccessfulComponent,
  errorKindsOverTime,
  firstAttemptSuccessByWeek,
  knownLibraryAlternatives,
  metricsInstallations,
  patternLibrarySize,
} from "./queries.js";
import { weeksWindowStart } from "./week.js";

export interface StatsReport {
  /** The installation these figures are of: a report never mixes installations. */
  installationId: number;
  /** Start of the window (Monday 00:00 UTC of the oldest week), epoch ms. */
  since: number;
  weeks: number;
  firstAttemptByWeek: FirstAttemptWeekRow[];
  attempts: AttemptsBucket[];
  cost: CostPerSuccessRow[];
  errorKinds: ErrorKindsOverTime;
  patternLibrarySize: number;
  libraryAlternatives: LibraryAlternativesCount;
}

function statsOf(db: Database, installationId: number, options: { now: number; weeks: number }): StatsReport {
  const since = weeksWindowStart(options.now, options.weeks);
  const range = { since };
  return {
    installationId,
    since,
    weeks: options.weeks,
    firstAttemptByWeek: firstAttemptSuccessByWeek(db, installationId, range),
    attempts: attemptsDistribution(db, installationId, range),
    cost: costPerSuccessfulComponent(db, installationId, range),
    errorKinds: errorKindsOverTime(db, installationId, range),
    patternLibrarySize: patternLibrarySize(db, installationId),
    libraryAlternatives: knownLibraryAlternatives(db),
  };
}

/** One installation's figures for the `weeks` most recent ISO weeks up to `now` (store sizes are not windowed). */
export function collectStats(db: Database, installationId: number, options: { now: number; weeks: number }): StatsReport {
  return db.transaction((): StatsReport => statsOf(db, installationId, options))();
}

/** Every installation's figures, each apart, in installation id order, read in one transaction. */
export function collectStatsPerInstallation(db: Database, options: { now: number; weeks: number }): StatsReport[] {
  return db.transaction((): StatsReport[] => metricsInstallations(db).map((id) => statsOf(db, id, options)))();
}
