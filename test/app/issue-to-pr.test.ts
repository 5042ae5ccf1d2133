import nock from "nock";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { countJobs, listJobs } from "../../src/jobs/queue.js";
import { getGenerationByIssue, listAttempts } from "../../src/store/generations.js";
import { startApp, type AppHarness } from "../support/app-harness.js";
import { issueLabeled } from "../support/events.js";
import { webhookExample } from "../support/webhook-examples.js";
import { BOT } from "../support/fake-github.js";
import { newestKbVersion } from "../generate/helpers.js";
import { BROKEN_ISSUE, HEALTH_CHECK_ISSUE, HEALTH_CHECK_ISSUE_EDITED } from "./specs.js";

const R = "/repos/Codertocat/Hello-World";
const BRANCH = "opforge/7-health_check_operator";

let app: AppHarness;
beforeAll(() => nock.disableNetConnect());
beforeEach(async () => {
  app = await startApp();
});
afterEach(async () => {
  expect(app.fake.unexpected).toEqual([]);
  expect(nock.pendingMocks()).toEqual([]);
  await app.close();
  nock.cleanAll();
});

function commentsOn(issueNumber: number) {
  return [...app.repo.comments.values()].filter((c) => c.issueNumber === issueNumber);
}

async function labelIssue7(body = HEALTH_CHECK_ISSUE, id?: string) {
  if (!app.repo.issues.has(7)) app.fake.addIssue(app.repo, { number: 7, body, labels: ["generate-operator"] });
  const issue = app.repo.issues.get(7);
  if (issue !== undefined) issue.body = body;
  await app.receive("issues", issueLabeled({ issueNumber: 7, body }), id);
  await app.drain();
}

describe("labeled issue with a valid spec", () => {
  // Payload: issues.labeled example 0; patched installation, issue.number, issue.body, issue.labels, label.name.
  it("opens one PR from opforge/<issue>-<snake> with one git-data commit, a check run, and the status comment edited in place", async () => {
    await labelIssue7();
    const { fake, repo } = app;

    // One branch, one commit holding all three files, made through the git data API (not the contents API).
    expect(fake.calls("POST", `${R}/git/refs`)).toHaveLength(1);
    expect(fake.calls("POST", `${R}/git/refs`)[0]?.body).toMatchObject({ ref: `refs/heads/${BRANCH}` });
    expect(fake.calls("POST", `${R}/git/commits`)).toHaveLength(1);
    expect(fake.calls("PUT", /\/contents\//)).toHaveLength(0);
    const head = repo.refs.get(BRANCH) ?? "";
    expect(fake.commit(head)?.parents).toEqual([repo.refs.get("master")]);
    const files = fake.filesAt(repo, head);
    expect([...files.keys()].sort()).toEqual([
      "README.md",
      "dags/examples/health_check_operator_example_dag.py",
      "plugins/operators/health_check_operator.py",
      "tests/operators/test_health_check_operator.py",
    ]);
    expect(files.get("plugins/operators/health_check_operator.py")).toContain("class HealthCheckOperator(BaseOperator)");

    // One PR into the default branch whose body closes the issue.
    const prs = fake.calls("POST", `${R}/pulls`);
    expect(prs).toHaveLength(1);
    expect(prs[0]?.body).toMatchObject({ head: BRANCH, base: "master", title: "Scaffold operator HealthCheckOperator" });
    const pull = repo.pulls.get(8);
    expect(pull?.body).toContain("Closes #7");
    expect(pull?.body).toContain("`plugins/operators/health_check_operator.py` (component)");
    // The Airflow API facts the generation was grounded on, and the hook the scaffold took from them.
    const kb = newestKbVersion();
    expect(pull?.body).toContain(
      `### Airflow API facts given to the model\nNo model was called; the scaffold took its hooks and connection arguments from these facts.\n<details><summary>2 classes with import paths and signatures read from Airflow ${kb.id} (${kb.ref} @ ${kb.commit})</summary>\n`,
    );
    expect(pull?.body).toContain(
      '- `HttpHook` (hook, implied by the dependency apache-airflow-providers-http and the category "http"): `from airflow.providers.http.hooks.http import HttpHook`; connection `http_conn_id` (default `http_default`, type `http`); `__init__`: method, http_conn_id, auth_type, ',
    );
    expect(files.get("plugins/operators/health_check_operator.py")).toContain("        hook = HttpHook(http_conn_id=self.http_conn_id)\n");
    expect(pull?.headSha).toBe(head);

    // The local validation is reported as the opforge/validate check run on the head commit.
    const checks = fake.calls("POST", `${R}/check-runs`);
    expect(checks).toHaveLength(1);
    expect(checks[0]?.body).toMatchObject({ name: "opforge/validate", head_sha: head, status: "completed" });
    expect(["success", "neutral"]).toContain((checks[0]?.body as { conclusion: string }).conclusion);

    // The status comment is posted once ("queued") and then edited as the work moves on.
    const posted = fake.calls("POST", `${R}/issues/7/comments`);
    expect(posted).toHaveLength(1);
    expect((posted[0]?.body as { body: string }).body).toContain("generation is queued");
    const status = commentsOn(7);
    expect(status).toHaveLength(1);
    expect(status[0]?.user.login).toBe(BOT.login);
    expect(status[0]?.body).toContain("<!-- opforge:status -->");
    expect(status[0]?.body).toContain(`opened pull request #8: https://github.com/Codertocat/Hello-World/pull/8`);
    const edits = fake.calls("PATCH", `${R}/issues/comments/${status[0]?.id}`).map((r) => (r.body as { body: string }).body);
    expect(edits.map((b) => (b.includes("generating (attempt 1)") ? "generating" : b.includes("opened pull request") ? "pr" : "other"))).toEqual(["generating", "pr"]);

    const generation = await getGenerationByIssue(app.kysely, "Codertocat/Hello-World", 7);
    expect(generation).toMatchObject({ status: "ci_running", prNumber: 8, branch: BRANCH, headSha: head, statusCommentId: status[0]?.id });
    expect((await listAttempts(app.kysely, generation?.id ?? 0)).map((a) => ({ commit: a.commitSha, outcome: a.outcome }))).toEqual([
      { commit: head, outcome: "validated" },
    ]);
  });

  it("answers the webhook without doing the slow work: the handler makes no request and queues a job that reads the config", async () => {
    app.fake.addIssue(app.repo, { number: 7, body: HEALTH_CHECK_ISSUE, labels: ["generate-operator"] });
    await app.receive("issues", issueLabeled({ issueNumber: 7, body: HEALTH_CHECK_ISSUE }));
    expect(app.fake.requests).toEqual([]);
    expect(await countJobs(app.kysely)).toMatchObject({ queued: 1 });
    await app.drain();
    expect(app.fake.requests.slice(0, 3).map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /app/installations/4242/access_tokens",
      `GET ${R}/contents/.github%2Fopforge.yml`,
      "GET /repos/Codertocat/.github/contents/.github%2Fopforge.yml",
    ]);
  });

  it("drops a redelivery (same delivery id): no second job, no second PR", async () => {
    await labelIssue7(HEALTH_CHECK_ISSUE, "delivery-1");
    const requestsBefore = app.fake.requests.length;
    await app.receive("issues", issueLabeled({ issueNumber: 7, body: HEALTH_CHECK_ISSUE }), "delivery-1");
    await app.drain();
    // The delivery is recorded before any request: a redelivery makes none.
    expect(app.fake.requests.slice(requestsBefore)).toEqual([]);
    expect(await listJobs(app.kysely, { type: "acknowledge" })).toHaveLength(1);
    expect(await listJobs(app.kysely, { type: "generate" })).toHaveLength(1);
    expect(app.fake.calls("POST", `${R}/pulls`)).toHaveLength(1);
  });

  it("keeps the existing PR when a second label event carries the same spec", async () => {
    await labelIssue7();
    const head = app.repo.refs.get(BRANCH);
    // A new delivery: the label removed and added again.
    await app.receive("issues", issueLabeled({ issueNumber: 7, body: HEALTH_CHECK_ISSUE }));
    await app.drain();

    expect(await listJobs(app.kysely, { type: "generate" })).toHaveLength(2);
    expect(app.fake.calls("POST", `${R}/pulls`)).toHaveLength(1);
    expect(app.fake.calls("POST", `${R}/git/commits`)).toHaveLength(1);
    expect(app.fake.calls("POST", `${R}/git/refs`)).toHaveLength(1);
    expect(app.repo.refs.get(BRANCH)).toBe(head);
    const status = commentsOn(7);
    expect(status).toHaveLength(1);
    expect(status[0]?.body).toContain("pull request #8");
  });

  it("updates the same PR with a new commit when the spec was edited", async () => {
    await labelIssue7();
    const firstHead = app.repo.refs.get(BRANCH) ?? "";
    // issues.labeled again (example 0) with the edited body; patched as above.
    await labelIssue7(HEALTH_CHECK_ISSUE_EDITED);

    expect(app.fake.calls("POST", `${R}/pulls`)).toHaveLength(1);
    expect(app.fake.calls("POST", `${R}/git/refs`)).toHaveLength(1);
    const secondHead = app.repo.refs.get(BRANCH) ?? "";
    expect(secondHead).not.toBe(firstHead);
    expect(app.fake.commit(secondHead)?.parents).toEqual([firstHead]);
    expect(app.fake.filesAt(app.repo, secondHead).get("plugins/operators/health_check_operator.py")).toContain("answers 5xx");
    expect(app.repo.pulls.get(8)?.headSha).toBe(secondHead);
    const status = commentsOn(7);
    expect(status).toHaveLength(1);
    expect(status[0]?.body).toContain("pull request #8 was updated");
  });

  it("takes an issue opened with the label already on it (an issue form's labels)", async () => {
    app.fake.addIssue(app.repo, { number: 7, body: HEALTH_CHECK_ISSUE, labels: ["generate-operator"] });
    // issues.opened example 0; patched installation, issue.number, issue.body, issue.labels (its label renamed).
    const payload = webhookExample<Record<string, unknown> & { issue: Record<string, unknown> & { labels: { name: string }[] } }>("issues", "opened", 0);
    payload.installation = issueLabeled({ issueNumber: 7, body: "" }).installation;
    payload.issue.number = 7;
    payload.issue.body = HEALTH_CHECK_ISSUE;
    payload.issue.labels = payload.issue.labels.map((l) => ({ ...l, name: "generate-operator" }));
    await app.receive("issues", payload);
    await app.drain();
    expect(app.fake.calls("POST", `${R}/pulls`)).toHaveLength(1);
    expect(app.repo.refs.has(BRANCH)).toBe(true);
  });

  it("ignores an issue labeled with another label", async () => {
    app.fake.addIssue(app.repo, { number: 7, body: HEALTH_CHECK_ISSUE, labels: ["bug"] });
    // Patched label.name and issue.labels to "bug" only.
    await app.receive("issues", issueLabeled({ issueNumber: 7, body: HEALTH_CHECK_ISSUE, label: "bug" }));
    await app.drain();
    // The configuration (read by the event's job) names another label: nothing follows the event's job.
    expect((await listJobs(app.kysely)).map((j) => j.type)).toEqual(["issue-event"]);
    expect(app.fake.calls("POST", /.*/).map((r) => r.path)).toEqual(["/app/installations/4242/access_tokens"]);
  });
});

describe("labeled issue with an invalid spec", () => {
  it("posts one comment listing every problem with its field path and adds the opforge:spec-invalid label", async () => {
    app.fake.addIssue(app.repo, { number: 7, body: BROKEN_ISSUE, labels: ["generate-operator"] });
    await app.receive("issues", issueLabeled({ issueNumber: 7, body: BROKEN_ISSUE }));
    await app.drain();

    const comments = commentsOn(7);
    expect(comments).toHaveLength(1);
    const body = comments[0]?.body ?? "";
    expect(body).toContain("<!-- opforge:spec-findings -->");
    expect(body).toMatch(/cannot use this spec yet: [3-9] problems/);
    expect(body).toContain("`name` (line 2)");
    expect(body).toContain("`component_type`");
    expect(body).toMatch(/`inputs\[1\]\.name`/);
    expect(body).toMatch(/Warnings[^]*`inputs\[2\]\.default`/);
    expect(app.repo.issues.get(7)?.labels).toEqual(["generate-operator", "opforge:spec-invalid"]);
    expect(app.fake.calls("POST", `${R}/labels`)[0]?.body).toMatchObject({ name: "opforge:spec-invalid" });
    expect(app.fake.calls("POST", `${R}/pulls`)).toHaveLength(0);
    expect(app.fake.calls("POST", `${R}/git/refs`)).toHaveLength(0);

    // Fixing the spec: the same findings comment is not duplicated, the label goes, a PR opens.
    await labelIssue7(HEALTH_CHECK_ISSUE);
    const findings = commentsOn(7).filter((c) => c.body.includes("opforge:spec-findings"));
    expect(findings).toHaveLength(1);
    expect(findings[0]?.body).toContain("the spec is valid now");
    expect(findings[0]?.body).not.toContain("cannot use this spec");
    expect(app.repo.issues.get(7)?.labels).toEqual(["generate-operator"]);
    expect(app.fake.calls("POST", `${R}/pulls`)).toHaveLength(1);
  });
});

describe("health route", () => {
  it("reports job counts", async () => {
    const chunks: string[] = [];
    let status = 0;
    // The route answers once the database has: wait for the body's end.
    let ended: () => void = () => {};
    const done = new Promise<void>((resolve) => (ended = resolve));
    const res = {
      writeHead: (code: number) => (status = code),
      end: (text: string) => {
        chunks.push(text);
        ended();
      },
    };
    const handled = await app.routes[0]?.({ method: "GET", url: "/healthz" } as never, res as never);
    expect(handled).toBe(true);
    await done;
    expect(status).toBe(200);
    expect(JSON.parse(chunks.join(""))).toMatchObject({ status: "ok", jobs: { queued: 0, running: 0 } });
  });
});

describe("repository configuration", () => {
  it("custom label and paths: the files land where .github/opforge.yml says and import each other by that package", async () => {
    await app.close();
    nock.cleanAll();
    app = await startApp({ config: "label: airflow-component\npaths:\n  operators: airflow/plugins/custom_ops\n  tests: tests/unit/\n  dags: airflow/dags/\n" });
    app.fake.addIssue(app.repo, { number: 7, body: HEALTH_CHECK_ISSUE, labels: ["airflow-component"] });
    // issues.labeled example 0; patched installation, issue.number, issue.body, issue.labels, label.name.
    await app.receive("issues", issueLabeled({ issueNumber: 7, body: HEALTH_CHECK_ISSUE, label: "airflow-component" }));
    await app.drain();

    const files = app.fake.filesAt(app.repo, app.repo.refs.get(BRANCH) ?? "");
    expect([...files.keys()].filter((p) => p.endsWith(".py")).sort()).toEqual([
      "airflow/dags/health_check_operator_example_dag.py",
      "airflow/plugins/custom_ops/health_check_operator.py",
      "tests/unit/test_health_check_operator.py",
    ]);
    expect(files.get("tests/unit/test_health_check_operator.py")).toContain("from custom_ops.health_check_operator import HealthCheckOperator");
    expect((app.fake.calls("POST", `${R}/check-runs`)[0]?.body as { conclusion: string }).conclusion).toBe("success");
  });
});
