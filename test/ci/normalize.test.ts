import { describe, expect, it } from "vitest";
import { fingerprintSetHash } from "../../src/ci/fingerprint.js";
import { normalizeCheckRun } from "../../src/ci/normalize.js";
import type { AnnotationInput, CheckRunInput } from "../../src/ci/types.js";
import { fixtureJson, fixtureText } from "./fixtures.js";

interface ApiCheckRun extends CheckRunInput {
  id: number;
}

const headRuns = fixtureJson<{ check_runs: ApiCheckRun[] }>("check-runs.head.json").check_runs;
function headRun(name: string): ApiCheckRun {
  const run = headRuns.find((r) => r.name === name);
  if (!run) throw new Error(`no check run ${name} in fixture`);
  return run;
}

describe("normalizeCheckRun", () => {
  it("turns a failed pytest job into one failure per distinct error, ignoring the runner's exit-code annotation", () => {
    const failures = normalizeCheckRun({
      checkRun: headRun("test (3.11)"),
      annotations: fixtureJson<AnnotationInput[]>("annotations.test.json"),
      log: fixtureText("actions-pytest-typeerror.log"),
    });
    // Two parametrized tests hit the same AttributeError at the same line: one failure.
    expect(failures.map((f) => [f.check, f.kind, f.exceptionType, f.file, f.line])).toEqual([
      ["test (3.11)", "attribute", "AttributeError", "operators/http_status.py", 13],
      ["test (3.11)", "type", "TypeError", "tests/test_s3_report.py", 5],
      ["test (3.11)", "test_failure", "AssertionError", "tests/test_s3_report.py", 10],
    ]);
    expect(new Set(failures.map((f) => f.fingerprint)).size).toBe(3);
  });

  it("reports a lint failure seen in annotations and in the log once, with the annotation's location", () => {
    const failures = normalizeCheckRun({
      checkRun: headRun("lint"),
      annotations: fixtureJson<AnnotationInput[]>("annotations.lint.json"),
      log: fixtureText("actions-ruff.log"),
    });
    expect(failures.map((f) => [f.kind, f.ruleCode, f.file, f.line, f.message])).toEqual([
      ["lint", "S602", "operators/shell_export.py", 18, "`subprocess` call with `shell=True` identified, security issue"],
      ["lint", "S105", "operators/shell_export.py", 9, 'Possible hardcoded password assigned to: "API_TOKEN"'],
      ["lint", "F401", "operators/shell_export.py", 1, "`os` imported but unused"],
    ]);
  });

  it("keeps two occurrences of one rule on different lines apart", () => {
    const annotation = (line: number): AnnotationInput => ({
      path: "operators/a.py",
      start_line: line,
      end_line: line,
      annotation_level: "failure",
      title: "Ruff (S602)",
      message: "`subprocess` call with `shell=True` identified, security issue",
      raw_details: null,
    });
    const failures = normalizeCheckRun({ checkRun: { name: "lint", conclusion: "failure" }, annotations: [annotation(3), annotation(9)] });
    expect(failures.map((f) => [f.ruleCode, f.line])).toEqual([
      ["S602", 3],
      ["S602", 9],
    ]);
    expect(failures[0]!.fingerprint).toBe(failures[1]!.fingerprint);
  });

  it("merges a DAG import error printed by Airflow's log and by the Broken DAG line", () => {
    const failures = normalizeCheckRun({
      checkRun: headRun("dag-import"),
      annotations: fixtureJson<AnnotationInput[]>("annotations.dag-import.json"),
      log: fixtureText("actions-dagbag-import.log"),
    });
    expect(failures.map((f) => [f.kind, f.exceptionType, f.file, f.line])).toEqual([
      ["dag_import", "ModuleNotFoundError", "dags/example_s3_report.py", 6],
      ["timeout", "AirflowTaskTimeout", "operators/model_scoring.py", 22],
    ]);
  });

  it("merges the same failure from check run output and job log", () => {
    const pytestReport = fixtureText("pytest-short-tb.txt");
    const fromOutput = normalizeCheckRun({
      checkRun: { name: "tests", conclusion: "failure", output: { title: "2 tests failed", summary: "", text: "```\n" + pytestReport + "```" } },
    });
    const fromBoth = normalizeCheckRun({
      checkRun: { name: "tests", conclusion: "failure", output: { title: "2 tests failed", summary: "", text: "```\n" + pytestReport + "```" } },
      log: fixtureText("actions-pytest-typeerror.log").replace(/test \(3\.11\)/g, "tests"),
    });
    expect(fromOutput).toHaveLength(2);
    // The log adds the AttributeError; the TypeError and AssertionError are not repeated.
    expect(fromBoth.map((f) => f.exceptionType)).toEqual(["TypeError", "AssertionError", "AttributeError"]);
    expect(fingerprintSetHash(fromBoth.slice(0, 2))).toBe(fingerprintSetHash(fromOutput));
  });

  it("reads the crash line a test-report action puts in an annotation", () => {
    const [failure] = normalizeCheckRun({
      checkRun: { name: "test (3.11)", conclusion: "failure" },
      annotations: [
        {
          path: "tests/test_s3_report.py",
          start_line: 5,
          end_line: 5,
          annotation_level: "failure",
          title: "tests/test_s3_report.py::test_execute_returns_uri",
          message:
            'def test_execute_returns_uri():\n>       op = S3ReportOperator(task_id="report", bucket="data-lake")\nE       TypeError: S3ReportOperator.__init__() got an unexpected keyword argument \'task_id\'',
          raw_details: null,
        },
      ],
    });
    expect(failure).toMatchObject({
      kind: "type",
      exceptionType: "TypeError",
      message: "S3ReportOperator.__init__() got an unexpected keyword argument 'task_id'",
      file: "tests/test_s3_report.py",
      line: 5,
    });
  });

  it("returns nothing for passing conclusions", () => {
    for (const conclusion of ["success", "neutral", "skipped"]) {
      expect(normalizeCheckRun({ checkRun: { name: "test", conclusion }, log: fixtureText("actions-pytest-typeerror.log") })).toEqual([]);
    }
  });

  it("reports an unexplained failure with the most specific text available", () => {
    const [fromTitle] = normalizeCheckRun({
      checkRun: { name: "deploy-preview", conclusion: "failure", output: { title: "Preview build failed", summary: "See the build logs." } },
    });
    expect(fromTitle).toMatchObject({ check: "deploy-preview", kind: "unknown", message: "Preview build failed" });

    const [fromAnnotation] = normalizeCheckRun({
      checkRun: headRun("test (3.11)"),
      annotations: fixtureJson<AnnotationInput[]>("annotations.test.json"),
    });
    expect(fromAnnotation).toMatchObject({ kind: "unknown", message: "Process completed with exit code 1." });

    const [timedOut] = normalizeCheckRun({ checkRun: { name: "e2e", conclusion: "timed_out" } });
    expect(timedOut).toMatchObject({ kind: "timeout", message: "e2e finished with conclusion timed_out" });
    expect(timedOut!.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it("reads the job timeout from the log of a cancelled job", () => {
    const failures = normalizeCheckRun({ checkRun: { name: "test (3.12)", conclusion: "cancelled" }, log: fixtureText("actions-job-timeout.log") });
    expect(failures.map((f) => [f.kind, f.message])).toEqual([
      ["timeout", "The job running on runner GitHub Actions 12 has exceeded the maximum execution time of 15 minutes."],
    ]);
  });

  it("caps the number of failures per check", () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `operators/a.py:${i + 1}:80: E501 line too long (${90 + (i % 9)} > 79 characters)`);
    expect(normalizeCheckRun({ checkRun: { name: "lint", conclusion: "failure" }, log: lines.join("\n") })).toHaveLength(300);
    expect(normalizeCheckRun({ checkRun: { name: "lint", conclusion: "failure" }, log: lines.join("\n"), maxFailures: 5 })).toHaveLength(5);
  });
});

describe("bounded work on large logs", () => {
  const noise = (i: number): string =>
    `2024-11-20T14:${String(10 + (i % 40)).padStart(2, "0")}:00.0000000Z tests/test_bulk.py::test_case_${i} PASSED with 'quoted' "text" and /some/path/file_${i}.py:12 [ 42%]`;

  function bigLog(bytes: number, ending: string): string {
    const lines: string[] = [];
    let size = 0;
    for (let i = 0; size < bytes; i++) {
      const line = noise(i);
      lines.push(line);
      size += line.length + 1;
    }
    return `${lines.join("\n")}\n${ending}`;
  }

  const ending = fixtureText("actions-pytest-typeerror.log").split("\n").slice(-40).join("\n");

  it("parses a 5 MB log when told to read all of it", () => {
    const log = bigLog(5 * 1024 * 1024, ending);
    const failures = normalizeCheckRun({ checkRun: { name: "test", conclusion: "failure" }, log, logTailBytes: 8 * 1024 * 1024 });
    expect(failures.map((f) => f.exceptionType)).toContain("TypeError");
  });

  it("reads only the tail by default", () => {
    const head = "ERROR: No matching distribution found for apache-airflow-providers-snowflak==5.8.0";
    const log = `${head}\n${bigLog(2 * 1024 * 1024, "done")}`;
    const all = normalizeCheckRun({ checkRun: { name: "test", conclusion: "failure" }, log, logTailBytes: 4 * 1024 * 1024 });
    const tail = normalizeCheckRun({ checkRun: { name: "test", conclusion: "failure" }, log });
    expect(all.map((f) => f.kind)).toEqual(["dependency_conflict"]);
    expect(tail.map((f) => f.kind)).toEqual(["unknown"]);
  });

  it("reads hostile lines (no newlines, unbalanced quotes, long underscore runs) and finds the one real failure", () => {
    const hostile = [
      "'".repeat(2_000_000),
      "_".repeat(1_000_000) + " x",
      "a/".repeat(500_000),
      `E ${"File \"".repeat(100_000)}`,
      "Traceback (most recent call last):\n" + "  File \"x.py\", line 1, in f\n".repeat(50_000),
      'Traceback (most recent call last):\n  File "x.py", line 1, in f\nValueError: boom\n'.repeat(20_000),
    ].join("\n");
    const failures = normalizeCheckRun({ checkRun: { name: "test", conclusion: "failure" }, log: hostile, logTailBytes: 16 * 1024 * 1024 });
    // The 20,000 identical tracebacks are one failure; the hostile lines add none.
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ exceptionType: "ValueError", message: "boom" });
  });
});
