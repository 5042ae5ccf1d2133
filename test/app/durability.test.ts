import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { anthropicProvider } from "../../src/generate/providers/index.js";
import { listJobs } from "../../src/jobs/queue.js";
import { startApp, type AppHarness } from "../support/app-harness.js";
import { checkSuiteCompleted, issueLabeled } from "../support/events.js";
import { expectMessage, filesReply, modelFiles } from "../support/model.js";
import { EXIT_CODE_ANNOTATION, pytestFailureLog } from "./ci-log.js";
import { BRANCH, R, commentsOn, openHealthCheckPr, useNockChecks } from "./helpers.js";
import { HEALTH_CHECK_ISSUE } from "./specs.js";

const USAGE = { input_tokens: 1_000, output_tokens: 500, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
const FILES = modelFiles(HEALTH_CHECK_ISSUE, "operators.health_check_operator");
const PATCHED = FILES.map((f) => (f.role === "component" ? { ...f, content: `${f.content}\n# patched\n` } : f));

let app: AppHarness | undefined;
useNockChecks(() => app);
afterEach(() => {
  app = undefined;
});

function harness(): AppHarness {
  if (app === undefined) throw new Error("no app");
  return app;
}

describe("GitHub failing in the middle of the work", () => {
  beforeEach(async () => {
    app = await startApp({ providerFor: () => anthropicProvider({ apiKey: "sk-ant-test", maxRetries: 0 }) });
  });

  it("a 502 on the CI verdict comment: the job is retried and still posts the verdict and queues the retry", async () => {
    const a = harness();
    expectMessage(filesReply(FILES), USAGE);
    const { prNumber, headSha } = await openHealthCheckPr(a);
    expectMessage(filesReply(PATCHED), USAGE);
    a.fake.failNext("POST", /\/issues\/8\/comments$/, 502);

    const suiteId = a.fake.completeSuite(a.repo, headSha, [{ name: "test (3.11)", conclusion: "failure", annotations: [EXIT_CODE_ANNOTATION], log: pytestFailureLog() }], BRANCH);
    // check_suite.completed example 1; patched installation, check_suite.id/head_sha/after/head_branch/conclusion.
    await a.receive("check_suite", checkSuiteCompleted({ suiteId, headSha, headBranch: BRANCH, conclusion: "failure" }));
    await a.drain({ retries: true });

    const [ciJob] = await listJobs(a.kysely, { type: "ci-result" });
    expect(ciJob).toMatchObject({ status: "succeeded", attempts: 2 });
    const comments = commentsOn(a, prNumber);
    expect(comments.map((c) => c.body.split("\n")[1])).toEqual([
      "❌ **opforge**: CI failed on attempt 1 of 3.",
      "🔁 **opforge** attempt 2 (a targeted patch of the previous code, after the CI failure).",
    ]);
    expect(a.repo.refs.get(BRANCH)).not.toBe(headSha);
  });
});

describe("a failure the worker does not retry", () => {
  it("a 403 on the branch creation: the job is dead-lettered and the status comment says why, not 'generating'", async () => {
    app = await startApp();
    const a = app;
    a.fake.addIssue(a.repo, { number: 7, body: HEALTH_CHECK_ISSUE, labels: ["generate-operator"] });
    a.fake.failNext("POST", /\/git\/refs$/, 403, 1, "Resource not accessible by integration");
    // issues.labeled example 0; patched installation, issue.number, issue.body, issue.labels, label.name.
    await a.receive("issues", issueLabeled({ issueNumber: 7, body: HEALTH_CHECK_ISSUE }));
    await a.drain({ allowDead: true });

    expect((await listJobs(a.kysely, { type: "generate" }))[0]?.status).toBe("dead");
    const status = commentsOn(a, 7);
    expect(status).toHaveLength(1);
    expect(status[0]?.body).toContain("generation failed. opforge could not finish: Resource not accessible by integration");
    expect(a.fake.calls("POST", `${R}/pulls`)).toEqual([]);
  });
});

describe("the repository configuration", () => {
  it("a GitHub error while reading .github/opforge.yml delays the event: its job is retried and opens the PR", async () => {
    app = await startApp();
    const a = app;
    a.fake.addIssue(a.repo, { number: 7, body: HEALTH_CHECK_ISSUE, labels: ["generate-operator"] });
    a.fake.failNext("GET", /\/contents\/\.github%2Fopforge\.yml$/, 500);
    // issues.labeled example 0; patched installation, issue.number, issue.body, issue.labels, label.name.
    await a.receive("issues", issueLabeled({ issueNumber: 7, body: HEALTH_CHECK_ISSUE }), "flaky-delivery");
    expect((await listJobs(a.kysely)).map((j) => j.type)).toEqual(["issue-event"]);

    await a.drain({ retries: true });
    expect((await listJobs(a.kysely, { type: "issue-event" }))[0]).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(await listJobs(a.kysely, { type: "generate" })).toHaveLength(1);
    expect(a.fake.calls("POST", `${R}/pulls`)).toHaveLength(1);
  });

  it("GitHub unreachable when an issues webhook arrives: the delivery and its job are recorded before any request, and the PR follows once GitHub is back (issue 10, item 5)", async () => {
    app = await startApp();
    const a = app;
    a.fake.addIssue(a.repo, { number: 7, body: HEALTH_CHECK_ISSUE, labels: ["generate-operator"] });
    // Every installation token request fails, as when api.github.com cannot be reached.
    a.fake.failNext("POST", /\/app\/installations\/\d+\/access_tokens$/, 503, 3);
    // issues.labeled example 0; patched installation, issue.number, issue.body, issue.labels, label.name.
    await expect(a.receive("issues", issueLabeled({ issueNumber: 7, body: HEALTH_CHECK_ISSUE }), "outage-delivery")).resolves.toBeUndefined();
    expect(a.fake.requests).toEqual([]);
    expect((await listJobs(a.kysely)).map((j) => [j.type, j.status])).toEqual([["issue-event", "queued"]]);
    expect(a.db.prepare("SELECT delivery_id FROM webhook_deliveries").all()).toEqual([{ delivery_id: "outage-delivery" }]);

    await a.drain({ retries: true });
    expect((await listJobs(a.kysely, { type: "issue-event" }))[0]?.status).toBe("succeeded");
    expect(a.fake.calls("POST", `${R}/pulls`)).toHaveLength(1);
  });

  it("invalid YAML in .github/opforge.yml is explained on the issue", async () => {
    app = await startApp({ config: "label: [unclosed\n" });
    const a = app;
    a.fake.addIssue(a.repo, { number: 7, body: HEALTH_CHECK_ISSUE, labels: ["generate-operator"] });
    await a.receive("issues", issueLabeled({ issueNumber: 7, body: HEALTH_CHECK_ISSUE }));
    await a.drain();

    const comments = commentsOn(a, 7);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain("the repository configuration is invalid");
    expect(comments[0]?.body).toContain(".github/opforge.yml");
    expect(a.fake.calls("POST", `${R}/pulls`)).toHaveLength(0);
  });

  it("a setting out of range is named with what would be valid", async () => {
    app = await startApp({ config: "max_attempts: 0\nauto_retry: yes please\n" });
    const a = app;
    a.fake.addIssue(a.repo, { number: 7, body: HEALTH_CHECK_ISSUE, labels: ["generate-operator"] });
    await a.receive("issues", issueLabeled({ issueNumber: 7, body: HEALTH_CHECK_ISSUE }));
    await a.drain();

    const body = commentsOn(a, 7)[0]?.body ?? "";
    expect(body).toContain(".github/opforge.yml: max_attempts:");
    expect(body).toContain(".github/opforge.yml: auto_retry:");
    expect(a.fake.calls("POST", `${R}/pulls`)).toHaveLength(0);
  });
});
