import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { EXIT_INVALID_INPUT, EXIT_OK, EXIT_USAGE, type CliCommand, type CliIo } from "./io.js";
import { INSTALLATION_OPTION_HELP, parseInstallation } from "./installation.js";
import { DB_DEFAULT_HELP, dbOptionProblem, openCliDatabase } from "./database.js";
import { ruleJson, sourceLine } from "./rules.js";
import type { SavedTreeRule, TreeRuleOrigin } from "../learn/fixes/tree/index.js";
import type { Kysely } from "kysely";
import type { Tables } from "../db/schema.js";

export const LEARN_USAGE = `Usage: opforge learn fix BEFORE.py AFTER.py [--trust] [--installation ID] [--db PATH] [--json]
       opforge learn history <git dir or work tree> [--since DATE] [--paths GLOB...] [--trust] [--installation ID] [--db PATH] [--json]

learn fix: learns rewrite rules from one human fix, the file as it was (BEFORE.py) and as the human left
it (AFTER.py). Each changed expression or statement becomes a rule that repairs the same mistake in other
shapes; the rules are stored as candidates (trusted with --trust) and printed with their ids.

learn history: mines a repository's commits for fixes to operators, sensors and hooks (each changed
component file's before and after in a commit) and reports the rules found with the commit, author and
date they came from. They stay candidates unless --trust. By default component files are the *.py files
named *_operator.py, *_sensor.py, *_hook.py or under an operators/, sensors/ or hooks/ directory, tests
excluded; --paths takes glob patterns instead (** crosses directories).

Options:
  --trust          trust the rules learned (applied from then on) instead of keeping them as candidates
  --since <date>   history: only commits after this date (anything git log --since accepts)
  --paths <glob>   history: the component files to mine (one or more patterns)
  --db <path>      a SQLite file to use, created when missing (default: the configured database,
                   ${DB_DEFAULT_HELP})
${INSTALLATION_OPTION_HELP}
  --json           print what was learned as JSON
  -h, --help       show this help

Exit status: 0 a rule was learned or was already known (history: the commits were read), 1 nothing could
be learned (the reason is printed), 2 usage error, unreadable file or not a git repository.
`;

interface Printed {
  rule: Record<string, unknown>;
  outcome: string;
  mergedWith?: number;
  example: { before: string; after: string; line: number };
  origin: TreeRuleOrigin;
}

function printed(saved: SavedTreeRule[], confidence: (r: SavedTreeRule["rule"]) => number): Printed[] {
  return saved.map((s) => ({
    rule: ruleJson(s.rule, confidence(s.rule)),
    outcome: s.outcome,
    ...(s.mergedWith === undefined ? {} : { mergedWith: s.mergedWith }),
    example: s.learned.example,
    origin: s.origin,
  }));
}

function ruleText(s: SavedTreeRule): string {
  const what = s.outcome === "known" ? "already known" : s.outcome === "merged" ? `generalizes rule #${s.mergedWith ?? "?"}` : "new";
  const places = s.learned.sites > 1 ? ` (${s.learned.sites} places)` : "";
  return [
    `rule #${s.rule.id} (${s.rule.status}, ${what}): ${s.rule.description}${places}`,
    `  before:  ${s.rule.before}`,
    `  after:   ${s.rule.after}`,
    `  e.g. line ${s.learned.example.line}: ${oneLine(s.learned.example.before)}  →  ${oneLine(s.learned.example.after)}`,
    "",
  ].join("\n");
}

function oneLine(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, " ").trim();
  return flat.length > 100 ? `${flat.slice(0, 99)}…` : flat;
}

/** Runs `run` on the database, made (and migrated) when missing: learning is what starts one. */
async function withDb(given: string | undefined, io: CliIo, run: (db: Kysely<Tables>) => Promise<number>): Promise<number> {
  const db = await openCliDatabase(given, io, "create");
  if (typeof db === "string") {
    io.stderr(`opforge learn: ${db}\n`);
    return EXIT_USAGE;
  }
  try {
    return await run(db.kysely);
  } finally {
    await db.close();
  }
}

interface LearnValues {
  trust?: boolean;
  db?: string;
  json?: boolean;
  /** The installation the learned rules belong to. */
  installationId: number;
}

async function learnFix(files: string[], values: LearnValues, io: CliIo): Promise<number> {
  const texts: string[] = [];
  for (const file of files) {
    try {
      texts.push(readFileSync(resolve(io.cwd, file), "utf8"));
    } catch (error) {
      io.stderr(`opforge learn: cannot read ${file}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}\n`);
      return EXIT_USAGE;
    }
  }
  const [before, after] = texts as [string, string];
  const { learnTreeRules, saveTreeRules } = await import("../learn/fixes/tree/index.js");
  const lesson = await learnTreeRules(before, after);
  if (lesson.rules.length === 0) {
    const reasons = before === after ? ["the two files are the same"] : lesson.skipped.length > 0 ? lesson.skipped.map((s) => `line ${s.line}: ${s.reason}`) : ["only whitespace or comments changed"];
    if (values.json) io.stdout(`${JSON.stringify({ rules: [], skipped: lesson.skipped, reasons }, null, 2)}\n`);
    io.stderr(`opforge learn: nothing learned from ${files[0]} → ${files[1]}:\n${reasons.map((r) => `  ${r}\n`).join("")}`);
    return EXIT_INVALID_INPUT;
  }
  return withDb(values.db, io, async (db) => {
    const { confidenceOf } = await import("../learn/fixes/store.js");
    const origin: TreeRuleOrigin = { installationId: values.installationId, repo: "local", prNumber: 0, commitSha: "", path: files[1] as string };
    const saved = await saveTreeRules(db, lesson.rules, origin, Date.now(), { trust: values.trust === true });
    if (values.json) io.stdout(`${JSON.stringify({ rules: printed(saved, confidenceOf), skipped: lesson.skipped }, null, 2)}\n`);
    else {
      for (const s of saved) io.stdout(ruleText(s));
      for (const s of lesson.skipped) io.stdout(`not learned, line ${s.line}: ${s.reason}\n`);
    }
    return EXIT_OK;
  });
}

/** A glob (`*`, `?`, `**`) as a regular expression over slash-separated paths. */
export function globRegExp(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === "*" && glob[i + 1] === "*") {
      const slash = glob[i + 2] === "/";
      out += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else out += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

/** Operators, sensors and hooks by the usual names and folders; tests are not components. */
export function isComponentPath(path: string): boolean {
  if (!path.endsWith(".py")) return false;
  const parts = path.split("/");
  const name = parts[parts.length - 1] as string;
  if (/^test_|_test\.py$|^conftest\.py$/.test(name) || parts.includes("tests") || parts.includes("test")) return false;
  return /_(operator|sensor|hook)s?\.py$/.test(name) || parts.slice(0, -1).some((p) => ["operators", "sensors", "hooks"].includes(p));
}

function gitArgs(dir: string): string[] | undefined {
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) return undefined;
  const bare = existsSync(join(abs, "HEAD")) && existsSync(join(abs, "objects"));
  const args = bare ? ["--git-dir", abs] : ["-C", abs];
  try {
    execFileSync("git", [...args, "rev-parse", "--git-dir"], { stdio: ["ignore", "pipe", "ignore"] });
    return args;
  } catch {
    return undefined;
  }
}

function git(args: string[], rest: string[]): string {
  return execFileSync("git", [...args, ...rest], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "ignore"] });
}

function gitOrNull(args: string[], rest: string[]): string | null {
  try {
    return git(args, rest);
  } catch {
    return null;
  }
}

async function learnHistory(dir: string, values: LearnValues & { since?: string }, globs: string[], io: CliIo): Promise<number> {
  const args = gitArgs(resolve(io.cwd, dir));
  if (!args) {
    io.stderr(`opforge learn: ${dir} is not a git repository (a work tree or a git directory)\n`);
    return EXIT_USAGE;
  }
  const matchers = globs.map(globRegExp);
  const wanted = (path: string): boolean => (matchers.length > 0 ? matchers.some((m) => m.test(path)) : isComponentPath(path));
  const log = gitOrNull(args, ["log", "--no-merges", "--reverse", "--format=%H%x09%P%x09%an%x09%aI", ...(values.since ? [`--since=${values.since}`] : []), "--", "*.py"]);
  if (log === null) {
    io.stderr(`opforge learn: git log failed in ${dir}${values.since ? ` (is --since ${values.since} a date?)` : ""}\n`);
    return EXIT_USAGE;
  }
  const commits = log
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const [sha, parents, author, date] = l.split("\t") as [string, string, string, string];
      return { sha, parent: parents.split(" ")[0] ?? "", author, date };
    })
    .filter((c) => c.parent !== "");
  const { learnTreeRules, saveTreeRules } = await import("../learn/fixes/tree/index.js");
  const repo = basename(resolve(io.cwd, dir).replace(/\/\.git$/, "")).replace(/\.git$/, "");
  return withDb(values.db, io, async (db) => {
    const { confidenceOf } = await import("../learn/fixes/store.js");
    const all: SavedTreeRule[] = [];
    let files = 0;
    for (const commit of commits) {
      const changed = (gitOrNull(args, ["diff-tree", "--no-commit-id", "--name-only", "-r", "--diff-filter=M", commit.parent, commit.sha]) ?? "")
        .split("\n")
        .filter((p) => p !== "" && wanted(p));
      for (const path of changed) {
        const before = gitOrNull(args, ["show", `${commit.parent}:${path}`]);
        const after = gitOrNull(args, ["show", `${commit.sha}:${path}`]);
        if (before === null || after === null) continue;
        files++;
        const lesson = await learnTreeRules(before, after);
        if (lesson.rules.length === 0) continue;
        const origin: TreeRuleOrigin = { installationId: values.installationId, repo, prNumber: 0, commitSha: commit.sha, path, author: commit.author, committedAt: commit.date };
        all.push(...(await saveTreeRules(db, lesson.rules, origin, Date.now(), { trust: values.trust === true })));
      }
    }
    if (values.json) {
      io.stdout(`${JSON.stringify({ commits: commits.length, files, rules: printed(all, confidenceOf) }, null, 2)}\n`);
      return EXIT_OK;
    }
    io.stdout(`${commits.length} commit${commits.length === 1 ? "" : "s"} read, ${files} component file change${files === 1 ? "" : "s"}, ${all.length} rule${all.length === 1 ? "" : "s"} found\n`);
    for (const s of all) {
      io.stdout(ruleText(s));
      io.stdout(`  from ${sourceLine({ repo: s.origin.repo, prNumber: 0, commitSha: s.origin.commitSha, path: s.origin.path, ...(s.origin.author ? { author: s.origin.author } : {}), ...(s.origin.committedAt ? { committedAt: s.origin.committedAt } : {}) })}\n`);
    }
    return EXIT_OK;
  });
}

/** `opforge learn fix|history`. */
export const learnCommand: CliCommand = async (argv, io) => {
  // `--paths a b c`: every argument up to the next option is a pattern.
  const globs: string[] = [];
  const rest: string[] = [];
  let sawPaths = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--paths" || arg.startsWith("--paths=")) {
      sawPaths = true;
      if (arg.startsWith("--paths=")) globs.push(arg.slice("--paths=".length));
      while (i + 1 < argv.length && !(argv[i + 1] as string).startsWith("-")) globs.push(argv[++i] as string);
      continue;
    }
    rest.push(arg);
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        trust: { type: "boolean" },
        db: { type: "string" },
        installation: { type: "string" },
        json: { type: "boolean" },
        since: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    io.stderr(`opforge learn: ${(error as Error).message}\n\n${LEARN_USAGE}`);
    return EXIT_USAGE;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(LEARN_USAGE);
    return EXIT_OK;
  }
  const usage = (message: string): number => {
    io.stderr(`opforge learn: ${message}\n\n${LEARN_USAGE}`);
    return EXIT_USAGE;
  };
  const [action, ...operands] = positionals;
  const dbProblem = dbOptionProblem(values.db);
  if (dbProblem !== undefined) return usage(dbProblem);
  const installationId = parseInstallation(values.installation);
  if (typeof installationId === "string") return usage(installationId);
  if (action === "fix") {
    if (operands.length !== 2) return usage(`learn fix takes BEFORE.py and AFTER.py, got ${operands.length} file${operands.length === 1 ? "" : "s"}`);
    if (values.since !== undefined || sawPaths) return usage("--since and --paths go with learn history");
    return learnFix(operands, { ...values, installationId }, io);
  }
  if (action === "history") {
    if (operands.length !== 1) return usage("learn history takes one git directory or work tree");
    if (sawPaths && globs.length === 0) return usage("--paths needs at least one glob pattern");
    return learnHistory(operands[0] as string, { ...values, installationId }, globs, io);
  }
  return usage(action === undefined ? "name what to learn from: fix or history" : `unknown action "${action}"`);
};
