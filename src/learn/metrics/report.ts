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
  patternLibrarySize,
} from "./queries.js";
import { weeksWindowStart } from "./week.js";

export interface StatsReport {
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

/** The figures for the `weeks` most recent ISO weeks up to `now` (store sizes are not windowed). */
export function collectStats(db: Database, options: { now: number; weeks: number }): StatsReport {
  const since = weeksWindowStart(options.now, options.weeks);
  const range = { since };
  return db.transaction(
    (): StatsReport => ({
      since,
      weeks: options.weeks,
      firstAttemptByWeek: firstAttemptSuccessByWeek(db, range),
      attempts: attemptsDistribution(db, range),
      cost: costPerSuccessfulComponent(db, range),
      errorKinds: errorKindsOverTime(db, range),
      patternLibrarySize: patternLibrarySize(db),
      libraryAlternatives: knownLibraryAlternatives(db),
    }),
  )();
}
