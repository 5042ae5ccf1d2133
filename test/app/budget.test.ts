import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { anthropicProvider } from "../../src/generate/providers/index.js";
import { getGenerationByIssue, listAttempts } from "../../src/store/generations.js";
import { startApp, type AppHarness, type HarnessOptions } from "../support/app-harness.js";
import { checkSuiteCompleted, issueLabeled } from "../support/events.js";
import { ANTHROPIC, expectMessage, filesReply, messageBody, modelFiles, type CapturedMessage } from "../support/model.js";
import { EXIT_CODE_ANNOTATION, pytestFailureLog } from "./ci-log.js";
import { BRANCH, R, commentsOn, openHealthCheckPr, useNockChecks } from "./helpers.js";
import { HEALTH_CHECK_ISSUE } from "./specs.js";

const USAGE = { input_tokens: 4_000, output_tokens: 1_500, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
const FILES = modelFiles(HEALTH_CHECK_ISSUE, "operators.health_check_operator");
const COMPONENT = "plugins/operators/health_check_operator.py";

let app: AppHarness | undefined;
useNockChecks(() => app);
afterEach(() => {
  app = undefined;
});

async function start(options: HarnessOptions & { model?: string } = {}): Promise<AppHarness> {
  const { model, ...rest } = options;
  app = await startApp({ providerFor: () => anthropicProvider({ apiKey: "sk-ant-test", maxRetries: 0, ...(model === undefined ? {} : { model }) }), ...rest });
  return app;
}

async function labelIssue(a: AppHarness): Promise<void> {
  a.fake.addIssue(a.repo, { number: 7, body: HEALTH_CHECK_ISSUE, labels: ["generate-operator"] });
  // issues.labeled example 0; patched installation, issue.number, issue.body, issue.labels, label.name.
  await a.receive("issues", issueLabeled({ issueNumber: 7, body: HEALTH_CHECK_ISSUE }));
  await a.drain();
}

describe("the monthly budget on the app", () => {
  it("stops the local retry before it is sent, and the issue says what is spent, reserved and the limit", async () => {
    const a = await start({ config: "budget_usd: 0.15\n" });
    // A reply without code that used a lot: 100 000 × $2 + 6 000 × $10 per million = $0.26.
    expectMessage("I need to know which status codes count as healthy before I can write this.", { ...USAGE, input_tokens: 100_000, output_tokens: 6_000 });
    const retry = nock(ANTHROPIC).post("/v1/messages").reply(200, messageBody(filesReply(FILES), USAGE));
    await labelIssue(a);

    expect(retry.isDone()).toBe(false);
    nock.cleanAll();
    const status = commentsOn(a, 7)[0]?.body ?? "";
    expect(status).toContain("generation failed. the monthly budget (`budget_usd`) does not cover the next model call: it may cost up to $0.");
    expect(status).toContain(
      "of the $0.1500 limit $0.2600 is spent and $0.0000 is reserved by calls in flight, leaving $0.0000. The call was not made; raise `budget_usd` in .github/opforge.yml, or wait for next month.",
    );
    const generation = await getGenerationByIssue(a.kysely, "Codertocat/Hello-World", 7);
    expect(generation).toMatchObject({ status: "failed", finalOutcome: "budget_exhausted" });
    expect((await listAttempts(a.kysely, generation?.id ?? 0)).map((x) => [x.outcome, x.costUsd])).toEqual([["failed_generation", 0.26]]);
    expect(a.fake.calls("POST", `${R}/pulls`)).toEqual([]);
    expect(a.db.prepare("SELECT COUNT(*) AS n FROM spend_reservations").get()).toEqual({ n: 0 });
  });

  it("a CI retry whose worst case no longer fits is not sent, and the PR is told why", async () => {
    const a = await start({ config: "budget_usd: 0.11\n" });
    // 4 000 × $2 + 2 200 × $10 per million = $0.03: the verdict still retries, but the retry's worst case
    // (8 192 output tokens alone are $0.082) does not fit what is left.
    expectMessage(filesReply(FILES), { ...USAGE, output_tokens: 2_200 });
    const { prNumber, headSha } = await openHealthCheckPr(a);
    const retry = nock(ANTHROPIC).post("/v1/messages").reply(200, messageBody(filesReply(FILES), USAGE));
    const suiteId = a.fake.completeSuite(a.repo, headSha, [{ name: "test (3.11)", conclusion: "failure", annotations: [EXIT_CODE_ANNOTATION], log: pytestFailureLog() }], BRANCH);
    // check_suite.completed example 1; patched installation, check_suite.id/head_sha/after/head_branch/conclusion.
    await a.receive("check_suite", checkSuiteCompleted({ suiteId, headSha, headBranch: BRANCH, conclusion: "failure" }));
    await a.drain();

    expect(retry.isDone()).toBe(false);
    nock.cleanAll();
    const comments = commentsOn(a, prNumber).map((c) => c.body);
    expect(comments[0]).toContain("Retrying with the failures above as context");
    expect(comments[1]).toContain("⛔ **opforge** will not retry: the monthly budget (`budget_usd`) does not cover the next model call");
    expect(comments[1]).toContain("of the $0.1100 limit $0.0300 is spent and $0.0000 is reserved by calls in flight, leaving $0.0800.");
    expect(a.repo.refs.get(BRANCH)).toBe(headSha);
    expect(await getGenerationByIssue(a.kysely, "Codertocat/Hello-World", 7)).toMatchObject({ status: "failed", finalOutcome: "budget_exhausted" });
  });

  it("refuses a model with no price, naming it and both fixes, without calling it", async () => {
    const a = await start({ model: "claude-sonnet-9-9" });
    const model = nock(ANTHROPIC).post("/v1/messages").reply(200, messageBody(filesReply(FILES), USAGE));
    await labelIssue(a);

    expect(model.isDone()).toBe(false);
    nock.cleanAll();
    expect(commentsOn(a, 7)[0]?.body).toContain(
      'model "claude-sonnet-9-9" has no known price, so its calls cannot be counted against the monthly budget (`budget_usd`); the call was not made. Give it a price in OPFORGE_PRICES',
    );
    expect(commentsOn(a, 7)[0]?.body).toContain("or turn the budget off with `budget_usd: none` in .github/opforge.yml.");
    expect(await getGenerationByIssue(a.kysely, "Codertocat/Hello-World", 7)).toMatchObject({ status: "failed", finalOutcome: "price_unknown" });
  });

  it("budget_usd: none runs a model with no price; its cost is shown as unknown", async () => {
    const a = await start({ model: "claude-sonnet-9-9", config: "budget_usd: none\n" });
    nock(ANTHROPIC).post("/v1/messages").reply(200, messageBody(filesReply(FILES), USAGE, "claude-sonnet-9-9"));
    await labelIssue(a);
    expect(a.fake.calls("POST", `${R}/pulls`)).toHaveLength(1);
  });
});

describe("a CI retry with targeted edits", () => {
  it("asks for edits to the committed files, applies them, commits the result and records the mode", async () => {
    const a = await start();
    const prompts: CapturedMessage[] = [];
    expectMessage(filesReply(FILES), USAGE, prompts);
    const { headSha } = await openHealthCheckPr(a);

    const edits = [
      "The operator never called the endpoint; it now does and returns the status code.",
      "",
      "```edit file=component",
      "<<<<<<< SEARCH",
      "        hook = HttpHook(http_conn_id=self.http_conn_id)",
      "        result: dict[str, Any] = {",
      '            "endpoint": self.endpoint,',
      "        }",
      "=======",
      '        hook = HttpHook(method="GET", http_conn_id=self.http_conn_id)',
      "        response = hook.run(endpoint=self.endpoint)",
      "        result: dict[str, Any] = {",
      '            "endpoint": self.endpoint,',
      '            "status": response.status_code,',
      "        }",
      ">>>>>>> REPLACE",
      "```",
    ].join("\n");
    expectMessage(edits, { ...USAGE, output_tokens: 180 }, prompts);
    const suiteId = a.fake.completeSuite(a.repo, headSha, [{ name: "test (3.11)", conclusion: "failure", annotations: [EXIT_CODE_ANNOTATION], log: pytestFailureLog() }], BRANCH);
    // check_suite.completed example 1; patched installation, check_suite.id/head_sha/after/head_branch/conclusion.
    await a.receive("check_suite", checkSuiteCompleted({ suiteId, headSha, headBranch: BRANCH, conclusion: "failure" }));
    await a.drain();

    const retryPrompt = prompts[1]?.messages[0]?.content ?? "";
    expect(retryPrompt).toContain("reply with targeted edits (format below)");
    expect(retryPrompt).toContain(`## Current files\n${COMPONENT}:\n\`\`\`python file=component\n`);
    const newHead = a.repo.refs.get(BRANCH) ?? "";
    expect(newHead).not.toBe(headSha);
    const committed = a.fake.filesAt(a.repo, newHead);
    expect(committed.get(COMPONENT)).toBe(
      (FILES[0]?.content ?? "").replace(
        '        hook = HttpHook(http_conn_id=self.http_conn_id)\n        result: dict[str, Any] = {\n            "endpoint": self.endpoint,\n        }\n',
        '        hook = HttpHook(method="GET", http_conn_id=self.http_conn_id)\n        response = hook.run(endpoint=self.endpoint)\n        result: dict[str, Any] = {\n            "endpoint": self.endpoint,\n            "status": response.status_code,\n        }\n',
      ),
    );
    // The files the edits did not touch are committed as they were.
    expect(committed.get("tests/operators/test_health_check_operator.py")).toBe(FILES[1]?.content);
    const generation = await getGenerationByIssue(a.kysely, "Codertocat/Hello-World", 7);
    expect((await listAttempts(a.kysely, generation?.id ?? 0)).map((x) => [x.trigger, x.replyMode])).toEqual([
      ["initial", "files"],
      ["ci_retry", "edits"],
    ]);
  });
});
