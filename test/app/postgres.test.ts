import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { listJobs } from "../../src/jobs/queue.js";
import { listRules } from "../../src/learn/fixes/store.js";
import { getGenerationByIssue, listAttempts } from "../../src/store/generations.js";
import { startApp, type AppHarness } from "../support/app-harness.js";
import { openBackend, type TestBackend } from "../support/backends.js";
import { pullRequestClosed } from "../support/events.js";
import { BRANCH, openHealthCheckPr, useNockChecks } from "./helpers.js";

const COMPONENT = "plugins/operators/health_check_operator.py";

// The real App (Probot, handlers, queue, flows, learning) on PostgreSQL: what a replica of a scaled-out
// deployment runs. The SQLite file the harness also opens is never written.
let backend: TestBackend;
let app: AppHarness | undefined;
beforeAll(async () => {
  backend = await openBackend("postgres");
});
afterAll(async () => {
  await backend.close();
});
useNockChecks(() => app);
beforeEach(async () => {
  app = await startApp({ database: backend.kysely });
});

describe("the App on PostgreSQL", () => {
  it("turns a labeled issue into a PR, records it there, and learns from the merge with a reviewer's edit", async () => {
    const a = app as AppHarness;
    const { prNumber, headSha } = await openHealthCheckPr(a);
    const generation = await getGenerationByIssue(a.kysely, "Codertocat/Hello-World", 7);
    expect(generation).toMatchObject({ prNumber, branch: BRANCH, headSha });
    expect((await listAttempts(a.kysely, generation?.id ?? 0)).map((x) => x.commitSha)).toEqual([headSha]);
    expect(a.db.prepare("SELECT COUNT(*) AS n FROM generations").get()).toEqual({ n: 0 });

    const generated = a.fake.filesAt(a.repo, headSha).get(COMPONENT) ?? "";
    const edited = generated.replace("super().__init__(**kwargs)", "super().__init__(**kwargs)\n        self.reviewed_timeout = 30");
    const mergeSha = a.fake.mergePull(a.repo, prNumber, { [COMPONENT]: edited });
    await a.receive("pull_request", pullRequestClosed({ prNumber, merged: true, mergeSha, headRef: BRANCH, headSha }));
    await a.drain();

    expect(await getGenerationByIssue(a.kysely, "Codertocat/Hello-World", 7)).toMatchObject({ status: "merged", finalOutcome: "merged" });
    const rules = await listRules(a.kysely, { installationId: generation?.installationId ?? 0, repository: null });
    expect(rules.map((r) => r.status)).toContain("candidate");
    const patterns = await a.kysely.selectFrom("patterns").select((eb) => [eb.fn.countAll<number>().as("n"), eb.fn.min("successes").as("s")]).executeTakeFirstOrThrow();
    expect(Number(patterns.n)).toBeGreaterThan(0);
    expect(Number(patterns.s)).toBe(1);
    const lessons = [...a.repo.comments.values()].filter((c) => c.issueNumber === prNumber);
    expect(lessons.map((c) => c.body).join("\n")).toContain("self.reviewed_timeout = 30");
    expect((await listJobs(a.kysely)).every((j) => j.status === "succeeded" || j.type === "lessons-verdict")).toBe(true);
  });
});
