/**
 * Validator speed: a generated 1,000-line component (median of many runs) and a directory of real files
 * (/tmp/airflow-real when present, else the Python fixtures). One core: everything runs on this thread.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
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
  const fixtures = join(dirname(fileURLToPath(import.meta.url)), "..", "test", "fixtures", "python");
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
}
