/**
 * The knowledge-base rules on a committed set of hallucinated Airflow APIs (each with the exact finding
 * expected) and look-alike valid code that must stay clean, against the shipped knowledge base.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { repairPython, validatePython } from "../../src/python/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const target = z.union([z.literal(2), z.literal(3), z.literal("both")]).transform((t) => String(t) as "2" | "3" | "both");
const caseSchema = z.object({
  name: z.string(),
  target,
  code: z.string(),
  expect: z.array(z.object({ rule: z.string(), line: z.number(), message: z.string() })).optional(),
});
const cases = z
  .object({ hallucinations: z.array(caseSchema), valid: z.array(caseSchema) })
  .parse(parse(readFileSync(join(here, "../fixtures/python/api/cases.yaml"), "utf8")));

const API_RULES = new Set(["api-unknown-import", "api-call-arguments", "api-unknown-attribute"]);

async function apiFindings(code: string, airflowVersion: "2" | "3" | "both") {
  const report = await validatePython(code, { airflowVersion, kind: "test" });
  return report.findings.filter((f) => API_RULES.has(f.rule)).map((f) => ({ rule: f.rule, line: f.line, message: f.message, severity: f.severity }));
}

describe("hallucinated Airflow APIs", () => {
  it("holds at least 20 cases, each with its expected findings", () => {
    expect(cases.hallucinations.length).toBeGreaterThanOrEqual(20);
    for (const c of cases.hallucinations) expect(c.expect, c.name).toBeDefined();
  });

  for (const c of cases.hallucinations) {
    it(`reports: ${c.name}`, async () => {
      const found = await apiFindings(c.code, c.target);
      expect(found).toEqual((c.expect ?? []).map((e) => ({ ...e, severity: "error" })));
    });
  }
});

describe("valid look-alikes", () => {
  for (const c of cases.valid) {
    it(`stays clean: ${c.name}`, async () => {
      expect(await apiFindings(c.code, c.target)).toEqual([]);
    });
  }
});

describe("mechanical corrections", () => {
  it("--fix corrects the case of an imported hook and every use of it", async () => {
    const source = [
      "from airflow.providers.http.hooks.http import HTTPHook",
      "",
      "",
      "def call():",
      '    return HTTPHook(method="GET", http_conn_id="http_default").run("x")',
      "",
    ].join("\n");
    const repaired = await repairPython(source, { airflowVersion: "both", kind: "test" });
    expect(repaired.source).toBe(source.replaceAll("HTTPHook", "HttpHook"));
    expect(repaired.applied.map((f) => f.rule)).toContain("fix/api-unknown-import");
    expect(repaired.report.findings.filter((f) => API_RULES.has(f.rule))).toEqual([]);
  });

  it("--fix moves an import to the module's home on Airflow 3, and only warns when Airflow 2 is a target too", async () => {
    const source = "from airflow.sensors.external_task import ExternalTaskSensor\n";
    const on3 = await repairPython(source, { airflowVersion: "3", kind: "test" });
    expect(on3.source).toBe("from airflow.providers.standard.sensors.external_task import ExternalTaskSensor\n");
    const both = await validatePython(source, { airflowVersion: "both", kind: "test" });
    expect(both.findings.map((f) => [f.rule, f.severity, f.fixable, f.message])).toEqual([
      [
        "api-moved-module",
        "warning",
        false,
        "`airflow.sensors.external_task` is a deprecated alias on Airflow 3 (the module moved to `airflow.providers.standard.sensors.external_task`); for both versions use `try: from airflow.providers.standard.sensors.external_task import …` / `except ImportError: from airflow.sensors.external_task import …`",
      ],
    ]);
  });

  it("leaves a name alone when the closest real name is only a guess", async () => {
    const source = "from airflow.exceptions import AirflowTimeoutError\n";
    const repaired = await repairPython(source, { airflowVersion: "both", kind: "test" });
    expect(repaired.source).toBe(source);
  });
});
