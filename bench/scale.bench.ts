/**
 * Scaling out, with the App replicas of test/support/replicas.ts (separate processes running the App as npm
 * start runs it, jobs through pg-boss on PostgreSQL; the scaffold model provider; the fake GitHub served over
 * HTTP by this process):
 *
 * - throughput: ISSUES issues labeled at once, spread over the replicas, until every issue has its PR and the
 *   queue is empty (three jobs per issue: the event, the acknowledgement, the generation); jobs per second
 *   with one replica and with two on one PostgreSQL database, and the two-replica speed-up;
 * - acknowledgement latency: ACKS `issues.labeled` deliveries sent one after another to one replica, which
 *   works through the generations they queue meanwhile (on SQLite the handler shares the worker's one
 *   connection); p50 and p99 from the first byte sent to the answer read, PostgreSQL against SQLite.
 *
 * Runs of each pair are taken side by side, alternating which goes first; medians over ROUNDS are compared.
 * Replicas are started before the clock starts. On a machine with few cores the fake GitHub, PostgreSQL and
 * the replicas share them, which caps the speed-up: the core count is printed with the figures, and each
 * throughput run with the CPU seconds the replicas and this process (the fake GitHub, the client) used.
 */
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { sql } from "kysely";
import { countJobs } from "../src/jobs/queue.js";
import {
  allDone,
  deliver,
  fakeGitHubWithIssues,
  labelAll,
  probeSpec,
  sharedStore,
  startReplica,
  waitFor,
  type Replica,
  type ReplicaSettings,
} from "../test/support/replicas.js";
import { issueLabeled } from "../test/support/events.js";

const ROUNDS = 3;
const ISSUES = 60;
const ACKS = 100;
const SETTINGS: ReplicaSettings = { concurrency: 2, pollMs: 50, leaseMs: 30_000, logLevel: "warn" };
const RUN_TIMEOUT_MS = 300_000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** One deployment: a fresh database of `kind`, a fresh fake GitHub with `issues` labeled issues, `count` replicas. */
async function deployment<T>(kind: "postgres" | "sqlite", count: number, issues: number, body: (d: { replicas: Replica[]; done: () => Promise<boolean>; jobs: () => Promise<number> }) => Promise<T>): Promise<T> {
  const store = await sharedStore(kind);
  const github = await fakeGitHubWithIssues(issues);
  const replicas: Replica[] = [];
  try {
    // One after another: the first migrates an empty database, the others find it current.
    for (let i = 0; i < count; i++) replicas.push(await startReplica(`r${i + 1}`, { githubUrl: github.url, store, settings: SETTINGS }));
    const numbers = Array.from({ length: issues }, (_, i) => i + 1);
    const result = await body({
      replicas,
      done: () => allDone(store.kysely, github.repo, numbers),
      jobs: async () => (await countJobs(store.kysely)).succeeded,
    });
    if (github.fake.unexpected.length > 0) throw new Error(`unexpected GitHub requests: ${JSON.stringify(github.fake.unexpected.slice(0, 3))}`);
    return result;
  } catch (err) {
    for (const r of replicas) console.error(`replica ${r.name}:\n${r.problems().slice(-10).join("\n")}`);
    throw err;
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
    await github.fake.close();
    await store.close();
  }
}

/** Jobs per second of `count` replicas on PostgreSQL, from the first webhook to the last job finished. */
async function throughput(count: number): Promise<{ jobs: number; ms: number; perSecond: number; replicaCpuS: number | null; ownCpuS: number }> {
  return deployment("postgres", count, ISSUES, async ({ replicas, done, jobs }) => {
    const cpu = (): number | null => {
      let sum = 0;
      for (const r of replicas) {
        const seconds = r.cpuSeconds();
        if (seconds === null) return null;
        sum += seconds;
      }
      return sum;
    };
    const cpuBefore = cpu();
    const ownBefore = process.cpuUsage();
    const started = performance.now();
    const deliveries = await labelAll(replicas, Array.from({ length: ISSUES }, (_, i) => i + 1), `bench-${count}`);
    const refused = deliveries.filter((d) => d.status !== 200);
    if (refused.length > 0) throw new Error(`deliveries refused: ${JSON.stringify(refused.slice(0, 3))}`);
    await waitFor(`${ISSUES} PRs with ${count} replica(s)`, done, RUN_TIMEOUT_MS);
    const ms = performance.now() - started;
    const cpuAfter = cpu();
    const own = process.cpuUsage(ownBefore);
    const n = await jobs();
    return {
      jobs: n,
      ms,
      perSecond: (n / ms) * 1000,
      replicaCpuS: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
      ownCpuS: (own.user + own.system) / 1e6,
    };
  });
}

/** Acknowledgement times of ACKS deliveries sent one at a time to one replica on `kind`. */
async function acks(kind: "postgres" | "sqlite"): Promise<number[]> {
  return deployment(kind, 1, ACKS, async ({ replicas, done }) => {
    const [replica] = replicas;
    if (replica === undefined) throw new Error("no replica");
    const samples: number[] = [];
    for (let n = 1; n <= ACKS; n++) {
      // issues.labeled example 0; patched installation, issue.number, issue.body, issue.labels, label.name.
      const answer = await deliver(replica.baseUrl, { name: "issues", id: `ack-${kind}-${n}`, payload: issueLabeled({ issueNumber: n, body: probeSpec(n) }) });
      if (answer.status !== 200) throw new Error(`delivery ${n} answered ${answer.status}: ${answer.body}`);
      samples.push(answer.ms);
    }
    await waitFor(`${ACKS} PRs on ${kind}`, done, RUN_TIMEOUT_MS);
    return samples;
  });
}

async function postgresVersion(): Promise<string> {
  const store = await sharedStore("postgres");
  try {
    const { rows } = await sql<{ server_version: string }>`SHOW server_version`.execute(store.kysely);
    return rows[0]?.server_version ?? "?";
  } finally {
    await store.close();
  }
}

const ms = (value: number): string => `${value.toFixed(1).padStart(6)} ms`;

export async function run(): Promise<void> {
  console.log(
    `PostgreSQL ${(await postgresVersion()).split(" ")[0]}, ${availableParallelism()} cores; each replica: ${SETTINGS.concurrency} workers, poll ${SETTINGS.pollMs} ms; ` +
      "scaffold provider; fake GitHub over HTTP in this process",
  );

  const perSecond: Record<1 | 2, number[]> = { 1: [], 2: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    const order: (1 | 2)[] = round % 2 === 1 ? [1, 2] : [2, 1];
    const parts: string[] = [];
    for (const count of order) {
      const r = await throughput(count);
      perSecond[count].push(r.perSecond);
      const cpu = `CPU: replicas ${r.replicaCpuS === null ? "?" : r.replicaCpuS.toFixed(1)} s, fake GitHub ${r.ownCpuS.toFixed(1)} s`;
      parts.push(`${count} replica${count === 1 ? " " : "s"} ${r.jobs} jobs in ${(r.ms / 1000).toFixed(1)} s = ${r.perSecond.toFixed(1)} jobs/s (${cpu})`);
    }
    console.log(`throughput round ${round} (${ISSUES} issues): ${parts.join("  |  ")}`);
  }
  const one = median(perSecond[1]);
  const two = median(perSecond[2]);
  console.log(`jobs/s on PostgreSQL, median of ${ROUNDS}: 1 replica ${one.toFixed(1)}, 2 replicas ${two.toFixed(1)}; two-replica speed-up ${(two / one).toFixed(2)}x`);

  const latency: Record<"postgres" | "sqlite", { p50: number[]; p99: number[] }> = { postgres: { p50: [], p99: [] }, sqlite: { p50: [], p99: [] } };
  for (let round = 1; round <= ROUNDS; round++) {
    const order: ("postgres" | "sqlite")[] = round % 2 === 1 ? ["postgres", "sqlite"] : ["sqlite", "postgres"];
    const parts: string[] = [];
    for (const kind of order) {
      const sorted = (await acks(kind)).sort((a, b) => a - b);
      const p50 = percentile(sorted, 50);
      const p99 = percentile(sorted, 99);
      latency[kind].p50.push(p50);
      latency[kind].p99.push(p99);
      parts.push(`${kind.padEnd(8)} p50 ${ms(p50)} p99 ${ms(p99)}`);
    }
    console.log(`ack latency round ${round} (${ACKS} sequential deliveries, one replica): ${parts.join("  |  ")}`);
  }
  const pg50 = median(latency.postgres.p50);
  const pg99 = median(latency.postgres.p99);
  const lite50 = median(latency.sqlite.p50);
  const lite99 = median(latency.sqlite.p99);
  console.log(`ack latency, median of ${ROUNDS}: PostgreSQL p50 ${ms(pg50)} p99 ${ms(pg99)}; SQLite p50 ${ms(lite50)} p99 ${ms(lite99)}`);
  console.log(`ack ratio PostgreSQL/SQLite: p50 ${(pg50 / lite50).toFixed(2)}x, p99 ${(pg99 / lite99).toFixed(2)}x`);
}
