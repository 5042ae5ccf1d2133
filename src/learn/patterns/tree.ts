/**
 * The few tree helpers pattern extraction needs, kept here so extraction does not depend on the analysis
 * layer's internal helpers (which change with its rules); every traversal is iterative.
 */
import type { PyNode } from "../../python/parser.js";

export function field(node: PyNode, name: string): PyNode | undefined {
  for (const child of node.children) if (child.field === name) return child;
  return undefined;
}

export function namedChildren(node: PyNode): PyNode[] {
  return node.children.filter((child) => child.named && child.type !== "comment");
}

/** Statements of a block or module, skipping comments. */
export function statements(block: PyNode | undefined): PyNode[] {
  return block ? namedChildren(block) : [];
}

/** Pre-order walk; `visit` may return false to skip a node's subtree. */
export function walk(root: PyNode, visit: (node: PyNode) => boolean | void): void {
  const stack: PyNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as PyNode;
    if (visit(node) === false) continue;
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i] as PyNode);
  }
}

/** Every descendant of one of the given types, in source order. */
export function descendants(root: PyNode, types: string | readonly string[]): PyNode[] {
  const wanted = typeof types === "string" ? [types] : types;
  const found: PyNode[] = [];
  walk(root, (node) => {
    if (node !== root && wanted.includes(node.type)) found.push(node);
  });
  return found;
}

/** Every node of the tree indexed by type, in source order: the shape the analysis layer's facts API reads. */
export function nodesByType(root: PyNode): (type: string) => PyNode[] {
  const byType = new Map<string, PyNode[]>();
  walk(root, (node) => {
    const list = byType.get(node.type);
    if (list) list.push(node);
    else byType.set(node.type, [node]);
  });
  return (type) => byType.get(type) ?? [];
}

/** The dotted name of an identifier/attribute chain (`os.path.join`), or undefined for anything else. */
export function dottedName(node: PyNode | undefined, source: string): string | undefined {
  const parts: string[] = [];
  let current = node;
  while (current) {
    if (current.type === "identifier") {
      parts.push(source.slice(current.start, current.end));
      return parts.reverse().join(".");
    }
    if (current.type === "dotted_name") {
      parts.push(source.slice(current.start, current.end).replace(/\s+/g, ""));
      return parts.reverse().join(".");
    }
    if (current.type !== "attribute") return undefined;
    const attr = field(current, "attribute");
    if (!attr) return undefined;
    parts.push(source.slice(attr.start, attr.end));
    current = field(current, "object");
  }
  return undefined;
}

/** The value of a plain string literal or a concatenation of them; undefined for f-strings and the rest. */
export function stringValue(node: PyNode | undefined, source: string): string | undefined {
  if (!node) return undefined;
  if (node.type === "parenthesized_expression") {
    const inner = namedChildren(node);
    return inner.length === 1 ? stringValue(inner[0], source) : undefined;
  }
  if (node.type === "concatenated_string") {
    let out = "";
    for (const part of namedChildren(node)) {
      const value = stringValue(part, source);
      if (value === undefined) return undefined;
      out += value;
    }
    return out;
  }
  if (node.type !== "string") return undefined;
  let out = "";
  for (const child of node.children) {
    if (child.type === "interpolation") return undefined;
    if (child.type === "string_content" || child.type === "escape_sequence") out += source.slice(child.start, child.end);
  }
  return out;
}
