import { describe, expect, it } from "vitest";
import { renderScaffold, SCAFFOLD_HEADER } from "../../src/generate/scaffold/index.js";
import type { ComponentSpec } from "../../src/spec/types.js";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { exampleSpec, hasPython, makeSpec, param, pyAstProblems, pyCompileErrors, weatherSpec } from "./helpers.js";

function files(spec: ComponentSpec, target = spec.airflow_version, module?: string) {
  const [component, test, dag] = renderScaffold(spec, target, module);
  if (!component || !test || !dag) throw new Error("scaffold rendered fewer than three files");
  return { component: component.content, test: test.content, dag: dag.content, all: [component, test, dag] };
}

const oddSpecs: [string, ComponentSpec][] = [
  ["no inputs at all", makeSpec({ name: "NoopOperator", description: "" })],
  [
    "string defaults with quotes, backslashes, newlines and triple quotes",
    makeSpec({
      name: "QuoteOperator",
      description: 'Says "hi" with \\n escapes\nand """triple""" quotes ending in a quote"',
      params: [
        param("greeting", "str", { default: 'He said "hello"\nthen \'bye\' \\ done """' }),
        param("pattern", "str", { default: "^\\d+$", description: 'A regex, e.g. "\\d"' }),
        param("empty", "str", { default: "" }),
      ],
      template_fields: ["greeting"],
    }),
  ],
  [
    "Dict and List defaults, Optional types, None defaults, odd type text",
    makeSpec({
      name: "MutableDefaultsOperator",
      params: [
        param("headers", "Dict[str, Any]", { default: { "Content-Type": "application/json", nested: { a: [1, 2] } } }),
        param("tags", "List[str]", { default: ["a", "b"] }),
        param("limit", "Optional[int]", { default: null }),
        param("ratio", "float", { default: 0.25 }),
        param("enabled", "bool", { default: false }),
        param("mystery", "a list of strings!", { required: true }),
        param("union", "str | None"),
        param("literal", 'Literal["a", "b"]', { default: "a" }),
        param("class", "str", { required: true, description: "a Python keyword as a name" }),
        param("self", "str", { default: "me" }),
        param("kwargs", "Dict[str, Any]", { default: {} }),
        param("log", "bool", { default: true }),
        param("output", "str", { required: true }),
      ],
      template_fields: ["headers", "class", "output"],
    }),
  ],
  [
    "a sensor whose settings are config params and top-level keys",
    makeSpec({
      name: "QueueDepthSensor",
      component_type: "sensor",
      params: [
        param("queue_name", "str", { required: true }),
        param("poke_interval", "int", { default: 30, source: "config_params" }),
        param("mode", "str", { default: "reschedule", source: "config_params" }),
      ],
      template_fields: ["queue_name"],
      sensor: { poke_interval: 30, timeout: 3600, mode: "reschedule" },
    }),
  ],
  [
    "a hook without dependencies and with its own conn id param",
    makeSpec({
      name: "InventoryHook",
      component_type: "hook",
      params: [param("inventory_conn_id", "str", { required: true }), param("page_size", "int", { default: 100 })],
      hook: { conn_type: "http", hook_name: "Inventory" },
      template_fields: ["page_size"],
    }),
  ],
  [
    "backticks in the description and a template field that is not an input",
    makeSpec({
      name: "FenceOperator",
      description: "Runs ```code``` blocks",
      params: [param("sql", "str", { required: true })],
      template_fields: ["sql", "not_an_input"],
      template_ext: [".sql"],
    }),
  ],
];

describe("scaffold output compiles", () => {
  // One python3 run per spec covers the three targets, to keep the suite fast.
  it.each(oddSpecs)("for %s (Airflow 2, 3 and both)", (_label, spec) => {
    const all = (["2", "3", "both"] as const).flatMap((target) =>
      files(spec, target).all.map((f) => ({ ...f, path: `${target}/${f.path}` })),
    );
    for (const file of all) expect(file.content.startsWith(`${SCAFFOLD_HEADER}\n`)).toBe(true);
    if (hasPython) {
      expect(pyCompileErrors(all)).toEqual([]);
      expect(pyAstProblems(all)).toEqual([]);
    }
  });
});

describe("scaffold operator", () => {
  const out = files(weatherSpec());

  it("imports the base class with the Airflow 3 / 2 fallback for 'both'", () => {
    expect(out.component).toContain(
      "try:\n    from airflow.sdk import BaseOperator\nexcept ImportError:\n    from airflow.models.baseoperator import BaseOperator\n",
    );
  });

  it("imports only the target version's module for '2' and '3'", () => {
    expect(files(weatherSpec(), "2").component).toContain("\nfrom airflow.models.baseoperator import BaseOperator\n");
    expect(files(weatherSpec(), "2").component).not.toContain("airflow.sdk");
    expect(files(weatherSpec(), "3").component).toContain("\nfrom airflow.sdk import BaseOperator\n");
    expect(files(weatherSpec(), "3").component).not.toContain("airflow.models");
  });

  it("has a keyword-only constructor passing **kwargs on, with mutable defaults set in __init__", () => {
    expect(out.component).toContain(
      [
        "    def __init__(",
        "        self,",
        "        *,",
        "        city: str,",
        '        api_url: str = "https://api.example.com/v1",',
        "        timeout: int = 30,",
        "        headers: Optional[Dict[str, str]] = None,",
        "        **kwargs: Any,",
        "    ) -> None:",
        "        super().__init__(**kwargs)",
        "        if headers is None:",
        "            headers = {}",
        "        self.city = city",
        "        self.api_url = api_url",
        "        self.timeout = timeout",
        "        self.headers = headers",
      ].join("\n"),
    );
    expect(out.component).not.toContain("apply_defaults");
  });

  it("declares template fields as a tuple and documents every param", () => {
    expect(out.component).toContain('    template_fields = ("city", "api_url")\n');
    expect(out.component).toContain("    :param city: City name (str, required, templated)\n");
    expect(out.component).toContain("Scaffold to complete: execute() only logs and returns its templated values.");
  });

  it("executes by logging and returning the templated values and the declared outputs", () => {
    expect(out.component).toContain("    def execute(self, context: Context) -> dict[str, Any]:");
    expect(out.component).toContain('            "temperature": None,  # TODO: Degrees Celsius\n');
    expect(out.component).toContain("self.log.info(");
    expect(out.test).toContain('    assert "temperature" in result\n');
  });

  it("writes a test that constructs with task_id and the required args and checks defaults", () => {
    expect(out.test).toContain("from weather_fetch_operator import WeatherFetchOperator\n");
    expect(out.test).toContain('        task_id="test_weather_fetch_operator",\n        city="example",\n');
    expect(out.test).toContain("    assert component.timeout == 30\n    assert component.headers == {}\n");
    expect(out.test).toContain('    assert tuple(WeatherFetchOperator.template_fields) == ("city", "api_url")\n');
  });

  it("writes an example DAG for 2.x and 3.x with schedule=None and a fixed start date", () => {
    expect(out.dag).toContain("try:\n    from airflow.sdk import DAG\nexcept ImportError:\n    from airflow import DAG\n");
    expect(out.dag).toContain("    schedule=None,\n    start_date=datetime.datetime(2025, 1, 1),\n");
    expect(out.dag).toContain('    WeatherFetchOperator(\n        task_id="weather_fetch_operator",\n        city="example",\n');
  });

  it("uses the component module it is given in the test and DAG imports", () => {
    const placed = files(weatherSpec(), "both", "operators.weather_fetch_operator");
    expect(placed.test).toContain("from operators.weather_fetch_operator import WeatherFetchOperator\n");
    expect(placed.dag).toContain("from operators.weather_fetch_operator import WeatherFetchOperator\n");
  });

  it("renders a class without arguments as def __init__(self, **kwargs)", () => {
    const bare = files(makeSpec({ name: "NoopOperator" }));
    expect(bare.component).toContain("    def __init__(self, **kwargs: Any) -> None:\n        super().__init__(**kwargs)\n");
    expect(bare.component).toContain("    template_fields = ()\n");
  });

  it("renames arguments that would clash with Python or the base class, keeping template fields in step", () => {
    const out = files(oddSpecs[2]![1]);
    expect(out.component).toContain('    template_fields = ("headers", "class_", "output_")\n');
    for (const line of ["        self.self_ = self_\n", "        self.kwargs_ = kwargs_\n", "        self.log_ = log_\n", "        self.output_ = output_\n"]) {
      expect(out.component).toContain(line);
    }
  });
});

describe("scaffold sensor", () => {
  it("checks a path parameter's existence without sleeping, and tests both outcomes", () => {
    const spec = makeSpec({
      name: "ReportFileSensor",
      component_type: "sensor",
      params: [param("filepath", "str", { required: true, template_field: true })],
      template_fields: ["filepath"],
      sensor: { poke_interval: 45, mode: "reschedule" },
    });
    const out = files(spec);
    expect(out.component).toContain("from airflow.sdk import BaseSensorOperator\nexcept ImportError:\n    from airflow.sensors.base import BaseSensorOperator");
    expect(out.component).toContain('        kwargs.setdefault("poke_interval", 45)\n        kwargs.setdefault("mode", "reschedule")\n        super().__init__(**kwargs)');
    expect(out.component).toContain("        exists = os.path.exists(str(self.filepath))\n");
    expect(out.component).not.toMatch(/\bsleep\(/);
    expect(out.test).toContain("    sensor = make_component(filepath=str(target))\n    assert sensor.poke(context={}) is False\n");
    expect(out.test).toContain("    assert component.poke_interval == 45\n");
  });

  it("returns False with a log line when the spec gives no condition", () => {
    const out = files(
      makeSpec({ name: "JobDoneSensor", component_type: "sensor", params: [param("job_id", "str", { required: true })] }),
    );
    expect(out.component).toContain("condition not implemented yet");
    expect(out.component).toContain("        return False\n");
  });

  it("passes sensor settings written as params to the base class, not as own attributes", () => {
    const out = files(oddSpecs[3]![1]);
    expect(out.component).not.toContain("self.poke_interval = ");
    expect(out.component).toContain('kwargs.setdefault("poke_interval", 30)');
    expect(out.component).toContain('kwargs.setdefault("timeout", 3600)');
  });
});

describe("scaffold hook", () => {
  it("defines the connection attributes and a get_conn reading the connection", () => {
    const out = files(oddSpecs[4]![1]);
    expect(out.component).toContain(
      '    conn_name_attr = "inventory_conn_id"\n    default_conn_name = "inventory_default"\n    conn_type = "http"\n    hook_name = "Inventory"\n',
    );
    expect(out.component).toContain('        inventory_conn_id: str = "inventory_default",\n');
    expect(out.component).toContain("        conn = self.get_connection(self.inventory_conn_id)\n");
    expect(out.component).not.toContain("import requests");
    expect(out.component).not.toContain("template_fields");
    expect(out.test).toContain('    assert seen == ["inventory_default"]\n');
    expect(out.dag).toContain("    @task\n    def use_inventory_hook() -> None:\n");
  });

  it("returns a requests.Session only when requests is a dependency", () => {
    const out = files(
      makeSpec({
        name: "WeatherApiHook",
        component_type: "hook",
        dependencies: ["requests>=2.31"],
        outputs: [
          { name: "current", type: "dict", method: "get_current", description: "Current weather" },
          { name: "bad", type: "dict", method: "class" },
        ],
      }),
    );
    expect(out.component).toContain(
      '    def get_current(self, *args: Any, **kwargs: Any) -> Any:\n        """Current weather (scaffold: not implemented yet)."""\n        raise NotImplementedError("WeatherApiHook.get_current is a scaffold; implement it")\n',
    );
    expect(out.component).not.toContain("def class");
    if (hasPython) expect(pyCompileErrors(out.all)).toEqual([]);
    expect(out.component).toContain("        import requests\n");
    expect(out.component).toContain("        session = requests.Session()\n");
    expect(out.test).toContain('    requests = pytest.importorskip("requests")\n');
  });
});

// Stand-ins for the Airflow modules the scaffold imports: a real hook class raises when constructed, so a
// test that passes proves the scaffold's test replaced it.
const STUBS: Record<string, string> = {
  "airflow/__init__.py": "",
  "airflow/sdk/__init__.py": [
    "import logging",
    "class BaseOperator:",
    "    template_fields = ()",
    "    def __init__(self, *, task_id, **kwargs):",
    "        self.task_id = task_id",
    "        self.log = logging.getLogger(task_id)",
    "class BaseSensorOperator(BaseOperator):",
    "    def __init__(self, *, poke_interval=60, timeout=600, mode='poke', **kwargs):",
    "        super().__init__(**kwargs)",
    "        self.poke_interval, self.timeout, self.mode = poke_interval, timeout, mode",
    "class Context(dict):",
    "    pass",
    "",
  ].join("\n"),
};
for (const [path, name] of [
  ["http/hooks/http.py", "HttpHook"],
  ["postgres/hooks/postgres.py", "PostgresHook"],
  ["amazon/aws/hooks/s3.py", "S3Hook"],
] as const) {
  const parts = path.split("/");
  for (let i = 0; i < parts.length; i++) STUBS[`airflow/providers/${parts.slice(0, i).join("/")}${i === 0 ? "" : "/"}__init__.py`] = "";
  STUBS[`airflow/providers/${path}`] = `class ${name}:\n    def __init__(self, *args, **kwargs):\n        raise RuntimeError("the real ${name} was constructed in a test")\n`;
}
const hasPytest = hasPython && spawnSync("python3", ["-c", "import pytest"]).status === 0;

/** Runs the scaffold's own tests against the stand-ins; returns pytest's summary line. */
function runScaffoldTests(files: { path: string; content: string }[]): string {
  const dir = mkdtempSync(join(tmpdir(), "opforge-scaffold-run-"));
  try {
    for (const [path, content] of Object.entries({ ...STUBS, ...Object.fromEntries(files.map((f) => [f.path, f.content])) })) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    const run = spawnSync("python3", ["-m", "pytest", "-q", "-p", "no:cacheprovider", "."], { cwd: dir, encoding: "utf8" });
    return `${run.stdout}${run.stderr}`.trim().split("\n").pop() ?? "";
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const s3KeySensor = () =>
  makeSpec({
    name: "ReportKeySensor",
    component_type: "sensor",
    category: "storage",
    description: "Waits until the day's report key exists in S3.",
    params: [param("key", "str", { required: true, template_field: true })],
    template_fields: ["key"],
    dependencies: ["apache-airflow-providers-amazon>=8.20"],
  });

describe("scaffold grounded on the knowledge base", () => {
  it("creates the http spec's HttpHook in execute with the spec's method and http_conn_id, and tests it without the real hook", async () => {
    const out = files(await exampleSpec("http_operator"));
    expect(out.component).toContain(
      "    from airflow.models.baseoperator import BaseOperator\n\nfrom airflow.providers.http.hooks.http import HttpHook\n\nif TYPE_CHECKING:\n",
    );
    expect(out.component).toContain(
      '        """Scaffold: creates the hook, logs and returns the templated values; replace with the real work."""\n        hook = HttpHook(method=self.method, http_conn_id=self.http_conn_id)\n',
    );
    expect(out.component).toContain('        self.log.info("HttpApiOperator (scaffold) running with %s through %s", result, type(hook).__name__)\n');
    expect(out.component).toContain("Scaffold to complete: execute() creates the HttpHook, then only logs and returns its templated");
    expect(out.test).toContain(
      [
        "def test_execute_creates_the_hook_and_returns_templated_values(monkeypatch: Any) -> None:",
        "    created: list[tuple[str, dict[str, Any]]] = []",
        '    monkeypatch.setattr("http_api_operator.HttpHook", fake_hook("HttpHook", created))',
        "    operator = make_component()",
      ].join("\n"),
    );
    expect(out.test).toContain('    assert created == [("HttpHook", {"method": operator.method, "http_conn_id": operator.http_conn_id})]\n');
    if (hasPython) expect(pyAstProblems(out.all)).toEqual([]);
  });

  it("adds the hook's connection argument with the KB's default connection id when the spec has none", () => {
    const spec = makeSpec({
      name: "HealthCheckOperator",
      category: "http",
      params: [param("endpoint", "str", { default: "/health", template_field: true })],
      template_fields: ["endpoint"],
      dependencies: ["apache-airflow-providers-http>=4.10"],
    });
    const out = files(spec);
    expect(out.component).toContain('        endpoint: str = "/health",\n        http_conn_id: str = "http_default",\n        **kwargs: Any,\n');
    expect(out.component).toContain("    :param http_conn_id: Airflow connection id for HttpHook (connection type `http`). (str, default\n");
    expect(out.component).toContain("        hook = HttpHook(http_conn_id=self.http_conn_id)\n");
    expect(out.test).toContain('    assert component.http_conn_id == "http_default"\n');
  });

  it("creates S3Hook with aws_conn_id, and both hooks of the Postgres-to-S3 spec under their own names", async () => {
    const sensor = files(s3KeySensor());
    expect(sensor.component).toContain('        aws_conn_id: str = "aws_default",\n');
    expect(sensor.component).toContain(
      '        hook = S3Hook(aws_conn_id=self.aws_conn_id)\n        self.log.info("ReportKeySensor (scaffold): condition not implemented yet with %s, not done", type(hook).__name__)\n',
    );
    expect(sensor.component).toContain("        # TODO: check the condition once with hook (S3Hook: ");
    expect(sensor.test).toContain("def test_poke_creates_the_hook_and_returns_a_bool(monkeypatch: Any) -> None:\n");
    const both = files(await exampleSpec("postgres_to_s3_operator"));
    expect(both.component).toContain(
      "        postgres_hook = PostgresHook(postgres_conn_id=self.postgres_conn_id)\n        s3_hook = S3Hook(aws_conn_id=self.aws_conn_id)\n",
    );
    expect(both.test).toContain(
      '    assert created == [("PostgresHook", {"postgres_conn_id": operator.postgres_conn_id}), ("S3Hook", {"aws_conn_id": operator.aws_conn_id})]\n',
    );
    if (hasPython) expect(pyAstProblems([...sensor.all, ...both.all])).toEqual([]);
  });

  it.skipIf(!hasPytest)("writes tests that pass without constructing the real hooks", async () => {
    // One pytest run over the three components (their modules have different names).
    const specs = [await exampleSpec("http_operator"), await exampleSpec("postgres_to_s3_operator"), s3KeySensor()];
    expect(runScaffoldTests(specs.flatMap((spec) => renderScaffold(spec, "3", undefined, ["component", "test"])))).toMatch(/^12 passed/);
  });

  it("uses no provider hook whose package the spec does not depend on, nor any without a knowledge base", async () => {
    expect(files(weatherSpec()).component).not.toContain("HttpHook(");
    const [component] = renderScaffold(await exampleSpec("http_operator"), "both", undefined, ["component"], null);
    expect(component?.content).not.toContain("HttpHook(");
    expect(component?.content).toContain("Scaffold to complete: execute() only logs and returns its templated values.");
  });

  it("gives a hook without a connection type the type of its category's provider hook", () => {
    const out = files(makeSpec({ name: "WeatherApiHook", component_type: "hook", category: "http" }));
    expect(out.component).toContain('    conn_name_attr = "weather_api_conn_id"\n    default_conn_name = "weather_api_default"\n    conn_type = "http"\n');
  });
});
