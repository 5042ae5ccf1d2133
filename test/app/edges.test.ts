import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { anthropicProvider } from "../../src/generate/providers/index.js";
import { listJobs } from "../../src/jobs/queue.js";
import { getGenerationByIssue } from "../../src/store/generations.js";
import { startApp, type AppHarness, type HarnessOptions } from "../support/app-harness.js";
import { checkSuiteCompleted, issueLabeled, prCommentCreated, pullRequestClosed } from "../support/events.js";
import { ANTHROPIC, expectMessage, filesReply, modelFiles } from "../support/model.js";
import { webhookExample } from "../support/webhook-examples.js";
import { EXIT_CODE_ANNOTATION, pytestFailureLog } from "./ci-log.js";
import { BRANCH, R, commentsOn, openHealthCheckPr, useNockChecks } from "./helpers.js";
import { HEALTH_CHECK_ISSUE, HEALTH_CHECK_ISSUE_EDITED } from "./specs.js";

const USAGE = { input_tokens: 1_000, output_tokens: 500, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
// A first call that the limit covers before it is made (its worst case is about $0.09) and that spends it
// all: $0.205 with the default prices.
const BIG_USAGE = { ...USAGE, input_tokens: 100_000 };
const FILES = modelFiles(HEALTH_CHECK_ISSUE, "operators.health_check_operator");

let app: AppHarness | undefined;
useNockChecks(() => app);
afterEach(() => {
  app = undefined;
});

async function start(options: HarnessOptions = {}): Promise<AppHarness> {
  app = await startApp({ providerFor: () => anthropicProvider({ apiKey: "sk-ant-test", maxRetries: 0 }), ...options });
  return app;
}

async function ciFails(a: AppHarness, sha: string): Promise<void> {
  const suiteId = a.fake.completeSuite(a.repo, sha, [{ name: "test (3.11)", conclusion: "failure", annotations: [EXIT_CODE_ANNOTATION], log: pytestFailureLog() }], BRANCH);
  // check_suite.completed example 1; patched installation, check_suite.id/head_sha/after/head_branch/conclusion.
  await a.receive("check_suite", checkSuiteCompleted({ suiteId, headSha: sha, headBranch: BRANCH, conclusion: "failure" }));
  await a.drain();
}

describe("editing the issue", () => {
  it("issues.edited with a changed body regenerates onto the same PR", async () => {
    const a = await start();
    expectMessage(filesReply(FILES), USAGE);
    const { headSha } = await openHealthCheckPr(a);
    const edited = modelFiles(HEALTH_CHECK_ISSUE_EDITED, "operators.health_check_operator");
    expectMessage(filesReply(edited), USAGE);
    const issue = a.repo.issues.get(7);
    if (issue !== undefined) issue.body = HEALTH_CHECK_ISSUE_EDITED;

    // issues.edited example 0; patched installation, issue.number/body/labels, changes.body (the example's changes are empty).
    const payload = webhookExample<Record<string, unknown> & { issue: Record<string, unknown> & { labels: { name: string }[] } }>("issues", "edited", 0);
    const labeled = issueLabeled({ issueNumber: 7, body: HEALTH_CHECK_ISSUE_EDITED });
    payload.installation = labeled.installation;
    payload.issue = labeled.issue as typeof payload.issue;
    payload.changes = { body: { from: HEALTH_CHECK_ISSUE } };
    await a.receive("issues", payload);
    await a.drain();

    expect(a.fake.commit(a.repo.refs.get(BRANCH) ?? "")?.parents).toEqual([headSha]);
    expect(a.fake.calls("POST", `${R}/pulls`)).toHaveLength(1);
    expect(commentsOn(a, 7)[0]?.body).toContain("pull request #8 was updated from the edited spec");
  });
});

describe("limits", () => {
  it("max_attempts: 1 — a CI failure is reported and opforge stops, naming the setting", async () => {
    const a = await start({ config: "max_attempts: 1\n" });
    expectMessage(filesReply(FILES), USAGE);
    const { prNumber, headSha } = await openHealthCheckPr(a);
    await ciFails(a, headSha);
    const verdict = commentsOn(a, prNumber)[0]?.body ?? "";
    expect(verdict).toContain("CI failed on attempt 1 of 1");
    expect(verdict).toContain("`max_attempts`: 1");
    expect(await listJobs(a.kysely, { type: "retry" })).toEqual([]);
    expect(await getGenerationByIssue(a.kysely, "Codertocat/Hello-World", 7)).toMatchObject({ status: "failed", finalOutcome: "ci_failed" });
  });

  it("auto_retry: false — the verdict invites /retry instead of retrying", async () => {
    const a = await start({ config: "auto_retry: false\n" });
    expectMessage(filesReply(FILES), USAGE);
    const { prNumber, headSha } = await openHealthCheckPr(a);
    await ciFails(a, headSha);
    expect(commentsOn(a, prNumber)[0]?.body).toContain("`auto_retry` is off: comment `/retry [guidance]`");
    expect(await listJobs(a.kysely, { type: "retry" })).toEqual([]);
    expect(a.repo.refs.get(BRANCH)).toBe(headSha);
  });

  it("budget_usd: a CI failure after the month's budget is spent is reported without a retry; the next issue is refused", async () => {
    const a = await start({ config: "budget_usd: 0.15\n" });
    expectMessage(filesReply(FILES), BIG_USAGE);
    const { prNumber, headSha } = await openHealthCheckPr(a);
    await ciFails(a, headSha);
    expect(commentsOn(a, prNumber)[0]?.body).toContain("The monthly budget (`budget_usd`) is used up, so opforge does not retry.");
    expect(await listJobs(a.kysely, { type: "retry" })).toEqual([]);

    a.fake.addIssue(a.repo, { number: 11, body: HEALTH_CHECK_ISSUE.replace("HealthCheckOperator", "ReadinessCheckOperator"), labels: ["generate-operator"] });
    await a.receive("issues", issueLabeled({ issueNumber: 11, body: HEALTH_CHECK_ISSUE.replace("HealthCheckOperator", "ReadinessCheckOperator") }));
    await a.drain();
    expect(commentsOn(a, 11)[0]?.body).toContain("The monthly budget of $0.1500 is used up ($0.2050 spent)");
    expect(a.fake.calls("POST", `${R}/pulls`)).toHaveLength(1);
  });

  it("/retry on a closed PR is answered, not acted on", async () => {
    const a = await start();
    expectMessage(filesReply(FILES), USAGE);
    const { prNumber, headSha } = await openHealthCheckPr(a);
    a.fake.closePull(a.repo, prNumber);
    a.repo.permissions.set("octocat", "admin");
    a.repo.comments.set(5_555, { id: 5_555, issueNumber: prNumber, body: "/retry", user: { login: "octocat", id: 583231, type: "User" }, createdAt: "2026-11-24T11:00:00Z", updatedAt: "2026-11-24T11:00:00Z" });
    // issue_comment.created example 0; patched installation, issue.number, issue.pull_request, comment.id/body/user, sender.
    await a.receive("issue_comment", prCommentCreated({ prNumber, commentId: 5_555, body: "/retry", login: "octocat" }));
    await a.drain();
    expect(commentsOn(a, prNumber).filter((c) => c.user.type === "Bot").map((c) => c.body.split("\n")[1])).toEqual([
      "This pull request is closed, so opforge does not retry it.",
    ]);
    expect(a.repo.refs.get(BRANCH)).toBe(headSha);
  });
});

describe("the organisation's .github repository", () => {
  // The owner's `.github` repository, read by every flow the way Probot's context.config reads it.
  function orgConfig(a: AppHarness, text: string): void {
    a.fake.addRepo("Codertocat", ".github", { files: { ".github/opforge.yml": text } });
  }

  it("org-level max_attempts: 1 with no repository file stops the CI retry", async () => {
    const a = await start();
    orgConfig(a, "max_attempts: 1\n");
    expectMessage(filesReply(FILES), USAGE);
    const { prNumber, headSha } = await openHealthCheckPr(a);
    await ciFails(a, headSha);
    const verdict = commentsOn(a, prNumber)[0]?.body ?? "";
    expect(verdict).toContain("CI failed on attempt 1 of 1");
    expect(verdict).toContain("`max_attempts`: 1");
    expect(await listJobs(a.kysely, { type: "retry" })).toEqual([]);
    expect(a.repo.refs.get(BRANCH)).toBe(headSha);
  });

  it("org-level auto_retry: false with no repository file: the verdict invites /retry instead of retrying", async () => {
    const a = await start();
    orgConfig(a, "auto_retry: false\n");
    expectMessage(filesReply(FILES), USAGE);
    const { prNumber, headSha } = await openHealthCheckPr(a);
    await ciFails(a, headSha);
    expect(commentsOn(a, prNumber)[0]?.body).toContain("`auto_retry` is off: comment `/retry [guidance]`");
    expect(await listJobs(a.kysely, { type: "retry" })).toEqual([]);
    expect(a.repo.refs.get(BRANCH)).toBe(headSha);
  });

  it("_extends in the repository file inherits budget_usd from the org file: the CI verdict and /retry both stop on it", async () => {
    const a = await start({ config: "_extends: .github\nmax_attempts: 5\n" });
    orgConfig(a, "budget_usd: 0.15\nmax_attempts: 1\n");
    expectMessage(filesReply(FILES), BIG_USAGE);
    const { prNumber, headSha } = await openHealthCheckPr(a);
    await ciFails(a, headSha);
    const verdict = commentsOn(a, prNumber)[0]?.body ?? "";
    // The repository's own max_attempts wins over the org file's; the budget comes from the org file.
    expect(verdict).toContain("CI failed on attempt 1 of 5");
    expect(verdict).toContain("The monthly budget (`budget_usd`) is used up, so opforge does not retry.");
    expect(await listJobs(a.kysely, { type: "retry" })).toEqual([]);

    a.repo.permissions.set("octocat", "admin");
    a.repo.comments.set(5_556, { id: 5_556, issueNumber: prNumber, body: "/retry", user: { login: "octocat", id: 583231, type: "User" }, createdAt: "2026-11-24T11:00:00Z", updatedAt: "2026-11-24T11:00:00Z" });
    // issue_comment.created example 0; patched installation, issue.number, issue.pull_request, comment.id/body/user, sender.
    await a.receive("issue_comment", prCommentCreated({ prNumber, commentId: 5_556, body: "/retry", login: "octocat" }));
    await a.drain();
    expect(commentsOn(a, prNumber).filter((c) => c.user.type === "Bot").at(-1)?.body).toContain("the monthly budget (`budget_usd` in .github/opforge.yml) is used up.");
    expect(a.repo.refs.get(BRANCH)).toBe(headSha);
  });

  it("an invalid _extends is explained on the issue, naming the key", async () => {
    const a = await start({ config: "_extends: [not, a, repository]\n" });
    a.fake.addIssue(a.repo, { number: 7, body: HEALTH_CHECK_ISSUE, labels: ["generate-operator"] });
    await a.receive("issues", issueLabeled({ issueNumber: 7, body: HEALTH_CHECK_ISSUE }));
    await a.drain();
    expect(commentsOn(a, 7)[0]?.body).toContain(".github/opforge.yml: _extends:");
    expect(a.fake.calls("POST", `${R}/pulls`)).toHaveLength(0);
  });
});

describe("the model failing", () => {
  it("no API key on the server: the issue is told why, instead of a silent dead job", async () => {
    const a = await start({ providerFor: () => anthropicProvider({ apiKey: undefined }) });
    a.fake.addIssue(a.repo, { number: 7, body: HEALTH_CHECK_ISSUE, labels: ["generate-operator"] });
    // issues.labeled example 0; patched installation, issue.number, issue.body, issue.labels, label.name.
    await a.receive("issues", issueLabeled({ issueNumber: 7, body: HEALTH_CHECK_ISSUE }));
    await a.drain();
    const status = commentsOn(a, 7);
    expect(status).toHaveLength(1);
    expect(status[0]?.body).toContain("generation failed. the model provider is not configured: the anthropic provider needs an API key");
    expect((await listJobs(a.kysely, { type: "generate" }))[0]?.status).toBe("succeeded");
    expect(a.fake.calls("POST", `${R}/pulls`)).toEqual([]);
  });

  it("a reply without code twice: the status comment says why, and no branch or PR is made", async () => {
    const a = await start();
    const noCode = "I can't write this operator without knowing the endpoint's authentication. Could you tell me?";
    expectMessage(noCode, USAGE);
    expectMessage(noCode, USAGE);
    a.fake.addIssue(a.repo, { number: 7, body: HEALTH_CHECK_ISSUE, labels: ["generate-operator"] });
    // issues.labeled example 0; patched installation, issue.number, issue.body, issue.labels, label.name.
    await a.receive("issues", issueLabeled({ issueNumber: 7, body: HEALTH_CHECK_ISSUE }));
    await a.drain();

    const status = commentsOn(a, 7);
    expect(status).toHaveLength(1);
    expect(status[0]?.body).toContain("generation failed");
    expect(a.fake.calls("POST", `${R}/git/refs`)).toEqual([]);
    expect(a.fake.calls("POST", `${R}/pulls`)).toEqual([]);
    expect(await getGenerationByIssue(a.kysely, "Codertocat/Hello-World", 7)).toMatchObject({ status: "failed", finalOutcome: "generation_failed" });
  });

  it("an overloaded API (529) is waited out: the job runs again later and opens the one PR", async () => {
    const a = await start();
    const overloaded = { type: "error", error: { type: "overloaded_error", message: "Overloaded" }, request_id: "req_011OVERLOAD" };
    nock(ANTHROPIC).post("/v1/messages").times(2).reply(529, overloaded, { "content-type": "application/json" });
    expectMessage(filesReply(FILES), USAGE);
    a.fake.addIssue(a.repo, { number: 7, body: HEALTH_CHECK_ISSUE, labels: ["generate-operator"] });
    await a.receive("issues", issueLabeled({ issueNumber: 7, body: HEALTH_CHECK_ISSUE }));
    await a.drain({ retries: true });

    expect((await listJobs(a.kysely, { type: "generate" }))[0]).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(a.fake.calls("POST", `${R}/pulls`)).toHaveLength(1);
    const status = commentsOn(a, 7);
    expect(status).toHaveLength(1);
    expect(status[0]?.body).toContain("opened pull request #8");
  });
});

describe("after a PR was closed unmerged", () => {
  it("labeling the issue again generates again and opens a new PR", async () => {
    const a = await startApp();
    app = a;
    const { prNumber, headSha } = await openHealthCheckPr(a);
    a.fake.closePull(a.repo, prNumber);
    // pull_request.closed example 0 (merged false); patched installation, number, head.
    await a.receive("pull_request", pullRequestClosed({ prNumber, merged: false, mergeSha: null, headRef: BRANCH, headSha }));
    await a.drain();

    await a.receive("issues", issueLabeled({ issueNumber: 7, body: HEALTH_CHECK_ISSUE }));
    await a.drain();

    expect(a.fake.calls("POST", `${R}/pulls`)).toHaveLength(2);
    expect(a.repo.pulls.get(9)).toMatchObject({ state: "open", head: BRANCH });
    expect(commentsOn(a, 7)[0]?.body).toContain("opened pull request #9");
    expect(await getGenerationByIssue(a.kysely, "Codertocat/Hello-World", 7)).toMatchObject({ prNumber: 9, status: "ci_running" });
  });
});

describe("local validation between the model and the PR", () => {
  it("repairs what it can before the commit and reports the rest as check run annotations on the committed paths", async () => {
    const a = await start();
    const sloppy = FILES.map((f) =>
      f.role === "component"
        ? { ...f, content: f.content.replace('template_fields = ("endpoint",)', 'template_fields = ("endpoint")').replace("        return result", "        print(result)\n        return result") }
        : f,
    );
    expect(sloppy[0]?.content).toContain('template_fields = ("endpoint")\n');
    expectMessage(filesReply(sloppy), USAGE);
    const { prNumber, headSha } = await openHealthCheckPr(a);

    const component = a.fake.filesAt(a.repo, headSha).get("plugins/operators/health_check_operator.py") ?? "";
    expect(component).toContain('template_fields = ("endpoint",)');
    expect(component).toContain("print(result)");

    const run = a.fake.calls("POST", `${R}/check-runs`)[0]?.body as {
      conclusion: string;
      output: { title: string; annotations: { path: string; annotation_level: string; title: string; start_line: number }[] };
    };
    expect(run.conclusion).toBe("neutral");
    expect(run.output.title).toBe("0 error(s), 1 warning(s)");
    expect(run.output.annotations).toEqual([
      expect.objectContaining({ path: "plugins/operators/health_check_operator.py", annotation_level: "warning", title: "print-call" }),
    ]);
    const printLine = component.split("\n").findIndex((line) => line.includes("print(result)")) + 1;
    expect(run.output.annotations[0]?.start_line).toBe(printLine);

    const body = a.repo.pulls.get(prNumber)?.body ?? "";
    expect(body).toContain(`| warning | \`plugins/operators/health_check_operator.py:${printLine}\` | \`print-call\` |`);
    expect(body).toMatch(/- `plugins\/operators\/health_check_operator\.py`: .*\(`fix\/template-fields-string`\)/);
  });
});
