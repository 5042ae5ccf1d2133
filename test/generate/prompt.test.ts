import { describe, expect, it } from "vitest";
import { buildPrompt, STATIC_SYSTEM_TEXT } from "../../src/generate/prompt/index.js";
import type { LearnedContextItem } from "../../src/generate/types.js";
import { API_FACTS_HEADING } from "../../src/knowledge/ground.js";
import { exampleSpec, makeSpec, newestKbVersion, param, weatherSpec } from "./helpers.js";

const item = (title: string, body: string, extra: Partial<LearnedContextItem> = {}): LearnedContextItem => ({
  kind: "pattern",
  title,
  body,
  reason: "same category",
  ...extra,
});

describe("buildPrompt", () => {
  it("keeps the static system text identical across specs and marks it cacheable", () => {
    const a = buildPrompt(weatherSpec(), { learned: [] }).prompt;
    const b = buildPrompt(makeSpec({ name: "OtherSensor", component_type: "sensor", airflow_version: "3" }), { learned: [] }).prompt;
    expect(a.system[0]).toEqual({ text: STATIC_SYSTEM_TEXT, cache: true });
    expect(b.system[0]).toEqual(a.system[0]);
    expect(a.system[1]?.cache).toBe(true);
    expect(a.system[1]?.text).not.toEqual(b.system[1]?.text);
    expect(a.system.map((s) => s.text).join("\n")).not.toContain("WeatherFetchOperator");
  });

  it("states the Airflow conventions and the reply format", () => {
    for (const rule of [
      "def __init__(self, *, arg1: T1, arg2: T2 = default, **kwargs: Any) -> None:",
      "super().__init__(**kwargs)",
      "Never use `apply_defaults`",
      "Nothing expensive in `__init__`",
      "`template_fields` is a tuple of strings",
      "`execute(self, context: Context)`",
      "never call `time.sleep`",
      "`conn_name_attr`, `default_conn_name`, `conn_type` and `hook_name`",
      "`execution_date`, `next_ds`, `prev_ds`",
      "Prefer provider hooks over raw clients",
      "```python file=component",
      "```python file=test",
      "```python file=dag",
    ]) {
      expect(STATIC_SYSTEM_TEXT).toContain(rule);
    }
  });

  it("puts version-specific imports in their own block, with the try/except fallback for both", () => {
    const both = buildPrompt(weatherSpec(), { learned: [] }).prompt.system[1]?.text ?? "";
    expect(both).toContain("try:\n    from airflow.sdk import BaseOperator\nexcept ImportError:\n    from airflow.models.baseoperator import BaseOperator");
    const two = buildPrompt(weatherSpec(), { learned: [], airflowVersion: "2" }).prompt;
    expect(two.system[1]?.text).toContain("# Target: Airflow 2.9 / 2.10");
    expect(two.system[1]?.text).not.toContain("from airflow.sdk import BaseOperator");
    expect(two.target).toEqual({ airflowVersion: "2", componentModule: "weather_fetch_operator" });
    expect(two.user).toContain("- target Airflow: 2.x");
  });

  it("renders the whole spec in the user part", () => {
    const spec = weatherSpec();
    spec.prerequisites = { connections: ["weather_default"], env: ["WEATHER_API_KEY"] };
    spec.examples = [{ description: "Daily fetch", code: 'WeatherFetchOperator(task_id="w", city="Oslo")' }];
    spec.runtime_params = [{ name: "units", type: "string", enum: ["metric", "imperial"] }];
    spec.params.push(param("verify", "bool", { default: true }), param("proxy", "Optional[str]", { default: null }));
    const { user } = buildPrompt(spec, { learned: [], componentModule: "operators.weather_fetch_operator" }).prompt;
    for (const part of [
      "# Component spec: WeatherFetchOperator",
      "- component type: operator (base class `BaseOperator`)",
      "(module `operators.weather_fetch_operator`)",
      "- `city` (`str`, required, templated): City name",
      '- `headers` (`Optional[Dict[str, str]]`, optional, default {})',
      "## template_fields: `city`, `api_url`",
      "- `verify` (`bool`, optional, default True)",
      "- `proxy` (`Optional[str]`, optional, default None)",
      "- `temperature` (`float`): Degrees Celsius",
      "## Implementation hints\n- Use HttpHook from apache-airflow-providers-http.",
      "## Python dependencies (PEP 508)\n- `requests>=2.31`",
      "## Requirements\n- Retry on 5xx.",
      "connections:\n  - weather_default\nenv:\n  - WEATHER_API_KEY",
      'Daily fetch\n```python\nWeatherFetchOperator(task_id="w", city="Oslo")\n```',
      "- name: units\n  type: string\n  enum:\n    - metric",
    ]) {
      expect(user).toContain(part);
    }
    expect(user).not.toContain("# Learned context");
    expect(user).not.toContain("# Retry");
  });

  it("fits learned context into the token budget, skipping items that do not fit, and says which were used", () => {
    const small1 = item("use HttpHook", "x".repeat(200));
    const huge = item("giant example", "y".repeat(8000), { kind: "fix" });
    const small2 = item("requests pin", "z".repeat(200), { kind: "library", ref: "library:requests" });
    const built = buildPrompt(weatherSpec(), { learned: [small1, huge, small2], tokenBudget: 300 });
    expect(built.learnedUsed).toEqual([small1, small2]);
    expect(built.learnedDropped).toEqual([huge]);
    expect(built.prompt.user).toContain("### pattern: use HttpHook\nWhy it is here: same category\n");
    expect(built.prompt.user).toContain("### library: requests pin [library:requests]");
    expect(built.prompt.user).not.toContain("giant example");
    const section = built.prompt.user.slice(built.prompt.user.indexOf("# Learned context"));
    expect(Math.ceil(section.length / 4)).toBeLessThanOrEqual(300 + 40);
  });

  it("renders a patch retry with previous files, failures and guidance", () => {
    const built = buildPrompt(weatherSpec(), {
      learned: [],
      retry: {
        attempt: 2,
        strategy: "patch",
        previousFiles: [{ role: "component", path: "weather_fetch_operator.py", content: "class WeatherFetchOperator:\n    pass\n" }],
        failures: ["AIR001 line 3: template field 'city' is never assigned"],
        guidance: "Use the weather_default connection.",
      },
    });
    const { user } = built.prompt;
    expect(user).toContain("# Retry: attempt 2");
    expect(user).toContain("Change only what the failures require");
    expect(user).toContain("- AIR001 line 3: template field 'city' is never assigned");
    expect(user).toContain("## Guidance from a maintainer (follow it)\nUse the weather_default connection.");
    expect(user).toContain("weather_fetch_operator.py:\n```python file=component\nclass WeatherFetchOperator:\n    pass\n```");
  });

  it("renders a regenerate retry as a fresh start", () => {
    const { user } = buildPrompt(makeSpec({ params: [param("a", "int")] }), {
      learned: [],
      retry: { attempt: 2, strategy: "regenerate", previousFiles: [], failures: ["truncated: cut off"] },
    }).prompt;
    expect(user).toContain("Strategy: regenerate. Write the files fresh from the spec");
    expect(user).not.toContain("## Previous files");
  });

  it("uses maxTokens from the context, 8192 by default", () => {
    expect(buildPrompt(weatherSpec(), { learned: [] }).prompt.maxTokens).toBe(8192);
    expect(buildPrompt(weatherSpec(), { learned: [], maxTokens: 16000 }).prompt.maxTokens).toBe(16000);
  });
});

describe("the Airflow API facts section", () => {
  it("follows the spec with the base class and the hooks it names, as Airflow's source defines them", async () => {
    const spec = await exampleSpec("http_operator");
    const built = buildPrompt(spec, { learned: [], componentModule: "operators.http_api_operator" });
    const { user } = built.prompt;
    expect(built.apiFacts.map((f) => f.name)).toEqual(["BaseOperator", "HttpHook"]);
    expect(built.apiFactsDropped).toEqual([]);
    const at = user.indexOf(API_FACTS_HEADING);
    expect(at).toBeGreaterThan(user.indexOf("## Implementation hints"));
    expect(at).toBeLessThan(user.indexOf("Write the three files for `HttpApiOperator` now"));
    const kb = newestKbVersion();
    expect(user).toContain(
      `# Airflow API facts (from Airflow's source; use exactly these names and parameters)\n\nImport paths and signatures as Airflow's source defines them, read from Airflow ${kb.id} (\`${kb.ref}\` @ ${kb.commit}). Use these classes where the spec needs them, with exactly these import paths, argument names and methods; do not call members of them that are not listed here unless you are sure they exist.\n\n`,
    );
    expect(user).toContain(
      "## BaseOperator: base class of this operator\n```python\ntry:\n    from airflow.sdk import BaseOperator\nexcept ImportError:\n    from airflow.models.baseoperator import BaseOperator\n```\n",
    );
    expect(user).toContain("- `execute(self, context: Context)`\n");
    expect(user).toContain(
      '## HttpHook (hook): named in the requirements, implementation hints and description; implied by the dependency apache-airflow-providers-http and the category "http"\n`from airflow.providers.http.hooks.http import HttpHook`\n',
    );
    expect(user).toContain('- `conn_name_attr = "http_conn_id"`, `default_conn_name = "http_default"`, `conn_type = "http"`');
  });

  it("keeps to its own budget and says which facts it left out", async () => {
    const spec = await exampleSpec("postgres_to_s3_operator");
    const built = buildPrompt(spec, { learned: [], apiFactsBudget: 900 });
    expect(built.apiFacts.map((f) => f.name)).toEqual(["BaseOperator", "PostgresHook", "S3Hook"]);
    expect(built.apiFactsDropped.map((f) => f.name)).toEqual(["SQLExecuteQueryOperator"]);
    const user = built.prompt.user;
    const section = user.slice(user.indexOf(API_FACTS_HEADING)).split("\n\n# ")[0] ?? "";
    expect(Math.ceil(section.length / 4)).toBeLessThanOrEqual(900);
  });

  it("is left out without a knowledge base", () => {
    const built = buildPrompt(weatherSpec(), { learned: [], knowledgeBase: null });
    expect(built.prompt.user).not.toContain(API_FACTS_HEADING);
    expect(built.apiFacts).toEqual([]);
  });
});
