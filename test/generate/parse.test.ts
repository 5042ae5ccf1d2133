import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { extractCodeBlocks, parseReply } from "../../src/generate/parse.js";
import { weatherSpec } from "./helpers.js";

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/replies/${name}`, import.meta.url), "utf8");

describe("parseReply", () => {
  const spec = weatherSpec();

  it.each(["weather-labeled.md", "weather-file-comments.md", "weather-preceding-names.md"])(
    "reads the three files of %s with canonical paths",
    (name) => {
      const parsed = parseReply(fixture(name), "end_turn", spec);
      expect(parsed.ok).toBe(true);
      if (!parsed.ok) return;
      expect(parsed.missing).toEqual([]);
      expect(parsed.files.map((f) => [f.role, f.path])).toEqual([
        ["component", "weather_fetch_operator.py"],
        ["test", "test_weather_fetch_operator.py"],
        ["dag", "weather_fetch_operator_example_dag.py"],
      ]);
      const [component, test, dag] = parsed.files;
      expect(component?.content).toMatch(/^from __future__ import annotations\n/);
      expect(component?.content).toContain("class WeatherFetchOperator(BaseOperator):");
      expect(component?.content).not.toContain("# file:");
      expect(test?.content).toContain("def test_execute_returns_temperature()");
      expect(dag?.content).toContain("with DAG(");
      expect(component?.content.endsWith("return {\"temperature\": float(payload[\"temperature\"])}\n")).toBe(true);
    },
  );

  it("reports the roles a reply lacks so they can be filled", () => {
    const parsed = parseReply(fixture("weather-component-only.md"), "end_turn", spec);
    expect(parsed).toMatchObject({ ok: true, missing: ["test", "dag"] });
  });

  it("fails with no_code when the reply holds no code block", () => {
    const parsed = parseReply(fixture("no-code.md"), "end_turn", spec);
    expect(parsed).toEqual({
      ok: false,
      kind: "no_code",
      reason: "the reply has no fenced code block (expected ```python file=component, file=test and file=dag blocks)",
    });
  });

  it("names an unusual stop reason when no code came back", () => {
    const parsed = parseReply("I can't help with that.", "refusal", spec);
    expect(parsed).toMatchObject({ ok: false, kind: "no_code" });
    expect(!parsed.ok && parsed.reason).toMatch(/\(stop reason "refusal"\)$/);
  });

  it("fails with truncated on max_tokens and on length, even though code is present", () => {
    for (const stop of ["max_tokens", "length"]) {
      const parsed = parseReply(fixture("weather-truncated.md"), stop, spec);
      expect(parsed).toMatchObject({ ok: false, kind: "truncated" });
      if (!parsed.ok) expect(parsed.reason).toContain(`"${stop}"`);
    }
  });

  it("fails with wrong_class naming both class names", () => {
    const parsed = parseReply(fixture("weather-wrong-class.md"), "end_turn", spec);
    expect(parsed).toEqual({
      ok: false,
      kind: "wrong_class",
      reason: "the component class is named WeatherOperator; the spec names it WeatherFetchOperator",
    });
  });

  it("fails with missing_component when only tests and a DAG came back", () => {
    const reply = "```python file=test\ndef test_x():\n    assert True\n```\n\n```python file=dag\nwith DAG('x') as dag:\n    pass\n```\n";
    expect(parseReply(reply, "end_turn", spec)).toEqual({
      ok: false,
      kind: "missing_component",
      reason: "the reply has no component block (found: test, dag)",
    });
  });

  it("ignores shell and YAML blocks and classifies unlabeled Python by its content", () => {
    const reply = [
      "Install first:",
      "```bash\npip install apache-airflow-providers-http\n```",
      "```python\nclass WeatherFetchOperator(BaseOperator):\n    pass\n```",
      "```python\nimport pytest\n\ndef test_it():\n    pass\n```",
      "```yaml\nname: x\n```",
    ].join("\n\n");
    const parsed = parseReply(reply, "end_turn", spec);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) {
      expect(parsed.files.map((f) => f.role)).toEqual(["component", "test"]);
      expect(parsed.missing).toEqual(["dag"]);
    }
  });

  it.each([
    ["python title=\"test_weather_fetch_operator.py\"", "test"],
    ["python:test_weather_fetch_operator.py", "test"],
    ["py weather_fetch_operator_example_dag.py", "dag"],
    ["python dag", "dag"],
  ])("reads the role from the fence line %s", (info, role) => {
    const reply = `\`\`\`python file=component\nclass WeatherFetchOperator(BaseOperator):\n    pass\n\`\`\`\n\`\`\`${info}\nx = 1\n\`\`\`\n`;
    const parsed = parseReply(reply, "end_turn", spec);
    expect(parsed.ok && parsed.files.find((f) => f.content === "x = 1\n")?.role).toBe(role);
  });

  it("prefers a labeled block over an unlabeled one of the same role", () => {
    const reply = [
      "```python\nclass WeatherFetchOperator:\n    draft = True\n```",
      "```python file=component\nclass WeatherFetchOperator(BaseOperator):\n    final = True\n```",
    ].join("\n");
    const parsed = parseReply(reply, "end_turn", spec);
    expect(parsed.ok && parsed.files[0]?.content).toContain("final = True");
  });
});

describe("extractCodeBlocks", () => {
  it("keeps a longer fence open across inner triple backticks and marks unclosed blocks", () => {
    const text = '````python file=component\ndoc = """```not a fence```"""\n```\nstill = 1\n````\n```python\nopen = 1';
    const blocks = extractCodeBlocks(text);
    expect(blocks).toHaveLength(2);
    expect(blocks[0]?.content).toBe('doc = """```not a fence```"""\n```\nstill = 1');
    expect(blocks[0]?.closed).toBe(true);
    expect(blocks[1]).toMatchObject({ info: "python", content: "open = 1", closed: false, line: 6 });
  });
});
