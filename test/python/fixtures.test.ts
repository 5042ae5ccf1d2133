import { describe, expect, it } from "vitest";
import { listRules, validatePython } from "../../src/python/index.js";
import type { AirflowTarget, ComponentKind } from "../../src/python/index.js";
import { brokenSamples, compileVerdicts, python3, readFixture } from "./helpers.js";

const GOOD: [string, ComponentKind, AirflowTarget][] = [
  ["operator_v2.py", "operator", "2"],
  ["operator_v3.py", "operator", "3"],
  ["operator_both.py", "operator", "both"],
  ["sensor_v2.py", "sensor", "2"],
  ["sensor_v3.py", "sensor", "3"],
  ["sensor_both.py", "sensor", "both"],
  ["hook_v2.py", "hook", "2"],
  ["hook_v3.py", "hook", "3"],
  ["hook_both.py", "hook", "both"],
];

describe("good components", () => {
  it.each(GOOD)("%s (%s, Airflow %s) has no findings", async (file, componentType, airflowVersion) => {
    const report = await validatePython(readFixture("good", file), { componentType, airflowVersion, path: file });
    expect(report.findings).toEqual([]);
    expect(report.errors).toBe(0);
    expect(report.path).toBe(file);
  });

  it("the pytest module and the example DAG have no findings in their own kinds", async () => {
    const test = await validatePython(readFixture("good", "test_write_json_operator.py"), { kind: "test", localModules: ["operator_both"] });
    expect(test.findings).toEqual([]);
    const dag = await validatePython(readFixture("good", "example_dag.py"), { kind: "dag", localModules: ["operator_v2"] });
    expect(dag.findings).toEqual([]);
  });

  it("checked as a component, the DAG file is told it has no operator class", async () => {
    const report = await validatePython(readFixture("good", "example_dag.py"), { componentType: "operator", className: "FetchStatusOperator" });
    expect(report.findings.map((f) => f.rule)).toContain("base-class");
    expect(report.errors).toBeGreaterThan(0);
  });
});

describe("broken samples", () => {
  const samples = brokenSamples();

  it.each(samples.map((s) => [s.name, s] as const))("%s reports its rule", async (_name, sample) => {
    const report = await validatePython(sample.source, sample.options);
    const hit = report.findings.find((f) => f.rule === sample.rule);
    expect(hit, JSON.stringify(report.findings, null, 1)).toBeDefined();
    expect(hit?.line).toBeGreaterThan(0);
    expect(hit?.column).toBeGreaterThan(0);
    expect(hit?.message.length).toBeGreaterThan(20);
  });

  it("every rule has at least one broken sample", () => {
    const covered = new Set(samples.map((s) => s.rule));
    const missing = listRules().map((r) => r.id).filter((id) => !covered.has(id));
    expect(missing).toEqual([]);
  });

  it.skipIf(!python3())("syntax verdicts agree with CPython's compile()", async () => {
    const compiles = compileVerdicts(samples.map((s) => s.source));
    for (const [i, sample] of samples.entries()) {
      const report = await validatePython(sample.source, sample.options);
      const ours = report.findings.some((f) => f.category === "syntax" && f.severity === "error");
      expect(ours, sample.name).toBe(!compiles[i]);
    }
    expect(compileVerdicts(GOOD.map(([file]) => readFixture("good", file)))).toEqual(GOOD.map(() => true));
  });
});

describe("rule list", () => {
  it("describes every rule once with a category, severity and fixability", () => {
    const rules = listRules();
    expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length);
    for (const r of rules) {
      expect(["syntax", "import", "airflow", "security", "style", "limits"]).toContain(r.category);
      expect(["error", "warning"]).toContain(r.severity);
      expect(r.description.length).toBeGreaterThan(10);
    }
    expect(rules.filter((r) => r.fixable).map((r) => r.id).sort()).toEqual(
      ["airflow2-base-import", "api-moved-module", "api-unknown-import", "apply-defaults", "deprecated-import", "execute-signature", "init-kwargs", "param-order", "provide-context", "sdk-import-on-airflow2", "super-init", "template-fields-string", "undefined-name", "yaml-unsafe-load"].sort(),
    );
  });
});
