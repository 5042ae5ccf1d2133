import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { parseSpecText, specFromIssueBody } from "../../src/spec/index.js";
import { keyForLabel } from "../../src/spec/issue-body.js";
import { EXAMPLES, errorsOf, expectOnlyError, expectValid, fixture } from "./helpers.js";

describe("fenced yaml block", () => {
  it("reads the first ```yaml block of the body", () => {
    const spec = expectValid(specFromIssueBody(fixture("issue-fenced.md")));
    expect(spec.name).toBe("HealthCheckOperator");
    expect(spec.category).toBe("http");
    expect(spec.template_fields).toEqual(["endpoint"]);
  });

  it("reports lines of the issue body, not of the block", () => {
    const body = fixture("issue-fenced.md").replace("name: endpoint", "name: EndPoint");
    expectOnlyError(specFromIssueBody(body), "inputs[0].name", /"EndPoint" is not a snake_case/, 11);
  });

  it.each(["```yml", "~~~yaml", "````YAML", "```yaml title=spec"])("accepts a block opened with %s", (open) => {
    const close = open.startsWith("~") ? "~~~" : open.startsWith("````") ? "````" : "```";
    const body = `Spec below\r\n\r\n${open}\r\nname: AOperator\r\ndescription: x\r\ncomponent_type: operator\r\n${close}\r\n`;
    expect(expectValid(specFromIssueBody(body)).name).toBe("AOperator");
  });

  it("skips code blocks in other languages", () => {
    const body = "```python\nname = 1\n```\n\n```yaml\nname: AOperator\ndescription: x\ncomponent_type: operator\n```\n";
    expect(expectValid(specFromIssueBody(body)).name).toBe("AOperator");
  });

  it("reports a YAML error inside the block at its body line", () => {
    const body = "Hello\n\n```yaml\nname: AOperator\ndescription: [unclosed\ncomponent_type: operator\n```\n";
    const [error] = errorsOf(specFromIssueBody(body));
    expect(error!.message).toMatch(/YAML syntax/);
    expect(error!.line).toBeGreaterThanOrEqual(5);
  });
});

describe("bare YAML body and no spec", () => {
  it("reads a body that is itself a spec mapping", () => {
    expect(expectValid(specFromIssueBody(fixture("issue-bare.md"))).name).toBe("PingOperator");
  });

  it("says how to write a spec when there is none", () => {
    const error = expectOnlyError(specFromIssueBody(fixture("issue-no-spec.md")), "", /no component spec found/);
    expect(error.message).toContain("```yaml");
    expect(error.message).toMatch(/name, description and component_type/);
    expectOnlyError(specFromIssueBody(""), "", /no component spec found/);
  });
});

describe("issue form", () => {
  const result = specFromIssueBody(fixture("issue-form.md"));
  const spec = expectValid(result);

  it("maps labelled sections to spec keys, reading _No response_ as empty", () => {
    expect(result.warnings).toEqual([]);
    expect(spec).toMatchObject({
      name: "RedisKeySensor",
      component_type: "sensor",
      description: "Waits until a key exists in Redis.",
      category: "database",
      airflow_version: "both",
      documentation_url: "https://redis.io/docs/",
      ui_color: "#ffcccc",
      license: "Apache-2.0",
      sensor: { poke_interval: 30, timeout: 600, mode: "reschedule" },
    });
    expect(spec.display_name).toBeUndefined();
    expect(spec.hook).toEqual({});
  });

  it("reads YAML sections, line lists and comma lists", () => {
    expect(spec.params.map((param) => [param.name, param.required, param.default])).toEqual([
      ["key", true, undefined],
      ["redis_conn_id", false, "redis_default"],
    ]);
    expect(spec.outputs).toEqual([{ name: "value", type: "Optional[str]", description: "The value stored under the key", method: "poke" }]);
    expect(spec.template_fields).toEqual(["key"]);
    expect(spec.dependencies).toEqual(["apache-airflow-providers-redis>=3.6", 'redis>=4.5 ; python_version >= "3.9"']);
    expect(spec.requirements).toEqual(["Use RedisHook", "Return PokeReturnValue with the value"]);
    expect(spec.prerequisites).toEqual({ services: ["Redis"] });
  });

  it("points errors at the body line of a YAML section entry", () => {
    const body = fixture("issue-form.md").replace("- name: redis_conn_id", "- name: RedisConnId");
    const lines = body.split("\r\n");
    const error = expectOnlyError(specFromIssueBody(body), "inputs[1].name", /"RedisConnId" is not a snake_case/);
    expect(lines[error.line! - 1]).toBe("- name: RedisConnId");
  });

  it("points errors at the body line of a line-list entry", () => {
    const body = fixture("issue-form.md").replace("redis>=4.5", "redis=>4.5");
    const error = expectOnlyError(specFromIssueBody(body), "dependencies[1]", /not a valid PEP 508 requirement/);
    expect(body.split("\r\n")[error.line! - 1]).toMatch(/^redis=>4.5/);
  });

  it("names the section that holds broken YAML", () => {
    const body = "### Name\n\nAOperator\n\n### Component type\n\noperator\n\n### Description\n\nx\n\n### Inputs\n\n```yaml\n- name: [a\n```\n";
    const [error] = errorsOf(specFromIssueBody(body));
    expect(error).toMatchObject({ path: "inputs", message: expect.stringMatching(/^section "Inputs": YAML syntax/) });
    expect(error!.line).toBeGreaterThanOrEqual(16);
  });

  it("warns on sections that are not spec fields", () => {
    const body = "### Name\n\nAOperator\n\n### Component type\n\noperator\n\n### Description\n\nx\n\n### Code of conduct\n\n- [X] I agree\n";
    const parsed = specFromIssueBody(body);
    expectValid(parsed);
    expect(parsed.warnings).toEqual([{ path: "", severity: "warning", line: 13, message: 'issue form section "Code of conduct" is not a spec field; ignored' }]);
  });

  it("reports a missing required field of the form", () => {
    const body = "### Name\n\nAOperator\n\n### Component type\n\noperator\n\n### Description\n\n_No response_\n";
    expectOnlyError(specFromIssueBody(body), "description", /is required/);
  });
});

describe("the issue form template produces bodies the parser reads", () => {
  interface FormField {
    type: string;
    id?: string;
    attributes: { label?: string; options?: string[]; render?: string };
  }
  const template = parse(readFileSync(join(EXAMPLES, "issue-form", "generate-operator.yml"), "utf8")) as {
    labels: string[];
    body: FormField[];
  };
  const fields = template.body.filter((field) => field.type !== "markdown");

  it("carries the generate-operator label", () => {
    expect(template.labels).toEqual(["generate-operator"]);
  });

  it("uses only labels that map to spec keys", () => {
    const unmapped = fields.filter((field) => keyForLabel(field.attributes.label ?? "") === undefined).map((field) => field.attributes.label);
    expect(unmapped).toEqual([]);
    // The id of each field names the key its label maps to, so the two cannot drift apart.
    for (const field of fields) {
      const key = keyForLabel(field.attributes.label!);
      expect(key === "*" ? "other" : key).toBe(field.id);
    }
  });

  it("round-trips a filled-in form rendered the way GitHub renders it", () => {
    const answers: Record<string, string> = {
      name: "WeatherApiOperator",
      component_type: "operator",
      description: "Fetches the forecast for a city",
      category: "HTTP",
      airflow_version: "3",
      inputs: "- name: city\n  type: str\n  required: true",
      config_params: "- name: api_conn_id\n  type: str\n  default: weather_default",
      runtime_params: "- name: units\n  type: string\n  enum: [metric, imperial]\n  default: metric",
      outputs: "- name: forecast\n  type: Dict[str, Any]\n  method: execute",
      template_fields: "city",
      template_ext: ".json",
      dependencies: "apache-airflow-providers-http>=4.10\nrequests>=2.31",
      requirements: "Use HttpHook",
      implementation_hints: "Create the hook in execute",
      documentation_url: "https://example.com/api",
      author: "Weather Team",
      other: "version: \"1.0.0\"\nprerequisites:\n  connections: [weather_default]",
    };
    const body = fields
      .map((field) => {
        const answer = answers[field.id!];
        const value = answer === undefined ? "_No response_" : field.attributes.render ? `\`\`\`${field.attributes.render}\n${answer}\n\`\`\`` : answer;
        return `### ${field.attributes.label}\n\n${value}`;
      })
      .join("\n\n");
    const result = specFromIssueBody(body);
    const spec = expectValid(result);
    expect(result.warnings).toEqual([]);
    expect(spec).toMatchObject({
      name: "WeatherApiOperator",
      airflow_version: "3",
      category: "http",
      template_fields: ["city"],
      template_ext: [".json"],
      dependencies: ["apache-airflow-providers-http>=4.10", "requests>=2.31"],
      version: "1.0.0",
      prerequisites: { connections: ["weather_default"] },
      runtime_params: [{ name: "units", type: "string", enum: ["metric", "imperial"], default: "metric" }],
    });
    expect(spec.params.map((param) => param.name)).toEqual(["city", "api_conn_id"]);
  });
});

describe("parseSpecText source selection", () => {
  it("auto-detects a YAML spec whose comments look like headings", () => {
    const text = "### Name\n# ### Component type\nname: AOperator\ndescription: x\ncomponent_type: operator\n";
    expect(expectValid(parseSpecText(text)).name).toBe("AOperator");
  });

  it("auto-detects an issue form and a fenced block", () => {
    expect(expectValid(parseSpecText(fixture("issue-form.md"))).name).toBe("RedisKeySensor");
    expect(expectValid(parseSpecText(fixture("issue-fenced.md"))).name).toBe("HealthCheckOperator");
  });

  it("chooses by file name when one is given", () => {
    const fenced = fixture("issue-fenced.md");
    expect(parseSpecText(fenced, { fileName: "spec.yaml" }).ok).toBe(false);
    expect(expectValid(parseSpecText(fenced, { fileName: "issue.md" })).name).toBe("HealthCheckOperator");
  });

  it("honours an explicit source", () => {
    const fenced = fixture("issue-fenced.md");
    expect(parseSpecText(fenced, { source: "yaml" }).ok).toBe(false);
    expect(parseSpecText(fenced, { source: "issue-body" }).ok).toBe(true);
  });

  it("reports a YAML error in auto mode when no spec is found elsewhere", () => {
    const [error] = errorsOf(parseSpecText("name: [AOperator\n"));
    expect(error!.message).toMatch(/YAML syntax/);
  });
});
