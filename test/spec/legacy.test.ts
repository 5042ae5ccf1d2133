import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { componentSpecSchema, parseSpecFile } from "../../src/spec/index.js";
import { EXAMPLES, FIXTURES, expectValid, findWarning, fixture, parseYaml } from "./helpers.js";

describe("the full fixture: every field of the format", () => {
  const result = parseYaml(fixture("full.yaml"));
  const spec = expectValid(result);

  it("has no warnings", () => {
    expect(result.warnings).toEqual([]);
  });

  it("normalizes identity fields", () => {
    expect(spec).toMatchObject({
      name: "S3KeyArrivalSensor",
      display_name: "S3 Key Arrival",
      category: "storage",
      component_type: "sensor",
      base_class: "BaseSensorOperator",
      airflow_version: "3",
      platforms: ["linux", "kubernetes"],
      icon: "bucket",
      ui_color: "#ffdfba",
      ui_fgcolor: "#000",
      author: "Storage Team",
      license: "Apache-2.0",
      documentation_url: "https://docs.aws.amazon.com/s3/",
    });
  });

  it("keeps a version number as written, not as a float", () => {
    expect(spec.version).toBe("1.10");
  });

  it("reads params with every key, moving sensor settings out", () => {
    expect(spec.params).toEqual([
      { name: "bucket_name", type: "str", display_name: "Bucket", description: "Bucket to watch", required: true, template_field: true, source: "inputs" },
      { name: "prefix", type: "Optional[str]", display_name: "Prefix", description: "Key prefix", required: false, default: null, template_field: true, source: "inputs" },
      { name: "wildcard_match", type: "bool", description: "Treat the prefix as a glob", required: false, default: false, template_field: false, source: "inputs" },
      { name: "aws_conn_id", type: "str", display_name: "AWS connection", description: "Connection with credentials", required: false, default: "aws_default", template_field: false, source: "config_params" },
    ]);
    expect(spec.sensor).toEqual({ poke_interval: 30, timeout: 600, mode: "reschedule" });
    expect(spec.template_fields).toEqual(["bucket_name", "prefix"]);
    expect(spec.template_ext).toEqual([".json"]);
  });

  it("reads runtime params, outputs, hook settings and the documented extras", () => {
    expect(spec.runtime_params).toEqual([
      { name: "min_objects", type: "integer", description: "How many objects must exist", default: 1, min_value: 1, max_value: 100 },
      { name: "suffix", type: "string", description: "Required key suffix", default: ".csv", enum: [".csv", ".parquet"], min_length: 1, max_length: 16 },
    ]);
    expect(spec.outputs).toEqual([{ name: "key", type: "str", description: "The first matching key", method: "poke" }]);
    expect(spec.hook).toEqual({ conn_name_attr: "aws_conn_id", conn_type: "aws", hook_name: "Amazon Web Services", default_conn_name: "aws_default" });
    expect(spec.dependencies).toEqual(['apache-airflow-providers-amazon[s3fs]>=8.20,<10 ; python_version >= "3.9"']);
    expect(spec.requirements).toEqual(["Use S3Hook to list keys"]);
    expect(spec.implementation_hints).toEqual(["Return PokeReturnValue with the key as xcom_value"]);
    expect(spec.prerequisites).toEqual({ services: ["Amazon S3"], environment: ["AWS_DEFAULT_REGION"] });
    expect(spec.examples).toEqual([
      { description: "Wait for the daily export", code: 'wait = S3KeyArrivalSensor(task_id="wait", bucket_name="exports", prefix="daily/{{ ds }}/")\n' },
    ]);
    expect(spec.extra).toEqual({});
  });

  it("matches the normalized schema", () => {
    expect(componentSpecSchema.safeParse(spec).success).toBe(true);
  });
});

describe("legacy habits are accepted", () => {
  it("reads the legacy sensor: quoted name, BaseSensor, strings for numbers and booleans, trailing comments", () => {
    const result = parseYaml(fixture("legacy-sensor.yaml"));
    const spec = expectValid(result);
    expect(result.warnings).toEqual([]);
    expect(spec.name).toBe("FtpFileSensor");
    expect(spec.category).toBe("file");
    expect(spec.base_class).toBe("BaseSensorOperator");
    expect(spec.airflow_version).toBe("2");
    expect(spec.sensor).toEqual({ poke_interval: 60, timeout: 3600, mode: "poke" });
    const byName = Object.fromEntries(spec.params.map((param) => [param.name, param]));
    expect(byName.remote_path).toMatchObject({ required: true, template_field: true });
    expect(byName.fail_on_transient_errors!.default).toBe(true);
    expect(byName.max_file_age!.default).toBeNull();
    expect(byName.options!.default).toEqual({});
    expect(byName.patterns!.default).toEqual(["*.csv", "*.txt"]);
    expect(byName.label!.default).toBe("");
    expect(Object.keys(byName)).not.toContain("poke_interval");
    expect(spec.template_fields).toEqual(["remote_path"]);
  });

  it("reads the legacy operator: numbers as strings, a single platform, prerequisites as text", () => {
    const result = parseYaml(fixture("legacy-operator.yaml"));
    const spec = expectValid(result);
    expect(result.warnings).toEqual([]);
    expect(spec.params.map((param) => param.default)).toEqual([undefined, undefined, 3, 12.5, false, null, "slack_default"]);
    expect(spec.platforms).toEqual(["linux"]);
    expect(spec.version).toBe("0.1");
    expect(spec.airflow_version).toBe("2");
    expect(spec.prerequisites).toBe("A Slack incoming webhook stored as connection slack_default");
    expect(spec.dependencies).toEqual(["apache-airflow-providers-slack>=8.0", "requests >= 2.28.0"]);
  });

  it("accepts a minimal spec: name, description, component_type", () => {
    const result = parseYaml(fixture("minimal.yaml"));
    const spec = expectValid(result);
    expect(result.warnings).toEqual([]);
    expect(spec).toMatchObject({ category: "custom", base_class: "BaseOperator", airflow_version: "both", params: [], prerequisites: null });
    expect(componentSpecSchema.safeParse(spec).success).toBe(true);
  });

  it("accepts empty lists written as nothing (`inputs:`)", () => {
    const spec = expectValid(parseYaml("name: AOperator\ndescription: x\ncomponent_type: operator\ninputs:\nconfig_params:\ndependencies:\n"));
    expect(spec.params).toEqual([]);
    expect(spec.dependencies).toEqual([]);
  });

  it("reads a sentence that YAML took for a mapping back as text, with a warning", () => {
    const result = parseYaml("name: AOperator\ndescription: x\ncomponent_type: operator\nimplementation_hints:\n  - Note: never log tokens\n");
    expect(expectValid(result).implementation_hints).toEqual(["Note: never log tokens"]);
    expect(findWarning(result, "implementation_hints[0]")?.message).toMatch(/quote sentences that contain ": "/);
  });

  it("coerces numbers written where text is expected, with a warning", () => {
    const result = parseYaml("name: AOperator\ndescription: x\ncomponent_type: operator\ninputs:\n  - {name: port, type: str, default: 8080}\n");
    expect(expectValid(result).params[0]!.default).toBe("8080");
    expect(findWarning(result, "inputs[0].default")?.message).toMatch(/number 8080 is not a str; read as "8080"/);
  });
});

describe("example specs", () => {
  const files = readdirSync(join(EXAMPLES, "specs")).filter((file) => file.endsWith(".yaml"));

  it("include the HTTP operator, file sensor and REST hook", () => {
    expect(files).toEqual(expect.arrayContaining(["http_operator.yaml", "file_sensor.yaml", "rest_hook.yaml"]));
    expect(files.length).toBeGreaterThanOrEqual(4);
  });

  it.each(files)("%s is valid without warnings", async (file) => {
    const result = await parseSpecFile(join(EXAMPLES, "specs", file));
    const spec = expectValid(result);
    expect(result.warnings).toEqual([]);
    expect(componentSpecSchema.safeParse(spec).success).toBe(true);
  });

  it("the three named examples have the component types their names say", async () => {
    const types = await Promise.all(
      ["http_operator.yaml", "file_sensor.yaml", "rest_hook.yaml"].map(async (file) => expectValid(await parseSpecFile(join(EXAMPLES, "specs", file))).component_type),
    );
    expect(types).toEqual(["operator", "sensor", "hook"]);
  });
});

it("every fixture in the specs folder is used by a test", () => {
  const used = ["full.yaml", "minimal.yaml", "legacy-sensor.yaml", "legacy-operator.yaml", "issue-fenced.md", "issue-form.md", "issue-no-spec.md", "issue-bare.md"];
  expect(readdirSync(FIXTURES).filter((file) => file !== "broken").sort()).toEqual(used.sort());
});
