/**
 * One App replica for the multi-process tests and the scale bench: the App process of `npm start`, built by
 * the same startAppRuntime (src/app-runtime.ts: the settings, the database of OPFORGE_DATABASE_URL or
 * OPFORGE_DB, pg-boss dispatch on PostgreSQL, the App and its worker) and served as src/server.ts serves it
 * (createProbot from the environment — APP_ID, PRIVATE_KEY, WEBHOOK_SECRET, GHE_HOST… — and serveApp), with
 * one difference: Probot's Octokit throttling is off.
 *
 * Why: the throttling plugin keeps each process to one GitHub write a second and one issue comment or pull
 * request every three seconds. A generation makes about nine writes, so 30 issues would take minutes of
 * deliberate waiting per process, and the run would measure that wait instead of the queue and the App.
 * server.ts offers no setting for it, so this file serves the runtime itself instead of running server.ts.
 *
 * As with server.ts, PORT=0 picks a free port; it is announced as `Listening on http://HOST:PORT` on stdout
 * (the words server.ts logs, printed here at any LOG_LEVEL), so a parent never races another process for a
 * port it probed.
 */
import { pino } from "pino";
import { createProbot, ProbotOctokit } from "probot";
import { serveApp, startAppRuntime } from "../../src/app-runtime.js";

/** Probot's Octokit with its throttle off (see above); retries stay as in production. */
const UnthrottledOctokit = ProbotOctokit.defaults((instance: Record<string, unknown>) => ({
  ...instance,
  throttle: { ...(instance.throttle as object | undefined), enabled: false },
}));

const runtime = await startAppRuntime(process.env);
const log = pino({ level: process.env.LOG_LEVEL || "info", name: "probot" });
const probot = createProbot({ overrides: { log, Octokit: UnthrottledOctokit } });
const host = process.env.HOST || "localhost";
const { http, port } = await serveApp(runtime.appFn, probot, host, Number(process.env.PORT ?? 3000));
// Written whatever LOG_LEVEL is: the parent waits for this line.
process.stdout.write(`Listening on http://${host}:${port}\n`);

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  const finished = await runtime.stopWorker(10_000);
  await new Promise<void>((resolve) => {
    http.close(() => resolve());
    http.closeAllConnections();
  });
  // As server.ts: pg-boss and the database are closed only once no job runs.
  if (finished) await runtime.close();
  process.exit(0);
}
process.once("SIGTERM", () => void shutdown());
process.once("SIGINT", () => void shutdown());
