import { describe, expect, it } from "vitest";
import { classifyImport, distributionsFor, normalizeDist, requirementName } from "../../src/python/dependencies.js";
import { validatePython } from "../../src/python/index.js";
import { isStdlibModule } from "../../src/python/stdlib.js";

describe("import names and distributions", () => {
  it("reads the distribution name of PEP 508 requirements", () => {
    expect(requirementName("requests[socks]>=2.31 ; python_version > '3.8'")).toBe("requests");
    expect(requirementName("PyYAML==6.0.1")).toBe("pyyaml");
    expect(normalizeDist("Google_Cloud.Storage")).toBe("google-cloud-storage");
  });

  it.each([
    ["PIL.Image", ["Pillow"]],
    ["sklearn.linear_model", ["scikit-learn"]],
    ["google.cloud.storage", ["google-cloud-storage>=2"]],
    ["google.cloud.bigquery", ["google-cloud-bigquery"]],
    ["azure.storage.blob", ["azure-storage-blob"]],
    ["bs4", ["beautifulsoup4"]],
    ["jwt", ["PyJWT"]],
    ["boto3", ["apache-airflow-providers-amazon"]],
    ["airflow.providers.amazon.aws.hooks.s3", ["apache-airflow-providers-amazon>=8"]],
    ["airflow.providers.apache.hive.hooks.hive", ["apache-airflow-providers-apache-hive"]],
    ["snowflake.connector", ["snowflake-connector-python"]],
  ])("%s is declared by %j", (module, deps) => {
    expect(classifyImport(module, false, deps).status).toBe("declared");
  });

  it("maps import names to distribution names", () => {
    expect(distributionsFor("yaml")).toContain("pyyaml");
    expect(distributionsFor("dateutil.tz")).toContain("python-dateutil");
    expect(distributionsFor("google.cloud.storage")).toContain("google-cloud-storage");
    expect(distributionsFor("cv2")).toContain("opencv-python");
  });

  it("knows stdlib, Airflow and what Airflow installs", () => {
    expect(classifyImport("json", isStdlibModule("json"), []).status).toBe("stdlib");
    expect(isStdlibModule("tomllib")).toBe(true);
    expect(isStdlibModule("yaml")).toBe(false);
    expect(classifyImport("airflow.models", false, []).status).toBe("airflow");
    expect(classifyImport("requests", false, []).status).toBe("airflow");
    expect(classifyImport("airflow.providers.http.hooks.http", false, []).status).toBe("airflow");
    expect(classifyImport("airflow.providers.slack.hooks.slack", false, []).status).toBe("undeclared");
  });

  it("reports what no dependency provides", () => {
    expect(classifyImport("google.cloud.storage", false, ["google-cloud-bigquery"]).status).toBe("undeclared");
    expect(classifyImport("boto3", false, ["requests"]).status).toBe("undeclared");
  });
});

describe("the undeclared-import rule", () => {
  it("is an error for a plain import the spec does not declare, a warning when guarded or without a spec", async () => {
    const source = "import boto3\n\ntry:\n    import ujson\nexcept ImportError:\n    ujson = None\n";
    const withSpec = await validatePython(source, { kind: "test", dependencies: ["requests"] });
    expect(withSpec.findings.map((f) => `${f.rule} ${f.severity} ${f.line}`)).toEqual(["undeclared-import error 1", "undeclared-import warning 4"]);
    expect(withSpec.findings[0]?.message).toContain("add 'boto3' to dependencies");
    const declared = await validatePython(source, { kind: "test", dependencies: ["boto3", "ujson"] });
    expect(declared.findings).toEqual([]);
    const noSpec = await validatePython(source, { kind: "test" });
    expect(noSpec.findings.every((f) => f.severity === "warning")).toBe(true);
  });

  it("leaves relative and sibling imports alone", async () => {
    const report = await validatePython("from . import helpers\nfrom .utils import x\nimport my_hook\n", { kind: "test", dependencies: [], localModules: ["my_hook"] });
    expect(report.findings).toEqual([]);
  });
});

describe("Airflow import paths", () => {
  it("flags the 2.x base import for Airflow 3 but not inside try/except ImportError", async () => {
    const unguarded = await validatePython("from airflow.models import BaseOperator\n", { kind: "dag", airflowVersion: "3" });
    expect(unguarded.findings.map((f) => `${f.rule} ${f.severity}`)).toEqual(["airflow2-base-import warning"]);
    const guarded = await validatePython(
      "try:\n    from airflow.sdk import BaseOperator\nexcept ImportError:\n    from airflow.models import BaseOperator\n",
      { kind: "dag", airflowVersion: "both" },
    );
    expect(guarded.findings).toEqual([]);
    const onlyTwo = await validatePython("from airflow.models import BaseOperator\n", { kind: "dag", airflowVersion: "2" });
    expect(onlyTwo.findings).toEqual([]);
  });

  it("grades moved modules by target: an error where Airflow 3 removed them, a warning on 2", async () => {
    const source = "from airflow.hooks.base_hook import BaseHook\n";
    const on3 = await validatePython(source, { kind: "dag", airflowVersion: "3" });
    expect(on3.findings.map((f) => `${f.rule} ${f.severity}`)).toEqual(["deprecated-import error"]);
    expect(on3.findings[0]?.message).toContain("`airflow.hooks.base`");
    const on2 = await validatePython(source, { kind: "dag", airflowVersion: "2" });
    expect(on2.findings.map((f) => `${f.rule} ${f.severity}`)).toEqual(["deprecated-import warning"]);
  });
});
