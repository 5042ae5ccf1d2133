import { CONTEXT_IMPORT, baseImportLines, importLines, BASE_IMPORTS } from "../airflow-imports.js";
import type { ScaffoldPlan } from "./plan.js";
import { commentText, docstringText, indent, pyIdentifier, pyLiteral, pyString } from "./python.js";

export const SCAFFOLD_HEADER =
  "# opforge scaffold: rendered from the spec without a model. Complete the parts marked TODO before use.";

export function pyTuple(items: string[]): string {
  if (items.length === 0) return "()";
  if (items.length === 1) return `(${pyString(items[0] ?? "")},)`;
  return `(${items.map(pyString).join(", ")})`;
}

/** Word-wraps prose for a docstring; continuation lines of a `:param` entry are indented. */
function wrap(text: string, width = 96): string[] {
  const out: string[] = [];
  for (const paragraph of text.split("\n")) {
    const hanging = paragraph.startsWith(":param ") ? "    " : "";
    let line = "";
    for (const word of paragraph.split(/ +/)) {
      if (line !== "" && line.length + 1 + word.length > width) {
        out.push(line);
        line = `${hanging}${word}`;
      } else {
        line = line === "" ? word : `${line} ${word}`;
      }
    }
    out.push(line);
  }
  return out;
}

function classDocstring(plan: ScaffoldPlan, scaffoldNote: string): string[] {
  const { spec } = plan;
  const lines: string[] = [];
  lines.push(...wrap(docstringText(spec.description.trim() || `${plan.className}.`)));
  lines.push("");
  lines.push(...wrap(docstringText(scaffoldNote)));
  const documented = [...plan.params];
  if (documented.length > 0 || plan.baseArguments.length > 0) lines.push("");
  for (const p of documented) {
    const bits = [p.description?.trim() ?? ""];
    const facts = [p.declaredType || "Any", p.required && p.signatureDefault === undefined ? "required" : `default ${p.effectiveDefault ?? "None"}`];
    if (p.templated) facts.push("templated");
    bits.push(`(${facts.join(", ")})`);
    lines.push(...wrap(docstringText(`:param ${p.name}: ${bits.filter((b) => b !== "").join(" ")}`)));
  }
  for (const b of plan.baseArguments) {
    const text = `:param ${b.name}: passed to ${BASE_IMPORTS[spec.component_type].className}${b.literal ? ` (default ${b.literal})` : ""}${b.description ? `. ${b.description.trim()}` : ""}`;
    lines.push(...wrap(docstringText(text)));
  }
  return ['"""' + (lines[0] ?? ""), ...lines.slice(1), '"""'];
}

function signature(plan: ScaffoldPlan): string[] {
  const args = plan.params.map((p) =>
    p.signatureDefault === undefined ? `${p.name}: ${p.annotation},` : `${p.name}: ${p.annotation} = ${p.signatureDefault},`,
  );
  // A bare `*` needs at least one named argument after it.
  if (args.length === 0) return ["def __init__(self, **kwargs: Any) -> None:"];
  return ["def __init__(", "    self,", "    *,", ...indent(args, 1), "    **kwargs: Any,", ") -> None:"];
}

function initBody(plan: ScaffoldPlan): string[] {
  const body: string[] = [];
  for (const b of plan.baseArguments) {
    if (b.literal !== undefined) body.push(`kwargs.setdefault(${pyString(b.name)}, ${b.literal})`);
  }
  body.push("super().__init__(**kwargs)");
  for (const p of plan.params) {
    if (p.bodyDefault !== undefined) {
      // A literal list/dict default would be shared between instances.
      body.push(`if ${p.name} is None:`, `    ${p.name} = ${p.bodyDefault}`);
    }
  }
  for (const p of plan.params) body.push(`self.${p.name} = ${p.name}`);
  return body;
}

/** `hook = HttpHook(method=self.method, http_conn_id=self.http_conn_id)` for each hook the component uses. */
function hookCreation(plan: ScaffoldPlan): string[] {
  return plan.usesHooks.flatMap((h) => {
    const args = h.args.map((a) => `${a.name}=${a.value}`);
    const oneLine = `${h.variable} = ${h.className}(${args.join(", ")})`;
    if (oneLine.length <= 88 || args.length <= 1) return [oneLine];
    return [`${h.variable} = ${h.className}(`, ...indent(args.map((a) => `${a},`), 1), ")"];
  });
}

/** "hook (HttpHook: run, run_and_check, get_conn)" for the TODO comments. */
function hookMethodsHint(plan: ScaffoldPlan): string {
  return plan.usesHooks
    .map((h) => `${h.variable} (${h.className}${h.methods.length > 0 ? `: ${h.methods.slice(0, 3).join(", ")}` : ""})`)
    .join(" and ");
}

function hookTypes(plan: ScaffoldPlan): string {
  return plan.usesHooks.map((h) => `type(${h.variable}).__name__`).join(", ");
}

function operatorExecute(plan: ScaffoldPlan): string[] {
  const keys = plan.templateFields.length > 0 ? plan.templateFields : plan.params.map((p) => p.name);
  const entries = keys.map((k) => `${pyString(k)}: self.${k},`);
  const outputEntries = plan.spec.outputs
    .filter((o) => !keys.includes(o.name))
    .map((o) => `${pyString(o.name)}: None,  # TODO: ${commentText(o.description ?? o.type)}`.trimEnd());
  const hooks = plan.usesHooks;
  const lines = [
    "def execute(self, context: Context) -> dict[str, Any]:",
    hooks.length === 0
      ? '    """Scaffold: logs and returns the templated values; replace with the real work."""'
      : `    """Scaffold: creates the ${hooks.length === 1 ? "hook" : "hooks"}, logs and returns the templated values; replace with the real work."""`,
  ];
  const body = [...hookCreation(plan), "result: dict[str, Any] = {", ...indent([...entries, ...outputEntries], 1), "}"];
  if (hooks.length === 0) {
    body.push(`self.log.info("${plan.className} (scaffold) running with %s", result)`);
    body.push("# TODO: implement the component; prefer a provider hook over a raw client.");
  } else {
    body.push(`self.log.info("${plan.className} (scaffold) running with %s through ${hooks.map(() => "%s").join(", ")}", result, ${hookTypes(plan)})`);
    body.push(`# TODO: implement the component with ${hookMethodsHint(plan)}.`);
  }
  body.push("return result");
  return [...lines, ...indent(body, 1)];
}

function sensorPoke(plan: ScaffoldPlan): string[] {
  const lines = [
    "def poke(self, context: Context) -> bool:",
    '    """Scaffold: one check per call; Airflow waits between pokes, so never sleep here."""',
  ];
  const p = plan.sensorPathParam;
  const body = plan.usesHooks.length > 0
    ? [
        ...hookCreation(plan),
        `self.log.info("${plan.className} (scaffold): condition not implemented yet with ${plan.usesHooks.map(() => "%s").join(", ")}, not done", ${hookTypes(plan)})`,
        `# TODO: check the condition once with ${hookMethodsHint(plan)} and return True when it is met.`,
        "return False",
      ]
    : p
    ? [
        `exists = os.path.exists(str(self.${p.name}))`,
        `self.log.info("Poking for %s: %s", self.${p.name}, "found" if exists else "not found")`,
        "return exists",
      ]
    : [
        `self.log.info("${plan.className} (scaffold): condition not implemented yet, not done")`,
        "# TODO: check the condition once and return True when it is met.",
        "return False",
      ];
  return [...lines, ...indent(body, 1)];
}

function docLines(text: string): string[] {
  const lines = wrap(text);
  if (lines.length === 1) return [`"""${lines[0] ?? ""}"""`];
  return ['"""' + (lines[0] ?? ""), ...lines.slice(1), '"""'];
}

const HOOK_MEMBERS = new Set(["get_conn", "get_connection", "log", "__init__", "conn_name_attr", "default_conn_name", "conn_type", "hook_name"]);

/** Stubs for the methods the spec's outputs name (e.g. `get`, `post`), so the hook's surface is visible. */
function outputMethodStubs(plan: ScaffoldPlan): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const output of plan.spec.outputs) {
    const method = output.method?.trim();
    // Only names that are already valid, non-keyword identifiers become methods.
    if (!method || pyIdentifier(method) !== method || HOOK_MEMBERS.has(method) || seen.has(method)) continue;
    if (plan.params.some((p) => p.name === method)) continue;
    seen.add(method);
    const doc = docstringText(`${output.description?.trim() || method} (scaffold: not implemented yet).`);
    lines.push(
      "",
      `def ${method}(self, *args: Any, **kwargs: Any) -> Any:`,
      ...indent(docLines(doc), 1),
      `    raise NotImplementedError(${pyString(`${plan.className}.${method} is a scaffold; implement it`)})`,
    );
  }
  return lines;
}

function hookMethods(plan: ScaffoldPlan): string[] {
  const hook = plan.hook;
  if (!hook) return [];
  return [...hookGetConn(hook.connAttr, hook.usesRequests), ...outputMethodStubs(plan)];
}

function hookGetConn(attr: string, usesRequests: boolean): string[] {
  if (usesRequests) {
    return [
      "def get_conn(self) -> Any:",
      '    """Scaffold: a requests.Session configured from the Airflow connection."""',
      "    import requests",
      "",
      `    conn = self.get_connection(self.${attr})`,
      "    session = requests.Session()",
      "    if conn.login:",
      "        session.auth = (conn.login, conn.password)",
      "    extra = conn.extra_dejson or {}",
      '    headers = extra.get("headers")',
      "    if isinstance(headers, dict):",
      "        session.headers.update(headers)",
      "    base_url = conn.host or \"\"",
      '    if base_url and "://" not in base_url:',
      '        base_url = f"{conn.schema or \'https\'}://{base_url}"',
      "    if base_url and conn.port:",
      '        base_url = f"{base_url}:{conn.port}"',
      "    self.base_url = base_url",
      "    return session",
    ];
  }
  return [
    "def get_conn(self) -> dict[str, Any]:",
    '    """Scaffold: the connection\'s settings; TODO: return the configured client instead."""',
    `    conn = self.get_connection(self.${attr})`,
    "    return {",
    '        "host": conn.host,',
    '        "port": conn.port,',
    '        "login": conn.login,',
    '        "password": conn.password,',
    '        "schema": conn.schema,',
    '        "extra": conn.extra_dejson,',
    "    }",
  ];
}

export function renderComponent(plan: ScaffoldPlan): string {
  const { spec } = plan;
  const type = spec.component_type;
  const baseClass = BASE_IMPORTS[type].className;
  const title = spec.display_name ?? plan.className;
  const moduleDoc = [`"""${docstringText(title)}: ${type} scaffold generated by opforge from its component spec.`];
  const firstLine = spec.description.trim().split("\n")[0];
  if (firstLine) moduleDoc.push("", ...wrap(docstringText(firstLine)));
  moduleDoc.push('"""');

  const out: string[] = [SCAFFOLD_HEADER, ...moduleDoc, "", "from __future__ import annotations", ""];
  if (plan.sensorPathParam) out.push("import os");
  // Hooks take no task context, so only operators and sensors import the Context type.
  const needsContext = type !== "hook";
  out.push(`from typing import ${[...(needsContext ? ["TYPE_CHECKING"] : []), ...plan.typingImports].join(", ")}`, "");
  out.push(...baseImportLines(type, plan.target), "");
  const hookImports = [...new Set(plan.usesHooks.map((h) => h.importLines.join("\n")))];
  if (hookImports.length > 0) out.push(...hookImports.flatMap((block) => block.split("\n")), "");
  if (needsContext) out.push("if TYPE_CHECKING:", ...indent(importLines(CONTEXT_IMPORT, plan.target), 1), "");
  out.push("");

  const hookNames = plan.usesHooks.map((h) => h.className).join(" and ");
  const scaffoldNote =
    type === "operator"
      ? hookNames === ""
        ? "Scaffold to complete: execute() only logs and returns its templated values."
        : `Scaffold to complete: execute() creates the ${hookNames}, then only logs and returns its templated values.`
      : type === "sensor"
        ? hookNames !== ""
          ? `Scaffold to complete: poke() creates the ${hookNames} but does not check anything yet and returns False.`
          : plan.sensorPathParam
          ? `Scaffold to complete: poke() checks that ${plan.sensorPathParam.name} exists.`
          : "Scaffold to complete: poke() does not check anything yet and returns False."
        : "Scaffold to complete: get_conn() reads the Airflow connection; add the client methods.";

  const members: string[] = [...classDocstring(plan, scaffoldNote), ""];
  if (type === "hook" && plan.hook) {
    members.push(
      `conn_name_attr = ${pyString(plan.hook.connAttr)}`,
      `default_conn_name = ${pyString(plan.hook.defaultConnName)}`,
      `conn_type = ${pyString(plan.hook.connType)}`,
      `hook_name = ${pyString(plan.hook.hookName)}`,
      "",
    );
  } else {
    members.push(`template_fields = ${pyTuple(plan.templateFields)}`);
    if (spec.template_ext.length > 0) members.push(`template_ext = ${pyTuple(spec.template_ext)}`);
    members.push(`ui_color = ${pyLiteral(spec.ui_color ?? (type === "sensor" ? "#e6f1f2" : "#ede4ff"))}`);
    members.push(`ui_fgcolor = ${pyLiteral(spec.ui_fgcolor ?? "#000000")}`);
    if (plan.droppedTemplateFields.length > 0) {
      members.push(`# Not templated (not constructor arguments of this class): ${commentText(plan.droppedTemplateFields.join(", "))}`);
    }
    members.push("");
  }
  members.push(...signature(plan), ...indent(initBody(plan), 1), "");
  if (type === "operator") members.push(...operatorExecute(plan));
  else if (type === "sensor") members.push(...sensorPoke(plan));
  else members.push(...hookMethods(plan));

  out.push(`class ${plan.className}(${baseClass}):`, ...indent(members, 1));
  return `${out.join("\n")}\n`;
}
