import { describe, expect, it } from "vitest";
import { validatePython } from "../../src/python/index.js";
import { compileVerdicts, python3 } from "./helpers.js";

// Issue 10, item 10: sources CPython rejects that the validator reported clean.
const CASES: [string, string, string][] = [
  ["from x import TYPE_CHECKING c\n", "statements-on-one-line", "SyntaxError: invalid syntax near 'c'"],
  ["from x import BaseOperatorimport yaml\n", "statements-on-one-line", "SyntaxError: invalid syntax near 'yaml'"],
  ["import os x = 1\n", "statements-on-one-line", "SyntaxError: invalid syntax near 'x = 1'"],
  ["def f(*, **kwargs):\n    pass\n", "bare-star", "SyntaxError: named arguments must follow bare * in f()"],
  ["def f(a, *):\n    pass\n", "bare-star", "SyntaxError: named arguments must follow bare * in f()"],
  ["try:\n    import yaml\n    import os\nx = 1\n", "syntax-error", "SyntaxError: expected 'except' or 'finally' block"],
];

const VALID = [
  "import os; import sys\n",
  "x: list[str] = []\ny: dict (1,)\n",
  "def f(*, a, **kwargs):\n    pass\n",
  '"a" "b"\nfrom __future__ import annotations\n',
  "if True: pass\n",
];

describe("syntax false negatives (issue 10, item 10)", () => {
  it.each(CASES)("%j is a syntax error (%s)", async (source, rule, message) => {
    const report = await validatePython(source, { kind: "test" });
    const hit = report.findings.find((f) => f.rule === rule && f.severity === "error");
    expect(hit?.message).toContain(message);
  });

  it.each(VALID)("%j stays clean", async (source) => {
    const report = await validatePython(source, { kind: "test" });
    expect(report.findings.filter((f) => f.category === "syntax")).toEqual([]);
  });

  it.skipIf(!python3())("CPython agrees with each verdict", () => {
    expect(compileVerdicts(CASES.map(([source]) => source))).toEqual(CASES.map(() => false));
    expect(compileVerdicts(VALID)).toEqual(VALID.map(() => true));
  });
});
