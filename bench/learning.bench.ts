/**
 * Learning that generalizes: each convention of test/fixtures/learning is taught by ONE human fix
 * (teach/before.py → teach/after.py), and the rules learned from it are applied, without the built-in
 * fixers, to held-out components that make the same mistake in other shapes (heldout/*.py, expected
 * result heldout/*.fixed.py) and to look-alikes that must stay as they are (negative/*.py).
 *
 * Printed per engine: held-out components repaired exactly, false edits (a look-alike changed, or a
 * held-out component changed but not into its expected form), broken outputs (tree-sitter errors, or
 * `python3 -m py_compile` failing when python3 is present) and the time per rule application.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { analyzeMerge, learnedRulesReady, toRewriteRule } from "../src/learn/fixes/index.js";
import { learnTreeRules, toTreeRewriteRule } from "../src/learn/fixes/tree/index.js";
import { parsePython } from "../src/python/parser.js";
import { repairPython } from "../src/python/repair.js";
import type { RewriteRule } from "../src/python/rewrite.js";

const CORPUS = fileURLToPath(new URL("../test/fixtures/learning/", import.meta.url));

export interface Convention {
  name: string;
  before: string;
  after: string;
  heldout: { name: string; source: string; fixed: string }[];
  negatives: { name: string; source: string }[];
}

export function loadCorpus(root = CORPUS): Convention[] {
  const read = (path: string): string => readFileSync(path, "utf8");
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const dir = join(root, name);
      const heldoutDir = join(dir, "heldout");
      const negativeDir = join(dir, "negative");
      return {
        name,
        before: read(join(dir, "teach", "before.py")),
        after: read(join(dir, "teach", "after.py")),
        heldout: readdirSync(heldoutDir)
          .filter((f) => f.endsWith(".py") && !f.endsWith(".fixed.py"))
          .sort()
          .map((f) => ({ name: f, source: read(join(heldoutDir, f)), fixed: read(join(heldoutDir, f.replace(/\.py$/, ".fixed.py"))) })),
        negatives: readdirSync(negativeDir)
          .filter((f) => f.endsWith(".py"))
          .sort()
          .map((f) => ({ name: f, source: read(join(negativeDir, f)) })),
      };
    });
}

/** An engine: the rules one fix teaches. */
export type Teacher = (before: string, after: string) => Promise<RewriteRule[]>;

/** The line-pattern rules drawn from a merge (the engine before tree rules). */
export const lineRules: Teacher = async (before, after) => {
  await learnedRulesReady();
  const lessons = await analyzeMerge({
    generatedFiles: [{ path: "component.py", content: before }],
    mergedFiles: new Map([["component.py", after]]),
    prNumber: 1,
    mergeSha: "0000000",
    repo: "bench/learning",
    signatureIds: [],
  });
  return lessons.candidates.map((c, i) => toRewriteRule({ id: i + 1, before: c.before, after: c.after, context: c.context, description: c.description }));
};

/** Tree rules: each changed subtree as a pattern with holes and edits. */
export const treeRules: Teacher = async (before, after) => {
  const lesson = await learnTreeRules(before, after);
  return lesson.rules.map((r, i) => toTreeRewriteRule({ id: i + 1, spec: r.spec, description: r.description }));
};

export interface Figures {
  conventions: number;
  heldout: number;
  repaired: number;
  falseEdits: number;
  broken: number;
  applications: number;
  millis: number;
  misses: string[];
  /** Held-out components repaired per convention: [repaired, held out]. */
  byConvention: Map<string, [number, number]>;
}

function python3(): boolean {
  try {
    execFileSync("python3", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

async function brokenOutput(source: string, scratch: string | undefined): Promise<boolean> {
  if ((await parsePython(source)).hasError) return true;
  if (!scratch) return false;
  const file = join(scratch, "out.py");
  writeFileSync(file, source);
  try {
    execFileSync("python3", ["-c", "import ast,sys; ast.parse(open(sys.argv[1]).read())", file], { stdio: "ignore" });
    return false;
  } catch {
    return true;
  }
}

/** `python: false` checks outputs with tree-sitter only (no python3 process per output). */
export async function measure(teach: Teacher, corpus: Convention[] = loadCorpus(), options: { python?: boolean } = {}): Promise<Figures> {
  const scratch = options.python !== false && python3() ? mkdtempSync(join(tmpdir(), "opforge-learning-")) : undefined;
  const figures: Figures = { conventions: corpus.length, heldout: 0, repaired: 0, falseEdits: 0, broken: 0, applications: 0, millis: 0, misses: [], byConvention: new Map() };
  try {
    for (const convention of corpus) {
      const rules = await teach(convention.before, convention.after);
      const run = async (source: string): Promise<string> => {
        const started = performance.now();
        const result = await repairPython(source, { kind: "component" }, rules, { builtins: false });
        figures.millis += performance.now() - started;
        figures.applications += result.applied.length;
        return result.source;
      };
      const tally: [number, number] = [0, convention.heldout.length];
      figures.byConvention.set(convention.name, tally);
      for (const file of convention.heldout) {
        figures.heldout++;
        const out = await run(file.source);
        if (await brokenOutput(out, scratch)) figures.broken++;
        if (out === file.fixed) {
          figures.repaired++;
          tally[0]++;
        } else {
          if (out !== file.source) figures.falseEdits++;
          figures.misses.push(`${convention.name}/heldout/${file.name}`);
        }
      }
      for (const file of convention.negatives) {
        const out = await run(file.source);
        if (await brokenOutput(out, scratch)) figures.broken++;
        if (out !== file.source) {
          figures.falseEdits++;
          figures.misses.push(`${convention.name}/negative/${file.name}`);
        }
      }
    }
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
  return figures;
}

function report(label: string, f: Figures): void {
  const rate = f.heldout === 0 ? 0 : (100 * f.repaired) / f.heldout;
  const per = f.applications === 0 ? "-" : `${(f.millis / f.applications).toFixed(1)} ms`;
  console.log(
    `${label.padEnd(12)} held-out repaired ${f.repaired}/${f.heldout} (${rate.toFixed(1)}%), false edits ${f.falseEdits}, broken outputs ${f.broken}, ` +
      `${f.applications} applications, ${per} per application (${f.conventions} conventions)`,
  );
  console.log(`${"".padEnd(12)} ${[...f.byConvention].map(([name, [ok, all]]) => `${name} ${ok}/${all}`).join(", ")}`);
  if (f.misses.length > 0 && process.env.LEARNING_BENCH_VERBOSE) for (const m of f.misses) console.log(`  not as expected: ${m}`);
}

export async function run(): Promise<void> {
  const corpus = loadCorpus();
  report("line rules", await measure(lineRules, corpus));
  report("tree rules", await measure(treeRules, corpus));
}
