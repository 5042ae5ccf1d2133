import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ComponentSpec } from "../../src/spec/types.js";

/** A fresh temporary directory and a function that removes it. */
export function tempDir(prefix = "opforge-store-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function sampleSpec(overrides: Partial<ComponentSpec> = {}): ComponentSpec {
  return {
    name: "WeatherFetchOperator",
    description: "Fetches the forecast for a city.",
    category: "http",
    component_type: "operator",
    base_class: "BaseOperator",
    airflow_version: "2",
    platforms: [],
    params: [
      { name: "city", type: "str", required: true, template_field: true, source: "inputs" },
    ],
    runtime_params: [],
    outputs: [],
    requirements: [],
    dependencies: ["requests>=2.31"],
    template_fields: ["city"],
    template_ext: [],
    sensor: {},
    hook: {},
    implementation_hints: [],
    prerequisites: null,
    examples: [],
    extra: {},
    ...overrides,
  };
}
