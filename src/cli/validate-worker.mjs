// Entry script of a validate worker thread. The worker module is TypeScript: when this thread cannot load it
// (a thread started by a process that registered tsx through its API does not inherit the hooks on every
// Node version), tsx is registered here first. The failed load stays cached under its URL, so the second
// attempt asks for it under another one.
import { workerData } from "node:worker_threads";

let worker;
try {
  worker = await import(workerData.module);
} catch (error) {
  if (error?.code !== "ERR_UNKNOWN_FILE_EXTENSION") throw error;
  const { register } = await import("tsx/esm/api");
  register();
  worker = await import(`${workerData.module}?worker`);
}
await worker.runWorker();
