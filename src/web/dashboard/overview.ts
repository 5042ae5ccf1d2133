/**
 * Everything the dashboard shows of one installation, read in one transaction so the figures agree. It reuses
 * the learning layer's scoped queries with the whole installation as the scope: nothing of another
 * installation is read. The JSON API answers this object as it is.
 */
import type { Kysely } from "kysely";
import type { Tables } from "../../db/schema.js";
import { getJob, requeueDead, type JobStatus } from "../../jobs/queue.js";
import { compatibilityScore, listAlternatives, listLibrarySummaries, type CompatibilityScore } from "../../learn/libraries/index.js";
import { listRules, discardRules, promoteRules, type StoredRule } from "../../learn/fixes/store.js";
import { jobOfInstallation } from "../../learn/metrics/job-payload.js";
import { readSnapshot, statsOf, type StatsReport } from "../../learn/metrics/index.js";
import { monthSpend, topSignatures, weeklyFigures, type MonthSpend, type SignatureTrend, type WeekFigures } from "../../learn/metrics/weekly.js";
import { installationScope } from "../../learn/scope.js";
import { listActions, recordAction, type AuditEntry } from "../../store/audit.js";


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

const PENDING: JobStatus[] = ["queued", "failed", "running"];

/** The installation's jobs: counts per state, what is still to run, and the dead jobs (newest first, at most 50). */
export async function installationQueue(db: Kysely<Tables>, installationId: number): Promise<QueueView> {
  const own = db.selectFrom("jobs").where(jobOfInstallation(db, installationId));
  const counts: Record<JobStatus, number> = { queued: 0, running: 0, succeeded: 0, failed: 0, dead: 0 };
  for (const r of await own.select((eb) => ["status", eb.fn.countAll<number>().as("n")]).groupBy("status").execute()) counts[r.status] = r.n;
  const oldest = await own.select((eb) => eb.fn.min<number | null>("created_at").as("at")).where("status", "in", PENDING).executeTakeFirstOrThrow();
  const dead = await own
    .select(["id", "type", "status", "attempts", "last_error", "created_at", "updated_at"])
    .where("status", "=", "dead")
    .orderBy("id", "desc")
    .limit(50)
    .execute();
  return {
    counts,
    depth: counts.queued + counts.failed + counts.running,
    oldestPendingAt: oldest.at,
    dead: dead.map((j) => ({ id: j.id, type: j.type, state: j.status, attempts: j.attempts, lastError: j.last_error, createdAt: j.created_at, updatedAt: j.updated_at })),
  };
}

export function installationOverview(db: Kysely<Tables>, installationId: number, options: { now: number; weeks: number }): Promise<InstallationOverview> {
  return readSnapshot(db, async (trx): Promise<InstallationOverview> => ({
    installationId,
    generatedAt: options.now,
    weeks: await weeklyFigures(trx, installationId, options),
    spend: await monthSpend(trx, installationId, options.now),
    signatures: await topSignatures(trx, installationId, { now: options.now, limit: 15 }),
    rules: (await listRules(trx, installationScope(installationId))).filter((r) => r.mergedInto === null).map(ruleView),
    libraries: await libraries(trx, installationId),
    queue: await installationQueue(trx, installationId),
    stats: await statsOf(trx, installationId, options),
    audit: await listActions(trx, installationId),
  }));
}

export interface Actor {
  user: string;
  via: "github" | "token";
}

export type ActionResult = { ok: true; message: string } | { ok: false; status: number; message: string };

/** Trusts or discards one of the installation's rules and records who did it, in one transaction. */
export async function setRuleVerdict(kysely: Kysely<Tables>, installationId: number, ruleId: number, verdict: "trust" | "discard", actor: Actor, now: number): Promise<ActionResult> {
  return kysely.transaction().execute(async (trx): Promise<ActionResult> => {
    const scope = installationScope(installationId);
    try {
      if (verdict === "trust") await promoteRules(trx, scope, [ruleId], now);
      else await discardRules(trx, scope, [ruleId], now);
    } catch {
      // The store refuses a rule outside the scope as missing; say no more than that.
      return { ok: false, status: 404, message: `rule ${ruleId} is not one of this installation's rules` };
    }
    await recordAction(trx, { installationId, actor: actor.user, via: actor.via, action: verdict === "trust" ? "trust_rule" : "discard_rule", targetId: ruleId, createdAt: now });
    return { ok: true, message: `rule ${ruleId} ${verdict === "trust" ? "trusted" : "discarded"}` };
  });
}

/** Puts one of the installation's dead jobs back in the queue and records who did it. */
export async function requeueJob(kysely: Kysely<Tables>, installationId: number, jobId: number, actor: Actor, now: number): Promise<ActionResult> {
  return kysely.transaction().execute(async (trx): Promise<ActionResult> => {
    const job = await getJob(trx, jobId);
    const owner = job !== null && typeof job.payload === "object" && job.payload !== null ? (job.payload as { installationId?: unknown }).installationId : undefined;
    if (job === null || owner !== installationId) return { ok: false, status: 404, message: `job ${jobId} is not one of this installation's jobs` };
    if (!(await requeueDead(trx, jobId, now))) return { ok: false, status: 409, message: `job ${jobId} is not dead, or the same work is already queued` };
    await recordAction(trx, { installationId, actor: actor.user, via: actor.via, action: "requeue_job", targetId: jobId, createdAt: now });
    return { ok: true, message: `job ${jobId} requeued` };
  });
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
export async function installationSummary(db: Kysely<Tables>, installation: { id: number; account: string }, now: number): Promise<InstallationSummary> {
  const weeks = await weeklyFigures(db, installation.id, { now, weeks: 4 });
  const decided = weeks.reduce((n, w) => n + w.decided, 0);
  const dead = await db
    .selectFrom("jobs")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("status", "=", "dead")
    .where(jobOfInstallation(db, installation.id))
    .executeTakeFirstOrThrow();
  return {
    ...installation,
    specs: weeks.reduce((n, w) => n + w.specs, 0),
    merged: weeks.reduce((n, w) => n + w.merged, 0),
    firstAttemptRate: decided === 0 ? null : weeks.reduce((n, w) => n + w.firstAttemptSuccesses, 0) / decided,
    deadJobs: dead.n,
  };
}
