import type { IncomingMessage, ServerResponse } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { anthropicProvider } from "../../src/generate/providers/index.js";
import type { StatsReport } from "../../src/learn/metrics/index.js";
import { INSTALLATION_ID, startApp, type AppHarness } from "../support/app-harness.js";
import { checkSuiteCompleted, issueLabeled, pullRequestClosed } from "../support/events.js";
import type { FakeRepo } from "../support/fake-github.js";
import { expectMessage, filesReply, modelFiles, type CapturedMessage } from "../support/model.js";
import { webhookExample } from "../support/webhook-examples.js";
import { EXIT_CODE_ANNOTATION, pytestFailureLog } from "./ci-log.js";
import { BRANCH, useNockChecks } from "./helpers.js";
import { HEALTH_CHECK_ISSUE } from "./specs.js";

/**
 * Two installations of the app by different owners on one opforge: Codertocat (installation 4242, the
 * repository of the webhook examples) and octo-org (installation 5151, octo-org/octo-repo, the repository of
 * the workflow_run example). What Codertocat's merged PR, human fix, 👍 and CI failure taught must shape
 * Codertocat's next generation and nothing of octo-org's.
 */
const OTHER_INSTALLATION = 5_151;
const CONFIG = "max_attempts: 2\n";
const FILES = modelFiles(HEALTH_CHECK_ISSUE, "operators.health_check_operator");
const USAGE = { input_tokens: 1_000, output_tokens: 500, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
const COMPONENT = "plugins/operators/health_check_operator.py";
const HUMAN_FIX = "self.reviewed_timeout = 30";
const DASHBOARD_TOKEN = "installations-dashboard-token";

type Payload = Record<string, unknown>;

/** octo-org/octo-repo as the `workflow_run.completed` example 1 delivers it. */
function octoRepository(): { id: number; name: string; full_name: string; owner: { login: string } } {
  return webhookExample<{ repository: { id: number; name: string; full_name: string; owner: { login: string } } }>("workflow_run", "completed", 1).repository;
}

/**
 * A Codertocat payload re-addressed to the other installation. Patched on top of the builder's fields:
 * `installation` (id 5151) and `repository` (the octo-org/octo-repo object of the workflow_run example).
 */
function forOtherInstallation(payload: Payload): Payload {
  return {
    ...payload,
    installation: { id: OTHER_INSTALLATION, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNTE1MQ==" },
    repository: octoRepository(),
  };
}

function prompt(captured: CapturedMessage | undefined): string {
  return [...(captured?.system.map((b) => b.text) ?? []), ...(captured?.messages.map((m) => m.content) ?? [])].join("\n");
}

function pullFor(repo: FakeRepo, branch: string): { number: number; body: string; headSha: string } {
  const pull = [...repo.pulls.values()].find((p) => p.head === branch);
  if (pull === undefined) throw new Error(`no PR from ${branch} in ${repo.owner}/${repo.name}`);
  return { number: pull.number, body: pull.body, headSha: repo.refs.get(branch) ?? "" };
}

/** GET /api/… through the app's own routes, with the dashboard token as a bearer token; the route answers once the database has. */
async function metricsJson(app: AppHarness, path: string): Promise<unknown> {
  let body = "";
  let status = 0;
  let ended: () => void = () => {};
  const done = new Promise<void>((resolve) => (ended = resolve));
  const req = { method: "GET", url: path, headers: { authorization: `Bearer ${DASHBOARD_TOKEN}` } } as unknown as IncomingMessage;
  const res = {
    headersSent: false,
    writeHead(code: number) {
      status = code;
      return res;
    },
    end(text: string) {
      body = text;
      ended();
      return res;
    },
  } as unknown as ServerResponse;
  if (!app.routes.some((route) => route(req, res))) throw new Error(`no route answered ${path}`);
  await done;
  expect(status).toBe(200);
  return JSON.parse(body) as unknown;
}

let app: AppHarness | undefined;
useNockChecks(() => app);
beforeEach(async () => {
  app = await startApp({
    config: CONFIG,
    env: { OPFORGE_DASHBOARD_TOKEN: DASHBOARD_TOKEN },
    providerFor: (config) => anthropicProvider({ apiKey: "sk-ant-test", maxRetries: 0, ...(config.model === undefined ? {} : { model: config.model }) }),
  });
});
afterEach(() => {
  app = undefined;
});

describe("two installations of different owners", () => {
  it("what one installation taught shapes its own next generation and nothing of the other's", async () => {
    if (app === undefined) throw new Error("no app");
    const a = app;
    const octo = octoRepository();
    const other = a.fake.addRepo(octo.owner.login, octo.name, { defaultBranch: "master", id: octo.id, files: { "README.md": "# octo-repo\n", ".github/opforge.yml": CONFIG } });
    const prompts: CapturedMessage[] = [];

    // 1. Codertocat: issue #7 → PR; CI fails, a patch follows; a maintainer merges it with a fix of their own.
    a.fake.addIssue(a.repo, { number: 7, body: HEALTH_CHECK_ISSUE, labels: ["generate-operator"] });
    expectMessage(filesReply(FILES), USAGE, prompts);
    // issues.labeled example 0; patched installation, issue.number, issue.body, issue.labels, label.name.
    await a.receive("issues", issueLabeled({ issueNumber: 7, body: HEALTH_CHECK_ISSUE }));
    await a.drain();
    const first = pullFor(a.repo, BRANCH);
    expectMessage(filesReply(FILES), USAGE, prompts);
    const suite = a.fake.completeSuite(a.repo, first.headSha, [{ name: "test (3.11)", conclusion: "failure", annotations: [EXIT_CODE_ANNOTATION], log: pytestFailureLog() }], BRANCH);
    // check_suite.completed example 1; patched installation, check_suite.id/head_sha/after/head_branch/conclusion.
    await a.receive("check_suite", checkSuiteCompleted({ suiteId: suite, headSha: first.headSha, headBranch: BRANCH, conclusion: "failure" }));
    await a.drain();
    const patched = pullFor(a.repo, BRANCH);
    const generated = a.fake.filesAt(a.repo, patched.headSha).get(COMPONENT) ?? "";
    const mergeSha = a.fake.mergePull(a.repo, patched.number, { [COMPONENT]: generated.replace("super().__init__(**kwargs)", `super().__init__(**kwargs)\n        ${HUMAN_FIX}`) });
    // pull_request.closed example 0; patched installation, pull_request.number/merged/merge_commit_sha/head.ref/head.sha.
    await a.receive("pull_request", pullRequestClosed({ prNumber: patched.number, merged: true, mergeSha, headRef: BRANCH, headSha: patched.headSha }));
    await a.drain();
    const lessons = [...a.repo.comments.values()].find((c) => c.issueNumber === patched.number && c.body.includes("What you changed vs. what I generated"));
    expect(lessons?.body).toContain(HUMAN_FIX);
    // 2. A Codertocat maintainer's 👍 trusts the rules.
    a.repo.permissions.set("Codertocat", "maintain");
    a.fake.react(a.repo, lessons?.id ?? 0, "+1", { login: "Codertocat", id: 21031067, type: "User" });
    a.clock.advance(11 * 60_000);
    await a.drain();

    // 3. octo-org: the same spec in its own repository.
    a.fake.addIssue(other, { number: 7, body: HEALTH_CHECK_ISSUE, labels: ["generate-operator"], user: { login: "octocat", id: 583231, type: "User" } });
    expectMessage(filesReply(FILES), USAGE, prompts);
    await a.receive("issues", forOtherInstallation(issueLabeled({ issueNumber: 7, body: HEALTH_CHECK_ISSUE })));
    await a.drain();
    const octoPull = pullFor(other, BRANCH);
    const octoPrompt = prompt(prompts[2]);
    const octoFiles = [...a.fake.filesAt(other, octoPull.headSha).entries()].map(([path, content]) => `${path}\n${content}`).join("\n");
    for (const text of [octoPrompt, octoPull.body, octoFiles]) {
      expect(text).not.toContain("Codertocat");
      expect(text).not.toContain("Hello-World");
      expect(text).not.toContain("reviewed_timeout");
      expect(text).not.toMatch(/\[(pattern|rule|signature):\d+\]/);
    }
    expect(octoPrompt).not.toContain("# Learned context");
    expect(octoPrompt).toContain("HealthCheckOperator");
    expect(octoPull.body).toContain("None: nothing learned so far matched this spec.");

    // 4. Codertocat again (issue #9, the same spec): its own patterns, error signatures and trusted rule are used.
    a.fake.addIssue(a.repo, { number: 9, body: HEALTH_CHECK_ISSUE, labels: ["generate-operator"] });
    expectMessage(filesReply(FILES), USAGE, prompts);
    await a.receive("issues", issueLabeled({ issueNumber: 9, body: HEALTH_CHECK_ISSUE }));
    await a.drain();
    const again = pullFor(a.repo, "opforge/9-health_check_operator");
    const ownPrompt = prompt(prompts[3]);
    expect(ownPrompt).toContain("# Learned context");
    expect(ownPrompt).toMatch(/### pattern: .*\[pattern:\d+\]\nWhy it is here: used in 1 successful component/);
    expect(ownPrompt).toMatch(/### fix: Avoid: .*\[signature:\d+\]/);
    expect(again.body).toMatch(/- \*\*pattern\*\* /);
    // The trusted rule repaired the new code before it was committed.
    expect(a.fake.filesAt(a.repo, again.headSha).get(COMPONENT)).toContain(HUMAN_FIX);

    // 5. The metrics report each installation apart.
    const all = (await metricsJson(a, "/api/stats?weeks=2")) as { installations: StatsReport[] };
    const byId = new Map(all.installations.map((r) => [r.installationId, r]));
    expect([...byId.keys()]).toEqual([INSTALLATION_ID, OTHER_INSTALLATION]);
    expect(byId.get(INSTALLATION_ID)?.cost[0]).toMatchObject({ generations: 2, successfulComponents: 1 });
    expect(byId.get(INSTALLATION_ID)?.patternLibrarySize).toBeGreaterThan(0);
    expect(byId.get(OTHER_INSTALLATION)?.cost[0]).toMatchObject({ generations: 1, successfulComponents: 0 });
    expect(byId.get(OTHER_INSTALLATION)?.patternLibrarySize).toBe(0);
    expect(byId.get(OTHER_INSTALLATION)?.errorKinds.rows).toEqual([]);
    const alone = (await metricsJson(a, `/api/installations/${OTHER_INSTALLATION}/stats?weeks=2`)) as StatsReport;
    expect(alone).toMatchObject({ installationId: OTHER_INSTALLATION, attempts: [{ attempts: 1, generations: 1 }] });
  });
});
