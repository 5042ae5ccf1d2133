import { describe, expect, it } from "vitest";
import { repairPython, validatePython } from "../../src/python/index.js";
import { readFixture } from "./helpers.js";

describe("input that is not a component", () => {
  it("an empty file has nothing to report", async () => {
    expect((await validatePython("")).findings).toEqual([]);
    expect((await repairPython("")).source).toBe("");
  });

  it("binary data is reported as NUL bytes, with the line", async () => {
    const bytes = Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 256)).toString("latin1");
    const report = await validatePython(bytes);
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({ rule: "syntax-error", severity: "error", line: 1, message: "SyntaxError: source code cannot contain null bytes" });
    const later = await validatePython("x = 1\ny = 2\0\n");
    expect(later.findings[0]?.line).toBe(2);
  });

  it("English prose is a syntax error, not a crash", async () => {
    const report = await validatePython("This is not Python at all. It is a sentence, with commas; and (parentheses).\n");
    expect(report.errors).toBeGreaterThan(0);
    expect(report.findings[0]?.rule).toBe("syntax-error");
  });

  it("5 MB of nested brackets stops at CPython's nesting limit", async () => {
    const result = await validatePython("(".repeat(2_500_000) + ")".repeat(2_500_000));
    expect(result.findings).toEqual([
      expect.objectContaining({ rule: "syntax-error", line: 1, column: 201, message: "SyntaxError: too many nested parentheses" }),
    ]);
    const repaired = await repairPython("[".repeat(1_000_000));
    expect(repaired.applied).toEqual([]);
    // An earlier indentation error is what CPython reports, but the deep input still never reaches the parser.
    const indentedFirst = await validatePython(`x = 1\n    y = ${"(".repeat(2_000_000)}`);
    expect(indentedFirst.findings.map((f) => f.message)).toEqual(["IndentationError: unexpected indent"]);
  });

  it("a 20,000-term expression (a very deep tree) is analysed without overflowing the stack", async () => {
    const source = `def f(a):\n    return ${Array.from({ length: 20_000 }, () => "a").join(" + ")} + b\n`;
    const result = await validatePython(source);
    expect(result.findings.map((f) => f.rule)).toEqual(["undefined-name"]);
  });

  it("indentation past CPython's 100 levels is reported", async () => {
    const source = `${Array.from({ length: 120 }, (_, i) => `${" ".repeat(i)}if x:`).join("\n")}\n${" ".repeat(120)}pass\n`;
    const report = await validatePython(source);
    expect(report.findings.map((f) => f.message)).toContain("IndentationError: too many levels of indentation");
  });

  it("a file over the size limit gets one clear finding under its own rule (file-too-large, not syntax-error) instead of a long parse (issue 10, item 13)", async () => {
    const result = await validatePython("x = 1\n".repeat(1_000_000));
    expect(result.findings.map((f) => [f.rule, f.category, f.severity])).toEqual([["file-too-large", "limits", "error"]]);
    expect(result.findings[0]?.message).toBe(
      "not analysed: the file has 6,000,000 characters; opforge analyses files up to 5,000,000; split the module or check it with other tools",
    );
  });

  it("line endings, a byte-order mark and tab indentation change nothing for a good component", async () => {
    const good = readFixture("good", "operator_v2.py");
    const variants = [good.replace(/\n/g, "\r\n"), `\uFEFF${good}`, good.replace(/^(?: {4})+/gm, (m) => "\t".repeat(m.length / 4))];
    for (const source of variants) {
      const report = await validatePython(source, { componentType: "operator", airflowVersion: "2" });
      expect(report.findings).toEqual([]);
    }
  });
});
