// Entry script of a validate worker thread. The worker module is either compiled JavaScript (the CLI's compiled
// copy) or a TypeScript source. A thread started by a process that registered tsx through its API does not
// inherit the loader on every Node version, and Node's own type stripping (where on) does not map the `.js`
// import suffixes to `.ts`: when the source does not load, tsx is registered here and it is asked for again,
// under another URL because the failed load stays cached under the first.
import { workerData } from "node:worker_threads";

let worker;
try {
  worker = await import(workerData.module);
} catch (error) {
  if (!/\.ts$/.test(workerData.module)) throw error;
  const { register } = await import("tsx/esm/api");
  register();
  worker = await import(`${workerData.module}?worker`);
}
await worker.runWorker();
