import { describe, expect, it } from "vitest";
import { STDLIB_FALLBACKS } from "../../../src/learn/libraries/index.js";
import { validatePython } from "../../../src/python/index.js";
import type { ValidateOptions } from "../../../src/python/index.js";

/** A minimal operator module around a snippet, the way a generated component would carry it. */
function wrap(snippet: string): string {
  return `"""Uses a stdlib fallback instead of a third-party client."""
from airflow.models import BaseOperator
${snippet}

class FallbackOperator(BaseOperator):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)

    def execute(self, context):
        return None
`;
}

const options: ValidateOptions = { kind: "component", componentType: "operator", airflowVersion: "2", dependencies: [] };

describe("stdlib fallbacks", () => {
  it.each(STDLIB_FALLBACKS.map((f) => [f.name, f.snippet]))("%s passes the validator with only stdlib imports", async (name, snippet) => {
    expect(snippet).toContain(`def ${name}(`);
    const report = await validatePython(wrap(snippet), { ...options, path: `${name}.py` });
    expect(report.findings.filter((f) => f.severity === "error")).toEqual([]);
    expect(report.findings.filter((f) => f.rule === "undeclared-import")).toEqual([]);
  });

  it("would be caught if a snippet imported a third-party library", async () => {
    const report = await validatePython(wrap("import boto3\n\n\ndef list_keys(bucket):\n    return boto3.client(\"s3\").list_objects_v2(Bucket=bucket)\n"), options);
    expect(report.findings.filter((f) => f.rule === "undeclared-import" && f.severity === "error")).toHaveLength(1);
  });
});
