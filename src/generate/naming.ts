import { toSnakeCase } from "../spec/names.js";
import type { ComponentSpec } from "../spec/types.js";

/** `HttpToS3Operator` → `http_to_s3_operator`, `HTTPSensor` → `http_sensor` (the spec module's rule, so paths agree). */
export function snakeFromClassName(name: string): string {
  return toSnakeCase(name) || "component";
}

/** The three relative file names of a generation, from the class name. */
export function generatedFileNames(spec: Pick<ComponentSpec, "name">): { component: string; test: string; dag: string } {
  const snake = snakeFromClassName(spec.name);
  return { component: `${snake}.py`, test: `test_${snake}.py`, dag: `${snake}_example_dag.py` };
}
