/**
 * Webhook handler latency of the real app: Probot + opforgeApp on a file SQLite database whose queue already
 * holds thousands of jobs, receiving a mix of `issues.labeled` (valid spec → generate job),
 * `check_suite.completed` (on opforge head commits → ci-result job) and `issue_comment.created` (`/retry` on
 * opforge PRs → retry job) through `probot.receive`. GitHub is the in-memory fake of test/support answered
 * by nock; the `.github/opforge.yml` fetch (the only request a handler makes) is answered instantly in the
 * first round and after 50 ms in the second, to show the handler's own cost and a realistic one. The worker
 * does not run: this measures what GitHub waits for (it gives up after 10 s).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { Kysely } from "kysely";
import nock from "nock";
import { kyselyOverStore } from "../src/db/over-store.js";
import type { Tables } from "../src/db/schema.js";
import { opforgeApp } from "../src/index.js";
import { scaffoldProvider } from "../src/generate/providers/index.js";
import { countJobs, enqueue } from "../src/jobs/queue.js";
import { openDatabase, type Database } from "../src/store/database.js";
import { updateGeneration, upsertGenerationForIssue } from "../src/store/generations.js";
import { specFromIssueBody } from "../src/spec/index.js";
import { OWNER, REPO, probotFor } from "../test/support/app-harness.js";
import { checkSuiteCompleted, issueLabeled, prCommentCreated } from "../test/support/events.js";
import { FakeGitHub } from "../test/support/fake-github.js";
import { HEALTH_CHECK_ISSUE } from "../test/app/specs.js";

const PRELOADED_JOBS = 5_000;
const GENERATIONS = 1_000;
const EVENTS_PER_KIND = 100;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

function line(label: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const f = (ms: number) => `${ms.toFixed(2).padStart(7)} ms`;
  return `${label.padEnd(24)} n=${String(sorted.length).padStart(4)}  p50 ${f(percentile(sorted, 50))}  p95 ${f(percentile(sorted, 95))}  p99 ${f(percentile(sorted, 99))}  max ${f(sorted[sorted.length - 1] ?? 0)}`;
}

function headSha(i: number): string {
  return (i + 1).toString(16).padStart(40, "a");
}

async function preload(db: Database, kysely: Kysely<Tables>): Promise<void> {
  const parsed = specFromIssueBody(HEALTH_CHECK_ISSUE);
  if (!parsed.ok) throw new Error("bench spec is invalid");
  const now = Date.now();
  for (let i = 0; i < PRELOADED_JOBS; i++) {
    await enqueue(kysely, { type: "generate", payload: { installationId: 1, owner: "acme", repo: `repo-${i % 50}`, issueNumber: i } }, now);
  }
  for (let i = 0; i < GENERATIONS; i++) {
    const { generation } = await upsertGenerationForIssue(
      kysely,
      { repo: `${OWNER}/${REPO}`, installationId: 4242, issueNumber: 10_000 + i, specFingerprint: `fp-${i}`, spec: parsed.spec, provider: "scaffold", model: "scaffold" },
      now,
    );
    await updateGeneration(kysely, generation.id, { status: "ci_running", prNumber: 20_000 + i, branch: `opforge/${10_000 + i}-health_check_operator`, headSha: headSha(i) }, now);
  }
}

async function round(latencyMs: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "opforge-webhooks-bench-"));
  const db = openDatabase(join(dir, "bench.db"));
  const kysely = kyselyOverStore(db);
  const fake = new FakeGitHub();
  fake.intercept({ latencyMs });
  fake.addRepo(OWNER, REPO, { defaultBranch: "master", files: { "README.md": "# Hello-World\n" } });
  try {
    await preload(db, kysely);
    const probot = probotFor();
    await probot.load(opforgeApp({ db, kysely, startWorker: false, providerFor: () => scaffoldProvider() }), {
      cwd: process.cwd(),
      addHandler: () => undefined,
    });
    const before = (await countJobs(kysely)).queued;

    const samples: Record<string, number[]> = { "issues.labeled": [], "check_suite.completed": [], "issue_comment.created": [] };
    for (let i = 0; i < EVENTS_PER_KIND * 3; i++) {
      const n = Math.floor(i / 3);
      const [name, kind, payload] =
        i % 3 === 0
          ? (["issues", "issues.labeled", issueLabeled({ issueNumber: 1 + n, body: HEALTH_CHECK_ISSUE })] as const)
          : i % 3 === 1
            ? (["check_suite", "check_suite.completed", checkSuiteCompleted({ suiteId: 900_000 + n, headSha: headSha(n), headBranch: "opforge/x", conclusion: "failure" })] as const)
            : (["issue_comment", "issue_comment.created", prCommentCreated({ prNumber: 20_000 + n, commentId: 800_000 + n, body: "/retry please", login: "octocat" })] as const);
      const t = performance.now();
      await probot.receive({ id: `bench-${latencyMs}-${i}`, name, payload } as unknown as Parameters<typeof probot.receive>[0]);
      samples[kind]?.push(performance.now() - t);
    }
    const queued = (await countJobs(kysely)).queued - before;
    if (queued !== EVENTS_PER_KIND * 3) throw new Error(`expected ${EVENTS_PER_KIND * 3} new jobs, got ${queued}`);
    if (fake.unexpected.length > 0) throw new Error(`unexpected GitHub requests: ${JSON.stringify(fake.unexpected.slice(0, 3))}`);

    console.log(`config fetch answered ${latencyMs === 0 ? "instantly" : `after ${latencyMs} ms`}; queue preloaded with ${before.toLocaleString("en-US")} queued jobs, ${GENERATIONS} generations`);
    for (const [kind, list] of Object.entries(samples)) console.log(line(kind, list));
    console.log(line("all", Object.values(samples).flat()));
  } finally {
    db.close();
    nock.cleanAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  nock.disableNetConnect();
  try {
    await round(0);
    await round(50);
  } finally {
    nock.enableNetConnect();
  }
}
