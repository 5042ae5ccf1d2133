/**
 * `npm run kb:build -- <airflow git dir> [--out <dir>] [--ref id=ref[:major]]... [--providers a,b,...]`
 *
 * Builds the knowledge base from a bare clone of Airflow's repository (no work tree needed) into
 * `src/knowledge/data/` by default, with the constraints pins of each version. `--ref` replaces the
 * default versions (2.9 = 2.9.3, 2.10 = 2.10.3, 2.11 = 2.11.1-develop, 3.0 = main), in mask order.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { KbVersionSpec } from "./build.js";
import { DEFAULT_VERSIONS, buildKnowledgeBase } from "./build.js";
import { buildConstraints } from "./constraints.js";

export const DEFAULT_DATA_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "data");

/** Shipped data must stay under this many bytes (gzip), or providers beyond the core set are dropped. */
export const MAX_DATA_BYTES = 5 * 1024 * 1024;

/** Providers kept when all of them do not fit. */
export const CORE_PROVIDERS = [
  "standard", "http", "amazon", "google", "postgres", "mysql", "common.sql", "snowflake", "slack", "ssh", "sftp",
  "redis", "docker", "cncf.kubernetes", "databricks", "microsoft.azure", "smtp", "openlineage",
];

/** Where the default refs come from, for the notice: `2.11.1-develop` is a branch of this fork. */
export const DEFAULT_SOURCE =
  "a mirror of github.com/arenadata/airflow, a fork of Apache Airflow whose 2.9.3 and 2.10.3 tags and main branch follow " +
  "Apache Airflow; its 2.11.1-develop branch also carries Arenadata's own Apache-2.0 providers (shards arenadata.hbase, arenadata.ozone).";

const USAGE =
  "usage: npm run kb:build -- <airflow git dir> [--out <dir>] [--ref <id>=<ref>[:<major>]]... [--providers <id,...>] [--source <text>] [--no-constraints]";

export interface CliOptions {
  gitDir: string;
  outDir: string;
  versions: KbVersionSpec[];
  providers?: string[];
  constraints: boolean;
  source?: string;
}

export function parseArgs(argv: readonly string[]): CliOptions | string {
  let gitDir: string | undefined;
  let outDir = DEFAULT_DATA_DIR;
  const versions: KbVersionSpec[] = [];
  let providers: string[] | undefined;
  let constraints = true;
  let source: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = (): string | undefined => argv[++i];
    if (arg === "--out") {
      const v = value();
      if (!v) return USAGE;
      outDir = resolve(v);
    } else if (arg === "--ref") {
      const m = /^([^=]+)=([^:]+)(?::([23]))?$/.exec(value() ?? "");
      if (!m) return USAGE;
      const id = m[1] as string;
      versions.push({ id, ref: m[2] as string, major: (m[3] as "2" | "3" | undefined) ?? (id.startsWith("2") ? "2" : "3") });
    } else if (arg === "--providers") {
      providers = (value() ?? "").split(",").filter(Boolean);
    } else if (arg === "--source") {
      source = value();
      if (!source) return USAGE;
    } else if (arg === "--no-constraints") constraints = false;
    else if (arg.startsWith("-") || gitDir) return USAGE;
    else gitDir = resolve(arg);
  }
  if (!gitDir) return USAGE;
  return {
    gitDir,
    outDir,
    versions: versions.length ? versions : DEFAULT_VERSIONS,
    providers,
    constraints,
    source: source ?? (versions.length ? undefined : DEFAULT_SOURCE),
  };
}

export async function main(argv: readonly string[]): Promise<number> {
  const options = parseArgs(argv);
  if (typeof options === "string") {
    console.error(options);
    return 2;
  }
  const run = (providers: string[] | undefined) =>
    buildKnowledgeBase({
      gitDir: options.gitDir,
      outDir: options.outDir,
      versions: options.versions,
      providers,
      source: options.source,
      constraints: options.constraints ? (dir) => buildConstraints(dir) : undefined,
      log: (m) => console.log(m),
    });
  let result = await run(options.providers);
  if (result.totalBytes > MAX_DATA_BYTES && !options.providers) {
    console.log(`${(result.totalBytes / 1e6).toFixed(2)} MB is over the limit: keeping only ${CORE_PROVIDERS.length} providers`);
    result = await run(CORE_PROVIDERS);
  }
  for (const f of result.files) console.log(`${f.name.padEnd(32)} ${(f.bytes / 1024).toFixed(1).padStart(8)} KiB`);
  const modules = Object.values(result.index.shards).reduce((a, m) => a + m.length, 0);
  console.log(`${modules} modules in ${Object.keys(result.index.shards).length} shards, ${(result.totalBytes / 1024 / 1024).toFixed(2)} MiB, ${(result.millis / 1000).toFixed(1)} s`);
  for (const e of result.parseErrors) console.log(`syntax error (module kept open): ${e}`);
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (err) {
    // A missing repository or ref is the user's to fix: one line, no stack trace.
    console.error(`kb:build: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
