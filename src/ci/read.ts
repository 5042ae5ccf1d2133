import { DEFAULT_LOG_TAIL_BYTES } from "./log-text.js";
import { FAILING_CONCLUSIONS, normalizeCheckRun } from "./normalize.js";
import type { AnnotationInput, CiFailure, CiOctokit } from "./types.js";

/** The check run fields opforge keeps, read from the REST API's check run object. */
export interface CheckRunInfo {
  id: number;
  name: string;
  headSha: string;
  status: string;
  conclusion: string | null;
  detailsUrl: string | null;
  appId?: number;
  appSlug?: string;
  checkSuiteId?: number;
  startedAt: string | null;
  completedAt: string | null;
  output: { title: string | null; summary: string | null; text: string | null; annotationsCount: number };
}

export interface CheckSuiteInfo {
  id: number;
  appId?: number;
  appSlug?: string;
  status: string | null;
  conclusion: string | null;
  createdAt: string | null;
  /** Check runs of this suite among the latest runs for the ref. */
  runCount: number;
  /** Why the suite does not count towards the state, when it does not. */
  ignoredBecause?: "own_app" | "only_ignored_runs" | "no_runs_after_grace";
  /**
   * A suite with no check runs still within the grace period: when it stops counting (epoch ms). From then
   * on a summary treats it as absent.
   */
  silentUntil?: number;
}

export type ChecksState = "pending" | "success" | "failure";

export interface ChecksSummary {
  state: ChecksState;
  /** One sentence on why the state is what it is, for logs and comments. */
  reason: string;
  suites: CheckSuiteInfo[];
  /** Latest check runs that count (not opforge's own, not ignored by name). */
  runs: CheckRunInfo[];
  /** Completed runs with a failing conclusion; filled even while other checks are pending. */
  failedRuns: CheckRunInfo[];
}

export interface OwnApp {
  id?: number;
  slug?: string;
}

export interface SummarizeChecksOptions {
  owner: string;
  repo: string;
  /** Commit SHA (or branch/tag) whose checks to read. */
  ref: string;
  /** Check run names that never count, such as opforge's own validation check. */
  ignoreCheckNames?: readonly string[];
  /** opforge's GitHub App: its check suite never counts. */
  ownApp?: OwnApp;
  /** A suite with no check runs stops counting once it is older than this (apps that never report). */
  emptySuiteGraceMs?: number;
  now?: () => Date;
}

export const DEFAULT_IGNORED_CHECK_NAMES: readonly string[] = ["opforge/validate"];
export const DEFAULT_EMPTY_SUITE_GRACE_MS = 10 * 60 * 1000;

interface ApiApp {
  id?: number;
  slug?: string;
}

interface ApiCheckRun {
  id: number;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  details_url?: string | null;
  started_at?: string | null;
  completed_at?: string | null;
  app?: ApiApp | null;
  check_suite?: { id: number } | null;
  output?: { title?: string | null; summary?: string | null; text?: string | null; annotations_count?: number } | null;
}

interface ApiCheckSuite {
  id: number;
  status: string | null;
  conclusion: string | null;
  created_at?: string | null;
  latest_check_runs_count?: number;
  app?: ApiApp | null;
}

function toCheckRunInfo(run: ApiCheckRun): CheckRunInfo {
  const info: CheckRunInfo = {
    id: run.id,
    name: run.name,
    headSha: run.head_sha,
    status: run.status,
    conclusion: run.conclusion,
    detailsUrl: run.details_url ?? null,
    startedAt: run.started_at ?? null,
    completedAt: run.completed_at ?? null,
    output: {
      title: run.output?.title ?? null,
      summary: run.output?.summary ?? null,
      text: run.output?.text ?? null,
      annotationsCount: run.output?.annotations_count ?? 0,
    },
  };
  if (run.app?.id !== undefined) info.appId = run.app.id;
  if (run.app?.slug !== undefined) info.appSlug = run.app.slug;
  if (run.check_suite?.id !== undefined) info.checkSuiteId = run.check_suite.id;
  return info;
}

function isOwnApp(app: ApiApp | null | undefined, own: OwnApp | undefined): boolean {
  if (!app || !own) return false;
  return (own.id !== undefined && app.id === own.id) || (own.slug !== undefined && app.slug === own.slug);
}

async function listLatestRuns(octokit: CiOctokit, owner: string, repo: string, ref: string): Promise<ApiCheckRun[]> {
  return (await octokit.paginate(octokit.rest.checks.listForRef, { owner, repo, ref, filter: "latest", per_page: 100 })) as ApiCheckRun[];
}

/**
 * Whether the checks of a commit are done and how they went. Pending while a counted suite or run is
 * not completed; failure when a completed run failed, timed out, was cancelled, needs action or did not
 * start; neutral, skipped and success pass. With no counted check at all the state stays pending.
 */
export async function summarizeChecks(octokit: CiOctokit, options: SummarizeChecksOptions): Promise<ChecksSummary> {
  const { owner, repo, ref } = options;
  const ignored = new Set(options.ignoreCheckNames ?? DEFAULT_IGNORED_CHECK_NAMES);
  const grace = options.emptySuiteGraceMs ?? DEFAULT_EMPTY_SUITE_GRACE_MS;
  const now = (options.now ?? (() => new Date()))().getTime();

  const [apiSuites, apiRuns] = await Promise.all([
    octokit.paginate(octokit.rest.checks.listSuitesForRef, { owner, repo, ref, per_page: 100 }) as Promise<ApiCheckSuite[]>,
    listLatestRuns(octokit, owner, repo, ref),
  ]);

  const runsBySuite = new Map<number, ApiCheckRun[]>();
  for (const run of apiRuns) {
    const suiteId = run.check_suite?.id;
    if (suiteId === undefined) continue;
    const list = runsBySuite.get(suiteId);
    if (list) list.push(run);
    else runsBySuite.set(suiteId, [run]);
  }

  const suites = apiSuites.map((suite): CheckSuiteInfo => {
    const suiteRuns = runsBySuite.get(suite.id) ?? [];
    const info: CheckSuiteInfo = {
      id: suite.id,
      status: suite.status,
      conclusion: suite.conclusion,
      createdAt: suite.created_at ?? null,
      runCount: suiteRuns.length,
    };
    if (suite.app?.id !== undefined) info.appId = suite.app.id;
    if (suite.app?.slug !== undefined) info.appSlug = suite.app.slug;
    if (isOwnApp(suite.app, options.ownApp)) info.ignoredBecause = "own_app";
    else if (suiteRuns.length > 0 && suiteRuns.every((run) => ignored.has(run.name))) info.ignoredBecause = "only_ignored_runs";
    else if (suiteRuns.length === 0 && !suite.latest_check_runs_count) {
      const created = suite.created_at ? Date.parse(suite.created_at) : Number.NaN;
      // An app subscribed to check suites gets one per push even if it never reports: don't wait forever.
      if (Number.isNaN(created) || now - created >= grace) info.ignoredBecause = "no_runs_after_grace";
      else info.silentUntil = created + grace;
    }
    return info;
  });

  const runs = apiRuns.filter((run) => !ignored.has(run.name) && !isOwnApp(run.app, options.ownApp)).map(toCheckRunInfo);
  const failedRuns = runs.filter((run) => run.status === "completed" && run.conclusion !== null && FAILING_CONCLUSIONS.has(run.conclusion));
  const pendingSuites = suites.filter((suite) => suite.ignoredBecause === undefined && suite.status !== "completed");
  const pendingRuns = runs.filter((run) => run.status !== "completed");

  let state: ChecksState;
  let reason: string;
  if (pendingSuites.length > 0 || pendingRuns.length > 0) {
    state = "pending";
    const names = pendingRuns.map((run) => run.name);
    reason =
      names.length > 0
        ? `waiting for ${names.join(", ")}`
        : `waiting for ${pendingSuites.length} check suite(s) from ${[...new Set(pendingSuites.map((s) => s.appSlug ?? "unknown app"))].join(", ")}`;
  } else if (failedRuns.length > 0) {
    state = "failure";
    reason = `failed: ${failedRuns.map((run) => `${run.name} (${run.conclusion})`).join(", ")}`;
  } else if (runs.length === 0) {
    state = "pending";
    reason = "no check runs reported yet";
  } else {
    state = "success";
    reason = `${runs.length} check run(s) passed`;
  }
  return { state, reason, suites, runs, failedRuns };
}

/** Something that could not be read; failures were built from what else was there. */
export interface ReadNote {
  checkRunId: number;
  checkName: string;
  source: "annotations" | "log";
  status?: number;
  message: string;
}

export interface ReadFailuresOptions {
  owner: string;
  repo: string;
  failedRuns: readonly CheckRunInfo[];
  /** Bytes read from the end of each job log. */
  logTailBytes?: number;
}

export interface ReadFailuresResult {
  failures: CiFailure[];
  notes: ReadNote[];
}

const ACTIONS_JOB_URL = /\/actions\/runs\/(\d+)\/job\/(\d+)/;

/** The Actions job behind a check run, if it is one: from its details URL, else its id (they match). */
export function actionsJobId(run: Pick<CheckRunInfo, "id" | "appSlug" | "detailsUrl">): number | undefined {
  const match = run.detailsUrl ? ACTIONS_JOB_URL.exec(run.detailsUrl) : null;
  if (match) return Number(match[2]);
  return run.appSlug === "github-actions" ? run.id : undefined;
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null || !("status" in error)) return undefined;
  const status = (error as { status: unknown }).status;
  return typeof status === "number" ? status : undefined;
}

function explain(source: ReadNote["source"], status: number | undefined, error: unknown): string {
  const what = source === "log" ? "job log" : "annotations";
  if (status === 403) return `no permission to read the ${what} (the app needs ${source === "log" ? "actions" : "checks"}: read)`;
  if (status === 404 || status === 410) return `the ${what} no longer exist${source === "log" ? " (logs expire)" : ""}`;
  const detail = error instanceof Error ? error.message : String(error);
  return `could not read the ${what}: ${detail.slice(0, 200)}`;
}

function logText(data: unknown): string {
  if (typeof data === "string") return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString("utf8");
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("utf8");
  return "";
}

/**
 * Failures of the given failed check runs, from their output, annotations and (for Actions jobs) job
 * logs. A source that cannot be read (403, 404, 410, any error) becomes a note; this never throws.
 */
export async function readCiFailures(octokit: CiOctokit, options: ReadFailuresOptions): Promise<ReadFailuresResult> {
  const { owner, repo } = options;
  const logTailBytes = options.logTailBytes ?? DEFAULT_LOG_TAIL_BYTES;
  const failures: CiFailure[] = [];
  const notes: ReadNote[] = [];
  for (const run of options.failedRuns) {
    const note = (source: ReadNote["source"], error: unknown): void => {
      const status = statusOf(error);
      const entry: ReadNote = { checkRunId: run.id, checkName: run.name, source, message: explain(source, status, error) };
      if (status !== undefined) entry.status = status;
      notes.push(entry);
    };

    let annotations: AnnotationInput[] = [];
    if (run.output.annotationsCount > 0) {
      try {
        annotations = (await octokit.paginate(octokit.rest.checks.listAnnotations, {
          owner,
          repo,
          check_run_id: run.id,
          per_page: 100,
        })) as AnnotationInput[];
      } catch (error) {
        note("annotations", error);
      }
    }

    let log: string | undefined;
    const jobId = actionsJobId(run);
    if (jobId !== undefined) {
      try {
        const response = await octokit.rest.actions.downloadJobLogsForWorkflowRun({ owner, repo, job_id: jobId });
        log = logText(response.data as unknown);
      } catch (error) {
        note("log", error);
      }
    }

    failures.push(
      ...normalizeCheckRun({
        checkRun: { name: run.name, conclusion: run.conclusion, output: run.output },
        annotations,
        ...(log === undefined ? {} : { log }),
        logTailBytes,
      }),
    );
  }
  return { failures, notes };
}

/** `readCiFailures` without the notes. */
export async function readFailures(octokit: CiOctokit, options: ReadFailuresOptions): Promise<CiFailure[]> {
  return (await readCiFailures(octokit, options)).failures;
}

export interface FailsOnBaseOptions {
  owner: string;
  repo: string;
  /** Head commit of the base branch. */
  baseSha: string;
  /** Check names that failed on the pull request. */
  checkName: string | readonly string[];
}

/**
 * Which of the given checks also fail on the base branch's head commit, by name only. A check that did not
 * run on base is not reported. Whether a given failure is pre-existing is `readBaseFailures`' question.
 */
export async function failsOnBase(octokit: CiOctokit, options: FailsOnBaseOptions): Promise<string[]> {
  const wanted = new Set(typeof options.checkName === "string" ? [options.checkName] : options.checkName);
  if (wanted.size === 0) return [];
  const runs = await listLatestRuns(octokit, options.owner, options.repo, options.baseSha);
  const failing = new Set<string>();
  for (const run of runs) {
    if (wanted.has(run.name) && run.status === "completed" && run.conclusion !== null && FAILING_CONCLUSIONS.has(run.conclusion)) {
      failing.add(run.name);
    }
  }
  return [...wanted].filter((name) => failing.has(name));
}

export interface BaseFailures {
  /** The failures read from the base branch head's failing runs of the given checks. */
  failures: CiFailure[];
  /** Their fingerprints (check, label and literal-free message). */
  fingerprints: Set<string>;
}

/**
 * The failures the base branch's head already has in the given checks. A failure of the pull request is
 * pre-existing only when its fingerprint is among these: a red check of the same name with another failure
 * in it does not hide the pull request's own.
 */
export async function readBaseFailures(
  octokit: CiOctokit,
  options: FailsOnBaseOptions & { logTailBytes?: number },
): Promise<BaseFailures> {
  const wanted = new Set(typeof options.checkName === "string" ? [options.checkName] : options.checkName);
  if (wanted.size === 0) return { failures: [], fingerprints: new Set() };
  const runs = await listLatestRuns(octokit, options.owner, options.repo, options.baseSha);
  const failedRuns = runs
    .filter((run) => wanted.has(run.name) && run.status === "completed" && run.conclusion !== null && FAILING_CONCLUSIONS.has(run.conclusion))
    .map(toCheckRunInfo);
  if (failedRuns.length === 0) return { failures: [], fingerprints: new Set() };
  const { failures } = await readCiFailures(octokit, {
    owner: options.owner,
    repo: options.repo,
    failedRuns,
    ...(options.logTailBytes === undefined ? {} : { logTailBytes: options.logTailBytes }),
  });
  return { failures, fingerprints: new Set(failures.map((f) => f.fingerprint)) };
}
