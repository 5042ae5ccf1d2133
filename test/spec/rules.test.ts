import { describe, expect, it } from "vitest";
import { BASE, errorsOf, expectOnlyError, expectValid, findWarning, fixture, parseYaml } from "./helpers.js";

describe("broken spec fixtures: one error each, named by path and line", () => {
  const cases: Array<[file: string, path: string, message: RegExp, line: number]> = [
    ["bad-name.yaml", "name", /"http_to_s3_operator" is not a PascalCase Python class name.*use "HttpToS3Operator"/, 1],
    ["duplicate-input.yaml", "config_params[0].name", /duplicate name "source": inputs\[0\] already uses it/, 10],
    ["template-field-not-input.yaml", "template_fields[1]", /"sq_params" is not an input or config param.*inputs and config params: sql/, 9],
    ["bad-dependency.yaml", "dependencies[1]", /"pandas 2.1.4" is not a valid PEP 508 requirement.*pandas==2.1.4/, 6],
    ["base-class-contradiction.yaml", "base_class", /"BaseOperator" contradicts component_type sensor, whose base class is BaseSensorOperator/, 4],
    ["sensor-disagreement.yaml", "config_params[0].default", /poke_interval is 30 here but 60 at the top level/, 9],
    ["wrong-default-type.yaml", "inputs[0].default", /default is a list, which is not int/, 7],
    ["bad-ui-color.yaml", "ui_color", /"ffcc00" is not a hex color.*write "#ffcc00"/, 4],
    ["reserved-input.yaml", "inputs[0].name", /"retries" is an argument of BaseOperator.*rename it, e\.g\. "batch_retries"/, 5],
    ["keyword-input.yaml", "inputs[0].name", /"from" is a Python keyword/, 5],
    ["yaml-syntax.yaml", "", /YAML syntax: Missing closing "quote/, 4],
    ["not-a-mapping.yaml", "", /a spec must be a mapping.*got a list/, 1],
  ];
  it.each(cases)("%s → %s", (file, path, message, line) => {
    expectOnlyError(parseYaml(fixture(`broken/${file}`)), path, message, line);
  });

  it("reports both sensor problems of bad-sensor-mode.yaml", () => {
    const errors = errorsOf(parseYaml(fixture("broken/bad-sensor-mode.yaml")));
    expect(errors.map((error) => [error.path, error.line]).sort()).toEqual([
      ["mode", 4],
      ["timeout", 5],
    ]);
    expect(errors.find((error) => error.path === "mode")!.message).toMatch(/"sleep" is not a sensor mode; write poke or reschedule/);
    expect(errors.find((error) => error.path === "timeout")!.message).toMatch(/is -5; timeout must be a non-negative number of seconds/);
  });
});

describe("required fields and their types", () => {
  it("names a missing required field", () => {
    expectOnlyError(parseYaml("name: XOperator\ncomponent_type: operator\n"), "description", /is required/);
    expectOnlyError(parseYaml("description: x\ncomponent_type: operator\n"), "name", /is required \(a PascalCase class name/);
    expectOnlyError(parseYaml("name: XOperator\ndescription: x\n"), "component_type", /is required \(operator, sensor or hook\)/);
  });

  it("refuses an empty description", () => {
    expectOnlyError(parseYaml('name: XOperator\ndescription: ""\ncomponent_type: operator\n'), "description", /is empty/, 2);
  });

  it("refuses an unknown component_type and lists the valid ones", () => {
    expectOnlyError(parseYaml("name: XOperator\ndescription: x\ncomponent_type: trigger\n"), "component_type", /"trigger" is not a component type; write operator, sensor or hook/, 3);
  });

  it("suggests the nearest component type and still runs the other checks", () => {
    const errors = errorsOf(parseYaml("name: XOperator\ndescription: x\ncomponent_type: operatr\ninputs:\n  - {name: a, type: str}\n  - {name: a, type: str}\n"));
    expect(errors.map((error) => error.path)).toEqual(["component_type", "inputs[1].name"]);
    expect(errors[0]!.message).toMatch(/did you mean operator\?/);
  });

  it("accepts component_type in any case", () => {
    expect(expectValid(parseYaml("name: XSensor\ndescription: x\ncomponent_type: Sensor\n")).component_type).toBe("sensor");
  });

  it("names the entry whose field has the wrong structure", () => {
    expectOnlyError(parseYaml(`${BASE}inputs:\n  - name: a\n  - name: 5\n`), "inputs[1].name", /must be a snake_case name, got number 5/, 6);
    expectOnlyError(parseYaml(`${BASE}inputs:\n  - just_a_name\n`), "inputs[0]", /must be a mapping with name, type/, 5);
    expectOnlyError(parseYaml(`${BASE}inputs: endpoint\n`), "inputs", /must be a list of inputs/, 4);
  });
});

describe("name", () => {
  const bad: Array<[string, RegExp]> = [
    ["httpOperator", /not a PascalCase.*use "HttpOperator"/],
    ["Http_Operator", /not a PascalCase.*use "HttpOperator"/],
    ["3dOperator", /starts with a digit/],
    ["None", /Python keyword/],
    ['"Http Operator"', /use "HttpOperator"/],
  ];
  it.each(bad)("refuses %s", (name, message) => {
    expectOnlyError(parseYaml(`name: ${name}\ndescription: x\ncomponent_type: operator\n`), "name", message, 1);
  });

  it("warns when the suffix names another component type", () => {
    const result = parseYaml("name: PollApiOperator\ndescription: x\ncomponent_type: sensor\n");
    expect(findWarning(result, "name")?.message).toMatch(/ends in "Operator" but component_type is sensor/);
  });
});

describe("inputs and config_params", () => {
  it("requires snake_case names and suggests one", () => {
    expectOnlyError(parseYaml(`${BASE}inputs:\n  - name: endpointUrl\n    type: str\n`), "inputs[0].name", /"endpointUrl" is not a snake_case Python name.*use "endpoint_url"/, 5);
  });

  it("refuses names that capture BaseSensorOperator arguments on sensors", () => {
    const result = parseYaml("name: ASensor\ndescription: x\ncomponent_type: sensor\ninputs:\n  - name: soft_fail\n    type: bool\n");
    expectOnlyError(result, "inputs[0].name", /"soft_fail" is an argument of BaseSensorOperator/, 5);
  });

  it("allows BaseOperator argument names on hooks, which do not inherit them", () => {
    expectValid(parseYaml("name: AHook\ndescription: x\ncomponent_type: hook\ninputs:\n  - name: retries\n    type: int\n"));
  });

  it("refuses a type that is not a Python annotation", () => {
    expectOnlyError(parseYaml(`${BASE}inputs:\n  - name: items\n    type: List[str\n`), "inputs[0].type", /"List\[str" is not a Python type annotation/, 6);
  });

  it("translates JSON-schema type words in inputs and outputs, with a warning", () => {
    const result = parseYaml(`${BASE}inputs:\n  - {name: n, type: integer, default: "4"}\n  - {name: s, type: String}\noutputs:\n  - {name: o, type: array}\n`);
    const spec = expectValid(result);
    expect(spec.params.map((param) => [param.type, param.default])).toEqual([
      ["int", 4],
      ["str", undefined],
    ]);
    expect(spec.outputs[0]!.type).toBe("List[Any]");
    expect(findWarning(result, "inputs[0].type")?.message).toMatch(/"integer" is not a Python type; read as int/);
    expect(findWarning(result, "outputs[0].type")?.line).toBe(8);
  });

  it("warns when a type is missing and guesses it from the default", () => {
    const result = parseYaml(`${BASE}inputs:\n  - name: limit\n    default: 10\n`);
    const spec = expectValid(result);
    expect(spec.params[0]!.type).toBe("int");
    expect(findWarning(result, "inputs[0].type")?.message).toMatch(/no type given for "limit"; assuming int/);
  });

  it("warns on required: true together with a default", () => {
    const result = parseYaml(`${BASE}inputs:\n  - name: limit\n    type: int\n    required: true\n    default: 5\n`);
    expectValid(result);
    const warning = findWarning(result, "inputs[0].required");
    expect(warning?.message).toMatch(/required but also has a default/);
    expect(warning?.line).toBe(7);
  });

  it("keeps unknown keys of an entry in extra and warns", () => {
    const result = parseYaml(`${BASE}inputs:\n  - name: limit\n    type: int\n    validator: positive\n    requried: true\n`);
    const spec = expectValid(result);
    expect(spec.params[0]!.extra).toEqual({ validator: "positive", requried: true });
    expect(findWarning(result, "inputs[0].validator")?.message).toMatch(/not a documented key of an input/);
    expect(findWarning(result, "inputs[0].requried")?.message).toMatch(/did you mean "required"/);
  });

  it("warns when a boolean field cannot be read as one", () => {
    const result = parseYaml(`${BASE}inputs:\n  - name: limit\n    type: int\n    required: maybe\n`);
    expect(expectValid(result).params[0]!.required).toBe(false);
    expect(findWarning(result, "inputs[0].required")?.message).toMatch(/"maybe" cannot be read as true or false/);
  });
});

describe("defaults against declared types", () => {
  const wrong: Array<[type: string, value: string, message: RegExp]> = [
    ["int", "2.5", /number 2.5, which is not int/],
    ["int", "true", /boolean true, which is not int/],
    ["float", "[1]", /a list, which is not float/],
    ["bool", "1", /number 1, which is not bool/],
    ["str", "{a: 1}", /a mapping, which is not str/],
    ["List[int]", "[1, true]", /default\[1\]: default is boolean true, which is not int/],
    ["Dict[str, int]", "{a: [1]}", /default\["a"\]: default is a list, which is not int/],
    ["Optional[int]", "[1]", /a list, which is not Optional\[int\]/],
    ["Union[int, bool]", "{}", /a mapping, which is not Union\[int, bool\]/],
  ];
  it.each(wrong)("%s with default %s is an error", (type, value, message) => {
    expectOnlyError(parseYaml(`${BASE}inputs:\n  - name: value\n    type: ${type}\n    default: ${value}\n`), "inputs[0].default", message, 7);
  });

  it("warns (not errors) on a string default that does not parse as the type, and keeps it", () => {
    const result = parseYaml(`${BASE}inputs:\n  - name: value\n    type: int\n    default: "ten"\n`);
    expect(expectValid(result).params[0]!.default).toBe("ten");
    expect(findWarning(result, "inputs[0].default")?.message).toMatch(/the text "ten" cannot be read as int; kept as written/);
  });

  it("warns on a null default for a type that does not allow None", () => {
    const result = parseYaml(`${BASE}inputs:\n  - name: value\n    type: int\n    default: null\n`);
    expectValid(result);
    expect(findWarning(result, "inputs[0].default")?.message).toMatch(/write Optional\[int\]/);
  });

  it("accepts values of the right type, including nested ones", () => {
    const spec = expectValid(
      parseYaml(
        `${BASE}inputs:\n  - {name: a, type: "List[Dict[str, int]]", default: [{x: 1}]}\n  - {name: b, type: "int | None", default: null}\n  - {name: c, type: "Tuple[int, str]", default: [1, "x"]}\n  - {name: d, type: pd.DataFrame, default: whatever}\n`,
      ),
    );
    expect(spec.params.map((param) => param.default)).toEqual([[{ x: 1 }], null, [1, "x"], "whatever"]);
  });
});

describe("template fields", () => {
  it("unions the top-level list with template_field: true, in first-seen order", () => {
    const spec = expectValid(
      parseYaml(`${BASE}inputs:\n  - {name: a, type: str, template_field: true}\n  - {name: b, type: str}\n  - {name: c, type: str}\nconfig_params:\n  - {name: d, type: str, template_field: true}\ntemplate_fields: [c, a]\n`),
    );
    expect(spec.template_fields).toEqual(["c", "a", "d"]);
    expect(spec.params.filter((param) => param.template_field).map((param) => param.name)).toEqual(["a", "c", "d"]);
  });

  it("suggests the closest input for a misspelled template field", () => {
    expectOnlyError(parseYaml(`${BASE}inputs:\n  - {name: endpoint, type: str}\ntemplate_fields: [endpont]\n`), "template_fields[0]", /did you mean "endpoint"/, 6);
  });

  it("says why a sensor setting cannot be a template field", () => {
    const result = parseYaml("name: ASensor\ndescription: x\ncomponent_type: sensor\nconfig_params:\n  - {name: poke_interval, type: int, default: 5}\ntemplate_fields: [poke_interval]\n");
    expectOnlyError(result, "template_fields[0]", /sensor setting handled by BaseSensorOperator/);
  });

  it("warns on a template extension without a dot", () => {
    const result = parseYaml(`${BASE}template_ext: [sql]\n`);
    expect(findWarning(result, "template_ext[0]")?.message).toMatch(/should start with a dot/);
  });
});

describe("base_class and airflow_version", () => {
  it.each([
    ["BaseSensor", "sensor", "BaseSensorOperator"],
    ["BaseSensorOperator", "sensor", "BaseSensorOperator"],
    ["airflow.sensors.base.BaseSensorOperator", "sensor", "BaseSensorOperator"],
    ["BaseOperator", "operator", "BaseOperator"],
    ["BaseHook", "hook", "BaseHook"],
  ])("normalizes %s for a %s", (written, type, expected) => {
    const name = type === "hook" ? "AHook" : type === "sensor" ? "ASensor" : "AOperator";
    const spec = expectValid(parseYaml(`name: ${name}\ndescription: x\ncomponent_type: ${type}\nbase_class: ${written}\n`));
    expect(spec.base_class).toBe(expected);
  });

  it("derives the base class from component_type when absent", () => {
    expect(expectValid(parseYaml("name: AHook\ndescription: x\ncomponent_type: hook\n")).base_class).toBe("BaseHook");
  });

  it("refuses a base class it cannot generate from", () => {
    expectOnlyError(parseYaml(`${BASE}base_class: HttpOperator\n`), "base_class", /write BaseOperator, BaseSensor \(BaseSensorOperator\) or BaseHook/, 4);
  });

  it("refuses a hook base class on an operator", () => {
    expectOnlyError(parseYaml(`${BASE}base_class: BaseHook\n`), "base_class", /contradicts component_type operator/);
  });

  it.each([
    ["", "both"],
    ["airflow_version: both\n", "both"],
    ["airflow_version: 2\n", "2"],
    ["airflow_version: 3\n", "3"],
    ['airflow_version: "3"\n', "3"],
    ["airflow_version: 2.10\n", "2"],
    ['airflow_version: "3.x"\n', "3"],
  ])("reads %j as %s", (line, expected) => {
    expect(expectValid(parseYaml(`${BASE}${line}`)).airflow_version).toBe(expected);
  });

  it("refuses other Airflow targets", () => {
    expectOnlyError(parseYaml(`${BASE}airflow_version: 1\n`), "airflow_version", /"1" is not an Airflow target; write "2", "3" or "both"/, 4);
  });
});

describe("sensor and hook settings", () => {
  const sensor = "name: ASensor\ndescription: x\ncomponent_type: sensor\n";

  it("takes settings from config_params when there is no top-level value, and removes them from params", () => {
    const spec = expectValid(parseYaml(`${sensor}config_params:\n  - {name: poke_interval, type: int, default: "15"}\n  - {name: mode, type: str, default: Reschedule}\n  - {name: other, type: str}\n`));
    expect(spec.sensor).toEqual({ poke_interval: 15, mode: "reschedule" });
    expect(spec.params.map((param) => param.name)).toEqual(["other"]);
  });

  it("reads sensor settings in config_params once: one warning for an unreadable value, an error for a wrong kind", () => {
    const unreadable = parseYaml(`${sensor}config_params:\n  - {name: timeout, type: int, default: "1h"}\n`);
    expect(expectValid(unreadable).sensor).toEqual({});
    expect(unreadable.warnings).toEqual([
      { path: "config_params[0].default", severity: "warning", line: 5, message: 'the text "1h" cannot be read as a number; ignored' },
    ]);
    expectOnlyError(parseYaml(`${sensor}config_params:\n  - {name: mode, type: str, default: [poke]}\n`), "config_params[0].default", /mode must be poke or reschedule, got a list/, 5);
  });

  it("refuses modes that disagree", () => {
    expectOnlyError(parseYaml(`${sensor}mode: poke\nconfig_params:\n  - {name: mode, type: str, default: reschedule}\n`), "config_params[0].default", /mode is "reschedule" here but "poke" at the top level/);
  });

  it("refuses a negative poke_interval", () => {
    expectOnlyError(parseYaml(`${sensor}poke_interval: "-1"\n`), "poke_interval", /is -1; poke_interval must be a non-negative number/, 4);
  });

  it("warns when a sensor number cannot be read", () => {
    const result = parseYaml(`${sensor}timeout: one hour\n`);
    expect(expectValid(result).sensor).toEqual({});
    expect(findWarning(result, "timeout")?.message).toMatch(/"one hour" cannot be read as a number; ignored/);
  });

  it("warns that only sensors use sensor settings", () => {
    const result = parseYaml(`${BASE}poke_interval: 5\n`);
    expect(expectValid(result).sensor).toEqual({});
    expect(findWarning(result, "poke_interval")?.message).toMatch(/only sensors use poke_interval/);
  });

  it("reads hook settings and checks the attribute name", () => {
    const hook = "name: MyApiHook\ndescription: x\ncomponent_type: hook\n";
    const spec = expectValid(parseYaml(`${hook}conn_name_attr: my_api_conn_id\ndefault_conn_name: my_api_default\nconn_type: my_api\nhook_name: My API\n`));
    expect(spec.hook).toEqual({ conn_name_attr: "my_api_conn_id", default_conn_name: "my_api_default", conn_type: "my_api", hook_name: "My API" });
    expectOnlyError(parseYaml(`${hook}conn_name_attr: My Conn\n`), "conn_name_attr", /not a snake_case attribute name/, 4);
    expectOnlyError(parseYaml(`${hook}conn_type: my api\n`), "conn_type", /contains spaces/, 4);
  });
});

describe("runtime_params", () => {
  it("reads JSON-schema types and bounds", () => {
    const spec = expectValid(parseYaml(`${BASE}runtime_params:\n  - {name: limit, type: integer, default: "5", min_value: "1", max_value: 10}\n`));
    expect(spec.runtime_params).toEqual([{ name: "limit", type: "integer", default: 5, min_value: 1, max_value: 10 }]);
  });

  it("reads Python type words with a warning", () => {
    const result = parseYaml(`${BASE}runtime_params:\n  - {name: city, type: str}\n`);
    expect(expectValid(result).runtime_params[0]!.type).toBe("string");
    expect(findWarning(result, "runtime_params[0].type")?.message).toMatch(/read "str" as "string"/);
  });

  it.each([
    ["{name: city, type: text}", "runtime_params[0].type", /"text" is not a runtime param type; write one of string, number/],
    ["{name: unit, type: string, default: k, enum: [c, f]}", "runtime_params[0].default", /"k" is not one of the enum values/],
    ["{name: n, type: integer, default: 50, max_value: 10}", "runtime_params[0].default", /default 50 is above max_value 10/],
    ["{name: n, type: number, min_value: 5, max_value: 1}", "runtime_params[0].min_value", /min_value 5 is greater than max_value 1/],
    ["{name: s, type: string, min_length: -1}", "runtime_params[0].min_length", /must be a whole number ≥ 0/],
    ["{name: s, type: string, default: abc, max_length: 2}", "runtime_params[0].default", /longer than max_length 2/],
    ["{name: my-param, type: string}", "runtime_params[0].name", /not a Python-style name/],
    ["{name: flag, type: boolean, default: 3}", "runtime_params[0].default", /number 3, which is not boolean/],
  ])("%s", (entry, path, message) => {
    expectOnlyError(parseYaml(`${BASE}runtime_params:\n  - ${entry}\n`), path, message, 5);
  });

  it("refuses duplicate runtime params", () => {
    expectOnlyError(parseYaml(`${BASE}runtime_params:\n  - {name: a, type: string}\n  - {name: a, type: string}\n`), "runtime_params[1].name", /duplicate runtime param "a"/, 6);
  });
});

describe("outputs, dependencies, colors, unknown keys", () => {
  it("refuses an output type that is not an annotation", () => {
    expectOnlyError(parseYaml(`${BASE}outputs:\n  - {name: rows, type: "List[", method: execute}\n`), "outputs[0].type", /not a Python type annotation/, 5);
  });

  it("warns about keys of outputs and examples that are not read", () => {
    const result = parseYaml(`${BASE}outputs:\n  - {name: o, type: str, format: json}\nexamples:\n  - {description: d, code: c, title: t}\n`);
    expectValid(result);
    expect(result.warnings.map((warning) => [warning.path, warning.message]).sort()).toEqual([
      ["examples[0].title", '"title" is not a documented key of an example; ignored'],
      ["outputs[0].format", '"format" is not a documented key of an output; ignored'],
    ]);
  });

  it("warns on a dependency listed twice", () => {
    const result = parseYaml(`${BASE}dependencies: [requests>=2, Requests<3]\n`);
    expect(findWarning(result, "dependencies[1]")?.message).toMatch(/"Requests" is already listed at dependencies\[0\]/);
  });

  it("explains an unquoted color that YAML read as a comment", () => {
    const result = parseYaml(`${BASE}ui_color: #ffcc00\n`);
    expect(expectValid(result).ui_color).toBeUndefined();
    expect(findWarning(result, "ui_color")?.message).toMatch(/unquoted #rrggbb starts a YAML comment/);
  });

  it("keeps unknown top-level keys in extra, warns, and suggests documented keys", () => {
    const result = parseYaml(`${BASE}owner_team: data\ndependancies: [requests]\n`);
    const spec = expectValid(result);
    expect(spec.extra).toEqual({ owner_team: "data", dependancies: ["requests"] });
    expect(findWarning(result, "owner_team")).toMatchObject({ line: 4, message: expect.stringMatching(/not a documented spec key; kept as written/) });
    expect(findWarning(result, "dependancies")?.message).toMatch(/did you mean "dependencies"/);
  });

  it("keeps documented extra keys silently", () => {
    const result = parseYaml(
      `${BASE}implementation_hints: [Use HttpHook]\nprerequisites: {env: [API_TOKEN]}\ndocumentation_url: https://example.com/docs\nlicense: MIT\nexamples: [{description: d, code: c}]\noutputs: [{name: o, type: str}]\nicon: x\nplatforms: [linux]\nauthor: me\nversion: "1"\n`,
    );
    expect(result.warnings).toEqual([]);
    expect(expectValid(result).prerequisites).toEqual({ env: ["API_TOKEN"] });
  });

  it("reports every independent problem at once", () => {
    const errors = errorsOf(parseYaml("name: bad_name\ndescription: x\ncomponent_type: operator\nui_color: red\ndependencies: ['==1']\n"));
    expect(errors.map((error) => error.path)).toEqual(["name", "ui_color", "dependencies[0]"]);
  });
});

describe("YAML problems", () => {
  it("names a key written twice, with its line", () => {
    expectOnlyError(parseYaml(`${BASE}inputs:\n  - name: a\n    type: str\n    type: int\n`), "", /key "type" appears twice in the same mapping/, 7);
  });

  it("refuses several YAML documents in one spec", () => {
    expectOnlyError(parseYaml(`${BASE}---\n${BASE}`), "", /more than one YAML document/);
  });

  it("expands PyYAML merge keys (<<: *anchor)", () => {
    const text = `${BASE}inputs:\n  - &conn {name: conn_id, type: str, default: x}\n  - <<: *conn\n    name: other_conn_id\n`;
    const spec = expectValid(parseYaml(text));
    expect(spec.params.map((param) => [param.name, param.type, param.default])).toEqual([
      ["conn_id", "str", "x"],
      ["other_conn_id", "str", "x"],
    ]);
  });
});

