import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { pino, type Logger } from "pino";
import { Probot, ProbotOctokit } from "probot";
import type { RepoConfig } from "../../src/config/repo-config.js";
import { kyselyOverStore } from "../../src/db/over-store.js";
import type { Tables } from "../../src/db/schema.js";
import { scaffoldProvider } from "../../src/generate/providers/index.js";
import type { ModelProvider } from "../../src/generate/types.js";
import { opforgeApp, type OpforgeAppOptions } from "../../src/index.js";
import { countJobs, listJobs } from "../../src/jobs/queue.js";
import type { Worker } from "../../src/jobs/worker.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { FakeGitHub, type FakeRepo } from "./fake-github.js";

/** One RSA key per test file: generating it is the slowest part of setting up a Probot instance. */
let key: string | undefined;
export function appPrivateKey(): string {
  key ??= generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  }).privateKey;
  return key;
}

/** A clock the app, the worker and the store all read; tests move it forward (past a lease, into next month). */
export class TestClock {
  constructor(public ms: number = Date.parse("2026-11-24T10:00:00Z")) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => boolean | void | Promise<boolean | void>;

export interface AppHarness {
  probot: Probot;
  db: Database;
  /** The app's database: `options.database`, else the Kysely view of `db` (the same connection). */
  kysely: Kysely<Tables>;
  dbPath: string;
  fake: FakeGitHub;
  repo: FakeRepo;
  clock: TestClock;
  worker: Worker;
  routes: HttpHandler[];
  /** Feeds one webhook through Probot as GitHub would deliver it. */
  receive(name: string, payload: object, id?: string): Promise<void>;
  /**
   * Runs the worker until the queue holds nothing runnable; throws with the last error of a failed job,
   * unless `retries` is set: then the clock moves past each failed job's backoff so the worker retries it.
   */
  drain(options?: { retries?: boolean; allowDead?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export const OWNER = "Codertocat";
export const REPO = "Hello-World";
export const INSTALLATION_ID = 4_242;

/**
 * Retries and throttling off. The function form matters: Probot passes its own throttle options (without
 * `enabled`) as instance options, which replace an object default wholesale and leave the throttle's
 * one-write-per-second limiter on.
 */
export const TestOctokit = ProbotOctokit.defaults((instance: Record<string, unknown>) => ({
  ...instance,
  retry: { enabled: false },
  throttle: { ...(instance.throttle as object | undefined), enabled: false },
}));

export function probotFor(options: { baseUrl?: string; log?: Logger } = {}): Probot {
  return new Probot({
    appId: 1,
    privateKey: appPrivateKey(),
    Octokit: TestOctokit,
    log: options.log ?? pino({ level: "silent" }),
    ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
  });
}

let deliveries = 0;
export function deliveryId(): string {
  deliveries += 1;
  return `00000000-0000-4000-8000-${String(deliveries).padStart(12, "0")}`;
}

export interface HarnessOptions {
  providerFor?: (config: RepoConfig) => ModelProvider;
  /** `.github/opforge.yml` on the default branch; absent when undefined. */
  config?: string;
  dbPath?: string;
  clock?: TestClock;
  learning?: OpforgeAppOptions["learning"];
  /**
   * The database the app works on (a migrated PostgreSQL schema, say); by default the SQLite file at `dbPath`,
   * through the one Kysely instance of its connection. `db` stays that SQLite file either way.
   */
  database?: Kysely<Tables>;
  /** Probot's logger (silent by default). */
  log?: Logger;
  /** The webhook endpoint's body limit (GitHub's 25 MB when absent). */
  webhookMaxBytes?: number;
  /** The app's environment (OPFORGE_METRICS_TOKEN …); the process's when absent. */
  env?: NodeJS.ProcessEnv;
}

/**
 * The real app (Probot + opforgeApp) on a SQLite file, talking to a fake GitHub repository
 * Codertocat/Hello-World (the repository of the webhook examples) whose default branch is `master`.
 */
export async function startApp(options: HarnessOptions = {}): Promise<AppHarness> {
  const dir = options.dbPath === undefined ? mkdtempSync(join(tmpdir(), "opforge-app-")) : null;
  const dbPath = options.dbPath ?? join(dir ?? "", "opforge.db");
  const db = openDatabase(dbPath);
  const kysely = options.database ?? kyselyOverStore(db);
  const fake = new FakeGitHub();
  fake.intercept();
  const files: Record<string, string> = { "README.md": "# Hello-World\n" };
  if (options.config !== undefined) files[".github/opforge.yml"] = options.config;
  const repo = fake.addRepo(OWNER, REPO, { defaultBranch: "master", id: 1296269, files });
  const clock = options.clock ?? new TestClock();
  const probot = probotFor(options.log === undefined ? {} : { log: options.log });
  let worker: Worker | undefined;
  const routes: HttpHandler[] = [];
  await probot.load(
    opforgeApp({
      kysely,
      now: clock.now,
      startWorker: false,
      worker: { pollIntervalMs: 2, concurrency: 1 },
      onWorker: (w) => (worker = w),
      providerFor: options.providerFor ?? (() => scaffoldProvider()),
      ...(options.learning === undefined ? {} : { learning: options.learning }),
      ...(options.webhookMaxBytes === undefined ? {} : { webhookMaxBytes: options.webhookMaxBytes }),
      ...(options.env === undefined ? {} : { env: options.env }),
    }),
    { cwd: process.cwd(), addHandler: (handler) => routes.push(handler) },
  );
  if (worker === undefined) throw new Error("opforgeApp did not hand over its worker");
  const theWorker = worker;

  return {
    probot,
    db,
    kysely,
    dbPath,
    fake,
    repo,
    clock,
    worker: theWorker,
    routes,
    receive: (name, payload, id = deliveryId()) =>
      probot.receive({ id, name, payload } as unknown as Parameters<Probot["receive"]>[0]),
    drain: (drainOptions = {}) =>
      drainQueue(theWorker, kysely, { ...(drainOptions.retries === true ? { retryClock: clock } : {}), allowDead: drainOptions.allowDead === true, now: clock.now }),
    close: async () => {
      await theWorker.stop();
      db.close();
      if (dir !== null) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs `worker` until no job is queued or running, then stops it; with `retryClock`, failed jobs are retried
 * (the clock moves past their backoff); with `allowDead`, a dead-lettered job is an expected outcome.
 */
export async function drainQueue(
  worker: Worker,
  db: Kysely<Tables>,
  options: { retryClock?: TestClock; allowDead?: boolean; now?: () => number } = {},
  timeoutMs = 15_000,
): Promise<void> {
  const { retryClock } = options;
  const deadline = Date.now() + timeoutMs;
  worker.start();
  try {
    for (;;) {
      const counts = await countJobs(db);
      const waiting = await listJobs(db, { status: "failed" });
      if (retryClock !== undefined && waiting.length > 0) {
        retryClock.ms = Math.max(retryClock.ms, ...waiting.map((job) => job.runAfter + 1));
      }
      const broken = [...(retryClock === undefined ? waiting : []), ...(options.allowDead === true ? [] : await listJobs(db, { status: "dead" }))];
      if (broken.length > 0) {
        throw new Error(`job ${broken[0]?.id} (${broken[0]?.type}) ${broken[0]?.status}: ${broken[0]?.lastError}`);
      }
      // A job scheduled for later (a look at reactions in ten minutes) is not due: the queue is drained without it.
      const due = options.now === undefined ? counts.queued : (await listJobs(db, { status: "queued" })).filter((job) => job.runAfter <= (options.now?.() ?? 0)).length;
      if (due === 0 && counts.running === 0 && counts.failed === 0 && worker.running === 0) return;
      if (Date.now() > deadline) throw new Error(`queue not drained within ${timeoutMs} ms: ${JSON.stringify(counts)}`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  } finally {
    await worker.stop();
  }
}
