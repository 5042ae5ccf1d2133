import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ComponentSpec, SpecParam } from "../../src/spec/types.js";

export function param(name: string, type: string, extra: Partial<SpecParam> = {}): SpecParam {
  return { name, type, required: false, template_field: false, source: "inputs", ...extra };
}

/** A normalized spec with every list empty; tests set only what they are about. */
export function makeSpec(overrides: Partial<ComponentSpec> = {}): ComponentSpec {
  const type = overrides.component_type ?? "operator";
  return {
    name: "WeatherFetchOperator",
    description: "Fetches the weather for a city from a REST API.",
    category: "http",
    component_type: type,
    base_class: type === "sensor" ? "BaseSensorOperator" : type === "hook" ? "BaseHook" : "BaseOperator",
    airflow_version: "both",
    platforms: [],
    params: [],
    runtime_params: [],
    outputs: [],
    requirements: [],
    dependencies: [],
    template_fields: [],
    template_ext: [],
    sensor: {},
    hook: {},
    implementation_hints: [],
    prerequisites: undefined,
    examples: [],
    extra: {},
    ...overrides,
  };
}

export const weatherSpec = (): ComponentSpec =>
  makeSpec({
    params: [
      param("city", "str", { required: true, template_field: true, description: "City name" }),
      param("api_url", "str", { default: "https://api.example.com/v1", description: "Base URL" }),
      param("timeout", "int", { default: 30 }),
      param("headers", "Optional[Dict[str, str]]", { default: {}, source: "config_params" }),
    ],
    template_fields: ["city", "api_url"],
    outputs: [{ name: "temperature", type: "float", description: "Degrees Celsius" }],
    dependencies: ["requests>=2.31"],
    implementation_hints: ["Use HttpHook from apache-airflow-providers-http."],
    requirements: ["Retry on 5xx."],
  });

export const hasPython = spawnSync("python3", ["--version"]).status === 0;

/**
 * Compiles the sources with one `python3 -m py_compile` run; returns the compiler's complaint (empty when
 * every file compiles). Never imports or runs the code.
 */
export function pyCompileErrors(files: { path: string; content: string }[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), "opforge-pycompile-"));
  try {
    const paths = files.map((file, i) => {
      const path = join(dir, `${i}_${file.path.replace(/[/\\]/g, "_")}`);
      writeFileSync(path, file.content);
      return path;
    });
    const run = spawnSync("python3", ["-m", "py_compile", ...paths], { encoding: "utf8" });
    if (run.status === 0) return [];
    return [`${run.stderr}${run.stdout}`.split(dir).join("").trim() || `py_compile exited with ${run.status}`];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
