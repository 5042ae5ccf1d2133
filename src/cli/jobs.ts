import { parseArgs } from "node:util";
import { EXIT_INVALID_INPUT, EXIT_OK, EXIT_USAGE, type CliCommand, type CliIo } from "./io.js";
import { DB_DEFAULT_HELP, dbOptionProblem, errorText, openCliDatabase, type CliDatabase } from "./database.js";
import type { Job, JobStatus } from "../jobs/queue.js";

export const JOBS_USAGE = `Usage: opforge jobs list [--state S] [--db PATH] [--json]
       opforge jobs requeue ID [--db PATH]

The durable job queue, for operators. list prints the newest jobs (up to 100) with their state, attempts
and last error; requeue puts a dead job back in the queue with a fresh attempt budget, keeping the steps
it already recorded so that effects which took place are not repeated. On PostgreSQL, once the App has
set up pg-boss there, the requeued job is delivered to its replicas through pg-boss
(OPFORGE_PGBOSS_SCHEMA, OPFORGE_LEASE_MS as the App reads them).

Options:
  --state <s>    list only jobs in this state: queued, running, failed (waiting to retry), done or dead
  --db <path>    a SQLite file to use, never created (default: the configured database,
                 ${DB_DEFAULT_HELP})
  --json         print the jobs as JSON
  -h, --help     show this help

Exit status: 0 done, 1 no such dead job or no database, 2 usage error.
`;

/** What --state accepts; "done" names the queue's "succeeded". */
const STATES: Record<string, JobStatus> = {
  queued: "queued",
  running: "running",
  failed: "failed",
  done: "succeeded",
  succeeded: "succeeded",
  dead: "dead",
};

const shownState = (status: JobStatus): string => (status === "succeeded" ? "done" : status);
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function jobJson(job: Job): Record<string, unknown> {
  return {
    id: job.id,
    type: job.type,
    state: shownState(job.status),
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    dedupeKey: job.dedupeKey,
    runAfter: iso(job.runAfter),
    leaseOwner: job.leaseOwner,
    leaseExpiresAt: iso(job.leaseExpiresAt),
    lastError: job.lastError,
    steps: Object.keys(job.steps),
    createdAt: iso(job.createdAt),
    updatedAt: iso(job.updatedAt),
  };
}

function jobLine(job: Job): string {
  const error = job.lastError === null ? "" : `  ${job.lastError.split("\n")[0] ?? ""}`;
  return `#${job.id}  ${shownState(job.status)}  ${job.type}  attempts ${job.attempts}/${job.maxAttempts}  updated ${iso(job.updatedAt) ?? ""}${error}\n`;
}

/**
 * On PostgreSQL the App's replicas take jobs from pg-boss's deliveries instead of polling the table: once a
 * replica set pg-boss up there, a job this process makes due is delivered too, in the same transaction, with
 * the App's own settings (OPFORGE_PGBOSS_SCHEMA, OPFORGE_LEASE_MS). Before that, a replica delivers every
 * runnable job when it starts.
 */
async function deliverLikeTheApp(db: CliDatabase, io: CliIo): Promise<void> {
  if (db.target.config.dialect !== "postgres") return;
  const [{ readAppEnv }, { deliverWhereSetUp }] = await Promise.all([import("../config/app-env.js"), import("../jobs/dispatch.js")]);
  // Only the two settings deliveries use: the CLI is not the App and need not be configured as one.
  const { pgbossSchema, leaseMs } = readAppEnv({ OPFORGE_PGBOSS_SCHEMA: io.env.OPFORGE_PGBOSS_SCHEMA, OPFORGE_LEASE_MS: io.env.OPFORGE_LEASE_MS });
  await deliverWhereSetUp(db.kysely, { schema: pgbossSchema, leaseMs });
}

/** Runs `run` on the database, which must hold the queue already: an operator's look never creates one. */
async function withDb(given: string | undefined, io: CliIo, run: (db: CliDatabase) => Promise<number>): Promise<number> {
  const db = await openCliDatabase(given, io, "change");
  if (typeof db === "string") {
    io.stderr(`opforge jobs: ${db}\n`);
    return EXIT_INVALID_INPUT;
  }
  try {
    return await run(db);
  } catch (error) {
    io.stderr(`opforge jobs: ${errorText(error, db.target)}\n`);
    return EXIT_INVALID_INPUT;
  } finally {
    await db.close();
  }
}

export function createJobsCommand(now: () => number = Date.now): CliCommand {
  return async (argv, io) => {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          state: { type: "string" },
          db: { type: "string" },
          json: { type: "boolean", default: false },
          help: { type: "boolean", short: "h", default: false },
        },
      });
    } catch (error) {
      io.stderr(`opforge jobs: ${(error as Error).message}\n\n${JOBS_USAGE}`);
      return EXIT_USAGE;
    }
    if (parsed.values.help) {
      io.stdout(JOBS_USAGE);
      return EXIT_OK;
    }
    const [sub, ...args] = parsed.positionals;
    const usageError = (message: string): number => {
      io.stderr(`opforge jobs: ${message}\n\n${JOBS_USAGE}`);
      return EXIT_USAGE;
    };
    const dbProblem = dbOptionProblem(parsed.values.db);
    if (dbProblem !== undefined) return usageError(dbProblem);

    if (sub === "list") {
      if (args.length > 0) return usageError(`unexpected argument '${args[0] ?? ""}'`);
      let status: JobStatus | undefined;
      if (parsed.values.state !== undefined) {
        status = Object.hasOwn(STATES, parsed.values.state) ? STATES[parsed.values.state] : undefined;
        if (status === undefined) return usageError(`--state should be queued, running, failed, done or dead, got "${parsed.values.state}"`);
      }
      return withDb(parsed.values.db, io, async ({ kysely }) => {
        const { listJobs } = await import("../jobs/queue.js");
        const jobs = await listJobs(kysely, status === undefined ? {} : { status });
        if (parsed.values.json) io.stdout(`${JSON.stringify(jobs.map(jobJson), null, 2)}\n`);
        else if (jobs.length === 0) io.stdout(parsed.values.state === undefined ? "no jobs\n" : `no ${parsed.values.state} jobs\n`);
        else io.stdout(jobs.map(jobLine).join(""));
        return EXIT_OK;
      });
    }

    if (sub === "requeue") {
      if (parsed.values.state !== undefined || parsed.values.json) return usageError("requeue takes only ID and --db");
      if (args.length !== 1) return usageError("requeue needs one job ID");
      const text = args[0] ?? "";
      const id = /^\d+$/.test(text) && Number(text) >= 1 ? Number(text) : undefined;
      if (id === undefined) return usageError(`a job ID is a whole number from 1, got "${text}"`);
      return withDb(parsed.values.db, io, async (db) => {
        const { getJob, requeueDead } = await import("../jobs/queue.js");
        const job = await getJob(db.kysely, id);
        if (job === null) {
          io.stderr(`opforge jobs: no job #${id}\n`);
          return EXIT_INVALID_INPUT;
        }
        if (job.status !== "dead") {
          io.stderr(`opforge jobs: job #${id} is ${shownState(job.status)}, not dead; only dead jobs are requeued\n`);
          return EXIT_INVALID_INPUT;
        }
        await deliverLikeTheApp(db, io);
        if (!(await requeueDead(db.kysely, id, now()))) {
          io.stderr(`opforge jobs: job #${id} was not requeued: an active job holds its dedupe key ${job.dedupeKey ?? ""}\n`);
          return EXIT_INVALID_INPUT;
        }
        io.stdout(`job #${id} (${job.type}) requeued\n`);
        return EXIT_OK;
      });
    }

    return usageError(sub === undefined ? "missing subcommand: list or requeue" : `unknown subcommand '${sub}'`);
  };
}

/** `opforge jobs list|requeue`: the job queue, for operators. */
export const jobsCommand: CliCommand = createJobsCommand();
