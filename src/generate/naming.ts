import type { ComponentSpec } from "../spec/types.js";

/** `HttpToS3Operator` → `http_to_s3_operator`, `HTTPSensor` → `http_sensor`. */
export function snakeFromClassName(name: string): string {
  return name
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toLowerCase();
}

/** The three relative file names of a generation, from the class name. */
export function generatedFileNames(spec: Pick<ComponentSpec, "name">): { component: string; test: string; dag: string } {
  const snake = snakeFromClassName(spec.name);
  return { component: `${snake}.py`, test: `test_${snake}.py`, dag: `${snake}_example_dag.py` };
}
