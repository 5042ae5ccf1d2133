import { Octokit } from "@octokit/rest";
import nock from "nock";
import { describe, expect, it } from "vitest";
import { failureFingerprint } from "../../src/ci/fingerprint.js";
import { actionsJobId, failsOnBase, readBaseFailures, readCiFailures, readFailures, summarizeChecks, type CheckRunInfo } from "../../src/ci/read.js";
import { fixtureJson, fixtureText } from "./fixtures.js";
import { useNock } from "../support/nock.js";

const API = "https://api.github.com";
const REPO_PATH = "/repos/acme/airflow-ops";
const HEAD = "9f4c2d1e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e";
const BASE = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e";
const OPFORGE_APP = { id: 1044321, slug: "opforge" };
const NOW = () => new Date("2024-11-20T15:00:00Z");

interface RunsPage {
  total_count: number;
  check_runs: Array<Record<string, unknown> & { name: string; status: string; conclusion: string | null; check_suite: { id: number } }>;
}
interface SuitesPage {
  total_count: number;
  check_suites: Array<Record<string, unknown> & { id: number; status: string | null; conclusion: string | null; created_at: string; latest_check_runs_count: number }>;
}

function octokit(): Octokit {
  return new Octokit({ auth: "ghs_installationtoken", request: { retries: 0 }, log: { debug() {}, info() {}, warn() {}, error() {} } });
}

const headRuns = (): RunsPage => fixtureJson<RunsPage>("check-runs.head.json");
const headSuites = (): SuitesPage => fixtureJson<SuitesPage>("check-suites.head.json");

function mockChecks(suites: SuitesPage, runs: RunsPage): void {
  nock(API)
    .get(`${REPO_PATH}/commits/${HEAD}/check-suites`)
    .query({ per_page: "100" })
    .reply(200, suites)
    .get(`${REPO_PATH}/commits/${HEAD}/check-runs`)
    .query({ filter: "latest", per_page: "100" })
    .reply(200, runs);
}

useNock();

describe("summarizeChecks", () => {
  it("reports failure with the failed runs, ignoring opforge's own suite and an app suite that never reported", async () => {
    mockChecks(headSuites(), headRuns());
    const summary = await summarizeChecks(octokit(), { owner: "acme", repo: "airflow-ops", ref: HEAD, ownApp: OPFORGE_APP, now: NOW });
    expect(summary.state).toBe("failure");
    expect(summary.failedRuns.map((r) => r.name)).toEqual(["test (3.11)", "lint", "dag-import"]);
    expect(summary.runs.map((r) => r.name)).toEqual(["test (3.11)", "lint", "compile", "dag-import", "codecov/patch"]);
    expect(summary.suites.map((s) => [s.appSlug, s.ignoredBecause ?? null])).toEqual([
      ["github-actions", null],
      ["opforge", "own_app"],
      ["codecov", null],
      ["renovate", "no_runs_after_grace"],
    ]);
    expect(summary.reason).toBe("failed: test (3.11) (failure), lint (failure), dag-import (failure)");
    expect(summary.failedRuns[0]).toMatchObject({
      id: 33436734521,
      headSha: HEAD,
      appSlug: "github-actions",
      appId: 15368,
      checkSuiteId: 30712345678,
      detailsUrl: "https://github.com/acme/airflow-ops/actions/runs/11995123456/job/33436734521",
      output: { title: null, summary: null, text: null, annotationsCount: 1 },
    });
  });

  it("ignores a suite holding only ignored check names even when the app is not given", async () => {
    mockChecks(headSuites(), headRuns());
    const summary = await summarizeChecks(octokit(), { owner: "acme", repo: "airflow-ops", ref: HEAD, now: NOW });
    expect(summary.state).toBe("failure");
    expect(summary.suites[1]!.ignoredBecause).toBe("only_ignored_runs");
  });

  it("stays pending while a run is in progress, still listing runs that already failed", async () => {
    const suites = headSuites();
    suites.check_suites[0]!.status = "in_progress";
    suites.check_suites[0]!.conclusion = null;
    const runs = headRuns();
    runs.check_runs[2]!.status = "in_progress";
    runs.check_runs[2]!.conclusion = null;
    mockChecks(suites, runs);
    const summary = await summarizeChecks(octokit(), { owner: "acme", repo: "airflow-ops", ref: HEAD, ownApp: OPFORGE_APP, now: NOW });
    expect(summary.state).toBe("pending");
    expect(summary.reason).toBe("waiting for compile");
    expect(summary.failedRuns).toHaveLength(3);
  });

  it("waits for a fresh suite with no runs yet, but not past the grace period", async () => {
    const fresh = headSuites();
    fresh.check_suites[3]!.created_at = "2024-11-20T14:58:00Z";
    mockChecks(fresh, headRuns());
    const waiting = await summarizeChecks(octokit(), { owner: "acme", repo: "airflow-ops", ref: HEAD, ownApp: OPFORGE_APP, now: NOW });
    expect(waiting.state).toBe("pending");
    expect(waiting.reason).toBe("waiting for 1 check suite(s) from renovate");

    mockChecks(fresh, headRuns());
    const shortGrace = await summarizeChecks(octokit(), {
      owner: "acme",
      repo: "airflow-ops",
      ref: HEAD,
      ownApp: OPFORGE_APP,
      now: NOW,
      emptySuiteGraceMs: 60_000,
    });
    expect(shortGrace.state).toBe("failure");
  });

  it("reports success when every counted run passed (neutral and skipped pass)", async () => {
    const runs = headRuns();
    for (const run of runs.check_runs) if (run.conclusion === "failure") run.conclusion = "success";
    runs.check_runs[2]!.conclusion = "skipped";
    mockChecks(headSuites(), runs);
    const summary = await summarizeChecks(octokit(), { owner: "acme", repo: "airflow-ops", ref: HEAD, ownApp: OPFORGE_APP, now: NOW });
    expect(summary.state).toBe("success");
    expect(summary.reason).toBe("5 check run(s) passed");
  });

  it("treats every failing conclusion as failure", async () => {
    for (const conclusion of ["timed_out", "cancelled", "action_required", "startup_failure"]) {
      const runs = headRuns();
      for (const run of runs.check_runs) if (run.conclusion === "failure") run.conclusion = "success";
      runs.check_runs[0]!.conclusion = conclusion;
      mockChecks(headSuites(), runs);
      const summary = await summarizeChecks(octokit(), { owner: "acme", repo: "airflow-ops", ref: HEAD, ownApp: OPFORGE_APP, now: NOW });
      expect([conclusion, summary.state]).toEqual([conclusion, "failure"]);
    }
  });

  it("stays pending when nothing but opforge's own check has reported", async () => {
    const runs = headRuns();
    runs.check_runs = runs.check_runs.filter((r) => r.name === "opforge/validate");
    const suites = headSuites();
    suites.check_suites = suites.check_suites.filter((s) => s.id === 30712345999);
    mockChecks(suites, runs);
    const summary = await summarizeChecks(octokit(), { owner: "acme", repo: "airflow-ops", ref: HEAD, ownApp: OPFORGE_APP, now: NOW });
    expect(summary).toMatchObject({ state: "pending", reason: "no check runs reported yet", runs: [] });
  });

  it("follows pagination of check runs", async () => {
    const all = headRuns();
    const firstPage = { total_count: all.total_count, check_runs: all.check_runs.slice(0, 3) };
    const secondPage = { total_count: all.total_count, check_runs: all.check_runs.slice(3) };
    nock(API)
      .get(`${REPO_PATH}/commits/${HEAD}/check-suites`)
      .query({ per_page: "100" })
      .reply(200, headSuites())
      .get(`${REPO_PATH}/commits/${HEAD}/check-runs`)
      .query({ filter: "latest", per_page: "100" })
      .reply(200, firstPage, {
        link: `<${API}/repositories/873321456/commits/${HEAD}/check-runs?filter=latest&per_page=100&page=2>; rel="next", <${API}/repositories/873321456/commits/${HEAD}/check-runs?filter=latest&per_page=100&page=2>; rel="last"`,
      })
      .get(`/repositories/873321456/commits/${HEAD}/check-runs`)
      .query({ filter: "latest", per_page: "100", page: "2" })
      .reply(200, secondPage);
    const summary = await summarizeChecks(octokit(), { owner: "acme", repo: "airflow-ops", ref: HEAD, ownApp: OPFORGE_APP, now: NOW });
    expect(summary.failedRuns.map((r) => r.name)).toEqual(["test (3.11)", "lint", "dag-import"]);
  });
});

async function failedHeadRuns(): Promise<CheckRunInfo[]> {
  mockChecks(headSuites(), headRuns());
  return (await summarizeChecks(octokit(), { owner: "acme", repo: "airflow-ops", ref: HEAD, ownApp: OPFORGE_APP, now: NOW })).failedRuns;
}

const BLOB = "https://productionresultssa3.blob.core.windows.net";

function mockLog(jobId: number, body: string, contentType = "text/plain; charset=utf-8"): void {
  const blobPath = `/actions-results/5b7e0c1a-3f9e-4a52-8d4e-1f2a3b4c5d6e/workflow-job-run-${jobId}/logs/job/job-logs.txt`;
  nock(API)
    .get(`${REPO_PATH}/actions/jobs/${jobId}/logs`)
    .reply(302, "", { location: `${BLOB}${blobPath}?rsct=text%2Fplain&se=2024-11-20T15%3A10%3A00Z&sig=abc123&sp=r&sr=b&sv=2021-12-02` });
  nock(BLOB).get(blobPath).query(true).reply(200, body, { "content-type": contentType });
}

describe("readCiFailures", () => {
  it("reads output, annotations and the job log behind the redirect for each failed Actions run", async () => {
    const failed = await failedHeadRuns();
    nock(API)
      .get(`${REPO_PATH}/check-runs/33436734521/annotations`)
      .query({ per_page: "100" })
      .reply(200, fixtureJson("annotations.test.json"))
      .get(`${REPO_PATH}/check-runs/33436734522/annotations`)
      .query({ per_page: "100" })
      .reply(200, fixtureJson("annotations.lint.json"))
      .get(`${REPO_PATH}/check-runs/33436734524/annotations`)
      .query({ per_page: "100" })
      .reply(200, fixtureJson("annotations.dag-import.json"));
    mockLog(33436734521, fixtureText("actions-pytest-typeerror.log"));
    mockLog(33436734522, fixtureText("actions-ruff.log"));
    // Blob storage may label the log as binary: it is still read as UTF-8 text.
    mockLog(33436734524, fixtureText("actions-dagbag-import.log"), "application/octet-stream");

    const { failures, notes } = await readCiFailures(octokit(), { owner: "acme", repo: "airflow-ops", failedRuns: failed });
    expect(notes).toEqual([]);
    expect(failures.map((f) => [f.check, f.kind, f.exceptionType ?? f.ruleCode, f.file, f.line])).toEqual([
      ["test (3.11)", "attribute", "AttributeError", "operators/http_status.py", 13],
      ["test (3.11)", "type", "TypeError", "tests/test_s3_report.py", 5],
      ["test (3.11)", "test_failure", "AssertionError", "tests/test_s3_report.py", 10],
      ["lint", "lint", "S602", "operators/shell_export.py", 18],
      ["lint", "lint", "S105", "operators/shell_export.py", 9],
      ["lint", "lint", "F401", "operators/shell_export.py", 1],
      ["dag-import", "dag_import", "ModuleNotFoundError", "dags/example_s3_report.py", 6],
      ["dag-import", "timeout", "AirflowTaskTimeout", "operators/model_scoring.py", 22],
    ]);
  });

  it("uses what else is there when logs expired or permissions are missing, and says so", async () => {
    const failed = await failedHeadRuns();
    nock(API)
      .get(`${REPO_PATH}/check-runs/33436734521/annotations`)
      .query({ per_page: "100" })
      .reply(200, fixtureJson("annotations.test.json"))
      .get(`${REPO_PATH}/actions/jobs/33436734521/logs`)
      .reply(410, { message: "Gone", documentation_url: "https://docs.github.com/rest/actions/workflow-jobs#download-job-logs-for-a-workflow-run" })
      .get(`${REPO_PATH}/check-runs/33436734522/annotations`)
      .query({ per_page: "100" })
      .reply(200, fixtureJson("annotations.lint.json"))
      .get(`${REPO_PATH}/actions/jobs/33436734522/logs`)
      .reply(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest/actions/workflow-jobs#download-job-logs-for-a-workflow-run" })
      .get(`${REPO_PATH}/check-runs/33436734524/annotations`)
      .query({ per_page: "100" })
      .reply(403, { message: "Resource not accessible by integration", documentation_url: "https://docs.github.com/rest/checks/runs#list-check-run-annotations" })
      .get(`${REPO_PATH}/actions/jobs/33436734524/logs`)
      .reply(403, { message: "Resource not accessible by integration", documentation_url: "https://docs.github.com/rest/actions/workflow-jobs#download-job-logs-for-a-workflow-run" });

    const { failures, notes } = await readCiFailures(octokit(), { owner: "acme", repo: "airflow-ops", failedRuns: failed });
    expect(failures.map((f) => [f.check, f.kind, f.ruleCode ?? null, f.message])).toEqual([
      ["test (3.11)", "unknown", null, "Process completed with exit code 1."],
      ["lint", "lint", "S602", "`subprocess` call with `shell=True` identified, security issue"],
      ["lint", "lint", "S105", 'Possible hardcoded password assigned to: "API_TOKEN"'],
      ["lint", "lint", "F401", "`os` imported but unused"],
      ["dag-import", "unknown", null, "dag-import finished with conclusion failure"],
    ]);
    expect(notes.map((n) => [n.checkName, n.source, n.status, n.message])).toEqual([
      ["test (3.11)", "log", 410, "the job log no longer exist (logs expire)"],
      ["lint", "log", 404, "the job log no longer exist (logs expire)"],
      ["dag-import", "annotations", 403, "no permission to read the annotations (the app needs checks: read)"],
      ["dag-import", "log", 403, "no permission to read the job log (the app needs actions: read)"],
    ]);
  });

  it("reads a non-Actions check run from its output alone, without asking for logs", async () => {
    const run: CheckRunInfo = {
      id: 555001,
      name: "airflow-ci/dag-check",
      headSha: HEAD,
      status: "completed",
      conclusion: "failure",
      detailsUrl: "https://ci.example.com/builds/8812",
      appId: 77001,
      appSlug: "airflow-ci",
      startedAt: null,
      completedAt: null,
      output: {
        title: "1 DAG failed to import",
        summary: "Broken DAG: [/opt/airflow/dags/example_rest.py] ModuleNotFoundError: No module named 'hooks'",
        text: null,
        annotationsCount: 0,
      },
    };
    const failures = await readFailures(octokit(), { owner: "acme", repo: "airflow-ops", failedRuns: [run] });
    expect(failures.map((f) => [f.kind, f.exceptionType, f.file])).toEqual([["dag_import", "ModuleNotFoundError", "/opt/airflow/dags/example_rest.py"]]);
  });

  it("reads only the configured number of bytes from the end of a log", async () => {
    const [testRun] = await failedHeadRuns();
    const log = fixtureText("actions-pytest-typeerror.log");
    mockLog(33436734521, log);
    nock(API).get(`${REPO_PATH}/check-runs/33436734521/annotations`).query({ per_page: "100" }).reply(200, []);
    const summaryLine = log.lastIndexOf("\n", log.indexOf("short test summary info")) + 1;
    const tailOnly = log.slice(summaryLine);
    const failures = await readFailures(octokit(), {
      owner: "acme",
      repo: "airflow-ops",
      failedRuns: [testRun!],
      logTailBytes: Buffer.byteLength(tailOnly),
    });
    // Only the short summary survives the cut: failures come from it, with truncated messages. The two
    // parametrized tests whose summary carries no message read the same once literals are removed.
    expect(failures.map((f) => [f.exceptionType ?? null, f.message])).toEqual([
      [null, "tests/test_http_status.py::TestExecute::test_returns_status[/health] failed"],
      ["TypeError", "S3Repor"],
      ["AssertionError", "assert"],
    ]);
  });
});

describe("actionsJobId", () => {
  it("reads the job id from the details URL, or uses the check run id for Actions runs", () => {
    expect(actionsJobId({ id: 1, appSlug: "github-actions", detailsUrl: "https://github.com/o/r/actions/runs/22/job/33" })).toBe(33);
    expect(actionsJobId({ id: 44, appSlug: "github-actions", detailsUrl: null })).toBe(44);
    expect(actionsJobId({ id: 44, appSlug: "codecov", detailsUrl: "https://codecov.io/gh/o/r" })).toBeUndefined();
  });
});

describe("failsOnBase", () => {
  it("returns the given checks that also fail on the base branch head", async () => {
    nock(API)
      .get(`${REPO_PATH}/commits/${BASE}/check-runs`)
      .query({ filter: "latest", per_page: "100" })
      .reply(200, fixtureJson("check-runs.base.json"));
    const names = await failsOnBase(octokit(), { owner: "acme", repo: "airflow-ops", baseSha: BASE, checkName: ["test (3.11)", "lint", "dag-import", "docs"] });
    expect(names).toEqual(["lint"]);
  });

  it("accepts a single check name", async () => {
    nock(API)
      .get(`${REPO_PATH}/commits/${BASE}/check-runs`)
      .query({ filter: "latest", per_page: "100" })
      .reply(200, fixtureJson("check-runs.base.json"));
    expect(await failsOnBase(octokit(), { owner: "acme", repo: "airflow-ops", baseSha: BASE, checkName: "test (3.11)" })).toEqual([]);
  });
});

describe("readBaseFailures", () => {
  it("reads the failures of the base head's failing runs among the given checks, with their fingerprints", async () => {
    nock(API)
      .get(`${REPO_PATH}/commits/${BASE}/check-runs`)
      .query({ filter: "latest", per_page: "100" })
      .reply(200, fixtureJson("check-runs.base.json"))
      .get(`${REPO_PATH}/check-runs/33421100002/annotations`)
      .query({ per_page: "100" })
      .reply(200, fixtureJson("annotations.lint.json"));
    mockLog(33421100002, fixtureText("actions-ruff.log"));
    const base = await readBaseFailures(octokit(), { owner: "acme", repo: "airflow-ops", baseSha: BASE, checkName: ["test (3.11)", "lint"] });
    expect(nock.isDone()).toBe(true); // nothing is read for the passing "test (3.11)"
    expect(base.failures.length).toBeGreaterThan(0);
    expect(new Set(base.failures.map((f) => f.check))).toEqual(new Set(["lint"]));
    expect(base.fingerprints).toEqual(new Set(base.failures.map((f) => f.fingerprint)));
    // The same failure in the same check is pre-existing; in another check, or another failure in that check, it is not.
    const [one] = base.failures;
    if (one === undefined) throw new Error("no failure");
    expect(base.fingerprints.has(failureFingerprint(one))).toBe(true);
    expect(base.fingerprints.has(failureFingerprint({ ...one, check: "test (3.11)" }))).toBe(false);
    expect(base.fingerprints.has(failureFingerprint({ ...one, message: "a failure master does not have" }))).toBe(false);
  });

  it("reads nothing more when none of the given checks fails on the base head", async () => {
    nock(API)
      .get(`${REPO_PATH}/commits/${BASE}/check-runs`)
      .query({ filter: "latest", per_page: "100" })
      .reply(200, fixtureJson("check-runs.base.json"));
    const base = await readBaseFailures(octokit(), { owner: "acme", repo: "airflow-ops", baseSha: BASE, checkName: ["test (3.11)", "docs"] });
    expect(base).toEqual({ failures: [], fingerprints: new Set() });
    expect(await readBaseFailures(octokit(), { owner: "acme", repo: "airflow-ops", baseSha: BASE, checkName: [] })).toEqual({ failures: [], fingerprints: new Set() });
  });
});
