import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { parseSpecText, type SpecFinding, type SpecParseResult } from "../../src/spec/index.js";
import type { ComponentSpec } from "../../src/spec/types.js";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "specs");
export const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "examples");

export function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), "utf8");
}

export function parseYaml(text: string): SpecParseResult {
  return parseSpecText(text, { source: "yaml" });
}

/** A spec that is valid apart from what the test appends. */
export const BASE = "name: SampleOperator\ndescription: Does a thing\ncomponent_type: operator\n";

export function expectValid(result: SpecParseResult): ComponentSpec {
  if (!result.ok) throw new Error(`expected a valid spec, got errors:\n${JSON.stringify(result.errors, null, 2)}`);
  return result.spec;
}

export function errorsOf(result: SpecParseResult): SpecFinding[] {
  if (result.ok) throw new Error(`expected an invalid spec, got a valid one with warnings ${JSON.stringify(result.warnings)}`);
  return result.errors;
}

/** Asserts the result holds exactly one error, at `path`, whose message matches. */
export function expectOnlyError(result: SpecParseResult, path: string, message: RegExp, line?: number): SpecFinding {
  const errors = errorsOf(result);
  expect(errors, JSON.stringify(errors, null, 2)).toHaveLength(1);
  const [error] = errors;
  expect(error!.path).toBe(path);
  expect(error!.message).toMatch(message);
  if (line !== undefined) expect(error!.line).toBe(line);
  return error!;
}

export function findWarning(result: SpecParseResult, path: string): SpecFinding | undefined {
  return result.warnings.find((warning) => warning.path === path);
}
