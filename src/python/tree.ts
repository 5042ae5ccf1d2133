/** Small helpers over the plain tree; every traversal is iterative so that depth never matters. */
import type { PyNode } from "./parser.js";

export function field(node: PyNode, name: string): PyNode | undefined {
  for (const child of node.children) if (child.field === name) return child;
  return undefined;
}

export function fields(node: PyNode, name: string): PyNode[] {
  return node.children.filter((child) => child.field === name);
}

export function namedChildren(node: PyNode): PyNode[] {
  return node.children.filter((child) => child.named && child.type !== "comment");
}

/** Pre-order walk of `root` and its descendants. `visit` may return false to skip a node's subtree. */
export function walk(root: PyNode, visit: (node: PyNode) => boolean | void): void {
  const stack: PyNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as PyNode;
    if (visit(node) === false) continue;
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i] as PyNode);
  }
}

/** The nearest enclosing function (def or lambda), or undefined at module or class level. */
export function enclosingFunction(node: PyNode): PyNode | undefined {
  for (let p = node.parent; p; p = p.parent) {
    if (p.type === "function_definition" || p.type === "lambda") return p;
    if (p.type === "class_definition") return undefined;
  }
  return undefined;
}

export function isAsyncDef(def: PyNode): boolean {
  return def.type === "function_definition" && def.children[0]?.type === "async";
}

/** Statements of a block or module, skipping comments. */
export function statements(block: PyNode | undefined): PyNode[] {
  if (!block) return [];
  return block.children.filter((c) => c.named && c.type !== "comment");
}

/** The dotted name of an identifier/attribute chain (`os.path.join`), or undefined for anything else. */
export function dottedName(node: PyNode | undefined, source: string): string | undefined {
  // Built back to front as one string: this runs for every call in a file.
  let suffix = "";
  let current: PyNode | undefined = node;
  while (current) {
    if (current.type === "identifier") return source.slice(current.start, current.end) + suffix;
    if (current.type === "attribute") {
      const attr = field(current, "attribute");
      if (!attr) return undefined;
      suffix = `.${source.slice(attr.start, attr.end)}${suffix}`;
      current = field(current, "object");
      continue;
    }
    if (current.type === "dotted_name") return source.slice(current.start, current.end).replace(/\s+/g, "") + suffix;
    return undefined;
  }
  return undefined;
}

/** The value of a plain string literal (no f-string interpolation, no concatenation), or undefined. */
export function stringValue(node: PyNode | undefined, source: string): string | undefined {
  if (!node) return undefined;
  if (node.type === "parenthesized_expression") {
    const inner = namedChildren(node);
    return inner.length === 1 ? stringValue(inner[0], source) : undefined;
  }
  if (node.type === "concatenated_string") {
    let out = "";
    for (const part of namedChildren(node)) {
      const v = stringValue(part, source);
      if (v === undefined) return undefined;
      out += v;
    }
    return out;
  }
  if (node.type !== "string") return undefined;
  if (node.children.some((child) => child.type === "interpolation")) return undefined;
  return stringBody(node, source);
}

/** Unwraps `(x)` to `x`. */
export function unparen(node: PyNode | undefined): PyNode | undefined {
  let current = node;
  while (current?.type === "parenthesized_expression") {
    const inner = namedChildren(current);
    if (inner.length !== 1) return current;
    current = inner[0];
  }
  return current;
}

/** The text between a string literal's quotes, escapes left as written (`r"a\nb"` → `a\nb`). */
export function stringBody(node: PyNode, source: string): string {
  // Read straight from the source (no copy of the literal, no regex): every string in a file passes here.
  const { start, end } = node;
  let at = start;
  for (let c = source.charCodeAt(at); at < end && ((c >= 97 && c <= 122) || (c >= 65 && c <= 90)); c = source.charCodeAt(++at));
  const q = source[at];
  if (at >= end || (q !== '"' && q !== "'")) return source.slice(start, end);
  const quoteLength = at + 3 <= end && source[at + 1] === q && source[at + 2] === q ? 3 : 1;
  const bodyStart = at + quoteLength;
  let endsQuoted = end - start >= bodyStart - start + quoteLength;
  for (let i = 1; endsQuoted && i <= quoteLength; i++) endsQuoted = source[end - i] === q;
  return source.slice(bodyStart, endsQuoted ? end - quoteLength : end);
}
