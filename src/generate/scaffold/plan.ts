import { apiFactsFor, type ApiFact } from "../../knowledge/ground.js";
import { defaultKnowledgeBase, type KnowledgeBase } from "../../knowledge/kb.js";
import type { AirflowTarget, ComponentSpec, SpecParam } from "../../spec/types.js";
import { BASE_OPERATOR_ARGS, BASE_SENSOR_ARGS, SENSOR_SETTING_NAMES } from "../../spec/names.js";
import { normalizeProjectName } from "../../spec/pep508.js";
import { snakeFromClassName } from "../naming.js";
import { baseType, isMutableValue, pyAnnotation, pyIdentifier, pyLiteral } from "./python.js";

/** A constructor argument of the generated class, decided once and shared by the module, test and DAG renderers. */
export interface PlannedParam {
  name: string;
  specName: string;
  /** Annotation written in the signature (`Optional[...]` when the default is None). */
  annotation: string;
  /** Annotation as the spec meant it, for docs. */
  declaredType: string;
  typeReplaced: boolean;
  /** Signature default (`None` for mutable defaults), or undefined when the argument is required. */
  signatureDefault?: string;
  /** For mutable defaults: the literal assigned in `__init__` when the argument is None. */
  bodyDefault?: string;
  /** The value the attribute holds when the DAG author does not pass the argument. */
  effectiveDefault?: string;
  required: boolean;
  description?: string;
  templated: boolean;
  /** A value the test and example DAG pass. */
  sample: string;
}

/** A provider hook the component creates where it does its work, as the Airflow knowledge base defines it. */
export interface PlannedHook {
  className: string;
  /** Python lines importing it. */
  importLines: string[];
  /** Local variable holding it in `execute` / `poke`. */
  variable: string;
  /** Keyword arguments of its constructor, in the constructor's order: name and expression (`self.http_conn_id`). */
  args: { name: string; value: string }[];
  /** Its methods most relevant to the spec, most relevant first. */
  methods: string[];
}

/** A spec param that is really an argument of the Airflow base class (e.g. a sensor's `poke_interval`). */
export interface BaseArgument {
  name: string;
  literal?: string;
  description?: string;
}

export interface ScaffoldPlan {
  spec: ComponentSpec;
  className: string;
  snake: string;
  target: AirflowTarget;
  componentModule: string;
  params: PlannedParam[];
  baseArguments: BaseArgument[];
  templateFields: string[];
  /** Template fields named in the spec that are not constructor arguments of the class. */
  droppedTemplateFields: string[];
  typingImports: string[];
  /** Sensor: the path argument whose existence `poke` checks, when the spec has one. */
  sensorPathParam?: PlannedParam;
  hook?: { connAttr: string; defaultConnName: string; connType: string; hookName: string; usesRequests: boolean };
  /** Operators and sensors: the provider hooks `execute` / `poke` create (those whose package the spec depends on). */
  usesHooks: PlannedHook[];
}

/** At most this many provider hooks are created by one scaffold. */
const MAX_HOOKS = 2;

/** The hooks of the KB facts for this spec that name a connection, most relevant first. */
function connectionHooks(spec: ComponentSpec, target: AirflowTarget, kb: KnowledgeBase | null): ApiFact[] {
  if (kb === null) return [];
  return apiFactsFor(spec, kb, target).filter((f) => f.role === "hook" && f.connection !== undefined);
}

/**
 * Hooks a scaffold can import: a provider's only when the spec depends on its package (else CI cannot
 * import it), Airflow's own only when it exists in every targeted major. A sensor with a path to check keeps
 * checking it, unless the spec depends on a provider package (the path is then the service's).
 */
function usableHooks(spec: ComponentSpec, facts: ApiFact[], checksPath: boolean): ApiFact[] {
  const declared = new Set(
    spec.dependencies.map((d) => normalizeProjectName(/^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(d)?.[1] ?? "")),
  );
  return facts
    .filter((f) => (f.distribution ? declared.has(f.distribution) : f.missingOn.length === 0 && !checksPath))
    .slice(0, MAX_HOOKS);
}

// Spec params with these names are arguments of the Airflow base class: they go to `super().__init__`.
const OPERATOR_BASE_ARGS: ReadonlySet<string> = BASE_OPERATOR_ARGS;
const SENSOR_BASE_ARGS: ReadonlySet<string> = new Set([...BASE_OPERATOR_ARGS, ...SENSOR_SETTING_NAMES, ...BASE_SENSOR_ARGS]);

// Names a constructor argument cannot take: `self`/`kwargs` would not compile, the rest are read-only
// or meaningful attributes of the base classes that `self.<name> = <name>` would break.
const TAKEN_NAMES: Record<"operator" | "sensor" | "hook", ReadonlySet<string>> = (() => {
  const common = ["self", "kwargs", "log"];
  const task = [
    ...common, "output", "template_fields", "template_ext", "template_fields_renderers", "ui_color", "ui_fgcolor",
    "dag_id", "task_type", "operator_name", "operator_class", "upstream_list", "downstream_list", "roots", "leaves", "label",
  ];
  return {
    operator: new Set(task),
    sensor: new Set([...task, "poke", "reschedule"]),
    hook: new Set([...common, "conn_name_attr", "default_conn_name", "conn_type", "hook_name", "get_conn", "get_connection"]),
  };
})();

function sampleForType(name: string, type: string): string {
  const t = baseType(type).toLowerCase();
  if (/^(int)\b/.test(t)) return "1";
  if (/^(float|decimal)\b/.test(t)) return "1.5";
  if (/^bool\b/.test(t)) return "True";
  if (/^(dict|mapping|mutablemapping)\b/.test(t) || t.startsWith("typing.dict")) return '{"key": "value"}';
  if (/^(list|sequence|set|iterable|tuple)\b/.test(t)) return '["example"]';
  const n = name.toLowerCase();
  if (/url|uri/.test(n)) return '"https://example.com/api"';
  if (/endpoint/.test(n)) return '"/v1/example"';
  if (/conn_id$/.test(n)) return `"${n.replace(/_conn_id$/, "")}_default"`;
  if (/path|file|dir/.test(n)) return '"/tmp/example.txt"';
  if (/sql|query/.test(n)) return '"SELECT 1"';
  if (/email/.test(n)) return '"user@example.com"';
  if (/bucket/.test(n)) return '"example-bucket"';
  if (/method/.test(n)) return '"GET"';
  return '"example"';
}

function planParam(param: SpecParam, name: string, templated: boolean, typing: Set<string>): PlannedParam {
  const ann = pyAnnotation(param.type);
  for (const t of ann.typingImports) typing.add(t);
  const isOptional = /^Optional\[/.test(ann.text) || /\|\s*None\b|\bNone\s*\|/.test(ann.text) || ann.text === "Any";
  const optionalAnnotation = (): string => {
    if (isOptional) return ann.text;
    typing.add("Optional");
    return `Optional[${ann.text}]`;
  };
  const base = {
    name,
    specName: param.name,
    declaredType: param.type,
    typeReplaced: ann.replaced,
    required: param.required,
    description: param.description,
    templated,
  };
  const hasDefault = param.default !== undefined;
  if (hasDefault && param.default !== null && isMutableValue(param.default)) {
    const literal = pyLiteral(param.default);
    return { ...base, annotation: optionalAnnotation(), signatureDefault: "None", bodyDefault: literal, effectiveDefault: literal, sample: literal };
  }
  if (hasDefault) {
    const literal = pyLiteral(param.default);
    const annotation = param.default === null ? optionalAnnotation() : ann.text;
    return {
      ...base,
      annotation,
      signatureDefault: literal,
      effectiveDefault: literal,
      sample: param.default === null ? sampleForType(name, ann.text) : literal,
    };
  }
  if (param.required) return { ...base, annotation: ann.text, sample: sampleForType(name, ann.text) };
  return { ...base, annotation: optionalAnnotation(), signatureDefault: "None", effectiveDefault: "None", sample: sampleForType(name, ann.text) };
}

function pickSensorPath(params: PlannedParam[]): PlannedParam | undefined {
  const stringish = params.filter((p) => {
    const t = baseType(p.annotation).toLowerCase();
    return t === "str" || t === "any" || t.startsWith("os.pathlike") || t === "path";
  });
  return (
    stringish.find((p) => /^(file_?path|path|file_?name|file|local_?path|full_?path)$/i.test(p.name)) ??
    stringish.find((p) => /path/i.test(p.name) && !/url|uri|conn/i.test(p.name))
  );
}

export function planScaffold(
  spec: ComponentSpec,
  target: AirflowTarget,
  componentModule?: string,
  knowledgeBase?: KnowledgeBase | null,
): ScaffoldPlan {
  const kb = knowledgeBase === undefined ? defaultKnowledgeBase() : knowledgeBase;
  const hookFacts = connectionHooks(spec, target, kb);
  const typing = new Set<string>(["Any"]);
  const snake = snakeFromClassName(spec.name);
  const reserved: ReadonlySet<string> = spec.component_type === "sensor" ? SENSOR_BASE_ARGS : spec.component_type === "operator" ? OPERATOR_BASE_ARGS : new Set<string>();
  const templatedNames = new Set(spec.template_fields);

  const params: PlannedParam[] = [];
  const baseArguments: BaseArgument[] = [];
  const seen = new Set<string>();
  let hook: ScaffoldPlan["hook"];
  if (spec.component_type === "hook") {
    const stem = snake.replace(/_hook$/, "") || snake;
    hook = {
      connAttr: pyIdentifier(spec.hook.conn_name_attr ?? `${stem}_conn_id`),
      defaultConnName: spec.hook.default_conn_name ?? `${stem}_default`,
      // A connection type Airflow registers (the KB's hook for the category) rather than an invented one.
      connType: spec.hook.conn_type ?? hookFacts[0]?.connection?.type ?? stem,
      hookName: spec.hook.hook_name ?? spec.display_name ?? spec.name,
      usesRequests: spec.dependencies.some((d) => /^requests(\[.*\])?\s*($|[<>=!~;\s])/i.test(d.trim())),
    };
  }

  const taken = TAKEN_NAMES[spec.component_type];
  const argName = (specName: string): string => {
    const id = pyIdentifier(specName);
    return taken.has(id) ? `${id}_` : id;
  };
  for (const param of spec.params) {
    const id = argName(param.name);
    if (seen.has(id)) continue;
    seen.add(id);
    if (reserved.has(id)) {
      baseArguments.push({
        name: id,
        literal: param.default === undefined ? undefined : pyLiteral(param.default),
        description: param.description,
      });
      continue;
    }
    const planned = planParam(param, id, spec.component_type !== "hook" && templatedNames.has(param.name), typing);
    if (hook && id === hook.connAttr && planned.signatureDefault === undefined) {
      planned.signatureDefault = pyLiteral(hook.defaultConnName);
      planned.effectiveDefault = planned.signatureDefault;
      planned.required = false;
    }
    params.push(planned);
  }
  if (hook && !seen.has(hook.connAttr)) {
    const literal = pyLiteral(hook.defaultConnName);
    params.unshift({
      name: hook.connAttr,
      specName: hook.connAttr,
      annotation: "str",
      declaredType: "str",
      typeReplaced: false,
      signatureDefault: literal,
      effectiveDefault: literal,
      required: false,
      description: `Airflow connection id (connection type \`${hook.connType}\`).`,
      templated: false,
      sample: literal,
    });
  }
  const usesHooks: PlannedHook[] = [];
  if (spec.component_type !== "hook") {
    const usable = usableHooks(spec, hookFacts, spec.component_type === "sensor" && pickSensorPath(params) !== undefined);
    for (const fact of usable) {
      const conn = fact.connection;
      if (!conn) continue;
      // The component's argument holding the connection id is named as the hook's conn_name_attr.
      let own = params.find((p) => p.name === conn.attr) ?? params.find((p) => p.name === conn.param);
      if (!own) {
        const literal = conn.default === undefined ? undefined : pyLiteral(conn.default);
        own = {
          name: conn.attr,
          specName: conn.attr,
          annotation: "str",
          declaredType: "str",
          typeReplaced: false,
          ...(literal === undefined ? {} : { signatureDefault: literal, effectiveDefault: literal }),
          required: literal === undefined,
          description: `Airflow connection id for ${fact.name}${conn.type ? ` (connection type \`${conn.type}\`)` : ""}.`,
          templated: false,
          sample: literal ?? pyLiteral(`${conn.attr.replace(/_conn_id$/, "")}_default`),
        };
        params.push(own);
        seen.add(own.name);
      }
      const args: PlannedHook["args"] = [];
      const initParams = fact.init?.params ?? [];
      for (const name of initParams) {
        if (name === conn.param) args.push({ name, value: `self.${own.name}` });
        else if (params.some((p) => p.name === name && p !== own)) args.push({ name, value: `self.${name}` });
      }
      if (!initParams.includes(conn.param)) args.push({ name: conn.param, value: `self.${own.name}` });
      usesHooks.push({
        className: fact.name,
        importLines: fact.imports,
        variable: usable.length === 1 ? "hook" : snakeFromClassName(fact.name),
        args,
        methods: fact.methods.map((m) => m.name),
      });
    }
  }
  if (spec.component_type === "sensor") {
    const settings: [string, unknown][] = [
      ["poke_interval", spec.sensor.poke_interval],
      ["timeout", spec.sensor.timeout],
      ["mode", spec.sensor.mode],
    ];
    for (const [name, value] of settings) {
      if (value === undefined) continue;
      const existing = baseArguments.find((b) => b.name === name);
      if (existing) existing.literal ??= pyLiteral(value);
      else baseArguments.push({ name, literal: pyLiteral(value) });
    }
  }

  // Required arguments first, as the spec's readers expect; the keyword-only `*` makes the order free.
  params.sort((a, b) => Number(a.signatureDefault !== undefined) - Number(b.signatureDefault !== undefined));
  const ownNames = new Set(params.map((p) => p.name));
  const templateFields: string[] = [];
  const droppedTemplateFields: string[] = [];
  if (spec.component_type !== "hook") {
    for (const field of spec.template_fields) {
      const id = argName(field);
      if (ownNames.has(id) && !templateFields.includes(id)) {
        templateFields.push(id);
        const p = params.find((x) => x.name === id);
        if (p) p.templated = true;
      } else if (!ownNames.has(id)) droppedTemplateFields.push(field);
    }
  }

  return {
    spec,
    className: pyIdentifier(spec.name),
    snake,
    target,
    componentModule: componentModule ?? snake,
    params,
    baseArguments,
    templateFields,
    droppedTemplateFields,
    typingImports: [...typing].sort(),
    // A sensor that polls a service through a hook does not check a local path.
    sensorPathParam: spec.component_type === "sensor" && usesHooks.length === 0 ? pickSensorPath(params) : undefined,
    hook,
    usesHooks,
  };
}
