import { describe, expect, it } from "vitest";
import { formatFindings, specFingerprint, toSnakeCase, type SpecFinding } from "../../src/spec/index.js";
import { toPascalCase } from "../../src/spec/names.js";
import { coerceDefault, parseAnnotation } from "../../src/spec/python-types.js";
import { expectValid, fixture, parseYaml } from "./helpers.js";

describe("toSnakeCase", () => {
  it.each([
    ["HttpToS3Operator", "http_to_s3_operator"],
    ["S3ToGCSOperator", "s3_to_gcs_operator"],
    ["HTTPSensor", "http_sensor"],
    ["MySQLHook", "my_sql_hook"],
    ["RestApiHook", "rest_api_hook"],
    ["already_snake", "already_snake"],
    ["My Operator-Name", "my_operator_name"],
  ])("%s → %s", (input, expected) => {
    expect(toSnakeCase(input)).toBe(expected);
  });

  it("toPascalCase suggests class names", () => {
    expect(toPascalCase("http_to_s3_operator")).toBe("HttpToS3Operator");
    expect(toPascalCase("my operator")).toBe("MyOperator");
  });
});

describe("specFingerprint", () => {
  const spec = expectValid(parseYaml(fixture("full.yaml")));

  it("is a sha256 hex digest, stable across calls", () => {
    expect(specFingerprint(spec)).toMatch(/^[0-9a-f]{64}$/);
    expect(specFingerprint(spec)).toBe(specFingerprint(structuredClone(spec)));
  });

  it("does not depend on how the file spelled the spec", () => {
    const compact = "{component_type: operator, name: AOperator, description: x, inputs: [{name: n, type: int, default: '3'}]}";
    const verbose = "# comment\nname: 'AOperator'   # quoted\ndescription: \"x\"\ncomponent_type: operator\nbase_class: BaseOperator\ninputs:\n  - name: n\n    type: int\n    default: 3\n";
    expect(specFingerprint(expectValid(parseYaml(compact)))).toBe(specFingerprint(expectValid(parseYaml(verbose))));
  });

  it("changes when the spec changes", () => {
    const changed = { ...spec, params: spec.params.map((param, index) => (index === 0 ? { ...param, required: false } : param)) };
    expect(specFingerprint(changed)).not.toBe(specFingerprint(spec));
  });
});

describe("formatFindings", () => {
  const findings: SpecFinding[] = [
    { path: "dependencies[0]", severity: "error", message: "bad", line: 9 },
    { path: "inputs[2].name", severity: "error", message: "not snake_case", line: 4 },
    { path: "", severity: "warning", message: "no line\nspans lines" },
  ];

  it("prints one line per finding, in source order, with file, line, severity and path", () => {
    expect(formatFindings(findings, "specs/a.yaml")).toBe(
      [
        "specs/a.yaml:4: error: inputs[2].name: not snake_case",
        "specs/a.yaml:9: error: dependencies[0]: bad",
        "specs/a.yaml: warning: no line spans lines",
      ].join("\n"),
    );
  });

  it("names the source 'spec' without a file name, and prints nothing for no findings", () => {
    expect(formatFindings([findings[1]!])).toBe("spec:4: error: inputs[2].name: not snake_case");
    expect(formatFindings([])).toBe("");
  });
});

describe("Python annotations", () => {
  it.each(["str", "Optional[int]", "Dict[str, Any]", "List[Dict[str, Union[int, str]]]", "int | None", "typing.Optional[str]", "Callable[[int, str], bool]", "Literal['a', 'b']", "Tuple[int, ...]", "pd.DataFrame"])(
    "reads %s",
    (text) => {
      expect(parseAnnotation(text).ok).toBe(true);
    },
  );

  it.each([
    ["List[str", /"\[" is never closed/],
    ["Dict[str,, int]", /unexpected ","/],
    ["int)", /unexpected "\)"/],
    ["", /type is empty/],
  ])("refuses %j", (text, message) => {
    const result = parseAnnotation(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });

  it.each([
    ["int", "42", 42],
    ["float", "1e3", 1000],
    ["bool", "False", false],
    ["bool", "yes", true],
    ["Dict[str, Any]", "{'a': 1}", { a: 1 }],
    ["List[int]", "[1, 2]", [1, 2]],
    ["Optional[int]", "", null],
    ["Optional[str]", "", ""],
    ["Union[int, str]", "3", "3"],
    ["Union[int, bool]", "3", 3],
  ])("coerces %s default %j", (type, value, expected) => {
    const parsed = parseAnnotation(type);
    if (!parsed.ok) throw new Error(parsed.message);
    const result = coerceDefault(value, parsed.annotation, type);
    expect(result.problem).toBeUndefined();
    expect(result.value).toEqual(expected);
  });
});
