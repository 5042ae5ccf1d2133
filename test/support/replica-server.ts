/**
 * One App replica for the multi-process tests and the scale bench: `npm start` (src/server.ts) as it builds
 * the App — the settings of src/config/app-env.ts, the database of OPFORGE_DATABASE_URL or OPFORGE_DB,
 * createProbot from the environment (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET, GHE_HOST…), opforgeApp served through
 * createNodeMiddleware — with one difference: Probot's Octokit throttling is off.
 *
 * Why: the throttling plugin keeps each process to one GitHub write a second and one issue comment or pull
 * request every three seconds. A generation makes about nine writes, so 30 issues would take minutes of
 * deliberate waiting per process, and the run would measure that wait instead of the queue and the App.
 * server.ts offers no setting for it, so this file mirrors server.ts instead of running it.
 *
 * Beyond server.ts: PORT=0 picks a free port, announced as `Listening on http://HOST:PORT` on stdout (the
 * words server.ts logs, printed at any LOG_LEVEL), so a parent never races another process for a port it probed.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { createNodeMiddleware, createProbot, ProbotOctokit } from "probot";
import { readAppEnv } from "../../src/config/app-env.js";
import { registerSecretsFromEnv } from "../../src/config/redact.js";
import { openAppDatabase } from "../../src/db/app-database.js";
import { opforgeApp } from "../../src/index.js";
import type { Worker } from "../../src/jobs/worker.js";

/** Probot's Octokit with its throttle off (see above); retries stay as in production. */
const UnthrottledOctokit = ProbotOctokit.defaults((instance: Record<string, unknown>) => ({
  ...instance,
  throttle: { ...(instance.throttle as object | undefined), enabled: false },
}));

const settings = readAppEnv(process.env);
registerSecretsFromEnv(process.env);
const database = await openAppDatabase(process.env);
let worker: Worker | undefined;

const appFn = opforgeApp({
  kysely: database.kysely,
  worker: {
    concurrency: settings.workerConcurrency,
    pollIntervalMs: settings.pollMs,
    leaseMs: settings.leaseMs,
    retentionMs: settings.retentionMs,
  },
  ...(settings.botLogin === undefined ? {} : { botLogin: settings.botLogin }),
  ...(settings.webhookMaxBytes === undefined ? {} : { webhookMaxBytes: settings.webhookMaxBytes }),
  onWorker: (w) => {
    worker = w;
  },
});

const log = pino({ level: process.env.LOG_LEVEL || "info", name: "probot" });
const probot = createProbot({ overrides: { log, Octokit: UnthrottledOctokit } });
const middleware = await createNodeMiddleware(appFn, { probot });
const http = createServer((req, res) => {
  void middleware(req, res, () => {
    if (!res.headersSent) res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}\n');
  });
});
const host = process.env.HOST || "localhost";
await new Promise<void>((resolve, reject) => {
  http.once("error", reject);
  http.listen(Number(process.env.PORT ?? 3000), host, () => resolve());
});
// Written whatever LOG_LEVEL is: the parent waits for this line.
process.stdout.write(`Listening on http://${host}:${(http.address() as AddressInfo).port}\n`);

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await worker?.stop();
  await new Promise<void>((resolve) => {
    http.close(() => resolve());
    http.closeAllConnections();
  });
  await database.close();
  process.exit(0);
}
process.once("SIGTERM", () => void shutdown());
process.once("SIGINT", () => void shutdown());
