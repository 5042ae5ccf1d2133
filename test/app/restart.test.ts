import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getJob, listJobs } from "../../src/jobs/queue.js";
import { getGenerationByIssue } from "../../src/store/generations.js";
import { startApp, type AppHarness } from "../support/app-harness.js";
import { checkSuiteCompleted, issueLabeled } from "../support/events.js";
import { BRANCH, R, commentsOn, useNockChecks } from "./helpers.js";
import { HEALTH_CHECK_ISSUE } from "./specs.js";

const LEASE_MS = 60_000;
const worker = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "app-worker.ts");

let app: AppHarness | undefined;
useNockChecks(() => app);
beforeEach(async () => {
  app = await startApp();
});
afterEach(async () => {
  await app?.fake.close();
  app = undefined;
});

/** Runs the app's worker in a child process until it is killed or exits; resolves with how it ended. */
function runWorkerProcess(dbPath: string, baseUrl: string, kill: (killer: () => void) => void): Promise<{ signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", worker, dbPath, baseUrl, String(LEASE_MS)], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    kill(() => child.kill("SIGKILL"));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the worker process was not killed within 30 s; stderr:\n${stderr}`));
    }, 30_000);
    child.on("error", reject);
    child.on("exit", (_code, signal) => {
      clearTimeout(timer);
      resolve({ signal, stderr });
    });
  });
}

describe("a worker process killed in the middle of a generation", () => {
  it("leaves a job that a new worker on the same database finishes: one branch, one commit, one PR, one status comment", async () => {
    if (app === undefined) throw new Error("no app");
    const a = app;
    a.fake.addIssue(a.repo, { number: 7, body: HEALTH_CHECK_ISSUE, labels: ["generate-operator"] });
    // issues.labeled example 0; patched installation, issue.number, issue.body, issue.labels, label.name.
    await a.receive("issues", issueLabeled({ issueNumber: 7, body: HEALTH_CHECK_ISSUE }));

    // The child's first request after its commit step is the PR lookup: it never gets an answer, the process dies.
    const baseUrl = await a.fake.listen();
    const exit = await runWorkerProcess(a.dbPath, baseUrl, (kill) => a.fake.hold("GET", /\/pulls$/, kill));
    expect(exit.signal, exit.stderr).toBe("SIGKILL");
    // The child acknowledged the issue ("queued"), which queued the generation it then died in.
    expect((await listJobs(a.kysely, { type: "acknowledge" })).map((j) => j.status)).toEqual(["succeeded"]);
    const [job] = await listJobs(a.kysely, { type: "generate" });

    const orphan = await getJob(a.kysely, job?.id ?? 0);
    expect(orphan).toMatchObject({ status: "running", attempts: 1 });
    expect(Object.keys(orphan?.steps ?? {})).toContain("commit");
    expect(Object.keys(orphan?.steps ?? {})).not.toContain("pull-request");
    expect(a.fake.calls("POST", `${R}/git/refs`)).toHaveLength(1);
    expect(a.fake.calls("POST", `${R}/pulls`)).toHaveLength(0);
    const commitSha = a.repo.refs.get(BRANCH) ?? "";

    // CI on the pushed commit finishes while no worker is alive: its event must not be lost.
    const suiteId = a.fake.completeSuite(a.repo, commitSha, [{ name: "test (3.11)", conclusion: "failure" }], BRANCH);
    // check_suite.completed example 1; patched installation, check_suite.id/head_sha/after/head_branch/conclusion.
    await a.receive("check_suite", checkSuiteCompleted({ suiteId, headSha: commitSha, headBranch: BRANCH, conclusion: "failure" }));
    expect(await listJobs(a.kysely, { type: "ci-result" })).toHaveLength(1);

    // A new worker (this process) whose clock is past the dead worker's lease picks the job up.
    a.clock.ms = Date.now() + LEASE_MS + 1_000;
    await a.drain({ retries: true });

    expect(await getJob(a.kysely, job?.id ?? 0)).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(a.fake.calls("POST", `${R}/git/refs`)).toHaveLength(1);
    // One commit by the generation job (the CI retry that follows regenerates the same files: no new commit).
    expect(a.fake.calls("POST", `${R}/git/commits`)).toHaveLength(1);
    expect(a.fake.calls("POST", `${R}/pulls`)).toHaveLength(1);
    expect(a.fake.calls("POST", `${R}/issues/7/comments`)).toHaveLength(1);
    expect(a.repo.refs.get(BRANCH)).toBe(commitSha);
    expect(a.repo.pulls.get(8)?.headSha).toBe(commitSha);
    // The CI verdict came once the PR existed.
    expect(commentsOn(a, 8)[0]?.body).toContain("CI failed on attempt 1 of 3");
    const status = commentsOn(a, 7);
    expect(status).toHaveLength(1);
    expect(status[0]?.body).toContain("opened pull request #8");
    expect(await getGenerationByIssue(a.kysely, "Codertocat/Hello-World", 7)).toMatchObject({ prNumber: 8, headSha: commitSha });
  }, 60_000);
});
