import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { anthropicProvider } from "../../src/generate/providers/anthropic.js";
import type { ModelProvider } from "../../src/generate/types.js";
import { defaultKnowledgeBase } from "../../src/knowledge/kb.js";
import { parseSpecFile } from "../../src/spec/index.js";
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

/** A spec of examples/specs (`http_operator` → examples/specs/http_operator.yaml), parsed. */
export async function exampleSpec(name: string): Promise<ComponentSpec> {
  const parsed = await parseSpecFile(new URL(`../../examples/specs/${name}.yaml`, import.meta.url).pathname);
  if (!parsed.ok) throw new Error(`${name}: ${JSON.stringify(parsed.errors)}`);
  return parsed.spec;
}

/** The newest version of the shipped knowledge base (the one the API facts of a `both` spec are read from). */
export function newestKbVersion(): { id: string; ref: string; commit: string } {
  const version = defaultKnowledgeBase()?.versions.at(-1);
  if (version === undefined) throw new Error("the knowledge base data (src/knowledge/data) is missing: run npm run kb:build");
  return { id: version.id, ref: version.ref, commit: version.commit.slice(0, 10) };
}

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

// Reads each file with Python's own parser (ast.parse: never imports or runs it) and lists names
// imported but never used, and template fields never assigned as `self.<field> = <field>` in __init__.
const AST_CHECK = String.raw`
import ast, json, sys
problems = []
for path in sys.argv[1:]:
    tree = ast.parse(open(path).read(), path)
    imported = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                imported[(alias.asname or alias.name).split(".")[0]] = node.lineno
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    used |= {n.value.id for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)}
    for name, line in imported.items():
        if name not in used:
            problems.append(f"{path}:{line}: {name} imported but unused")
    for cls in [n for n in tree.body if isinstance(n, ast.ClassDef)]:
        fields = []
        init = None
        for item in cls.body:
            if isinstance(item, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "template_fields" for t in item.targets):
                fields = [e.value for e in item.value.elts]
            if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                init = item
        assigned = set()
        if init is not None:
            for n in ast.walk(init):
                if isinstance(n, ast.Assign) and isinstance(n.value, ast.Name):
                    for t in n.targets:
                        if isinstance(t, ast.Attribute) and t.attr == n.value.id:
                            assigned.add(t.attr)
        for f in fields:
            if f not in assigned:
                problems.append(f"{path}: template field {f} is not assigned as self.{f} = {f}")
print(json.dumps(problems))
`;

export function pyAstProblems(files: { path: string; content: string }[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), "opforge-pyast-"));
  try {
    const paths = files.map((file, i) => {
      const path = join(dir, `${i}_${file.path.replace(/[/\\]/g, "_")}`);
      writeFileSync(path, file.content);
      return path;
    });
    const run = spawnSync("python3", ["-c", AST_CHECK, ...paths], { encoding: "utf8" });
    if (run.status !== 0) return [run.stderr];
    return (JSON.parse(run.stdout) as string[]).map((p) => p.split(`${dir}/`).join(""));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Where the Anthropic provider of these tests sends its requests (nock answers there). */
export const ANTHROPIC_API = "https://api.anthropic.com";

/** A recorded model reply from test/fixtures/replies. */
export function recordedReply(name: string): string {
  return readFileSync(new URL(`../fixtures/replies/${name}`, import.meta.url), "utf8");
}

export interface MessagesUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/** A Messages API response body as the API sends it: one text block, `end_turn`, and the usage given. */
export function messagesReply(text: string, usage: MessagesUsage) {
  return {
    id: "msg_01",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-5-5",
    content: [{ type: "text", text }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage,
  };
}

/** The real Anthropic provider pointed at ANTHROPIC_API, without the SDK's own retries. */
export function testAnthropic(): ModelProvider {
  return anthropicProvider({ apiKey: "sk-ant-test", baseURL: ANTHROPIC_API, maxRetries: 0 });
}
