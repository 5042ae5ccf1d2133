/** Every figure of `opforge stats` and the dashboard, gathered in one read transaction so they agree. */
import type { Kysely } from "kysely";
import type { Tables } from "../../db/schema.js";
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
import { readSnapshot } from "./snapshot.js";
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

/** The report, read without a transaction of its own: callers read it inside theirs. */
export async function statsOf(db: Kysely<Tables>, installationId: number, options: { now: number; weeks: number }): Promise<StatsReport> {
  const since = weeksWindowStart(options.now, options.weeks);
  const range = { since };
  return {
    installationId,
    since,
    weeks: options.weeks,
    firstAttemptByWeek: await firstAttemptSuccessByWeek(db, installationId, range),
    attempts: await attemptsDistribution(db, installationId, range),
    cost: await costPerSuccessfulComponent(db, installationId, range),
    errorKinds: await errorKindsOverTime(db, installationId, range),
    patternLibrarySize: await patternLibrarySize(db, installationId),
    libraryAlternatives: await knownLibraryAlternatives(db),
  };
}

/** One installation's figures for the `weeks` most recent ISO weeks up to `now` (store sizes are not windowed). */
export function collectStats(db: Kysely<Tables>, installationId: number, options: { now: number; weeks: number }): Promise<StatsReport> {
  return readSnapshot(db, (trx) => statsOf(trx, installationId, options));
}

/** Every installation's figures, each apart, in installation id order, read in one transaction. */
export function collectStatsPerInstallation(db: Kysely<Tables>, options: { now: number; weeks: number }): Promise<StatsReport[]> {
  return readSnapshot(db, async (trx) => {
    const reports: StatsReport[] = [];
    for (const id of await metricsInstallations(trx)) reports.push(await statsOf(trx, id, options));
    return reports;
  });
}
