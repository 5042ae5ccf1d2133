/**
 * `npm start`: the GitHub App. Probot reads APP_ID, PRIVATE_KEY(_PATH), WEBHOOK_SECRET, PORT, GHE_HOST…;
 * without APP_ID and a key it starts the first-run setup that registers the app from app.yml.
 */
import { getTransformStream } from "@probot/pino";
import { pino, type Logger } from "pino";
import { createProbot, run } from "probot";
import { serveApp, startAppRuntime } from "./app-runtime.js";
import { redactDeep } from "./config/redact.js";

/** How long a shutdown waits for running jobs; their leases let another process finish them after a hard stop. */
const SHUTDOWN_GRACE_MS = 20_000;

const runtime = await startAppRuntime(process.env);
const appFn = runtime.appFn;

/** Probot's logger (same format and level settings), with every secret taken out of each line. */
async function redactingLog(): Promise<Logger> {
  const logFormat = process.env.LOG_FORMAT === "json" ? "json" : process.env.LOG_FORMAT === "pretty" ? "pretty" : undefined;
  const transform = await getTransformStream({
    ...(logFormat === undefined ? {} : { logFormat }),
    logLevelInString: process.env.LOG_LEVEL_IN_STRING === "true",
    ...(process.env.SENTRY_DSN ? { sentryDsn: process.env.SENTRY_DSN } : {}),
  });
  transform.pipe(pino.destination(1) as unknown as NodeJS.WritableStream);
  return pino(
    {
      level: process.env.LOG_LEVEL || "info",
      name: "probot",
      messageKey: process.env.LOG_MESSAGE_KEY || "msg",
      hooks: {
        logMethod(args, method) {
          method.apply(this, redactDeep(args) as Parameters<typeof method>);
        },
      },
    },
    transform,
  );
}

interface Stoppable {
  stop(): Promise<void>;
}

async function serve(): Promise<Stoppable> {
  const hasKey = Boolean(process.env.PRIVATE_KEY || process.env.PRIVATE_KEY_PATH);
  if (!process.env.APP_ID || !hasKey) {
    // First-run setup (registering the app from app.yml) is Probot's own server.
    return run(appFn);
  }
  const log = await redactingLog();
  const probot = createProbot({ overrides: { log } });
  // PORT=0 asks the system for a free port; the line below says which one it gave.
  const port = process.env.PORT === undefined || process.env.PORT.trim() === "" ? 3000 : Number(process.env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`invalid opforge environment: PORT: a port number from 0 to 65535, got ${process.env.PORT}`);
  const host = process.env.HOST || "localhost";
  const { http, port: listening } = await serveApp(appFn, probot, host, port);
  log.info(`Listening on http://${host}:${listening}`);
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeIdleConnections();
      }),
  };
}

const server = await serve();
// Probot's own SIGINT handler stops the server and exits at once, which would cut running jobs short.
process.removeAllListeners("SIGINT");

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.info(`${signal}: stopping the worker and the server`);
  const finished = await runtime.stopWorker(SHUTDOWN_GRACE_MS);
  if (!finished) console.warn(`jobs still running after ${SHUTDOWN_GRACE_MS} ms; their leases will expire and another process will finish them`);
  await server.stop();
  if (finished) await runtime.close();
  process.exit(0);
}
process.once("SIGTERM", () => void shutdown("SIGTERM"));
process.once("SIGINT", () => void shutdown("SIGINT"));
