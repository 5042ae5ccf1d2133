/**
 * Knowledge-base lookups: what one lookup costs on a knowledge base opened fresh (index read and parsed, the
 * one shard it touches read, unzipped and the module checked), for a small and the largest provider shards and
 * for core; and the size of the shipped data.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_KB_DIR, openKnowledgeBase } from "../src/knowledge/kb.js";

const RUNS = 30;
const LOOKUPS: [string, string][] = [
  ["airflow.providers.http.hooks.http", "HttpHook"],
  ["airflow.providers.amazon.aws.hooks.s3", "S3Hook"],
  ["airflow.providers.google.cloud.hooks.gcs", "GCSHook"],
  ["airflow.sensors.base", "BaseSensorOperator"],
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export async function run(): Promise<void> {
  const bytes = readdirSync(DEFAULT_KB_DIR).reduce((sum, f) => sum + statSync(join(DEFAULT_KB_DIR, f)).size, 0);
  console.log(`shipped data: ${(bytes / 1024 / 1024).toFixed(2)} MiB in ${readdirSync(DEFAULT_KB_DIR).length} files (${DEFAULT_KB_DIR})`);
  for (const [module, name] of LOOKUPS) {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      const kb = openKnowledgeBase(DEFAULT_KB_DIR);
      const found = kb.resolve(module, name, 1);
      times.push(performance.now() - start);
      if (found.status !== "found") throw new Error(`${module}.${name} should be in the knowledge base`);
    }
    console.log(`cold lookup of ${module}.${name}: median ${median(times).toFixed(2)} ms, max ${Math.max(...times).toFixed(2)} ms over ${RUNS} fresh opens`);
  }
}
