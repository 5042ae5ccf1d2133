import { z } from "zod";

/**
 * How long after posting the lessons comment opforge first looks for a maintainer's 👍 or 👎 (reactions send no
 * webhook); afterwards it looks every hour.
 */
const lessonsCheckMs = z.coerce.number().int().min(1_000).max(7 * 24 * 60 * 60 * 1000).default(10 * 60_000);

/** Process-level settings of the app, from environment variables (Probot reads its own: APP_ID, PRIVATE_KEY, ...). */
const appEnvSchema = z.object({
  OPFORGE_DB: z.string().min(1).default("data/opforge.db"),
  OPFORGE_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
  OPFORGE_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  OPFORGE_LEASE_MS: z.coerce.number().int().min(1_000).default(120_000),
  /** Finished jobs and webhook deliveries older than this many days are pruned. */
  OPFORGE_RETENTION_DAYS: z.coerce.number().positive().max(3650).default(14),
  OPFORGE_BOT_LOGIN: z.string().min(1).optional(),
  /** A lower bound than GitHub's 25 MB on webhook bodies. */
  OPFORGE_WEBHOOK_MAX_BYTES: z.coerce.number().int().min(1_024).max(25 * 1024 * 1024).optional(),
  /** With OPFORGE_DATABASE_URL: the schema pg-boss keeps its job deliveries in (created when missing). */
  OPFORGE_PGBOSS_SCHEMA: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,49}$/, "a schema name of letters, digits and underscores, at most 50, not starting with a digit")
    .default("pgboss"),
  /** Checked here so that a bad value stops the server at start; the app function reads it (readLessonsCheckMs). */
  OPFORGE_LESSONS_CHECK_MS: lessonsCheckMs,
});

export interface AppEnv {
  databasePath: string;
  workerConcurrency: number;
  pollMs: number;
  leaseMs: number;
  /** Finished jobs (done or dead) and webhook deliveries older than this are pruned by the worker. */
  retentionMs: number;
  /** Login of the app's bot user (`<slug>[bot]`); when set, only its comments are taken for opforge's own. */
  botLogin?: string;
  webhookMaxBytes?: number;
  /** pg-boss's schema, used when the database is PostgreSQL. */
  pgbossSchema: string;
}

export function readAppEnv(env: NodeJS.ProcessEnv): AppEnv {
  const parsed = appEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid opforge environment: ${problems}`);
  }
  return {
    databasePath: parsed.data.OPFORGE_DB,
    workerConcurrency: parsed.data.OPFORGE_WORKER_CONCURRENCY,
    pollMs: parsed.data.OPFORGE_POLL_MS,
    leaseMs: parsed.data.OPFORGE_LEASE_MS,
    retentionMs: Math.round(parsed.data.OPFORGE_RETENTION_DAYS * 24 * 60 * 60 * 1000),
    pgbossSchema: parsed.data.OPFORGE_PGBOSS_SCHEMA,
    ...(parsed.data.OPFORGE_BOT_LOGIN === undefined ? {} : { botLogin: parsed.data.OPFORGE_BOT_LOGIN }),
    ...(parsed.data.OPFORGE_WEBHOOK_MAX_BYTES === undefined ? {} : { webhookMaxBytes: parsed.data.OPFORGE_WEBHOOK_MAX_BYTES }),
  };
}

/** OPFORGE_LESSONS_CHECK_MS alone, for the app function (which reads its own environment); throws naming it. */
export function readLessonsCheckMs(env: NodeJS.ProcessEnv): number {
  const parsed = lessonsCheckMs.safeParse(env.OPFORGE_LESSONS_CHECK_MS);
  if (!parsed.success) throw new Error(`invalid opforge environment: OPFORGE_LESSONS_CHECK_MS: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  return parsed.data;
}
