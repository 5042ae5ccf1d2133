import type { RuntimeParam } from "./types.js";
import type { FindingCollector } from "./findings.js";
import type { SpecPath } from "./path.js";
import { MAX_LIST_ENTRIES } from "./limits.js";
import { coerceDefault, parseAnnotation } from "./python-types.js";
import { readNumber } from "./read-values.js";
import { rawRuntimeParamSchema, type RawRuntimeParam } from "./schema.js";

/** Runtime params: what a DAG author sets when triggering a run, typed with JSON-schema words. */

const JSON_SCHEMA_TYPES = ["string", "number", "integer", "boolean", "array", "object"] as const;
type JsonSchemaType = (typeof JSON_SCHEMA_TYPES)[number];
const PYTHON_TO_JSON_TYPE: Record<string, JsonSchemaType> = {
  str: "string",
  int: "integer",
  float: "number",
  bool: "boolean",
  list: "array",
  List: "array",
  dict: "object",
  Dict: "object",
};
const JSON_TYPE_ANNOTATION: Record<JsonSchemaType, string> = {
  string: "str",
  number: "float",
  integer: "int",
  boolean: "bool",
  array: "List[Any]",
  object: "Dict[str, Any]",
};

export function normalizeRuntimeParams(entries: RawRuntimeParam[], findings: FindingCollector): RuntimeParam[] {
  const seen = new Set<string>();
  const documented = new Set(Object.keys(rawRuntimeParamSchema.shape));
  const result: RuntimeParam[] = [];
  entries.forEach((entry, index) => {
    const path: SpecPath = ["runtime_params", index];
    const name = entry.name.trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      findings.error([...path, "name"], `"${name}" is not a Python-style name; DAG authors reach it as params.${name || "<name>"} in templates`);
    }
    if (seen.has(name)) findings.error([...path, "name"], `duplicate runtime param "${name}"`);
    seen.add(name);
    for (const key of Object.keys(entry)) {
      if (!documented.has(key)) findings.warn([...path, key], `"${key}" is not a documented key of a runtime param; ignored`);
    }

    let type: JsonSchemaType = "string";
    const written = entry.type?.trim();
    if (written === undefined || written === "") {
      findings.warn([...path, "type"], `no type given for runtime param "${name}"; assuming string`);
    } else if ((JSON_SCHEMA_TYPES as readonly string[]).includes(written.toLowerCase())) {
      type = written.toLowerCase() as JsonSchemaType;
    } else if (PYTHON_TO_JSON_TYPE[written]) {
      type = PYTHON_TO_JSON_TYPE[written];
      findings.warn([...path, "type"], `runtime params use JSON-schema type words; read "${written}" as "${type}"`);
    } else {
      findings.error([...path, "type"], `"${written}" is not a runtime param type; write one of ${JSON_SCHEMA_TYPES.join(", ")}`);
    }

    const param: RuntimeParam = { name, type };
    const description = entry.description === undefined || entry.description === null ? "" : String(entry.description).trim();
    if (description) param.description = description;

    const annotationText = JSON_TYPE_ANNOTATION[type];
    const annotation = parseAnnotation(annotationText);
    const coerce = (value: unknown, valuePath: SpecPath): unknown => {
      if (!annotation.ok) return value;
      const checked = coerceDefault(value, annotation.annotation, type);
      if (checked.problem) {
        if (checked.problem.severity === "error") findings.error(valuePath, checked.problem.message);
        else findings.warn(valuePath, checked.problem.message);
      }
      return checked.value;
    };
    if (entry.enum !== undefined && entry.enum !== null) {
      if (entry.enum.length === 0) findings.error([...path, "enum"], "is an empty list; give the allowed values or leave enum out");
      if (entry.enum.length > MAX_LIST_ENTRIES) {
        findings.error([...path, "enum"], `has ${entry.enum.length} values, over the limit of ${MAX_LIST_ENTRIES} (MAX_LIST_ENTRIES)`);
        return;
      }
      param.enum = entry.enum.map((value, valueIndex) => coerce(value, [...path, "enum", valueIndex]));
    }
    if (entry.default !== undefined) {
      param.default = coerce(entry.default, [...path, "default"]);
      if (param.enum && !param.enum.some((value) => JSON.stringify(value) === JSON.stringify(param.default))) {
        findings.error([...path, "default"], `default ${JSON.stringify(param.default)} is not one of the enum values ${JSON.stringify(param.enum)}`);
      }
    }

    const bounds = { min_value: 0, max_value: 0, min_length: 0, max_length: 0 };
    for (const key of Object.keys(bounds) as Array<keyof typeof bounds>) {
      const value = readNumber(entry[key], [...path, key], findings);
      if (value === undefined) continue;
      const isLength = key.endsWith("length");
      if (isLength && (!Number.isInteger(value) || value < 0)) {
        findings.error([...path, key], `${key} is ${value}; it must be a whole number ≥ 0`);
        continue;
      }
      const fits = isLength ? type === "string" || type === "array" : type === "number" || type === "integer";
      if (!fits) findings.warn([...path, key], `${key} has no effect on a runtime param of type ${type}`);
      param[key] = value;
    }
    if (param.min_value !== undefined && param.max_value !== undefined && param.min_value > param.max_value) {
      findings.error([...path, "min_value"], `min_value ${param.min_value} is greater than max_value ${param.max_value}`);
    }
    if (param.min_length !== undefined && param.max_length !== undefined && param.min_length > param.max_length) {
      findings.error([...path, "min_length"], `min_length ${param.min_length} is greater than max_length ${param.max_length}`);
    }
    const value = param.default;
    if (typeof value === "number") {
      if (param.min_value !== undefined && value < param.min_value) findings.error([...path, "default"], `default ${value} is below min_value ${param.min_value}`);
      if (param.max_value !== undefined && value > param.max_value) findings.error([...path, "default"], `default ${value} is above max_value ${param.max_value}`);
    }
    if (typeof value === "string" || Array.isArray(value)) {
      if (param.min_length !== undefined && value.length < param.min_length) findings.error([...path, "default"], `default is shorter than min_length ${param.min_length}`);
      if (param.max_length !== undefined && value.length > param.max_length) findings.error([...path, "default"], `default is longer than max_length ${param.max_length}`);
    }
    result.push(param);
  });
  return result;
}
