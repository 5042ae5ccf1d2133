import { spawn, type ChildProcess } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { Kysely } from "kysely";
import { createDb } from "../../src/db/kysely.js";
import type { Tables } from "../../src/db/schema.js";
import { countJobs } from "../../src/jobs/queue.js";
import { appPrivateKey, OWNER, REPO } from "./app-harness.js";
import { issueLabeled } from "./events.js";
import { BOT, FakeGitHub, type FakeRepo } from "./fake-github.js";
import { testPostgres } from "./postgres.js";

/**
 * App replicas as separate Node processes (test/support/replica-server.ts), sharing one database and one fake
 * GitHub served over local HTTP: what the kill-one-replica test and `npm run bench -- scale` run.
 */

const entry = join(dirname(fileURLToPath(import.meta.url)), "replica-server.ts");
export const WEBHOOK_SECRET = "replica-webhook-secret";
export const STATUS_MARKER = "<!-- opforge:status -->";

export interface ReplicaSettings {
  /** OPFORGE_LEASE_MS: how soon a dead replica's jobs are taken over. */
  leaseMs?: number;
  /** OPFORGE_POLL_MS */
  pollMs?: number;
  /** OPFORGE_WORKER_CONCURRENCY */
  concurrency?: number;
  /** LOG_LEVEL (info by default: the job lines are what a failure message quotes). */
  logLevel?: "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";
}

export interface ReplicaExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Replica {
  name: string;
  pid: number;
  /** http://127.0.0.1:PORT */
  baseUrl: string;
  /** Everything the process printed so far (pino JSON lines and anything else). */
  output(): string;
  /** Its log lines at warn level or above, for failure messages. */
  problems(): string[];
  exited: Promise<ReplicaExit>;
  alive(): boolean;
  /** CPU seconds (user + system) the process has used so far; null where /proc is not there to read. */
  cpuSeconds(): number | null;
  /** SIGKILL: the process dies between two instructions, as on a host failure. */
  kill(): Promise<ReplicaExit>;
  /** SIGTERM (the worker stops, the server closes), then SIGKILL if it is still there after `graceMs`. */
  stop(graceMs?: number): Promise<ReplicaExit>;
}

/** Where the replicas keep their state: one PostgreSQL schema, or one SQLite file. */
export interface SharedStore {
  kind: "postgres" | "sqlite";
  /** The replicas' OPFORGE_DATABASE_URL or OPFORGE_DB. */
  env: Record<string, string>;
  /** The same database, for the test's own reads. */
  kysely: Kysely<Tables>;
  close(): Promise<void>;
}

export async function sharedStore(kind: "postgres" | "sqlite"): Promise<SharedStore> {
  if (kind === "postgres") {
    // Not migrated here: the replicas migrate it themselves when they start, together, as a deployment does.
    const pg = await testPostgres("the App replica tests");
    const kysely = createDb({ dialect: "postgres", url: pg.url }, { poolSize: 2 });
    return {
      kind,
      // pg-boss in the same private schema: its default (`pgboss`) would be shared with other test files
      // when they all work in one database (OPFORGE_TEST_DATABASE_URL).
      env: { OPFORGE_DATABASE_URL: pg.url, OPFORGE_PGBOSS_SCHEMA: pg.schema },
      kysely,
      async close() {
        await kysely.destroy();
        await pg.drop();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), "opforge-replicas-"));
  const path = join(dir, "opforge.db");
  // Opened lazily: the file exists (migrated) once the first replica has started.
  let opened: Kysely<Tables> | undefined;
  return {
    kind,
    env: { OPFORGE_DB: path },
    get kysely() {
      opened ??= createDb({ dialect: "sqlite", path });
      return opened;
    },
    async close() {
      await opened?.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts one replica and resolves once it serves HTTP (its database is migrated by then). */
export async function startReplica(
  name: string,
  options: { githubUrl: string; store: SharedStore; settings?: ReplicaSettings; startTimeoutMs?: number },
): Promise<Replica> {
  const github = new URL(options.githubUrl);
  const settings = options.settings ?? {};
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", entry], {
    // Only what the App reads: no model API key from the parent's environment, so the scaffold provider runs.
    env: {
      PATH: process.env.PATH,
      APP_ID: "1",
      PRIVATE_KEY: appPrivateKey(),
      WEBHOOK_SECRET,
      HOST: "127.0.0.1",
      PORT: "0",
      GHE_HOST: github.host,
      GHE_PROTOCOL: github.protocol.replace(/:$/, ""),
      LOG_LEVEL: settings.logLevel ?? "info",
      OPFORGE_BOT_LOGIN: BOT.login,
      OPFORGE_LEASE_MS: String(settings.leaseMs ?? 3_000),
      OPFORGE_POLL_MS: String(settings.pollMs ?? 50),
      OPFORGE_WORKER_CONCURRENCY: String(settings.concurrency ?? 2),
      ...options.store.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<ReplicaExit>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  let gone = false;
  // Should the parent die without its afterAll (a crashed test worker), the replica must not outlive it.
  const orphanGuard = (): void => void child.kill("SIGKILL");
  process.once("exit", orphanGuard);
  void exited.then(() => {
    gone = true;
    process.removeListener("exit", orphanGuard);
  });

  const stop = async (signal: NodeJS.Signals, graceMs: number): Promise<ReplicaExit> => {
    if (!gone) child.kill(signal);
    const timer = setTimeout(() => {
      if (!gone) child.kill("SIGKILL");
    }, graceMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  let port: string | undefined;
  while (port === undefined) {
    port = /Listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1];
    if (port !== undefined) break;
    if (gone || Date.now() > deadline) {
      const what = gone ? "exited" : "did not listen";
      await stop("SIGKILL", 0);
      throw new Error(`replica ${name} ${what} while starting; its output:\n${output.slice(-4_000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    name,
    pid: child.pid ?? 0,
    baseUrl: `http://127.0.0.1:${port}`,
    output: () => output,
    problems: () =>
      output.split("\n").filter((line) => {
        try {
          return ((JSON.parse(line) as { level?: number }).level ?? 0) >= 40;
        } catch {
          // Not a log line: a crash's stack trace, say; the announced address is not a problem.
          return line.trim() !== "" && !line.startsWith("Listening on ");
        }
      }),
    exited,
    alive: () => !gone,
    cpuSeconds: () => cpuSecondsOf(child.pid ?? 0),
    kill: () => stop("SIGKILL", 0),
    stop: (graceMs = 10_000) => stop("SIGTERM", graceMs),
  };
}

/** utime + stime from /proc/PID/stat (Linux), in clock ticks of 1/100 s (USER_HZ on every Linux port). */
function cpuSecondsOf(pid: number): number | null {
  try {
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / 100 : null;
  } catch {
    return null;
  }
}

/** A worker id in `jobs.lease_owner` names its process (`host:pid:random`, src/jobs/worker.ts). */
export function leasedBy(replica: Replica, leaseOwner: string | null): boolean {
  return leaseOwner !== null && leaseOwner.split(":").includes(String(replica.pid));
}

export interface Delivery {
  id: string;
  issueNumber: number;
  replica: string;
  status: number;
  /** From the first byte sent to the whole answer read. */
  ms: number;
}

/** POSTs one webhook as GitHub does: JSON body, event name, delivery id, HMAC-SHA256 signature. */
export async function deliver(baseUrl: string, event: { name: string; id: string; payload: object }): Promise<{ status: number; ms: number; body: string }> {
  const body = JSON.stringify(event.payload);
  const started = performance.now();
  const res = await fetch(`${baseUrl}/api/github/webhooks`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": event.name,
      "x-github-delivery": event.id,
      "x-hub-signature-256": `sha256=${createHmac("sha256", WEBHOOK_SECRET).update(body).digest("hex")}`,
    },
    body,
  });
  const text = await res.text();
  return { status: res.status, ms: performance.now() - started, body: text };
}

/** A valid spec whose class name carries the issue number, so every issue asks for its own component. */
export function probeSpec(issueNumber: number): string {
  return [
    `Issue ${issueNumber}: an operator that pings one of our services.`,
    "",
    "```yaml",
    `name: Probe${issueNumber}Operator`,
    `description: Calls /health on service ${issueNumber} and fails when it is down`,
    "category: HTTP",
    "component_type: operator",
    "inputs:",
    "  - name: endpoint",
    "    type: str",
    "    default: /health",
    "    template_field: true",
    "dependencies:",
    "  - apache-airflow-providers-http>=4.10",
    "```",
  ].join("\n");
}

/** The fake GitHub over HTTP with Codertocat/Hello-World (default branch `master`) and `count` labeled issues 1..count. */
export async function fakeGitHubWithIssues(count: number, firstIssue = 1): Promise<{ fake: FakeGitHub; repo: FakeRepo; url: string }> {
  const fake = new FakeGitHub();
  const repo = fake.addRepo(OWNER, REPO, { defaultBranch: "master", id: 1296269 });
  for (let n = firstIssue; n < firstIssue + count; n++) fake.addIssue(repo, { number: n, body: probeSpec(n), labels: ["generate-operator"] });
  return { fake, repo, url: await fake.listen() };
}

/**
 * `issues.labeled` for every issue, all sent at once, spread over the replicas in turn. Example 0 of
 * @octokit/webhooks-examples; patched installation, issue.number, issue.body, issue.labels, label.name.
 */
export async function labelAll(replicas: Replica[], issues: number[], deliveryPrefix = "label"): Promise<Delivery[]> {
  return Promise.all(
    issues.map(async (issueNumber, i) => {
      const replica = replicas[i % replicas.length] as Replica;
      const id = `${deliveryPrefix}-${issueNumber}`;
      const answer = await deliver(replica.baseUrl, { name: "issues", id, payload: issueLabeled({ issueNumber, body: probeSpec(issueNumber) }) });
      return { id, issueNumber, replica: replica.name, status: answer.status, ms: answer.ms };
    }),
  );
}

/** Polls `check` until it holds; past the deadline throws with `what` and, when given, `explain()`'s account of the state. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, explain?: () => string | Promise<string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${Math.round(timeoutMs)} ms waiting for ${what}${explain === undefined ? "" : `\n${await explain()}`}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Open pull requests from `opforge/<issue>-…` branches, by issue number. */
export function pullsByIssue(repo: FakeRepo): Map<number, number[]> {
  const byIssue = new Map<number, number[]>();
  for (const pull of repo.pulls.values()) {
    const issue = /^opforge\/(\d+)-/.exec(pull.head)?.[1];
    if (issue === undefined) continue;
    byIssue.set(Number(issue), [...(byIssue.get(Number(issue)) ?? []), pull.number]);
  }
  return byIssue;
}

/** Whether every issue has its PR and the queue holds nothing left to do or to retry. */
export async function allDone(kysely: Kysely<Tables>, repo: FakeRepo, issues: number[]): Promise<boolean> {
  const pulls = pullsByIssue(repo);
  if (!issues.every((n) => pulls.has(n))) return false;
  const counts = await countJobs(kysely);
  return counts.queued === 0 && counts.running === 0 && counts.failed === 0;
}
