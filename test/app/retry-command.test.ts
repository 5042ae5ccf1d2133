import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listJobs } from "../../src/jobs/queue.js";
import { listAttempts, getGenerationByIssue } from "../../src/store/generations.js";
import { startApp, type AppHarness } from "../support/app-harness.js";
import { checkSuiteCompleted, prCommentCreated } from "../support/events.js";
import { EXIT_CODE_ANNOTATION, pytestFailureLog } from "./ci-log.js";
import { expectMessage, filesReply, modelFiles, type CapturedMessage } from "../support/model.js";
import { anthropicProvider } from "../../src/generate/providers/index.js";
import { BRANCH, R, commentsOn, openHealthCheckPr, useNockChecks } from "./helpers.js";
import { HEALTH_CHECK_ISSUE } from "./specs.js";

const USAGE = { input_tokens: 8_000, output_tokens: 2_000, cache_creation_input_tokens: 0, cache_read_input_tokens: 3_000 };
const FILES = modelFiles(HEALTH_CHECK_ISSUE, "operators.health_check_operator");
const GUIDED = FILES.map((f) => (f.role === "component" ? { ...f, content: `${f.content}\n# Uses HttpHook as the maintainer asked.\n` } : f));

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

/** A human's comment as GitHub stores it, and its issue_comment.created webhook. */
async function comment(prNumber: number, login: string, body: string, type: "User" | "Bot" = "User"): Promise<number> {
  const a = harness();
  const id = 70_000 + a.repo.comments.size;
  a.repo.comments.set(id, { id, issueNumber: prNumber, body, user: { login, id: 4242, type }, createdAt: "2026-11-24T11:00:00Z", updatedAt: "2026-11-24T11:00:00Z" });
  // issue_comment.created example 0; patched installation, issue.number, issue.pull_request, comment.id/body/user, sender.
  await a.receive("issue_comment", prCommentCreated({ prNumber, commentId: id, body, login, type }));
  await a.drain();
  return id;
}

describe("/retry on an opforge PR", () => {
  it("by a collaborator with write permission: 👀 reaction, a new commit generated with the guidance, and an explanation", async () => {
    const a = harness();
    expectMessage(filesReply(FILES), USAGE);
    const { prNumber, headSha } = await openHealthCheckPr(a);
    a.repo.permissions.set("octocat-maintainer", "write");
    const prompts: CapturedMessage[] = [];
    expectMessage(filesReply(GUIDED), USAGE, prompts);

    const commentId = await comment(prNumber, "octocat-maintainer", "/retry use HttpHook instead of requests\nand keep the endpoint templated");

    expect(a.fake.calls("GET", `${R}/collaborators/octocat-maintainer/permission`)).toHaveLength(1);
    expect(a.repo.reactions).toEqual([{ commentId, content: "eyes", user: expect.objectContaining({ login: "opforge[bot]" }) }]);
    expect(prompts[0]?.messages[0]?.content).toContain("## Guidance from a maintainer (follow it)\nuse HttpHook instead of requests\nand keep the endpoint templated");

    const newHead = a.repo.refs.get(BRANCH) ?? "";
    expect(a.fake.commit(newHead)?.parents).toEqual([headSha]);
    expect(a.fake.filesAt(a.repo, newHead).get("plugins/operators/health_check_operator.py")).toContain("Uses HttpHook as the maintainer asked");
    expect(a.fake.calls("POST", `${R}/pulls`)).toHaveLength(1);

    const ours = commentsOn(a, prNumber).filter((c) => c.user.type === "Bot");
    expect(ours).toHaveLength(1);
    expect(ours[0]?.body).toContain("attempt 2 (a targeted patch of the previous code, asked by @octocat-maintainer)");
    expect(ours[0]?.body).toContain("Guidance used: use HttpHook instead of requests");
    expect(ours[0]?.body).toContain(`What changed in ${newHead.slice(0, 7)}:`);
    const generation = await getGenerationByIssue(a.kysely, "Codertocat/Hello-World", 7);
    expect((await listAttempts(a.kysely, generation?.id ?? 0)).map((x) => x.trigger)).toEqual(["initial", "manual_retry"]);
  });

  it("a retry whose reply is unusable says so and leaves the generation failed, not generating", async () => {
    const a = harness();
    expectMessage(filesReply(FILES), USAGE);
    const { prNumber, headSha } = await openHealthCheckPr(a);
    a.repo.permissions.set("octocat-maintainer", "admin");
    expectMessage("Sorry, I cannot help with that.", USAGE);

    await comment(prNumber, "octocat-maintainer", "/retry");

    const ours = commentsOn(a, prNumber).filter((c) => c.user.type === "Bot");
    expect(ours.map((c) => c.body.split("\n")[1])).toEqual([expect.stringContaining("retry 2 produced nothing usable")]);
    expect(a.repo.refs.get(BRANCH)).toBe(headSha);
    expect(await getGenerationByIssue(a.kysely, "Codertocat/Hello-World", 7)).toMatchObject({ status: "failed", finalOutcome: "generation_failed" });
  });

  it("by someone without write permission: a polite refusal and no commit", async () => {
    const a = harness();
    expectMessage(filesReply(FILES), USAGE);
    const { prNumber, headSha } = await openHealthCheckPr(a);
    a.repo.permissions.set("passer-by", "read");

    await comment(prNumber, "passer-by", "/retry please");

    const ours = commentsOn(a, prNumber).filter((c) => c.user.type === "Bot");
    expect(ours).toHaveLength(1);
    expect(ours[0]?.body).toContain("Thanks for the nudge, @passer-by!");
    expect(ours[0]?.body).toContain("Only people with write, maintain or admin permission");
    expect(a.repo.reactions).toEqual([]);
    expect(a.repo.refs.get(BRANCH)).toBe(headSha);
    expect(a.fake.calls("POST", `${R}/git/commits`)).toHaveLength(1);
  });

  it("by a user GitHub does not know as a collaborator (404): refused like a stranger", async () => {
    const a = harness();
    expectMessage(filesReply(FILES), USAGE);
    const { prNumber, headSha } = await openHealthCheckPr(a);

    await comment(prNumber, "stranger", "/retry");

    expect(commentsOn(a, prNumber).filter((c) => c.user.type === "Bot")[0]?.body).toContain("@stranger");
    expect(a.repo.refs.get(BRANCH)).toBe(headSha);
  });

  it("by a bot: ignored without a single request", async () => {
    const a = harness();
    expectMessage(filesReply(FILES), USAGE);
    const { prNumber } = await openHealthCheckPr(a);
    const before = a.fake.requests.length;

    await comment(prNumber, "dependabot[bot]", "/retry", "Bot");

    expect(a.fake.requests.length).toBe(before);
    expect(await listJobs(a.kysely, { type: "retry" })).toEqual([]);
  });

  it("ignores ordinary comments and comments on PRs opforge did not open", async () => {
    const a = harness();
    expectMessage(filesReply(FILES), USAGE);
    const { prNumber } = await openHealthCheckPr(a);
    a.fake.addIssue(a.repo, { number: 99, body: "someone else's PR" });

    await comment(prNumber, "octocat", "Looks good, but please retry later");
    await comment(99, "octocat", "/retry");

    expect(await listJobs(a.kysely, { type: "retry" })).toEqual([]);
    expect(commentsOn(a, prNumber).filter((c) => c.user.type === "Bot")).toEqual([]);
  });
});

describe("/retry after opforge stopped on its own", () => {
  it("the escalation invites /retry while attempts remain; the maintainer's /retry is honoured, one past max_attempts refused", async () => {
    // This test needs its own configuration: the app made by beforeEach goes.
    await app?.close();
    nock.cleanAll();
    const a = await startApp({ config: "max_attempts: 3\n", providerFor: () => anthropicProvider({ apiKey: "sk-ant-test", maxRetries: 0 }) });
    app = a;
    expectMessage(filesReply(FILES), USAGE);
    const { prNumber, headSha } = await openHealthCheckPr(a);
    const failOn = async (sha: string) => {
      const suiteId = a.fake.completeSuite(a.repo, sha, [{ name: "test (3.11)", conclusion: "failure", annotations: [EXIT_CODE_ANNOTATION], log: pytestFailureLog() }], BRANCH);
      // check_suite.completed example 1; patched installation, check_suite.id/head_sha/after/head_branch/conclusion.
      await a.receive("check_suite", checkSuiteCompleted({ suiteId, headSha: sha, headBranch: BRANCH, conclusion: "failure" }));
      await a.drain();
    };
    expectMessage(filesReply(GUIDED), USAGE);
    await failOn(headSha);
    const second = a.repo.refs.get(BRANCH) ?? "";
    await failOn(second);
    const escalation = commentsOn(a, prNumber).at(-1)?.body ?? "";
    expect(escalation).toContain("Comment `/retry <guidance>` to try again with your hints.");

    a.repo.permissions.set("octocat-maintainer", "maintain");
    const third = FILES.map((f) => (f.role === "component" ? { ...f, content: `${f.content}\n# Third try, guided.\n` } : f));
    const prompts: CapturedMessage[] = [];
    expectMessage(filesReply(third), USAGE, prompts);
    await comment(prNumber, "octocat-maintainer", "/retry build the hook in execute(), not in __init__");

    expect(prompts[0]?.messages[0]?.content).toContain("build the hook in execute(), not in __init__");
    expect(a.fake.commit(a.repo.refs.get(BRANCH) ?? "")?.parents).toEqual([second]);
    expect(commentsOn(a, prNumber).filter((c) => c.user.type === "Bot").at(-1)?.body).toContain("attempt 3 (regenerated from the spec, asked by @octocat-maintainer)");

    // The third attempt was the last one max_attempts allows: another /retry is answered, not run.
    const head = a.repo.refs.get(BRANCH);
    await comment(prNumber, "octocat-maintainer", "/retry once more");
    expect(a.repo.refs.get(BRANCH)).toBe(head);
    expect(commentsOn(a, prNumber).filter((c) => c.user.type === "Bot").at(-1)?.body).toContain("will not retry: opforge has used all its attempts (`max_attempts`");
  });
});
