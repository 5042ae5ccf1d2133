import { describe, expect, it } from "vitest";
import { renderScaffold, SCAFFOLD_HEADER } from "../../src/generate/scaffold/index.js";
import type { ComponentSpec } from "../../src/spec/types.js";
import { hasPython, makeSpec, param, pyAstProblems, pyCompileErrors, weatherSpec } from "./helpers.js";

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
