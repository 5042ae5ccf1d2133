import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { componentLayout } from "../../src/generate/layout.js";
import { renderScaffold } from "../../src/generate/scaffold/index.js";
import { parseSpecFile } from "../../src/spec/index.js";
import { hasPython, pyAstProblems, pyCompileErrors } from "./helpers.js";

const specDir = new URL("../../examples/specs/", import.meta.url);
const specFiles = readdirSync(specDir).filter((f) => f.endsWith(".yaml")).sort();

describe("scaffold for the example specs", () => {
  it("covers the shipped examples", () => {
    expect(specFiles).toEqual(expect.arrayContaining(["http_operator.yaml", "file_sensor.yaml", "rest_hook.yaml"]));
  });

  it.each(specFiles)("%s renders compiling files for Airflow 2, 3 and both", async (file) => {
    const parsed = await parseSpecFile(new URL(file, specDir).pathname);
    if (!parsed.ok) throw new Error(`${file}: ${JSON.stringify(parsed.errors)}`);
    const spec = parsed.spec;
    const layout = componentLayout(spec);
    const dirByType = { operator: "plugins/operators/", sensor: "plugins/sensors/", hook: "plugins/hooks/" } as const;
    expect(layout.paths.component.startsWith(dirByType[spec.component_type])).toBe(true);
    const all = (["2", "3", "both"] as const).flatMap((target) => {
      const files = renderScaffold(spec, target, layout.componentModule);
      expect(files.map((f) => f.role)).toEqual(["component", "test", "dag"]);
      const component = files[0]?.content ?? "";
      expect(component).toContain(`class ${spec.name}(`);
      expect(component).not.toContain("apply_defaults");
      return files.map((f) => ({ ...f, path: `${target}/${f.path}` }));
    });
    if (hasPython) {
      expect(pyCompileErrors(all)).toEqual([]);
      expect(pyAstProblems(all)).toEqual([]);
    }
  });
});
