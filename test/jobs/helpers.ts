import { sql } from "kysely";
import type { Kysely } from "kysely";
import { dialectOf } from "../../src/db/dialect.js";
import type { Tables } from "../../src/db/schema.js";
import type { JobLogger } from "../../src/jobs/worker.js";

export interface LogLine {
  level: "info" | "warn" | "error" | "debug";
  obj: Record<string, unknown>;
  msg: string | undefined;
}

export function captureLogger(): { logger: JobLogger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine["level"]) =>
    (obj: Record<string, unknown>, msg?: string): void => {
      lines.push({ level, obj, msg });
    };
  return { logger: { info: at("info"), warn: at("warn"), error: at("error"), debug: at("debug") }, lines };
}

/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Empties the queue and the delivery log between tests sharing one backend, numbering jobs from 1 again, so
 * each test sees what a fresh database would show.
 */
export async function emptyQueue(db: Kysely<Tables>): Promise<void> {
  if (dialectOf(db) === "postgres") {
    await sql`TRUNCATE jobs, webhook_deliveries RESTART IDENTITY`.execute(db);
  } else {
    await db.deleteFrom("jobs").execute();
    await db.deleteFrom("webhook_deliveries").execute();
  }
}

/** Polls the async `check` until it returns true; fails with `what` after `timeoutMs`. */
export async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
