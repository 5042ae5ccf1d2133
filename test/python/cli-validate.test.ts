import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CliIo } from "../../src/cli/io.js";
import { inferKind, validateCommand } from "../../src/cli/validate.js";
import { listRules } from "../../src/python/index.js";
import { FIXTURES } from "./helpers.js";

let dir: string;

function io(): CliIo & { out: string; err: string } {
  const captured = {
    out: "",
    err: "",
    stdout: (t: string) => {
      captured.out += t;
    },
    stderr: (t: string) => {
      captured.err += t;
    },
    cwd: dir,
    env: {},
  };
  return captured;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "opforge-validate-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function put(path: string, text: string): void {
  mkdirSync(join(dir, path, ".."), { recursive: true });
  writeFileSync(join(dir, path), text);
}

const BROKEN_OPERATOR = `from airflow.models.baseoperator import BaseOperator


class SizeOperator(BaseOperator):
    template_fields = ("path")

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def execute(self, context):
        return len(self.path)
`;

describe("opforge validate", () => {
  it("prints its help and exits 0", async () => {
    const c = io();
    expect(await validateCommand(["--help"], c)).toBe(0);
    expect(c.out).toContain("Usage: opforge validate <file|dir>...");
    expect(c.out).toContain("--sarif");
  });

  it.each([
    [[], "name at least one file or directory"],
    [["a.py", "--json", "--sarif"], "--json and --sarif cannot be combined"],
    [["a.py", "--airflow", "4"], '--airflow must be 2, 3 or both, not "4"'],
    [["a.py", "--bogus"], "Unknown option '--bogus'"],
  ])("usage error %j exits 2", async (argv, message) => {
    const c = io();
    expect(await validateCommand(argv as string[], c)).toBe(2);
    expect(c.err).toContain(message);
  });

  it("names an unreadable file and exits 2, still checking the others", async () => {
    cpSync(join(FIXTURES, "good", "operator_v2.py"), join(dir, "operator_v2.py"));
    const c = io();
    expect(await validateCommand(["operator_v2.py", "missing.py", "--airflow", "2"], c)).toBe(2);
    expect(c.err).toContain("opforge validate: cannot read missing.py: no such file or directory");
    expect(c.out).toContain("1 file checked: 0 errors, 0 warnings");
  });

  it("exits 0 on a good component and 1 on a broken one, with file:line:column findings", async () => {
    cpSync(join(FIXTURES, "good", "operator_v2.py"), join(dir, "good.py"));
    put("bad.py", BROKEN_OPERATOR);
    const good = io();
    expect(await validateCommand(["good.py", "--airflow", "2"], good)).toBe(0);
    const bad = io();
    expect(await validateCommand(["bad.py", "--airflow", "2"], bad)).toBe(1);
    expect(bad.out).toContain("bad.py:5:23: error [template-fields-string]");
    expect(bad.out).toContain("bad.py:7:17: error [init-kwargs]");
    expect(bad.out).toMatch(/1 file checked: 2 errors, 0 warnings\n$/);
  });

  it("--json prints exactly files[].{path, findings[].{rule, category, severity, line, column, message, fixable}}", async () => {
    put("pkg/bad.py", BROKEN_OPERATOR);
    put("pkg/tests/test_bad.py", "import pytest\n\n\ndef test_it():\n    assert missing_name\n");
    put("pkg/dags/example.py", "from airflow import DAG\n\nVALUE = Variable.get('x')\n");
    put("pkg/notes.txt", "not python");
    const c = io();
    expect(await validateCommand(["pkg", "--json", "--airflow", "2"], c)).toBe(1);
    const parsed = JSON.parse(c.out) as { files: { path: string; findings: Record<string, unknown>[] }[] };
    expect(Object.keys(parsed)).toEqual(["files"]);
    expect(parsed.files.map((f) => f.path)).toEqual([join("pkg", "bad.py"), join("pkg", "dags", "example.py"), join("pkg", "tests", "test_bad.py")]);
    for (const file of parsed.files) {
      expect(Object.keys(file)).toEqual(["path", "findings"]);
      for (const f of file.findings) expect(Object.keys(f)).toEqual(["rule", "category", "severity", "line", "column", "message", "fixable"]);
    }
    expect(parsed.files[0]?.findings.map((f) => f.rule)).toEqual(["template-fields-string", "init-kwargs"]);
    // The DAG file: Variable is undefined; structure rules do not apply to it.
    expect(parsed.files[1]?.findings.map((f) => f.rule)).toEqual(["module-level-work", "undefined-name"]);
    // The test module: no Airflow structure rules, pytest is known.
    expect(parsed.files[2]?.findings.map((f) => f.rule)).toEqual(["undefined-name"]);
  });

  it("--sarif writes SARIF 2.1.0 that GitHub code scanning reads", async () => {
    put("bad.py", BROKEN_OPERATOR);
    const c = io();
    expect(await validateCommand(["bad.py", "--sarif", "--airflow", "2"], c)).toBe(1);
    const log = JSON.parse(c.out);
    expect(log.version).toBe("2.1.0");
    expect(log.$schema).toContain("sarif-2.1.0");
    const run = log.runs[0];
    expect(run.tool.driver.name).toBe("opforge");
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual(listRules().map((r) => r.id));
    expect(run.tool.driver.rules[0].shortDescription.text.length).toBeGreaterThan(10);
    expect(run.results).toHaveLength(2);
    const [first] = run.results;
    expect(first.ruleId).toBe("template-fields-string");
    expect(first.level).toBe("error");
    expect(first.message.text).toContain("not a tuple");
    expect(run.tool.driver.rules[first.ruleIndex].id).toBe("template-fields-string");
    expect(first.locations[0].physicalLocation).toEqual({ artifactLocation: { uri: "bad.py" }, region: { startLine: 5, startColumn: 23 } });
  });

  it("--fix rewrites the file in place and says what changed", async () => {
    put("bad.py", BROKEN_OPERATOR);
    const c = io();
    expect(await validateCommand(["bad.py", "--fix", "--airflow", "2"], c)).toBe(0);
    const fixed = readFileSync(join(dir, "bad.py"), "utf8");
    expect(fixed).toContain('template_fields = ("path",)');
    expect(fixed).toContain("def __init__(self, path: str, **kwargs) -> None:\n        super().__init__(**kwargs)\n");
    expect(c.out).toContain("bad.py:7: fixed init-kwargs: added **kwargs to SizeOperator.__init__");
    expect(c.out).toContain("bad.py:5: fixed template-fields-string");
    expect(c.out).toMatch(/1 file checked: 0 errors, 0 warnings, 3 fixes applied\n$/);
    const again = io();
    expect(await validateCommand(["bad.py", "--fix", "--airflow", "2"], again)).toBe(0);
    expect(readFileSync(join(dir, "bad.py"), "utf8")).toBe(fixed);
  });

  it("--spec brings dependencies, component type, Airflow version and class name", async () => {
    cpSync(join(FIXTURES, "spec-fetch-status.yaml"), join(dir, "spec.yaml"));
    cpSync(join(FIXTURES, "good", "operator_v2.py"), join(dir, "fetch_status.py"));
    const ok = io();
    expect(await validateCommand(["fetch_status.py", "--spec", "spec.yaml"], ok)).toBe(0);
    put("other.py", "import boto3\nfrom airflow.models.baseoperator import BaseOperator\n\n\nclass OtherOperator(BaseOperator):\n    def execute(self, context):\n        return boto3\n");
    const c = io();
    expect(await validateCommand(["other.py", "--spec", "spec.yaml", "--json"], c)).toBe(1);
    const rules = JSON.parse(c.out).files[0].findings.map((f: { rule: string; severity: string }) => `${f.rule}:${f.severity}`);
    expect(rules).toEqual(["base-class:error", "undeclared-import:error"]);
  });

  it("--spec with an invalid or missing spec is a usage error naming it", async () => {
    put("a.py", "x = 1\n");
    put("bad-spec.yaml", "name: 12\n");
    const missing = io();
    expect(await validateCommand(["a.py", "--spec", "nope.yaml"], missing)).toBe(2);
    expect(missing.err).toContain("cannot read spec nope.yaml");
    const invalid = io();
    expect(await validateCommand(["a.py", "--spec", "bad-spec.yaml"], invalid)).toBe(2);
    expect(invalid.err).toContain("spec bad-spec.yaml is invalid");
  });
});

describe("kind inference", () => {
  it.each([
    ["tests/test_op.py", "x = 1", "test"],
    ["op_test.py", "x = 1", "test"],
    ["dags/example.py", "x = 1", "dag"],
    ["example.py", "with DAG('x') as dag:\n    pass", "dag"],
    ["example.py", "@dag(schedule=None)\ndef pipeline():\n    pass", "dag"],
    ["operators/my_operator.py", "class A: pass", "component"],
  ])("%s → %s", (path, source, kind) => {
    expect(inferKind(path, source)).toBe(kind);
  });
});
