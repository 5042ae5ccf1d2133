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
