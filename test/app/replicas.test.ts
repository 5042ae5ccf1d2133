import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listJobs, type Job } from "../../src/jobs/queue.js";
import { BOT, type FakeGitHub, type FakeRepo } from "../support/fake-github.js";
import {
  allDone,
  fakeGitHubWithIssues,
  labelAll,
  leasedBy,
  pullsByIssue,
  sharedStore,
  startReplica,
  STATUS_MARKER,
  waitFor,
  type Replica,
  type SharedStore,
} from "../support/replicas.js";

/**
 * Two App processes on one PostgreSQL schema and one fake GitHub; 30 issues labeled at once; one process
 * killed with SIGKILL while it is in the middle of generations. The survivor takes the dead one's jobs over
 * once their leases run out, and every issue ends with exactly what a user should see: one branch holding one
 * commit, one pull request, one status comment naming that pull request.
 */

const ISSUES = Array.from({ length: 30 }, (_, i) => i + 1);
/** Short, so the survivor takes the dead replica's jobs over within seconds. */
const LEASE_MS = 3_000;
/** From the first webhook sent to the last job finished, the dead replica's lease wait included. */
const BOUND_MS = 60_000;

let store: SharedStore | undefined;
let fake: FakeGitHub | undefined;
let repo: FakeRepo | undefined;
let replicas: Replica[] = [];

beforeAll(async () => {
  store = await sharedStore("postgres");
  const github = await fakeGitHubWithIssues(ISSUES.length);
  fake = github.fake;
  repo = github.repo;
  const s = store;
  // Started together on an empty schema: their migrations meet under the advisory lock, as in a deployment.
  replicas = await Promise.all(["a", "b"].map((name) => startReplica(name, { githubUrl: github.url, store: s, settings: { leaseMs: LEASE_MS } })));
}, 90_000);

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop(5_000)));
  await fake?.close();
  await store?.close();
});

/** Every way the end state differs from one branch, one commit, one PR and one status comment per issue. */
function githubProblems(fakeGitHub: FakeGitHub, r: FakeRepo): string[] {
  const problems: string[] = [];
  const base = r.refs.get(r.defaultBranch) ?? "";
  const pulls = pullsByIssue(r);
  for (const n of ISSUES) {
    const branches = [...r.refs.keys()].filter((b) => b.startsWith(`opforge/${n}-`));
    if (branches.length !== 1) problems.push(`issue #${n} has ${branches.length} branches${branches.length > 0 ? `: ${branches.join(", ")}` : ""}`);
    for (const branch of branches) {
      // The commits between the branch head and the default branch it started from.
      const commits: string[] = [];
      let sha = r.refs.get(branch);
      while (sha !== undefined && sha !== base && commits.length < 10) {
        commits.push(sha);
        sha = fakeGitHub.commit(sha)?.parents[0];
      }
      if (commits.length !== 1 || sha !== base) problems.push(`branch ${branch} holds ${commits.length} commit(s) on top of ${r.defaultBranch}${sha === base ? "" : " and does not start from it"}`);
    }

    const prs = pulls.get(n) ?? [];
    if (prs.length !== 1) problems.push(prs.length === 0 ? `issue #${n} has no pull request` : `issue #${n} has ${prs.length} pull requests: #${prs.join(", #")}`);
    const pull = prs.length === 1 ? r.pulls.get(prs[0] ?? 0) : undefined;
    if (pull !== undefined && (pull.state !== "open" || pull.headSha !== r.refs.get(pull.head))) {
      problems.push(`pull request #${pull.number} of issue #${n} is ${pull.state}, at ${pull.headSha.slice(0, 7)} while ${pull.head} is at ${(r.refs.get(pull.head) ?? "nothing").slice(0, 7)}`);
    }

    const comments = [...r.comments.values()].filter((c) => c.issueNumber === n);
    const status = comments.filter((c) => c.user.login === BOT.login && c.body.includes(STATUS_MARKER));
    if (status.length !== 1) problems.push(`issue #${n} has ${status.length} status comments`);
    if (comments.length !== status.length) problems.push(`issue #${n} has ${comments.length - status.length} comment(s) besides its status: ${comments.filter((c) => !status.includes(c)).map((c) => JSON.stringify(c.body.slice(0, 60))).join("; ")}`);
    const said = status[0]?.body ?? "";
    if (pull !== undefined && status.length === 1 && !said.includes(`opened pull request #${pull.number}`)) {
      problems.push(`the status comment on issue #${n} does not name pull request #${pull.number}: ${JSON.stringify(said.split("\n")[1] ?? said)}`);
    }
  }
  const strayPulls = [...r.pulls.values()].filter((p) => !/^opforge\/\d+-/.test(p.head));
  if (strayPulls.length > 0) problems.push(`pull requests from other branches: ${strayPulls.map((p) => `#${p.number} (${p.head})`).join(", ")}`);
  const prComments = [...r.comments.values()].filter((c) => r.pulls.has(c.issueNumber));
  if (prComments.length > 0) problems.push(`comments on pull requests: ${prComments.map((c) => `#${c.issueNumber}`).join(", ")}`);
  if (fakeGitHub.unexpected.length > 0) problems.push(`requests the fake GitHub has no route for: ${fakeGitHub.unexpected.slice(0, 5).map((q) => `${q.method} ${q.path}`).join(", ")}`);
  return problems;
}

function issueOf(job: Job): number | undefined {
  return (job.payload as { issueNumber?: number }).issueNumber;
}

/** Every way the queue differs from three succeeded jobs per issue (event, acknowledgement, generation). */
function jobProblems(jobs: Job[]): string[] {
  const problems = jobs
    .filter((j) => j.status !== "succeeded")
    .map((j) => `job ${j.id} (${j.type}, issue #${issueOf(j) ?? "?"}) is ${j.status} after ${j.attempts} attempt(s)${j.lastError === null ? "" : `: ${j.lastError}`}`);
  for (const type of ["issue-event", "acknowledge", "generate"]) {
    for (const n of ISSUES) {
      const ofIssue = jobs.filter((j) => j.type === type && issueOf(j) === n);
      if (ofIssue.length !== 1) problems.push(`issue #${n} has ${ofIssue.length} ${type} jobs`);
    }
  }
  const others = jobs.filter((j) => !["issue-event", "acknowledge", "generate"].includes(j.type));
  if (others.length > 0) problems.push(`unexpected jobs: ${others.map((j) => `${j.id} (${j.type})`).join(", ")}`);
  return problems;
}

describe("two App replicas on PostgreSQL, one killed with SIGKILL mid-run", () => {
  it(`30 labeled issues end as 30 PRs with one branch, one commit and one status comment each, within ${BOUND_MS / 1000} s`, { timeout: 150_000 }, async () => {
    const db = store?.kysely;
    const r = repo;
    const f = fake;
    const [survivor, victim] = replicas;
    if (db === undefined || r === undefined || f === undefined || survivor === undefined || victim === undefined) throw new Error("the replicas did not start");
    const state = async (): Promise<string> => {
      const jobs = await listJobs(db, { limit: 1_000 });
      const pulls = pullsByIssue(r);
      const byStatus = new Map<string, number>();
      for (const j of jobs) byStatus.set(j.status, (byStatus.get(j.status) ?? 0) + 1);
      return [
        `jobs: ${[...byStatus].map(([status, n]) => `${n} ${status}`).join(", ") || "none"}`,
        `issues without a PR: ${ISSUES.filter((n) => !pulls.has(n)).join(", ") || "none"}`,
        ...jobProblems(jobs).slice(0, 10),
        `replica ${survivor.name} (survivor) warnings and errors:`,
        ...(survivor.problems().length === 0 ? ["none"] : survivor.problems().slice(-20)),
      ].join("\n");
    };

    const started = performance.now();
    const deliveries = await labelAll(replicas, ISSUES);
    expect(deliveries.filter((d) => d.status !== 200)).toEqual([]);
    expect(new Set(deliveries.map((d) => d.replica))).toEqual(new Set(["a", "b"]));

    // Mid-run: some pull requests are open, and the victim holds a generation that has already had effects.
    await waitFor(
      `replica ${victim.name} to be in the middle of a generation`,
      async () => {
        if (r.pulls.size === 0 || r.pulls.size >= ISSUES.length) return false;
        const running = await listJobs(db, { status: "running", type: "generate", limit: 1_000 });
        return running.some((j) => leasedBy(victim, j.leaseOwner) && Object.keys(j.steps).length > 0);
      },
      BOUND_MS,
      state,
    );
    const exit = await victim.kill();
    expect(exit.signal).toBe("SIGKILL");
    const pullsAtKill = r.pulls.size;
    const orphans = (await listJobs(db, { status: "running", limit: 1_000 })).filter((j) => leasedBy(victim, j.leaseOwner));
    expect(orphans.length, "the killed replica left no running job behind: the test did not exercise a takeover").toBeGreaterThan(0);

    await waitFor("every issue to have its PR and the queue to be empty", () => allDone(db, r, ISSUES), Math.max(0, BOUND_MS - (performance.now() - started)), state);
    const elapsedMs = performance.now() - started;

    expect(githubProblems(f, r)).toEqual([]);
    const jobs = await listJobs(db, { limit: 1_000 });
    expect(jobProblems(jobs)).toEqual([]);
    // The dead replica's jobs were finished by the survivor, in a later lease.
    const takenOver = orphans.map((o) => jobs.find((j) => j.id === o.id));
    expect(takenOver.filter((j) => j?.status !== "succeeded" || j.attempts < 2).map((j) => `${j?.id} (${j?.type}) ${j?.status} after ${j?.attempts}`)).toEqual([]);
    // Every acknowledged delivery is recorded once; none was lost with the killed process.
    const recorded = await db.selectFrom("webhook_deliveries").select("delivery_id").execute();
    expect(recorded.map((d) => d.delivery_id).sort()).toEqual(deliveries.map((d) => d.id).sort());
    const generations = await db.selectFrom("generations").select(["issue_number", "pr_number"]).orderBy("issue_number").execute();
    const pulls = pullsByIssue(r);
    expect(generations).toEqual(ISSUES.map((n) => ({ issue_number: n, pr_number: pulls.get(n)?.[0] ?? null })));
    expect(survivor.alive()).toBe(true);
    expect(elapsedMs).toBeLessThan(BOUND_MS);
    console.info(
      `30 issues, 2 replicas, ${victim.name} killed with ${pullsAtKill} PR(s) open, running ` +
        `${orphans.map((j) => `${j.type} of #${issueOf(j) ?? "?"} (${Object.keys(j.steps).join(", ") || "no step yet"})`).join("; ")}: ` +
        `all done ${(elapsedMs / 1000).toFixed(1)} s after the first webhook (bound ${BOUND_MS / 1000} s)`,
    );
  });
});
