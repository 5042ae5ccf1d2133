/**
 * Seeded mutations of the good components (a character dropped, a line re-indented, a ':', '=' or ',' removed,
 * a '(' inserted, two lines run together, a line deleted) must get the same syntax verdict from the validator
 * as from CPython.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { validatePython } from "../../src/python/index.js";
import { FIXTURES, compileVerdicts, python3, readFixture } from "./helpers.js";

function mutations(count: number, seed: number): { label: string; source: string }[] {
  let state = seed;
  const next = (): number => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
  const files = readdirSync(join(FIXTURES, "good")).filter((f) => f.endsWith(".py")).sort();
  const out: { label: string; source: string }[] = [];
  for (let i = 0; i < count; i++) {
    const file = files[Math.floor(next() * files.length)] ?? files[0] ?? "";
    const lines = readFixture("good", file).split("\n");
    const at = Math.floor(next() * lines.length);
    const line = lines[at] ?? "";
    const kind = Math.floor(next() * 9);
    const col = Math.floor(next() * Math.max(1, line.length));
    let what: string;
    if (kind === 0) [lines[at], what] = [line.slice(0, col) + line.slice(col + 1), `drop char ${col}`];
    else if (kind === 1) [lines[at], what] = [`  ${line}`, "indent by 2"];
    else if (kind === 2) [lines[at], what] = [line.replace(/^ {4}/, ""), "dedent by 4"];
    else if (kind === 3) [lines[at], what] = [line.replace(/:\s*$/, ""), "drop trailing ':'"];
    else if (kind === 4) [lines[at], what] = [`${line.slice(0, col)}(${line.slice(col)}`, `insert '(' at ${col}`];
    else if (kind === 5) [lines[at], what] = [line.replace("=", ""), "drop '='"];
    else if (kind === 6) [lines[at], what] = [line.replace(",", ""), "drop ','"];
    else if (kind === 7 && at + 1 < lines.length) {
      // A lost newline: this line and the next run together, the next one's indentation dropped.
      lines.splice(at, 2, `${line}${col % 2 === 0 ? " " : ""}${(lines[at + 1] ?? "").trimStart()}`);
      what = col % 2 === 0 ? "join with the next line" : "join with the next line, no space";
    } else {
      lines.splice(at, 1);
      what = "delete line";
    }
    out.push({ label: `${file}:${at + 1} ${what}`, source: lines.join("\n") });
  }
  return out;
}

describe.skipIf(!python3())("syntax verdicts on mutated components", () => {
  it("agree with CPython on 1,000 seeded mutations", async () => {
    const cases = mutations(1_000, 20261125);
    const compiles = compileVerdicts(cases.map((c) => c.source));
    const disagreements: string[] = [];
    for (const [i, c] of cases.entries()) {
      const report = await validatePython(c.source, { kind: "test" });
      const ours = report.findings.some((f) => f.category === "syntax" && f.severity === "error");
      if (ours === compiles[i]) disagreements.push(`${c.label}: CPython ${compiles[i] ? "compiles" : "rejects"} it`);
    }
    expect(disagreements).toEqual([]);
    expect(compiles.filter((ok) => !ok).length).toBeGreaterThan(250);
  });
});
