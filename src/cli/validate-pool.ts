/**
 * Checks many files on several cores: worker threads that each load the validator (and its grammar) once
 * and claim files one at a time from a counter shared with every thread, so a slow file holds up no one.
 * The outcomes come back by input index, so the report reads exactly as when one thread checks the files
 * in order. With --fix every file is claimed, and so rewritten, by exactly one thread.
 *
 * The workers start before this thread loads the validator, so that they load theirs meanwhile.
 */
import { statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { ValidateOptions } from "../python/index.js";
import type { CheckSettings, FileJob, FileOutcome } from "./validate-files.js";
import { createChecker } from "./validate-files.js";
import type { WorkerInput, WorkerMessage } from "./validate-worker.js";

/**
 * Below this much Python (about half a second of work on one thread) a worker costs more than it saves: it
 * starts in a fraction of a second, but its engine then compiles the validator's hot functions all over
 * again (more than a second of a core while it checks its first files).
 */
export const POOL_MIN_BYTES = 1024 * 1024;

export interface PoolPlan {
  /** Worker threads to start; 0 checks every file on the calling thread. */
  workers: number;
  /** Whether the calling thread checks files too, besides collecting the outcomes. */
  callerChecks: boolean;
}

/**
 * How many workers a run gets. `OPFORGE_VALIDATE_WORKERS=n` fixes it (0: none; n > 0: n workers that check
 * every file while the calling thread only collects, so such a run always exercises the workers); otherwise
 * one worker per further core, at most one per further file, when the files add up to enough work.
 */
export function planPool(jobs: readonly FileJob[], env: NodeJS.ProcessEnv, base: ValidateOptions): PoolPlan {
  const none: PoolPlan = { workers: 0, callerChecks: true };
  // Options are strings and lists of strings; an object among them (a knowledge base handed in) would reach
  // another thread as a copy without its methods.
  const portable = Object.values(base).every((value) => typeof value !== "object" || value === null || Array.isArray(value));
  if (jobs.length < 2 || !portable) return none;
  const fixed = env.OPFORGE_VALIDATE_WORKERS;
  if (fixed !== undefined && fixed.trim() !== "") {
    const count = Number(fixed);
    if (!Number.isInteger(count) || count < 0) return none;
    return count === 0 ? none : { workers: Math.min(count, jobs.length), callerChecks: false };
  }
  const workers = Math.min(availableParallelism(), jobs.length) - 1;
  if (workers < 1) return none;
  let bytes = 0;
  for (const job of jobs) {
    try {
      bytes += statSync(job.abs).size;
    } catch {
      // Unreadable: reported when its turn comes.
    }
    if (bytes >= POOL_MIN_BYTES) return { workers, callerChecks: true };
  }
  return none;
}

export interface PoolResult {
  /** One per job, in the jobs' order. */
  outcomes: FileOutcome[];
  /** How many files each thread checked: the calling thread first, then each worker. */
  checkedBy: number[];
  /** Why workers stopped before their work was done (their files were then checked on the calling thread). */
  workerErrors: string[];
}

/** Defined (as the compiled worker module's URL) when this module runs from the CLI's compiled copy (bin/compiled.js). */
declare const OPFORGE_COMPILED_VALIDATE_WORKER: string | undefined;

/** The entry script of a worker thread, and the worker module it loads: the compiled one, else the source beside this module. */
function workerUrls(): { entry: URL; module: string } {
  const entry = new URL("./validate-worker.mjs", import.meta.url);
  if (typeof OPFORGE_COMPILED_VALIDATE_WORKER === "string") return { entry, module: OPFORGE_COMPILED_VALIDATE_WORKER };
  const extension = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  return { entry, module: new URL(`./validate-worker${extension}`, import.meta.url).href };
}

/** Checks every job, on the calling thread and `plan.workers` worker threads, and returns the outcomes in order. */
export async function checkInPool(jobs: readonly FileJob[], settings: CheckSettings, plan: PoolPlan): Promise<PoolResult> {
  const next = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  const outcomes: (FileOutcome | undefined)[] = new Array<FileOutcome | undefined>(jobs.length);
  /** Files a worker took but could not check, or never reported: checked again on this thread. */
  const retry = new Set<number>();
  const checkedBy = new Array<number>(plan.workers + 1).fill(0);
  const workerErrors: string[] = [];
  let reported = 0;
  let running = plan.workers;
  let wake: (() => void) | undefined;

  const { entry, module } = workerUrls();
  const workers: Worker[] = [];
  for (let w = 0; w < plan.workers; w++) {
    const input: WorkerInput = { module, jobs: [...jobs], settings, next };
    const worker = new Worker(entry, { workerData: input, stdout: false, stderr: false });
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      running--;
      wake?.();
    };
    worker.on("message", (message: WorkerMessage) => {
      if ("done" in message) finish();
      else {
        if ("outcome" in message) {
          outcomes[message.index] = message.outcome;
          checkedBy[w + 1] = (checkedBy[w + 1] ?? 0) + 1;
        } else retry.add(message.index);
        reported++;
        wake?.();
      }
    });
    // A worker that cannot start or dies leaves its files to this thread.
    worker.on("error", (error: Error) => {
      if (!finished) workerErrors.push(error.message);
      finish();
    });
    worker.on("exit", finish);
    workers.push(worker);
  }

  let check: ((file: FileJob) => Promise<FileOutcome>) | undefined;
  try {
    if (plan.callerChecks) {
      check = await createChecker(settings);
      for (;;) {
        const index = Atomics.add(next, 0, 1);
        const job = jobs[index];
        if (job === undefined) break;
        outcomes[index] = await check(job);
        checkedBy[0] = (checkedBy[0] ?? 0) + 1;
        reported++;
      }
    }
    // Every file is claimed (or the workers are gone); wait for the outcomes of those the workers hold.
    await new Promise<void>((resolve) => {
      wake = () => {
        const claimed = Math.min(Atomics.load(next, 0), jobs.length);
        if ((claimed === jobs.length && reported === jobs.length) || running === 0) resolve();
      };
      wake();
    });
  } finally {
    wake = undefined;
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  const done: FileOutcome[] = [];
  for (let index = 0; index < jobs.length; index++) {
    let outcome = retry.has(index) ? undefined : outcomes[index];
    if (outcome === undefined) {
      check ??= await createChecker(settings);
      outcome = await check(jobs[index] as FileJob);
      checkedBy[0] = (checkedBy[0] ?? 0) + 1;
    }
    done.push(outcome);
  }
  return { outcomes: done, checkedBy, workerErrors };
}
