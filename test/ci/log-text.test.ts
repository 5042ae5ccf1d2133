import { describe, expect, it } from "vitest";
import { cleanLines, excerptOf, isLibraryPath, repoRelativePath, tailBytes } from "../../src/ci/log-text.js";

describe("cleanLines", () => {
  it("strips the BOM, Actions timestamps, ##[...] markers and colour codes, remembering the marker", () => {
    const text =
      "\uFEFF2024-01-01T00:00:00.0000000Z ##[group]Run pytest\r\n" +
      "2024-01-01T00:00:00.1234567Z \u001b[31mE   TypeError: boom\u001b[0m\n" +
      "2024-01-01T00:00:01.0000000Z ##[error]Process completed with exit code 1.\n" +
      "plain line";
    expect(cleanLines(text)).toEqual([
      { text: "Run pytest", marker: "group" },
      { text: "E   TypeError: boom" },
      { text: "Process completed with exit code 1.", marker: "error" },
      { text: "plain line" },
    ]);
  });

  it("cuts over-long lines so no pattern sees unbounded input", () => {
    const [line] = cleanLines("x".repeat(100_000));
    expect(line!.text.length).toBe(4000);
  });
});

describe("tailBytes", () => {
  it("returns short text unchanged", () => {
    expect(tailBytes("a\nb\n", 1024)).toBe("a\nb\n");
  });

  it("keeps the last bytes starting at a line boundary", () => {
    const text = ["first line", "second line", "third line", "last line"].join("\n");
    expect(tailBytes(text, 22)).toBe("third line\nlast line");
  });

  it("counts bytes, not characters, and never splits a character", () => {
    const text = `${"é".repeat(10)}\n${"ü".repeat(4)}`;
    expect(tailBytes(text, 9)).toBe("üüüü");
  });

  it("rejects a non-positive byte count", () => {
    expect(() => tailBytes("abc", 0)).toThrow(/logTailBytes must be a positive integer/);
  });
});

describe("paths", () => {
  it("makes runner checkout paths repository-relative", () => {
    expect(repoRelativePath("/home/runner/work/airflow-ops/airflow-ops/operators/x.py")).toBe("operators/x.py");
    expect(repoRelativePath("/__w/airflow-ops/airflow-ops/dags/d.py")).toBe("dags/d.py");
    expect(repoRelativePath("D:\\a\\airflow-ops\\airflow-ops\\hooks\\h.py")).toBe("hooks/h.py");
    expect(repoRelativePath("./operators/x.py")).toBe("operators/x.py");
    expect(repoRelativePath("/opt/airflow/dags/d.py")).toBe("/opt/airflow/dags/d.py");
  });

  it("tells library frames from project frames", () => {
    expect(isLibraryPath("/opt/hostedtoolcache/Python/3.11.10/x64/lib/python3.11/site-packages/airflow/models/dagbag.py")).toBe(true);
    expect(isLibraryPath("<frozen importlib._bootstrap>")).toBe(true);
    expect(isLibraryPath("/usr/lib/python3.11/importlib/__init__.py")).toBe(true);
    expect(isLibraryPath("/home/runner/work/r/r/operators/x.py")).toBe(false);
  });
});

describe("excerptOf", () => {
  it("keeps the last lines within the bounds", () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i}`);
    const excerpt = excerptOf(lines, 3);
    expect(excerpt).toBe("line 97\nline 98\nline 99");
    expect(excerptOf(["x".repeat(10_000)], 40, 100)).toHaveLength(100);
  });
});
