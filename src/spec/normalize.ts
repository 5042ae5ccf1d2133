import type { ZodError } from "zod";
import type { AirflowTarget, ComponentSpec, ComponentType, SpecExample, SpecOutput, SpecParseResult } from "./types.js";
import { FindingCollector } from "./findings.js";
import { MAX_KEY_WARNINGS, MAX_LIST_ENTRIES, MAX_PARAMS } from "./limits.js";
import { closestName, isPascalCaseIdentifier, PYTHON_KEYWORDS, toPascalCase } from "./names.js";
import { checkDependencyPins } from "./dependency-pins.js";
import { normalizeHook, normalizeParams, normalizeSensor, normalizeTemplateFields } from "./params.js";
import type { PathSegment, SpecPath } from "./path.js";
import { normalizeProjectName, parseRequirement } from "./pep508.js";
import { asList, isPlainObject, pythonTypeText, readAnnotation } from "./read-values.js";
import { normalizeRuntimeParams } from "./runtime-params.js";
import { DOCUMENTED_KEYS, describeInput, rawSpecSchema, type RawSpec } from "./schema.js";
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

const HEX_COLOR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;

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
  if (!checkCharacters(raw, [], findings)) return fail();

  const extra: Record<string, unknown> = {};
  let unknownKeys = 0;
  for (const [key, value] of Object.entries(raw)) {
    if (DOCUMENTED_KEYS.has(key)) continue;
    extra[key] = value;
    unknownKeys += 1;
    if (unknownKeys > MAX_KEY_WARNINGS) continue;
    const suggestion = closestName(key, DOCUMENTED_KEYS);
    findings.warn([key], `"${key}" is not a documented spec key; kept as written but not used${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`);
  }
  if (unknownKeys > MAX_KEY_WARNINGS) {
    findings.warn([], `${unknownKeys - MAX_KEY_WARNINGS} more keys are not documented spec keys; kept as written but not used`);
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

/** C0/C1 controls other than tab and newline, and the characters that reorder displayed text (U+202E…). */
// eslint-disable-next-line no-control-regex
const FORBIDDEN_CHARACTER = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * Text that would end up in generated code or a comment must not carry a NUL or another control character
 * (a docstring cannot hold one) nor a bidirectional override: each is refused with its field path.
 */
function checkCharacters(value: unknown, path: (string | number)[], findings: FindingCollector): boolean {
  let ok = true;
  if (typeof value === "string") {
    const found = FORBIDDEN_CHARACTER.exec(value);
    if (found !== null) {
      const code = `U+${(found[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
      findings.error(path, `contains the control character ${code} at character ${found.index + 1}; remove it`);
      return false;
    }
    return true;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      if (!checkCharacters(item, [...path, i], findings)) ok = false;
    });
    return ok;
  }
  if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      const inKey = FORBIDDEN_CHARACTER.exec(key);
      if (inKey !== null) {
        // The key itself is not echoed: it is what holds the character.
        const code = `U+${(inKey[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
        findings.error(path, `a key contains the control character ${code}; remove it`);
        ok = false;
        continue;
      }
      if (!checkCharacters(item, [...path, key], findings)) ok = false;
    }
  }
  return ok;
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
  const typeKnown = typeWord === "operator" || typeWord === "sensor" || typeWord === "hook";
  // With an unknown type the remaining checks still run, as for an operator, so every problem shows at once.
  const componentType: ComponentType = typeKnown ? typeWord : "operator";
  if (typeKnown) {
    checkNameSuffix(name, componentType, findings);
  } else {
    const suggestion = closestName(typeWord, ["operator", "sensor", "hook"]);
    findings.error(["component_type"], `"${raw.component_type}" is not a component type; write operator, sensor or hook${suggestion ? ` (did you mean ${suggestion}?)` : ""}`);
  }

  const baseClass = typeKnown ? normalizeBaseClass(raw.base_class, componentType, findings) : BASE_CLASS_FOR[componentType];
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
    examples: normalizeExamples(raw.examples, findings),
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
  spec.outputs = normalizeOutputs(raw, findings);
  spec.dependencies = normalizeDependencies(asList(raw.dependencies), findings);
  checkDependencyPins(spec.dependencies, airflowVersion, findings);
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

function normalizeOutputs(raw: RawSpec, findings: FindingCollector): SpecOutput[] {
  const seen = new Set<string>();
  return (raw.outputs ?? []).map((entry, index) => {
    const path: SpecPath = ["outputs", index];
    const name = entry.name.trim();
    if (name === "") findings.error([...path, "name"], "is empty; name the output");
    if (seen.has(name)) findings.error([...path, "name"], `duplicate output "${name}"`);
    seen.add(name);
    warnUnreadKeys(entry, ["name", "type", "description", "method"], path, "an output", findings);
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

/** Entries of outputs and examples have no `extra`: say which keys are dropped instead of losing them silently. */
function warnUnreadKeys(entry: object, documented: string[], path: SpecPath, what: string, findings: FindingCollector): void {
  for (const key of Object.keys(entry)) {
    if (!documented.includes(key)) findings.warn([...path, key], `"${key}" is not a documented key of ${what}; ignored`);
  }
}

function normalizeExamples(value: RawSpec["examples"], findings: FindingCollector): SpecExample[] {
  return asList(value).map((entry, index) => {
    if (typeof entry === "string") return { description: entry.trim() };
    warnUnreadKeys(entry, ["description", "code"], ["examples", index], "an example", findings);
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
