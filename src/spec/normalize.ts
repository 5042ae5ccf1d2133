import type { ZodError } from "zod";
import type {
  AirflowTarget,
  ComponentSpec,
  ComponentType,
  HookSettings,
  RuntimeParam,
  SensorSettings,
  SpecExample,
  SpecOutput,
  SpecParam,
  SpecParseResult,
} from "./types.js";
import { FindingCollector } from "./findings.js";
import { MAX_LIST_ENTRIES, MAX_PARAMS } from "./limits.js";
import {
  BASE_OPERATOR_ARGS,
  BASE_SENSOR_ARGS,
  PYTHON_KEYWORDS,
  SENSOR_SETTING_NAMES,
  closestName,
  isPascalCaseIdentifier,
  isSnakeCaseIdentifier,
  toPascalCase,
  toSnakeCase,
} from "./names.js";
import type { PathSegment, SpecPath } from "./path.js";
import { normalizeProjectName, parseRequirement } from "./pep508.js";
import { annotationForValue, coerceDefault, parseAnnotation, parseBoolText, type Annotation } from "./python-types.js";
import {
  DOCUMENTED_KEYS,
  DOCUMENTED_PARAM_KEYS,
  describeInput,
  rawRuntimeParamSchema,
  rawSpecSchema,
  type RawParam,
  type RawRuntimeParam,
  type RawSpec,
} from "./schema.js";
import { EMPTY_SOURCE, type SourceMap } from "./yaml-source.js";

const BASE_CLASS_FOR: Record<ComponentType, ComponentSpec["base_class"]> = {
  operator: "BaseOperator",
  sensor: "BaseSensorOperator",
  hook: "BaseHook",
};

/** How the legacy files spell base classes, lower-cased, without a module path. */
const BASE_CLASS_SPELLINGS: Record<string, ComponentSpec["base_class"]> = {
  baseoperator: "BaseOperator",
  basesensor: "BaseSensorOperator",
  basesensoroperator: "BaseSensorOperator",
  basehook: "BaseHook",
};

const NAME_SUFFIX: Record<ComponentType, string> = { operator: "Operator", sensor: "Sensor", hook: "Hook" };

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
function pythonTypeText(written: string, path: SpecPath, findings: FindingCollector): string {
  const translated = NON_PYTHON_TYPE_WORDS[written.toLowerCase()];
  if (translated === undefined || written === translated) return written;
  findings.warn(path, `"${written}" is not a Python type; read as ${translated} (inputs, config_params and outputs take Python annotations)`);
  return translated;
}

const HEX_COLOR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Turns a parsed spec document (plain data from YAML or an issue form) into the normalized
 * `ComponentSpec`, or the list of what is wrong with it. `source` supplies line numbers.
 */
export function normalizeSpec(raw: unknown, source: SourceMap = EMPTY_SOURCE): SpecParseResult {
  const findings = new FindingCollector(source);
  const fail = (): SpecParseResult => ({ ok: false, errors: findings.errors, warnings: findings.warnings });

  if (!isPlainObject(raw)) {
    findings.error([], `a spec must be a mapping of keys (name, description, component_type, inputs, ...), got ${describeInput(raw)}`);
    return fail();
  }
  if (!checkBounds(raw, findings)) return fail();

  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (DOCUMENTED_KEYS.has(key)) continue;
    extra[key] = value;
    const suggestion = closestName(key, DOCUMENTED_KEYS);
    findings.warn([key], `"${key}" is not a documented spec key; kept as written but not used${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`);
  }

  const parsed = rawSpecSchema.safeParse(rejoinSentences(raw, findings), { reportInput: true });
  if (!parsed.success) {
    reportZodIssues(parsed.error, findings);
    return fail();
  }
  const spec = buildSpec(parsed.data, extra, source, findings);
  if (findings.errors.length > 0 || !spec) return fail();
  return { ok: true, spec, warnings: findings.warnings };
}

/**
 * `- Use a: b` in a list of sentences is a one-key mapping to YAML. Files written for the earlier
 * factory have such lines; read them back as the sentence that was meant, with a warning.
 */
function rejoinSentences(raw: Record<string, unknown>, findings: FindingCollector): Record<string, unknown> {
  let result = raw;
  for (const key of ["requirements", "implementation_hints"]) {
    const list = raw[key];
    if (!Array.isArray(list)) continue;
    const rejoined = list.map((item: unknown, index) => {
      if (!isPlainObject(item)) return item;
      const entries = Object.entries(item);
      const [first] = entries;
      if (entries.length !== 1 || !first || (first[1] !== null && typeof first[1] === "object")) return item;
      const sentence = `${first[0]}: ${first[1] === null ? "" : String(first[1])}`.trim();
      findings.warn([key, index], `read as the text ${JSON.stringify(sentence)}; quote sentences that contain ": " so YAML does not read them as a mapping`);
      return sentence;
    });
    result = { ...result, [key]: rejoined };
  }
  return result;
}

function checkBounds(raw: Record<string, unknown>, findings: FindingCollector): boolean {
  const count = (key: string): number => (Array.isArray(raw[key]) ? (raw[key] as unknown[]).length : 0);
  const params = count("inputs") + count("config_params");
  if (params > MAX_PARAMS) {
    findings.error(
      [count("inputs") > 0 ? "inputs" : "config_params"],
      `the spec has ${params} inputs and config params, over the limit of ${MAX_PARAMS} (MAX_PARAMS); an operator with that many arguments cannot be used`,
    );
    return false;
  }
  for (const key of ["runtime_params", "outputs", "dependencies", "requirements", "template_fields", "template_ext", "examples", "implementation_hints", "platforms"]) {
    if (count(key) > MAX_LIST_ENTRIES) {
      findings.error([key], `${key} has ${count(key)} entries, over the limit of ${MAX_LIST_ENTRIES} (MAX_LIST_ENTRIES)`);
      return false;
    }
  }
  return true;
}

function reportZodIssues(error: ZodError, findings: FindingCollector): void {
  for (const issue of error.issues) {
    const path = issue.path.filter((segment): segment is PathSegment => typeof segment !== "symbol");
    findings.error(path, issue.message);
  }
}

/** A list field written as a list, a single item, or nothing. */
function asList<T>(value: T | T[] | null | undefined): T[] {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function buildSpec(raw: RawSpec, extra: Record<string, unknown>, source: SourceMap, findings: FindingCollector): ComponentSpec | undefined {
  /** A scalar as text; numbers keep the spelling the file used (`version: 1.10` stays "1.10"). */
  const textAt = (path: SpecPath, value: string | number | boolean | null | undefined): string | undefined => {
    if (value === null || value === undefined) return undefined;
    if (typeof value === "string") return value.trim();
    return source.scalarSource(path) ?? String(value);
  };
  const textList = (key: string, values: Array<string | number | boolean> | string | number | boolean | null | undefined): string[] => {
    const list = Array.isArray(values) ? values : asList(values);
    const single = !Array.isArray(values);
    return list
      .map((value, index) => textAt(single ? [key] : [key, index], value) ?? "")
      .filter((value) => value !== "");
  };

  // Identity
  const name = raw.name.trim();
  checkClassName(name, findings);
  const description = textAt(["description"], raw.description) ?? "";
  if (description === "") findings.error(["description"], "is empty; say in a sentence or two what the component does");

  const typeWord = raw.component_type.trim().toLowerCase();
  if (typeWord !== "operator" && typeWord !== "sensor" && typeWord !== "hook") {
    findings.error(["component_type"], `"${raw.component_type}" is not a component type; write operator, sensor or hook`);
    return undefined;
  }
  const componentType: ComponentType = typeWord;
  checkNameSuffix(name, componentType, findings);

  const baseClass = normalizeBaseClass(raw.base_class, componentType, findings);
  const airflowVersion = normalizeAirflowVersion(raw.airflow_version, source, findings);
  const category = (textAt(["category"], raw.category) ?? "").toLowerCase() || "custom";

  const spec: ComponentSpec = {
    name,
    description,
    category,
    component_type: componentType,
    base_class: baseClass,
    airflow_version: airflowVersion,
    platforms: textList("platforms", raw.platforms),
    params: [],
    runtime_params: [],
    outputs: [],
    requirements: textList("requirements", raw.requirements),
    dependencies: [],
    template_fields: [],
    template_ext: [],
    sensor: {},
    hook: {},
    implementation_hints: textList("implementation_hints", raw.implementation_hints),
    prerequisites: raw.prerequisites ?? null,
    examples: normalizeExamples(raw.examples),
    extra,
  };
  const optionalText = (key: "display_name" | "icon" | "author" | "version" | "license") => {
    const value = textAt([key], raw[key]);
    if (value !== undefined && value !== "") spec[key] = value;
  };
  optionalText("display_name");
  optionalText("icon");
  optionalText("author");
  optionalText("version");
  optionalText("license");

  for (const key of ["ui_color", "ui_fgcolor"] as const) {
    const color = checkColor(key, raw, findings);
    if (color) spec[key] = color;
  }
  if (raw.documentation_url !== undefined && raw.documentation_url !== null) {
    const url = raw.documentation_url.trim();
    if (!/^https?:\/\/\S+$/.test(url)) findings.warn(["documentation_url"], `"${url}" is not an http(s) URL`);
    if (url !== "") spec.documentation_url = url;
  }

  // Parameters, sensor settings, template fields
  const sensorFromParams = new Map<string, { value: unknown; path: SpecPath }>();
  spec.params = normalizeParams(raw, componentType, name, findings, sensorFromParams);
  spec.sensor = normalizeSensor(raw, componentType, sensorFromParams, findings);
  spec.hook = normalizeHook(raw, findings);
  spec.template_fields = normalizeTemplateFields(raw, spec.params, sensorFromParams, findings);
  spec.template_ext = asList(raw.template_ext).map((ext, index) => {
    const value = ext.trim();
    if (!value.startsWith(".")) {
      findings.warn(["template_ext", index], `"${value}" should start with a dot (e.g. ".${value}"); Airflow matches it against the end of the value`);
    }
    return value;
  });

  spec.runtime_params = normalizeRuntimeParams(raw.runtime_params ?? [], findings);
  spec.outputs = normalizeOutputs(raw, source, findings);
  spec.dependencies = normalizeDependencies(asList(raw.dependencies), findings);
  return spec;
}

function checkClassName(name: string, findings: FindingCollector): void {
  if (name === "") {
    findings.error(["name"], "is empty; give the class name in PascalCase, e.g. HttpToS3Operator");
    return;
  }
  if (isPascalCaseIdentifier(name)) return;
  const suggestion = toPascalCase(name);
  const hint = suggestion !== name && isPascalCaseIdentifier(suggestion) ? `; use "${suggestion}"` : "; e.g. HttpToS3Operator";
  if (PYTHON_KEYWORDS.has(name)) {
    findings.error(["name"], `"${name}" is a Python keyword and cannot be a class name`);
  } else if (/^[0-9]/.test(name)) {
    findings.error(["name"], `"${name}" starts with a digit; a Python class name starts with a capital letter${hint}`);
  } else {
    findings.error(["name"], `"${name}" is not a PascalCase Python class name (capital first letter, then letters and digits only)${hint}`);
  }
}

function checkNameSuffix(name: string, componentType: ComponentType, findings: FindingCollector): void {
  for (const [otherType, suffix] of Object.entries(NAME_SUFFIX)) {
    if (otherType !== componentType && name.endsWith(suffix) && !name.endsWith(NAME_SUFFIX[componentType])) {
      findings.warn(["name"], `"${name}" ends in "${suffix}" but component_type is ${componentType}; Airflow names a ${componentType} "...${NAME_SUFFIX[componentType]}"`);
    }
  }
}

function normalizeBaseClass(value: string | null | undefined, componentType: ComponentType, findings: FindingCollector): ComponentSpec["base_class"] {
  const expected = BASE_CLASS_FOR[componentType];
  if (value === null || value === undefined || value.trim() === "") return expected;
  const written = value.trim();
  const normalized = BASE_CLASS_SPELLINGS[(written.split(".").pop() ?? written).toLowerCase()];
  if (!normalized) {
    findings.error(["base_class"], `"${written}" is not a base class opforge generates from; write BaseOperator, BaseSensor (BaseSensorOperator) or BaseHook, or leave it out so component_type decides`);
    return expected;
  }
  if (normalized !== expected) {
    findings.error(["base_class"], `"${written}" contradicts component_type ${componentType}, whose base class is ${expected}; change one of them`);
  }
  return expected;
}

function normalizeAirflowVersion(value: string | number | null | undefined, source: SourceMap, findings: FindingCollector): AirflowTarget {
  if (value === null || value === undefined) return "both";
  const written = typeof value === "number" ? (source.scalarSource(["airflow_version"]) ?? String(value)) : value.trim();
  const lower = written.toLowerCase();
  if (lower === "both" || lower === "") return "both";
  const major = /^v?([23])(?:\.(?:\d+|x|\*))*(?:\+)?$/.exec(lower)?.[1];
  if (major === "2" || major === "3") return major;
  findings.error(["airflow_version"], `"${written}" is not an Airflow target; write "2", "3" or "both"`);
  return "both";
}

function checkColor(key: "ui_color" | "ui_fgcolor", raw: RawSpec, findings: FindingCollector): string | undefined {
  if (!(key in raw)) return undefined;
  const value = raw[key];
  if (value === null || value === undefined) {
    findings.warn([key], `is empty — an unquoted #rrggbb starts a YAML comment; write it in quotes, e.g. ${key}: "#f0ede4"`);
    return undefined;
  }
  const color = value.trim();
  if (HEX_COLOR.test(color)) return color;
  const hint = /^(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(color) ? ` (write "#${color}")` : "";
  findings.error([key], `"${color}" is not a hex color like "#f0ede4"${hint}`);
  return undefined;
}

function readBool(value: string | number | boolean | null | undefined, path: SpecPath, fallback: boolean, findings: FindingCollector): boolean {
  if (value === null || value === undefined) return fallback;
  if (typeof value === "boolean") return value;
  const parsed = parseBoolText(String(value));
  if (parsed === undefined) {
    findings.warn(path, `${describeInput(value)} cannot be read as true or false; using ${fallback}`);
    return fallback;
  }
  return parsed;
}

function readAnnotation(typeText: string, path: SpecPath, findings: FindingCollector): Annotation | undefined {
  const parsed = parseAnnotation(typeText);
  if (!parsed.ok) {
    findings.error(path, parsed.message);
    return undefined;
  }
  return parsed.annotation;
}

function normalizeParams(
  raw: RawSpec,
  componentType: ComponentType,
  className: string,
  findings: FindingCollector,
  sensorFromParams: Map<string, { value: unknown; path: SpecPath }>,
): SpecParam[] {
  const params: SpecParam[] = [];
  const seen = new Map<string, string>();
  const prefix = toSnakeCase(className).split("_")[0] || "task";
  for (const listName of ["inputs", "config_params"] as const) {
    (raw[listName] ?? []).forEach((entry: RawParam, index) => {
      const path: SpecPath = [listName, index];
      const name = entry.name.trim();
      const where = `${listName}[${index}]`;

      const firstUse = seen.get(name);
      if (firstUse !== undefined) {
        findings.error([...path, "name"], `duplicate name "${name}": ${firstUse} already uses it (names must be unique across inputs and config_params)`);
      } else {
        seen.set(name, where);
      }

      const hasDefault = Object.prototype.hasOwnProperty.call(entry, "default") && entry.default !== undefined;
      if (componentType === "sensor" && (SENSOR_SETTING_NAMES as readonly string[]).includes(name)) {
        // BaseSensorOperator takes these itself; as constructor arguments they would shadow it.
        // Their values are read (and checked) with the top-level sensor settings.
        sensorFromParams.set(name, { value: hasDefault ? entry.default : undefined, path: [...path, "default"] });
        return;
      }
      checkParamName(name, [...path, "name"], componentType, prefix, findings);

      let typeText = pythonTypeText(entry.type?.trim() ?? "", [...path, "type"], findings);
      if (typeText === "") {
        typeText = hasDefault ? annotationForValue(entry.default) : "str";
        findings.warn([...path, "type"], `no type given for "${name}"; assuming ${typeText}`);
      }
      const annotation = readAnnotation(typeText, [...path, "type"], findings);

      const required = readBool(entry.required, [...path, "required"], false, findings);
      const templateField = readBool(entry.template_field, [...path, "template_field"], false, findings);

      let defaultValue: unknown = entry.default;
      if (hasDefault && annotation) {
        const checked = coerceDefault(entry.default, annotation, typeText);
        defaultValue = checked.value;
        if (checked.problem) {
          if (checked.problem.severity === "error") findings.error([...path, "default"], checked.problem.message);
          else findings.warn([...path, "default"], checked.problem.message);
        }
      }
      if (required && hasDefault) {
        findings.warn([...path, "required"], `"${name}" is required but also has a default; a default makes the argument optional — drop one of them`);
      }

      const param: SpecParam = { name, type: typeText, required, template_field: templateField, source: listName };
      const displayName = entry.display_name === undefined ? undefined : String(entry.display_name).trim();
      if (displayName) param.display_name = displayName;
      const description = entry.description === undefined || entry.description === null ? undefined : String(entry.description).trim();
      if (description) param.description = description;
      if (hasDefault) param.default = defaultValue;

      const extraKeys = Object.keys(entry).filter((key) => !DOCUMENTED_PARAM_KEYS.has(key));
      if (extraKeys.length > 0) {
        param.extra = {};
        for (const key of extraKeys) {
          param.extra[key] = (entry as Record<string, unknown>)[key];
          const suggestion = closestName(key, DOCUMENTED_PARAM_KEYS);
          findings.warn([...path, key], `"${key}" is not a documented key of an input; kept as written but not used${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`);
        }
      }
      params.push(param);
    });
  }
  return params;
}

function checkParamName(name: string, path: SpecPath, componentType: ComponentType, prefix: string, findings: FindingCollector): void {
  if (name === "") {
    findings.error(path, "is empty; give the argument a snake_case name");
    return;
  }
  if (PYTHON_KEYWORDS.has(name)) {
    findings.error(path, `"${name}" is a Python keyword and cannot be an argument name; use e.g. "${name}_"`);
    return;
  }
  if (!isSnakeCaseIdentifier(name)) {
    const suggestion = toSnakeCase(name);
    const hint = suggestion !== "" && isSnakeCaseIdentifier(suggestion) ? `; use "${suggestion}"` : "";
    findings.error(path, `"${name}" is not a snake_case Python name (lower-case letters, digits and "_", starting with a letter)${hint}`);
    return;
  }
  if (componentType === "hook") return;
  if (BASE_OPERATOR_ARGS.has(name) || (componentType === "sensor" && BASE_SENSOR_ARGS.has(name))) {
    const base = componentType === "sensor" ? "BaseSensorOperator" : "BaseOperator";
    findings.error(
      path,
      `"${name}" is an argument of ${base}; an input with this name would capture it in __init__ so it never reaches ${base} (Airflow's own ${name} would stop working) — rename it, e.g. "${prefix}_${name}"`,
    );
  }
}

function readNumber(value: string | number | null | undefined, path: SpecPath, findings: FindingCollector): number | undefined {
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

function normalizeSensor(
  raw: RawSpec,
  componentType: ComponentType,
  fromParams: Map<string, { value: unknown; path: SpecPath }>,
  findings: FindingCollector,
): SensorSettings {
  const sensor: SensorSettings = {};
  if (componentType !== "sensor") {
    for (const key of SENSOR_SETTING_NAMES) {
      if (raw[key] !== undefined && raw[key] !== null) findings.warn([key], `only sensors use ${key}; ignored for a ${componentType}`);
    }
    return sensor;
  }
  for (const key of ["poke_interval", "timeout"] as const) {
    const topLevel = readNumber(raw[key], [key], findings);
    const param = fromParams.get(key);
    let paramValue: number | undefined;
    if (typeof param?.value === "number" || typeof param?.value === "string") paramValue = readNumber(param.value, param.path, findings);
    else if (param?.value !== undefined && param.value !== null) findings.error(param.path, `${key} must be a number of seconds, got ${describeInput(param.value)}`);
    if (topLevel !== undefined && paramValue !== undefined && topLevel !== paramValue) {
      findings.error(param!.path, `${key} is ${paramValue} here but ${topLevel} at the top level; give one value, or the same value in both places`);
    }
    const value = topLevel ?? paramValue;
    if (value === undefined) continue;
    if (value < 0) {
      findings.error(topLevel !== undefined ? [key] : param!.path, `is ${value}; ${key} must be a non-negative number of seconds`);
    }
    sensor[key] = value;
  }
  const topMode = raw.mode?.trim().toLowerCase() || undefined;
  const param = fromParams.get("mode");
  const paramMode = typeof param?.value === "string" ? param.value.trim().toLowerCase() || undefined : undefined;
  if (param?.value !== undefined && param.value !== null && typeof param.value !== "string") {
    findings.error(param.path, `mode must be poke or reschedule, got ${describeInput(param.value)}`);
  }
  if (topMode !== undefined && paramMode !== undefined && topMode !== paramMode) {
    findings.error(param!.path, `mode is "${paramMode}" here but "${topMode}" at the top level; give one value, or the same value in both places`);
  }
  const mode = topMode ?? paramMode;
  if (mode !== undefined) {
    if (mode === "poke" || mode === "reschedule") sensor.mode = mode;
    else findings.error(topMode !== undefined ? ["mode"] : param!.path, `"${mode}" is not a sensor mode; write poke or reschedule`);
  }
  return sensor;
}

/** Kept for every component type: an operator or sensor may name the connection type it works with. */
function normalizeHook(raw: RawSpec, findings: FindingCollector): HookSettings {
  const hook: HookSettings = {};
  for (const key of ["conn_name_attr", "conn_type", "hook_name", "default_conn_name"] as const) {
    const value = raw[key];
    if (value === null || value === undefined) continue;
    const text = String(value).trim();
    if (text === "") continue;
    hook[key] = text;
  }
  if (hook.conn_name_attr !== undefined && !isSnakeCaseIdentifier(hook.conn_name_attr)) {
    findings.error(["conn_name_attr"], `"${hook.conn_name_attr}" is not a snake_case attribute name (e.g. "http_conn_id")`);
  }
  if (hook.conn_type !== undefined && /\s/.test(hook.conn_type)) {
    findings.error(["conn_type"], `"${hook.conn_type}" contains spaces; a connection type is one word such as "http" or "my_api"`);
  }
  return hook;
}

function normalizeTemplateFields(
  raw: RawSpec,
  params: SpecParam[],
  sensorSettings: Map<string, unknown>,
  findings: FindingCollector,
): string[] {
  const byName = new Map(params.map((param) => [param.name, param]));
  const fields: string[] = [];
  const add = (name: string, path: SpecPath): void => {
    const param = byName.get(name);
    if (!param) {
      if (sensorSettings.has(name)) {
        findings.error(path, `"${name}" is a sensor setting handled by BaseSensorOperator; it cannot be a template field`);
        return;
      }
      const suggestion = closestName(name, byName.keys());
      const known = params.length === 0 ? "the spec has no inputs" : `inputs and config params: ${[...byName.keys()].join(", ")}`;
      findings.error(path, `"${name}" is not an input or config param, so it cannot be a template field${suggestion ? ` (did you mean "${suggestion}"?)` : ""}; ${known}`);
      return;
    }
    param.template_field = true;
    if (!fields.includes(name)) fields.push(name);
  };
  asList(raw.template_fields).forEach((name, index) => add(name.trim(), ["template_fields", index]));
  for (const param of params) if (param.template_field) add(param.name, []);
  return fields;
}

function normalizeRuntimeParams(entries: RawRuntimeParam[], findings: FindingCollector): RuntimeParam[] {
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

function normalizeOutputs(raw: RawSpec, _source: SourceMap, findings: FindingCollector): SpecOutput[] {
  const seen = new Set<string>();
  return (raw.outputs ?? []).map((entry, index) => {
    const path: SpecPath = ["outputs", index];
    const name = entry.name.trim();
    if (name === "") findings.error([...path, "name"], "is empty; name the output");
    if (seen.has(name)) findings.error([...path, "name"], `duplicate output "${name}"`);
    seen.add(name);
    const type = pythonTypeText(entry.type?.trim() || "Any", [...path, "type"], findings);
    readAnnotation(type, [...path, "type"], findings);
    const output: SpecOutput = { name, type };
    const description = entry.description === undefined || entry.description === null ? "" : String(entry.description).trim();
    if (description) output.description = description;
    const method = entry.method?.trim();
    if (method) output.method = method;
    return output;
  });
}

function normalizeExamples(value: RawSpec["examples"]): SpecExample[] {
  return asList(value).map((entry) => {
    if (typeof entry === "string") return { description: entry.trim() };
    const example: SpecExample = {};
    if (entry.description !== undefined && entry.description !== null) example.description = String(entry.description).trim();
    if (entry.code !== undefined && entry.code !== null) example.code = entry.code;
    return example;
  });
}

function normalizeDependencies(entries: string[], findings: FindingCollector): string[] {
  const seen = new Map<string, number>();
  return entries.map((entry, index) => {
    const text = entry.trim();
    const checked = parseRequirement(text);
    if (!checked.ok) {
      findings.error(["dependencies", index], `"${text}" is not a valid PEP 508 requirement: ${checked.message}`);
      return text;
    }
    const project = normalizeProjectName(checked.requirement.name);
    const first = seen.get(project);
    if (first !== undefined && !checked.requirement.marker) {
      findings.warn(["dependencies", index], `"${checked.requirement.name}" is already listed at dependencies[${first}]`);
    } else if (first === undefined) {
      seen.set(project, index);
    }
    return text;
  });
}
