import { z } from "zod";
import type { ComponentSpec, RuntimeParam, SpecParam } from "./types.js";

/**
 * Two schemas: `rawSpecSchema` accepts the spec files people already have (structure only, every legacy
 * spelling allowed), and `componentSpecSchema` describes the normalized `ComponentSpec` exactly. The
 * normalizer (normalize.ts) turns the first into the second, reporting warnings on the way.
 */

function expected(what: string) {
  return (issue: { input?: unknown }) => {
    if (issue.input === undefined) return `is required (${what})`;
    // `- Pass a: b` is a mapping to YAML, not a sentence: the commonest surprise in hand-written specs.
    const hint =
      issue.input !== null && typeof issue.input === "object" && !Array.isArray(issue.input) && !what.startsWith("a mapping") && !what.startsWith("a list")
        ? ' (unquoted text containing ": " is read as a mapping; put the text in quotes)'
        : "";
    return `must be ${what}, got ${describeInput(issue.input)}${hint}`;
  };
}

export function describeInput(value: unknown): string {
  if (value === null) return "nothing (null)";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

const text = (what = "text") => z.string({ error: expected(what) });
/** Scalars written as text or as YAML numbers/booleans: `version: 1.0`, `author: 2024`. */
const scalarText = z.union([z.string(), z.number(), z.boolean()], { error: expected("text") });
const numberish = z.union([z.number(), z.string()], { error: expected("a number") });
const boolish = z.union([z.boolean(), z.string(), z.number()], { error: expected("true or false") });
/** A list, or a single item where a list is expected; YAML `key:` with nothing after it is null. */
const listOf = <T extends z.ZodType>(item: T, what: string) =>
  z.preprocess(
    (value) => (value === null || value === undefined ? [] : Array.isArray(value) ? value : [value]),
    z.array(item, { error: expected(`a list of ${what}`) }),
  );

export const rawParamSchema = z.looseObject({
  name: text("a snake_case name"),
  type: text("a Python type such as str or Optional[int]").optional(),
  display_name: scalarText.optional(),
  description: scalarText.nullable().optional(),
  required: boolish.nullable().optional(),
  default: z.unknown().optional(),
  template_field: boolish.nullable().optional(),
}, { error: expected("a mapping with name, type, description, ...") });

export const rawRuntimeParamSchema = z.looseObject({
  name: text("a name"),
  type: text("string, number, integer, boolean, array or object").optional(),
  description: scalarText.nullable().optional(),
  default: z.unknown().optional(),
  enum: z.array(z.unknown(), { error: expected("a list of allowed values") }).nullable().optional(),
  min_value: numberish.nullable().optional(),
  max_value: numberish.nullable().optional(),
  min_length: numberish.nullable().optional(),
  max_length: numberish.nullable().optional(),
}, { error: expected("a mapping with name, type, description, ...") });

export const rawOutputSchema = z.looseObject({
  name: text("a name"),
  type: text("a Python type").optional(),
  description: scalarText.nullable().optional(),
  method: text("a method name").nullable().optional(),
}, { error: expected("a mapping with name, type, description, method") });

export const rawExampleSchema = z.union(
  [z.string(), z.looseObject({ description: scalarText.nullable().optional(), code: text("code").nullable().optional() })],
  { error: expected("a mapping with description and code") },
);

export const rawSpecSchema = z.looseObject({
  name: text("a PascalCase class name such as HttpToS3Operator"),
  display_name: scalarText.nullable().optional(),
  description: scalarText,
  category: scalarText.nullable().optional(),
  component_type: text("operator, sensor or hook"),
  airflow_version: z.union([z.string(), z.number()], { error: expected('"2", "3" or "both"') }).nullable().optional(),
  platforms: listOf(scalarText, "platform names").optional(),
  icon: scalarText.nullable().optional(),
  ui_color: text('a hex color such as "#f0ede4"').nullable().optional(),
  ui_fgcolor: text('a hex color such as "#000000"').nullable().optional(),
  inputs: z.array(rawParamSchema, { error: expected("a list of inputs") }).nullable().optional(),
  config_params: z.array(rawParamSchema, { error: expected("a list of config params") }).nullable().optional(),
  runtime_params: z.array(rawRuntimeParamSchema, { error: expected("a list of runtime params") }).nullable().optional(),
  outputs: z.array(rawOutputSchema, { error: expected("a list of outputs") }).nullable().optional(),
  requirements: listOf(scalarText, "sentences").optional(),
  dependencies: listOf(text("a PEP 508 requirement such as requests>=2.31"), "PEP 508 requirements").optional(),
  base_class: text("BaseOperator, BaseSensor(Operator) or BaseHook").nullable().optional(),
  template_fields: listOf(text("an input name"), "input names").optional(),
  template_ext: listOf(text('a file extension such as ".sql"'), "file extensions").optional(),
  poke_interval: numberish.nullable().optional(),
  timeout: numberish.nullable().optional(),
  mode: text('"poke" or "reschedule"').nullable().optional(),
  conn_name_attr: text("an attribute name such as http_conn_id").nullable().optional(),
  conn_type: text("a connection type such as http").nullable().optional(),
  hook_name: scalarText.nullable().optional(),
  default_conn_name: text("a connection id such as http_default").nullable().optional(),
  implementation_hints: listOf(scalarText, "sentences").optional(),
  prerequisites: z.unknown().optional(),
  documentation_url: text("a URL").nullable().optional(),
  license: scalarText.nullable().optional(),
  examples: listOf(rawExampleSchema, "examples").optional(),
  author: scalarText.nullable().optional(),
  version: scalarText.nullable().optional(),
});

export type RawSpec = z.infer<typeof rawSpecSchema>;
export type RawParam = z.infer<typeof rawParamSchema>;
export type RawRuntimeParam = z.infer<typeof rawRuntimeParamSchema>;

/** Every top-level key the spec format documents; anything else lands in `extra` with a warning. */
export const DOCUMENTED_KEYS: ReadonlySet<string> = new Set(Object.keys(rawSpecSchema.shape));
export const DOCUMENTED_PARAM_KEYS: ReadonlySet<string> = new Set(Object.keys(rawParamSchema.shape));

const specParamSchema = z.object({
  name: z.string(),
  type: z.string(),
  display_name: z.string().optional(),
  description: z.string().optional(),
  required: z.boolean(),
  default: z.unknown().optional(),
  template_field: z.boolean(),
  source: z.enum(["inputs", "config_params"]),
  extra: z.record(z.string(), z.unknown()).optional(),
});

const runtimeParamSchema = z.object({
  name: z.string(),
  type: z.enum(["string", "number", "integer", "boolean", "array", "object"]),
  description: z.string().optional(),
  default: z.unknown().optional(),
  enum: z.array(z.unknown()).optional(),
  min_value: z.number().optional(),
  max_value: z.number().optional(),
  min_length: z.number().optional(),
  max_length: z.number().optional(),
});

/** The normalized spec; stored specs can be re-validated with it. */
export const componentSpecSchema = z.object({
  name: z.string(),
  display_name: z.string().optional(),
  description: z.string(),
  category: z.string(),
  component_type: z.enum(["operator", "sensor", "hook"]),
  base_class: z.enum(["BaseOperator", "BaseSensorOperator", "BaseHook"]),
  airflow_version: z.enum(["2", "3", "both"]),
  platforms: z.array(z.string()),
  icon: z.string().optional(),
  ui_color: z.string().optional(),
  ui_fgcolor: z.string().optional(),
  params: z.array(specParamSchema),
  runtime_params: z.array(runtimeParamSchema),
  outputs: z.array(z.object({ name: z.string(), type: z.string(), description: z.string().optional(), method: z.string().optional() })),
  requirements: z.array(z.string()),
  dependencies: z.array(z.string()),
  template_fields: z.array(z.string()),
  template_ext: z.array(z.string()),
  sensor: z.object({
    poke_interval: z.number().optional(),
    timeout: z.number().optional(),
    mode: z.enum(["poke", "reschedule"]).optional(),
  }),
  hook: z.object({
    conn_name_attr: z.string().optional(),
    conn_type: z.string().optional(),
    hook_name: z.string().optional(),
    default_conn_name: z.string().optional(),
  }),
  implementation_hints: z.array(z.string()),
  prerequisites: z.unknown(),
  examples: z.array(z.object({ description: z.string().optional(), code: z.string().optional() })),
  author: z.string().optional(),
  version: z.string().optional(),
  documentation_url: z.string().optional(),
  license: z.string().optional(),
  extra: z.record(z.string(), z.unknown()),
}) satisfies z.ZodType<ComponentSpec>;

// The schema and the interface in types.ts must describe the same shape, in both directions.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Assert<T extends true> = T;
export type _SpecSchemaMatchesType = Assert<Equal<z.infer<typeof componentSpecSchema>, ComponentSpec>>;
export type _ParamSchemaMatchesType = Assert<Equal<z.infer<typeof specParamSchema>, SpecParam>>;
export type _RuntimeSchemaMatchesType = Assert<Equal<z.infer<typeof runtimeParamSchema>, RuntimeParam>>;
