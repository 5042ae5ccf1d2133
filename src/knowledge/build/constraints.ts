/**
 * Builds `data/constraints.json.gz` (KbConstraints, see ../format.ts): the library pins of Airflow's constraints
 * files, one entry per Airflow version, read with git from a clone of Airflow's repository (the constraints live
 * on orphan branches such as `constraints-2-10`). Only derived facts are written: PEP 503 names and versions,
 * with the ref, file and commit they come from.
 *
 * Run alone: `npx tsx src/knowledge/build/constraints.ts <airflow git dir> [output path]`.
 */
import { execFile } from "node:child_process";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import type { KbConstraints } from "../format.js";
import { KB_FORMAT_VERSION, kbConstraintsSchema } from "../format.js";

const run = promisify(execFile);

/** Where one Airflow version's constraints file is read from. */
export interface ConstraintsRef {
  /** Airflow version id as the KB names versions: "2.9", "2.10", "3.0". */
  airflow: string;
  major: "2" | "3";
  ref: string;
  /** Path of the file at `ref`. */
  file: string;
  /** Skipped when the ref or the file does not exist (instead of failing the build). */
  optional?: boolean;
}

/** The Python version whose constraints opforge reads (what the example CI workflow installs). */
export const CONSTRAINTS_PYTHON = "3.11";

const FILE = `constraints-${CONSTRAINTS_PYTHON}.txt`;

/**
 * The versions opforge targets. Airflow 2.11 has no constraints branch in the repository these were first built
 * from; its development branches are tried, and used when a constraints file shows up there. For one Airflow
 * version the first ref that has the file wins. `constraints-main` is the 3.x development line (3.0.0.dev0).
 */
export const DEFAULT_CONSTRAINTS_REFS: readonly ConstraintsRef[] = [
  { airflow: "2.9", major: "2", ref: "constraints-2-9", file: FILE },
  { airflow: "2.10", major: "2", ref: "constraints-2-10", file: FILE },
  { airflow: "2.11", major: "2", ref: "constraints-2-11", file: FILE, optional: true },
  { airflow: "2.11", major: "2", ref: "2.11.1-develop", file: `constraints/${FILE}`, optional: true },
  { airflow: "2.11", major: "2", ref: "2.11.0-develop", file: `constraints/${FILE}`, optional: true },
  { airflow: "3.0", major: "3", ref: "constraints-main", file: FILE },
];

export const DEFAULT_CONSTRAINTS_PATH = join(dirname(fileURLToPath(import.meta.url)), "..", "data", "constraints.json.gz");

/** PEP 503: lower case, every run of `-`, `_` and `.` becomes one `-`. */
function pep503(name: string): string {
  return name.trim().toLowerCase().replace(/[-_.]+/g, "-");
}

export interface ParsedConstraints {
  /** PEP 503 name → pinned version, sorted by name. */
  pins: Record<string, string>;
  /** The generation time the header states (`2024-11-05T18:34:31`), if it does. */
  generated?: string;
  /** The Airflow branch the header names (`v2-10-test`, `main`), if it does. */
  branch?: string;
}

const PIN = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(?:\[[^\]]*\])?\s*==\s*([^\s;#]+)\s*(?:;.*)?$/;
const GENERATED = /automatically generated on (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})/;
const BRANCH = /For the "([^"]+)" branch of Airflow/;

/**
 * Reads a constraints file: `name==version` lines (extras and markers tolerated), comments and blank lines
 * skipped. A line that is neither, or one name pinned twice to different versions, is an error naming the line.
 */
export function parseConstraintsFile(text: string, where = "constraints file"): ParsedConstraints {
  const pins = new Map<string, string>();
  let generated: string | undefined;
  let branch: string | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line.startsWith("#")) {
      generated ??= GENERATED.exec(line)?.[1];
      branch ??= BRANCH.exec(line)?.[1];
      return;
    }
    if (line === "") return;
    const match = PIN.exec(line);
    if (match === null) throw new Error(`${where}:${index + 1}: expected "name==version", got ${JSON.stringify(line.slice(0, 120))}`);
    const name = pep503(match[1]!);
    const version = match[2]!;
    const earlier = pins.get(name);
    if (earlier !== undefined && earlier !== version) {
      throw new Error(`${where}:${index + 1}: ${name} is pinned twice, to ${earlier} and ${version}`);
    }
    pins.set(name, version);
  });
  const sorted = Object.fromEntries([...pins].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { pins: sorted, ...(generated === undefined ? {} : { generated }), ...(branch === undefined ? {} : { branch }) };
}

async function git(gitDir: string, args: string[]): Promise<string> {
  const { stdout } = await run("git", [`--git-dir=${gitDir}`, ...args], { maxBuffer: 64 * 1024 * 1024, encoding: "utf8" });
  return stdout;
}

async function commitOf(gitDir: string, ref: string): Promise<string | undefined> {
  try {
    return (await git(gitDir, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`])).trim() || undefined;
  } catch {
    return undefined;
  }
}

async function fileAt(gitDir: string, commit: string, file: string): Promise<string | undefined> {
  try {
    await git(gitDir, ["cat-file", "-e", `${commit}:${file}`]);
  } catch {
    return undefined;
  }
  return git(gitDir, ["show", `${commit}:${file}`]);
}

/**
 * Reads each ref's constraints file from the repository at `gitDir` (a bare repository or a `.git` directory)
 * and returns the pins per Airflow version, in the order of `refs`. A missing required ref or file throws.
 */
export async function buildConstraints(gitDir: string, refs: readonly ConstraintsRef[] = DEFAULT_CONSTRAINTS_REFS): Promise<KbConstraints> {
  const versions: KbConstraints["versions"] = [];
  const done = new Set<string>();
  for (const entry of refs) {
    if (done.has(entry.airflow)) continue;
    const commit = await commitOf(gitDir, entry.ref);
    const text = commit === undefined ? undefined : await fileAt(gitDir, commit, entry.file);
    if (commit === undefined || text === undefined) {
      if (entry.optional) continue;
      throw new Error(
        commit === undefined
          ? `${gitDir}: no ref ${entry.ref} (constraints of Airflow ${entry.airflow})`
          : `${gitDir}: ${entry.ref} (${commit.slice(0, 12)}) has no ${entry.file}`,
      );
    }
    const parsed = parseConstraintsFile(text, `${entry.ref}:${entry.file}`);
    if (Object.keys(parsed.pins).length === 0) throw new Error(`${entry.ref}:${entry.file} pins nothing`);
    versions.push({
      airflow: entry.airflow,
      major: entry.major,
      ref: entry.ref,
      commit,
      file: entry.file,
      ...(parsed.generated === undefined ? {} : { generated: parsed.generated }),
      pins: parsed.pins,
    });
    done.add(entry.airflow);
  }
  return kbConstraintsSchema.parse({ format: KB_FORMAT_VERSION, versions });
}

/** The bytes written for `data`: gzip of its JSON (gzip from Node carries no timestamp, so equal data gives equal bytes). */
export function encodeConstraints(data: KbConstraints): Buffer {
  return gzipSync(`${JSON.stringify(kbConstraintsSchema.parse(data))}\n`, { level: 9 });
}

/** Writes `data` gzipped, atomically: a temporary file next to `path`, then a rename over it. Returns the size. */
export async function writeConstraints(data: KbConstraints, path: string = DEFAULT_CONSTRAINTS_PATH): Promise<number> {
  const bytes = encodeConstraints(data);
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temp, bytes);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return bytes.length;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [gitDir, out] = argv;
  if (gitDir === undefined || argv.length > 2) {
    console.error("usage: tsx src/knowledge/build/constraints.ts <airflow git dir> [output path]");
    return 2;
  }
  const data = await buildConstraints(resolve(gitDir));
  const path = out === undefined ? DEFAULT_CONSTRAINTS_PATH : resolve(out);
  const size = await writeConstraints(data, path);
  for (const v of data.versions) {
    console.log(`Airflow ${v.airflow}: ${Object.keys(v.pins).length} pins from ${v.ref}:${v.file} at ${v.commit}`);
  }
  console.log(`wrote ${path} (${size} bytes)`);
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
