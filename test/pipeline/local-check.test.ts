import { describe, expect, it } from "vitest";
import type { GeneratedFile } from "../../src/generate/types.js";
import { LocalCheck } from "../../src/pipeline/local-check.js";
import { parseSpecText } from "../../src/spec/index.js";

const parsed = parseSpecText(
  `name: HeadersOperator
description: Sends headers somewhere.
component_type: operator
airflow_version: "3"
inputs:
  - name: headers
    type: Optional[Dict[str, str]]
    default: null
    template_field: true
`,
  { source: "yaml" },
);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
const spec = parsed.spec;

function component(assignment: string): GeneratedFile {
  return {
    role: "component",
    path: "headers_operator.py",
    content: `from __future__ import annotations

from typing import Any, Dict, Optional

from airflow.sdk import BaseOperator


class HeadersOperator(BaseOperator):
    template_fields = ("headers",)

    def __init__(self, *, headers: Optional[Dict[str, str]] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        ${assignment}

    def execute(self, context: Any) -> Any:
        self.log.info("headers: %s", self.headers)
        return self.headers
`,
  };
}

describe("the local check of generated files", () => {
  it("passes a component whose template field is assigned directly", async () => {
    const result = await new LocalCheck().check([component("self.headers = headers")], spec);
    expect(result.ok).toBe(true);
  });

  it("fails a generated component whose template field is not assigned as is, naming the rule for the next attempt", async () => {
    const result = await new LocalCheck().check([component("self.headers = headers or {}")], spec);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.failures.join("\n")).toMatch(/headers_operator\.py:\d+:\d+: template-field-unassigned: /);
  });
});
