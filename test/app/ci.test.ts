import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { anthropicProvider } from "../../src/generate/providers/index.js";
import { listJobs } from "../../src/jobs/queue.js";
import { listCiResults } from "../../src/store/ci-results.js";
import { getGenerationByIssue, listAttempts } from "../../src/store/generations.js";
import { startApp, type AppHarness } from "../support/app-harness.js";
import { checkRunCompleted, checkSuiteCompleted, workflowRunCompleted } from "../support/events.js";
import { expectMessage, filesReply, modelFiles, type CapturedMessage } from "../support/model.js";
import { EXIT_CODE_ANNOTATION, pytestFailureLog } from "./ci-log.js";
import { BRANCH, R, commentsOn, openHealthCheckPr, useNockChecks } from "./helpers.js";
import { HEALTH_CHECK_ISSUE } from "./specs.js";

const USAGE = { input_tokens: 10_000, output_tokens: 2_500, cache_creation_input_tokens: 3_000, cache_read_input_tokens: 0 };
const FILES = modelFiles(HEALTH_CHECK_ISSUE, "operators.health_check_operator");
/** The retry's reply: the same files with the component patched. */
const PATCHED = FILES.map((f) =>
  f.role === "component" ? { ...f, content: `${f.content}\n# http_conn_id is set in __init__ before the hook is built.\n` } : f,
);

let app: AppHarness | undefined;
useNockChecks(() => app);
beforeEach(async () => {
  app = await startApp({ providerFor: () => anthropicProvider({ apiKey: "sk-ant-test", maxRetries: 0 }) });
});
afterEach(() => {
  app = undefined;
});

function harness(): AppHarness {
  if (app === undefined) throw new Error("no app");
  return app;
}

/** A failing GitHub Actions run on `sha` (job log and exit-code annotation), and its check_suite.completed. */
async function ciFails(sha: string, log = pytestFailureLog()): Promise<void> {
  const a = harness();
  const suiteId = a.fake.completeSuite(a.repo, sha, [{ name: "test (3.11)", conclusion: "failure", annotations: [EXIT_CODE_ANNOTATION], log }], BRANCH);
  // check_suite.completed example 1; patched installation, check_suite.id/head_sha/after/head_branch/conclusion.
  await a.receive("check_suite", checkSuiteCompleted({ suiteId, headSha: sha, headBranch: BRANCH, conclusion: "failure" }));
  await a.drain();
}

/** A failure of the base branch that has nothing to do with the generated component. */
const BASE_ERROR = "ImportError: cannot import name 'S3Hook' from 'airflow.providers.amazon.aws.hooks.s3'";
const OUR_ERROR = "AttributeError: 'HealthCheckOperator' object has no attribute 'http_conn_id'";

/** A job log of a pytest run with two failures: an unrelated test's and the generated operator's. */
function twoFailuresLog(first: string, second: string): string {
  const lines = [
    "##[group]Run pytest tests -q",
    "=================================== FAILURES ===================================",
    "_________________________ test_s3_sync __________________________",
    `E   ${first}`,
    "_________________________ test_execute_calls_endpoint __________________________",
    `E   ${second}`,
    "=========================== short test summary info ============================",
    `FAILED tests/test_s3_sync.py::test_s3_sync - ${first}`,
    `FAILED tests/operators/test_health_check_operator.py::test_execute_calls_endpoint - ${second}`,
    "========================= 2 failed, 2 passed in 0.41s ==========================",
    "##[error]Process completed with exit code 1.",
  ];
  let ms = Date.parse("2026-11-24T10:02:11.000Z");
  return lines.map((line) => `${new Date((ms += 37)).toISOString().replace("Z", "0000Z")} ${line}`).join("\n");
}

/** `test (3.11)` fails on master's head commit with the given log. */
function baseFails(a: AppHarness, log: string): void {
  a.fake.completeSuite(a.repo, a.repo.refs.get("master") ?? "", [{ name: "test (3.11)", conclusion: "failure", annotations: [EXIT_CODE_ANNOTATION], log }], "master");
}

function signaturesLearned(a: AppHarness): string {
  return JSON.stringify(a.db.prepare("SELECT kind, root_cause, matched FROM error_signatures").all());
}

describe("CI result on an opforge PR", () => {
  it("reads a failure from the check run, annotations and job log, then commits a retry on the same branch and explains it", async () => {
    const a = harness();
    const prompts: CapturedMessage[] = [];
    expectMessage(filesReply(FILES), USAGE, prompts);
    const { prNumber, headSha } = await openHealthCheckPr(a);

    expectMessage(filesReply(PATCHED, "Patched the component."), USAGE, prompts);
    await ciFails(headSha);

    // Failure details came from the check runs, the annotations and the job log (302 to the log host).
    expect(a.fake.calls("GET", `${R}/commits/${headSha}/check-suites`).length).toBeGreaterThanOrEqual(1);
    expect(a.fake.calls("GET", /\/check-runs\/\d+\/annotations$/)).toHaveLength(1);
    expect(a.fake.calls("GET", /\/actions\/jobs\/\d+\/logs$/)).toHaveLength(1);
    expect(a.fake.calls("GET", /^\/__logs\/jobs\/\d+$/)).toHaveLength(1);

    // The retry prompt carries the CI failure read from the log.
    expect(prompts).toHaveLength(2);
    expect(prompts[1]?.messages[0]?.content).toContain("# Retry: attempt 2");
    expect(prompts[1]?.messages[0]?.content).toContain("'HealthCheckOperator' object has no attribute 'http_conn_id'");

    // One new commit on the same branch, on top of the first; still one branch creation and one PR.
    const newHead = a.repo.refs.get(BRANCH) ?? "";
    expect(newHead).not.toBe(headSha);
    expect(a.fake.commit(newHead)?.parents).toEqual([headSha]);
    expect(a.fake.filesAt(a.repo, newHead).get("plugins/operators/health_check_operator.py")).toContain("http_conn_id is set in __init__");
    expect(a.fake.calls("POST", `${R}/git/refs`)).toHaveLength(1);
    expect(a.fake.calls("POST", `${R}/git/commits`)).toHaveLength(2);
    expect(a.fake.calls("POST", `${R}/pulls`)).toHaveLength(1);
    expect(a.fake.calls("POST", `${R}/check-runs`).map((c) => (c.body as { head_sha: string }).head_sha)).toEqual([headSha, newHead]);
    expect(a.repo.pulls.get(prNumber)?.body).toMatch(/\| 2 \| ci_retry \| validated \|/);

    // On the PR: the verdict, then the retry's explanation.
    const comments = commentsOn(a, prNumber);
    expect(comments).toHaveLength(2);
    expect(comments[0]?.body).toContain("CI failed on attempt 1 of 3");
    expect(comments[0]?.body).toContain("**test (3.11)**");
    expect(comments[0]?.body).toContain("'HealthCheckOperator' object has no attribute 'http_conn_id'");
    expect(comments[0]?.body).toContain("Retrying with the failures above as context");
    expect(comments[1]?.body).toContain("attempt 2 (a targeted patch of the previous code, after the CI failure)");
    expect(comments[1]?.body).toContain(`What changed in ${newHead.slice(0, 7)}:`);
    expect(comments[1]?.body).toContain("- `plugins/operators/health_check_operator.py`: 1 hunk(s), +2 −0 lines");

    const generation = await getGenerationByIssue(a.kysely, "Codertocat/Hello-World", 7);
    expect(generation).toMatchObject({ status: "ci_running", headSha: newHead, firstAttemptSuccess: false });
    expect((await listAttempts(a.kysely, generation?.id ?? 0)).map((x) => [x.trigger, x.outcome])).toEqual([
      ["initial", "ci_failed"],
      ["ci_retry", "validated"],
    ]);

    // The retried commit passes: the generation succeeds and nothing more is said.
    const suiteId = a.fake.completeSuite(a.repo, newHead, [{ name: "test (3.11)", conclusion: "success" }], BRANCH);
    await a.receive("check_suite", checkSuiteCompleted({ suiteId, headSha: newHead, headBranch: BRANCH, conclusion: "success" }));
    await a.drain();
    expect(await getGenerationByIssue(a.kysely, "Codertocat/Hello-World", 7)).toMatchObject({ status: "succeeded", firstAttemptSuccess: false });
    expect(commentsOn(a, prNumber)).toHaveLength(2);
  });

  it("waits until every check suite on the commit has completed before judging", async () => {
    const a = harness();
    expectMessage(filesReply(FILES), USAGE);
    const { prNumber, headSha } = await openHealthCheckPr(a);
    const lint = a.fake.pendingSuite(a.repo, headSha, "lint");

    const suiteId = a.fake.completeSuite(a.repo, headSha, [{ name: "test (3.11)", conclusion: "success" }], BRANCH);
    await a.receive("check_suite", checkSuiteCompleted({ suiteId, headSha, headBranch: BRANCH, conclusion: "success" }));
    await a.drain();
    expect(await listCiResults(a.kysely, 1)).toEqual([]);
    expect((await getGenerationByIssue(a.kysely, "Codertocat/Hello-World", 7))?.status).toBe("ci_running");

    a.fake.finishSuite(a.repo, lint, "success");
    await a.receive("check_suite", checkSuiteCompleted({ suiteId: lint, headSha, headBranch: BRANCH, conclusion: "success" }));
    await a.drain();
    expect((await listCiResults(a.kysely, 1)).map((r) => r.conclusion)).toEqual(["success"]);
    expect(await getGenerationByIssue(a.kysely, "Codertocat/Hello-World", 7)).toMatchObject({ status: "succeeded", firstAttemptSuccess: true });
    expect(commentsOn(a, prNumber)).toEqual([]);
  });

  it("reports a failure that also fails on the base branch and does not retry", async () => {
    const a = harness();
    expectMessage(filesReply(FILES), USAGE);
    const { prNumber, headSha } = await openHealthCheckPr(a);
    // The same job fails the same way on master's head commit.
    baseFails(a, pytestFailureLog());

    await ciFails(headSha);

    const comments = commentsOn(a, prNumber);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain("on the base branch's head too (same check, same failure)");
    expect(comments[0]?.body).not.toContain("CI failed on attempt");
    expect(comments[0]?.body).toContain("No retry");
    expect(comments[0]?.body).not.toContain("Retrying");
    expect(await listJobs(a.kysely, { type: "retry" })).toEqual([]);
    expect(a.fake.calls("POST", `${R}/git/commits`)).toHaveLength(1);
    expect(await listCiResults(a.kysely, 1)).toMatchObject([{ conclusion: "failure", attributedToBase: true }]);
    expect((await listAttempts(a.kysely, 1)).map((x) => [x.outcome, x.ciFailures])).toEqual([["ci_failed", []]]);
    expect(signaturesLearned(a)).not.toContain("http_conn_id");
  });

  it("a red check on the base branch with an unrelated failure no longer hides a new failure in the same check", async () => {
    const a = harness();
    const prompts: CapturedMessage[] = [];
    expectMessage(filesReply(FILES), USAGE, prompts);
    const { prNumber, headSha } = await openHealthCheckPr(a);
    baseFails(a, pytestFailureLog(BASE_ERROR));
    expectMessage(filesReply(PATCHED), USAGE, prompts);

    await ciFails(headSha, pytestFailureLog(OUR_ERROR));

    const [verdict, retried] = commentsOn(a, prNumber).map((c) => c.body);
    expect(verdict).toContain("CI failed on attempt 1 of 3");
    expect(verdict).toContain("'HealthCheckOperator' object has no attribute 'http_conn_id'");
    expect(verdict).not.toContain("base branch");
    expect(verdict).toContain("Retrying with the failures above as context");
    expect(retried).toContain("What failed:");
    expect(await listCiResults(a.kysely, 1)).toMatchObject([{ conclusion: "failure", attributedToBase: false }]);
    expect(prompts).toHaveLength(2);
    expect(prompts[1]?.messages[0]?.content).toContain("'HealthCheckOperator' object has no attribute 'http_conn_id'");
    expect(a.repo.refs.get(BRANCH)).not.toBe(headSha);
  });

  it("a pre-existing failure never reaches the retry prompt, the retry comment's What failed or the learned signatures", async () => {
    const a = harness();
    const prompts: CapturedMessage[] = [];
    expectMessage(filesReply(FILES), USAGE, prompts);
    const { prNumber, headSha } = await openHealthCheckPr(a);
    baseFails(a, pytestFailureLog(BASE_ERROR));
    expectMessage(filesReply(PATCHED), USAGE, prompts);

    // The PR's run has master's failure and its own, in the same check.
    await ciFails(headSha, twoFailuresLog(BASE_ERROR, OUR_ERROR));

    const [verdict = "", retried = ""] = commentsOn(a, prNumber).map((c) => c.body);
    const [own = "", preExisting = ""] = verdict.split("These failures are on the base branch's head too");
    expect(own).toContain("CI failed on attempt 1 of 3");
    expect(own).toContain("'HealthCheckOperator' object has no attribute 'http_conn_id'");
    expect(own).not.toContain("S3Hook");
    expect(preExisting).toContain("cannot import name 'S3Hook'");
    expect(preExisting).not.toContain("http_conn_id");

    expect(prompts).toHaveLength(2);
    const retryPrompt = JSON.stringify(prompts[1]?.messages);
    expect(retryPrompt).toContain("'HealthCheckOperator' object has no attribute 'http_conn_id'");
    expect(retryPrompt).not.toContain("S3Hook");

    const whatFailed = retried.slice(retried.indexOf("What failed:"), retried.indexOf("What changed in"));
    expect(whatFailed).toContain("http_conn_id");
    expect(retried).not.toContain("S3Hook");

    const [first] = await listAttempts(a.kysely, 1);
    expect((first?.ciFailures ?? []).map((f) => (f as { exceptionType?: string }).exceptionType)).toEqual(["AttributeError"]);
    expect(signaturesLearned(a)).not.toContain("S3Hook");
    expect(signaturesLearned(a)).not.toMatch(/"kind":"import"/);
    // The stored verdict keeps every failure read, and says the PR's own were there.
    expect(await listCiResults(a.kysely, 1)).toMatchObject([{ attributedToBase: false }]);
    expect((await listCiResults(a.kysely, 1))[0]?.failures).toHaveLength(2);
  });

  it("escalates when the same failure comes back after a fix, instead of looping", async () => {
    const a = harness();
    expectMessage(filesReply(FILES), USAGE);
    const { prNumber, headSha } = await openHealthCheckPr(a);
    expectMessage(filesReply(PATCHED), USAGE);
    await ciFails(headSha);
    const retried = a.repo.refs.get(BRANCH) ?? "";
    expect(retried).not.toBe(headSha);

    // The fix did not help: the same failure on the retried commit. No model call may follow.
    await ciFails(retried);

    const comments = commentsOn(a, prNumber);
    expect(comments).toHaveLength(3);
    const escalation = comments[2]?.body ?? "";
    expect(escalation).toContain("same failure came back after a fix");
    expect(escalation).toContain("A human look is needed");
    expect(escalation).toContain("`/retry <guidance>`");
    expect(await listJobs(a.kysely, { type: "retry" })).toHaveLength(1);
    expect(a.repo.refs.get(BRANCH)).toBe(retried);
    expect(await getGenerationByIssue(a.kysely, "Codertocat/Hello-World", 7)).toMatchObject({ status: "failed", finalOutcome: "escalated" });
  });

  it("ignores check suites of commits opforge did not make", async () => {
    const a = harness();
    // check_suite.completed example 1 as delivered (head_sha ec26c3e…), patched only with the installation.
    await a.receive("check_suite", checkSuiteCompleted({ suiteId: 118578147, headSha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821", headBranch: "main", conclusion: "success" }));
    expect(await listJobs(a.kysely)).toEqual([]);
    expect(a.fake.requests).toEqual([]);
  });
});

describe("CI failures with little to read", () => {
  it("a failed check with no output, annotations or log is still this PR's failure when the base branch is green", async () => {
    const a = harness();
    expectMessage(filesReply(FILES), USAGE);
    const { prNumber, headSha } = await openHealthCheckPr(a);
    a.fake.completeSuite(a.repo, a.repo.refs.get("master") ?? "", [{ name: "test (3.11)", conclusion: "success" }], "master");
    expectMessage(filesReply(PATCHED), USAGE);

    const suiteId = a.fake.completeSuite(a.repo, headSha, [{ name: "test (3.11)", conclusion: "failure" }], BRANCH);
    await a.receive("check_suite", checkSuiteCompleted({ suiteId, headSha, headBranch: BRANCH, conclusion: "failure" }));
    await a.drain();

    const verdict = commentsOn(a, prNumber)[0]?.body ?? "";
    expect(verdict).toContain("CI failed on attempt 1 of 3");
    expect(verdict).toContain("**test (3.11)**");
    expect(verdict).not.toContain("base branch");
    expect(await listCiResults(a.kysely, 1)).toMatchObject([{ attributedToBase: false }]);
    expect(a.repo.refs.get(BRANCH)).not.toBe(headSha);
  });
});

describe("several completion events for one commit", () => {
  it("check_run.completed and check_suite.completed for the same failure: one verdict, one retry", async () => {
    const a = harness();
    expectMessage(filesReply(FILES), USAGE);
    const { prNumber, headSha } = await openHealthCheckPr(a);
    expectMessage(filesReply(PATCHED), USAGE);
    const suiteId = a.fake.completeSuite(a.repo, headSha, [{ name: "test (3.11)", conclusion: "failure", annotations: [EXIT_CODE_ANNOTATION], log: pytestFailureLog() }], BRANCH);
    const run = a.repo.checkRuns.find((r) => r.suiteId === suiteId);

    // opforge's own check run completing says nothing about CI.
    const own = a.repo.checkRuns.find((r) => r.name === "opforge/validate");
    await a.receive("check_run", checkRunCompleted({ runId: own?.id ?? 0, suiteId: own?.suiteId ?? 0, name: "opforge/validate", headSha, conclusion: "success" }));
    expect(await listJobs(a.kysely, { type: "ci-result" })).toEqual([]);

    // check_run.completed example 0 and check_suite.completed example 1, patched as their builders say.
    await a.receive("check_run", checkRunCompleted({ runId: run?.id ?? 0, suiteId, name: "test (3.11)", headSha, conclusion: "failure" }));
    await a.receive("check_suite", checkSuiteCompleted({ suiteId, headSha, headBranch: BRANCH, conclusion: "failure" }));
    await a.drain();

    expect(await listJobs(a.kysely, { type: "ci-result" })).toHaveLength(2);
    expect(await listJobs(a.kysely, { type: "retry" })).toHaveLength(1);
    expect(commentsOn(a, prNumber).map((c) => c.body.split("\n")[1])).toEqual([
      "❌ **opforge**: CI failed on attempt 1 of 3.",
      "🔁 **opforge** attempt 2 (a targeted patch of the previous code, after the CI failure).",
    ]);
    expect(a.fake.calls("POST", `${R}/git/commits`)).toHaveLength(2);
  });
});

describe("a check suite another app leaves queued and silent", () => {
  const RENOVATE = { id: 2_740, slug: "renovate", name: "Renovate" };
  const GRACE_MS = 10 * 60 * 1000;

  it("a fast CI failure within the grace period: pending at first, then a re-check at the grace end gives the verdict and the retry", async () => {
    const a = harness();
    expectMessage(filesReply(FILES), USAGE);
    const { prNumber, headSha } = await openHealthCheckPr(a);
    expectMessage(filesReply(PATCHED), USAGE);
    const createdAt = a.clock.now();
    a.fake.silentSuite(a.repo, headSha, RENOVATE, new Date(createdAt).toISOString());
    a.clock.advance(60_000);

    // CI fails a minute later, while the empty suite is still within its grace period: no verdict yet.
    const suiteId = a.fake.completeSuite(a.repo, headSha, [{ name: "test (3.11)", conclusion: "failure", annotations: [EXIT_CODE_ANNOTATION], log: pytestFailureLog() }], BRANCH);
    const run = a.repo.checkRuns.find((r) => r.suiteId === suiteId);
    await a.receive("check_run", checkRunCompleted({ runId: run?.id ?? 0, suiteId, name: "test (3.11)", headSha, conclusion: "failure" }));
    await a.receive("check_suite", checkSuiteCompleted({ suiteId, headSha, headBranch: BRANCH, conclusion: "failure" }));
    await a.drain();
    expect(await listCiResults(a.kysely, 1)).toEqual([]);
    expect(commentsOn(a, prNumber)).toEqual([]);

    // Several events, one re-check, due when the silent suite's grace period ends.
    const rechecks = (await listJobs(a.kysely, { type: "ci-result" })).filter((j) => j.dedupeKey?.startsWith("ci-recheck:") === true);
    expect(rechecks).toHaveLength(1);
    expect(rechecks[0]).toMatchObject({ status: "queued", runAfter: createdAt + GRACE_MS, payload: { owner: "Codertocat", repo: "Hello-World", headSha } });

    // Not before it is due.
    a.clock.advance(GRACE_MS - 60_000 - 1);
    await a.drain();
    expect(await listCiResults(a.kysely, 1)).toEqual([]);

    // At the grace end the re-check runs unprompted: the silent suite no longer counts, the failure is judged.
    a.clock.advance(1);
    await a.drain();
    expect((await listJobs(a.kysely, { type: "ci-result" })).find((j) => j.id === rechecks[0]?.id)?.status).toBe("succeeded");
    expect((await listCiResults(a.kysely, 1)).map((r) => r.conclusion)).toEqual(["failure"]);
    expect(await listJobs(a.kysely, { type: "retry" })).toHaveLength(1);
    expect(commentsOn(a, prNumber).map((c) => c.body.split("\n")[1])).toEqual([
      "❌ **opforge**: CI failed on attempt 1 of 3.",
      "🔁 **opforge** attempt 2 (a targeted patch of the previous code, after the CI failure).",
    ]);
    expect(a.fake.calls("POST", `${R}/git/commits`)).toHaveLength(2);
    expect((await listJobs(a.kysely, { type: "ci-result" })).filter((j) => j.dedupeKey?.startsWith("ci-recheck:") === true)).toHaveLength(1);
  });

  it("no re-check while a check run is still in progress: its completion event brings the verdict", async () => {
    const a = harness();
    expectMessage(filesReply(FILES), USAGE);
    const { headSha } = await openHealthCheckPr(a);
    a.fake.silentSuite(a.repo, headSha, RENOVATE, new Date(a.clock.now()).toISOString());
    a.fake.pendingSuite(a.repo, headSha, "lint");
    const suiteId = a.fake.completeSuite(a.repo, headSha, [{ name: "test (3.11)", conclusion: "success" }], BRANCH);
    await a.receive("check_suite", checkSuiteCompleted({ suiteId, headSha, headBranch: BRANCH, conclusion: "success" }));
    await a.drain();
    expect(await listCiResults(a.kysely, 1)).toEqual([]);
    expect((await listJobs(a.kysely, { type: "ci-result" })).filter((j) => j.dedupeKey?.startsWith("ci-recheck:") === true)).toEqual([]);
  });
});

describe("workflow_run.completed", () => {
  it("judges the commit like a check suite completion", async () => {
    const a = harness();
    expectMessage(filesReply(FILES), USAGE);
    const { prNumber, headSha } = await openHealthCheckPr(a);
    a.fake.completeSuite(a.repo, headSha, [{ name: "test (3.11)", conclusion: "success" }], BRANCH);
    // workflow_run.completed example 1; patched installation, repository, workflow_run.id/head_sha/head_branch/conclusion.
    await a.receive("workflow_run", workflowRunCompleted({ runId: 30433642, headSha, headBranch: BRANCH, conclusion: "success" }));
    await a.drain();
    expect(await getGenerationByIssue(a.kysely, "Codertocat/Hello-World", 7)).toMatchObject({ status: "succeeded", firstAttemptSuccess: true });
    expect(commentsOn(a, prNumber)).toEqual([]);
  });
});
