import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listJobs } from "../../src/jobs/queue.js";
import { getGenerationByIssue } from "../../src/store/generations.js";
import type { LearningHooks } from "../../src/flows/services.js";
import { startApp, type AppHarness } from "../support/app-harness.js";
import { pullRequestClosed } from "../support/events.js";
import { BRANCH, R, openHealthCheckPr, useNockChecks } from "./helpers.js";

const COMPONENT = "plugins/operators/health_check_operator.py";

let app: AppHarness | undefined;
let merged: Parameters<NonNullable<LearningHooks["onMerged"]>>[0][] = [];
let closed: number[] = [];
useNockChecks(() => app);
beforeEach(async () => {
  merged = [];
  closed = [];
  app = await startApp({
    learning: {
      contextFor: () => ({ learned: [], rules: [] }),
      onMerged: async (input) => {
        merged.push(input);
        const edited = input.generatedFiles.some((f) => input.mergedFiles.get(f.path) !== f.content);
        return edited ? "📚 **opforge** learned from the review: 1 hunk in the component." : null;
      },
      onClosedUnmerged: ({ generationId }) => void closed.push(generationId),
    },
  });
});
afterEach(() => {
  app = undefined;
});

function harness(): AppHarness {
  if (app === undefined) throw new Error("no app");
  return app;
}

describe("the end of an opforge PR", () => {
  it("merged: the generation is marked merged and the files are read at the merge commit, with the reviewer's edits", async () => {
    const a = harness();
    const { prNumber, headSha } = await openHealthCheckPr(a);
    const generated = a.fake.filesAt(a.repo, headSha).get(COMPONENT) ?? "";
    const edited = generated.replace("class HealthCheckOperator", "# Reviewed.\nclass HealthCheckOperator");
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
    expect(getGenerationByIssue(a.db, "Codertocat/Hello-World", 7)).toMatchObject({ status: "merged", finalOutcome: "merged" });
    expect(merged).toHaveLength(1);
    expect(merged[0]?.mergeSha).toBe(mergeSha);
    expect(merged[0]?.generatedFiles.find((f) => f.path === COMPONENT)?.content).toBe(generated);
    expect(merged[0]?.mergedFiles.get(COMPONENT)).toBe(edited);
    expect(closed).toEqual([]);
    // What the learning layer made of the human edits is said on the PR, once.
    const lessons = [...a.repo.comments.values()].filter((c) => c.issueNumber === prNumber);
    expect(lessons.map((c) => c.body)).toEqual(["<!-- opforge:human-fixes -->\n📚 **opforge** learned from the review: 1 hunk in the component."]);
  });

  it("closed unmerged: a negative outcome, and nothing read from GitHub", async () => {
    const a = harness();
    const { prNumber, headSha } = await openHealthCheckPr(a);
    a.fake.closePull(a.repo, prNumber);
    const before = a.fake.requests.length;

    // pull_request.closed example 0 as delivered (merged false); patched installation, number, head.
    await a.receive("pull_request", pullRequestClosed({ prNumber, merged: false, mergeSha: null, headRef: BRANCH, headSha }));
    await a.drain();

    const generation = getGenerationByIssue(a.db, "Codertocat/Hello-World", 7);
    expect(generation).toMatchObject({ status: "closed", finalOutcome: "closed_unmerged" });
    expect(closed).toEqual([generation?.id]);
    expect(merged).toEqual([]);
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
    expect(listJobs(a.db, { type: "feedback" })).toHaveLength(1);
    expect(merged).toHaveLength(1);
    // Merged as generated: nothing to learn, nothing said.
    expect([...a.repo.comments.values()].filter((c) => c.issueNumber === prNumber)).toEqual([]);
  });
});
