/**
 * Pattern retrieval at scale: fills a file database with 10,000 and then 100,000 synthetic patterns and
 * times top-10 retrieval (median and p95 over many spec-like queries), with the default bounded
 * candidate set and with an unbounded one for comparison.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { Database } from "better-sqlite3";
import type { Kysely } from "kysely";
import { kyselyOverStore } from "../src/db/over-store.js";
import type { Tables } from "../src/db/schema.js";
import { fingerprintOf, PATTERN_KINDS, retrievePatterns, seededRandom, upsertPatterns } from "../src/learn/patterns/index.js";
import type { PatternCandidate, PatternComponentType } from "../src/learn/patterns/index.js";
import { openDatabase } from "../src/store/index.js";

/** Every synthetic pattern belongs to one installation, as a single organisation's store would. */
const BENCH_ORIGIN = { installationId: 1, repository: "bench/patterns" };

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 1);

const DOMAINS: { category: string; libraries: string[]; words: string[] }[] = [
  { category: "http", libraries: ["requests", "httpx", "aiohttp"], words: ["rest", "api", "endpoint", "json", "response", "status", "http", "get", "post", "headers", "token", "pagination"] },
  { category: "storage", libraries: ["boto3", "botocore", "google"], words: ["s3", "bucket", "key", "object", "upload", "download", "prefix", "blob", "copy", "archive", "gcs"] },
  { category: "database", libraries: ["psycopg2", "sqlalchemy", "pymysql"], words: ["sql", "query", "table", "row", "cursor", "commit", "postgres", "mysql", "schema", "insert", "upsert"] },
  { category: "messaging", libraries: ["kafka", "pika", "nats"], words: ["topic", "message", "queue", "publish", "consume", "partition", "offset", "broker", "ack"] },
  { category: "cache", libraries: ["redis", "pymemcache"], words: ["cache", "ttl", "key", "expire", "hash", "pipeline", "lock"] },
  { category: "filesystem", libraries: ["os", "pathlib", "shutil"], words: ["file", "path", "directory", "marker", "exists", "size", "glob", "move"] },
  { category: "ml", libraries: ["sklearn", "pandas", "numpy"], words: ["model", "train", "predict", "feature", "dataset", "metric", "dataframe"] },
  { category: "notification", libraries: ["slack_sdk", "smtplib", "twilio"], words: ["slack", "email", "channel", "message", "notify", "alert", "sms", "webhook"] },
  { category: "cloud", libraries: ["google", "azure", "kubernetes"], words: ["cluster", "pod", "job", "instance", "region", "project", "deploy", "container"] },
  { category: "finance", libraries: ["requests", "pandas", "decimal"], words: ["invoice", "payment", "price", "currency", "ledger", "quote", "stock", "ticker"] },
];
const COMMON = ["airflow", "operator", "context", "execute", "log", "info", "connection", "conn", "hook", "template", "fields", "error", "exception", "retry", "timeout", "kwargs"];
const NOUNS = ["weather", "forecast", "customer", "order", "report", "user", "account", "event", "metric", "batch", "snapshot", "export", "import", "sync", "record", "document", "asset", "ticket", "shipment", "sensor"];
const TYPES: PatternComponentType[] = ["operator", "operator", "sensor", "hook"];

function pick<T>(list: readonly T[], random: () => number): T {
  return list[Math.floor(random() * list.length)] as T;
}

function syntheticBatch(start: number, count: number, random: () => number): PatternCandidate[] {
  const out: PatternCandidate[] = [];
  for (let i = start; i < start + count; i++) {
    const domain = pick(DOMAINS, random);
    const kind = pick(PATTERN_KINDS, random);
    const componentType = pick(TYPES, random);
    const libraries = [...new Set([pick(domain.libraries, random), pick(domain.libraries, random), "airflow"])].sort();
    const words: string[] = [kind.replace("_", " "), componentType, domain.category, ...libraries];
    const n = 20 + Math.floor(random() * 30);
    for (let w = 0; w < n; w++) {
      const r = random();
      words.push(r < 0.45 ? pick(domain.words, random) : r < 0.75 ? pick(COMMON, random) : r < 0.95 ? pick(NOUNS, random) : pick(pick(DOMAINS, random).words, random));
    }
    const code = `def ${kind}_${i}(self, <P1>):\n    return ${libraries[0]}.call(<P1>, ${i})`;
    out.push({
      kind,
      code,
      fingerprint: fingerprintOf(kind, code),
      libraries,
      description: `${kind.replace("_", " ")} of ${componentType === "hook" ? "a" : "an"} ${componentType} using ${libraries.join(", ")} for ${pick(NOUNS, random)} ${pick(domain.words, random)}`,
      text: [...new Set(words)].join(" "),
      role: kind === "test_structure" ? "test" : "component",
      componentType,
      category: domain.category,
    });
  }
  return out;
}

/** Inserts through the store's upsert (batched transactions), then sets synthetic outcome counts in bulk. */
export async function fill(db: Database, from: number, to: number, random: () => number): Promise<number> {
  const started = performance.now();
  const batch = 2_000;
  const kysely = kyselyOverStore(db);
  for (let i = from; i < to; i += batch) await upsertPatterns(kysely, BENCH_ORIGIN, syntheticBatch(i, Math.min(batch, to - i), random), NOW - 400 * DAY);
  const setCounts = db.prepare(
    "UPDATE patterns SET successes = ?, failures = ?, success_weight = ?, failure_weight = ?, weight_at = ? WHERE id = ?",
  );
  const ids = (db.prepare("SELECT id FROM patterns WHERE id > ? ORDER BY id").all(from) as { id: number }[]).map((r) => r.id);
  db.transaction(() => {
    for (const id of ids) {
      const s = Math.floor(random() * random() * 40);
      const f = Math.floor(random() * random() * 10);
      const age = Math.floor(random() * 300 * DAY);
      const decay = Math.pow(2, -age / (90 * DAY));
      setCounts.run(s, f, s * decay, f * decay, NOW - age, id);
    }
  })();
  return performance.now() - started;
}

export function queries(count: number, random: () => number): { text: string; componentType: PatternComponentType; category: string }[] {
  const out: { text: string; componentType: PatternComponentType; category: string }[] = [];
  for (let i = 0; i < count; i++) {
    const domain = pick(DOMAINS, random);
    const componentType = pick(TYPES, random);
    const text =
      `${pick(NOUNS, random)} ${componentType}: ${pick(["Fetch", "Load", "Send", "Wait for", "Copy", "Sync"], random)} the ${pick(NOUNS, random)} ` +
      `${pick(domain.words, random)} ${pick(domain.words, random)} with ${pick(domain.libraries, random)} and return the ${pick(domain.words, random)}; ` +
      `uses a connection id and retries on ${pick(domain.words, random)} errors`;
    out.push({ text, componentType, category: random() < 0.7 ? domain.category : "unknown-category" });
  }
  return out;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

export async function measure(db: Kysely<Tables>, label: string, candidateLimit: number | undefined, rounds: number): Promise<void> {
  const qs = queries(rounds + 20, seededRandom(99));
  const random = seededRandom(5);
  const times: number[] = [];
  const cpuTimes: number[] = [];
  let returned = 0;
  for (const [i, q] of qs.entries()) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const ranked = await retrievePatterns(db, { installationId: BENCH_ORIGIN.installationId, repository: null }, {
      componentType: q.componentType,
      category: q.category,
      queryText: q.text,
      limit: 10,
      random,
      now: NOW,
      candidateLimit,
    });
    const elapsed = performance.now() - started;
    const used = process.cpuUsage(cpu);
    if (i >= 20) {
      times.push(elapsed);
      cpuTimes.push((used.user + used.system) / 1000);
      returned += ranked.length;
    }
  }
  times.sort((a, b) => a - b);
  cpuTimes.sort((a, b) => a - b);
  console.log(
    `${label}: wall median ${quantile(times, 0.5).toFixed(2)} ms, p95 ${quantile(times, 0.95).toFixed(2)} ms; ` +
      `CPU median ${quantile(cpuTimes, 0.5).toFixed(2)} ms, p95 ${quantile(cpuTimes, 0.95).toFixed(2)} ms ` +
      `over ${times.length} queries (${(returned / times.length).toFixed(1)} patterns each)`,
  );
}

export async function run(): Promise<void> {
  // Wall time includes waiting for a CPU on a busy machine; CPU time is what one query costs.
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(" ")} on ${cpus().length} CPUs`);
  const dir = mkdtempSync(join(tmpdir(), "opforge-patterns-bench-"));
  const db = openDatabase(join(dir, "patterns.db"));
  const kysely = kyselyOverStore(db);
  try {
    const random = seededRandom(2026);
    let ms = await fill(db, 0, 10_000, random);
    console.log(`filled 10,000 patterns in ${(ms / 1000).toFixed(1)} s`);
    await measure(kysely, "top-10 at 10,000 (default: 100 candidates)", undefined, 300);
    await measure(kysely, "top-10 at 10,000 (unbounded candidates)", 1_000_000, 100);

    ms = await fill(db, 10_000, 100_000, random);
    console.log(`filled to 100,000 patterns in ${(ms / 1000).toFixed(1)} s more`);
    db.pragma("optimize");
    await measure(kysely, "top-10 at 100,000 (default: 100 candidates)", undefined, 300);
    await measure(kysely, "top-10 at 100,000 (200 candidates)", 200, 300);
    await measure(kysely, "top-10 at 100,000 (unbounded candidates)", 1_000_000, 50);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
