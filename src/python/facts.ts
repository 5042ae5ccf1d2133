/**
 * The facts rules ask about a module: imports, classes with bases, functions with full parameter lists,
 * class attributes, `self.x = …` assignments in `__init__`, and calls with keyword arguments.
 */
import type { PyNode } from "./parser.js";
import { dottedName, field, fields, namedChildren, statements, walk } from "./tree.js";

export interface ImportedName {
  /** Name as imported (`path` in `from os import path`, `os.path` in `import os.path`). */
  name: string;
  alias?: string;
  /** The name this import binds in the module (`os` for `import os.path`). */
  bound: string;
  node: PyNode;
}

export interface ImportFact {
  node: PyNode;
  kind: "import" | "from" | "future";
  /** Absolute module (`airflow.models`), without leading dots for relative imports. */
  module: string;
  /** Leading dots of a relative import; 0 for absolute. */
  level: number;
  names: ImportedName[];
  star: boolean;
  /** Inside a try whose handlers catch ImportError (either the try body or the fallback). */
  guarded: boolean;
  /** Inside `if TYPE_CHECKING:`. */
  typeChecking: boolean;
  /** Inside an `if` at module level (version switches and the like). */
  conditional: boolean;
  /** Not inside any function or class body. */
  moduleLevel: boolean;
}

export type ParamKind = "plain" | "args" | "kwargs" | "bare-star" | "slash";

export interface ParamFact {
  node: PyNode;
  name: string;
  kind: ParamKind;
  defaultNode?: PyNode;
  annotation?: string;
  keywordOnly: boolean;
}

export interface FunctionFact {
  node: PyNode;
  name: string;
  nameNode: PyNode;
  isAsync: boolean;
  paramsNode: PyNode;
  params: ParamFact[];
  decorators: { name: string; node: PyNode }[];
  body: PyNode | undefined;
  /** The class this function is a method of (directly in the class body). */
  owner?: ClassFact;
}

export interface ClassAttribute {
  name: string;
  node: PyNode;
  value: PyNode | undefined;
}

export interface SelfAssignment {
  attr: string;
  node: PyNode;
  value: PyNode | undefined;
}

export interface ClassFact {
  node: PyNode;
  name: string;
  nameNode: PyNode;
  /** Base expressions as dotted names with subscripts dropped (`AwsBaseOperator[S3Hook]` → `AwsBaseOperator`). */
  bases: string[];
  methods: Map<string, FunctionFact>;
  attributes: Map<string, ClassAttribute>;
  /** `self.x = …` (and `self.x: T = …`) anywhere in `__init__`, in order. */
  initAssignments: SelfAssignment[];
  /** Names defined in the class body by `def` or decorators like @property. */
  properties: Set<string>;
}

export interface CallFact {
  node: PyNode;
  /** Dotted callee (`subprocess.run`), or undefined for computed callees. */
  callee: string | undefined;
  args: PyNode[];
  keywords: { name: string; value: PyNode | undefined; node: PyNode }[];
}

export interface ModuleFacts {
  imports: ImportFact[];
  classes: ClassFact[];
  functions: FunctionFact[];
  calls: CallFact[];
  hasStarImport: boolean;
}

const IMPORT_ERRORS = new Set(["ImportError", "ModuleNotFoundError", "Exception", "BaseException"]);

/** Collects the facts from the nodes of each type (already indexed by the parser, in source order). */
export function collectFacts(nodesOf: (type: string) => PyNode[], source: string): ModuleFacts {
  const text = (n: PyNode): string => source.slice(n.start, n.end);
  const facts: ModuleFacts = { imports: [], classes: [], functions: [], calls: [], hasStarImport: false };
  const classByNode = new Map<PyNode, ClassFact>();
  for (const type of ["import_statement", "import_from_statement", "future_import_statement"]) {
    for (const node of nodesOf(type)) {
      const fact = importFact(node, source);
      if (fact.star) facts.hasStarImport = true;
      facts.imports.push(fact);
    }
  }
  facts.imports.sort((x, y) => x.node.start - y.node.start);
  for (const node of nodesOf("class_definition")) {
    const cls = classFact(node, source);
    classByNode.set(node, cls);
    facts.classes.push(cls);
  }
  for (const node of nodesOf("function_definition")) {
    const fn = functionFact(node, source);
    const owner = ownerClass(node);
    const cls = owner ? classByNode.get(owner) : undefined;
    if (cls) {
      fn.owner = cls;
      if (!cls.methods.has(fn.name)) cls.methods.set(fn.name, fn);
      if (fn.decorators.some((d) => /(^|\.)(property|cached_property|setter)$/.test(d.name))) cls.properties.add(fn.name);
      if (fn.name === "__init__") cls.initAssignments = selfAssignments(fn, source);
    }
    facts.functions.push(fn);
  }
  for (const node of nodesOf("call")) {
    const fnNode = field(node, "function");
    const argList = field(node, "arguments");
    const args: PyNode[] = [];
    const keywords: CallFact["keywords"] = [];
    if (argList && argList.type === "argument_list") {
      for (const arg of argList.children) {
        if (!arg.named || arg.type === "comment") continue;
        if (arg.type === "keyword_argument") {
          const name = field(arg, "name");
          keywords.push({ name: name ? text(name) : "", value: field(arg, "value"), node: arg });
        } else args.push(arg);
      }
    } else if (argList) args.push(argList);
    facts.calls.push({ node, callee: dottedName(fnNode, source), args, keywords });
  }
  return facts;
}

/** The class a def (decorated or not) is directly a method of. */
export function ownerClass(def: PyNode): PyNode | undefined {
  let p = def.parent;
  if (p?.type === "decorated_definition") p = p.parent;
  if (p?.type !== "block") return undefined;
  const cls = p.parent;
  return cls?.type === "class_definition" ? cls : undefined;
}

function importFact(node: PyNode, source: string): ImportFact {
  const text = (n: PyNode): string => source.slice(n.start, n.end).replace(/\s+/g, "");
  const names: ImportedName[] = [];
  let module = "";
  let level = 0;
  let star = false;
  const kind = node.type === "import_statement" ? "import" : node.type === "future_import_statement" ? "future" : "from";
  if (kind === "from") {
    const mod = field(node, "module_name");
    if (mod?.type === "relative_import") {
      const prefix = mod.children.find((c) => c.type === "import_prefix");
      level = prefix ? text(prefix).length : 0;
      const dn = mod.children.find((c) => c.type === "dotted_name");
      module = dn ? text(dn) : "";
    } else if (mod) module = text(mod);
    star = node.children.some((c) => c.type === "wildcard_import");
  } else if (kind === "future") module = "__future__";
  for (const n of fields(node, "name")) {
    if (n.type === "aliased_import") {
      const name = field(n, "name");
      const alias = field(n, "alias");
      const full = name ? text(name) : "";
      names.push({ name: full, alias: alias ? text(alias) : undefined, bound: alias ? text(alias) : full, node: n });
    } else {
      const full = text(n);
      names.push({ name: full, bound: kind === "import" ? (full.split(".")[0] ?? full) : full, node: n });
    }
  }
  if (kind === "import") module = names[0]?.name ?? "";
  let guarded = false;
  let typeChecking = false;
  let conditional = false;
  let moduleLevel = true;
  for (let p = node.parent; p; p = p.parent) {
    if (p.type === "function_definition" || p.type === "class_definition") moduleLevel = false;
    if (p.type === "try_statement") {
      for (const handler of p.children.filter((c) => c.type === "except_clause" || c.type === "except_group_clause")) {
        const caught = handlerTypes(handler, source);
        if (caught.length === 0 || caught.some((t) => IMPORT_ERRORS.has(t))) guarded = true;
      }
    }
    if (p.type === "if_statement") {
      const cond = field(p, "condition");
      const condText = cond ? source.slice(cond.start, cond.end) : "";
      if (/TYPE_CHECKING/.test(condText)) typeChecking = true;
      else conditional = true;
    }
  }
  return { node, kind, module, level, names, star, guarded, typeChecking, conditional, moduleLevel };
}

/** Exception class names an except clause catches (last dotted segment); empty for a bare `except:`. */
export function handlerTypes(handler: PyNode, source: string): string[] {
  let value = handler.children.find((c) => c.named && c.type !== "block" && c.type !== "comment");
  if (!value) return [];
  if (value.type === "as_pattern") value = namedChildren(value)[0];
  if (!value) return [];
  const items = value.type === "tuple" || value.type === "parenthesized_expression" ? namedChildren(value) : [value];
  return items.map((i) => (dottedName(i, source) ?? "").split(".").pop() ?? "");
}

function classFact(node: PyNode, source: string): ClassFact {
  const nameNode = field(node, "name") ?? node;
  const bases: string[] = [];
  const superclasses = field(node, "superclasses");
  if (superclasses) {
    for (const b of namedChildren(superclasses)) {
      if (b.type === "keyword_argument") continue;
      const target = b.type === "subscript" ? field(b, "value") : b;
      const name = dottedName(target, source);
      if (name) bases.push(name);
    }
  }
  const attributes = new Map<string, ClassAttribute>();
  for (const stmt of statements(field(node, "body"))) {
    if (stmt.type !== "expression_statement") continue;
    const assign = stmt.children[0];
    if (assign?.type !== "assignment") continue;
    const left = field(assign, "left");
    if (left?.type !== "identifier") continue;
    const name = source.slice(left.start, left.end);
    attributes.set(name, { name, node: assign, value: field(assign, "right") });
  }
  return {
    node,
    name: source.slice(nameNode.start, nameNode.end),
    nameNode,
    bases,
    methods: new Map(),
    attributes,
    initAssignments: [],
    properties: new Set(),
  };
}

function functionFact(node: PyNode, source: string): FunctionFact {
  const nameNode = field(node, "name") ?? node;
  const paramsNode = field(node, "parameters") ?? node;
  const decorators: FunctionFact["decorators"] = [];
  if (node.parent?.type === "decorated_definition") {
    for (const d of node.parent.children.filter((c) => c.type === "decorator")) {
      let expr = namedChildren(d)[0];
      if (expr?.type === "call") expr = field(expr, "function");
      decorators.push({ name: dottedName(expr, source) ?? source.slice(d.start + 1, d.end).trim(), node: d });
    }
  }
  return {
    node,
    name: source.slice(nameNode.start, nameNode.end),
    nameNode,
    isAsync: node.children[0]?.type === "async",
    paramsNode,
    params: paramFacts(paramsNode, source),
    decorators,
    body: field(node, "body"),
  };
}

export function paramFacts(paramsNode: PyNode, source: string): ParamFact[] {
  const text = (n: PyNode | undefined): string => (n ? source.slice(n.start, n.end) : "");
  const out: ParamFact[] = [];
  let keywordOnly = false;
  for (const p of namedChildren(paramsNode)) {
    switch (p.type) {
      case "identifier":
        out.push({ node: p, name: text(p), kind: "plain", keywordOnly });
        break;
      case "typed_parameter": {
        const inner = namedChildren(p)[0];
        const annotation = text(field(p, "type"));
        if (inner?.type === "list_splat_pattern") {
          out.push({ node: p, name: text(namedChildren(inner)[0]), kind: "args", annotation, keywordOnly });
          keywordOnly = true;
        } else if (inner?.type === "dictionary_splat_pattern") {
          out.push({ node: p, name: text(namedChildren(inner)[0]), kind: "kwargs", annotation, keywordOnly });
        } else out.push({ node: p, name: text(inner), kind: "plain", annotation, keywordOnly });
        break;
      }
      case "default_parameter":
      case "typed_default_parameter": {
        const type = field(p, "type");
        out.push({
          node: p,
          name: text(field(p, "name")),
          kind: "plain",
          defaultNode: field(p, "value"),
          annotation: type ? text(type) : undefined,
          keywordOnly,
        });
        break;
      }
      case "list_splat_pattern":
        out.push({ node: p, name: text(namedChildren(p)[0]), kind: "args", keywordOnly });
        keywordOnly = true;
        break;
      case "dictionary_splat_pattern":
        out.push({ node: p, name: text(namedChildren(p)[0]), kind: "kwargs", keywordOnly });
        break;
      case "keyword_separator":
        out.push({ node: p, name: "*", kind: "bare-star", keywordOnly });
        keywordOnly = true;
        break;
      case "positional_separator":
        out.push({ node: p, name: "/", kind: "slash", keywordOnly });
        break;
      default:
        break;
    }
  }
  return out;
}

function selfAssignments(init: FunctionFact, source: string): SelfAssignment[] {
  const selfName = init.params[0]?.name ?? "self";
  const out: SelfAssignment[] = [];
  if (!init.body) return out;
  walk(init.body, (node) => {
    if (node.type === "function_definition" || node.type === "class_definition" || node.type === "lambda") return false;
    if (node.type !== "assignment" && node.type !== "augmented_assignment") return;
    const targets: PyNode[] = [];
    const left = field(node, "left");
    if (left) targets.push(left);
    // Chained `self.a = self.b = x` nests an assignment on the right.
    for (const t of targets.flatMap((t) => (t.type === "pattern_list" || t.type === "tuple_pattern" ? namedChildren(t) : [t]))) {
      if (t.type !== "attribute") continue;
      const obj = field(t, "object");
      const attr = field(t, "attribute");
      if (obj?.type === "identifier" && attr && source.slice(obj.start, obj.end) === selfName) {
        out.push({ attr: source.slice(attr.start, attr.end), node, value: field(node, "right") });
      }
    }
  });
  return out;
}
