/**
 * A worker thread of `opforge validate`'s pool: takes the next unclaimed file from the counter it shares
 * with the other threads, checks it, posts the outcome back, and stops when no file is left.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { CheckSettings, FileJob, FileOutcome } from "./validate-files.js";
import { createChecker } from "./validate-files.js";

export interface WorkerInput {
  /** URL of this module; the entry script (validate-worker.mjs) imports it. */
  module: string;
  jobs: FileJob[];
  settings: CheckSettings;
  /** Index of the next unclaimed job, shared by every thread of the pool (Atomics.add claims one). */
  next: Int32Array;
}

export type WorkerMessage =
  | { index: number; outcome: FileOutcome }
  /** Checking the file threw; the coordinating thread checks it again, so the error surfaces there. */
  | { index: number; failed: string }
  | { done: true };

export async function runWorker(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error("validate-worker runs only as a worker thread");
  const input = workerData as WorkerInput;
  const check = await createChecker(input.settings);
  for (;;) {
    const index = Atomics.add(input.next, 0, 1);
    const job = input.jobs[index];
    if (job === undefined) break;
    let message: WorkerMessage;
    try {
      message = { index, outcome: await check(job) };
    } catch (error) {
      message = { index, failed: String(error) };
    }
    port.postMessage(message);
  }
  port.postMessage({ done: true } satisfies WorkerMessage);
}
