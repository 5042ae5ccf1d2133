/**
 * What one App process runs besides Probot's server: its settings, the configured database, on PostgreSQL the
 * pg-boss dispatch that hands jobs to the replicas, and the App function with its worker. `npm start`
 * (src/server.ts) builds its process from this; so does anything else that must run the App as it runs.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createNodeMiddleware, type ApplicationFunction, type Probot } from "probot";
import { readAppEnv, type AppEnv } from "./config/app-env.js";
import { redactDeep, registerSecretsFromEnv } from "./config/redact.js";
import { openAppDatabase, type AppDatabase } from "./db/app-database.js";
import { opforgeApp } from "./index.js";
import { JobDispatch } from "./jobs/dispatch.js";
import type { Worker } from "./jobs/worker.js";

export interface AppRuntime {
  settings: AppEnv;
  database: AppDatabase;
  /** The App for Probot; its worker starts when Probot loads it. */
  appFn: ApplicationFunction;
  /** The worker, once Probot loaded the App. */
  worker(): Worker | undefined;
  /**
   * Stops taking jobs and waits up to `graceMs` for the running ones; returns whether they all finished (a job
   * cut short keeps its lease, and another process finishes it once the lease expires).
   */
  stopWorker(graceMs: number): Promise<boolean>;
  /** Closes pg-boss and the database: only once no job runs. */
  close(): Promise<void>;
}

export async function startAppRuntime(env: NodeJS.ProcessEnv): Promise<AppRuntime> {
  const settings = readAppEnv(env);
  registerSecretsFromEnv(env);
  // OPFORGE_DATABASE_URL (PostgreSQL, shared by replicas) or the SQLite file OPFORGE_DB.
  const database = await openAppDatabase(env);
  // On PostgreSQL, pg-boss hands the jobs out to the replicas (src/jobs/dispatch.ts).
  const dispatch =
    database.config.dialect === "postgres"
      ? await JobDispatch.start(database.kysely, {
          connectionString: database.config.url,
          schema: settings.pgbossSchema,
          leaseMs: settings.leaseMs,
          onError: (error) => console.error(`pg-boss: ${redactDeep(error.message)}`),
        })
      : undefined;
  let worker: Worker | undefined;
  const appFn = opforgeApp({
    kysely: database.kysely,
    worker: {
      concurrency: settings.workerConcurrency,
      pollIntervalMs: settings.pollMs,
      leaseMs: settings.leaseMs,
      retentionMs: settings.retentionMs,
      ...(dispatch === undefined ? {} : { dispatch }),
    },
    ...(settings.botLogin === undefined ? {} : { botLogin: settings.botLogin }),
    ...(settings.webhookMaxBytes === undefined ? {} : { webhookMaxBytes: settings.webhookMaxBytes }),
    onWorker: (w) => {
      worker = w;
    },
  });
  return {
    settings,
    database,
    appFn,
    worker: () => worker,
    async stopWorker(graceMs) {
      const graceOver = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), graceMs).unref());
      const stopped = await Promise.race([worker?.stop().then(() => "stopped" as const) ?? Promise.resolve("stopped" as const), graceOver]);
      return stopped === "stopped";
    },
    async close() {
      await dispatch?.stop();
      await database.close();
    },
  };
}

/** The App's HTTP server, listening. */
export interface ServedApp {
  http: Server;
  /** The port it listens on: the one asked for, or the one the system chose for port 0. */
  port: number;
}

/**
 * Serves `appFn` over HTTP on `host:port` (0: a free port): createNodeMiddleware runs the App's handlers before
 * Probot's webhook endpoint, so opforge's endpoint (size limit, streaming signature check, payload schemas) is
 * the one that answers webhooks; anything else answers 404 in JSON. Resolves once it listens.
 */
export async function serveApp(appFn: ApplicationFunction, probot: Probot, host: string, port: number): Promise<ServedApp> {
  const middleware = await createNodeMiddleware(appFn, { probot });
  const http = createServer((req, res) => {
    void middleware(req, res, () => {
      if (!res.headersSent) res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}\n');
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(port, host, () => resolve());
  });
  return { http, port: (http.address() as AddressInfo).port };
}
