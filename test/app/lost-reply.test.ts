import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listJobs } from "../../src/jobs/queue.js";
import { startApp, type AppHarness } from "../support/app-harness.js";
import { issueLabeled } from "../support/events.js";
import { BRANCH, R, commentsOn, useNockChecks } from "./helpers.js";
import { HEALTH_CHECK_ISSUE } from "./specs.js";

let app: AppHarness | undefined;
useNockChecks(() => app);
beforeEach(async () => {
  app = await startApp();
});
afterEach(() => {
  app = undefined;
});

// The pull request step ran, but its record did not: GitHub's answer was lost, or the process died before
// recording it (what the kill-one-replica test runs into). The next run finds the PR open and must still
// tell the issue it was opened — nobody edited the spec.
describe("a pull request opened by a run whose answer never arrived", () => {
  it("is reported on the issue as opened, not as updated from an edited spec", async () => {
    const a = app as AppHarness;
    a.fake.addIssue(a.repo, { number: 7, body: HEALTH_CHECK_ISSUE, labels: ["generate-operator"] });
    a.fake.loseNextReply("POST", /\/pulls$/);
    // issues.labeled example 0; patched installation, issue.number, issue.body, issue.labels, label.name.
    await a.receive("issues", issueLabeled({ issueNumber: 7, body: HEALTH_CHECK_ISSUE }));
    await a.drain({ retries: true });

    expect((await listJobs(a.kysely, { type: "generate" })).map((j) => [j.status, j.attempts])).toEqual([["succeeded", 2]]);
    expect(a.fake.calls("POST", `${R}/pulls`)).toHaveLength(1);
    expect([...a.repo.pulls.values()].map((p) => [p.number, p.head])).toEqual([[8, BRANCH]]);
    const status = commentsOn(a, 7);
    expect(status).toHaveLength(1);
    expect(status[0]?.body.split("\n")[1]).toBe("✅ **opforge**: opened pull request #8: https://github.com/Codertocat/Hello-World/pull/8");
  });
});
