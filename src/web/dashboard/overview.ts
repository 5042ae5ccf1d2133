/**
 * Everything the dashboard shows of one installation, read in one transaction so the figures agree. It reuses
 * the learning layer's scoped queries with the whole installation as the scope: nothing of another
 * installation is read. The JSON API answers this object as it is.
 */
import type { Kysely } from "kysely";
import { kyselyOverStore } from "../../db/over-store.js";
import type { Tables } from "../../db/schema.js";
import { getJob, requeueDead, type JobStatus } from "../../jobs/queue.js";
import { compatibilityScore, listAlternatives, listLibrarySummaries, type CompatibilityScore } from "../../learn/libraries/index.js";
import { listRules, discardRules, promoteRules, type StoredRule } from "../../learn/fixes/store.js";
import { collectStats, type StatsReport } from "../../learn/metrics/index.js";
import { monthSpend, topSignatures, weeklyFigures, type MonthSpend, type SignatureTrend, type WeekFigures } from "../../learn/metrics/weekly.js";
import { installationScope } from "../../learn/scope.js";
import { listActions, recordAction, type AuditEntry } from "../../store/audit.js";
import type { Database } from "../../store/database.js";

export interface RuleView {
  id: number;
  status: StoredRule["status"];
  description: string;
  before: string;
  after: string;
  applications: number;
  successes: number;
  failures: number;
  /** successes / (successes + failures) after the rule was applied; null before any outcome. */
  successRate: number | null;
  sources: { repo: string; prNumber: number; commitSha: string; author: string | null }[];
}

export interface LibraryView {
  library: string;
  airflowMajor: "2" | "3";
  score: CompatibilityScore;
  /** Import and execution outcomes behind the score. */
  evidence: { importOk: number; importFailed: number; execOk: number; execFailed: number; conflicts: number };
  lastOutcomeAt: number;
  alternatives: string[];
}

export interface JobView {
  id: number;
  type: string;
  state: string;
  attempts: number;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface QueueView {
  counts: Record<JobStatus, number>;
  /** Jobs still to run (queued, waiting to retry, running). */
  depth: number;
  /** The oldest job still to run, epoch ms; null when none. */
  oldestPendingAt: number | null;
  dead: JobView[];
}

export interface InstallationOverview {
  installationId: number;
  generatedAt: number;
  weeks: WeekFigures[];
  spend: MonthSpend;
  signatures: SignatureTrend[];
  rules: RuleView[];
  libraries: LibraryView[];
  queue: QueueView;
  stats: StatsReport;
  audit: AuditEntry[];
}

function ruleView(rule: StoredRule): RuleView {
  const decided = rule.successes + rule.failures;
  return {
    id: rule.id,
    status: rule.status,
    description: rule.description,
    before: rule.before,
    after: rule.after,
    applications: rule.applications,
    successes: rule.successes,
    failures: rule.failures,
    successRate: decided === 0 ? null : rule.successes / decided,
    sources: rule.sources.map((s) => ({ repo: s.repo, prNumber: s.prNumber, commitSha: s.commitSha, author: s.author ?? null })),
  };
}

async function libraries(db: Kysely<Tables>, installationId: number): Promise<LibraryView[]> {
  const views: LibraryView[] = [];
  for (const s of await listLibrarySummaries(db, installationScope(installationId))) {
    views.push({
    library: s.library,
    airflowMajor: s.airflowMajor,
    score: compatibilityScore(s.counts),
    evidence: {
      importOk: s.counts.importOk, importFailed: s.counts.importFailed, execOk: s.counts.execOk, execFailed: s.counts.execFailed, conflicts: s.counts.conflict,
    },
    lastOutcomeAt: s.lastOutcomeAt,
    alternatives: (await listAlternatives(db, s.library, [s.airflowMajor])).map((a) => a.name),
    });
  }
  return views;
}

/** Jobs carry their installation in the payload (the worker authenticates as it). */
const OWN_JOB = "json_valid(payload_json) AND json_extract(payload_json, '$.installationId') = ?";

function queue(db: Database, installationId: number): QueueView {
  const counts: Record<JobStatus, number> = { queued: 0, running: 0, succeeded: 0, failed: 0, dead: 0 };
  for (const r of db.prepare(`SELECT status, COUNT(*) AS n FROM jobs WHERE ${OWN_JOB} GROUP BY status`).all(installationId) as { status: JobStatus; n: number }[]) {
    counts[r.status] = r.n;
  }
  const oldest = db
    .prepare(`SELECT MIN(created_at) AS at FROM jobs WHERE status IN ('queued', 'failed', 'running') AND ${OWN_JOB}`)
    .get(installationId) as { at: number | null };
  const dead = db
    .prepare(`SELECT id, type, status, attempts, last_error, created_at, updated_at FROM jobs WHERE status = 'dead' AND ${OWN_JOB} ORDER BY id DESC LIMIT 50`)
    .all(installationId) as { id: number; type: string; status: string; attempts: number; last_error: string | null; created_at: number; updated_at: number }[];
  return {
    counts,
    depth: counts.queued + counts.failed + counts.running,
    oldestPendingAt: oldest.at,
    dead: dead.map((j) => ({ id: j.id, type: j.type, state: j.status, attempts: j.attempts, lastError: j.last_error, createdAt: j.created_at, updatedAt: j.updated_at })),
  };
}

export async function installationOverview(db: Database, installationId: number, options: { now: number; weeks: number }): Promise<InstallationOverview> {
  // Library reads are on Kysely already, over the same connection; the rest still reads synchronously.
  const libraryViews = await libraries(kyselyOverStore(db), installationId);
  return db.transaction(
    (): InstallationOverview => ({
      installationId,
      generatedAt: options.now,
      weeks: weeklyFigures(db, installationId, options),
      spend: monthSpend(db, installationId, options.now),
      signatures: topSignatures(db, installationId, { now: options.now, limit: 15 }),
      rules: listRules(db, installationScope(installationId)).filter((r) => r.mergedInto === null).map(ruleView),
      libraries: libraryViews,
      queue: queue(db, installationId),
      stats: collectStats(db, installationId, options),
      audit: listActions(db, installationId),
    }),
  )();
}

export interface Actor {
  user: string;
  via: "github" | "token";
}

export type ActionResult = { ok: true; message: string } | { ok: false; status: number; message: string };

/** Trusts or discards one of the installation's rules and records who did it, in one transaction. */
export function setRuleVerdict(db: Database, installationId: number, ruleId: number, verdict: "trust" | "discard", actor: Actor, now: number): ActionResult {
  return db.transaction((): ActionResult => {
    const scope = installationScope(installationId);
    try {
      if (verdict === "trust") promoteRules(db, scope, [ruleId], now);
      else discardRules(db, scope, [ruleId], now);
    } catch {
      // The store refuses a rule outside the scope as missing; say no more than that.
      return { ok: false, status: 404, message: `rule ${ruleId} is not one of this installation's rules` };
    }
    recordAction(db, { installationId, actor: actor.user, via: actor.via, action: verdict === "trust" ? "trust_rule" : "discard_rule", targetId: ruleId, createdAt: now });
    return { ok: true, message: `rule ${ruleId} ${verdict === "trust" ? "trusted" : "discarded"}` };
  })();
}

/** Puts one of the installation's dead jobs back in the queue and records who did it. */
export function requeueJob(db: Database, installationId: number, jobId: number, actor: Actor, now: number): ActionResult {
  return db.transaction((): ActionResult => {
    const job = getJob(db, jobId);
    const owner = job !== null && typeof job.payload === "object" && job.payload !== null ? (job.payload as { installationId?: unknown }).installationId : undefined;
    if (job === null || owner !== installationId) return { ok: false, status: 404, message: `job ${jobId} is not one of this installation's jobs` };
    if (!requeueDead(db, jobId, now)) return { ok: false, status: 409, message: `job ${jobId} is not dead, or the same work is already queued` };
    recordAction(db, { installationId, actor: actor.user, via: actor.via, action: "requeue_job", targetId: jobId, createdAt: now });
    return { ok: true, message: `job ${jobId} requeued` };
  })();
}

export interface InstallationSummary {
  id: number;
  account: string;
  /** Over the last four weeks. */
  specs: number;
  merged: number;
  firstAttemptRate: number | null;
  deadJobs: number;
}

/** The line of the installations list: the last four weeks at a glance, and whether jobs need attention. */
export function installationSummary(db: Database, installation: { id: number; account: string }, now: number): InstallationSummary {
  const weeks = weeklyFigures(db, installation.id, { now, weeks: 4 });
  const decided = weeks.reduce((n, w) => n + w.decided, 0);
  const dead = db.prepare(`SELECT COUNT(*) AS n FROM jobs WHERE status = 'dead' AND ${OWN_JOB}`).get(installation.id) as { n: number };
  return {
    ...installation,
    specs: weeks.reduce((n, w) => n + w.specs, 0),
    merged: weeks.reduce((n, w) => n + w.merged, 0),
    firstAttemptRate: decided === 0 ? null : weeks.reduce((n, w) => n + w.firstAttemptSuccesses, 0) / decided,
    deadJobs: dead.n,
  };
}
