import { describe, expect, it } from "vitest";
import { parseFailureText } from "../../src/ci/normalize.js";
import { fixtureText } from "./fixtures.js";

function summary(text: string) {
  return parseFailureText(text).map(({ excerpt: _excerpt, ...rest }) => rest);
}

describe("pytest output", () => {
  it("reads each failed test from an Actions log, with the full message and the innermost location", () => {
    const failures = parseFailureText(fixtureText("actions-pytest-typeerror.log"));
    expect(failures.map(({ excerpt: _e, ...rest }) => rest)).toEqual([
      {
        kind: "attribute",
        exceptionType: "AttributeError",
        message: "'HttpStatusOperator' object has no attribute 'hook'",
        file: "operators/http_status.py",
        line: 13,
      },
      {
        kind: "attribute",
        exceptionType: "AttributeError",
        message: "'HttpStatusOperator' object has no attribute 'hook'",
        file: "operators/http_status.py",
        line: 13,
      },
      {
        kind: "type",
        exceptionType: "TypeError",
        // The summary line is cut ("TypeError: S3Repor..."): the message comes from the E line.
        message: "S3ReportOperator.__init__() got an unexpected keyword argument 'task_id'",
        file: "tests/test_s3_report.py",
        line: 5,
      },
      {
        kind: "test_failure",
        exceptionType: "AssertionError",
        message: "assert ('bucket', 'prefix') == ('bucket', 'p...'aws_conn_id')",
        file: "tests/test_s3_report.py",
        line: 10,
      },
    ]);
    const typeError = failures[2]!;
    expect(typeError.excerpt).toContain('>       op = S3ReportOperator(task_id="report", bucket="data-lake")');
    expect(typeError.excerpt).toContain("FAILED tests/test_s3_report.py::test_execute_returns_uri");
    expect(typeError.excerpt).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z/);
  });

  it("reads --tb=short output", () => {
    expect(summary(fixtureText("pytest-short-tb.txt"))).toEqual([
      {
        kind: "type",
        exceptionType: "TypeError",
        message: "S3ReportOperator.__init__() got an unexpected keyword argument 'task_id'",
        file: "tests/test_s3_report.py",
        line: 5,
      },
      {
        kind: "test_failure",
        exceptionType: "AssertionError",
        message: "assert ('bucket', 'prefix') == ('bucket', 'p...'aws_conn_id')",
        file: "tests/test_s3_report.py",
        line: 10,
      },
    ]);
  });

  it("reads collection errors: a SyntaxError in an imported module and a missing module", () => {
    expect(summary(fixtureText("pytest-collection-errors.txt"))).toEqual([
      {
        kind: "syntax",
        exceptionType: "SyntaxError",
        message: "non-default argument follows default argument",
        file: "operators/bad_syntax.py",
        line: 5,
      },
      {
        kind: "import",
        exceptionType: "ModuleNotFoundError",
        message: "No module named 'operators.snowflake_export'",
        file: "tests/test_missing.py",
        line: 1,
      },
    ]);
  });

  it("falls back on the summary line when the report sections were cut off", () => {
    const text = [
      "=========================== short test summary info ============================",
      "FAILED tests/test_sensor.py::test_poke_true - AssertionError: assert False",
      "ERROR tests/test_hook.py::test_conn - KeyError: 'host'",
      "ERROR tests/test_dag.py",
      "========================= 1 failed, 2 errors in 0.41s ==========================",
    ].join("\n");
    expect(summary(text)).toEqual([
      { kind: "test_failure", exceptionType: "AssertionError", message: "assert False", file: "tests/test_sensor.py" },
      { kind: "test_failure", exceptionType: "KeyError", message: "'host'", file: "tests/test_hook.py" },
      { kind: "test_failure", message: "error collecting tests/test_dag.py", file: "tests/test_dag.py" },
    ]);
  });

  it("reports the closing counts when pytest printed no report (-rN)", () => {
    const text = ["tests/test_op.py .F.F                                            [100%]", "2 failed, 2 passed in 0.31s"].join("\n");
    expect(summary(text)).toEqual([{ kind: "test_failure", message: "2 failed, 2 passed in 0.31s" }]);
    expect(summary("============================== 4 passed in 0.31s ===============================")).toEqual([]);
  });

  it("reports a pytest-timeout failure as a timeout", () => {
    const text = [
      "=================================== FAILURES ===================================",
      "_________________________ test_poke_waits_for_ready __________________________",
      "tests/test_http_sensor.py:31: in test_poke_waits_for_ready",
      "    sensor.execute(context={})",
      "E   Failed: Timeout >60.0s",
      "=========================== short test summary info ============================",
      "FAILED tests/test_http_sensor.py::test_poke_waits_for_ready - Failed: Timeout >60.0s",
      "============================== 1 failed in 60.12s ==============================",
    ].join("\n");
    expect(summary(text)).toEqual([
      { kind: "timeout", exceptionType: "Failed", message: "Timeout >60.0s", file: "tests/test_http_sensor.py", line: 31 },
    ]);
  });

  it("does not report a traceback captured inside a failed test's output twice", () => {
    const text = [
      "=================================== FAILURES ===================================",
      "__________________________________ test_run ___________________________________",
      "tests/test_op.py:8: in test_run",
      "    op.execute({})",
      "E   ValueError: bad row",
      "----------------------------- Captured log call ------------------------------",
      "ERROR    airflow.task:op.py:20 failed",
      "Traceback (most recent call last):",
      '  File "/home/runner/work/r/r/operators/op.py", line 20, in execute',
      "    raise ValueError('bad row')",
      "ValueError: bad row",
      "=========================== short test summary info ============================",
      "FAILED tests/test_op.py::test_run - ValueError: bad row",
      "============================== 1 failed in 0.20s ===============================",
    ].join("\n");
    expect(summary(text)).toEqual([
      { kind: "test_failure", exceptionType: "ValueError", message: "bad row", file: "tests/test_op.py", line: 8 },
    ]);
  });
});

describe("Python tracebacks", () => {
  it("reads a SyntaxError traceback with its File header and caret lines", () => {
    const [failure, ...rest] = parseFailureText(fixtureText("dag-file-syntax-traceback.txt"));
    expect(rest).toEqual([]);
    expect(failure).toMatchObject({
      kind: "syntax",
      exceptionType: "SyntaxError",
      message: "non-default argument follows default argument",
      file: "operators/bad_syntax.py",
      line: 5,
    });
    expect(failure!.excerpt).toContain('def __init__(self, endpoint="/health", http_conn_id, **kwargs):');
    expect(failure!.excerpt).toContain("^^^^^^^^^^^^");
  });

  it("reads compileall output (a File header without Traceback)", () => {
    expect(summary(fixtureText("actions-syntax-error.log"))).toEqual([
      {
        kind: "syntax",
        exceptionType: "SyntaxError",
        message: "non-default argument follows default argument",
        file: "operators/bad_syntax.py",
        line: 5,
      },
    ]);
  });

  it("reports the exception that propagated from a chained traceback, at the innermost frame of the project", () => {
    const text = [
      "Traceback (most recent call last):",
      '  File "/home/runner/work/r/r/hooks/rest.py", line 40, in get_conn',
      "    conn = self.get_connection(self.rest_conn_id)",
      "KeyError: 'extra'",
      "",
      "During handling of the above exception, another exception occurred:",
      "",
      "Traceback (most recent call last):",
      '  File "/home/runner/work/r/r/scripts/smoke.py", line 9, in <module>',
      "    hook.get_conn()",
      '  File "/home/runner/work/r/r/hooks/rest.py", line 43, in get_conn',
      '    raise AirflowException("connection has no host")',
      '  File "/opt/hostedtoolcache/Python/3.11.10/x64/lib/python3.11/site-packages/airflow/exceptions.py", line 12, in __init__',
      "    super().__init__(message)",
      "airflow.exceptions.AirflowException: connection has no host",
    ].join("\n");
    expect(summary(text)).toEqual([
      { kind: "unknown", exceptionType: "AirflowException", message: "connection has no host", file: "hooks/rest.py", line: 43 },
    ]);
  });

  it("classifies the Airflow 2 constructor errors raised as AirflowException", () => {
    const text = [
      "Traceback (most recent call last):",
      '  File "/home/runner/work/r/r/dags/example.py", line 12, in <module>',
      '    S3ReportOperator(bucket="b")',
      "airflow.exceptions.AirflowException: missing keyword argument 'task_id'",
    ].join("\n");
    expect(summary(text)).toEqual([
      { kind: "type", exceptionType: "AirflowException", message: "missing keyword argument 'task_id'", file: "dags/example.py", line: 12 },
    ]);
  });

  it("reads an IndentationError reported by an older py_compile", () => {
    expect(summary("Sorry: IndentationError: unexpected indent (operators/op.py, line 7)")).toEqual([
      { kind: "syntax", exceptionType: "IndentationError", message: "unexpected indent", file: "operators/op.py", line: 7 },
    ]);
  });

  it("ignores a Traceback header with no exception line (a log cut mid-traceback)", () => {
    expect(summary('Traceback (most recent call last):\n  File "x.py", line 1, in <module>\n')).toEqual([]);
  });
});

describe("linters", () => {
  it("reads ruff's concise-with-source format (0.5 to 0.11)", () => {
    expect(summary(fixtureText("ruff-full-0.6.txt"))).toEqual([
      { kind: "lint", ruleCode: "F401", message: "`os` imported but unused", file: "operators/shell_export.py", line: 1 },
      { kind: "lint", ruleCode: "S105", message: 'Possible hardcoded password assigned to: "API_TOKEN"', file: "operators/shell_export.py", line: 9 },
      {
        kind: "lint",
        ruleCode: "S602",
        message: "`subprocess` call with `shell=True` identified, security issue",
        file: "operators/shell_export.py",
        line: 18,
      },
    ]);
  });

  it("reads ruff's rustc-style format (0.12+) with its code frame as excerpt", () => {
    const failures = parseFailureText(fixtureText("ruff-full-0.12.txt"));
    expect(failures.map((f) => [f.ruleCode, f.file, f.line])).toEqual([
      ["F401", "operators/shell_export.py", 1],
      ["S602", "operators/shell_export.py", 18],
      ["AIR301", "dags/example_shell_export.py", 4],
    ]);
    expect(failures[1]!.excerpt).toContain("18 |         subprocess.run(cmd, shell=True, check=True)");
  });

  it("reads ruff's github output format, raw and as the runner shows it", () => {
    const raw =
      "::error title=Ruff (S602),file=/home/runner/work/airflow-ops/airflow-ops/operators/shell_export.py,line=18,col=9,endLine=18,endColumn=23::operators/shell_export.py:18:9: S602 `subprocess` call with `shell=True` identified, security issue";
    const expected = {
      kind: "lint",
      ruleCode: "S602",
      message: "`subprocess` call with `shell=True` identified, security issue",
      file: "operators/shell_export.py",
      line: 18,
    };
    expect(summary(raw)).toEqual([expected]);
    expect(summary(fixtureText("actions-ruff.log"))[0]).toEqual(expected);
  });

  it("reads ruff syntax errors as syntax failures", () => {
    expect(summary("operators/op.py:5:44: SyntaxError: Parameter without a default cannot follow a parameter with a default")).toEqual([
      {
        kind: "syntax",
        exceptionType: "SyntaxError",
        message: "Parameter without a default cannot follow a parameter with a default",
        file: "operators/op.py",
        line: 5,
      },
    ]);
    expect(summary("operators/op.py:5:1: E999 SyntaxError: invalid syntax")[0]).toMatchObject({ kind: "syntax", ruleCode: "E999" });
  });

  it("reads flake8 and mypy lines", () => {
    expect(summary(fixtureText("flake8-mypy.txt"))).toEqual([
      { kind: "lint", ruleCode: "F401", message: "'os' imported but unused", file: "operators/shell_export.py", line: 1 },
      { kind: "lint", ruleCode: "E501", message: "line too long (96 > 79 characters)", file: "operators/shell_export.py", line: 24 },
      { kind: "lint", ruleCode: "F821", message: "undefined name 'ShellExportOperatr'", file: "dags/example_shell_export.py", line: 12 },
      { kind: "attribute", ruleCode: "attr-defined", message: '"HttpStatusOperator" has no attribute "hook"', file: "operators/http_status.py", line: 13 },
      { kind: "type", ruleCode: "call-arg", message: 'Missing named argument "task_id" for "__init__" of "BaseOperator"', file: "operators/s3_report.py", line: 8 },
    ]);
  });
});

describe("dependency resolution", () => {
  it("reads pip's ResolutionImpossible block as one conflict", () => {
    const failures = parseFailureText(fixtureText("actions-pip-resolution.log"));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      kind: "dependency_conflict",
      exceptionType: "ResolutionImpossible",
      message: "Cannot install -r requirements.txt (line 2) and pandas==2.1.4 because these package versions have conflicting dependencies.",
    });
    expect(failures[0]!.excerpt).toContain("The user requested (constraint) pandas==2.1.4");
    expect(failures[0]!.excerpt).toContain("ERROR: ResolutionImpossible");
  });

  it("reads a conflict whose Cannot-install line was cut off", () => {
    const text = [
      "The conflict is caused by:",
      "    apache-airflow 2.10.3 depends on sqlalchemy<2.0 and >=1.4.36",
      "    great-expectations 1.2.4 depends on sqlalchemy>=2.0",
      "",
      "ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/#dealing-with-dependency-conflicts",
    ].join("\n");
    expect(summary(text)).toEqual([
      {
        kind: "dependency_conflict",
        exceptionType: "ResolutionImpossible",
        message: "ResolutionImpossible",
      },
    ]);
  });

  it("reads a missing distribution once, not once per ERROR line", () => {
    const text = [
      "ERROR: Could not find a version that satisfies the requirement apache-airflow-providers-snowflak==5.8.0 (from versions: none)",
      "ERROR: No matching distribution found for apache-airflow-providers-snowflak==5.8.0",
    ].join("\n");
    expect(summary(text)).toEqual([
      {
        kind: "dependency_conflict",
        exceptionType: "DistributionNotFound",
        message: "No matching distribution found for apache-airflow-providers-snowflak==5.8.0",
      },
    ]);
  });

  it("reads pip's incompatible-install report and uv's resolver failure", () => {
    const pip = [
      "ERROR: pip's dependency resolver does not currently take into account all the packages that are installed. This behaviour is the source of the following dependency conflicts.",
      "apache-airflow 2.10.3 requires pandas<2.2,>=1.2.5, but you have pandas 2.2.3 which is incompatible.",
    ].join("\n");
    expect(summary(pip)).toEqual([
      {
        kind: "dependency_conflict",
        exceptionType: "IncompatibleInstall",
        message: "apache-airflow 2.10.3 requires pandas<2.2,>=1.2.5, but you have pandas 2.2.3 which is incompatible.",
      },
    ]);
    const uv = [
      "  × No solution found when resolving dependencies:",
      "  ╰─▶ Because apache-airflow==2.10.3 depends on pandas<2.2 and you require pandas==2.2.3, we can conclude that your requirements are unsatisfiable.",
    ].join("\n");
    expect(summary(uv)[0]).toMatchObject({
      kind: "dependency_conflict",
      message: "Because apache-airflow==2.10.3 depends on pandas<2.2 and you require pandas==2.2.3, we can conclude that your requirements are unsatisfiable.",
    });
  });
});

describe("Airflow DAG import and job timeouts", () => {
  it("reads DagBag import errors and import timeouts from Airflow's log and the Broken DAG lines", () => {
    expect(summary(fixtureText("actions-dagbag-import.log"))).toEqual([
      {
        kind: "dag_import",
        exceptionType: "ModuleNotFoundError",
        message: "No module named 'operators.s3_report'",
        file: "dags/example_s3_report.py",
        line: 6,
      },
      {
        kind: "timeout",
        exceptionType: "AirflowTaskTimeout",
        message: "DagBag import timeout for /home/runner/work/airflow-ops/airflow-ops/dags/example_model_scoring.py after 30.0s.",
        file: "operators/model_scoring.py",
        line: 22,
      },
      {
        kind: "dag_import",
        exceptionType: "ModuleNotFoundError",
        message: "No module named 'operators.s3_report'",
        file: "dags/example_s3_report.py",
        line: 6,
      },
      {
        kind: "timeout",
        exceptionType: "AirflowTaskTimeout",
        message: "DagBag import timeout for /home/runner/work/airflow-ops/airflow-ops/dags/example_model_scoring.py after 30.0s.",
        // Airflow kept only library frames here, so the DAG file is the location.
        file: "dags/example_model_scoring.py",
      },
    ]);
  });

  it("reads one-line Broken DAG messages and a bare DagBag timeout", () => {
    const text = [
      "Broken DAG: [/opt/airflow/dags/example_rest.py] ModuleNotFoundError: No module named 'hooks'",
      "ERROR - DagBag import timeout for /opt/airflow/dags/heavy.py after 30.0s.",
    ].join("\n");
    expect(summary(text)).toEqual([
      { kind: "dag_import", exceptionType: "ModuleNotFoundError", message: "No module named 'hooks'", file: "/opt/airflow/dags/example_rest.py" },
      {
        kind: "timeout",
        exceptionType: "AirflowTaskTimeout",
        message: "DagBag import timeout for /opt/airflow/dags/heavy.py after 30.0s.",
        file: "/opt/airflow/dags/heavy.py",
      },
    ]);
  });

  it("reads a job killed at the maximum execution time", () => {
    expect(summary(fixtureText("actions-job-timeout.log"))).toEqual([
      {
        kind: "timeout",
        exceptionType: "JobTimeout",
        message: "The job running on runner GitHub Actions 12 has exceeded the maximum execution time of 15 minutes.",
      },
    ]);
  });
});

describe("noise", () => {
  it("finds nothing in a passing run's log", () => {
    const text = [
      "2024-11-20T14:02:11.4419125Z ##[group]Run pytest tests",
      "2024-11-20T14:02:11.4419125Z pytest tests",
      "2024-11-20T14:02:11.4419125Z ##[endgroup]",
      "2024-11-20T14:02:12.0000000Z ============================== 5 passed in 0.41s ===============================",
      "2024-11-20T14:02:12.0000000Z Note: nothing to see",
    ].join("\n");
    expect(parseFailureText(text)).toEqual([]);
  });
});
