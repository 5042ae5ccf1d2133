import { readdir, stat } from "node:fs/promises";
import { join, resolve, sep } from "node:path";
import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import { parseInstallation } from "./installation.js";
import { EXIT_INVALID_INPUT, EXIT_OK, EXIT_USAGE, type CliCommand, type CliIo } from "./io.js";
import type { AirflowTarget, ValidateOptions } from "../python/index.js";
import type { CheckSettings, FileJob, FileOutcome, FileResult } from "./validate-files.js";
import { createChecker } from "./validate-files.js";
import { checkInPool, planPool } from "./validate-pool.js";

// The validator loads only once the files are known, after the worker threads that share the checking have
// been started (they load it meanwhile); the spec parser only for --spec.

/** Up to this many bytes of named files, the grammar is not optimized (see where it is used). */
const BASELINE_WASM_MAX_BYTES = 256 * 1024;

/** Which compiler the last run here chose for the grammar's WebAssembly; undefined before a run chose one. */
let wasmTier: "baseline" | "optimizing" | undefined;

/** The tier the last `validateCommand` chose: the compiled CLI keeps its code cache only from baseline runs. */
export function chosenWasmTier(): "baseline" | "optimizing" | undefined {
  return wasmTier;
}

export { inferKind } from "./validate-files.js";

export const VALIDATE_USAGE = `Usage: opforge validate <file|dir>... [--spec spec.yaml] [--airflow 2|3|both] [--fix [--learned] [--db PATH]] [--json | --sarif]

Checks Python files for what CI would reject: syntax and indentation errors, undefined names and
undeclared imports, Airflow structure (base class, execute/poke, **kwargs, template_fields), what
Airflow 3 removed, and security mistakes (ruff S / Bandit codes).

Directories are searched for *.py files. Each file's kind follows from its name: test_*.py is a
pytest module, files under a dags/ directory or holding \`with DAG(\` / \`@dag\` are example DAGs,
anything else is a component.

Options:
  --spec <file>      component spec: its dependencies, component_type, airflow_version and name
  --airflow <v>      target Airflow version: 2, 3 or both (default: the spec's, else both)
  --fix              rewrite the files in place with every safe mechanical fix, and say what changed
  --learned          with --fix: also apply the trusted rules learned from human fixes (opforge rules list)
  --db <path>        a SQLite file to take the learned rules from (default: $OPFORGE_DATABASE_URL, else the
                     SQLite file $OPFORGE_DB, else data/opforge.db)
  --installation <id> with --learned: the installation whose trusted rules to apply (default: 0, the command line's own)
  --json             print {"files":[{"path","findings":[...]}]}
  --sarif            print SARIF 2.1.0 for GitHub code scanning
  -h, --help         show this help

Many files are checked on worker threads, one per further core; OPFORGE_VALIDATE_WORKERS=n sets their
number (0: every file on the main thread).

Exit status: 0 no error-severity finding, 1 at least one, 2 usage error or unreadable file.
`;

const SKIP_DIRS = new Set(["node_modules", "__pycache__", ".git", ".venv", "venv", ".tox", ".mypy_cache", ".ruff_cache"]);

async function collectPython(dir: string, shown: string, out: FileJob[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((x, y) => x.name.localeCompare(y.name));
  for (const entry of entries) {
    if (entry.isDirectory()) {
      if (SKIP_DIRS.has(entry.name) || entry.name.startsWith(".")) continue;
      await collectPython(join(dir, entry.name), join(shown, entry.name), out);
    } else if (entry.isFile() && entry.name.endsWith(".py")) out.push({ abs: join(dir, entry.name), shown: join(shown, entry.name) });
  }
}

function toUri(path: string): string {
  return path.split(sep).join("/");
}

async function sarif(results: FileResult[]): Promise<unknown> {
  const { listRules } = await import("../python/index.js");
  const rules = listRules();
  const index = new Map(rules.map((r, i) => [r.id, i]));
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "opforge",
            rules: rules.map((r) => ({
              id: r.id,
              name: r.id,
              shortDescription: { text: r.description },
              fullDescription: { text: r.description },
              defaultConfiguration: { level: r.severity },
              properties: { category: r.category, fixable: r.fixable },
            })),
          },
        },
        results: results.flatMap((file) =>
          file.findings.map((f) => ({
            ruleId: f.rule,
            ruleIndex: index.get(f.rule) ?? 0,
            level: f.severity,
            message: { text: f.message },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: toUri(file.path) },
                  region: { startLine: f.line, startColumn: f.column },
                },
              },
            ],
          })),
        ),
      },
    ],
  };
}

function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}

/** `opforge validate <file|dir>...`: validates (and with --fix repairs) Python files. */
export const validateCommand: CliCommand = async (argv, io: CliIo) => {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        spec: { type: "string" },
        airflow: { type: "string" },
        fix: { type: "boolean" },
        learned: { type: "boolean" },
        db: { type: "string" },
        installation: { type: "string" },
        json: { type: "boolean" },
        sarif: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    io.stderr(`opforge validate: ${(error as Error).message}\n\n${VALIDATE_USAGE}`);
    return EXIT_USAGE;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(VALIDATE_USAGE);
    return EXIT_OK;
  }
  if (positionals.length === 0) {
    io.stderr(`opforge validate: name at least one file or directory\n\n${VALIDATE_USAGE}`);
    return EXIT_USAGE;
  }
  if (values.json && values.sarif) {
    io.stderr("opforge validate: --json and --sarif cannot be combined; choose one output format\n");
    return EXIT_USAGE;
  }
  if ((values.learned || values.db !== undefined || values.installation !== undefined) && !values.fix) {
    io.stderr(`opforge validate: --learned, --db and --installation go with --fix (learned rules rewrite files)\n\n${VALIDATE_USAGE}`);
    return EXIT_USAGE;
  }
  const installation = parseInstallation(values.installation);
  if (typeof installation === "string") {
    io.stderr(`opforge validate: ${installation}\n\n${VALIDATE_USAGE}`);
    return EXIT_USAGE;
  }
  if (values.airflow !== undefined && !["2", "3", "both"].includes(values.airflow)) {
    io.stderr(`opforge validate: --airflow must be 2, 3 or both, not "${values.airflow}"\n`);
    return EXIT_USAGE;
  }

  const base: ValidateOptions = {};
  if (values.spec !== undefined) {
    let result;
    try {
      result = await (await import("../spec/index.js")).parseSpecFile(resolve(io.cwd, values.spec));
    } catch (error) {
      io.stderr(`opforge validate: cannot read spec ${values.spec}: ${(error as Error).message}\n`);
      return EXIT_USAGE;
    }
    if (!result.ok) {
      const { formatFindings } = await import("../spec/index.js");
      io.stderr(`opforge validate: spec ${values.spec} is invalid:\n${formatFindings(result.errors, values.spec)}\n`);
      return EXIT_USAGE;
    }
    base.dependencies = result.spec.dependencies;
    base.componentType = result.spec.component_type;
    base.airflowVersion = result.spec.airflow_version;
    base.className = result.spec.name;
  }
  if (values.airflow !== undefined) base.airflowVersion = values.airflow as AirflowTarget;

  const files: FileJob[] = [];
  const unreadable: string[] = [];
  let namedBytes = 0;
  let namedDirectory = false;
  for (const arg of positionals) {
    const abs = resolve(io.cwd, arg);
    try {
      const info = await stat(abs);
      if (info.isDirectory()) {
        namedDirectory = true;
        await collectPython(abs, arg, files);
      } else if (info.isFile()) {
        namedBytes += info.size;
        files.push({ abs, shown: arg });
      }
      // A FIFO or a device would block the read forever: refused from its type.
      else unreadable.push(`cannot read ${arg}: ${info.isFIFO() ? "a named pipe (FIFO)" : info.isSocket() ? "a socket" : "a device"}, not a regular file; name a .py file`);
    } catch (error) {
      unreadable.push(`cannot read ${arg}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : (error as Error).message}`);
    }
  }

  const settings: CheckSettings = { base, cwd: io.cwd, fix: values.fix === true };
  if (values.learned) {
    const loaded = await (await import("./learned-rules.js")).loadTrustedRules(values.db, io, installation);
    if (typeof loaded === "string") {
      io.stderr(`opforge validate: ${loaded}\n`);
      return EXIT_USAGE;
    }
    settings.learned = loaded;
  }
  // A few named files: the grammar's WebAssembly is compiled by V8's baseline compiler alone. Its optimizing
  // tier pays off over many files; on a few it costs more compiling than it saves parsing (most of a one-file
  // run's start-up). Set both ways before the grammar is compiled (the compiled CLI starts with the baseline
  // compiler set, see bin/code-cache.js), and before any worker thread starts: V8's flags are per process.
  wasmTier = !namedDirectory && namedBytes <= BASELINE_WASM_MAX_BYTES ? "baseline" : "optimizing";
  setFlagsFromString(wasmTier === "baseline" ? "--liftoff-only" : "--no-liftoff-only");
  const plan = planPool(files, io.env, base);
  let outcomes: FileOutcome[];
  if (plan.workers > 0) {
    const pooled = await checkInPool(files, settings, plan);
    outcomes = pooled.outcomes;
    // Only where workers were asked for by name: otherwise a failed worker just leaves its files to this thread.
    if (io.env.OPFORGE_VALIDATE_WORKERS) for (const error of pooled.workerErrors) io.stderr(`opforge validate: a worker thread failed: ${error}\n`);
  } else {
    const check = await createChecker(settings);
    outcomes = [];
    for (const file of files) outcomes.push(await check(file));
  }
  const results: FileResult[] = [];
  for (const outcome of outcomes) {
    if ("result" in outcome) results.push(outcome.result);
    else unreadable.push(outcome.unreadable);
  }

  for (const message of unreadable) io.stderr(`opforge validate: ${message}\n`);
  const notWritten = results.flatMap((r) => (r.notWritten === undefined ? [] : [r.notWritten]));
  for (const message of notWritten) io.stderr(`opforge validate: ${message}\n`);
  const fixNotes = results.flatMap((r) => r.applied.map((a) => `${r.path}:${a.line}: fixed ${a.fixes ?? a.rule}: ${a.description}\n`));
  if (values.json) {
    const payload = {
      files: results.map((r) => ({
        path: r.path,
        findings: r.findings.map((f) => ({
          rule: f.rule,
          category: f.category,
          severity: f.severity,
          line: f.line,
          column: f.column,
          message: f.message,
          fixable: f.fixable,
        })),
      })),
    };
    io.stdout(`${JSON.stringify(payload, null, 2)}\n`);
    for (const note of fixNotes) io.stderr(note);
  } else if (values.sarif) {
    io.stdout(`${JSON.stringify(await sarif(results), null, 2)}\n`);
    for (const note of fixNotes) io.stderr(note);
  } else {
    for (const note of fixNotes) io.stdout(note);
    for (const r of results) {
      for (const f of r.findings) io.stdout(`${r.path}:${f.line}:${f.column}: ${f.severity} [${f.rule}] ${f.message}${f.fixable ? " (fixable with --fix)" : ""}\n`);
    }
    const errors = results.reduce((n, r) => n + r.findings.filter((f) => f.severity === "error").length, 0);
    const warnings = results.reduce((n, r) => n + r.findings.filter((f) => f.severity === "warning").length, 0);
    const fixed = fixNotes.length > 0 ? `, ${plural(fixNotes.length, "fix", "fixes")} applied` : "";
    io.stdout(`${plural(results.length, "file")} checked: ${plural(errors, "error")}, ${plural(warnings, "warning")}${fixed}\n`);
  }
  if (unreadable.length > 0) return EXIT_USAGE;
  if (notWritten.length > 0) return EXIT_INVALID_INPUT;
  return results.some((r) => r.findings.some((f) => f.severity === "error")) ? EXIT_INVALID_INPUT : EXIT_OK;
};
