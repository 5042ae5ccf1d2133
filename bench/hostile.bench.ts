/**
 * Hostile inputs: how long the spec parser, the CI log normalizer and the Python validator take on the oversized
 * or deeply nested inputs the unit tests feed them. The tests assert what is refused and why; the time is
 * measured here, with the budget each case is expected to stay under printed beside it.
 */
import { normalizeCheckRun } from "../src/ci/normalize.js";
import { validatePython } from "../src/python/index.js";
import { MAX_SPEC_BYTES, parseSpecText, specFromIssueBody } from "../src/spec/index.js";

const BASE = "name: SampleOperator\ndescription: Does a thing\ncomponent_type: operator\n";

interface Case {
  name: string;
  /** Milliseconds the case is expected to stay under on a developer machine. */
  budgetMs: number;
  work: () => unknown;
}

function inputs(count: number): string {
  let text = `${BASE}inputs:\n`;
  for (let index = 0; index < count; index++) text += `  - name: input_${index}\n    type: str\n`;
  return text;
}

function aliasBomb(): string {
  const levels = ["a: &a [x, x, x, x, x, x, x, x, x]"];
  for (const [index, name] of ["b", "c", "d", "e", "f", "g"].entries()) {
    levels.push(`${name}: &${name} [${Array(9).fill(`*${"abcdefg"[index]!}`).join(", ")}]`);
  }
  return `${BASE}${levels.join("\n")}\n`;
}

function manyKeys(): string {
  let text = BASE;
  for (let index = 0; text.length < MAX_SPEC_BYTES - 20; index++) text += `k${index}: v\n`;
  return text;
}

function duplicatedKey(): string {
  let text = `${BASE}prerequisites:\n`;
  for (let index = 0; index < 50_000; index++) text += `  k${index}: v\n`;
  return `${text}  k123: again\n`;
}

function bigLog(bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `2024-11-20T14:${String(10 + (i % 40)).padStart(2, "0")}:00.0000000Z tests/test_bulk.py::test_case_${i} PASSED with 'quoted' "text" and /some/path/file_${i}.py:12 [ 42%]`;
    lines.push(line);
    size += line.length + 1;
  }
  return `${lines.join("\n")}\nTypeError: unsupported operand type(s) for +: 'int' and 'str'\n`;
}

const hostileLog = [
  "'".repeat(2_000_000),
  "_".repeat(1_000_000) + " x",
  "a/".repeat(500_000),
  `E ${'File "'.repeat(100_000)}`,
  "Traceback (most recent call last):\n" + '  File "x.py", line 1, in f\n'.repeat(50_000),
  'Traceback (most recent call last):\n  File "x.py", line 1, in f\nValueError: boom\n'.repeat(20_000),
].join("\n");

const CASES: Case[] = [
  { name: "spec: 2 MB text refused before parsing", budgetMs: 200, work: () => parseSpecText(`${BASE}description: "${"x".repeat(2 * 1024 * 1024)}"\n`) },
  { name: "spec: 2 MB issue body refused", budgetMs: 200, work: () => specFromIssueBody(`\`\`\`yaml\n${BASE}\`\`\`\n${"y".repeat(2 * 1024 * 1024)}`) },
  { name: "spec: 10,000 inputs refused", budgetMs: 2_000, work: () => parseSpecText(inputs(10_000)) },
  { name: "spec: 1 MB mapping of ~100,000 keys", budgetMs: 8_000, work: () => parseSpecText(manyKeys()) },
  { name: "spec: duplicated key among 50,000", budgetMs: 5_000, work: () => parseSpecText(duplicatedKey()) },
  { name: "spec: YAML alias bomb refused", budgetMs: 500, work: () => parseSpecText(aliasBomb()) },
  { name: "spec: 200,000-deep flow nesting refused", budgetMs: 500, work: () => parseSpecText(`${BASE}prerequisites: ${"[".repeat(200_000)}${"]".repeat(200_000)}\n`) },
  { name: "spec: 300,000-deep block nesting refused", budgetMs: 500, work: () => parseSpecText(`${BASE}prerequisites:\n${"- ".repeat(300_000)}x\n`) },
  {
    name: "spec: deeply nested defaults kept as strings",
    budgetMs: 1_000,
    work: () => {
      for (const value of [`${"[".repeat(100_000)}${"]".repeat(100_000)}`, `${"- ".repeat(100_000)}x`]) {
        parseSpecText(`${BASE}inputs:\n  - name: matrix\n    type: List[Any]\n    default: "${value}"\n`);
      }
    },
  },
  { name: "ci: 5 MB log read whole", budgetMs: 2_000, work: () => normalizeCheckRun({ checkRun: { name: "test", conclusion: "failure" }, log: bigLog(5 * 1024 * 1024), logTailBytes: 8 * 1024 * 1024 }) },
  { name: "ci: hostile lines", budgetMs: 2_000, work: () => normalizeCheckRun({ checkRun: { name: "test", conclusion: "failure" }, log: hostileLog, logTailBytes: 16 * 1024 * 1024 }) },
  { name: "python: 5 MB of nested brackets", budgetMs: 5_000, work: () => validatePython("(".repeat(2_500_000) + ")".repeat(2_500_000)) },
  { name: "python: indentation error before 2,000,000 brackets", budgetMs: 5_000, work: () => validatePython(`x = 1\n    y = ${"(".repeat(2_000_000)}`) },
  {
    name: "python: 20,000-term expression",
    budgetMs: 10_000,
    work: () => validatePython(`def f(a):\n    return ${Array.from({ length: 20_000 }, () => "a").join(" + ")} + b\n`),
  },
  { name: "python: 6 MB module past the size limit", budgetMs: 5_000, work: () => validatePython("x = 1\n".repeat(1_000_000)) },
];

export async function run(): Promise<void> {
  for (const c of CASES) {
    const start = performance.now();
    await c.work();
    const ms = performance.now() - start;
    const verdict = ms < c.budgetMs ? "ok" : "OVER BUDGET";
    console.log(`${c.name}: ${ms.toFixed(1)} ms (budget ${c.budgetMs} ms) ${verdict}`);
  }
}
