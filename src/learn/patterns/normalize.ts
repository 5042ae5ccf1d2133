/**
 * Renders pieces of a Python syntax tree as canonical text with the file's own names abstracted.
 *
 * Two files that do the same thing with different names, quotes, literals, comments, docstrings, line
 * wrapping or trailing commas render to the same text: names the file defines become `<CLS>`, `<P1>`,
 * `<V1>`… numbered by first appearance within the snippet; names that come from Python, Airflow or an
 * imported library stay, since they are what a pattern teaches. Statements go one per line with four
 * spaces per block level, tokens are spaced by a fixed rule.
 */
import type { PyNode } from "../../python/parser.js";
import { field, namedChildren, stringValue } from "./tree.js";

export interface NameContext {
  source: string;
  /** Identifiers that keep their spelling (builtins, imported names, Airflow conventions). */
  keep: ReadonlySet<string>;
  /** Attribute and keyword names the file itself defines (`self.endpoint`): abstracted. */
  localAttributes: ReadonlySet<string>;
  /** Names rendered as `<Pn>` rather than `<Vn>`: parameters of the functions and of the class's `__init__`. */
  parameterNames: ReadonlySet<string>;
  /** Names with a fixed placeholder (the component class → `<CLS>`). */
  fixed: ReadonlyMap<string, string>;
  /** Method names that are part of an API (`execute`, `poke`, `get_conn`) and keep their spelling. */
  apiMethods: ReadonlySet<string>;
  /** Dotted modules that belong to the user's repository, rendered `<MOD>`. */
  localModules: ReadonlySet<string>;
}

/** Numbers local names in order of first appearance; one namer per snippet. */
export class Namer {
  private readonly names = new Map<string, string>();
  private parameters = 0;
  private variables = 0;
  constructor(private readonly context: NameContext) {}
  name(original: string): string {
    const fixed = this.context.fixed.get(original);
    if (fixed) return fixed;
    let placeholder = this.names.get(original);
    if (!placeholder) {
      placeholder = this.context.parameterNames.has(original) ? `<P${++this.parameters}>` : `<V${++this.variables}>`;
      this.names.set(original, placeholder);
    }
    return placeholder;
  }
}

export interface RenderOptions {
  /** Blocks rendered as a single `...` line (the body of a try whose handlers are the pattern). */
  collapse?: ReadonlySet<PyNode>;
  /** String literals whose value is a name (`template_fields` entries) and are abstracted like one. */
  namesInStrings?: boolean;
}

interface Token {
  text: string;
  node: PyNode;
  newline: boolean;
  indent: number;
}

const STATEMENT_PARENTS = new Set(["block", "module", "decorated_definition"]);
const CLAUSES = new Set(["elif_clause", "else_clause", "except_clause", "except_group_clause", "finally_clause", "case_clause"]);
const COMPOUND = new Set(["if_statement", "try_statement", "for_statement", "while_statement", "match_statement"]);
const SPLATS = new Set(["list_splat", "dictionary_splat", "list_splat_pattern", "dictionary_splat_pattern"]);
const CLOSERS = new Set([")", "]", "}"]);
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Renders one node (a statement, a definition, a class attribute) as normalized text. */
export function renderNode(root: PyNode, context: NameContext, namer: Namer, options: RenderOptions = {}): string {
  return renderTokens(tokens(root, context, namer, options));
}

/** Renders several sibling statements with one namer, so a name keeps its placeholder across them. */
export function renderNodes(roots: readonly PyNode[], context: NameContext, namer: Namer, options: RenderOptions = {}): string {
  return roots.map((root) => renderNode(root, context, namer, options)).join("\n");
}

function isDocstring(node: PyNode): boolean {
  if (node.type !== "expression_statement") return false;
  const inner = namedChildren(node);
  if (inner.length !== 1 || inner[0]?.type !== "string") return false;
  const parent = node.parent;
  if (!parent) return false;
  const first = namedChildren(parent)[0];
  if (first !== node) return false;
  return parent.type === "module" || parent.parent?.type === "function_definition" || parent.parent?.type === "class_definition";
}

function blockDepth(node: PyNode, root: PyNode): number {
  let depth = 0;
  for (let p = node.parent; p && p !== root; p = p.parent) if (p.type === "block") depth++;
  return depth;
}

function startsLine(node: PyNode, root: PyNode): boolean {
  if (node === root || !node.parent) return false;
  if (STATEMENT_PARENTS.has(node.parent.type)) return true;
  return CLAUSES.has(node.type) && COMPOUND.has(node.parent.type);
}

function tokens(root: PyNode, context: NameContext, namer: Namer, options: RenderOptions): Token[] {
  const out: Token[] = [];
  let pending: { indent: number } | null = null;
  const emit = (text: string, node: PyNode): void => {
    out.push({ text, node, newline: pending !== null, indent: pending?.indent ?? 0 });
    pending = null;
  };
  const stack: PyNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as PyNode;
    if (node.type === "comment" || isDocstring(node)) continue;
    if (startsLine(node, root)) pending = { indent: blockDepth(node, root) };
    if (options.collapse?.has(node)) {
      pending = { indent: blockDepth(node, root) + 1 };
      emit("...", node);
      continue;
    }
    const atom = atomText(node, context, namer, options);
    if (atom !== undefined) {
      emit(atom, node);
      continue;
    }
    if (node.children.length === 0) {
      emit(context.source.slice(node.start, node.end), node);
      continue;
    }
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i] as PyNode);
  }
  // A trailing comma before a closing bracket is formatting, except in a one-element tuple.
  return out.filter((token, i) => {
    if (token.text !== ",") return true;
    const next = out[i + 1];
    if (!next || !CLOSERS.has(next.text) || next.newline) return true;
    const container = token.node.parent?.type ?? "";
    return container === "tuple" || container === "tuple_pattern" || container === "parenthesized_expression";
  });
}

/** Text of a node rendered as one token, or undefined when its children are rendered instead. */
function atomText(node: PyNode, context: NameContext, namer: Namer, options: RenderOptions): string | undefined {
  const text = context.source.slice(node.start, node.end);
  switch (node.type) {
    case "string":
    case "concatenated_string":
      return stringText(node, context, namer, options);
    case "integer":
    case "float":
      return "<N>";
    case "dotted_name":
      return moduleText(node, context, namer);
    case "identifier":
      return identifierText(node, text, context, namer);
    default:
      return undefined;
  }
}

function moduleText(node: PyNode, context: NameContext, namer: Namer): string | undefined {
  const parent = node.parent;
  const inImport =
    parent?.type === "import_statement" ||
    parent?.type === "import_from_statement" ||
    parent?.type === "aliased_import" ||
    parent?.type === "relative_import" ||
    parent?.type === "future_import_statement";
  if (!inImport) return undefined;
  const dotted = context.source.slice(node.start, node.end).replace(/\s+/g, "");
  const isModule = node.field === "module_name" || parent?.type === "relative_import" || parent?.type === "import_statement" ||
    (parent?.type === "aliased_import" && parent.parent?.type === "import_statement");
  if (isModule) return context.localModules.has(dotted) ? "<MOD>" : dotted;
  // An imported name: a local class imported by a test becomes its placeholder.
  return context.keep.has(dotted) ? dotted : namer.name(dotted);
}

function identifierText(node: PyNode, text: string, context: NameContext, namer: Namer): string {
  const parent = node.parent;
  if (parent?.type === "attribute" && node.field === "attribute") {
    return isLocalAttribute(text, context) ? namer.name(text) : text;
  }
  if (parent?.type === "keyword_argument" && node.field === "name") {
    // A keyword names a parameter of the callee: the file's own callee's parameters are local names.
    const call = parent.parent?.type === "argument_list" ? parent.parent.parent : undefined;
    const callee = call?.type === "call" ? field(call, "function") : undefined;
    return callee && isLocalCallee(callee, context) && isLocalAttribute(text, context) ? namer.name(text) : text;
  }
  if ((parent?.type === "function_definition" || parent?.type === "class_definition") && node.field === "name") {
    if (context.apiMethods.has(text) || /^__\w+__$/.test(text)) return text;
    return namer.name(text);
  }
  if (context.keep.has(text)) return text;
  return namer.name(text);
}

function isLocalAttribute(name: string, context: NameContext): boolean {
  return context.localAttributes.has(name) && !context.apiMethods.has(name) && !/^__\w+__$/.test(name);
}

/** Whether a callee is defined by the file itself (its class, a helper, `self.<own method>`). */
function isLocalCallee(callee: PyNode, context: NameContext): boolean {
  const text = context.source.slice(callee.start, callee.end).replace(/\s+/g, "");
  const parts = text.split(".");
  const head = parts[0] ?? "";
  if (context.fixed.has(head)) return true;
  if (parts.length === 1) return !context.keep.has(head);
  if (head === "self" || head === "cls") return parts.length === 2 && isLocalAttribute(parts[1] ?? "", context);
  return false;
}

function stringText(node: PyNode, context: NameContext, namer: Namer, options: RenderOptions): string {
  const first = node.type === "concatenated_string" ? namedChildren(node)[0] : node;
  const start = first?.children[0];
  const prefix = start ? context.source.slice(start.start, start.end).replace(/["']/g, "").toLowerCase().replace(/[ru]/g, "") : "";
  const value = stringValue(node, context.source);
  if (value === undefined) return `${prefix.includes("f") ? "f" : prefix}"<S>"`;
  if (IDENTIFIER.test(value)) {
    if (options.namesInStrings) return `"${namer.name(value)}"`;
    if (context.parameterNames.has(value) || context.localAttributes.has(value)) return `"${namer.name(value)}"`;
  }
  return `${prefix}"<S>"`;
}

function spaceBetween(prev: Token, cur: Token): string {
  const p = prev.text;
  const c = cur.text;
  const cParent = cur.node.parent?.type ?? "";
  const pParent = prev.node.parent?.type ?? "";
  if (c === ")" || c === "]" || c === "}" || c === "," || c === ":" || c === "." || c === ";") return "";
  if (p === "(" || p === "[" || p === "{" || p === "." || p === "@") return "";
  if (c === "(" && (cParent === "argument_list" || cParent === "parameters")) return "";
  if (c === "(" && cParent === "generator_expression" && cur.node.parent?.field === "arguments") return "";
  if (c === "[" && (cParent === "subscript" || cParent === "generic_type" || cParent === "type_parameter")) return "";
  if ((p === "*" || p === "**") && SPLATS.has(pParent)) return "";
  if ((p === "-" || p === "+" || p === "~") && pParent === "unary_operator") return "";
  if (c === "=" && (cParent === "keyword_argument" || cParent === "default_parameter")) return "";
  if (p === "=" && (pParent === "keyword_argument" || pParent === "default_parameter")) return "";
  return " ";
}

function renderTokens(list: Token[]): string {
  const lines: string[] = [];
  let line = "";
  let prev: Token | undefined;
  for (const token of list) {
    if (token.newline && prev) {
      lines.push(line);
      line = "";
      prev = undefined;
    }
    if (!prev) line = "    ".repeat(token.indent) + token.text;
    else line += spaceBetween(prev, token) + token.text;
    prev = token;
  }
  if (line !== "") lines.push(line);
  return lines.join("\n");
}
