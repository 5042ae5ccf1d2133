import type { ComponentSpec } from "../spec/types.js";
import { snakeFromClassName } from "./naming.js";
import type { FileRole, GeneratedFile } from "./types.js";

/** Directories of a repository that receives generated components (`paths` of `.github/opforge.yml`). */
export interface LayoutPaths {
  operators: string;
  sensors: string;
  hooks: string;
  tests: string;
  dags: string;
}

export const DEFAULT_LAYOUT: LayoutPaths = {
  operators: "plugins/operators/",
  sensors: "plugins/sensors/",
  hooks: "plugins/hooks/",
  tests: "tests/operators/",
  dags: "dags/examples/",
};

export interface ComponentLayout {
  /** Repository path of each file role. */
  paths: Record<FileRole, string>;
  /**
   * Dotted module the test and DAG import the component from. Airflow puts `plugins/` on `sys.path`,
   * so `plugins/operators/x.py` is `operators.x`; outside `plugins/` the component's directory is
   * expected on the path and the module is the bare file name.
   */
  componentModule: string;
}

function dir(path: string): string {
  const trimmed = path.replace(/^\.\/+/, "").replace(/\/+$/, "");
  return trimmed === "" ? "" : `${trimmed}/`;
}

export function componentLayout(
  spec: Pick<ComponentSpec, "name" | "component_type">,
  paths: LayoutPaths = DEFAULT_LAYOUT,
): ComponentLayout {
  const snake = snakeFromClassName(spec.name);
  const componentDir = dir(
    spec.component_type === "sensor" ? paths.sensors : spec.component_type === "hook" ? paths.hooks : paths.operators,
  );
  const componentPath = `${componentDir}${snake}.py`;
  const segments = componentDir.split("/").filter((s) => s !== "");
  const pluginsAt = segments.indexOf("plugins");
  const packageParts = pluginsAt >= 0 ? segments.slice(pluginsAt + 1) : [];
  const validPackage = packageParts.every((part) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(part));
  return {
    paths: {
      component: componentPath,
      test: `${dir(paths.tests)}test_${snake}.py`,
      dag: `${dir(paths.dags)}${snake}_example_dag.py`,
    },
    componentModule: validPackage ? [...packageParts, snake].join(".") : snake,
  };
}

/** Places generated files (relative names) at their repository paths. */
export function placeFiles(files: GeneratedFile[], layout: ComponentLayout): { path: string; content: string; role: FileRole }[] {
  return files.map((file) => ({ role: file.role, path: layout.paths[file.role], content: file.content }));
}

/** The role of a generated file from its path, as the layout names them (`test_<snake>.py`, `<snake>_example_dag.py`). */
export function roleOfPath(path: string): FileRole {
  const name = path.split("/").at(-1) ?? path;
  if (name.startsWith("test_")) return "test";
  if (name.endsWith("_example_dag.py") || path.includes("dags/")) return "dag";
  return "component";
}
