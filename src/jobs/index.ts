export * from "./queue.js";
export * from "./backoff.js";
export * from "./errors.js";
export * from "./worker.js";
