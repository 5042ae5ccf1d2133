/**
 * Names defined and used per scope, and the uses that resolve nowhere (Python's NameError at run time).
 * Order of definition is ignored on purpose: a name bound anywhere in a visible scope counts as defined,
 * which keeps conditional and late definitions from raising false alarms.
 */
import type { PyNode } from "./parser.js";
import { BUILTIN_NAMES } from "./stdlib.js";
import { handlerTypes } from "./facts.js";
import { field, fields, namedChildren } from "./tree.js";

type ScopeKind = "module" | "function" | "class" | "lambda" | "comprehension";

export interface Scope {
  kind: ScopeKind;
  node: PyNode;
  parent: Scope | null;
  names: Set<string>;
}

export interface NameUse {
  name: string;
  node: PyNode;
  scope: Scope;
}

export interface ScopeAnalysis {
  module: Scope;
  scopes: Scope[];
  uses: NameUse[];
  hasStarImport: boolean;
}

type Mode = "expr" | "target" | "pattern";

const TARGET_CONTAINERS = new Set([
  "pattern_list",
  "tuple_pattern",
  "list_pattern",
  "tuple",
  "list",
  "parenthesized_expression",
  "list_splat_pattern",
  "list_splat",
  "as_pattern_target",
  "expression_list",
]);

export function analyzeScopes(root: PyNode, source: string): ScopeAnalysis {
  const text = (n: PyNode): string => source.slice(n.start, n.end);
  const module: Scope = { kind: "module", node: root, parent: null, names: new Set() };
  const scopes: Scope[] = [module];
  const uses: NameUse[] = [];
  let hasStarImport = false;
  // Pending work as three parallel stacks: one object per visited node would be most of this pass's garbage.
  const stackNodes: PyNode[] = [root];
  const stackScopes: Scope[] = [module];
  const stackModes: Mode[] = ["expr"];
  const push = (node: PyNode | undefined, scope: Scope, mode: Mode = "expr"): void => {
    if (!node) return;
    stackNodes.push(node);
    stackScopes.push(scope);
    stackModes.push(mode);
  };
  const newScope = (kind: ScopeKind, node: PyNode, parent: Scope): Scope => {
    const s: Scope = { kind, node, parent, names: new Set() };
    scopes.push(s);
    return s;
  };
  const nonComprehension = (scope: Scope): Scope => {
    let s = scope;
    while (s.kind === "comprehension" && s.parent) s = s.parent;
    return s;
  };
  const bindParams = (params: PyNode | undefined, outer: Scope, inner: Scope): void => {
    if (!params) return;
    for (const p of namedChildren(params)) {
      switch (p.type) {
        case "identifier":
          inner.names.add(text(p));
          break;
        case "typed_parameter": {
          const id = namedChildren(p)[0];
          const name = id?.type === "identifier" ? id : id ? namedChildren(id)[0] : undefined;
          if (name) inner.names.add(text(name));
          push(field(p, "type"), outer);
          break;
        }
        case "default_parameter":
        case "typed_default_parameter": {
          const name = field(p, "name");
          if (name) inner.names.add(text(name));
          push(field(p, "type"), outer);
          push(field(p, "value"), outer);
          break;
        }
        case "list_splat_pattern":
        case "dictionary_splat_pattern": {
          const name = namedChildren(p)[0];
          if (name) inner.names.add(text(name));
          break;
        }
        case "tuple_pattern":
          push(p, inner, "target");
          break;
        default:
          break;
      }
    }
  };
  const bindTypeParams = (node: PyNode | undefined, scope: Scope): void => {
    if (!node) return;
    for (const t of namedChildren(node)) {
      const id = t.type === "type" ? namedChildren(t)[0] : t;
      if (id?.type === "identifier") scope.names.add(text(id));
      else if (id) push(id, scope);
    }
  };

  while (stackNodes.length > 0) {
    const node = stackNodes.pop() as PyNode;
    const scope = stackScopes.pop() as Scope;
    const mode = stackModes.pop() as Mode;
    if (mode === "target") {
      if (node.type === "identifier") scope.names.add(text(node));
      else if (TARGET_CONTAINERS.has(node.type)) for (const c of namedChildren(node)) push(c, scope, "target");
      else push(node, scope);
      continue;
    }
    if (mode === "pattern") {
      switch (node.type) {
        case "identifier":
          scope.names.add(text(node));
          break;
        case "dotted_name": {
          const ids = namedChildren(node);
          if (ids.length === 1 && ids[0]) scope.names.add(text(ids[0]));
          else if (ids[0]) uses.push({ name: text(ids[0]), node: ids[0], scope });
          break;
        }
        case "class_pattern": {
          const [cls, ...rest] = namedChildren(node);
          if (cls?.type === "dotted_name") {
            const first = namedChildren(cls)[0];
            if (first) uses.push({ name: text(first), node: first, scope });
          }
          for (const r of rest) push(r, scope, "pattern");
          break;
        }
        case "keyword_pattern":
          for (const c of namedChildren(node).slice(1)) push(c, scope, "pattern");
          break;
        case "dict_pattern":
          for (const c of namedChildren(node)) push(c, scope, c.field === "key" ? "expr" : "pattern");
          break;
        default:
          for (const c of namedChildren(node)) push(c, scope, "pattern");
      }
      continue;
    }
    switch (node.type) {
      case "identifier":
        uses.push({ name: text(node), node, scope });
        break;
      case "attribute":
        push(field(node, "object"), scope);
        break;
      case "keyword_argument":
        push(field(node, "value"), scope);
        break;
      case "dotted_name": {
        const first = namedChildren(node)[0];
        if (first) uses.push({ name: text(first), node: first, scope });
        break;
      }
      case "import_statement":
      case "import_from_statement":
      case "future_import_statement": {
        if (node.children.some((c) => c.type === "wildcard_import")) hasStarImport = true;
        for (const n of fields(node, "name")) {
          if (n.type === "aliased_import") {
            const alias = field(n, "alias");
            if (alias) scope.names.add(text(alias));
          } else {
            const full = text(n).replace(/\s+/g, "");
            scope.names.add(node.type === "import_statement" ? (full.split(".")[0] ?? full) : full);
          }
        }
        break;
      }
      case "global_statement":
        for (const id of namedChildren(node)) {
          module.names.add(text(id));
          scope.names.add(text(id));
        }
        break;
      case "nonlocal_statement":
        for (const id of namedChildren(node)) scope.names.add(text(id));
        break;
      case "function_definition": {
        const name = field(node, "name");
        if (name) scope.names.add(text(name));
        const inner = newScope("function", node, scope);
        bindTypeParams(field(node, "type_parameters"), inner);
        bindParams(field(node, "parameters"), scope, inner);
        push(field(node, "return_type"), scope);
        push(field(node, "body"), inner);
        break;
      }
      case "lambda": {
        const inner = newScope("lambda", node, scope);
        bindParams(field(node, "parameters"), scope, inner);
        push(field(node, "body"), inner);
        break;
      }
      case "class_definition": {
        const name = field(node, "name");
        if (name) scope.names.add(text(name));
        const inner = newScope("class", node, scope);
        bindTypeParams(field(node, "type_parameters"), inner);
        push(field(node, "superclasses"), scope);
        push(field(node, "body"), inner);
        break;
      }
      case "list_comprehension":
      case "set_comprehension":
      case "dictionary_comprehension":
      case "generator_expression": {
        const inner = newScope("comprehension", node, scope);
        let first = true;
        for (const c of namedChildren(node)) {
          if (c.type === "for_in_clause") {
            push(field(c, "right"), first ? scope : inner);
            for (const r of fields(c, "right").slice(1)) push(r, inner);
            for (const l of fields(c, "left")) push(l, inner, "target");
            first = false;
          } else push(c, inner);
        }
        break;
      }
      case "assignment": {
        push(field(node, "left"), scope, "target");
        push(field(node, "type"), scope);
        push(field(node, "right"), scope);
        break;
      }
      case "augmented_assignment": {
        const left = field(node, "left");
        if (left?.type === "identifier") {
          scope.names.add(text(left));
          uses.push({ name: text(left), node: left, scope });
        } else push(left, scope);
        push(field(node, "right"), scope);
        break;
      }
      case "for_statement": {
        push(field(node, "left"), scope, "target");
        for (const c of namedChildren(node)) if (c.field !== "left") push(c, scope);
        break;
      }
      case "as_pattern": {
        for (const c of namedChildren(node)) push(c, scope, c.type === "as_pattern_target" ? "target" : "expr");
        break;
      }
      case "named_expression": {
        const name = field(node, "name");
        if (name) nonComprehension(scope).names.add(text(name));
        push(field(node, "value"), scope);
        break;
      }
      case "case_clause": {
        for (const c of namedChildren(node)) push(c, scope, c.type === "case_pattern" ? "pattern" : "expr");
        break;
      }
      case "type_alias_statement": {
        const left = field(node, "left");
        const id = left ? namedChildren(left)[0] : undefined;
        if (id?.type === "identifier") scope.names.add(text(id));
        else if (id?.type === "generic_type") {
          const base = namedChildren(id)[0];
          if (base) scope.names.add(text(base));
        }
        push(field(node, "right"), scope);
        break;
      }
      default:
        for (let i = node.children.length - 1; i >= 0; i--) {
          const c = node.children[i] as PyNode;
          if (c.named && c.type !== "comment") push(c, scope);
        }
    }
  }
  return { module, scopes, uses, hasStarImport };
}

const MAX_GUARD_CHECKS = 20;

/** The first use of each name that no visible scope binds and that are not builtins. Empty when the module star-imports. */
export function undefinedNames(analysis: ScopeAnalysis, source: string): NameUse[] {
  if (analysis.hasStarImport) return [];
  const out: NameUse[] = [];
  const reported = new Set<string>();
  // The NameError guard walks up the tree; bound how often per name so deep expressions stay linear.
  const guardChecks = new Map<string, number>();
  for (const use of analysis.uses) {
    if (reported.has(use.name) || BUILTIN_NAMES.has(use.name)) continue;
    if (resolves(use)) continue;
    const checks = guardChecks.get(use.name) ?? 0;
    if (checks >= MAX_GUARD_CHECKS) continue;
    guardChecks.set(use.name, checks + 1);
    if (guardedByNameError(use.node, source)) continue;
    reported.add(use.name);
    out.push(use);
  }
  return out;
}

function resolves(use: NameUse): boolean {
  let prev: Scope | null = null;
  for (let s: Scope | null = use.scope; s; prev = s, s = s.parent) {
    // Methods do not see their class body's names; comprehensions in a class body may (first iterable).
    if (s.kind === "class" && prev && (prev.kind === "function" || prev.kind === "lambda")) continue;
    if (s.names.has(use.name)) return true;
  }
  return false;
}

function guardedByNameError(node: PyNode, source: string): boolean {
  for (let p = node.parent; p; p = p.parent) {
    if (p.type === "function_definition" || p.type === "class_definition") return false;
    if (p.type === "block" && p.parent?.type === "try_statement" && p.field === "body") {
      const handlers = p.parent.children.filter((c) => c.type === "except_clause");
      if (handlers.some((h) => handlerTypes(h, source).some((t) => t === "NameError" || t === "Exception" || t === ""))) return true;
    }
  }
  return false;
}
