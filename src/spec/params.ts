import type { ComponentType, HookSettings, SensorSettings, SpecParam } from "./types.js";
import type { FindingCollector } from "./findings.js";
import { BASE_OPERATOR_ARGS, BASE_SENSOR_ARGS, PYTHON_KEYWORDS, SENSOR_SETTING_NAMES, closestName, isSnakeCaseIdentifier, toSnakeCase } from "./names.js";
import type { SpecPath } from "./path.js";
import { annotationForValue, coerceDefault } from "./python-types.js";
import { asList, pythonTypeText, readAnnotation, readBool, readNumber } from "./read-values.js";
import { DOCUMENTED_PARAM_KEYS, describeInput, type RawParam, type RawSpec } from "./schema.js";

/** Constructor parameters (inputs, config_params), the sensor and hook settings, and template fields. */

export function normalizeParams(
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

export function normalizeSensor(
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
export function normalizeHook(raw: RawSpec, findings: FindingCollector): HookSettings {
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

export function normalizeTemplateFields(
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
