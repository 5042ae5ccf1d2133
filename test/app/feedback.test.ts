import nock from "nock";
import { kyselyOverStore } from "../../src/db/over-store.js";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { listJobs } from "../../src/jobs/queue.js";
import { getGenerationByIssue } from "../../src/store/generations.js";
import { getRule, listRules } from "../../src/learn/fixes/index.js";
import { Learning } from "../../src/learn/loop.js";
import { INSTALLATION_ID, startApp, type AppHarness } from "../support/app-harness.js";
import { pullRequestClosed } from "../support/events.js";
import { BRANCH, R, openHealthCheckPr, useNockChecks } from "./helpers.js";

const COMPONENT = "plugins/operators/health_check_operator.py";

let app: AppHarness | undefined;
useNockChecks(() => app);
beforeEach(async () => {
  app = await startApp();
});
afterEach(() => {
  app = undefined;
});

function harness(): AppHarness {
  if (app === undefined) throw new Error("no app");
  return app;
}

/**
 * Issue #7 → PR; a reviewer adds a timeout to the generated operator and merges. Returns the PR and the
 * pull_request.closed delivery that says so (example 0; patched installation, number, merged, merge_commit_sha, head).
 */
async function mergeWithReviewerEdit(a: AppHarness): Promise<{ prNumber: number; closed: ReturnType<typeof pullRequestClosed> }> {
  const { prNumber, headSha } = await openHealthCheckPr(a);
  const generated = a.fake.filesAt(a.repo, headSha).get(COMPONENT) ?? "";
  const edited = generated.replace("super().__init__(**kwargs)", "super().__init__(**kwargs)\n        self.reviewed_timeout = 30");
  const mergeSha = a.fake.mergePull(a.repo, prNumber, { [COMPONENT]: edited });
  const pull = a.repo.pulls.get(prNumber);
  return { prNumber, closed: pullRequestClosed({ prNumber, merged: true, mergeSha, headRef: BRANCH, headSha: pull?.headSha ?? "" }) };
}

describe("the end of an opforge PR", () => {
  it("merged: the generation is marked merged and the files are read at the merge commit, with the reviewer's edits", async () => {
    const a = harness();
    const { prNumber, headSha } = await openHealthCheckPr(a);
    const generated = a.fake.filesAt(a.repo, headSha).get(COMPONENT) ?? "";
    // The reviewer adds a timeout to the sleep-free check before merging.
    expect(generated).toContain("super().__init__(**kwargs)");
    const edited = generated.replace("super().__init__(**kwargs)", "super().__init__(**kwargs)\n        self.reviewed_timeout = 30");
    const mergeSha = a.fake.mergePull(a.repo, prNumber, { [COMPONENT]: edited });
    const pull = a.repo.pulls.get(prNumber);

    // pull_request.closed example 0; patched installation, pull_request.number/merged/merge_commit_sha/head.ref/head.sha.
    await a.receive("pull_request", pullRequestClosed({ prNumber, merged: true, mergeSha, headRef: BRANCH, headSha: pull?.headSha ?? "" }));
    await a.drain();

    const reads = a.fake.calls("GET", /\/contents\//).filter((r) => r.query.ref === mergeSha);
    expect(reads.map((r) => decodeURIComponent(r.path.replace(`${R}/contents/`, ""))).sort()).toEqual([
      "dags/examples/health_check_operator_example_dag.py",
      COMPONENT,
      "tests/operators/test_health_check_operator.py",
    ]);
    expect(await getGenerationByIssue(a.kysely, "Codertocat/Hello-World", 7)).toMatchObject({ status: "merged", finalOutcome: "merged" });
    // What the learning layer made of the human edits is said on the PR, once, citing the merge.
    const lessons = [...a.repo.comments.values()].filter((c) => c.issueNumber === prNumber);
    expect(lessons).toHaveLength(1);
    expect(lessons[0]?.body).toContain("<!-- opforge:human-fixes -->");
    expect(lessons[0]?.body).toContain("What you changed vs. what I generated");
    expect(lessons[0]?.body).toContain("self.reviewed_timeout = 30");
    const rules = await listRules(kyselyOverStore(a.db), { installationId: INSTALLATION_ID, repository: null });
    expect(rules.length).toBeGreaterThan(0);
    expect(rules[0]?.status).toBe("candidate");
    // The merged code's patterns are stored with one success each.
    const patterns = a.db.prepare("SELECT COUNT(*) AS n, MIN(successes) AS s FROM patterns").get() as { n: number; s: number };
    expect(patterns.n).toBeGreaterThan(0);
    expect(patterns.s).toBe(1);
  });

  it("a worker that loses its lease while learning writes nothing; the run that takes over counts the merge once", async () => {
    const a = harness();
    const { prNumber, closed } = await mergeWithReviewerEdit(a);
    // While the first run works out the lessons, its lease passes to another worker (it stalled past expiry);
    // that one dies too, and the job runs a third time from its recorded steps.
    const study = Learning.prototype.studyMerge;
    let stolen = false;
    const spy = vi.spyOn(Learning.prototype, "studyMerge").mockImplementation(async function (this: Learning, signal) {
      const result = await study.call(this, signal);
      if (!stolen) {
        stolen = true;
        // The other worker's lease has run out in turn (it died): the job is free to be taken again.
        a.db.prepare("UPDATE jobs SET lease_owner = 'another-worker', lease_expires_at = 0 WHERE type = 'feedback' AND status = 'running'").run();
      }
      return result;
    });
    try {
      await a.receive("pull_request", closed);
      await a.drain({ retries: true });
      expect(stolen).toBe(true);
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
    const patterns = a.db.prepare("SELECT COUNT(*) AS n, MAX(successes) AS s FROM patterns").get() as { n: number; s: number };
    expect(patterns.n).toBeGreaterThan(0);
    expect(patterns.s).toBe(1);
    expect((await listRules(kyselyOverStore(a.db), { installationId: INSTALLATION_ID, repository: null })).length).toBeGreaterThan(0);
    expect([...a.repo.comments.values()].filter((c) => c.issueNumber === prNumber && c.body.includes("<!-- opforge:human-fixes -->"))).toHaveLength(1);
    expect((await listJobs(a.kysely, { type: "feedback" })).map((j) => j.status)).toEqual(["succeeded"]);
  });

  it("closed unmerged: a negative outcome, and nothing read from GitHub", async () => {
    const a = harness();
    const { prNumber, headSha } = await openHealthCheckPr(a);
    a.fake.closePull(a.repo, prNumber);
    const before = a.fake.requests.length;

    // pull_request.closed example 0 as delivered (merged false); patched installation, number, head.
    await a.receive("pull_request", pullRequestClosed({ prNumber, merged: false, mergeSha: null, headRef: BRANCH, headSha }));
    await a.drain();

    const generation = await getGenerationByIssue(a.kysely, "Codertocat/Hello-World", 7);
    expect(generation).toMatchObject({ status: "closed", finalOutcome: "closed_unmerged" });
    expect(a.db.prepare("SELECT COUNT(*) AS n FROM patterns").get()).toEqual({ n: 0 });
    // Only the installation token may be fetched again; no repository reads for a closed PR.
    expect(a.fake.requests.slice(before).filter((r) => r.path.startsWith("/repos/"))).toEqual([]);
  });

  it("ignores a closed PR that opforge did not open, and a redelivered close", async () => {
    const a = harness();
    const { prNumber, headSha } = await openHealthCheckPr(a);
    await a.receive("pull_request", pullRequestClosed({ prNumber: 2, merged: true, mergeSha: "c4295bd74fb0f4fda03689c3df3f2803b658fd85", headRef: "changes", headSha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821" }));
    const mergeSha = a.fake.mergePull(a.repo, prNumber);
    const payload = pullRequestClosed({ prNumber, merged: true, mergeSha, headRef: BRANCH, headSha });
    await a.receive("pull_request", payload, "close-delivery");
    await a.receive("pull_request", payload, "close-delivery");
    await a.drain();
    expect(await listJobs(a.kysely, { type: "feedback" })).toHaveLength(1);
    expect(await listRules(kyselyOverStore(a.db), { installationId: INSTALLATION_ID, repository: null })).toEqual([]);
    // Merged as generated: nothing to learn, nothing said.
    expect([...a.repo.comments.values()].filter((c) => c.issueNumber === prNumber)).toEqual([]);
  });

  it("a maintainer's 👍 on the lessons comment trusts its rules; a stranger's reaction does not count", async () => {
    const a = harness();
    const { prNumber, closed } = await mergeWithReviewerEdit(a);
    await a.receive("pull_request", closed);
    await a.drain();
    const lessons = [...a.repo.comments.values()].find((c) => c.issueNumber === prNumber);
    const ruleIds = (await listRules(kyselyOverStore(a.db), { installationId: INSTALLATION_ID, repository: null })).map((r) => r.id);
    expect(ruleIds.length).toBeGreaterThan(0);

    // Reactions have no webhook: opforge looks a while after posting, and keeps looking until someone decides.
    a.fake.react(a.repo, lessons?.id ?? 0, "+1", { login: "drive-by", id: 99, type: "User" });
    a.clock.advance(11 * 60_000);
    await a.drain();
    expect(await Promise.all(ruleIds.map(async (id) => (await getRule(kyselyOverStore(a.db), { installationId: INSTALLATION_ID, repository: null }, id))?.status))).toEqual(ruleIds.map(() => "candidate"));
    expect((await listJobs(a.kysely, { type: "lessons-verdict" })).sort((x, y) => x.id - y.id).map((j) => j.status)).toEqual(["succeeded", "queued"]);

    a.repo.permissions.set("Codertocat", "maintain");
    a.fake.react(a.repo, lessons?.id ?? 0, "+1", { login: "Codertocat", id: 21031067, type: "User" });
    a.clock.advance(61 * 60_000);
    await a.drain();
    expect(await Promise.all(ruleIds.map(async (id) => (await getRule(kyselyOverStore(a.db), { installationId: INSTALLATION_ID, repository: null }, id))?.status))).toEqual(ruleIds.map(() => "trusted"));
    expect((await listJobs(a.kysely, { type: "lessons-verdict" })).sort((x, y) => x.id - y.id).map((j) => j.status)).toEqual(["succeeded", "succeeded"]);
  });

  it("OPFORGE_LESSONS_CHECK_MS sets when opforge first looks at the lessons comment's reactions", async () => {
    // This test's app reads its own environment: the one started for every test gives way (and its interceptors).
    await harness().close();
    nock.cleanAll();
    app = await startApp({ env: { ...process.env, OPFORGE_LESSONS_CHECK_MS: "60000" } });
    const a = app;
    {
      const { prNumber, closed } = await mergeWithReviewerEdit(a);
      await a.receive("pull_request", closed);
      const mergedAt = a.clock.now();
      await a.drain();
      const look = await listJobs(a.kysely, { type: "lessons-verdict" });
      expect(look.map((j) => j.runAfter - mergedAt)).toEqual([60_000]);
      const lessons = [...a.repo.comments.values()].find((c) => c.issueNumber === prNumber);
      a.repo.permissions.set("Codertocat", "maintain");
      a.fake.react(a.repo, lessons?.id ?? 0, "+1", { login: "Codertocat", id: 21031067, type: "User" });
      a.clock.advance(61_000);
      await a.drain();
      const ruleIds = (await listRules(kyselyOverStore(a.db), { installationId: INSTALLATION_ID, repository: null })).map((r) => r.id);
      expect(ruleIds.length).toBeGreaterThan(0);
      expect(await Promise.all(ruleIds.map(async (id) => (await getRule(kyselyOverStore(a.db), { installationId: INSTALLATION_ID, repository: null }, id))?.status))).toEqual(ruleIds.map(() => "trusted"));
    }
  });

  it("a malformed OPFORGE_LESSONS_CHECK_MS stops the app, naming the setting", async () => {
    await expect(startApp({ env: { ...process.env, OPFORGE_LESSONS_CHECK_MS: "soon" } })).rejects.toThrow("invalid opforge environment: OPFORGE_LESSONS_CHECK_MS");
  });
});
