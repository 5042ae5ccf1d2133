/**
 * Pattern extraction: the reusable pieces of a component, test or example DAG, read from the syntax tree
 * of the Python analysis layer and rendered with the file's own names abstracted (see normalize.ts).
 */
import { createHash } from "node:crypto";
import type { ClassFact, FunctionFact, ImportFact, ModuleFacts } from "../../python/facts.js";
import { collectFacts, handlerTypes } from "../../python/facts.js";
import type { PyNode } from "../../python/parser.js";
import { BUILTIN_NAMES, STDLIB_MODULES } from "../../python/stdlib.js";
import { descendants, dottedName, field, namedChildren, nodesByType, statements, walk } from "./tree.js";
import type { NameContext } from "./normalize.js";
import { Namer, renderNode, renderNodes } from "./normalize.js";
import { parseWithTokens } from "./syntax.js";
import { uniqueWords } from "./text.js";
import type { PatternCandidate, PatternKind, PatternMeta } from "./types.js";

/** Names with a meaning fixed by Python, Airflow or pytest: never abstracted wherever they appear. */
const CONVENTIONAL_NAMES = ["self", "cls", "context", "kwargs", "args", "event", "__name__", "__file__"];

/** pytest's built-in fixtures and the common plugin ones: a test's parameters with these names are API. */
const PYTEST_FIXTURES = [
  "mocker", "monkeypatch", "caplog", "capsys", "capfd", "tmp_path", "tmpdir", "request", "requests_mock",
  "dag_maker", "create_task_instance", "session", "recwarn",
];

/** Attribute, keyword and method names that belong to Airflow, unittest.mock or a hook's connection. */
export const API_NAMES: ReadonlySet<string> = new Set([
  "execute", "execute_complete", "poke", "get_conn", "get_connection", "get_hook", "hook", "on_kill", "defer",
  "render_template_fields", "pre_execute", "post_execute", "test_connection", "get_ui_field_behaviour",
  "get_connection_form_widgets", "serialize", "run", "setUp", "tearDown", "setup_method", "teardown_method",
  "template_fields", "template_ext", "template_fields_renderer", "ui_color", "ui_fgcolor", "log", "xcom_push",
  "conn_name_attr", "default_conn_name", "conn_type", "hook_name", "extra_dejson", "host", "login", "password",
  "schema", "port", "conn_id", "method_name", "return_value", "side_effect", "assert_called_once_with",
  "assert_called_once", "assert_called_with", "assert_not_called", "call_args", "call_count", "xcom_value", "is_done",
]);

/**
 * BaseOperator and BaseSensorOperator arguments: kept when a test passes them to the component, abstracted
 * when the component declares a parameter of that name itself.
 */
const AIRFLOW_ARGUMENTS: ReadonlySet<string> = new Set([
  "task_id", "dag", "retries", "poke_interval", "timeout", "mode", "soft_fail", "deferrable", "trigger",
]);

/** First segments of modules that are the user's own repository in opforge's layouts (`plugins/` on sys.path). */
const LOCAL_PACKAGES: ReadonlySet<string> = new Set(["operators", "sensors", "hooks", "triggers", "plugins", "include", "dags"]);

const COMPONENT_SUFFIX = /(?:Operator|Sensor|Hook|Trigger)$/;
const LOG_LEVELS: ReadonlySet<string> = new Set(["debug", "info", "warning", "warn", "error", "exception", "critical"]);
const CONNECTION_ATTRIBUTES: ReadonlySet<string> = new Set(["host", "login", "password", "schema", "port", "extra_dejson", "extra"]);
const TEMPLATE_ATTRIBUTES = ["template_fields", "template_ext", "template_fields_renderer", "ui_color", "ui_fgcolor"];
const HOOK_ATTRIBUTES = ["conn_name_attr", "default_conn_name", "conn_type", "hook_name"];
const SENSOR_ATTRIBUTES = ["poke_interval", "mode", "timeout"];

export class PatternExtractionError extends Error {
  override readonly name = "PatternExtractionError";
}

interface FileModel {
  source: string;
  facts: ModuleFacts;
  meta: PatternMeta;
  context: NameContext;
  components: ClassFact[];
  libraries: string[];
  text: (node: PyNode) => string;
}

function checkMeta(meta: PatternMeta): void {
  if (!["component", "test", "dag"].includes(meta.role)) {
    throw new PatternExtractionError(`meta.role must be "component", "test" or "dag", got ${JSON.stringify(meta.role)}`);
  }
  if (!["operator", "sensor", "hook"].includes(meta.componentType)) {
    throw new PatternExtractionError(`meta.componentType must be "operator", "sensor" or "hook", got ${JSON.stringify(meta.componentType)}`);
  }
  if (typeof meta.category !== "string" || meta.category.trim() === "") {
    throw new PatternExtractionError("meta.category must be a non-empty string");
  }
}

/** Extracts the reusable patterns of one Python file. Throws PatternExtractionError on bad metadata or syntax. */
export async function extractPatterns(source: string, meta: PatternMeta): Promise<PatternCandidate[]> {
  checkMeta(meta);
  const parsed = await parseWithTokens(source);
  if (parsed.hasError) {
    const line = parsed.lines.line(parsed.firstErrorAt ?? 0);
    throw new PatternExtractionError(`cannot extract patterns: syntax error at line ${line}`);
  }
  const facts = collectFacts(nodesByType(parsed.root), source);
  const model = buildModel(source, facts, { ...meta, category: meta.category.trim() });
  const found: Draft[] = [];
  const imports = importBlock(model, parsed.root);
  if (imports) found.push(imports);
  if (meta.role === "component") {
    for (const cls of model.components) {
      found.push(...componentPatterns(model, cls));
    }
    const logging = loggingPattern(model);
    if (logging) found.push(logging);
    const connections = connectionPattern(model, parsed.root);
    if (connections) found.push(connections);
  } else if (meta.role === "test") {
    found.push(...testPatterns(model));
  }
  const seen = new Set<string>();
  const out: PatternCandidate[] = [];
  for (const draft of found) {
    const candidate = finish(model, draft);
    if (seen.has(candidate.fingerprint)) continue;
    seen.add(candidate.fingerprint);
    out.push(candidate);
  }
  return out;
}

interface Draft {
  kind: PatternKind;
  code: string;
  description: string;
  /** Nodes whose identifiers feed the search words. */
  nodes: PyNode[];
}

export function fingerprintOf(kind: PatternKind, code: string): string {
  return createHash("sha256").update(`${kind}\n${code}`).digest("hex");
}

function finish(model: FileModel, draft: Draft): PatternCandidate {
  const identifiers: string[] = [];
  for (const node of draft.nodes) {
    walk(node, (n) => {
      if (n.type === "comment" || n.type === "string") return false;
      if (n.type === "identifier") identifiers.push(model.text(n));
    });
  }
  const text = uniqueWords(
    [draft.kind, model.meta.componentType, model.meta.category, model.meta.role, ...model.libraries, draft.description, ...identifiers],
    200,
  ).join(" ");
  return {
    kind: draft.kind,
    code: draft.code,
    fingerprint: fingerprintOf(draft.kind, draft.code),
    libraries: model.libraries,
    description: draft.description,
    text,
    role: model.meta.role,
    componentType: model.meta.componentType,
    category: model.meta.category,
  };
}

function topModule(module: string): string {
  return module.split(".")[0] ?? module;
}

function isLocalImport(imp: ImportFact, role: PatternMeta["role"]): boolean {
  if (imp.level > 0) return true;
  const top = topModule(imp.module);
  if (LOCAL_PACKAGES.has(top)) return true;
  if (role === "component" || top === "airflow" || STDLIB_MODULES.has(top) || imp.kind !== "from") return false;
  return imp.names.some((n) => COMPONENT_SUFFIX.test(n.name));
}

function componentKindOfBase(base: string): boolean {
  const last = base.split(".").pop() ?? base;
  return COMPONENT_SUFFIX.test(last) || last === "BaseSensorOperator";
}

function buildModel(source: string, facts: ModuleFacts, meta: PatternMeta): FileModel {
  const keep = new Set<string>([...BUILTIN_NAMES, ...CONVENTIONAL_NAMES, ...TEMPLATE_ATTRIBUTES, ...HOOK_ATTRIBUTES, "poke_interval"]);
  if (meta.role === "test") for (const name of PYTEST_FIXTURES) keep.add(name);
  const localModules = new Set<string>();
  const fixed = new Map<string, string>();
  const addFixed = (name: string): void => {
    if (!fixed.has(name)) fixed.set(name, fixed.size === 0 ? "<CLS>" : `<CLS${fixed.size + 1}>`);
  };
  // The file's own component classes take `<CLS>` before anything it imports from its own package.
  let components = facts.classes.filter((c) => c.bases.some(componentKindOfBase));
  if (components.length === 0) {
    components = facts.classes.filter((c) => c.methods.has("execute") || c.methods.has("poke") || c.methods.has("get_conn"));
  }
  for (const cls of components) addFixed(cls.name);
  const libraries = new Set<string>();
  for (const imp of facts.imports) {
    if (imp.kind === "future") {
      for (const n of imp.names) keep.add(n.bound);
      continue;
    }
    if (isLocalImport(imp, meta.role)) {
      localModules.add(imp.module);
      for (const n of imp.names) if (COMPONENT_SUFFIX.test(n.bound)) addFixed(n.bound);
      continue;
    }
    libraries.add(topModule(imp.module));
    for (const n of imp.names) keep.add(n.bound);
  }

  const localAttributes = new Set<string>();
  for (const cls of facts.classes) {
    for (const a of cls.initAssignments) localAttributes.add(a.attr);
    for (const name of cls.methods.keys()) localAttributes.add(name);
    for (const name of cls.attributes.keys()) localAttributes.add(name);
    for (const p of cls.methods.get("__init__")?.params ?? []) if (p.kind === "plain") localAttributes.add(p.name);
  }
  // `self.x = …` outside __init__ and keyword arguments given to the file's own classes name local things too.
  for (const call of facts.calls) {
    const callee = call.callee;
    if (callee && (fixed.has(callee) || fixed.has(callee.split(".").pop() ?? ""))) {
      for (const k of call.keywords) if (!AIRFLOW_ARGUMENTS.has(k.name)) localAttributes.add(k.name);
    }
  }
  for (const fn of facts.functions) {
    if (!fn.body) continue;
    for (const node of descendants(fn.body, ["assignment", "augmented_assignment"])) {
      const left = field(node, "left");
      if (left?.type !== "attribute") continue;
      const obj = field(left, "object");
      const attr = field(left, "attribute");
      if (obj && attr && source.slice(obj.start, obj.end) === "self") localAttributes.add(source.slice(attr.start, attr.end));
    }
  }
  for (const name of API_NAMES) localAttributes.delete(name);

  return {
    source,
    facts,
    meta,
    components,
    libraries: [...libraries].sort(),
    text: (node) => source.slice(node.start, node.end),
    context: {
      source,
      keep,
      localAttributes,
      parameterNames: new Set(),
      fixed,
      apiMethods: API_NAMES,
      localModules,
    },
  };
}

function withParameters(model: FileModel, functions: (FunctionFact | undefined)[]): NameContext {
  const names = new Set<string>();
  for (const fn of functions) for (const p of fn?.params ?? []) if (p.kind !== "bare-star" && p.kind !== "slash") names.add(p.name);
  return { ...model.context, parameterNames: names };
}

/** The statement that holds a node directly in a block or the module. */
function enclosingStatement(node: PyNode): PyNode {
  let current = node;
  while (current.parent && current.parent.type !== "block" && current.parent.type !== "module") current = current.parent;
  return current;
}

function definitionNode(fn: FunctionFact): PyNode {
  return fn.node.parent?.type === "decorated_definition" ? fn.node.parent : fn.node;
}

// ---------------------------------------------------------------- imports

function containsImport(node: PyNode): boolean {
  return descendants(node, ["import_statement", "import_from_statement"]).length > 0;
}

function importBlock(model: FileModel, root: PyNode): Draft | undefined {
  const nodes = statements(root).filter(
    (s) =>
      s.type === "import_statement" ||
      s.type === "import_from_statement" ||
      s.type === "future_import_statement" ||
      ((s.type === "try_statement" || s.type === "if_statement") && containsImport(s)),
  );
  if (nodes.length === 0) return undefined;
  const code = renderNodes(nodes, model.context, new Namer(model.context));
  const guarded = model.facts.imports.filter((i) => i.guarded && i.moduleLevel);
  const parts: string[] = [];
  const dual = nodes.filter((n) => n.type === "try_statement" && isDualImport(n, model));
  if (dual.length > 0) {
    const names = new Set(dual.flatMap((n) => model.facts.imports.filter((i) => i.node.start >= n.start && i.node.end <= n.end).flatMap((i) => i.names.map((x) => x.bound))));
    parts.push(`version-dual import (try/except ImportError) of ${[...names].join(", ")}`);
  } else if (guarded.length > 0) {
    parts.push(`guarded import (try/except ImportError) of ${[...new Set(guarded.map((i) => topModule(i.module)))].join(", ")}`);
  }
  if (model.facts.imports.some((i) => i.typeChecking)) parts.push("TYPE_CHECKING imports");
  const libs = model.libraries.filter((l) => l !== "__future__");
  const description = `Import block of ${article(model.meta.componentType)} ${model.meta.role === "component" ? model.meta.componentType : `${model.meta.componentType} ${model.meta.role}`}: ${libs.join(", ") || "no libraries"}${parts.length > 0 ? `; ${parts.join("; ")}` : ""}`;
  return { kind: "import_block", code, description, nodes };
}

/** `try: from airflow.sdk import X` / `except ImportError: from airflow.models import X`: the same names bound both ways. */
function isDualImport(tryNode: PyNode, model: FileModel): boolean {
  const body = field(tryNode, "body");
  const handlers = tryNode.children.filter((c) => c.type === "except_clause");
  if (!body || handlers.length === 0) return false;
  const boundIn = (node: PyNode): Set<string> =>
    new Set(model.facts.imports.filter((i) => i.node.start >= node.start && i.node.end <= node.end).flatMap((i) => i.names.map((n) => n.bound)));
  const tried = boundIn(body);
  if (tried.size === 0) return false;
  return handlers.some((h) => {
    const caught = handlerTypes(h, model.source);
    const fallback = boundIn(h);
    return (caught.includes("ImportError") || caught.includes("ModuleNotFoundError")) && [...tried].every((n) => fallback.has(n));
  });
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? "an" : "a";
}

// ---------------------------------------------------------------- component class

function classAttributes(model: FileModel, cls: ClassFact, names: readonly string[]): PyNode[] {
  const out: PyNode[] = [];
  for (const stmt of statements(field(cls.node, "body"))) {
    if (stmt.type !== "expression_statement") continue;
    const assign = stmt.children[0];
    if (assign?.type !== "assignment") continue;
    const left = field(assign, "left");
    if (left?.type === "identifier" && names.includes(model.text(left))) out.push(stmt);
  }
  return out;
}

function componentPatterns(model: FileModel, cls: ClassFact): Draft[] {
  const out: Draft[] = [];
  const type = model.meta.componentType;
  const init = cls.methods.get("__init__");
  const classContext = (fns: (FunctionFact | undefined)[]): NameContext => withParameters(model, [init, ...fns]);

  if (init) {
    const context = classContext([]);
    const params = init.params.filter((p) => p.kind === "plain" && p.name !== "self");
    const keywordOnly = params.filter((p) => p.keywordOnly).length;
    const defaults = params.filter((p) => p.defaultNode).length;
    const hasKwargs = init.params.some((p) => p.kind === "kwargs");
    const superCall = model.facts.calls.some(
      (c) => c.node.start >= init.node.start && c.node.end <= init.node.end && /^super\(\)\.__init__$|super\.__init__$/.test(c.callee ?? calleeText(c.node, model)),
    );
    const description = `__init__ of ${article(type)} ${type} with ${params.length} parameter${params.length === 1 ? "" : "s"} (${keywordOnly} keyword-only, ${defaults} with defaults)${hasKwargs ? ", **kwargs" : ""}${superCall ? " passed to super().__init__" : ""}`;
    out.push({ kind: "init_signature", code: renderNode(definitionNode(init), context, new Namer(context)), description, nodes: [init.node] });
  }

  const templateNodes = classAttributes(model, cls, [...TEMPLATE_ATTRIBUTES, ...(type === "sensor" ? SENSOR_ATTRIBUTES : [])]);
  if (templateNodes.length > 0) {
    const context = classContext([]);
    const namer = new Namer(context);
    const code = templateNodes
      .map((n) => renderNode(n, context, namer, { namesInStrings: /^\s*template_fields\b/.test(model.text(n)) }))
      .join("\n");
    const fieldsNode = cls.attributes.get("template_fields")?.value;
    const count = fieldsNode ? namedChildren(fieldsNode).filter((c) => c.type === "string").length : 0;
    const names = templateNodes.map((n) => model.text(field(n.children[0] as PyNode, "left") as PyNode));
    out.push({
      kind: "template_fields",
      code,
      description: `Class attributes ${names.join(", ")}${fieldsNode ? ` with ${count} templated field${count === 1 ? "" : "s"} as a ${fieldsNode.type === "list" ? "list" : fieldsNode.type === "tuple" ? "tuple" : fieldsNode.type}` : ""}`,
      nodes: templateNodes,
    });
  }

  const methodShapes: [string, PatternKind][] = [
    ["execute", "execute_shape"],
    ["poke", "poke_shape"],
  ];
  for (const [name, kind] of methodShapes) {
    const fn = cls.methods.get(name);
    if (!fn) continue;
    const context = classContext([fn]);
    out.push({ kind, code: renderNode(definitionNode(fn), context, new Namer(context)), description: methodDescription(model, fn, type), nodes: [fn.node] });
  }

  const getConn = cls.methods.get("get_conn");
  const hookAttrs = classAttributes(model, cls, HOOK_ATTRIBUTES);
  if (getConn || hookAttrs.length > 0) {
    const context = classContext([getConn]);
    const namer = new Namer(context);
    const parts = hookAttrs.map((n) => renderNode(n, context, namer));
    if (getConn) parts.push(renderNode(definitionNode(getConn), context, namer));
    const describedAttrs = hookAttrs.map((n) => model.text(field(n.children[0] as PyNode, "left") as PyNode));
    out.push({
      kind: "hook_shape",
      code: parts.join("\n"),
      description: `Hook shape: ${describedAttrs.length > 0 ? describedAttrs.join(", ") : "no connection attributes"}${getConn ? `; get_conn() ${methodDescription(model, getConn, type).replace(/^[^:]*: /, "")}` : ""}`,
      nodes: [...hookAttrs, ...(getConn ? [getConn.node] : [])],
    });
  }

  out.push(...errorHandling(model, cls, init));
  return out;
}

function calleeText(call: PyNode, model: FileModel): string {
  const fn = field(call, "function");
  return fn ? model.text(fn).replace(/\s+/g, "") : "";
}

function callsIn(model: FileModel, node: PyNode): string[] {
  return model.facts.calls.filter((c) => c.node.start >= node.start && c.node.end <= node.end).map((c) => c.callee ?? calleeText(c.node, model));
}

function methodDescription(model: FileModel, fn: FunctionFact, type: string): string {
  const calls = callsIn(model, fn.node);
  const apiCalls = [...new Set(calls.filter((c) => isApiCallee(c, model)))].slice(0, 6);
  const features: string[] = [];
  if (fn.body && descendants(fn.body, "try_statement").length > 0) features.push("try/except");
  if (fn.body && descendants(fn.body, "raise_statement").length > 0) features.push("raises");
  const returns = fn.body ? descendants(fn.body, "return_statement") : [];
  if (returns.some((r) => namedChildren(r).length > 0)) features.push("returns a value");
  return `${fn.name}() of ${article(type)} ${type}: ${apiCalls.length > 0 ? `calls ${apiCalls.join(", ")}` : "no library calls"}${features.length > 0 ? `; ${features.join(", ")}` : ""}`;
}

/** A callee whose first name is imported or `self.log`/`self.get_connection`-like: what the pattern teaches. */
function isApiCallee(callee: string, model: FileModel): boolean {
  const parts = callee.split(".");
  const head = parts[0] ?? "";
  if (head === "self") return parts.length > 1 && API_NAMES.has(parts[1] ?? "");
  if (model.context.fixed.has(head)) return false;
  return model.context.keep.has(head) && !["self", "cls", "context", "kwargs", "args"].includes(head) && head !== "super";
}

function errorHandling(model: FileModel, cls: ClassFact, init: FunctionFact | undefined): Draft[] {
  const out: Draft[] = [];
  for (const fn of cls.methods.values()) {
    if (!fn.body) continue;
    const context = withParameters(model, [init, fn]);
    for (const tryNode of descendants(fn.body, "try_statement")) {
      const body = field(tryNode, "body");
      const handlers = tryNode.children.filter((c) => c.type === "except_clause" || c.type === "except_group_clause");
      const caught = handlers.map((h) => handlerTypes(h, model.source).join("|") || "bare except");
      const raised = descendants(tryNode, "raise_statement")
        .filter((r) => !body || r.start >= body.end)
        .map((r) => raisedType(r, model));
      const code = renderNode(tryNode, context, new Namer(context), { collapse: body ? new Set([body]) : undefined });
      const hasFinally = tryNode.children.some((c) => c.type === "finally_clause");
      out.push({
        kind: "error_handling",
        code,
        description: `In ${fn.name}(): try/except ${caught.join(", ") || "(finally only)"}${raised.length > 0 ? ` → raise ${[...new Set(raised)].join(", ")}` : ""}${hasFinally ? "; finally" : ""}`,
        nodes: [tryNode],
      });
    }
  }
  return out;
}

function raisedType(raise: PyNode, model: FileModel): string {
  let expr = namedChildren(raise)[0];
  if (!expr) return "re-raise";
  if (expr.type === "call") expr = field(expr, "function");
  const name = dottedName(expr, model.source);
  if (!name) return "exception";
  return model.context.keep.has(name.split(".")[0] ?? "") ? name : "local exception";
}

// ---------------------------------------------------------------- logging and connections

function loggingPattern(model: FileModel): Draft | undefined {
  const statementsFound: PyNode[] = [];
  const levels = new Map<string, number>();
  for (const call of model.facts.calls) {
    const callee = call.callee ?? "";
    const parts = callee.split(".");
    const level = parts[parts.length - 1] ?? "";
    const isLogger = parts.length >= 2 && (parts[parts.length - 2] === "log" || /logger$/i.test(parts[parts.length - 2] ?? "") || parts[0] === "logging");
    const isGetLogger = callee === "logging.getLogger";
    if (!isGetLogger && !(isLogger && LOG_LEVELS.has(level))) continue;
    const stmt = enclosingStatement(call.node);
    if (!statementsFound.includes(stmt)) statementsFound.push(stmt);
    if (!isGetLogger) levels.set(`${parts.slice(0, -1).join(".")}.${level}`, (levels.get(`${parts.slice(0, -1).join(".")}.${level}`) ?? 0) + 1);
  }
  if (levels.size === 0) return undefined;
  return {
    kind: "logging",
    code: renderLines(model, statementsFound),
    description: `Logging with ${[...levels].map(([name, n]) => `${name} ×${n}`).join(", ")}`,
    nodes: statementsFound,
  };
}

/**
 * Statements from anywhere in the file rendered one per line (first line only for compound statements),
 * with one namer so a name keeps its placeholder from line to line.
 */
function renderLines(model: FileModel, stmts: readonly PyNode[]): string {
  const functions = new Set<FunctionFact | undefined>();
  for (const stmt of stmts) {
    const fnNode = ancestorOfType(stmt, "function_definition");
    const fn = fnNode ? model.facts.functions.find((f) => f.node === fnNode) : undefined;
    functions.add(fn);
    functions.add(fn?.owner?.methods.get("__init__"));
  }
  const context = withParameters(model, [...functions]);
  const namer = new Namer(context);
  const lines = stmts.map((stmt) => renderNode(stmt, context, namer).split("\n")[0] ?? "");
  return [...new Set(lines)].join("\n");
}

function ancestorOfType(node: PyNode, type: string): PyNode | undefined {
  for (let p = node.parent; p; p = p.parent) if (p.type === type) return p;
  return undefined;
}

function connectionPattern(model: FileModel, root: PyNode): Draft | undefined {
  const found: PyNode[] = [];
  const what = new Set<string>();
  const add = (node: PyNode, label: string): void => {
    const stmt = enclosingStatement(node);
    if (!found.includes(stmt)) found.push(stmt);
    what.add(label);
  };
  for (const call of model.facts.calls) {
    const callee = call.callee ?? "";
    const last = callee.split(".").pop() ?? "";
    if (last === "get_connection") add(call.node, "get_connection");
    else if (last === "get_conn" && callee !== "get_conn") add(call.node, "get_conn()");
    else if (/Hook$/.test(last) && model.context.keep.has(callee.split(".")[0] ?? "")) add(call.node, last);
  }
  walk(root, (node) => {
    if (node.type !== "attribute") return;
    const attr = field(node, "attribute");
    const name = attr ? model.text(attr) : "";
    if (name === "extra_dejson" || (CONNECTION_ATTRIBUTES.has(name) && found.some((s) => s.start <= node.start && s.end >= node.end))) {
      add(node, `.${name}`);
    }
  });
  if (found.length === 0) return undefined;
  found.sort((a, b) => a.start - b.start);
  return {
    kind: "connection_use",
    code: renderLines(model, found),
    description: `Connection use: ${[...what].join(", ")}`,
    nodes: found,
  };
}

// ---------------------------------------------------------------- tests

function testPatterns(model: FileModel): Draft[] {
  const out: Draft[] = [];
  for (const fn of model.facts.functions) {
    const isFixture = fn.decorators.some((d) => /(^|\.)fixture$/.test(d.name));
    const isTest = fn.name.startsWith("test_") || fn.name.startsWith("test");
    if (!isFixture && !isTest) continue;
    if (fn.owner === undefined && fn.node.parent?.type !== "module" && fn.node.parent?.parent?.type !== "module") continue;
    const context = withParameters(model, [fn]);
    const code = renderNode(definitionNode(fn), context, new Namer(context));
    const calls = callsIn(model, definitionNode(fn));
    const decorators = fn.decorators.map((d) => d.name);
    const mocks = [
      ...new Set(
        [...calls, ...decorators].filter((c) =>
          /(^|\.)(patch(\.object|\.dict)?|MagicMock|Mock|AsyncMock|create_autospec)$/.test(c) || /^mocker\./.test(c) || /^monkeypatch\./.test(c) || /^requests_mock\./.test(c),
        ),
      ),
    ];
    const asserts = fn.body ? descendants(fn.body, "assert_statement").length : 0;
    const raises = calls.some((c) => /(^|\.)raises$/.test(c));
    const params = fn.params.filter((p) => p.kind === "plain" && p.name !== "self").length;
    const description = isFixture
      ? `pytest fixture${decorators.length > 0 ? ` (${decorators.join(", ")})` : ""} for ${article(model.meta.componentType)} ${model.meta.componentType} test${calls.length > 0 ? `; calls ${[...new Set(calls)].slice(0, 5).join(", ")}` : ""}`
      : `pytest test of ${article(model.meta.componentType)} ${model.meta.componentType}${fn.owner ? " in a test class" : ""}: ${params} fixture${params === 1 ? "" : "s"}, ${asserts} assert${asserts === 1 ? "" : "s"}${mocks.length > 0 ? `, mocks ${mocks.join(", ")}` : ""}${raises ? ", pytest.raises" : ""}${decorators.some((d) => d.endsWith("parametrize")) ? ", parametrized" : ""}`;
    out.push({ kind: "test_structure", code, description, nodes: [definitionNode(fn)] });
  }
  return out;
}
