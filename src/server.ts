/**
 * `npm start`: the GitHub App. Probot reads APP_ID, PRIVATE_KEY(_PATH), WEBHOOK_SECRET, PORT, GHE_HOST…;
 * without APP_ID and a key it starts the first-run setup that registers the app from app.yml.
 */
import { run } from "probot";
import { readAppEnv } from "./config/app-env.js";
import { opforgeApp } from "./index.js";
import type { Worker } from "./jobs/worker.js";
import { openDatabase } from "./store/database.js";

const settings = readAppEnv(process.env);
const db = openDatabase(settings.databasePath);
let worker: Worker | undefined;

const server = await run(
  opforgeApp({
    db,
    worker: { concurrency: settings.workerConcurrency, pollIntervalMs: settings.pollMs, leaseMs: settings.leaseMs },
    onWorker: (w) => {
      worker = w;
    },
  }),
);

async function shutdown(signal: string): Promise<void> {
  console.info(`${signal}: stopping the worker and the server`);
  await worker?.stop();
  await server.stop();
  db.close();
  process.exit(0);
}
process.once("SIGTERM", () => void shutdown("SIGTERM"));
process.once("SIGINT", () => void shutdown("SIGINT"));
