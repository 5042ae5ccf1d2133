/**
 * Validator speed: a generated 1,000-line component (median of many runs) and a directory of real files
 * (/tmp/airflow-real when present, else the Python fixtures), both on this thread; then whole processes side
 * by side: `opforge validate` on one file against `python3 -m py_compile` (see oneFile), and over Airflow's
 * provider modules against a python3 that only parses the same files (see sideBySide).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { validatePython } from "../src/python/index.js";
import { loadGrammar, parsePython } from "../src/python/parser.js";

const RUNS = 60;

/** A plausible operator module of about `lines` lines: imports, one operator with many helper methods. */
export function generatedComponent(lines: number): string {
  const head = [
    '"""A generated operator used to time the validator."""',
    "",
    "from __future__ import annotations",
    "",
    "import json",
    "import logging",
    "from collections.abc import Sequence",
    "from typing import Any",
    "",
    "try:",
    "    from airflow.sdk import BaseOperator, Context",
    "except ImportError:",
    "    from airflow.models.baseoperator import BaseOperator",
    "    from airflow.utils.context import Context",
    "",
    "log = logging.getLogger(__name__)",
    "",
    "",
    "class GeneratedOperator(BaseOperator):",
    '    """Runs many small steps."""',
    "",
    '    template_fields: Sequence[str] = ("source", "target")',
    "",
    "    def __init__(self, *, source: str, target: str, retries_per_step: int = 3, **kwargs: Any) -> None:",
    "        super().__init__(**kwargs)",
    "        self.source = source",
    "        self.target = target",
    "        self.retries_per_step = retries_per_step",
    "",
  ];
  const out = [...head];
  let i = 0;
  while (out.length < lines - 8) {
    out.push(
      `    def step_${i}(self, payload: dict[str, Any], *, limit: int = ${i}) -> dict[str, Any]:`,
      `        """Step ${i}: filter, count and record."""`,
      `        kept = {k: v for k, v in payload.items() if isinstance(v, int) and v > limit}`,
      `        total = sum(value * 2 for value in kept.values())`,
      `        if total > ${i * 10}:`,
      `            log.info("step ${i} kept %d items totalling %d", len(kept), total)`,
      `        else:`,
      `            self.log.debug("step ${i}: %s", json.dumps(kept, sort_keys=True))`,
      `        return {"step": ${i}, "total": total, "items": sorted(kept)}`,
      "",
    );
    i++;
  }
  out.push(
    "    def execute(self, context: Context) -> list[dict[str, Any]]:",
    "        payload = json.loads(self.source)",
    `        return [getattr(self, f"step_{n}")(payload) for n in range(${i})]`,
  );
  return `${out.join("\n")}\n`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

function pythonFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) pythonFiles(path, out);
    else if (entry.endsWith(".py")) out.push(path);
  }
  return out;
}

export async function run(): Promise<void> {
  const source = generatedComponent(1000);
  const lineCount = source.split("\n").length - 1;
  const options = { componentType: "operator" as const, airflowVersion: "both" as const };
  const first = await validatePython(source, options);
  if (first.errors > 0) throw new Error(`the generated component should be clean: ${JSON.stringify(first.findings[0])}`);
  for (let i = 0; i < 5; i++) await validatePython(source, options);
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const cpu = process.cpuUsage();
    await validatePython(source, options);
    const used = process.cpuUsage(cpu);
    times.push(performance.now() - start);
    cpuTimes.push((used.user + used.system) / 1000);
  }
  console.log(`generated component: ${lineCount} lines, ${(source.length / 1024).toFixed(0)} KiB`);
  console.log(`validate: median ${median(times).toFixed(2)} ms per file wall clock over ${RUNS} runs (min ${Math.min(...times).toFixed(2)}, max ${Math.max(...times).toFixed(2)})`);
  // CPU time of this process: what one core spends, whatever else the machine is running.
  console.log(`validate: median ${median(cpuTimes).toFixed(2)} ms CPU time per file (min ${Math.min(...cpuTimes).toFixed(2)})`);
  const { parser } = await loadGrammar();
  const rawParse: number[] = [];
  const parseAndCopy: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let start = performance.now();
    parser.parse(source)?.delete();
    rawParse.push(performance.now() - start);
    start = performance.now();
    await parsePython(source);
    parseAndCopy.push(performance.now() - start);
  }
  console.log(
    `of which: tree-sitter parse ${median(rawParse).toFixed(2)} ms (min ${Math.min(...rawParse).toFixed(2)}), parse + copy to plain nodes ${median(parseAndCopy).toFixed(2)} ms (min ${Math.min(...parseAndCopy).toFixed(2)})`,
  );

  const real = "/tmp/airflow-real";
  const fixtures = join(ROOT, "test", "fixtures", "python");
  const dir = existsSync(real) ? real : fixtures;
  const files = pythonFiles(dir).map((path) => ({ path, text: readFileSync(path, "utf8") }));
  const totalLines = files.reduce((n, f) => n + f.text.split("\n").length, 0);
  const start = performance.now();
  let errors = 0;
  for (const f of files) errors += (await validatePython(f.text, { path: f.path })).errors;
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `directory ${dir}: ${files.length} files, ${totalLines} lines in ${seconds.toFixed(2)} s → ${(files.length / seconds).toFixed(0)} files/s, ${(totalLines / seconds / 1000).toFixed(0)}k lines/s (${errors} error findings)`,
  );
  oneFile();
  sideBySide();
}

/**
 * Start-up: `opforge validate one.py` against `python3 -m py_compile one.py` on a generated component of about
 * 200 lines, whole processes taken in turn. `python3` is the one on PATH, as a user types it (on machines with
 * pyenv that is a shell shim); the interpreter it runs is timed as well, so both ratios are shown.
 */
function oneFile(): void {
  const python = spawnSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" });
  if (python.error || python.status !== 0) {
    console.log("one file: skipped, no python3 on PATH");
    return;
  }
  const interpreter = python.stdout.trim();
  const dir = mkdtempSync(join(tmpdir(), "opforge-bench-one-"));
  try {
    writeFileSync(join(dir, "one.py"), generatedComponent(200));
    const bin = join(ROOT, "bin", "opforge.js");
    const times = runInTurn(`one file: ${ONE_FILE_RUNS} runs each in turn, whole processes`, ONE_FILE_RUNS, {
      opforge: { label: "opforge validate one.py", run: () => timeProcess(process.execPath, [bin, "validate", "one.py"], dir) },
      python: { label: "python3 -m py_compile one.py", run: () => timeProcess("python3", ["-m", "py_compile", "one.py"], dir) },
      interpreter: { label: `${interpreter} -m py_compile one.py`, run: () => timeProcess(interpreter, ["-m", "py_compile", "one.py"], dir) },
    });
    const ratio = (base: number[]) => (median(times.opforge) / median(base)).toFixed(2);
    console.log(`  ratio of medians opforge / python3 -m py_compile: ${ratio(times.python)}× (against the interpreter itself: ${ratio(times.interpreter)}×)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Where the Airflow sources come from: a checkout holding providers/, else a bare git repository to extract them from. */
const AIRFLOW_CHECKOUT = process.env.BENCH_AIRFLOW_CHECKOUT ?? "/tmp/af-main";
const AIRFLOW_GIT = process.env.BENCH_AIRFLOW_GIT ?? "/work/.mirror/arenadata+airflow/repo";
const PROCESS_RUNS = Number(process.env.BENCH_PROCESS_RUNS ?? 5);
const ONE_FILE_RUNS = Number(process.env.BENCH_ONE_FILE_RUNS ?? 20);
// Each tree is dropped once parsed, as opforge drops each analysis: a list keeping every tree alive makes
// Python's cyclic collector walk them all again and again (about 3× slower), which would flatter the ratio.
const PARSE_ONLY = "import ast,sys\nfor p in sys.argv[1:]:\n    ast.parse(open(p,'rb').read())";

/** The operator, sensor and hook modules of Airflow's providers, relative to `root`; or why there are none. */
function airflowCorpus(): { root: string; files: string[]; extracted: boolean } | string {
  let root = AIRFLOW_CHECKOUT;
  const extracted = !existsSync(join(root, "providers"));
  if (extracted) {
    if (!existsSync(AIRFLOW_GIT)) return `no Airflow sources: neither ${AIRFLOW_CHECKOUT}/providers nor the repository ${AIRFLOW_GIT} (set BENCH_AIRFLOW_CHECKOUT or BENCH_AIRFLOW_GIT)`;
    root = mkdtempSync(join(tmpdir(), "opforge-bench-airflow-"));
    try {
      const archive = execFileSync("git", ["--git-dir", AIRFLOW_GIT, "archive", "main", "providers"], { maxBuffer: 1 << 30 });
      execFileSync("tar", ["-x", "-C", root], { input: archive });
    } catch (error) {
      rmSync(root, { recursive: true, force: true });
      return `cannot extract providers/ from ${AIRFLOW_GIT}: ${(error as Error).message.split("\n")[0]}`;
    }
  }
  const component = /[\\/]src[\\/]airflow[\\/]providers[\\/].*[\\/](operators|sensors|hooks)[\\/]/;
  const files = pythonFiles(join(root, "providers"))
    .map((path) => relative(root, path))
    .filter((path) => component.test(`/${path}`) && !path.endsWith("__init__.py"))
    .sort();
  return { root, files, extracted };
}

/** Wall-clock seconds of one whole process, start-up included; throws when it fails (opforge exits 1 on findings). */
function timeProcess(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): number {
  const start = performance.now();
  const run = spawnSync(command, args, { cwd, env, stdio: ["ignore", "ignore", "pipe"], maxBuffer: 1 << 26 });
  const seconds = (performance.now() - start) / 1000;
  if (run.error || (run.status !== 0 && run.status !== 1)) throw new Error(`${command} failed (${run.status ?? run.error?.message}): ${String(run.stderr).slice(0, 500)}`);
  return seconds;
}

function spread(values: number[]): string {
  return `min ${Math.min(...values).toFixed(2)} s, median ${median(values).toFixed(2)} s, max ${Math.max(...values).toFixed(2)} s`;
}

/**
 * The speed goal: one `opforge validate --airflow both` process over the providers' operator, sensor and hook
 * modules against one python3 process that only runs ast.parse over them; taken in turn (python, opforge,
 * opforge on one thread, python, ...) so that a change in the machine's speed touches all alike.
 */
function sideBySide(): void {
  const corpus = airflowCorpus();
  if (typeof corpus === "string") {
    console.log(`side by side: skipped, ${corpus}`);
    return;
  }
  const python = spawnSync("python3", ["--version"], { encoding: "utf8" });
  if (python.error || python.status !== 0) {
    console.log("side by side: skipped, no python3 on PATH");
    return;
  }
  try {
    measure(corpus.root, corpus.files, python.stdout.trim());
  } finally {
    if (corpus.extracted) rmSync(corpus.root, { recursive: true, force: true });
  }
}

function measure(root: string, files: string[], pythonVersion: string): void {
  const bin = join(ROOT, "bin", "opforge.js");
  const times = runInTurn(`side by side: ${files.length} files under ${root}/providers, ${PROCESS_RUNS} runs each in turn, whole processes`, PROCESS_RUNS, {
    python: { label: `python3 ast.parse (${pythonVersion})`, run: () => timeProcess("python3", ["-c", PARSE_ONLY, ...files], root) },
    opforge: { label: "opforge validate", run: () => timeProcess(process.execPath, [bin, "validate", "--airflow", "both", ...files], root) },
    oneThread: {
      label: "opforge validate, one thread",
      run: () => timeProcess(process.execPath, [bin, "validate", "--airflow", "both", ...files], root, { ...process.env, OPFORGE_VALIDATE_WORKERS: "0" }),
    },
  });
  const ratio = (s: number[]) => (median(s) / median(times.python)).toFixed(2);
  console.log(`  ratio of medians opforge / python3: ${ratio(times.opforge)}× (one thread: ${ratio(times.oneThread)}×)`);
}

/**
 * Runs each series in turn (a, b, c, a, b, c, …) `runs` times, so that a change in the machine's speed touches
 * all alike, after a first round that is not counted (it warms the disk cache and recompiles opforge's cached
 * copy when sources changed); prints the heading and each series' spread, and returns each series' times.
 */
function runInTurn<K extends string>(heading: string, runs: number, series: Record<K, { label: string; run: () => number }>): Record<K, number[]> {
  const entries = Object.entries(series) as [K, { label: string; run: () => number }][];
  const times = Object.fromEntries(entries.map(([key]) => [key, [] as number[]])) as Record<K, number[]>;
  for (const [, s] of entries) s.run();
  for (let i = 0; i < runs; i++) for (const [key, s] of entries) times[key].push(s.run());
  console.log(heading);
  for (const [key, s] of entries) console.log(`  ${s.label}: ${spread(times[key])}`);
  return times;
}
