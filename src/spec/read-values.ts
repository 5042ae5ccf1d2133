import type { FindingCollector } from "./findings.js";
import type { SpecPath } from "./path.js";
import { parseAnnotation, parseBoolText, type Annotation } from "./python-types.js";
import { describeInput } from "./schema.js";

/** Readers for scalar fields that legacy specs write in several ways; each reports what it could not read. */

/**
 * JSON-schema (and other non-Python) type words that turn up in inputs; as annotations they raise
 * NameError. `object` is left alone: it is a valid Python annotation too.
 */
const NON_PYTHON_TYPE_WORDS: Record<string, string> = {
  string: "str",
  integer: "int",
  number: "float",
  boolean: "bool",
  array: "List[Any]",
  any: "Any",
  null: "None",
};

/** Reads a type as a Python annotation, translating JSON-schema words (`string` → `str`) with a warning. */
export function pythonTypeText(written: string, path: SpecPath, findings: FindingCollector): string {
  const translated = NON_PYTHON_TYPE_WORDS[written.toLowerCase()];
  if (translated === undefined || written === translated) return written;
  findings.warn(path, `"${written}" is not a Python type; read as ${translated} (inputs, config_params and outputs take Python annotations)`);
  return translated;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A list field written as a list, a single item, or nothing. */
export function asList<T>(value: T | T[] | null | undefined): T[] {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export function readBool(value: string | number | boolean | null | undefined, path: SpecPath, fallback: boolean, findings: FindingCollector): boolean {
  if (value === null || value === undefined) return fallback;
  if (typeof value === "boolean") return value;
  const parsed = parseBoolText(String(value));
  if (parsed === undefined) {
    findings.warn(path, `${describeInput(value)} cannot be read as true or false; using ${fallback}`);
    return fallback;
  }
  return parsed;
}

export function readAnnotation(typeText: string, path: SpecPath, findings: FindingCollector): Annotation | undefined {
  const parsed = parseAnnotation(typeText);
  if (!parsed.ok) {
    findings.error(path, parsed.message);
    return undefined;
  }
  return parsed.annotation;
}

export function readNumber(value: string | number | null | undefined, path: SpecPath, findings: FindingCollector): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "number") return value;
  const trimmed = value.trim();
  const parsed = trimmed === "" ? Number.NaN : Number(trimmed);
  if (!Number.isFinite(parsed)) {
    findings.warn(path, `${describeInput(value)} cannot be read as a number; ignored`);
    return undefined;
  }
  return parsed;
}
