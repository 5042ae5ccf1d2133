/**
 * `npm start`: the GitHub App. Probot reads APP_ID, PRIVATE_KEY(_PATH), WEBHOOK_SECRET, PORT, GHE_HOST…;
 * without APP_ID and a key it starts the first-run setup that registers the app from app.yml.
 */
import { run } from "probot";
import { readAppEnv } from "./config/app-env.js";
import { opforgeApp } from "./index.js";
import type { Worker } from "./jobs/worker.js";
import { openDatabase } from "./store/database.js";

/** How long a shutdown waits for running jobs; their leases let another process finish them after a hard stop. */
const SHUTDOWN_GRACE_MS = 20_000;

const settings = readAppEnv(process.env);
const db = openDatabase(settings.databasePath);
let worker: Worker | undefined;

const server = await run(
  opforgeApp({
    db,
    worker: { concurrency: settings.workerConcurrency, pollIntervalMs: settings.pollMs, leaseMs: settings.leaseMs },
    ...(settings.botLogin === undefined ? {} : { botLogin: settings.botLogin }),
    onWorker: (w) => {
      worker = w;
    },
  }),
);
// Probot's own SIGINT handler stops the server and exits at once, which would cut running jobs short.
process.removeAllListeners("SIGINT");

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.info(`${signal}: stopping the worker and the server`);
  const graceOver = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), SHUTDOWN_GRACE_MS).unref());
  const stopped = await Promise.race([worker?.stop().then(() => "stopped" as const) ?? Promise.resolve("stopped" as const), graceOver]);
  if (stopped === "timeout") console.warn(`jobs still running after ${SHUTDOWN_GRACE_MS} ms; their leases will expire and another process will finish them`);
  await server.stop();
  if (stopped === "stopped") db.close();
  process.exit(0);
}
process.once("SIGTERM", () => void shutdown("SIGTERM"));
process.once("SIGINT", () => void shutdown("SIGINT"));
