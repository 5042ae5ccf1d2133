import type { Kysely } from "kysely";
import type { ApplicationFunction, Probot } from "probot";
import { readLessonsCheckMs } from "./config/app-env.js";
import { redactDeep, registerSecretsFromEnv } from "./config/redact.js";
import type { RepoConfig } from "./config/repo-config.js";
import { kyselyOverStore } from "./db/over-store.js";
import type { Tables } from "./db/schema.js";
import { createFlowWorker } from "./flows/index.js";
import type { FlowServices } from "./flows/services.js";
import { Learning } from "./learn/loop.js";
import { priceTableFromEnv } from "./generate/prices.js";
import { providerFromEnv } from "./generate/providers/index.js";
import type { ModelProvider } from "./generate/types.js";
import type { GitHubClient } from "./github/client.js";
import { registerCheckHandlers } from "./handlers/checks.js";
import { registerCommentHandlers } from "./handlers/comments.js";
import { registerIssueHandlers } from "./handlers/issues.js";
import { registerPullRequestHandlers } from "./handlers/pull-requests.js";
import type { JobLogger, Worker, WorkerOptions } from "./jobs/worker.js";
import type { Database } from "./store/database.js";
import { dashboardConfigFromEnv } from "./web/dashboard/config.js";
import { dashboardRoutes } from "./web/dashboard/router.js";
import { createOpsMetrics } from "./web/prometheus.js";
import { webRoutes } from "./web/routes.js";
import { DEFAULT_WEBHOOK_PATH, webhookEndpoint } from "./web/webhook.js";

export interface OpforgeAppOptions {
  /** The database, SQLite or PostgreSQL (src/db); or give `db`, a SQLite connection the store opened. */
  kysely?: Kysely<Tables>;
  db?: Database;
  now?: () => number;
  env?: NodeJS.ProcessEnv;
  providerFor?: (config: RepoConfig) => ModelProvider;
  /** The learning layer; by default the stores in `db`, with Thompson sampling on Math.random. */
  learning?: Learning;
  botLogin?: string;
  /** Start polling the queue when the app loads (tests drive the worker by hand instead). */
  startWorker?: boolean;
  worker?: { concurrency?: number; pollIntervalMs?: number; leaseMs?: number; retentionMs?: number; dispatch?: WorkerOptions["dispatch"] };
  /** Webhook bodies above this many bytes are refused unread (default and ceiling: GitHub's 25 MB). */
  webhookMaxBytes?: number;
  /** Receives the worker, so its owner can stop it on shutdown. */
  onWorker?: (worker: Worker) => void;
}

/** The flows' logger: every string in a log line (error messages and stacks included) without secrets. */
function redactingLogger(log: JobLogger): JobLogger {
  return {
    info: (obj, msg) => log.info(redactDeep(obj), msg === undefined ? undefined : redactDeep(msg)),
    warn: (obj, msg) => log.warn(redactDeep(obj), msg === undefined ? undefined : redactDeep(msg)),
    error: (obj, msg) => log.error(redactDeep(obj), msg === undefined ? undefined : redactDeep(msg)),
    debug: (obj, msg) => log.debug(redactDeep(obj), msg === undefined ? undefined : redactDeep(msg)),
  };
}

function appIdFrom(env: NodeJS.ProcessEnv): number | undefined {
  const id = Number(env.APP_ID);
  return Number.isInteger(id) && id > 0 ? id : undefined;
}

function databaseOf(options: OpforgeAppOptions): Kysely<Tables> {
  if (options.kysely !== undefined) return options.kysely;
  if (options.db !== undefined) return kyselyOverStore(options.db);
  throw new Error("opforgeApp needs a database: pass `kysely` (src/db) or `db` (a SQLite connection)");
}

/** The Probot app: webhook handlers, the health and metrics routes, and the worker that runs the queued flows. */
export function opforgeApp(options: OpforgeAppOptions): ApplicationFunction {
  return (app: Probot, { addHandler }) => {
    const now = options.now ?? Date.now;
    // One Kysely instance for the whole App: on SQLite its single connection's mutex is what makes
    // transactions wait for each other.
    const kysely = databaseOf(options);
    const handlerServices = { kysely, now };
    registerIssueHandlers(app, handlerServices);
    registerCheckHandlers(app, handlerServices);
    registerCommentHandlers(app, handlerServices);
    registerPullRequestHandlers(app, handlerServices);

    const env = options.env ?? process.env;
    registerSecretsFromEnv(env);
    const metricsToken = env.OPFORGE_METRICS_TOKEN;
    const metrics = createOpsMetrics(kysely, now);
    addHandler(webRoutes(kysely, metrics, metricsToken === undefined ? {} : { metricsToken }));
    // Read once at start: a malformed OPFORGE_PUBLIC_URL stops the app naming the setting.
    addHandler(dashboardRoutes(kysely, now, dashboardConfigFromEnv(env), redactingLogger(app.log)));
    // Ahead of Probot's own endpoint where the app is served through createNodeMiddleware (src/server.ts).
    addHandler(
      webhookEndpoint({
        secret: env.WEBHOOK_SECRET || "development",
        path: env.WEBHOOK_PATH || DEFAULT_WEBHOOK_PATH,
        ...(options.webhookMaxBytes === undefined ? {} : { maxBytes: options.webhookMaxBytes }),
        onVerified: (event) => metrics.webhookReceived(event),
        receive: (event) => app.receive(event as unknown as Parameters<Probot["receive"]>[0]),
        log: redactingLogger(app.log),
      }),
    );

    const appId = appIdFrom(env);
    const flowServices: FlowServices = {
      kysely,
      now,
      // Read once at start: a malformed OPFORGE_PRICES stops the app with the field it names, not a job later.
      prices: priceTableFromEnv(env),
      octokitFor: async (installationId) => (await app.auth(installationId)) as unknown as GitHubClient,
      providerFor:
        options.providerFor ?? ((config) => providerFromEnv(env, { provider: config.provider, model: config.model })),
      learning: options.learning ?? new Learning(kysely, { now, random: Math.random }),
      lessonsCheckMs: readLessonsCheckMs(env),
      log: redactingLogger(app.log),
      ...(options.botLogin === undefined ? {} : { botLogin: options.botLogin }),
      ...(appId === undefined ? {} : { appId }),
    };
    const worker = createFlowWorker(flowServices, options.worker ?? {});
    options.onWorker?.(worker);
    if (options.startWorker ?? true) worker.start();
  };
}
